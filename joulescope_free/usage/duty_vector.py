"""The duty stage of :mod:`usage.lifetime` for many inference rates at once (numpy), for sweeps.

Same model, same operations in the same order as :func:`lifetime.duty_cycle`, so every figure is identical to
the scalar path row by row (``tests/test_sweep.py`` compares them): the sleep strategies are built once by
``lifetime._strategies``, then each strategy's average current (``_evaluate``), the battery life (``_life``) and
the error band's ends (``_rescaled``) are computed for all rates as arrays. It covers what a sweep row needs
without a profile or a forced sleep mode, at finite rates; :func:`setup` returns None for anything else and the
caller uses ``duty_cycle`` itself. A rate an inference cannot keep up with is flagged (``fits`` False) for the
caller to explain with the scalar path's error.

Row sums: ``lifetime._nansum`` adds a handful of rows with numpy's pairwise sum, which below 8 terms is a plain
left-to-right loop; here the same rows are added left to right, and setups with 8 rows or more are refused.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..units import DAYS_PER_MONTH, MAH_TO_C, SECONDS_PER_DAY, SECONDS_PER_YEAR
from ._figures import _log_curve
from .lifetime import _row, _strategies

#: rows of one evaluation above which the sum order could differ from ``_nansum`` (numpy's pairwise blocks)
MAX_ROWS = 7


@dataclass
class DutySetup:
    """The rate-independent part of ``duty_cycle`` for one inference on one part, battery and regulator."""

    options: list                  # lifetime.Strategy, the default first (retain, cold start)
    bat: object                    # Battery or None
    reg: object                    # Regulator
    supply_v: float
    battery_v: float
    run_a: float
    other: float                   # the profile's own-rate time share (0 here: no profile)
    mcu_min_v: float


def setup(cost, mcu, bat, reg, supply_v: float, retain_bytes: int, cold_start) -> DutySetup | None:
    """``duty_cycle``'s preamble with no profile and no forced sleep mode; None where the scalar path must run
    (no sleep modes, an inference it would refuse, too many rows to sum in the same order)."""
    if not mcu.sleep_modes:
        return None
    supply_v = float(supply_v)
    latency_s, energy_j = float(cost.latency_s), float(cost.energy_j)
    if not supply_v > 0 or not latency_s > 0 or energy_j < 0:
        return None
    run_a = float(getattr(cost, "run_current_a", None) or energy_j / (latency_s * supply_v))
    battery_v = bat.nominal_v if bat is not None else supply_v
    profile_rows: list = []
    other = 0  # no profile, so no phases of their own rate (duty_cycle's sum over none)
    inference_row = _row("inference", "inference", None, latency_s, energy_j / (latency_s * supply_v), energy_j, True,
                         "from the cycle and power models")
    options = _strategies(mcu, int(retain_bytes), None, cold_start, None, inference_row, profile_rows, run_a,
                          supply_v, False)
    if not options or any(len(s.rows) + 2 > MAX_ROWS for s in options):
        return None
    for s in options:
        s.max_rate_hz = (1.0 - other) / sum(r["duration_s"] for r in s.rows if r["per_inference"])
    return DutySetup(options, bat, reg, supply_v, battery_v, run_a, other, mcu.supply_min_v)


def _average(rates: np.ndarray, rows: list, sleep_a, d: DutySetup) -> np.ndarray:
    """``lifetime._evaluate(rate, rows, sleep_a, ...)[2]`` for every rate in ``rates`` [Hz]."""
    per_inf = sum(r["duration_s"] for r in rows if r["per_inference"])
    period = 1.0 / rates
    conversion, sv = d.reg.conversion_factor, d.supply_v

    def factor(current_a):
        return conversion(current_a if current_a and not math.isnan(current_a) else d.run_a, sv, d.battery_v)

    terms = []
    for r in rows:  # wake-up, re-init, inference: per inference, so at the row's rate
        terms.append(r["energy_j"] * rates / sv * factor(r["current_a"]))
    if sleep_a is not None:
        sleep_s = np.maximum(0.0, period * (1.0 - d.other) - per_inf)
        terms.append(sleep_a * sleep_s * sv * rates / sv * factor(sleep_a))
    if d.reg.added_quiescent_a > 0:
        terms.append(np.full(rates.shape, d.reg.added_quiescent_a))
    total = 0.0
    for t in terms:  # left to right, NaN counted as 0 (lifetime._nansum)
        total = total + np.where(t != t, 0.0, t)
    return np.asarray(total, dtype=float)


def _peak_load_a(rows: list, sleep_a) -> float:
    """The highest phase current at the MCU supply (A), NaN when no phase has one (``duty_cycle``'s peak)."""
    peaks = [r["current_a"] for r in rows if not (r["current_a"] is None or r["current_a"] != r["current_a"])]
    if sleep_a is not None and sleep_a == sleep_a:
        peaks.append(sleep_a)
    return float(max(peaks)) if peaks else math.nan


def _life(avg_a: np.ndarray, peak_load_a: float, d: DutySetup):
    """``lifetime._life`` for every average battery current: (life in s, limited_by list)."""
    bat, reg = d.bat, d.reg
    peak_a = reg.battery_current_a(peak_load_a, d.supply_v, d.battery_v) if peak_load_a else None
    min_v = reg.min_battery_v(d.supply_v, d.mcu_min_v)
    b = bat.capacity_breakdown(float(avg_a.flat[0]) if avg_a.size else 0.0, peak_a, None if bat.ideal else min_v)
    mah = np.full(avg_a.shape, float(bat.capacity_mah))
    if bat.derating:  # Battery.capacity_breakdown, the load-dependent part, for every current
        if len(bat.derating) == 1:
            mah[:] = bat.derating[0][1]
        else:
            xs, ys = _log_curve(tuple(bat.derating))
            mah = np.interp(np.array([math.log10(max(x, 1e-15)) for x in avg_a.tolist()]), xs, ys)
        peak_cur, peak_mah = max(bat.derating, key=lambda p: p[1])
        if bat.low_rate_loss_is_self_discharge:
            mah = np.where(avg_a < peak_cur, peak_mah, mah)
    usable_c = mah * b["pulse_factor"] * b["voltage_fraction"] * MAH_TO_C
    sd_a = bat.self_discharge_current_a()
    drain = avg_a + sd_a
    with np.errstate(divide="ignore", invalid="ignore"):
        life_s = np.where(drain > 0, usable_c / np.where(drain > 0, drain, 1.0), math.inf)
    limited = np.where(usable_c <= 0, "cutoff", np.where(sd_a > avg_a, "self-discharge", "capacity")).astype(object)
    life_s = np.where(usable_c <= 0, 0.0, life_s)
    if bat.shelf_life_years:
        cap = bat.shelf_life_years * SECONDS_PER_YEAR
        capped = life_s > cap
        life_s = np.where(capped, cap, life_s)
        limited[capped] = "shelf life"
    return life_s, limited


def _ends(rates, s, d: DutySetup, band_ends):
    """The strategy's (average current, life in days) at the band's (latency, energy) ends: ``_rescaled``; NaN
    where the end's inference cannot keep up or there is no battery."""
    out = []
    for latency_s, energy_j in band_ends:
        current_a = energy_j / (latency_s * d.supply_v)
        rows = [dict(r, duration_s=latency_s, energy_j=energy_j, current_a=current_a) if r["kind"] == "inference"
                else r for r in s.rows]
        per_inf = sum(r["duration_s"] for r in rows if r["per_inference"])
        keeps_up = ~(rates * per_inf + d.other > 1.0 + 1e-12)
        avg = _average(rates, rows, s.sleep_current_a, d)
        days = np.full(rates.shape, np.nan)
        if d.bat is not None:
            days = _life(avg, _peak_load_a(rows, s.sleep_current_a), d)[0] / SECONDS_PER_DAY
        out.append((np.where(keeps_up, avg, np.nan), np.where(keeps_up, days, np.nan)))
    return out


def duty_rates(d: DutySetup, rates, band_ends=None) -> dict:
    """The sweep's duty columns for each rate [Hz] (arrays): ``fits`` (False: the scalar path explains why),
    ``average_current_a``, ``battery_life_days``/``_months``/``_limited_by``, ``sleep_mode`` and, with
    ``band_ends`` = ((latency_s, energy_j) low, high), ``average_current_low_a``/``high_a`` and
    ``battery_life_low_days``/``high_days``. NaN stands for None."""
    rates = np.asarray(rates, dtype=float)
    n = rates.shape[0]
    best = np.full(n, np.inf)
    chosen = np.full(n, -1)
    per_option = []
    for k, s in enumerate(d.options):  # min(fitting, key=average): the first strategy wins a tie
        fits = rates <= s.max_rate_hz * (1 + 1e-12)
        avg = _average(rates, s.rows, s.sleep_current_a, d)
        per_option.append(avg)
        better = fits & ((chosen < 0) | (avg < best))
        best = np.where(better, avg, best)
        chosen = np.where(better, k, chosen)
    out = {"fits": chosen >= 0, "average_current_a": np.where(chosen >= 0, best, np.nan),
           "sleep_mode": np.array([d.options[k].mode.name if k >= 0 and d.options[k].mode is not None else None
                                   for k in chosen.tolist()], dtype=object)}
    keys = ["battery_life_days", "battery_life_months", "average_current_low_a", "average_current_high_a",
            "battery_life_low_days", "battery_life_high_days"]
    out.update({k: np.full(n, np.nan) for k in keys})
    out["battery_life_limited_by"] = np.full(n, None, dtype=object)
    for k, s in enumerate(d.options):
        mask = chosen == k
        if not mask.any():
            continue
        nominal_a = per_option[k]
        days = np.full(n, np.nan)
        if d.bat is not None:
            life_s, limited = _life(nominal_a, _peak_load_a(s.rows, s.sleep_current_a), d)
            days = life_s / SECONDS_PER_DAY
            out["battery_life_days"][mask] = days[mask]
            out["battery_life_months"][mask] = (days / DAYS_PER_MONTH)[mask]
            out["battery_life_limited_by"][mask] = limited[mask]
        if band_ends is None:
            continue
        (low_a, low_days), (high_a, high_days) = _ends(rates, s, d, band_ends)
        for nominal, low, high, low_key, high_key in ((nominal_a, low_a, high_a, "average_current_low_a",
                                                        "average_current_high_a"),
                                                       (days, low_days, high_days, "battery_life_low_days",
                                                        "battery_life_high_days")):
            known = ~(np.isnan(nominal) | np.isnan(low) | np.isnan(high))
            lo = np.minimum(np.minimum(nominal, low), high)
            hi = np.maximum(np.maximum(nominal, low), high)
            out[low_key][mask] = np.where(known, lo, np.nan)[mask]
            out[high_key][mask] = np.where(known, hi, np.nan)[mask]
    return out
