"""``measure(trace)``: find the inferences in a real power trace (bursts or marker windows), their duration and
energy, and the sleep baseline, streaming the file in bounded memory.

Summary keys (units in the names): ``n_events``, ``event_duration_s`` / ``event_energy_j`` / ``event_charge_c``
(medians over events), ``event_current_a`` (median of each event's charge / duration), ``peak_current_a``
(largest event peak), ``baseline_current_a`` (mean current outside the events), ``floor_current_a`` (the sleep
floor: the level of the samples outside the events, from their lower percentiles, so other activity between
inferences does not raise it), ``average_current_a`` (whole
trace), ``duration_s``, ``energy_j`` (whole trace), ``supply_v`` (mean file voltage, or ``--supply-v``),
``sample_rate_hz``, ``n_samples``, ``threshold_a`` (burst entry level; None with a marker), ``exit_threshold_a``,
``marker``, ``dropped_partial_events``.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import UserError, unknown
from ..render.export import json_dumps, jsonable
from .events import CurrentHistogram, Envelope, EventDetector, auto_thresholds, hysteresis
from .readers import DEFAULT_CHUNK_SAMPLES, TraceSource, digital_key, open_trace


@dataclass
class Measurement:
    """What ``measure`` found. ``events`` columns: start_s, duration_s, charge_c, energy_j, peak_current_a."""

    path: Path
    format: str
    summary: object                     # pandas Series (a dict given here is turned into one), like the estimate's
    events: object                      # pandas DataFrame
    envelope: dict = field(repr=False, default_factory=dict)
    notes: list = field(default_factory=list)

    def __post_init__(self):
        import pandas as pd

        if not isinstance(self.summary, pd.Series):
            self.summary = pd.Series(dict(self.summary), dtype=object)

    def to_dict(self) -> dict:
        """Plain Python (numpy scalars unwrapped, NaN -> None); ``events`` as a list of records."""
        return jsonable({"path": str(self.path), "format": self.format, "summary": self.summary,
                         "events": self.events, "notes": list(self.notes)})

    def to_json(self) -> str:
        return json_dumps(self.to_dict())

    def calibration_inputs(self) -> dict:
        """The summary figures ``energy calibrate`` fits (medians over the events, sleep floor, supply)."""
        return dict(self.summary)


def _progress(enabled: bool):
    """A rich progress bar on stderr, shown only when asked for and stderr is a terminal (so piped output and
    ``--json`` on stdout stay clean)."""
    from contextlib import nullcontext

    if not (enabled and sys.stderr.isatty()):
        return nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TimeRemainingColumn

    return Progress("[progress.description]{task.description}", BarColumn(), "{task.percentage:>3.0f}%",
                    TimeRemainingColumn(), console=Console(stderr=True), transient=True)


def _passes(source: TraceSource, chunk_samples: int, progress: bool, label: str):
    """Iterate the chunks of one pass, ticking a progress bar if enabled."""
    with _progress(progress) as bar:
        task = bar.add_task(label, total=max(source.progress_total, 1)) if bar is not None else None
        for chunk in source.chunks(chunk_samples):
            yield chunk
            if bar is not None:
                bar.update(task, completed=source.progress_done)


def _resolve_marker(marker: str, names: tuple, path: Path) -> str:
    if not names:
        raise UserError(f"--marker {marker}: {path.name} has no digital channels; measure without --marker "
                        "to find bursts by current")
    wanted = marker.strip().lower()
    for name in names:
        if name.lower() == wanted:
            return name
    key = digital_key(wanted)
    hits = [n for n in names if key is not None and digital_key(n) == key]
    if len(hits) == 1:
        return hits[0]
    raise unknown("marker channel", marker, names, hint=f"digital channels of {path.name}")


def measure(path, *, supply_v: Optional[float] = None, marker: Optional[str] = None,
            threshold_a: Optional[float] = None, progress: bool = False,
            chunk_samples: int = DEFAULT_CHUNK_SAMPLES) -> Measurement:
    """Events and baseline of a trace file (.jls, PPK2 CSV, Otii CSV, generic CSV); an EEMBC EnergyRunner run
    (folder or trace1-energy.bin) gives a :class:`.eembc.RunMeasurement`, a folder tree of runs a
    :class:`.eembc.RunTable`.

    ``supply_v`` [V] is used when the file has no voltage; ``marker`` names a digital channel that is high
    around each inference (``D0``); ``threshold_a`` [A] overrides the burst threshold derived from the
    baseline. Memory stays bounded by ``chunk_samples`` whatever the file length (one pass with a marker or
    a threshold, two passes otherwise).
    """
    path = Path(path)
    if supply_v is not None and not (math.isfinite(supply_v) and supply_v > 0):
        raise UserError(f"--supply-v must be a positive voltage in V, got {supply_v}")
    if threshold_a is not None and not (math.isfinite(threshold_a) and threshold_a > 0):
        raise UserError(f"--threshold-a must be a positive current in A, between the sleep and the inference "
                        f"current (e.g. --threshold-a 1e-3), got {threshold_a:g}; leave it out to derive it "
                        "from the baseline")
    if marker is not None and threshold_a is not None:
        raise UserError("give either --marker or --threshold-a, not both")
    chunk_samples = int(chunk_samples)
    if chunk_samples < 16:
        raise UserError(f"chunk_samples must be at least 16, got {chunk_samples}")
    from .eembc import is_energyrunner, measure_energyrunner

    if is_energyrunner(path):  # a run folder / trace1-energy.bin: windows come from its timestamps, not events
        if marker is not None or threshold_a is not None:
            raise UserError(f"{path.name} is an EEMBC EnergyRunner run: its windows come from trace1-timestamps.json; "
                            "leave out --marker and --threshold-a")
        return measure_energyrunner(path, supply_v=supply_v)
    source = open_trace(path)
    try:
        return _measure(source, path, supply_v, marker, threshold_a, progress, chunk_samples)
    finally:
        source.close()


def _measure(source, path, supply_v, marker, threshold_a, progress, chunk_samples) -> Measurement:
    notes = list(source.notes)
    if not source.has_voltage and supply_v is None:
        raise UserError(f"{path.name} has no voltage; give the supply with --supply-v (e.g. --supply-v 3.0)")
    if source.has_voltage and supply_v is not None:
        notes.append(f"--supply-v {supply_v:g} ignored: the file records the voltage")
    marker_name = _resolve_marker(marker, source.digital_names, path) if marker is not None else None

    thresholds = None
    if marker_name is None and threshold_a is None:
        hist = CurrentHistogram()
        seen = 0
        for chunk in _passes(source, chunk_samples, progress, "baseline"):
            seen = _check_finite(chunk, seen, path)
            hist.add(_current(chunk, supply_v))
        thresholds = auto_thresholds(hist)
        enter_a, exit_a = thresholds.enter_a, thresholds.exit_a
    elif threshold_a is not None:
        enter_a = exit_a = float(threshold_a)

    detector = EventDetector()
    envelope = Envelope()
    # the sleep floor: the level of the lower tail of the samples (auto threshold: the first pass already has it;
    # with a marker or a given threshold: a histogram of the samples outside the events)
    idle = CurrentHistogram() if thresholds is None else None
    voltage_sum = 0.0
    seen = 0
    for chunk in _passes(source, chunk_samples, progress, "events"):
        seen = _check_finite(chunk, seen, path)
        current = _current(chunk, supply_v)
        if chunk.power_w is not None:
            power = chunk.power_w
        elif chunk.voltage_v is not None:
            power = current * chunk.voltage_v
        else:
            power = current * supply_v
        if chunk.voltage_v is not None:
            voltage_sum += float(np.sum(chunk.voltage_v * chunk.dt_s)) if np.ndim(chunk.dt_s) else \
                float(chunk.voltage_v.sum() * chunk.dt_s)
        if marker_name is not None:
            active = chunk.digital[marker_name]
        else:
            active = hysteresis(current, enter_a, exit_a, detector.state)
        detector.feed(chunk.times, chunk.dt_s, current, power, active)
        if idle is not None:
            idle.add(current[~np.asarray(active, dtype=bool)])
        envelope.add(chunk.times, current)
    events = detector.finish()

    duration = detector.total_duration_s
    volts = voltage_sum / duration if (source.has_voltage and duration > 0) else supply_v
    if len(events) == 0:
        raise UserError(_no_events(path, marker_name, enter_a if marker_name is None else None, thresholds,
                                   threshold_a is not None, detector))
    if detector.dropped_edges:
        notes.append(f"{detector.dropped_edges} event(s) cut by the start or end of the recording left out")
    sample_rate = source.sample_rate_hz or (detector.n_samples / duration if duration > 0 else float("nan"))
    event_current = events["charge_c"] / events["duration_s"].where(events["duration_s"] > 0)
    summary = {
        "n_events": int(len(events)),
        "event_duration_s": float(events["duration_s"].median()),
        "event_energy_j": float(events["energy_j"].median()),
        "event_charge_c": float(events["charge_c"].median()),
        "event_current_a": float(event_current.median()),
        "peak_current_a": float(events["peak_current_a"].max()),
        "baseline_current_a": detector.idle_charge_c / detector.idle_duration_s if detector.idle_duration_s > 0
        else float("nan"),
        "floor_current_a": _floor(thresholds, idle),
        "average_current_a": detector.total_charge_c / duration if duration > 0 else float("nan"),
        "duration_s": duration,
        "energy_j": detector.total_energy_j,
        "supply_v": float(volts),
        "sample_rate_hz": float(sample_rate),
        "n_samples": int(detector.n_samples),
        "threshold_a": None if marker_name is not None else float(enter_a),
        "exit_threshold_a": None if marker_name is not None else float(exit_a),
        "marker": marker_name,
        "dropped_partial_events": int(detector.dropped_edges),
    }
    if thresholds is not None:
        summary["baseline_level_a"] = thresholds.level_a
        summary["baseline_noise_a"] = thresholds.noise_a
    return Measurement(path, source.format, summary, events, envelope.result(), notes)


def _no_events(path, marker_name, enter_a, thresholds, given: bool, detector) -> str:
    """The one-line reason a trace has no whole event, and what to try instead."""
    if marker_name is not None:
        return (f"no events in {path.name}: marker {marker_name} is never high for a whole window inside the "
                "recording; check the channel or measure by current without --marker")
    fix = ("give a higher --threshold-a (between the sleep and the inference current) or --marker" if given
           else "give --threshold-a between the sleep and the inference current, or --marker")
    if detector.dropped_edges and detector.idle_duration_s == 0:
        return (f"no events in {path.name}: the whole recording is above the threshold {enter_a:.3g} A, so no "
                f"inference starts and ends inside it; {fix}")
    if detector.dropped_edges:
        return (f"no events in {path.name}: the {detector.dropped_edges} burst(s) above {enter_a:.3g} A are cut by "
                "the start or end of the recording; record whole inferences, or use --marker")
    if given:
        return (f"no events in {path.name} above threshold {enter_a:.3g} A (--threshold-a); give a lower "
                "--threshold-a or --marker")
    return (f"no events in {path.name} above threshold {enter_a:.3g} A (baseline {thresholds.level_a:.3g} A); "
            "give --threshold-a or --marker")


def _floor(thresholds, idle) -> float:
    """The sleep floor [A]: the baseline level of the auto thresholds, else that of the idle-sample histogram."""
    if thresholds is not None:
        return float(thresholds.level_a)
    return auto_thresholds(idle).level_a if idle.total else float("nan")


def _check_finite(chunk, seen: int, path: Path) -> int:
    """Refuse a chunk with an infinite or NaN sample, naming the sample; returns the samples seen so far."""
    for name, values in (("current", chunk.current_a), ("voltage", chunk.voltage_v), ("power", chunk.power_w)):
        if values is None:
            continue
        bad = ~np.isfinite(values)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            t = float(chunk.times(np.array([k]))[0])
            raise UserError(f"{path.name}: non-finite {name} sample ({values[k]:g}) at sample {seen + k} "
                            f"(t = {t:.6g} s); remove or repair it")
    return seen + len(chunk)


def _current(chunk, supply_v) -> np.ndarray:
    if chunk.current_a is not None:
        return chunk.current_a
    if supply_v is None:  # pragma: no cover - guarded before
        raise UserError("a power-only trace needs --supply-v")
    return chunk.power_w / supply_v
