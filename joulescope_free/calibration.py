"""The power-model override file: ``energy calibrate`` writes it (:mod:`joulescope_free.measure.calibrate`), the
estimate chain reads it (``estimate(..., power_model=...)``). It sits below both, so neither imports the other back.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .datafile import as_figure, load_toml
from .errors import UserError

FORMAT_VERSION = 1
FIGURES = ("latency_scale", "current_scale", "sleep_current_a")


@dataclass(frozen=True)
class Calibration:
    """A board's power-model override: multiply the predicted inference latency by ``latency_scale`` and the
    inference current by ``current_scale``; replace the sleep current by ``sleep_current_a`` [A]."""

    mcu: str
    runtime: Optional[str]
    latency_scale: float
    current_scale: float
    sleep_current_a: Optional[float]              # None when the traces had no idle time
    notes: list = field(default_factory=list)
    path: str = ""
    provenance: dict = field(default_factory=dict)   # figure -> (kind, note), kind "measured" when calibrated


def load_calibration(path) -> Calibration:
    """Read an override written by ``energy calibrate``; anything malformed is a :class:`UserError`."""
    path = Path(path)
    data = load_toml(path)
    if "mcu" not in data or not isinstance(data["mcu"], str):
        raise UserError(f"{path}: not a calibration file (no mcu = \"...\"); write one with energy calibrate")
    values, provenance = {"sleep_current_a": None}, {}
    for name in FIGURES:
        if name not in data:
            if name == "sleep_current_a":
                continue  # optional: traces without idle time do not measure it
            raise UserError(f"{path}: missing {name}; write the file with energy calibrate")
        fig = as_figure(data[name], f"{path.name}: {name}")
        try:
            value = float(fig.value)
        except (TypeError, ValueError):
            raise UserError(f"{path.name}: {name} must be a number, got {fig.value!r}") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and name != "sleep_current_a"):
            raise UserError(f"{path.name}: {name} = {value} is not a valid {'scale' if 'scale' in name else 'current'}")
        values[name] = value
        provenance[name] = (fig.kind, fig.note)
    notes = [str(n) for n in data.get("notes", [])]
    return Calibration(data["mcu"], data.get("runtime"), values["latency_scale"], values["current_scale"],
                       values["sleep_current_a"], notes, str(path), provenance)
