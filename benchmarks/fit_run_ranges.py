"""Run current versus clock per voltage range, from the multi-point datasheet tables.

Reads ``power_models/reference/run_current_tables.csv`` and fits ``I = fixed + per_hz x f`` by least squares per
(part, supply path, range) over the rows of one workload and code location, then prints:

* each fit (fixed [mA], per MHz [µA/MHz], the largest relative residual) and the ``[[run.range]]`` TOML it gives;
* the fixed share of the run current at the top of each table's fastest range, and their median: the fraction
  ``power_models/run_current.toml`` uses to split a part's headline µA/MHz figure (no fixed term) into a fixed and
  a per-MHz part;
* the SMPS supply power's change with VDD (``[run] power_slope_per_v`` of the STM32U575/U585).

    python benchmarks/fit_run_ranges.py
"""
from __future__ import annotations

import csv
import re
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "power_models" / "reference" / "run_current_tables.csv"

#: (label, row filter) of the tables fitted: one workload, code location, supply and regulator each
TABLES = {
    "STM32U585 LDO 3.0 V (DS13086 Table 38, reduced code from flash)": dict(
        part="STM32U585 (DS13086", regulator="LDO", supply="3.0 (DS", workload="ST 'Reduced code'"),
    "STM32U585 SMPS 3.0 V (DS13086, reduced code from flash)": dict(
        part="STM32U585 (DS13086", regulator="SMPS", supply="3.0", workload="ST 'Reduced code'"),
    "STM32U585 SMPS 1.8 V (DS13086, reduced code from flash)": dict(
        part="STM32U585 (DS13086", regulator="SMPS", supply="1.8", workload="ST 'Reduced code'"),
    "STM32H743 rev V LDO 3.3 V (DS12110, CoreMark from ITCM, first table)": dict(
        part="STM32H743 (silicon rev V)", regulator="LDO", supply="3.3 (DS", workload="CoreMark", code="ITCM",
        first=13),
}


def rows_of(spec: dict) -> list[dict]:
    with TABLE.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        if not r["part"].startswith(spec["part"]) or not r["regulator"].startswith(spec["regulator"]):
            continue
        if r["supply_v"].strip() != spec["supply"] and not r["supply_v"].startswith(spec["supply"] + " "):
            if not (spec["supply"].endswith("(DS") and r["supply_v"].startswith(spec["supply"])):
                continue
        if not r["workload"].startswith(spec["workload"]) or spec.get("code", "") not in r["code_location"]:
            continue
        try:
            out.append({"range": r["mode_range"], "clock_hz": float(r["clock_mhz"]) * 1e6,
                        "current_a": float(r["current_ma"]) * 1e-3,
                        "max_hz": float(re.match(r"[\d.]+", r["max_clock_in_range_mhz"])[0]) * 1e6})
        except (TypeError, ValueError):
            continue
    return out[:spec["first"]] if "first" in spec else out


def fit(points: list[dict]) -> tuple[float, float, float]:
    """(fixed [A], per Hz [A/Hz], largest relative residual) of a least-squares line; one point: through it with
    the fixed share of the part's other ranges unknown (returned as a zero fixed term)."""
    xs, ys = [p["clock_hz"] for p in points], [p["current_a"] for p in points]
    if len(points) == 1:
        return 0.0, ys[0] / xs[0], 0.0
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    k = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    a = my - k * mx
    if a < 0:  # a line through the origin instead (no negative static current)
        k, a = sum(x * y for x, y in zip(xs, ys)) / sum(x * x for x in xs), 0.0
    worst = max(abs(a + k * x - y) / y for x, y in zip(xs, ys))
    return a, k, worst


def main() -> None:
    fractions = []
    for label, spec in TABLES.items():
        points = rows_of(spec)
        print(f"\n# {label}: {len(points)} points")
        ranges = {}
        for p in points:
            ranges.setdefault(p["range"], []).append(p)
        top = None
        for name, pts in sorted(ranges.items(), key=lambda kv: kv[1][0]["max_hz"]):
            a, k, worst = fit(pts)
            clocks = ", ".join(f"{p['clock_hz'] / 1e6:g}" for p in sorted(pts, key=lambda p: p["clock_hz"]))
            print(f"{name:10} max {pts[0]['max_hz'] / 1e6:5g} MHz  fixed {a * 1e3:6.3f} mA  {k * 1e12:6.1f} µA/MHz  "
                  f"worst residual {worst:5.1%}  (points at {clocks} MHz)")
            print(f'  [[run.range]] name = "{name}"; max_clock_hz = {pts[0]["max_hz"]:.4g}; '
                  f'fixed_current_a = {a:.4g}; current_per_hz_a = {k:.4g}')
            top = (a, k, pts[0]["max_hz"])
        a, k, f = top
        fractions.append(a / (a + k * f))
        print(f"fixed share at {f / 1e6:g} MHz: {fractions[-1]:.1%}")
    print(f"\nmedian fixed share at the top of the fastest range over {len(fractions)} tables: "
          f"{statistics.median(fractions):.3f} (range {min(fractions):.3f}-{max(fractions):.3f})")
    smps_power_slope()


def smps_power_slope() -> float:
    """The STM32U585 SMPS tables at 1.8 and 3.0 V, at the same clocks (4 MHz and up: above the floor where the
    converter's own current dominates): supply power P = V x I at 1.8 V over that at 3.0 V, and the slope k of
    P(V) / P(3.0 V) = 1 + k (V - 3.0 V) through them (least squares): ``[run] power_slope_per_v``."""
    low = rows_of(TABLES["STM32U585 SMPS 1.8 V (DS13086, reduced code from flash)"])
    high = {p["clock_hz"]: p["current_a"]
            for p in rows_of(TABLES["STM32U585 SMPS 3.0 V (DS13086, reduced code from flash)"])}
    ratios = [(p["clock_hz"], p["current_a"] * 1.8 / (high[p["clock_hz"]] * 3.0)) for p in low
              if p["clock_hz"] in high and p["clock_hz"] >= 4e6]
    k = sum(r - 1 for _, r in ratios) / (len(ratios) * (1.8 - 3.0))
    print(f"\n# STM32U585 SMPS supply power at 1.8 V over 3.0 V, {len(ratios)} clocks: "
          + ", ".join(f"{f / 1e6:g} MHz {r:.3f}" for f, r in sorted(ratios))
          + f"\npower_slope_per_v = {k:.3f} (median ratio {statistics.median(r for _, r in ratios):.3f})")
    return k


if __name__ == "__main__":
    main()
