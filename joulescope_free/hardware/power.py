"""Power model: supply current while the core runs inference, from the part's datasheet run current.

``I_datasheet(f, V) = I_fixed + k * f`` at the part's reference supply; an on-chip LDO passes the core current
through unchanged (current independent of VDD), a switch-mode regulator (SMPS / DC-DC) keeps power about constant
(current ~ V_ref / V). Datasheet run figures are CoreMark or while(1) loops; TinyML kernels stream flash and SRAM and
keep the SIMD units busy, so inference draws more. That ratio, the *inference workload factor*, is measured where a
part has points in ``power_models/inference_current.toml`` and otherwise is the geometric mean of the measured parts.
A runtime's ``activity`` scales it (some code generators keep the core busier than others).
Energy per inference = supply_v x current_a x latency_s.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from ..datafile import as_figure, load_toml
from ..paths import data_dir


def through_regulator(current_a: float, regulator: str, reference_v: float, supply_v: float,
                      power_slope_per_v: float = 0.0) -> float:
    """A current figure that holds at ``reference_v`` moved to ``supply_v`` through an on-chip regulator (one of
    catalog.REGULATORS): an LDO passes the current through; a switcher (SMPS, DC/DC) keeps the power, changed by
    ``power_slope_per_v`` per volt where the part's tables give it (the converter draws more at a higher input), so
    current = I_ref x V_ref / V x (1 + slope x (V - V_ref))."""
    if regulator in ("smps", "dcdc") and supply_v > 0:
        return current_a * reference_v / supply_v * (1.0 + power_slope_per_v * (supply_v - reference_v))
    return current_a


def datasheet_run_current_a(mcu, clock_hz: float, supply_v: float) -> float:
    """Run current from the catalog figures at ``clock_hz`` (the lowest voltage range that allows it, where the part
    lists ranges), moved to ``supply_v`` through the on-chip regulator (:func:`through_regulator`)."""
    return through_regulator(mcu.run_current_a(clock_hz), mcu.regulator, mcu.run_reference_v, supply_v,
                             mcu.power_slope_per_v)


@dataclass(frozen=True)
class WorkloadPoint:
    mcu: str
    runtime: str
    clock_hz: float
    supply_v: float
    current_a: float
    note: str


@lru_cache(maxsize=None)
def workload_points() -> tuple:
    path = data_dir("power_models") / "inference_current.toml"
    raw = load_toml(path)
    out = []
    for i, p in enumerate(raw.get("point", [])):
        where = f"{path} point {i + 1}"
        out.append(WorkloadPoint(
            mcu=p["mcu"], runtime=p["runtime"],
            clock_hz=float(as_figure(p["clock_hz"], where + " clock_hz").value),
            supply_v=float(as_figure(p["supply_v"], where + " supply_v").value),
            current_a=float(as_figure(p["current_a"], where + " current_a").value),
            note=str(p["current_a"].get("source") or p["current_a"].get("derived")),
        ))
    return tuple(out)


@lru_cache(maxsize=None)
def workload_factors() -> dict:
    """mcu id -> measured inference workload factor (geometric mean over that part's points)."""
    from .catalog import load_mcu
    from .runtimes import load_runtime

    logs: dict = {}
    for p in workload_points():
        mcu = load_mcu(p.mcu)
        runtime = load_runtime(p.runtime)
        predicted = datasheet_run_current_a(mcu, p.clock_hz, p.supply_v) * runtime.coefficients["activity"]
        logs.setdefault(p.mcu, []).append(math.log(p.current_a / predicted))
    return {k: math.exp(sum(v) / len(v)) for k, v in logs.items()}


def default_workload_factor() -> tuple[float, float]:
    """(geometric mean, geometric standard deviation) of the measured parts' factors."""
    vals = [math.log(v) for v in workload_factors().values()]
    mean = sum(vals) / len(vals)
    sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / max(len(vals) - 1, 1))
    return math.exp(mean), math.exp(sd)


@dataclass(frozen=True)
class InferencePower:
    current_a: float              # supply current during inference
    run_current_a: float          # datasheet run current at this clock and supply (wake-up, pre-processing)
    workload_factor: float
    measured: bool                # the factor comes from a measurement of this part
    assumptions: tuple


def inference_power(mcu, runtime, clock_hz: float, supply_v: float) -> InferencePower:
    run = datasheet_run_current_a(mcu, clock_hz, supply_v)
    factors = workload_factors()
    notes = []
    if mcu.id in factors:
        factor, measured = factors[mcu.id], True
    elif getattr(mcu, "inference_factor", 0.0) > 0:
        factor, measured = mcu.inference_factor, False
        notes.append(f"inference current = datasheet run current x {factor:.2f}, the part's own figure "
                     f"({mcu.provenance['run.inference_factor'][1]}); no inference measurement of {mcu.id}")
    else:
        factor, spread = default_workload_factor()
        measured = False
        notes.append(
            f"inference current = datasheet run current x {factor:.2f} (workload factor of the measured parts "
            f"{', '.join(sorted(factors))}; they spread x/÷ {spread:.2f}); no inference measurement of {mcu.id}"
        )
    activity = runtime.coefficients["activity"]
    return InferencePower(current_a=run * factor * activity, run_current_a=run, workload_factor=factor,
                          measured=measured, assumptions=tuple(notes))
