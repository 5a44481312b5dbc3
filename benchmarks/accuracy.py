"""Accuracy of the cycle and power models against the naive baseline, on the shipped MLPerf Tiny table.

Naive baseline: one cycles-per-MAC number per runtime version (the median over its rows), latency = MACs x that
/ clock, and energy = latency x supply x the datasheet run current (no workload factor, no layer structure).

Both are scored in-sample and leave-one-model-out (each of KWS, VWW, IC, AD predicted by coefficients fitted
without it), which is the fairer guess of the error on models that are not in the table.

    python benchmarks/accuracy.py [--data CSV] [--no-cv] [--write-bands]

--write-bands stores, per runtime version, the 90th-percentile leave-one-model-out error of latency and energy in
power_models/error_bands.toml; ``estimate`` reports it as ``latency_error_pct`` / ``energy_error_pct`` for that
runtime on the core classes the table covers (and says where it has no band).
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


def naive_predictions(rows: pd.DataFrame, train: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    macs = np.array([_analysis(p).summary["macs"] for p in rows["model_path"]], dtype=float)
    cpm = rows["latency_s"] * rows["clock_hz"] / macs
    per_runtime = cpm[train].groupby(rows["runtime_label"][train]).median()
    fallback = float(cpm[train].median())
    lat = macs * rows["runtime_label"].map(per_runtime).fillna(fallback).to_numpy() / rows["clock_hz"].to_numpy()
    cur = np.array([datasheet_run_current_a(load_mcu(m), f, v if v == v else 3.3)
                    for m, f, v in zip(rows["mcu_id"], rows["clock_hz"], rows["supply_v"])])
    return lat, lat * cur * rows["supply_v"].to_numpy()


def abs_pct(pred, meas) -> pd.Series:
    return pd.Series(np.abs(np.asarray(pred) / np.asarray(meas) - 1) * 100).dropna()


def write_bands(rows: pd.DataFrame, cv_latency: np.ndarray, cv_energy: np.ndarray) -> None:
    from joulescope_free.hardware.catalog import load_mcu as _mcu

    frame = rows.assign(core=rows["mcu_id"].map(lambda m: _mcu(m).core),
                        lat_err=np.abs(cv_latency / rows["latency_s"].to_numpy() - 1) * 100,
                        e_err=np.abs(cv_energy / rows["energy_j"].to_numpy() - 1) * 100)
    lines = ["# Written by `python benchmarks/accuracy.py --write-bands`: per runtime version, the 90th percentile of the",
             "# absolute error of leave-one-model-out predictions (each MLPerf Tiny model predicted by coefficients",
             "# fitted without it) over the rows of tests/data/mlperf_tiny/mlperf_tiny_calibration.csv.",
             "# `energy estimate` quotes them for that runtime on the listed core classes only.", ""]
    for rid, g in frame.groupby("runtime_label"):
        lines.append("[[band]]")
        lines.append(f'runtime = "{rid}"')
        lines.append("cores = [" + ", ".join(f'"{c}"' for c in sorted(g["core"].unique())) + "]")
        note = f"p90 of |leave-one-model-out error| over {len(g)} latency rows of {rid}"
        lines.append(f'latency_error_pct = {{ value = {g["lat_err"].quantile(0.9):.1f}, derived = "{note}" }}')
        e = g["e_err"].dropna()
        if len(e):
            note = f"p90 of |leave-one-model-out error| over {len(e)} energy rows of {rid}"
            lines.append(f'energy_error_pct = {{ value = {e.quantile(0.9):.1f}, derived = "{note}" }}')
        lines.append("")
    (ROOT / "power_models" / "error_bands.toml").write_text("\n".join(lines))
    print("written power_models/error_bands.toml")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=None)
    ap.add_argument("--no-cv", action="store_true", help="skip the leave-one-model-out refits (about a minute)")
    ap.add_argument("--write-bands", action="store_true", help="write power_models/error_bands.toml")
    ap.add_argument("--by-board", action="store_true",
                    help="also leave the Cortex-M7 and Cortex-M33 boards out in turn (the held-out core's speed is "
                         "then unknown: 1.0, as for a core class without measurements)")
    args = ap.parse_args()
    result = jf.validate(args.data)
    rows = result.rows[result.rows["skipped"].isna()].reset_index(drop=True)  # rows the catalogs can place
    everything = pd.Series(True, index=rows.index)
    ours_lat = rows["predicted_latency_s"].to_numpy()
    ours_e = rows["predicted_energy_j"].to_numpy()
    naive_lat, naive_e = naive_predictions(rows, everything)

    table = []

    def add(metric, naive_err, ours_err, stat):
        f = (lambda s: s.median()) if stat == "median" else (lambda s: s.quantile(0.9))
        n, o = f(naive_err), f(ours_err)
        table.append((metric, stat, len(ours_err), n, o, o / n if n else float("nan")))

    for stat in ("median", "p90"):
        add("latency, in-sample", abs_pct(naive_lat, rows["latency_s"]), abs_pct(ours_lat, rows["latency_s"]), stat)
        add("energy, in-sample", abs_pct(naive_e, rows["energy_j"]), abs_pct(ours_e, rows["energy_j"]), stat)

    if not args.no_cv:
        from fit_cycle_model import LatencyModel

        model = LatencyModel(rows)
        bench = rows["model_path"].map(lambda p: Path(p).stem)
        cv_ours = np.full(len(rows), np.nan)
        cv_naive = np.full(len(rows), np.nan)
        cv_current = np.full(len(rows), np.nan)
        measured_current = rows["energy_j"] / rows["latency_s"] / rows["supply_v"]
        same_setup = ["mcu_id", "runtime_label", "supply_v"]
        for held in sorted(bench.unique()):
            train, test = (bench != held).to_numpy(), (bench == held).to_numpy()
            p = model.fit(train)
            cv_ours[test] = model.predict(p, rows[test])
            cv_naive[test] = naive_predictions(rows, pd.Series(train, index=rows.index))[0][test]
            # the inference current re-derived without the held-out model: the mean current the other models
            # drew on the same part, runtime version and supply (the measured workload factor and activity
            # otherwise include the held-out model's own energy rows)
            per_setup = measured_current[train].groupby([rows[c][train] for c in same_setup]).mean()
            keys = list(zip(*(rows[c][test] for c in same_setup)))
            cv_current[test] = [per_setup.get(k, np.nan) for k in keys]
        cv_energy = cv_ours * cv_current * rows["supply_v"].to_numpy()
        for stat in ("median", "p90"):
            add("latency, leave-one-model-out", abs_pct(cv_naive, rows["latency_s"]),
                abs_pct(cv_ours, rows["latency_s"]), stat)
            add("energy, leave-one-model-out", abs_pct(cv_naive * naive_e / naive_lat, rows["energy_j"]),
                abs_pct(cv_energy, rows["energy_j"]), stat)
        if args.write_bands:
            write_bands(rows, cv_ours, cv_energy)

    if args.by_board:
        from fit_cycle_model import LatencyModel

        model = LatencyModel(rows)
        cv_board = np.full(len(rows), np.nan)
        # the Cortex-M4 board is the reference the runtime coefficients are expressed on: without it the
        # product (runtime cost x core speed) has no anchor, so only the other boards are held out
        boards = sorted(m for m in rows["mcu_id"].unique() if model.mcus[m].core != "cortex-m4")
        for held in boards:
            # rows of the held-out board whose runtime version was also measured on another board: the others
            # would test an unfitted runtime, not the board
            held_rows = (rows["mcu_id"] == held).to_numpy()
            known = rows["runtime_label"].isin(set(rows["runtime_label"][~held_rows])).to_numpy()
            test = held_rows & known
            p = model.fit(~held_rows, core_speeds=(1.0, 1.0))
            cv_board[test] = model.predict(p, rows[test])
        naive_board = np.full(len(rows), np.nan)
        for held in boards:
            held_rows = rows["mcu_id"] == held
            naive_board[held_rows.to_numpy()] = naive_predictions(rows, ~held_rows)[0][held_rows.to_numpy()]
        naive_board[np.isnan(cv_board)] = np.nan
        for stat in ("median", "p90"):
            add("latency, leave-one-board-out", abs_pct(naive_board, rows["latency_s"]),
                abs_pct(cv_board, rows["latency_s"]), stat)

    print(f"{'metric':32} {'stat':6} {'n':>4} {'naive %':>9} {'joulescope_free %':>18} {'ratio':>7}")
    for metric, stat, n, naive, ours, ratio in table:
        print(f"{metric:32} {stat:6} {n:>4} {naive:>9.1f} {ours:>18.1f} {ratio:>7.2f}")


if __name__ == "__main__":
    main()
