"""Accuracy of the cycle and power models against the naive baseline, on the shipped MLPerf Tiny table, and the
error bands that validation backs.

Naive baseline: one cycles-per-MAC number per runtime version (the median over its rows), latency = MACs x that
/ clock, and energy = latency x supply x the datasheet run current (no workload factor, no layer structure).

Checks (each row of the printed table: naive and ours, median and p90 of |predicted/measured - 1|):
* in-sample: the shipped model on every row;
* simulation only: the open-source runtimes (TFLM + CMSIS-NN 2.3.1, microTVM) predicted from the kernels simulated
  from their code, with no coefficient fitted to any row (the proof of the method);
* leave-one-model-out: each of KWS, VWW, IC, AD predicted by closed-runtime ratios fitted without it;
* leave-one-board-out: the Cortex-M7 and the Cortex-M33 board held out in turn (the closed runtimes' factor for
  the held-out core unknown: their common ratios on the simulated kernels of that core).
Bands (80 % intervals, `joulescope_free.validation.band_from_ratios`) per basis: measured (leave-one-model-out
ratios per runtime version and core), simulated (the simulation-only ratios), extrapolated (leave-one-board-out
ratios), calibrated (the pooled leave-one-model-out ratios: a calibration fixes the board, not the model). Band
coverage on the leave-one-board-out folds is checked honestly: each fold's band comes from the other fold.

    python benchmarks/accuracy.py [--data CSV] [--write-bands]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import joulescope_free as jf  # noqa: E402
from joulescope_free.api import _analysis  # noqa: E402
from joulescope_free.hardware.catalog import load_mcu  # noqa: E402
from joulescope_free.hardware.power import datasheet_run_current_a  # noqa: E402
from joulescope_free.validation import band_from_ratios, combine_bands, current_band, write_bands  # noqa: E402

COVERAGE = 0.8


def naive_predictions(rows: pd.DataFrame, train) -> tuple[np.ndarray, np.ndarray]:
    train = np.asarray(train)
    macs = np.array([_analysis(p).summary["macs"] for p in rows["model_path"]], dtype=float)
    cpm = rows["latency_s"] * rows["clock_hz"] / macs
    per_runtime = cpm[train].groupby(rows["runtime_label"][train]).median()
    fallback = float(cpm[train].median())
    lat = macs * rows["runtime_label"].map(per_runtime).fillna(fallback).to_numpy() / rows["clock_hz"].to_numpy()
    cur = np.array([datasheet_run_current_a(load_mcu(m), f, v if v == v else 3.3)
                    for m, f, v in zip(rows["mcu_id"], rows["clock_hz"], rows["supply_v"])])
    return lat, lat * cur * rows["supply_v"].to_numpy()


def abs_pct(pred, meas) -> pd.Series:
    return pd.Series(np.abs(np.asarray(pred, dtype=float) / np.asarray(meas, dtype=float) - 1) * 100).dropna()


def _band_entry(basis, lat_ratios, e_ratios, how, runtime=None, cores=(), floor=None, e_floor=None):
    lat = band_from_ratios(lat_ratios, COVERAGE, floor=floor)
    e_ratios = [r for r in e_ratios if r == r]
    if len(e_ratios) >= 2 or (e_ratios and e_floor):
        energy, e_how = band_from_ratios(e_ratios, COVERAGE, floor=e_floor), f"{len(e_ratios)} energy rows"
    else:
        energy = combine_bands(lat, current_band(COVERAGE))
        e_how = "no energy rows: the latency band combined with the power model's current band"
    text = f"{how}: {len(lat_ratios)} latency rows"
    return {"basis": basis, "runtime": runtime, "cores": list(cores),
            "latency_low": (lat[0], text), "latency_high": (lat[1], text),
            "energy_low": (energy[0], f"{how}: {e_how}"), "energy_high": (energy[1], f"{how}: {e_how}")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=None)
    ap.add_argument("--write-bands", action="store_true", help="write power_models/error_bands.toml")
    args = ap.parse_args()
    from fit_cycle_model import LatencyModel

    result = jf.validate(args.data)
    rows = result.rows[result.rows["skipped"].isna()].reset_index(drop=True)  # rows the catalogs can place
    n = len(rows)
    everything = np.ones(n, dtype=bool)
    meas_lat, meas_e = rows["latency_s"].to_numpy(), rows["energy_j"].to_numpy()
    ours_lat, ours_e = rows["predicted_latency_s"].to_numpy(), rows["predicted_energy_j"].to_numpy()
    naive_lat, naive_e = naive_predictions(rows, everything)
    model = LatencyModel(rows)
    closed = rows["runtime_label"].isin(model.labels).to_numpy()
    simulated = ~closed
    core = model.cores.to_numpy()
    current = ours_e / ours_lat  # predicted inference power: energy = latency x this

    table = []

    def add(metric, naive_pred, naive_meas, ours_pred, ours_meas):
        for stat in ("median", "p90"):
            f = (lambda s: s.median()) if stat == "median" else (lambda s: s.quantile(0.9))
            a, b = abs_pct(naive_pred, naive_meas), abs_pct(ours_pred, ours_meas)
            nv, ov = f(a), f(b)
            table.append((metric, stat, len(b), nv, ov, ov / nv if nv else float("nan")))

    add("latency, in-sample", naive_lat, meas_lat, ours_lat, meas_lat)
    add("energy, in-sample", naive_e, meas_e, ours_e, meas_e)

    # simulation only: no coefficient of these runtimes is fitted to any row
    add("latency, simulation only", naive_lat[simulated], meas_lat[simulated], ours_lat[simulated],
        meas_lat[simulated])
    add("energy, simulation only", naive_e[simulated], meas_e[simulated], ours_e[simulated], meas_e[simulated])

    # leave-one-model-out (closed runtimes refitted; simulated runtimes have nothing to refit)
    bench = rows["model_path"].map(lambda p: Path(p).stem).to_numpy()
    cv_lat, cv_naive = ours_lat.copy(), np.full(n, np.nan)
    for held in sorted(set(bench)):
        test = bench == held
        cv_lat[test & closed] = model.predict(model.fit(~test))[test & closed]
        cv_naive[test] = naive_predictions(rows, ~test)[0][test]
    cv_e = cv_lat * current
    add("latency, leave-one-model-out", cv_naive, meas_lat, cv_lat, meas_lat)
    add("energy, leave-one-model-out", cv_naive * naive_e / naive_lat, meas_e, cv_e, meas_e)

    # leave-one-board-out: the Cortex-M4 board anchors the closed runtimes' ratios, the others are held out
    boards = sorted({m for m, c in zip(rows["mcu_id"], core) if c != "cortex-m4"})
    lobo, lobo_naive = np.full(n, np.nan), np.full(n, np.nan)
    for held in boards:
        held_rows = (rows["mcu_id"] == held).to_numpy()
        known = rows["runtime_label"].isin(set(rows["runtime_label"][~held_rows])).to_numpy()
        test = held_rows & known & closed
        lobo[test] = model.predict(model.fit(~held_rows))[test]
        lobo_naive[test] = naive_predictions(rows, ~held_rows)[0][test]
    add("latency, leave-one-board-out", lobo_naive, meas_lat, lobo, meas_lat)
    lobo_e = lobo * current
    add("energy, leave-one-board-out", lobo_naive * naive_e / naive_lat, meas_e, lobo_e, meas_e)

    print(f"{'metric':32} {'stat':6} {'n':>4} {'naive %':>9} {'joulescope_free %':>18} {'ratio':>7}")
    for metric, stat, count, nv, ov, ratio in table:
        print(f"{metric:32} {stat:6} {count:>4} {nv:>9.1f} {ov:>18.1f} {ratio:>7.2f}")

    print("\n# simulation only, per runtime (no fitted coefficient)")
    sim_frame = rows[simulated].assign(ratio=ours_lat[simulated] / meas_lat[simulated])
    for lab, g in sim_frame.groupby("runtime_label"):
        print(f"{lab:26} n={len(g):3}  predicted/measured latency: " +
              "  ".join(f"{Path(p).stem.split('_')[0]} {r:.2f}" for p, r in zip(g["model_path"], g["ratio"])))

    # bands: ratios measured / predicted per basis
    lat_ratio = meas_lat / cv_lat
    e_ratio = meas_e / cv_e
    # simulated: on a core class whose simulated timing the table measures (the reference core, and the cores
    # with a fitted timing factor), the simulation-only residuals; on any other simulated core those combined with
    # how far the timing model was off on the measured cores (their real / simulated factors)
    from joulescope_free.hardware.runtimes import load_core

    measured_cores = sorted(set(core))
    sim_entry = _band_entry("simulated", meas_lat[simulated] / ours_lat[simulated],
                            meas_e[simulated] / ours_e[simulated],
                            "simulation-only predictions of the open-source runtimes (benchmarks/accuracy.py)",
                            cores=measured_cores)
    timing = [load_core(c).timing_factor for c in measured_cores]
    spread = band_from_ratios(timing, COVERAGE)
    wide = {k: (combine_bands((sim_entry[f"{k}_low"][0], sim_entry[f"{k}_high"][0]), spread),
                f"{sim_entry[f'{k}_low'][1]}, combined with the spread of the measured cores' real/simulated "
                f"timing factors ({', '.join(f'{c} {t:.2f}' for c, t in zip(measured_cores, timing))}): a core "
                f"class the table never measured") for k in ("latency", "energy")}
    entries = [sim_entry, {"basis": "simulated", "runtime": None, "cores": [],
                           **{f"{k}_{end}": (wide[k][0][i], wide[k][1]) for k in wide
                              for i, end in enumerate(("low", "high"))}}]
    ok = ~np.isnan(lobo)
    entries.append(_band_entry("extrapolated", meas_lat[ok] / lobo[ok], meas_e[ok] / lobo_e[ok],
                               "leave-one-board-out predictions of the closed runtimes (benchmarks/accuracy.py)"))
    pooled = (lat_ratio[closed], e_ratio[closed])
    entries.append(_band_entry("calibrated", *pooled, "pooled leave-one-model-out predictions (a calibration fixes "
                               "the board and runtime; a new model keeps the model-to-model error)"))
    pooled_band = band_from_ratios(pooled[0], COVERAGE)
    pooled_e = band_from_ratios([r for r in pooled[1] if r == r], COVERAGE)
    entries.append(_band_entry("measured", *pooled, "pooled leave-one-model-out predictions of every measured "
                               "runtime version (benchmarks/accuracy.py)"))
    frame = rows.assign(core=core, lat_ratio=lat_ratio, e_ratio=e_ratio)
    for (lab, c), g in frame.groupby(["runtime_label", "core"]):
        entries.append(_band_entry("measured", g["lat_ratio"], g["e_ratio"],
                                   f"leave-one-model-out predictions of {lab} on {c} (benchmarks/accuracy.py)",
                                   runtime=lab, cores=[c], floor=pooled_band, e_floor=pooled_e))

    # honest coverage of the extrapolated band: each board's band from the other board's residuals
    cover, widths = [], []
    for held in boards:
        mine = ok & (rows["mcu_id"] == held).to_numpy()
        other = ok & ~mine
        if other.sum() >= 2 and mine.any():
            lo, hi = band_from_ratios(meas_lat[other] / lobo[other], COVERAGE)
            r = meas_lat[mine] / lobo[mine]
            cover += list((r >= lo) & (r <= hi))
            widths.append(hi / lo)
    lo, hi = band_from_ratios(meas_lat[ok] / lobo[ok], COVERAGE)
    r = meas_lat[ok] / lobo[ok]
    print(f"\nextrapolated band on the leave-one-board-out folds: coverage {np.mean((r >= lo) & (r <= hi)):.0%} of "
          f"{int(ok.sum())} rows with the band made from all folds (x{lo:.2f}-{hi:.2f}, high/low {hi / lo:.2f})")
    if cover:
        print(f"  stricter, each fold's band from the other fold only: coverage {np.mean(cover):.0%} of {len(cover)} "
              f"rows, high/low {np.median(widths):.2f}")
    for e in entries[:5]:
        print(f"band {e['basis']:13} {','.join(e['cores']) or 'any core':32} latency x{e['latency_low'][0]:.2f}-{e['latency_high'][0]:.2f}  "
              f"energy x{e['energy_low'][0]:.2f}-{e['energy_high'][0]:.2f}")
    if args.write_bands:
        path = write_bands(entries, ROOT / "power_models" / "error_bands.toml", COVERAGE,
                           header="Written by `python benchmarks/accuracy.py --write-bands` from the validation of "
                                  "each basis on\ntests/data/mlperf_tiny/mlperf_tiny_calibration.csv (see the "
                                  "module docstring of benchmarks/accuracy.py).")
        print(f"written {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
