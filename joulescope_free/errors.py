"""User-facing errors: one clear line, exit status 2, never a traceback."""
from __future__ import annotations

import difflib
from typing import Iterable


class UserError(Exception):
    """Bad input from the user. The CLI prints ``str(err)`` on one line and exits with status 2."""

    exit_code = 2


class RateTooFast(UserError):
    """A duty rate [Hz] faster than the inference keeps up with: each period needs ``per_inference_s`` [s] (wake-up,
    inference and the per-inference phases), so the fastest rate any sleep strategy keeps is ``max_rate_hz``."""

    def __init__(self, message: str, rate_hz: float, per_inference_s: float, max_rate_hz: float):
        super().__init__(message)
        self.rate_hz, self.per_inference_s, self.max_rate_hz = rate_hz, per_inference_s, max_rate_hz

    def __reduce__(self):  # picklable (sweeps in processes, Dask)
        return type(self), (str(self), self.rate_hz, self.per_inference_s, self.max_rate_hz)


def closest(name: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The valid names closest to ``name`` (case-insensitive), best first."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.4)
    if not hits:  # fall back to substring matches ("m4" -> "cortex-m4")
        hits = [c for c in lowered if name.lower() in c][:n]
    return [lowered[h] for h in hits]


class UnknownName(UserError):
    """A name that is not in a catalog (a typo, most often): bad input wherever it appears, never a table row."""


def unknown(kind: str, name: str, choices: Iterable[str], hint: str = "") -> UserError:
    """``UserError("unknown MCU 'stm32l4' (closest: stm32l4r5, ...); see `energy mcus`")``."""
    choices = list(choices)
    near = closest(name, choices)
    text = f"unknown {kind} '{name}'"
    text += f"; did you mean {', '.join(near)}?" if near else f"; valid: {', '.join(sorted(choices)[:12])}"
    if hint:
        text += f" ({hint})"
    return UnknownName(text)
