"""Stages 4 and 5: the duty cycle around each inference and the battery life it gives.

Per period ``1 / rate_hz`` the MCU wakes (``wakeup_s`` of its sleep mode at the run current at the chosen clock
and supply; the mode's ``wakeup_energy_j`` instead when that figure is sourced or measured, not derived), runs the
inference (``latency_s``, ``energy_j`` from the lead's chain), runs the profile's per-inference phases, and
sleeps for the rest, in the lowest-current sleep mode that keeps ``ram_needed_bytes``. Phases with their own
rate (``every``) take their share of time; always-on phases (``every = "continuous"``) draw their current
alongside. ``continuous`` means back to back: no wake-up, no sleep.

Currents (A): each phase's ``current_a`` and ``energy_j`` are at the MCU supply ``supply_v``. Its
``average_current_a`` is what it draws from the battery on average: ``energy_j x rate_hz / supply_v`` times
the regulator's conversion factor at that phase's current (1 without a regulator; LDO 1; switcher
``supply_v / (eff x battery_v)``). A regulator's quiescent current is its own row. The rows sum to
``summary["average_current_a"]``.

Battery life (s) = usable charge (C) / (average_current_a + self-discharge drain), where the usable charge comes
from :meth:`Battery.capacity_breakdown` (load derating, pulse derating, voltage above the effective cutoff) and
the self-discharge is a constant drain of rated capacity x pct/100 per year. It is capped at a sourced shelf life.
For an ideal inline battery: life = capacity_mah x 3.6 / average_current_a, exactly.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..deferred import built_on_read, frame_from_rows
from ..errors import RateTooFast, UserError, unknown
from ..units import DAYS_PER_MONTH, DAYS_PER_YEAR, MAH_TO_C, SECONDS_PER_DAY, SECONDS_PER_YEAR, plain_number, si_format
from .battery import Battery, load_battery
from .duty import format_rate, rate_text
from .profiles import Profile, load_profile
from .regulator import Regulator, load_regulator
from .supply import check_supply

if TYPE_CHECKING:
    import pandas as pd

PHASE_COLUMNS = ["name", "kind", "rate_hz", "duration_s", "current_a", "energy_j", "battery_factor",
                 "average_current_a", "share", "per_inference", "note"]
LIMITS = ("capacity", "self-discharge", "shelf life", "cutoff")


@dataclass
class DutyResult:
    # PHASE_COLUMNS; average_current_a sums to summary["average_current_a"]. A DataFrame made on first read:
    # pandas construction costs more than the whole duty model, and sweeps only need the summary
    phases: pd.DataFrame = built_on_read()
    summary: dict
    battery: dict | None
    assumptions: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    drivers: list = field(default_factory=list)
    rescale: object = field(default=None, repr=False)  # (latency_s, energy_j) -> dict: see _rescaled

    def to_dict(self) -> dict:
        rows = self.phases.astype(object).where(self.phases.notna(), None).to_dict(orient="records")
        return {"summary": self.summary, "phases": rows, "battery": self.battery,
                "assumptions": self.assumptions, "warnings": self.warnings, "drivers": self.drivers}


def pick_sleep_mode(mcu, ram_needed_bytes: int | None):
    """(mode, retains_enough): the lowest-current mode keeping ``ram_needed_bytes`` (the one rule,
    :meth:`Mcu.retaining_sleep`), else the lowest overall; (None, False) without sleep modes."""
    mode = mcu.retaining_sleep(int(ram_needed_bytes or 0))
    if mode is not None:
        return mode, True
    return mcu.retaining_sleep(0), False


# ------------------------------------------------------------------------------------------------ sleep strategy
@dataclass(frozen=True)
class ColdStart:
    """What a wake from a mode that loses RAM costs on top of the mode's own wake-up: the runtime start-up
    (interpreter init, tensor allocation) and any weight copy, ``reinit_s`` [s] at the run current."""

    reinit_s: float
    note: str = ""


@dataclass
class Strategy:
    """One way to sleep between inferences: ``retain`` (the state survives), ``cold start`` (re-initialise after
    every wake) or ``forced`` (``--sleep MODE``). ``rows``: the per-inference and profile rows (no sleep row)."""

    name: str
    mode: object                      # SleepMode, or None without catalog modes
    cold: bool                        # the mode loses the state: every wake re-initialises
    rows: list
    sleep_current_a: float | None
    max_rate_hz: float = math.inf
    average_current_a: float = math.nan


def find_sleep_mode(mcu, name: str):
    """The sleep mode of ``mcu`` called ``name``: its full name, or the part before the parenthesis, any case."""
    wanted = " ".join(str(name).lower().split())
    for m in mcu.sleep_modes:
        if wanted in (m.name.lower(), m.name.split("(")[0].strip().lower()):
            return m
    raise unknown("sleep mode", name, [m.name.split("(")[0].strip() for m in mcu.sleep_modes],
                  hint=f"see `energy mcus {mcu.id}`")


def _wake_row(mode, run_a: float, supply_v: float):
    """The mode's wake-up: its catalog energy when the file gives one, else its time at the run current."""
    if mode is None:
        return None
    kind = (mode.provenance or {}).get("wakeup_energy_j")
    if kind not in (None, "computed"):
        wake_j = float(mode.wakeup_energy_j)
        if mode.wakeup_s <= 0 and wake_j <= 0:
            return None
        wake_a = wake_j / (mode.wakeup_s * supply_v) if mode.wakeup_s > 0 else math.nan
        return _row("wake-up", "wake-up", None, mode.wakeup_s, wake_a, wake_j, True,
                    f"{mode.name} wake-up: {si_format(wake_j, 'J')} per wake-up ({kind} catalog figure)")
    if mode.wakeup_s <= 0:
        return None
    return _row("wake-up", "wake-up", None, mode.wakeup_s, run_a, run_a * mode.wakeup_s * supply_v, True,
                f"{mode.name} wake-up at the run current")


def _strategy(name, mode, cold, cold_start, sleep_a, inference_row, profile_rows, run_a, supply_v):
    rows = [r for r in (_wake_row(mode, run_a, supply_v),) if r is not None]
    if cold and cold_start is not None and cold_start.reinit_s > 0:
        rows.append(_row("re-init", "re-init", None, cold_start.reinit_s, run_a,
                         run_a * cold_start.reinit_s * supply_v, True, cold_start.note))
    rows += [inference_row] + profile_rows
    return Strategy(name, mode, cold, rows, sleep_a if sleep_a is not None else mode.current_a)


def _strategies(mcu, retain_bytes, sleep_mode, cold_start, sleep_a, inference_row, profile_rows, run_a, supply_v,
                continuous) -> list:
    """The candidate strategies, the first one being the default: ``[forced]``, ``[retain, cold start]``,
    ``[retain]`` or ``[cold start]``."""
    args = (cold_start, sleep_a, inference_row, profile_rows, run_a, supply_v)
    if sleep_mode is not None:
        mode = find_sleep_mode(mcu, sleep_mode)
        return [_strategy("forced", mode, mode.retains_ram_bytes < retain_bytes, *args)]
    keep = mcu.retaining_sleep(retain_bytes)
    lose = [m for m in mcu.sleep_modes if m.retains_ram_bytes < retain_bytes]
    cold = min(lose, key=lambda m: m.current_a) if lose else None
    out = [_strategy("retain", keep, False, *args)] if keep is not None else []
    # a cold start is worth comparing only when its mode draws less and its re-init is costed (or nothing survives)
    if cold is not None and (keep is None or (cold_start is not None and sleep_a is None and not continuous
                                              and cold.current_a < keep.current_a)):
        out.append(_strategy("cold start", cold, True, *args))
    return out


def _crossover(options, supply_v, battery_v, reg, run_a) -> float | None:
    """The rate (Hz) below which the cold start draws less than retaining: both average currents are linear in
    the rate (a + b x rate), so two evaluations each give the line. None when the lines do not cross."""
    lines = []
    for s in options:
        r1 = min(s.max_rate_hz, 1.0) / 2
        i1 = _evaluate(r1, s.rows, s.sleep_current_a, supply_v, battery_v, reg, run_a)[2]
        i2 = _evaluate(r1 / 2, s.rows, s.sleep_current_a, supply_v, battery_v, reg, run_a)[2]
        b = (i1 - i2) / (r1 / 2)
        lines.append((i1 - b * r1, b))
    (a_keep, b_keep), (a_cold, b_cold) = lines
    if b_cold <= b_keep or a_cold >= a_keep:
        return None
    return (a_keep - a_cold) / (b_cold - b_keep)


def too_fast(options, rate_hz: float) -> RateTooFast:
    """The error for a rate [Hz] that no strategy keeps up with (also used by the vectorised sweep)."""
    s = max(options, key=lambda s: s.max_rate_hz)
    per = sum(r["duration_s"] for r in s.rows if r["per_inference"])
    return RateTooFast(
        f"duty {format_rate(rate_hz)} is faster than the inference can keep up with: each one needs "
        f"{si_format(per, 's', 4)} (wake-up + inference + per-inference phases); the fastest rate that fits is "
        f"{rate_text(s.max_rate_hz)} (or use continuous)", rate_hz, per, s.max_rate_hz)


def _strategy_notes(chosen, options, crossover, retain_note, profile, sleep_mode, continuous) -> list:
    mode = chosen.mode
    if mode is None:
        return []
    out = []
    if profile is not None and profile.sleep_current_a is not None:
        out.append(f"sleep current {si_format(chosen.sleep_current_a, 'A')} from the profile (the MCU's "
                   f"{mode.name}: {si_format(mode.current_a, 'A')}); no cold-start comparison")
    what = (f"sleeps in {mode.name} ({si_format(mode.current_a, 'A')}, keeps {mode.retains_ram_bytes / 1024:.4g} "
            f"KiB; {retain_note}; wake-up {si_format(mode.wakeup_s, 's')})")
    if continuous:
        return out
    if chosen.name == "forced":
        out.append(f"--sleep {sleep_mode}: {what}" + (", cold start: the state is rebuilt after every wake"
                                                     if chosen.cold else ""))
    elif len(options) == 2:
        keep, cold = options
        out.append(f"sleep strategy: {chosen.name} ({what}); retain in {keep.mode.name}: "
                   f"{si_format(keep.average_current_a, 'A')} average, cold start in {cold.mode.name}: "
                   f"{si_format(cold.average_current_a, 'A')} average")
        if crossover is not None:
            out.append(f"cold start ({cold.mode.name.split('(')[0].strip()}) wins below 1 inference per "
                       f"{si_format(1 / crossover, 's')} ({rate_text(crossover)}), retaining wins above")
        else:
            out.append(f"retaining in {keep.mode.name} wins at every rate")
    else:
        out.append(f"sleep strategy: {chosen.name} ({what})")
    return out


def _row(name, kind, rate_hz, duration_s, current_a, energy_j, per_inference, note=""):
    return {"name": name, "kind": kind, "rate_hz": rate_hz, "duration_s": duration_s, "current_a": current_a,
            "energy_j": energy_j, "per_inference": per_inference, "note": note}


def _profile_rows(profile: Profile | None, supply_v: float, run_current_a: float):
    rows = []
    for p in profile.phases if profile else []:
        current = run_current_a if p.run_current else p.current_a
        if p.always_on:
            rows.append(_row(p.name, "always-on", None, None, current, None, False, p.note))
            continue
        duration = p.duration_s or 0.0
        energy = p.energy_j if p.energy_j is not None else current * duration * supply_v
        if current is None:
            current = energy / (duration * supply_v) if duration > 0 else math.nan
        rows.append(_row(p.name, "profile", p.every_hz, duration, current, energy, p.every_hz is None, p.note))
    return rows


def _row_sum(values):
    """The rows' sum skipping NaN (as ``pandas.Series.sum``) for one rate (floats) or for many (arrays, summed
    element by element), in the order numpy's pairwise sum adds a 1-D array: left to right below 8 rows, eight
    interleaved partial sums above (``pairwise_sum`` in numpy's ``loops_utils.h.src``). So every rate of a sweep
    gets the very figure an estimate at that rate gets, whatever the number of rows."""
    if len(values) < 8:  # the usual case: a NaN row makes a NaN sum, so without one there is nothing to skip
        total = _left_to_right(values)
        if not ((total != total).any() if isinstance(total, np.ndarray) else total != total):
            return total
    terms = [np.where(v != v, 0.0, v) if _many(v) else (0.0 if v != v else v) for v in values]
    n = len(terms)
    if n == 0:
        return 0.0
    if n < 8:
        return _left_to_right(terms)
    if n > 128:  # numpy's block size: halves, each a multiple of 8
        half = n // 2
        half -= half % 8
        return _row_sum(terms[:half]) + _row_sum(terms[half:])
    r = terms[:8]
    i = 8
    while i < n - n % 8:
        r = [r[j] + terms[i + j] for j in range(8)]
        i += 8
    total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    for t in terms[i:]:
        total = total + t
    return total


def _many(x) -> bool:
    """Whether ``x`` holds many values (an array of rates or currents), not one (cheaper than ``np.ndim``)."""
    return isinstance(x, np.ndarray) and x.ndim > 0


def _left_to_right(terms):
    total = terms[0] if terms else 0.0
    for t in terms[1:]:
        total = total + t
    return total


def _nansum(values) -> float:
    """Sum skipping NaN, the way ``pandas.Series.sum`` does it (numpy's pairwise sum, see :func:`_row_sum`)."""
    return float(_row_sum(np.array(values, dtype=float).tolist()))


def _evaluate(rate_hz, base_rows, sleep_current_a, supply_v, battery_v, reg: Regulator, run_current_a,
              shares: bool = True):
    """Fill the rows for one rate (Hz, finite) or for an array of rates: sleep, always-on, factors, averages and
    shares, as plain dicts (columns :data:`PHASE_COLUMNS`; with an array of rates, each value that depends on the
    rate is an array). Returns (rows, busy fraction, summed average current in A). ``shares=False`` leaves out
    each row's share of the total (a sweep needs only the total)."""
    per_inf = sum(r["duration_s"] for r in base_rows if r["per_inference"])
    other = sum(r["rate_hz"] * r["duration_s"] for r in base_rows if r["kind"] == "profile" and not r["per_inference"])
    period = 1.0 / rate_hz
    rows = []
    for r in base_rows:
        r = dict(r)
        if r["per_inference"]:
            r["rate_hz"] = rate_hz
        if r["kind"] == "always-on":
            r.update(rate_hz=rate_hz, duration_s=period, energy_j=r["current_a"] * period * supply_v)
        rows.append(r)
    sleep_s = period * (1.0 - other) - per_inf
    sleep_s = np.maximum(sleep_s, 0.0) if isinstance(sleep_s, np.ndarray) else max(0.0, sleep_s)
    if sleep_current_a is not None:
        rows.append(_row("sleep", "sleep", rate_hz, sleep_s, sleep_current_a, sleep_current_a * sleep_s * supply_v,
                         False))
    conversion = reg.conversion_factor
    for r in rows:
        i_eff = r["current_a"] if r["current_a"] and not math.isnan(r["current_a"]) else run_current_a
        r["battery_factor"] = conversion(i_eff, supply_v, battery_v)
        r["average_current_a"] = r["energy_j"] * r["rate_hz"] / supply_v * r["battery_factor"]
    if reg.added_quiescent_a > 0:
        iq = reg.added_quiescent_a
        rows.append(_row("regulator", "regulator", rate_hz, period, iq, iq * period * battery_v, False,
                         f"{reg.id} quiescent current"))
        rows[-1].update(battery_factor=1.0, average_current_a=iq)
    total = _row_sum([r["average_current_a"] for r in rows])
    if shares and _many(total):
        with np.errstate(divide="ignore", invalid="ignore"):
            for r in rows:
                r["share"] = np.where(total > 0, r["average_current_a"] / total, 0.0)
    elif shares:
        for r in rows:
            r["share"] = r["average_current_a"] / total if total > 0 else 0.0
    return rows, per_inf * rate_hz + other, total


def _where(cond, x, y):
    """``np.where`` where any argument is an array (many rates), a plain conditional for one value: one formula
    for an estimate and a sweep, without numpy's per-call cost on a single value."""
    if isinstance(cond, np.ndarray) or isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return np.where(cond, x, y)
    return x if cond else y


def _life(battery: Battery, reg: Regulator, avg_a, peak_load_a, supply_v, battery_v, mcu_min_v):
    """Battery figures for one average battery current (A), or for an array of them (a sweep): ``life_s``,
    ``uncapped_life_s``, ``limited_by`` (and the load-dependent capacity figures) are then arrays."""
    peak_a = reg.battery_current_a(peak_load_a, supply_v, battery_v) if peak_load_a else None
    min_v = reg.min_battery_v(supply_v, mcu_min_v)
    b = battery.capacity_breakdown(avg_a, peak_a, None if battery.ideal else min_v)
    usable_c = b["usable_mah"] * MAH_TO_C
    sd_a = battery.self_discharge_current_a()
    life_s = battery.time_to_empty_s(usable_c, avg_a)  # the load and self-discharge (battery.py)
    limited = _where(usable_c <= 0, "cutoff", _where(sd_a > avg_a, "self-discharge", "capacity"))
    uncapped_s = life_s
    if battery.shelf_life_years:
        capped = life_s > battery.shelf_life_years * SECONDS_PER_YEAR
        life_s = _where(capped, battery.shelf_life_years * SECONDS_PER_YEAR, life_s)
        limited = _where(capped, "shelf life", limited)
    if _many(limited):
        limited = limited.astype(object)
    return {"life_s": life_s, "uncapped_life_s": uncapped_s, "limited_by": limited, "usable_c": usable_c, "self_discharge_a": sd_a,
            "peak_battery_a": peak_a, "min_battery_v": min_v, **b}


@dataclass
class DutySetup:
    """What the duty stage needs that does not depend on the rate (:func:`duty_setup`), so one set-up serves one
    rate (an estimate, :func:`duty_cycle`) or any number of them (a sweep, :func:`duty_rates`)."""

    options: list                  # Strategy, the default first (see _strategies), each with its max_rate_hz
    bat: Battery | None
    reg: Regulator
    supply_v: float                # MCU supply [V]
    battery_v: float               # battery nominal [V] (the supply without a battery)
    run_a: float                   # run current [A]
    other: float                   # time share of the profile's own-rate phases
    mcu_min_v: float
    assumptions: list = field(default_factory=list)


def duty_setup(inference, mcu, bat: Battery | None, reg: Regulator, supply_v, *, profile: Profile | None = None,
               retain_bytes: int = 0, sleep_mode: str | None = None, cold_start: ColdStart | None = None,
               continuous: bool = False) -> DutySetup:
    """The sleep strategies around one inference (``latency_s`` [s], ``energy_j`` [J], optional ``run_current_a``
    [A]) on ``mcu`` at ``supply_v`` [V], with what must survive sleep (``retain_bytes``), a profile's phases and
    sleep current, a forced ``sleep_mode`` and the ``cold_start`` cost; a UserError names what is impossible."""
    supply_v = float(supply_v)
    if not supply_v > 0:
        raise UserError(f"supply voltage must be positive, got {supply_v} V")
    latency_s, energy_j = float(inference.latency_s), float(inference.energy_j)
    if not latency_s > 0 or energy_j < 0:
        raise UserError(f"inference latency must be > 0 and energy >= 0 (got {latency_s} s, {energy_j} J)")
    run_a = float(getattr(inference, "run_current_a", None) or energy_j / (latency_s * supply_v))
    battery_v = bat.nominal_v if bat is not None else supply_v
    assumptions: list[str] = []
    sleep_a = profile.sleep_current_a if profile is not None and profile.sleep_current_a is not None else None
    profile_rows = _profile_rows(profile, supply_v, run_a)
    other = sum(r["rate_hz"] * r["duration_s"] for r in profile_rows if r["kind"] == "profile" and not r["per_inference"])
    if other >= 1.0:
        raise UserError(f"the profile's own-rate phases alone take {100 * other:.0f} % of the time; lower their `every`")
    inference_row = _row("inference", "inference", None, latency_s, energy_j / (latency_s * supply_v), energy_j, True,
                         "from the cycle and power models")
    if not mcu.sleep_modes:
        if sleep_a is None:
            raise UserError(f"MCU '{mcu.id}' has no sleep modes in its catalog; give a profile with [sleep] current_a")
        assumptions.append("no sleep mode in the MCU catalog: wake-up time taken as 0")
        options = [Strategy("retain", None, False, [inference_row] + profile_rows, sleep_a)]
    else:
        options = _strategies(mcu, int(retain_bytes), sleep_mode, cold_start, sleep_a, inference_row, profile_rows,
                              run_a, supply_v, continuous)
    for s in options:
        s.max_rate_hz = (1.0 - other) / sum(r["duration_s"] for r in s.rows if r["per_inference"])
    return DutySetup(options, bat, reg, supply_v, battery_v, run_a, other, mcu.supply_min_v, assumptions)


def _peak_load_a(rows, sleep_current_a=None) -> float:
    """The highest phase current at the MCU supply [A] among ``rows`` (not the regulator's own row) and the sleep
    current if given; NaN when none has one (phases given as energy only are no peak)."""
    peaks = [r["current_a"] for r in rows if r["kind"] != "regulator" and not _isnan(r["current_a"])]
    if not _isnan(sleep_current_a):
        peaks.append(sleep_current_a)
    return float(max(peaks)) if peaks else math.nan


def _choose(d: DutySetup, rate_hz):
    """The strategy each rate [Hz] (a float or an array) sleeps with: the lowest average current among those that
    keep up, the first on a tie; -1 where none keeps up. Returns (index, [(evaluated rows, average current [A],
    inf where the strategy cannot keep up) per strategy])."""
    rates = np.asarray(rate_hz, dtype=float)
    best, chosen, out = np.full(rates.shape, np.inf), np.full(rates.shape, -1), []
    for k, s in enumerate(d.options):
        fits = rates <= s.max_rate_hz * (1 + 1e-12)
        rows, _, avg = _evaluate(rate_hz, s.rows, s.sleep_current_a, d.supply_v, d.battery_v, d.reg, d.run_a,
                                 shares=False)
        better = fits & ((chosen < 0) | (avg < best))
        best, chosen = np.where(better, avg, best), np.where(better, k, chosen)
        masked = np.where(fits, avg, math.inf)
        out.append((rows, masked if _many(masked) else float(masked)))
    return (chosen if _many(chosen) else int(chosen)), out


def duty_rates(d: DutySetup, rates, band_ends=None) -> dict:
    """The duty figures of a sweep for each rate [Hz] of ``rates`` (finite), with :func:`duty_cycle`'s own code:
    ``fits`` (False: no strategy keeps up, :func:`too_fast` explains), ``average_current_a``, ``sleep_mode``,
    ``battery_life_days``/``_months``/``_limited_by`` and, with ``band_ends`` = ((latency_s, energy_j) low, high),
    ``average_current_low_a``/``high_a`` and ``battery_life_low_days``/``high_days``. Arrays; NaN stands for None."""
    rates = np.asarray(rates, dtype=float)
    n = rates.shape[0]
    chosen, per_option = _choose(d, rates)
    out = {"fits": chosen >= 0, "sleep_mode": np.array([d.options[k].mode.name if k >= 0 and d.options[k].mode
                                                        is not None else None for k in chosen.tolist()], dtype=object)}
    keys = ["average_current_a", "battery_life_days", "battery_life_months", "average_current_low_a",
            "average_current_high_a", "battery_life_low_days", "battery_life_high_days"]
    out.update({k: np.full(n, np.nan) for k in keys})
    out["battery_life_limited_by"] = np.full(n, None, dtype=object)
    for k, s in enumerate(d.options):
        mask = chosen == k
        if not mask.any():
            continue
        rows, nominal_a = per_option[k]
        out["average_current_a"][mask] = nominal_a[mask]
        days = np.full(n, np.nan)
        if d.bat is not None:
            life = _life(d.bat, d.reg, nominal_a, _peak_load_a(rows), d.supply_v, d.battery_v, d.mcu_min_v)
            days = life["life_s"] / SECONDS_PER_DAY
            out["battery_life_days"][mask] = days[mask]
            out["battery_life_months"][mask] = (days / DAYS_PER_MONTH)[mask]
            out["battery_life_limited_by"][mask] = life["limited_by"][mask]
        if band_ends is None:
            continue
        ends = [_rescaled(latency_s, energy_j, base=s.rows, rate_hz=rates, continuous=False, other=d.other,
                          sleep_a=s.sleep_current_a, supply_v=d.supply_v, battery_v=d.battery_v, reg=d.reg,
                          run_a=d.run_a, bat=d.bat, mcu_min_v=d.mcu_min_v) for latency_s, energy_j in band_ends]
        for nominal, key, low_key, high_key in (
                (nominal_a, "average_current_a", "average_current_low_a", "average_current_high_a"),
                (days, "battery_life_days", "battery_life_low_days", "battery_life_high_days")):
            low, high = ends[0][key], ends[1][key]  # np.minimum/maximum carry NaN (no such figure) through
            out[low_key][mask] = np.minimum(np.minimum(nominal, low), high)[mask]
            out[high_key][mask] = np.maximum(np.maximum(nominal, low), high)[mask]
    return out


def duty_cycle(inference, mcu, *, rate_hz=None, profile=None, battery=None, regulator=None, supply_v,
               ram_needed_bytes=0, retain_bytes=None, retain_source: str = "", cold_start: ColdStart | None = None,
               sleep_mode: str | None = None) -> DutyResult:
    """Phases, average current and battery life of one inference repeated at ``rate_hz`` (Hz; ``math.inf`` =
    back to back). ``inference``: latency_s, energy_j (J per inference at the MCU supply), supply_v, clock_hz,
    run_current_a (A). ``profile``/``battery``/``regulator``: objects, ids or inline dicts; a ``None``
    battery or regulator falls back to the profile's, and no battery means no life figures.

    Sleep: ``retain_bytes`` [bytes] must survive (default: the profile's ``[sleep] retain_bytes``, else
    ``ram_needed_bytes``). The *retain* strategy sleeps in the lowest-current mode keeping them; the *cold start*
    strategy in the lowest mode that loses them, paying ``cold_start.reinit_s`` at the run current after each
    wake-up; the one with the lower average current at ``rate_hz`` is used, and the rate where they cross is
    reported. ``sleep_mode`` (a mode name) forces a mode."""
    if isinstance(profile, (str, dict)) and not isinstance(profile, Profile):
        profile = load_profile(profile)
    if rate_hz is None and profile is not None:
        rate_hz = profile.rate_hz
    if rate_hz is None:
        raise UserError("no inference rate: give --duty (e.g. 1/min) or a profile with `rate`")
    if not rate_hz > 0:
        raise UserError(f"the inference rate must be positive, got {rate_hz} Hz")
    if battery is None and profile is not None and profile.battery is not None:
        battery = profile.battery
    if isinstance(battery, str) and battery.strip().lower() == "none":
        battery = None
    if regulator is None and profile is not None and profile.regulator is not None:
        regulator = profile.regulator
    bat = load_battery(battery) if battery is not None else None
    reg = load_regulator(regulator)
    if bat is not None:
        check_supply(bat, reg, mcu)  # a pack the part cannot run from is an error, not a warning and a life
    # ---- the sleep strategies (:func:`duty_setup`), the one the rate uses (:func:`_choose`: the code a sweep runs
    # for many rates at once), then the rows of the chosen one
    continuous = math.isinf(rate_hz)
    retain = int(retain_bytes if retain_bytes is not None else
                 (profile.retain_bytes if profile is not None and profile.retain_bytes is not None
                  else ram_needed_bytes or 0))
    d = duty_setup(inference, mcu, bat, reg, supply_v, profile=profile, retain_bytes=retain, sleep_mode=sleep_mode,
                   cold_start=cold_start, continuous=continuous)
    options, supply_v, battery_v, run_a, other = d.options, d.supply_v, d.battery_v, d.run_a, d.other
    assumptions: list[str] = list(d.assumptions)
    warnings: list[str] = []
    retain_note = (f"{retain / 1024:.3g} KiB must survive sleep" + (f" ({retain_source})" if retain_source else ""))
    if continuous:
        chosen = options[0]
        chosen.rows = [r for r in chosen.rows if r["kind"] not in ("wake-up", "re-init")]
        chosen.max_rate_hz = rate_hz = (1.0 - other) / sum(r["duration_s"] for r in chosen.rows if r["per_inference"])
        assumptions.append(f"continuous: inferences back to back at {rate_text(rate_hz)}, no sleep, no wake-up")
    else:
        k, per_option = _choose(d, rate_hz)
        if k < 0:
            raise too_fast(options, rate_hz)
        for s, (_, average_a) in zip(options, per_option):
            s.average_current_a = average_a
        chosen = options[k]
    crossover = _crossover(options, supply_v, battery_v, reg, run_a) if len(options) == 2 and not continuous else None
    mode, sleep_a = chosen.mode, chosen.sleep_current_a
    max_rate = max(s.max_rate_hz for s in options)  # the fastest rate any strategy keeps up with
    base = chosen.rows
    assumptions += _strategy_notes(chosen, options, crossover, retain_note, profile, sleep_mode, continuous)
    if chosen.cold and cold_start is None and mode is not None:
        msg = (f"no sleep mode keeps the {retain / 1024:.0f} KiB that must survive: sleeping in {mode.name} (keeps "
               f"{mode.retains_ram_bytes // 1024} KiB), so the model state is reloaded after every wake-up; "
               "that reload is not costed here")
        assumptions.append(msg)
        warnings.append(msg)
    assumptions.append("sleep current taken as independent of the supply voltage")
    rows, busy, avg_a = _evaluate(rate_hz, base, None if continuous else sleep_a, supply_v, battery_v, reg, run_a)
    load_a = _nansum([0.0 if r["kind"] == "regulator" else r["energy_j"] * r["rate_hz"] for r in rows]) / supply_v
    peak_load_a = _peak_load_a(rows)
    no_current = [r["name"] for r in rows if _isnan(r["current_a"])]
    if no_current:
        names = ", ".join(no_current)
        assumptions.append(f"phase(s) {names} given as energy only: no current, not counted in the peak")
    if profile is not None:
        assumptions += list(profile.assumptions)
    if reg.kind != "none":
        assumptions.append(f"regulator {reg.id} ({reg.kind}): each phase converted at its own current; "
                           f"quiescent {si_format(reg.quiescent_a, 'A')}")
        assumptions += list(reg.assumptions)

    summary = {
        "rate_hz": rate_hz, "period_s": 1.0 / rate_hz, "average_current_a": avg_a,
        "average_power_w": avg_a * battery_v, "load_current_a": load_a, "peak_current_a": peak_load_a,
        "busy_fraction": busy, "max_rate_hz": max_rate, "supply_v": supply_v, "battery_v": battery_v,
        "sleep_mode": None if continuous or mode is None else mode.name,
        "sleep_strategy": None if continuous or mode is None else chosen.name, "retain_bytes": retain,
        "retain_average_current_a": _strategy_current(options, "retain", continuous),
        "cold_start_average_current_a": _strategy_current(options, "cold start", continuous),
        "sleep_crossover_rate_hz": crossover,
        "sleep_current_a": None if continuous else sleep_a, "regulator_id": reg.id,
        "battery_id": bat.id if bat else None, "self_discharge_current_a": None,
        "battery_life_days": None, "battery_life_months": None, "battery_life_years": None,
        "battery_life_limited_by": None,
    }
    battery_dict = None
    drivers = _phase_drivers(rows, summary)
    if bat is not None:
        life = _life(bat, reg, avg_a, peak_load_a, supply_v, battery_v, mcu.supply_min_v)
        days = life["life_s"] / SECONDS_PER_DAY
        summary.update(battery_life_days=days, battery_life_months=days / DAYS_PER_MONTH,
                       battery_life_years=days / DAYS_PER_YEAR, battery_life_limited_by=life["limited_by"],
                       self_discharge_current_a=life["self_discharge_a"])
        battery_dict = {**bat.to_dict(), "effective_cutoff_v": life["effective_cutoff_v"],
                        "derated_capacity_mah": life["derated_mah"], "pulse_factor": life["pulse_factor"],
                        "voltage_fraction": life["voltage_fraction"], "usable_capacity_mah": life["usable_mah"],
                        "self_discharge_current_a": life["self_discharge_a"], "peak_current_a": life["peak_battery_a"],
                        "uncapped_life_s": life["uncapped_life_s"],
                        "average_current_a": avg_a, "regulator": reg.to_dict(), "notes": life["notes"],
                        "sources": list(bat.sources) + list(reg.sources)}
        assumptions += list(bat.assumptions) + [f"battery: {n}" for n in life["notes"]]
        if bat.self_discharge_pct_per_year:
            assumptions.append("self-discharge modelled as a constant drain of rated capacity x %/year")
        warnings += _battery_warnings(bat, reg, mcu, life, avg_a, supply_v)
        drivers += _battery_drivers(bat, life, avg_a)
        if not continuous and life["limited_by"] in ("capacity", "self-discharge"):
            _, _, half_a = _evaluate(rate_hz / 2, base, sleep_a, supply_v, battery_v, reg, run_a)
            life2 = _life(bat, reg, half_a, peak_load_a, supply_v, battery_v, mcu.supply_min_v)
            if life["life_s"] > 0:
                gain = life2["life_s"] / life["life_s"] - 1
                drivers.append(f"half the rate ({format_rate(rate_hz / 2)}) gives {plain_number(life2['life_s'] / SECONDS_PER_DAY)}"
                               f" days ({100 * gain:+.0f} %)")
    rescale = functools.partial(_rescaled, base=base, rate_hz=rate_hz, continuous=continuous, other=other,
                                sleep_a=sleep_a, supply_v=supply_v, battery_v=battery_v, reg=reg, run_a=run_a, bat=bat,
                                mcu_min_v=mcu.supply_min_v)
    return DutyResult(phases=frame_from_rows(rows, PHASE_COLUMNS), summary=summary, battery=battery_dict,
                      assumptions=assumptions, warnings=warnings, drivers=drivers, rescale=rescale)


def _rescaled(latency_s, energy_j, *, base, rate_hz, continuous, other, sleep_a, supply_v, battery_v, reg, run_a,
              bat, mcu_min_v) -> dict:
    """The duty cycle around another inference (``latency_s`` [s], ``energy_j`` [J]) with the same sleep strategy
    and rate (the error band's ends): ``average_current_a`` [A] and ``battery_life_days``; None for a figure that
    does not exist (no battery, or an inference too slow for the rate). One evaluation, no tables or notes.
    ``rate_hz`` may be an array of rates (a sweep's band ends): arrays, NaN where a figure does not exist."""
    current_a = energy_j / (latency_s * supply_v)
    rows = [dict(r, duration_s=latency_s, energy_j=energy_j, current_a=current_a) if r["kind"] == "inference" else r
            for r in base]
    per_inf = sum(r["duration_s"] for r in rows if r["per_inference"])
    if continuous:
        rate_hz = (1.0 - other) / per_inf
    keeps_up = ~(np.asarray(rate_hz * per_inf + other) > 1.0 + 1e-12)
    if not keeps_up.any():
        return {"average_current_a": None, "battery_life_days": None} if not _many(rate_hz) else \
            {"average_current_a": np.full(np.shape(rate_hz), np.nan), "battery_life_days": np.full(np.shape(rate_hz), np.nan)}
    rows, _, avg_a = _evaluate(rate_hz, rows, None if continuous else sleep_a, supply_v, battery_v, reg, run_a,
                               shares=False)
    days = None if not _many(rate_hz) else np.full(np.shape(rate_hz), np.nan)
    if bat is not None:
        days = _life(bat, reg, avg_a, _peak_load_a(rows), supply_v, battery_v, mcu_min_v)["life_s"] / SECONDS_PER_DAY
    if _many(rate_hz):
        return {"average_current_a": np.where(keeps_up, avg_a, np.nan), "battery_life_days": np.where(keeps_up, days, np.nan)}
    return {"average_current_a": avg_a, "battery_life_days": days}


def _strategy_current(options, name, continuous):
    hits = [s.average_current_a for s in options if s.name == name and math.isfinite(s.average_current_a)]
    return None if continuous or not hits else hits[0]


def _isnan(x) -> bool:
    return x is None or x != x


def _phase_drivers(rows: list, summary: dict) -> list[str]:
    out = []
    for r in sorted(rows, key=lambda r: r["share"], reverse=True):  # stable: ties keep the table order
        if r["share"] < 0.10 or len(out) >= 3:
            break
        what = {"sleep": f"sleep current ({si_format(r['current_a'], 'A')}"
                         f"{' in ' + summary['sleep_mode'] if summary.get('sleep_mode') else ''})",
                "inference": "the inference", "wake-up": "the wake-up", "re-init": "the re-init after each cold start",
                "regulator": "the regulator's quiescent current"
                }.get(r["kind"], f"the {r['name']} phase")
        out.append(f"{what} is {100 * r['share']:.0f} % of the budget")
    return out


def _battery_drivers(bat: Battery, life: dict, avg_a: float) -> list[str]:
    out = []
    sd = life["self_discharge_a"]
    if sd > 0.1 * (avg_a + sd):
        out.append(f"self-discharge ({bat.self_discharge_pct_per_year:g} %/year = {si_format(sd, 'A')}) is "
                   f"{100 * sd / (avg_a + sd):.0f} % of the battery drain")
    if life["voltage_fraction"] < 0.95:
        out.append(f"the minimum supply ({life['min_battery_v']:.3g} V) leaves {100 * life['voltage_fraction']:.0f} % "
                   "of the capacity usable")
    if life["pulse_factor"] < 0.95:
        out.append(f"current peaks cost {100 * (1 - life['pulse_factor']):.0f} % of the capacity")
    if life["limited_by"] == "shelf life":
        out.append(f"capped at the {bat.shelf_life_years:g}-year shelf life: the load is not what limits it")
    return out


def _battery_warnings(bat: Battery, reg: Regulator, mcu, life: dict, avg_a, supply_v: float) -> list:
    """The battery's warnings for one average current ``avg_a`` [A] (a list of texts) or, with ``avg_a`` and the
    load-dependent figures of ``life`` as arrays (a sweep block), one list per current: the figures that do not
    depend on the load are checked once."""
    many = _many(avg_a)
    avg = np.atleast_1d(np.asarray(avg_a, dtype=float))
    fixed = list(bat.warnings)  # what is unusual about the battery as given
    peak = life["peak_battery_a"]
    fraction = life.get("voltage_fraction", 1.0)
    if 0 < fraction < 0.5:
        fixed.append(f"only {100 * fraction:.0f} % of the {bat.id} charge is delivered above the "
                     f"{life['min_battery_v']:.3g} V the part needs: add a buck-boost regulator (--regulator tps63900) "
                     "or use a pack that stays above it")
    derived = [note for key, (kind, note) in bat.provenance.items() if key.endswith(".capacity_mah") and kind == "derived"]
    if derived:  # the figure the life is proportional to is not a sourced one
        fixed.append(f"the {bat.id} capacity ({bat.capacity_mah:,.0f} mAh) is derived, not sourced, and the life "
                     f"scales with it: {derived[0]}")
    if bat.max_pulse_a and peak and peak > bat.max_pulse_a:
        fixed.append(f"peak current {si_format(peak, 'A')} exceeds the {bat.id} rated pulse "
                     f"{si_format(bat.max_pulse_a, 'A')}: expect brown-outs and lost capacity (add a buffer capacitor)")
    mismatch = reg.kind == "none" and abs(bat.nominal_v - supply_v) > 0.05 * bat.nominal_v
    # the load-dependent checks, for every current at once; texts only where one fires
    over = avg > bat.max_continuous_a if bat.max_continuous_a else np.zeros(avg.shape, dtype=bool)
    empty = np.broadcast_to(np.asarray(life["usable_c"]) <= 0, avg.shape)
    years = np.broadcast_to(np.asarray(life["life_s"], dtype=float) / SECONDS_PER_YEAR, avg.shape)
    unbounded = (years > 10) if not (bat.self_discharge_pct_per_year or bat.shelf_life_years) else \
        np.zeros(avg.shape, dtype=bool)
    rows = []
    for i in range(avg.shape[0]):
        out = list(fixed)
        if over[i]:
            out.append(f"average current {si_format(avg[i], 'A')} exceeds the {bat.id} rated continuous "
                       f"{si_format(bat.max_continuous_a, 'A')}")
        if empty[i]:
            out.append(f"{bat.id} ({bat.nominal_v:.3g} V) cannot power the load: it needs >= "
                       f"{life['min_battery_v']:.3g} V; use more cells in series or a boost/buck-boost regulator")
        if mismatch:
            out.append(f"no regulator but the supply ({supply_v:.3g} V) differs from the pack ({bat.nominal_v:.3g} V)")
        if unbounded[i]:
            out.append(f"{years[i]:.0f} years with no sourced self-discharge or shelf life for {bat.id}: optimistic")
        if bat.rechargeable:
            out.append(f"{bat.id} is rechargeable: the life is the time between charges")
        rows.append(out)
    return rows if many else rows[0]


def sleep_crossover_hz(curve) -> float | None:
    """On a life curve (a table with columns ``rate_hz`` and ``sleep_share``, rising rates: ``review.life_curve``),
    the rate [Hz] where sleep stops being half or more of the average current (log-interpolated), or None."""
    if curve is None or not len(curve):
        return None
    share = curve["sleep_share"].to_numpy(dtype=float)
    rate = curve["rate_hz"].to_numpy(dtype=float)
    for i in range(1, len(share)):
        if share[i - 1] >= 0.5 > share[i]:
            x0, x1 = math.log(rate[i - 1]), math.log(rate[i])
            return math.exp(x0 + (share[i - 1] - 0.5) / (share[i - 1] - share[i]) * (x1 - x0))
    return None
