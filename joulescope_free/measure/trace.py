"""The unit of streaming: :class:`Chunk` (SI arrays of at most ``chunk_samples`` samples) and the
:class:`TraceSource` every reader implements (registered in :mod:`.readers`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

DEFAULT_CHUNK_SAMPLES = 1 << 18  # 256 Ki samples: ~15 MB of float64 working arrays per chunk, cache-friendly


@dataclass
class Chunk:
    """One block of samples in SI units. ``dt_s`` is a scalar (fixed rate) or an array like ``time_s``.

    Fixed-rate readers leave ``time_s`` None (sample k is at ``t0_s + k * dt_s``) so that no time array is
    built per chunk; use :meth:`times`.
    """

    time_s: Optional[np.ndarray]
    dt_s: object
    current_a: np.ndarray
    voltage_v: Optional[np.ndarray] = None
    power_w: Optional[np.ndarray] = None
    digital: dict = field(default_factory=dict)
    t0_s: float = 0.0

    def __len__(self) -> int:
        return len(self.current_a)

    def times(self, index) -> np.ndarray:
        """Time [s] of the samples at ``index`` (an int array) within this chunk."""
        if self.time_s is not None:
            return self.time_s[index]
        return self.t0_s + np.asarray(index, dtype=np.float64) * float(self.dt_s)


class TraceSource:
    """An opened trace. Subclasses set the attributes and implement :meth:`chunks`.

    ``progress_total`` / ``progress_done`` are in arbitrary units (bytes or samples) for a progress bar.
    """

    format: str = "?"
    path: Path
    sample_rate_hz: Optional[float] = None   # nominal; CSV readers learn it from the first chunk
    n_samples: Optional[int] = None          # None until a full pass for CSV
    has_voltage: bool = False
    has_power: bool = False
    digital_names: tuple = ()
    notes: list
    progress_total: int = 0
    progress_done: int = 0

    def chunks(self, chunk_samples: int = DEFAULT_CHUNK_SAMPLES) -> Iterator[Chunk]:  # pragma: no cover
        raise NotImplementedError

    def close(self) -> None:
        pass


def _short(exc) -> str:
    return str(exc).splitlines()[0][:120]
