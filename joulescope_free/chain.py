"""The estimate chain: model analysis -> cycles -> power -> duty cycle -> battery.

Each step is a plain function of the previous step's output, so the chain can be entered part-way: ``estimate``
takes a .tflite path, its bytes, or an analysis already made (``jf.analyze`` result or ``ModelAnalysis``).

The features that call the chain import this module: the public API (:mod:`joulescope_free.api`: ``estimate``,
``sweep``), ``review`` (compare, report), ``measure.calibrate`` and ``validation``. It imports none of them back;
the error bands it attaches come from :mod:`joulescope_free.bands`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from .deferred import Deferred, built_on_read, frame_from_rows, plain_value, series_from_dict, unbuilt
from .errors import UserError
from .render.export import json_dumps

if TYPE_CHECKING:
    import pandas as pd


# ------------------------------------------------------------------------------------------------ analysis
def _analysis(model):
    """A ModelAnalysis from a path, bytes or an existing analysis (or the DataFrame ``analyze`` returns)."""
    from .model.analysis import ModelAnalysis, analyze_bytes, analyze_path

    if isinstance(model, ModelAnalysis):
        return model
    attrs = getattr(model, "attrs", None)  # the DataFrame ``analyze`` returns
    if isinstance(attrs, dict) and isinstance(attrs.get("analysis"), ModelAnalysis):
        return attrs["analysis"]
    if isinstance(model, (bytes, bytearray)):
        return analyze_bytes(bytes(model))
    if isinstance(model, (str, Path)):
        path = Path(model)
        try:
            stat = path.stat()
            key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        except OSError:
            return analyze_path(path)  # raises the proper UserError
        return _cached_analysis(key, str(model)) if path.suffix.lower() == ".tflite" else analyze_path(path)
    raise UserError(f"model must be a .tflite path, its bytes or an analysis, not {type(model).__name__}")


@lru_cache(maxsize=32)
def _cached_analysis(key, given_path: str):
    """``key``: (resolved path, mtime, size) of the file at ``given_path``, the path as the user wrote it (what the
    result shows: outputs never name where the file sits on this machine unless the user did)."""
    from .model.analysis import analyze_path

    return analyze_path(Path(given_path))


# ------------------------------------------------------------------------------------------------ target
def _resolve_target(mcu, runtime, clock_mhz, supply_v, build=None):
    from .hardware.catalog import Mcu, clock_limit, load_mcu
    from .hardware.runtimes import Runtime, load_core, load_runtime, with_build

    part = mcu if isinstance(mcu, Mcu) else load_mcu(str(mcu))
    rt = runtime if isinstance(runtime, Runtime) else load_runtime(runtime or part.default_runtime)
    if rt.cores and part.core not in rt.cores:
        raise UserError(f"runtime '{rt.id}' does not run on {part.core} ({part.id}); "
                        f"runtimes for {part.id}: {', '.join(_runtimes_for(part)) or 'none'}")
    if rt.vendors and not part.typical and part.vendor not in rt.vendors:
        raise UserError(f"runtime '{rt.id}' runs only on {', '.join(rt.vendors)} parts, not on {part.id} "
                        f"({part.vendor}); runtimes for {part.id}: {', '.join(_runtimes_for(part))} "
                        f"(default {part.default_runtime})")
    core = load_core(part.core)
    if build is not None:
        rt = with_build(rt, build, core)
    if clock_mhz is None:
        clock_hz = part.default_clock_hz
    else:
        try:
            clock_hz = float(clock_mhz) * 1e6
        except (TypeError, ValueError):
            raise UserError(f"--clock-mhz must be a number of MHz or 'best', not '{clock_mhz}'") from None
        if not clock_hz > 0 or math.isinf(clock_hz):
            raise UserError(f"clock must be positive, got {clock_mhz} MHz")
        limit_hz, limit_what = clock_limit(part, core)  # a generic core id: any clock a shipping part reaches
        if clock_hz > limit_hz * (1 + 1e-9):
            raise UserError(f"clock {clock_hz / 1e6:g} MHz is above {limit_what} of {limit_hz / 1e6:g} MHz; "
                            f"use --clock-mhz up to {limit_hz / 1e6:g}")
        if part.fixed_clock and abs(clock_hz - part.max_clock_hz) > 1e-9 * part.max_clock_hz:
            raise UserError(f"the {part.id} core runs at {part.max_clock_hz / 1e6:g} MHz only; leave out "
                            f"--clock-mhz or give {part.max_clock_hz / 1e6:g}")
    if supply_v is not None:
        try:
            supply_v = float(supply_v)
        except (TypeError, ValueError):
            raise UserError(f"--supply-v must be a number of volts, not '{supply_v}'") from None
        lo, hi = part.supply_min_v, part.supply_max_v
        if not (lo - 1e-9 <= supply_v <= hi + 1e-9):
            raise UserError(f"supply {supply_v:g} V is outside the {part.id} range {lo:g}-{hi:g} V; "
                            f"use --supply-v between {lo:g} and {hi:g}")
    return part, rt, core, clock_hz, supply_v


def _low_reach(analysis, part, rt, core, clock_hz: float) -> tuple:
    """(ratio, why) for :func:`bands.band_summary`: what the latency would be if the part's unknown instruction
    cache held the kernels (code executing in place from serial flash), else (1.0, '')."""
    from .hardware.cycles import unknown_cache_ratio

    ratio = unknown_cache_ratio(_layer_arrays(analysis), rt, core, part, clock_hz)
    if ratio >= 0.999:
        return 1.0, ""
    return ratio, (f"{part.id}'s instruction-cache size is not a sourced figure; with a cache of 4 KiB or more in "
                   f"front of its serial flash the kernels would not wait for every fetch")


def float_unvalidated(arrays) -> str:
    """Why a model's band cannot rest on the validation table (whose rows are all int8): more than half of its MACs
    run float32 (or hybrid, float-activation) kernels, whose costs were simulated but never measured on a board;
    '' otherwise."""
    import numpy as np

    macs = np.asarray(arrays.macs, dtype=float)
    share = float(macs[arrays.is_float].sum() / macs.sum()) if macs.sum() > 0 else 0.0
    if share <= 0.5:
        return ""
    return f"{share:.0%} of the MACs are float32 or hybrid layers, never measured on a board (the table is int8)"


def band_context(part, clock_hz: float) -> dict:
    """The part-dependent inputs of :func:`bands.band_summary`: whether the part's inference current is its own
    measurement (not on another supply path than the measured one), and why the target itself is unknown (a typical
    part above its own clock: its memory system is then a guess)."""
    from .hardware.power import workload_factors

    above = part.typical and clock_hz > part.max_clock_hz * (1 + 1e-9)
    unknown = f"typical {part.id} above its {part.max_clock_hz / 1e6:g} MHz" if above else ""
    run_note = (getattr(part, "provenance", {}) or {}).get("run.current_per_hz_a", ("", ""))
    if not unknown and run_note[0] == "derived" and "widest band" in run_note[1]:  # a run current with no figure
        unknown = f"{part.id} run current derived from its core class and process (no published figure)"
    return {"current_measured": part.id in workload_factors() and not part.off_usual_path,
            "unknown_target": unknown}


def _runtimes_for(part) -> list:
    """Ids of the runtimes that run on ``part`` (its core class and, for vendor runtimes, its vendor)."""
    from .hardware.runtimes import list_runtimes

    return [r.id for r in list_runtimes() if (not r.cores or part.core in r.cores)
            and (not r.vendors or part.typical or part.vendor in r.vendors)]


def _other_releases(analysis, part, rt, core, clock_hz) -> str:
    """With no release asked for: the release used and what the runtime's other releases would give (latency on
    this model and target), the estimated-only ones marked."""
    from .hardware.cycles import cycle_arrays, total_cycles
    from .hardware.runtimes import load_runtime

    if len(rt.versions) < 2:
        return ""

    def latency(r):
        return total_cycles(*cycle_arrays(_layer_arrays(analysis), r, core, part, clock_hz), r, core) / clock_hz

    base = latency(rt)
    others = []
    for version in rt.versions:
        if version != rt.version:
            other = load_runtime(f"{rt.id}@{version}")
            tag = "" if _has_measurements(other) else ", estimated only"
            others.append(f"{version} {latency(other) * 1e3:.3g} ms (x{latency(other) / base:.2f}{tag})")
    return (f"no {rt.id} release given: {rt.version}, the newest whose costs are fitted to measurements or "
            f"simulated; the other releases on this model and target: {'; '.join(others)} (choose one with "
            f"--runtime {rt.id}@VERSION)")


def _has_measurements(rt) -> bool:
    """Whether a runtime version's costs rest on data: fitted to measurements, or simulated kernels of an open
    runtime (not a closed runtime's ratios that are only derived from another release)."""
    key = "conv_ratio" if rt.kernel_ratios else "conv_cycles_per_mac"
    fitted = rt.provenance.get(key, ("", ""))[1].startswith("fitted")
    return fitted or bool((rt.kernels or rt.kernels_by_core) and not rt.kernel_ratios)


# ------------------------------------------------------------------------------------------------ inference
@dataclass(frozen=True)
class InferenceCost:
    """One inference on the target: what the duty model needs."""

    latency_s: float
    energy_j: float
    supply_v: float
    clock_hz: float
    run_current_a: float          # supply current while running at clock_hz (wake-up, busy phases)
    current_a: float              # supply current during inference


def _layer_arrays(analysis):
    """The cycle model's view of the layer table, computed once per analysis."""
    from .hardware.cycles import layer_arrays

    arrays = getattr(analysis, "_layer_arrays", None)
    if arrays is None:
        arrays = layer_arrays(analysis.records)
        try:
            analysis._layer_arrays = arrays
        except AttributeError:
            pass
    return arrays


def _inference(analysis, part, rt, core, clock_hz, supply_v, calibration=None, detail=True, npu=None):
    """(InferenceCost, layer table with cycles/latency/energy (a :class:`Deferred`) or None, total cycles,
    InferencePower)."""
    from .hardware.cycles import cycle_arrays, total_cycles as inference_total
    from .hardware.power import inference_power

    compute, memory = cycle_arrays(_layer_arrays(analysis), rt, core, part, clock_hz)
    latency_scale = calibration.latency_scale if calibration else 1.0
    total_cycles = inference_total(compute, memory, rt, core) * latency_scale
    power = inference_power(part, rt, clock_hz, supply_v)
    if npu is not None:  # the layers the NPU takes replace their CPU cycles (hardware/npu.py)
        from .hardware.npu import split_inference

        return split_inference(npu, analysis, part, rt, core, clock_hz, supply_v, compute * latency_scale,
                               memory * latency_scale, power, calibration, detail, InferenceCost, _layer_table)
    current = power.current_a * (calibration.current_scale if calibration else 1.0)
    latency_s = total_cycles / clock_hz
    cost = InferenceCost(latency_s=latency_s, energy_j=latency_s * current * supply_v, supply_v=supply_v,
                         clock_hz=clock_hz, run_current_a=power.run_current_a, current_a=current)
    layers = None
    if detail:
        cycles = (compute + memory) * latency_scale
        latency = cycles / clock_hz
        added = {"cycles": cycles, "memory_cycles": memory * latency_scale, "latency_s": latency,
                 "energy_j": latency * current * supply_v}
        layers = _layer_table(analysis, added)
    return cost, layers, total_cycles, power


def _board_inference(analysis, part, rt, board, threads, clock_hz, supply_v, calibration=None, detail=True,
                     peripherals=None):
    """:func:`_inference` for a Linux board (:mod:`hardware.sbc`): the XNNPACK throughput model on ``threads``
    cores and the board's current at its input. Returns the same four values; the fourth is the board inference."""
    from .hardware.sbc import board_inference

    b = board_inference(analysis.records, part, board, rt.id, threads, clock_hz, peripherals)
    latency_scale = calibration.latency_scale if calibration else 1.0
    current = b.current_a * (calibration.current_scale if calibration else 1.0)
    latency_s = b.latency_s * latency_scale
    cost = InferenceCost(latency_s=latency_s, energy_j=latency_s * current * supply_v, supply_v=supply_v,
                         clock_hz=clock_hz, run_current_a=part.run_current_a(clock_hz), current_a=current)
    layers = None
    if detail:
        import numpy as np

        latency = b.layer_latency_s * latency_scale
        layers = _layer_table(analysis, {"cycles": b.layer_cycles * latency_scale,
                                         "memory_cycles": np.zeros(len(latency)), "latency_s": latency,
                                         "energy_j": latency * current * supply_v})
    return cost, layers, latency_s * clock_hz, b


def _layer_table(analysis, added: dict) -> Deferred:
    """The analysis layer table with the ``added`` per-layer columns (numpy arrays), made on first read."""
    return Deferred(_layers_frame, _layers_plain, (analysis, added))


def _layers_frame(analysis, added: dict):
    layers = analysis.layers.copy()
    for name, values in added.items():
        layers[name] = values
    return layers


def _layers_plain(analysis, added: dict) -> list:
    columns = {name: values.tolist() for name, values in added.items()}
    return [{**row, **{name: values[i] for name, values in columns.items()}} for i, row in enumerate(analysis.records)]


# ------------------------------------------------------------------------------------------------ result
@dataclass
class Estimate:
    """What ``estimate`` returns: pandas objects (made on first read) plus the JSON/Excel writers."""

    model: dict
    target: dict
    summary: pd.Series = built_on_read()
    layers: pd.DataFrame = built_on_read()
    phases: pd.DataFrame = built_on_read()
    battery: dict | None
    assumptions: list
    warnings: list
    drivers: list = field(default_factory=list)
    clock_search: object = None   # hardware.clock.ClockSearch when the clock was chosen with clock_mhz="best"

    def to_dict(self) -> dict:
        summary = plain_value(self, "summary")
        out = {"model": self.model, "target": self.target,
               "summary": summary.to_dict() if hasattr(summary, "to_dict") else summary,
               "layers": plain_value(self, "layers"), "phases": plain_value(self, "phases"), "battery": self.battery,
               "assumptions": self.assumptions, "warnings": self.warnings, "drivers": self.drivers}
        if self.clock_search is not None:
            out["clock_search"] = self.clock_search.to_dict()
        return out

    def to_json(self) -> str:
        return json_dumps(self.to_dict())

    def to_excel(self, path) -> Path:
        from .render.xlsx import write_workbook

        return write_workbook(self, Path(path))

    def __repr__(self) -> str:  # short, for notebooks
        s = plain_value(self, "summary")
        return (f"Estimate({self.target['mcu']}/{self.target['runtime']} @ {self.target['clock_hz'] / 1e6:g} MHz: "
                f"{s['latency_s'] * 1e3:.3g} ms, {s['energy_per_inference_j'] * 1e6:.3g} µJ per inference)")


def _load_calibration(power_model, part, rt, assumptions, warnings):
    if power_model is None:
        return None
    from .calibration import Calibration, load_calibration

    cal = power_model if isinstance(power_model, Calibration) else load_calibration(power_model)
    if cal.mcu and cal.mcu != part.id:
        raise UserError(f"power model {getattr(cal, 'path', '')} was calibrated on '{cal.mcu}', not '{part.id}'; "
                        f"use --mcu {cal.mcu} or calibrate this board")
    if cal.runtime and cal.runtime.split("@")[0] != rt.id:
        warnings.append(f"power model was calibrated with runtime {cal.runtime}, estimate uses {rt.label}")
    src = getattr(cal, "path", "") or "calibration"
    assumptions.append(f"measured: inference duration x {cal.latency_scale:.3f} and current x "
                       f"{cal.current_scale:.3f} from {src}")
    if cal.sleep_current_a is not None:
        assumptions.append(f"measured: sleep current {cal.sleep_current_a * 1e6:.3g} µA from {src}")
    return cal


def _dedupe(lines: Iterable[str]) -> list:
    seen, out = set(), []
    for line in lines:
        if line and line not in seen:
            seen.add(line)
            out.append(line)
    return out


def estimate(model, mcu, runtime: str | None = None, clock_mhz: float | None = None,
             supply_v: float | None = None, duty: str | float | None = None, profile=None, battery=None,
             regulator=None, power_model=None, build: str | None = None, sleep: str | None = None,
             accelerator: str | None = None,
             weights_in: str | None = None, arena_in: str | None = None,
             supply_path: str | None = None, threads: int | None = None, peripherals=None) -> Estimate:
    """Latency, energy per inference, RAM/flash fit and (with ``duty`` or ``profile``) battery life.

    model: .tflite path, bytes, or an analysis; mcu: catalog id or alias (``energy mcus``); runtime: id[@version]
    (default: the part's); clock_mhz [MHz] or ``"best"`` (lowest average current for the duty cycle, else lowest
    energy per inference; ``Estimate.clock_search`` has the curve); supply_v [V] (default: the battery's voltage when a battery feeds the
    MCU directly, else the part's default); duty: rate such as ``"1/min"`` or a rate in Hz; profile: shipped id or
    TOML path; battery: id such as ``"cr2032"``/``"2xaa-alkaline"`` or a dict; power_model: ``energy calibrate`` TOML;
    build: how the runtime's kernels are compiled (``"O2"``, ``"Os"``; default: the runtime's usual build);
    battery defaults to 2xAA alkaline when a rate is given (``"none"``: no battery life); sleep: a sleep-mode name
    (``energy mcus ID``) instead of the cheaper of retaining the state and a cold start; supply_path: how VDD
    reaches the core (``"ldo"``, ``"smps"``, ``"dcdc"``; default: the part's usual one, or the one its board
    name implies, e.g. NUCLEO-L4R5ZI-P: smps); accelerator: ``"npu"`` or ``"none"`` (default: the part's NPU where it
    has one, see :mod:`hardware.npu`; ``"none"``: the same part on its CPU only); weights_in, arena_in: the memory that holds the weights / the tensor
    arena, a region name or kind of the part (``"flash"``, ``"sram"``, ``"psram"``, ``"tcm"``, ``"qspi"``; default:
    the part's memory map, see :mod:`hardware.memory`).
    """
    analysis = _analysis(model)
    if supply_path is not None:
        from .hardware.catalog import load_mcu

        mcu = load_mcu(mcu, supply_path=supply_path)
    if weights_in is not None or arena_in is not None:
        from .hardware.memory import place

        mcu = place(mcu, weights_in, arena_in)
    search = None
    if isinstance(clock_mhz, str) and clock_mhz.strip().lower() == "best":
        search = _best_clock(analysis, mcu, runtime, supply_v, duty, profile, battery, regulator, power_model,
                             build, sleep, accelerator)
        clock_mhz = search.clock_hz / 1e6
    c = _chain(analysis, mcu, runtime, clock_mhz, supply_v, duty, profile, battery, regulator, power_model,
               accelerator=accelerator, build=build, sleep=sleep, threads=threads,
               peripherals=peripherals)
    if search is not None:
        c["assumptions"] = _dedupe(list(search.notes) + c["assumptions"])
    if c["phases"] is not None:
        phases = c["phases"]
    else:  # no duty cycle: an empty table with the duty stage's columns
        from .usage.lifetime import PHASE_COLUMNS

        phases = frame_from_rows([], PHASE_COLUMNS)
    return Estimate(model=analysis.to_dict()["model"], target=c["target"], summary=series_from_dict(c["summary"]),
                    layers=c["layers"], phases=phases, battery=c["battery"], assumptions=c["assumptions"],
                    warnings=c["warnings"], drivers=c["drivers"], clock_search=search)


def _memory_notes(analysis, part, core, clock_hz) -> list:
    """Where the part keeps the code, weights and arena (its memory map or the user's placement), as assumptions."""
    from .hardware.cycles import arena_estimate_bytes
    from .hardware.memory import placement_notes

    if core is None:
        return []
    arrays = _layer_arrays(analysis)
    weights, arena = float(arrays.weights_bytes.sum()), arena_estimate_bytes(arrays)
    lines = placement_notes(part, weights, arena, clock_hz, core)
    from .hardware.cycles import fetch_stall_fraction
    from .hardware.memory import placement

    stall = fetch_stall_fraction(part, clock_hz) if placement(part, weights, arena).code.kind in ("flash", "qspi") else 0
    if stall > 0:
        lines.append(f"{part.id}: code runs from flash at {part.wait_states(clock_hz)} wait states without an "
                     f"instruction cache that holds the kernels: +{stall:.0%} code-fetch stall on the compute cycles "
                     f"(power_models/memory_system.toml: fitted to microTVM + CMSIS-NN on NUCLEO-L4R5ZI at 120 MHz; "
                     f"a build whose kernels run from SRAM or a warm flash cache does not pay it)")
    return lines


def _best_clock(analysis, mcu, runtime, supply_v, duty, profile, battery, regulator, power_model, build, sleep,
                accelerator=None):
    """``clock_mhz="best"``: search the part's clock range with the chain (see :mod:`hardware.clock`)."""
    from .hardware.clock import optimal_clock

    part = _resolve_target(mcu, runtime, None, supply_v, build)[0]
    objective = "average_current_a" if duty is not None or profile is not None else "energy_per_inference_j"
    cache: dict = {}

    def evaluate(clock_hz):
        return _chain(analysis, part, runtime, clock_hz / 1e6, supply_v, duty, profile, battery, regulator,
                      power_model, detail=False, cache=cache, build=build, sleep=sleep, accelerator=accelerator)["summary"]

    return optimal_clock(evaluate, part, objective)


def _chain(analysis, mcu, runtime=None, clock_mhz=None, supply_v=None, duty=None, profile=None, battery=None,
           regulator=None, power_model=None, detail: bool = True, cache: dict | None = None, build=None,
           accelerator=None, sleep=None, threads=None, peripherals=None) -> dict:
    """The chain itself, in plain Python: summary dict, target, layers (when ``detail``), phases, notes.

    ``cache`` (sweeps) keeps the inference part of each (model, part, runtime, clock, supply) combination."""
    part, rt, core, clock_hz, explicit_supply = _resolve_target(mcu, runtime, clock_mhz, supply_v, build)
    from .hardware.npu import npu_of, resolve_accelerator

    npu, rt = resolve_accelerator(part, rt, accelerator)  # the part's NPU (None: CPU only) and the host's runtime
    from .hardware.catalog import above_typical_clock_note
    from .hardware.sbc import check_threads, linux_board

    board = linux_board(part)  # a Linux single-board computer: its own latency (threads) and board power model
    threads = check_threads(threads, board, part.id)
    if board is not None:
        from .hardware.sbc import board_part, parse_peripherals

        peripherals = parse_peripherals(peripherals, board)
        part = board_part(part, board, peripherals)  # idle-based figures moved by the peripherals switched
    elif peripherals is not None:
        raise UserError(f"--peripherals applies to Linux boards, not {part.id}; leave it out")

    above = above_typical_clock_note(part, clock_hz)
    assumptions: list = [above]
    warnings: list = list(analysis.warnings) + ([above] if above else [])  # a clock no typical part reaches
    if part.run_ranges:
        r = part.run_range(clock_hz)
        assumptions.append(f"{clock_hz / 1e6:g} MHz runs in {r.name} (up to {r.max_clock_hz / 1e6:g} MHz), the "
                           f"lowest of the {part.id}'s voltage ranges that allows it: its run current and wait states")

    prof = None
    if profile is not None:
        from .usage.profiles import load_profile

        prof = load_profile(profile)
    rate_hz = None
    if duty is not None:
        if isinstance(duty, (int, float)):
            rate_hz = float(duty)
            if not rate_hz > 0:
                raise UserError(f"duty rate must be positive, got {duty}")
        else:
            from .usage.duty import parse_rate

            rate_hz = parse_rate(str(duty))
    elif prof is not None:
        if prof.rate_hz is None:
            raise UserError("the profile has no rate and no --duty was given; add rate = \"1/min\" or pass --duty")
        rate_hz = prof.rate_hz
    from .usage.supply import is_none, power_source

    if battery is not None and not is_none(battery) and rate_hz is None and prof is None:
        raise UserError("a battery life needs an inference rate: add --duty (e.g. 1/min) or --profile")
    if prof is not None and prof.mcu and prof.mcu not in (part.id, *part.aliases):
        warnings.append(f"profile {prof.id} was written for {prof.mcu}; this estimate uses --mcu {part.id}")
    source = power_source(part, battery, regulator, prof, rate_hz, explicit_supply)
    batt, reg, supply = source.battery, source.regulator, source.supply_v
    assumptions += source.assumptions

    calibration = _load_calibration(power_model, part, rt, assumptions, warnings)
    key = (id(analysis), part.id, rt.label, rt.build, clock_hz, supply, id(calibration), threads,
           tuple(sorted(peripherals.items())) if board is not None else None)
    key = key + (npu is not None,)
    if cache is not None and key in cache:
        cost, layers, total_cycles, power = cache[key]
    elif board is not None:
        cost, layers, total_cycles, power = _board_inference(analysis, part, rt, board, threads, clock_hz, supply,
                                                             calibration, detail, peripherals)
        if cache is not None:
            cache[key] = (cost, layers, total_cycles, power)
    else:
        cost, layers, total_cycles, power = _inference(analysis, part, rt, core, clock_hz, supply, calibration,
                                                       detail=detail, npu=npu)
        if cache is not None:
            cache[key] = (cost, layers, total_cycles, power)

    s = dict(analysis.summary)
    # the runtime decides the overheads: interpreter state in RAM, its code in flash
    # TFLM-based runtimes: the analysis's per-model estimates (persistent allocations, kernels linked in);
    # code generators: their catalog figures
    tflm = rt.interpreter == "tflm"
    ram_overhead = int(s.get("runtime_overhead_bytes", 0)) if tflm else rt.ram_overhead_bytes
    code = int(s.get("code_bytes", 0)) if tflm else rt.flash_overhead_bytes
    if rt.arena_ratio != 1.0:  # a runtime with its own memory plan (in-place kernels): a share of TFLM's arena
        s["arena_bytes"] = int(round(int(s.get("arena_bytes", 0)) * rt.arena_ratio))
        assumptions.append(f"{rt.label}: tensor arena = the TFLM-planned arena x {rt.arena_ratio:.3g} "
                           f"({rt.provenance['arena_ratio'][1]})")
    ram_needed = int(s.get("arena_bytes", 0)) + ram_overhead
    flash_needed = int(s.get("weights_bytes", 0)) + int(s.get("graph_bytes", 0)) + code
    s.update({"runtime_overhead_bytes": ram_overhead, "code_bytes": code,
              "peak_ram_bytes": ram_needed, "flash_bytes": flash_needed})
    ram_available = part.sram_bytes  # the catalog counts TCM inside sram_bytes
    fits_ram = ram_needed <= ram_available
    fits_flash = True if part.flash_bytes == 0 else flash_needed <= part.flash_bytes
    if not fits_ram:
        warnings.append(f"does not fit RAM: needs {ram_needed / 1024:.0f} KiB (arena + {rt.id} overhead), "
                        f"{part.id} has {ram_available / 1024:.0f} KiB")
    if not fits_flash:
        warnings.append(f"does not fit flash: needs {flash_needed / 1024:.0f} KiB (weights + {rt.id} code), "
                        f"{part.id} has {part.flash_bytes / 1024:.0f} KiB")
    memory_notes = _memory_notes(analysis, part, core, clock_hz)
    assumptions += memory_notes
    if part.flash_bytes == 0 and not memory_notes:
        assumptions.append(f"{part.id} has no on-die flash: weights stream from external flash "
                           f"(fits_flash assumes a large enough external part)")
    s.update({
        "cycles": total_cycles,
        "latency_s": cost.latency_s,
        "energy_per_inference_j": cost.energy_j,
        "inference_power_w": cost.current_a * supply,
        "inference_current_a": cost.current_a,
        "clock_hz": clock_hz,
        "supply_v": supply,
        "fits_ram": fits_ram,
        "fits_flash": fits_flash,
        "ram_available_bytes": ram_available,
        "flash_available_bytes": part.flash_bytes,
    })
    from .bands import band_summary

    if board is not None:
        from .hardware.sbc import board_band

        band = board_band(power, cost, calibrated=calibration is not None)
    else:
        band = band_summary(rt, part.core, cost, calibrated=calibration is not None,  # estimate_basis, *_low_*,
                            unvalidated=float_unvalidated(_layer_arrays(analysis)),  # *_high_*
                            low_reach=_low_reach(analysis, part, rt, core, clock_hz),
                            **band_context(part, clock_hz))
    if getattr(power, "npu_summary", None) is not None:  # NPU and host together: band, shares (hardware/npu.py)
        from .hardware.npu import band as npu_band

        if power.npu_summary["npu_time_share"] >= 0.5:  # else the host's band (most of the time is the host's)
            band = npu_band(npu, cost)
        s.update(power.npu_summary)
        warnings += list(power.npu_warnings)
        assumptions += list(power.npu_notes)
    elif npu_of(part) is not None:
        s["accelerator"] = "none"
    s.update(band.summary)
    assumptions.append(band.note)
    if rt.version_note:
        warnings.append(rt.version_note)
    if board is None and detail and (runtime is None or (isinstance(runtime, str) and "@" not in runtime)):
        assumptions.append(_other_releases(analysis, part, rt, core, clock_hz))
    from .hardware.interpreter import overhead_notes
    from .hardware.kernels import float_notes, kernel_notes

    if board is None:  # a Linux board's latency is the board model's, not the MCU cycle model's
        assumptions += list(rt.assumptions) + kernel_notes(rt, core) + list(core.assumptions)
        assumptions += overhead_notes(rt, core) + float_notes(rt, core, _layer_arrays(analysis).shapes)
    if calibration is None:  # with a calibration the measured current replaces the workload-factor estimate
        assumptions += list(power.assumptions)
    if int(s.get("n_unsupported", 0)):
        warnings.append("unsupported operators are costed at zero cycles: the latency is a lower bound")

    phases, battery_info, drivers = None, None, []
    if rate_hz is not None or prof is not None:
        from .usage.lifetime import duty_cycle

        mcu_for_duty = part
        if calibration is not None and calibration.sleep_current_a is not None:
            mcu_for_duty = _with_measured_sleep(part, calibration.sleep_current_a)
        from .usage.sleep import sleep_inputs

        retain, retain_how, cold, sleep_notes = sleep_inputs(s, part, rt, clock_hz, prof)
        assumptions += sleep_notes
        duty_result = duty_cycle(cost, mcu_for_duty, rate_hz=rate_hz, profile=prof,
                                 battery=batt if batt is not None else "none", regulator=reg, supply_v=supply,
                                 retain_bytes=retain, retain_source=retain_how, cold_start=cold, sleep_mode=sleep)
        phases = unbuilt(duty_result, "phases") if detail else None  # not made: half a sweep row's time
        s.update(duty_result.summary)
        s["battery_default"] = source.default_battery
        battery_info = duty_result.battery
        assumptions += list(duty_result.assumptions)
        warnings += list(duty_result.warnings)
        drivers = list(duty_result.drivers)
        s.update(band.duty(duty_result))  # average_current_low_a/high_a, battery_life_low_days/high_days

    assumptions += list(part.assumptions)  # the part's derived figures, longest list, last
    target = {"mcu": part.id, "mcu_name": part.name, "core": part.core, "runtime": rt.label, "build": rt.build or None,
              "clock_hz": clock_hz, "supply_v": supply, "supply_path": part.regulator, "typical_part": part.typical,
              "power_model": str(power_model) if power_model is not None else None}
    if board is not None:
        target["threads"] = threads
    return {"target": target, "summary": s, "layers": layers, "phases": phases, "battery": battery_info,
            "assumptions": _dedupe(assumptions), "warnings": _dedupe(warnings), "drivers": drivers,
            "cost": cost, "band": band}  # the inference and its band, for the vectorised sweep (sweeps._Blocks)


def _with_measured_sleep(part, sleep_current_a):
    """The part with every sleep mode's current replaced by a measured baseline."""
    import dataclasses

    modes = tuple(dataclasses.replace(m, current_a=sleep_current_a, name=f"{m.name} (measured baseline)")
                  for m in part.sleep_modes)
    return dataclasses.replace(part, sleep_modes=modes)
