"""``calibrate(traces, models=..., mcu=...)``: fit measured inference duration, energy and the sleep baseline
into a power-model override for one board, and ``load_calibration`` to read it back.

Fit (one or several traces, fitted jointly): for each trace the measured figures come from :func:`measure`
and the predicted ones from ``joulescope_free.chain.estimate`` at the trace's supply voltage and clock::

    latency ratio  r_t = event_duration_s / predicted latency_s
    current ratio  r_i = (event_energy_j / (event_duration_s * supply_v)) / (inference_power_w / supply_v)
    latency_scale  = exp(mean(log r_t))     # least squares in log space = geometric mean
    current_scale  = exp(mean(log r_i))
    sleep_current_a = median of the traces' baseline_current_a

With one trace, ``latency x latency_scale`` and ``current x current_scale`` reproduce the measured duration and
energy exactly; with several, each trace keeps the residual printed in the report.

An EEMBC EnergyRunner run (folder or trace1-energy.bin) calibrates from its window averages: duration = window
length / inferences, energy = median energy per inference, current = average power / ``supply_v`` (given, else
the energy monitor's voltage in the run's log.txt); its inferences run back to back, so no sleep current is
measured.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from ..calibration import FIGURES, FORMAT_VERSION, Calibration, load_calibration  # noqa: F401 (public here too)
from ..datafile import toml_value
from ..errors import UserError
from ..render.export import _check_target, json_dumps, jsonable, refuse_overwrite, write_text_safely


@dataclass
class CalibrationResult:
    """What ``calibrate`` wrote: the calibration, one row per trace (DataFrame) and the measurements."""

    calibration: Calibration
    traces: object                  # pandas DataFrame
    measurements: list
    path: Path

    def to_dict(self) -> dict:
        """Plain Python (numpy scalars unwrapped, NaN -> None); ``traces`` as a list of records."""
        c = self.calibration
        return jsonable({
            "path": str(self.path), "mcu": c.mcu, "runtime": c.runtime, "latency_scale": c.latency_scale,
            "current_scale": c.current_scale, "sleep_current_a": c.sleep_current_a, "notes": list(c.notes),
            "traces": self.traces,
        })

    def to_json(self) -> str:
        return json_dumps(self.to_dict())


def _per_trace(values: Sequence, n: int, what: str) -> list:
    values = list(values or [])
    if not values:
        return [None] * n
    if len(values) == 1:
        return values * n
    if len(values) != n:
        raise UserError(f"{len(values)} {what} values for {n} traces; give one, or one per trace")
    return values


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _geomean(values) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def calibrate(traces, *, models, mcu: str, runtime: Optional[str] = None, clock_mhz=(), supply_v=None,
              marker=None, threshold_a=None, output, force: bool = False) -> CalibrationResult:
    """Measure each trace, predict it with ``estimate`` and write the fitted override TOML to ``output``.

    ``models``: one model for all traces or one per trace; ``clock_mhz``: none, one, or one per trace [MHz];
    ``supply_v`` [V] for traces without voltage. ``output`` must not exist unless ``force``.
    """
    import pandas as pd

    from .api import measure

    traces = [Path(t) for t in (traces if isinstance(traces, (list, tuple)) else [traces])]
    if not traces:
        raise UserError("give at least one trace to calibrate from")
    output = Path(output)
    if output.suffix.lower() != ".toml":
        raise UserError(f"-o {output}: the power-model override is a .toml file (e.g. -o board.toml)")
    _check_target(output)   # a folder, or a missing folder, before "exists"
    refuse_overwrite(output, force)
    models = _per_trace(models if isinstance(models, (list, tuple)) else [models], len(traces), "--model")
    if any(m is None for m in models):
        raise UserError("give the model each trace ran with --model")
    for m in models:  # fail before reading long traces
        if isinstance(m, (str, Path)) and not Path(m).exists():
            raise UserError(f"model not found: {m}")
    for t in traces:
        if not t.exists():
            raise UserError(f"trace not found: {t}")
    clocks = _per_trace(clock_mhz if isinstance(clock_mhz, (list, tuple)) else [clock_mhz], len(traces),
                        "--clock-mhz")
    from .. import chain  # looked up at call time: the estimate chain

    for model, clock in dict.fromkeys(zip(models, clocks)):  # bad --mcu/--runtime/--clock-mhz: fail before reading
        chain.estimate(model, mcu=mcu, runtime=runtime, clock_mhz=clock)

    rows, measurements = [], []
    for trace, model, clock in zip(traces, models, clocks):
        m = measure(trace, supply_v=supply_v, marker=marker, threshold_a=threshold_a)
        s = m.calibration_inputs()   # event medians of a trace; window averages of an EnergyRunner run
        volts = s["supply_v"]
        r = chain.estimate(model, mcu=mcu, runtime=runtime, clock_mhz=clock, supply_v=volts)
        pred_latency = float(r.summary["latency_s"])
        pred_energy = float(r.summary["energy_per_inference_j"])
        pred_power = float(r.summary["inference_power_w"])
        if not (pred_latency > 0 and pred_power > 0):
            raise UserError(f"estimate for {Path(model).name} on {mcu} predicts no latency or power; cannot scale")
        resolved_runtime, resolved_mcu = r.target["runtime"], r.target["mcu"]  # as the estimate resolved them
        measured_current = s["event_energy_j"] / (s["event_duration_s"] * volts)
        clock_hz = float(r.summary["clock_hz"])
        rows.append({
            "path": str(trace), "sha256": _sha256(getattr(m, "data_file", trace)), "format": m.format,
            "model": str(model),
            "clock_hz": clock_hz, "supply_v": volts, "n_events": s["n_events"],
            "event_duration_s": s["event_duration_s"], "event_energy_j": s["event_energy_j"],
            "inference_current_a": measured_current, "baseline_current_a": s["baseline_current_a"],
            "floor_current_a": s["floor_current_a"],
            "predicted_latency_s": pred_latency, "predicted_energy_j": pred_energy,
            "predicted_current_a": pred_power / volts,
            "latency_ratio": s["event_duration_s"] / pred_latency,
            "current_ratio": measured_current / (pred_power / volts),
        })
        measurements.append(m)
    frame = pd.DataFrame(rows)
    latency_scale = _geomean(frame["latency_ratio"])
    current_scale = _geomean(frame["current_ratio"])
    floors = frame["floor_current_a"].dropna()
    sleep = float(floors.median()) if len(floors) else None  # None: no idle time between the events
    if sleep is not None and not (math.isfinite(sleep) and sleep >= 0):
        raise UserError(f"the sleep floor of the traces is {sleep:.3g} A (negative or not finite): check the meter's "
                        "zero offset and the trace's current unit; nothing was written")
    frame["latency_residual"] = frame["latency_ratio"] / latency_scale - 1.0
    frame["energy_residual"] = frame["latency_ratio"] * frame["current_ratio"] / (latency_scale * current_scale) - 1.0
    n = len(frame)
    names = ", ".join(Path(p).name for p in frame["path"])
    texts = {
        "latency_scale": f"geometric mean of measured/predicted inference duration over {n} trace(s): {names}",
        "current_scale": f"geometric mean of measured/predicted inference current (energy / (duration x supply)) "
                         f"over {n} trace(s): {names}",
        "sleep_current_a": f"median sleep floor (level of the samples outside the events) of {n} trace(s): {names}",
    }
    notes = [f"{Path(r['path']).name}: {Path(r['model']).name}, {r['n_events']} events, latency x"
             f"{r['latency_ratio']:.3g}, current x{r['current_ratio']:.3g}" for r in rows]
    notes += [m.calibration_inputs()["note"] for m in measurements if m.calibration_inputs().get("note")]
    if n > 1:
        worst = float(frame["energy_residual"].abs().max())
        notes.append(f"joint fit over {n} traces: largest energy residual {worst:.1%}")
        if worst > 0.10:
            notes.append("the traces disagree by more than 10 %: one scale per board does not fit them all; check "
                         "the --model and --clock-mhz given for each trace")
    notes += _plausibility(latency_scale, current_scale)
    if sleep is None:
        del texts["sleep_current_a"]
        notes.append("no idle time between events in any trace: sleep current not measured (catalog value kept)")
    provenance = {name: ("measured", text) for name, text in texts.items()}
    calibration = Calibration(resolved_mcu, resolved_runtime, latency_scale, current_scale, sleep, notes, str(output),
                              provenance)
    _write(output, calibration, frame)
    return CalibrationResult(calibration, frame, measurements, output)


LATENCY_RANGE = (0.25, 4.0)   # measured / predicted inference duration outside this: a set-up mistake is likelier
CURRENT_RANGE = (0.3, 3.0)    # measured / predicted inference current outside this: the same


def _plausibility(latency_scale: float, current_scale: float) -> list[str]:
    """Warnings (written into the file's notes) for scales a mistake explains better than the board does."""
    out = []
    lo, hi = LATENCY_RANGE
    if not lo <= latency_scale <= hi:
        out.append(f"warning: measured inference duration is {latency_scale:.3g} x the prediction (outside "
                   f"{lo:g}-{hi:g}): check --clock-mhz (the clock the board ran), --model (the model it ran) and "
                   "--marker (high around the inference only)")
    lo, hi = CURRENT_RANGE
    if not lo <= current_scale <= hi:
        out.append(f"warning: measured inference current is {current_scale:.3g} x the prediction (outside "
                   f"{lo:g}-{hi:g}): check --supply-v and the trace's current unit, and whether the board's "
                   "regulator, LEDs or sensors are in the measured path")
    return out


# ------------------------------------------------------------------------------------------ TOML
def render_toml(c: Calibration, frame) -> str:
    """The override file text: three figures with ``measured`` provenance, then one ``[[trace]]`` each."""
    today = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# written by energy calibrate on {today}",
             "# apply with: energy estimate MODEL --mcu {0} --power-model THIS.toml".format(c.mcu),
             f"format_version = {FORMAT_VERSION}",
             f"mcu = {toml_value(c.mcu)}"]
    if c.runtime:
        lines.append(f"runtime = {toml_value(c.runtime)}")
    for name in FIGURES:
        if getattr(c, name) is None:
            continue
        lines.append(f"{name} = {{ value = {toml_value(float(getattr(c, name)))}, "
                     f"{c.provenance[name][0]} = {toml_value(c.provenance[name][1])} }}")
    lines.append(f"notes = {toml_value(list(c.notes))}")
    for row in frame.to_dict("records"):
        lines += ["", "[[trace]]",
                  f"measured = {toml_value('energy measure of ' + Path(row['path']).name + ', per-trace record')}"]
        for key, value in row.items():
            if value is None or (isinstance(value, float) and not math.isfinite(value)):
                continue
            if hasattr(value, "item"):
                value = value.item()
            lines.append(f"{key} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


def _write(output: Path, c: Calibration, frame) -> None:
    write_text_safely(output, render_toml(c, frame))


