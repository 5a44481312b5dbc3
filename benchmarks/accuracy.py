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
  the held-out core unknown: their common ratios on the simulated kernels of that core);
* leave-one-part-out energy: each measured part's workload factor replaced by the other parts' geometric mean;
* leave-one-release-out: each measured release of a closed runtime predicted with the release before it.
Bands (80 % intervals, `joulescope_free.bands.band_from_ratios`), each from predictions that did not see the rows
that make it: measured (leave-one-model-out ratios per runtime version and core), simulated (the simulation-only
ratios combined with the leave-one-board-out ones: what differs between boards; on an unmeasured core class also
with the spread of the measured cores' timing factors), extrapolated (leave-one-release-out ratios: an unmeasured
release), no data (leave-one-board-out combined with the timing-factor spread: a core class nothing was measured
or simulated on), calibrated (the pooled leave-one-model-out ratios: a calibration fixes the board, not the model).
The coverage table checks each band on its rows and nested: each group's rows (a model, a board, a release, a
part) against the band made without that group. The measured and extrapolated bands' width is chosen that way too:
their quantile level is the lowest (from 0.8 up) at which the nested check holds 80 % (``level_for``).

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


def _inside(x, lo, hi):
    return (x >= lo * (1 - 1e-9)) & (x <= hi * (1 + 1e-9))


def nested_coverage(ratios, groups, band_of) -> tuple[float, float, int]:
    """(share inside, median high/low, rows) of each group's ratios judged by ``band_of`` of the other groups'
    ratios: what a new model, release or board meets."""
    r, g = np.asarray(ratios, dtype=float), np.asarray(groups)
    keep = np.isfinite(r) & (r > 0)
    r, g = r[keep], g[keep]
    inside, widths = [], []
    for held in sorted(set(g)):
        if np.sum(g != held) >= 2:
            lo, hi = band_of(r[g != held])
            inside += list(_inside(r[g == held], lo, hi))
            widths.append(hi / lo)
    if not inside:
        return float("nan"), float("nan"), 0
    return float(np.mean(inside)), float(np.median(widths)), len(inside)


#: quantile levels tried when a band's width is chosen out of sample (never narrower than COVERAGE's own)
LEVELS = tuple(round(COVERAGE + 0.01 * k, 2) for k in range(int(round((0.98 - COVERAGE) / 0.01)) + 1))


def level_for(ratios, groups, band=band_from_ratios) -> float:
    """The lowest quantile level (from COVERAGE up) whose band, made without a group, holds COVERAGE of that group's
    rows over all groups: the width a band needs to mean its 80 % on a model, release or board it has not seen."""
    for level in LEVELS:
        if nested_coverage(ratios, groups, lambda r, c=level: band(r, c))[0] >= COVERAGE - 1e-9:
            return level
    return LEVELS[-1]


def _band_entry(basis, lat_ratios, e_ratios, how, runtime=None, cores=(), floor=None, e_floor=None,
                levels=(COVERAGE, COVERAGE)):
    lat = band_from_ratios(lat_ratios, levels[0], floor=floor)
    e_ratios = [r for r in e_ratios if r == r]
    if len(e_ratios) >= 2 or (e_ratios and e_floor):
        energy, e_how = band_from_ratios(e_ratios, levels[1], floor=e_floor), f"{len(e_ratios)} energy rows"
    else:
        energy = combine_bands(lat, current_band(COVERAGE))
        e_how = "no energy rows: the latency band combined with the power model's current band"
    text = f"{how}: {len(lat_ratios)} latency rows"
    if levels[0] != COVERAGE:
        text += f", quantile level {levels[0]:g} (chosen so that the band made without a group holds {COVERAGE:.0%})"
    if levels[1] != COVERAGE:
        e_how += f", quantile level {levels[1]:g} (chosen likewise)"
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
    mcu_ids = rows["mcu_id"].to_numpy()
    per_board = [f"{b} {np.nanmedian(meas_lat[mcu_ids == b] / lobo[mcu_ids == b]):.2f}" for b in boards]
    print(f"leave-one-board-out: measured/predicted latency median per held-out board: {', '.join(per_board)}")
    lobo_e = lobo * current
    add("energy, leave-one-board-out", lobo_naive * naive_e / naive_lat, meas_e, lobo_e, meas_e)

    # leave-one-part-out energy: each measured part's workload factor replaced by the geometric mean of the other
    # parts' factors (what a part without its own inference measurement gets), latency as predicted in-sample
    from joulescope_free.hardware.power import workload_factors

    factors = workload_factors()
    lopo_scale = np.ones(n)
    for part_id, factor in factors.items():
        others = np.exp(np.mean([np.log(v) for k, v in factors.items() if k != part_id]))
        lopo_scale[(rows["mcu_id"] == part_id).to_numpy()] = others / factor
    add("energy, leave-one-part-out", naive_e, meas_e, ours_e * lopo_scale, meas_e)
    add("energy, leave-one-part-out + LOMO", cv_naive * naive_e / naive_lat, meas_e, cv_e * lopo_scale, meas_e)

    # leave-one-release-out: each measured release of a closed runtime predicted with the release before it, on the
    # same board, clock and supply (what an estimate of an unmeasured release gets: the nearest older one)
    from joulescope_free.hardware.runtimes import load_runtime

    rel_lat, rel_e, rel_group = [], [], []
    for i, r in rows.iterrows():
        rt = load_runtime(r["runtime_label"])
        k = list(rt.versions).index(rt.version)
        if not closed[i] or k == 0:
            continue
        before = f"{rt.id}@{rt.versions[k - 1]}"
        e = jf.estimate(r["model_path"], r["mcu_id"], runtime=before, clock_mhz=r["clock_hz"] / 1e6,
                        supply_v=r["supply_v"] if r["supply_v"] == r["supply_v"] else None).summary
        rel_lat.append(r["latency_s"] / e["latency_s"])
        rel_e.append(r["energy_j"] / e["energy_per_inference_j"])
        rel_group.append(f"{r['runtime_label']} from {before}")
    rel_lat, rel_e = np.array(rel_lat), np.array(rel_e)
    print(f"leave-one-release-out: {len(rel_lat)} rows, measured/predicted latency median {np.median(rel_lat):.2f} "
          f"(p10 {np.quantile(rel_lat, 0.1):.2f}, p90 {np.quantile(rel_lat, 0.9):.2f}): a newer release is mostly "
          f"faster than the one before it")

    print(f"{'metric':32} {'stat':6} {'n':>4} {'naive %':>9} {'joulescope_free %':>18} {'ratio':>7}")
    for metric, stat, count, nv, ov, ratio in table:
        print(f"{metric:32} {stat:6} {count:>4} {nv:>9.1f} {ov:>18.1f} {ratio:>7.2f}")

    print("\n# simulation only, per runtime (no fitted coefficient)")
    sim_frame = rows[simulated].assign(ratio=ours_lat[simulated] / meas_lat[simulated])
    for lab, g in sim_frame.groupby("runtime_label"):
        print(f"{lab:26} n={len(g):3}  predicted/measured latency: " +
              "  ".join(f"{Path(p).stem.split('_')[0]} {r:.2f}" for p, r in zip(g["model_path"], g["ratio"])))

    # bands: ratios measured / predicted per basis, each from predictions that did not see the rows they judge
    lat_ratio = meas_lat / cv_lat
    e_ratio = meas_e / cv_e
    from joulescope_free.hardware.runtimes import load_core

    measured_cores = sorted(set(core))
    ok = ~np.isnan(lobo)
    # what differs between boards (memory system, build, glue, the timing model's error per core): the closed
    # runtimes' leave-one-board-out ratios, predicted with no coefficient fitted on the held-out board
    board = {"latency": band_from_ratios(meas_lat[ok] / lobo[ok], COVERAGE),
             "energy": band_from_ratios([r for r in meas_e[ok] / lobo_e[ok] if r == r], COVERAGE)}
    board_how = (f"the leave-one-board-out ratios of the closed runtimes ({int(ok.sum())} latency rows on "
                 f"{', '.join(boards)} held out in turn: what moving a runtime to an unseen board does)")
    # simulated: the simulation-only residuals (the one board with simulated and measured rows) combined with what
    # differs between boards; on a core class whose timing the table never measured, also with the spread of the
    # measured cores' real/simulated timing factors
    sim = {"latency": band_from_ratios(meas_lat[simulated] / ours_lat[simulated], COVERAGE),
           "energy": band_from_ratios([r for r in meas_e[simulated] / ours_e[simulated] if r == r], COVERAGE)}
    sim_how = (f"simulation-only predictions of the open-source runtimes ({int(simulated.sum())} latency rows, "
               f"{int(np.sum(~np.isnan(meas_e[simulated])))} energy rows on NUCLEO-L4R5ZI)")
    timing = [load_core(c).timing_factor for c in measured_cores]
    spread = band_from_ratios(timing, COVERAGE)
    spread_how = (f"the spread of the measured cores' real/simulated timing factors "
                  f"({', '.join(f'{c} {t:.2f}' for c, t in zip(measured_cores, timing))}): a core class the table "
                  f"never measured")

    def combined(parts, how, **extra):
        out = {"runtime": None, "cores": [], **extra}
        for k in ("latency", "energy"):
            band = parts[0][k]
            for other in parts[1:]:
                band = combine_bands(band, other[k])
            out[f"{k}_low"], out[f"{k}_high"] = (band[0], how), (band[1], how)
        return out

    sim_entry = combined([sim, board], f"{sim_how}, combined with {board_how}", basis="simulated",
                         cores=measured_cores)
    entries = [sim_entry,
               combined([sim, board, {"latency": spread, "energy": spread}],
                        f"{sim_how}, combined with {board_how} and with {spread_how}", basis="simulated")]
    # extrapolated: a release of a closed runtime that was never measured, on a core class its other releases were
    # measured on, is costed with the nearest older release: the leave-one-release-out ratios judge exactly that
    # their width is chosen out of sample: the quantile level at which the band made without a release (model) still
    # holds 80 % of that release's (model's) rows
    rel_levels = (level_for(rel_lat, rel_group), level_for(rel_e, rel_group))
    entries.append(_band_entry("extrapolated", rel_lat, rel_e,
                               "leave-one-release-out predictions: each measured release of a closed runtime "
                               "predicted with the release before it (benchmarks/accuracy.py)", levels=rel_levels))
    lobo_band = {"latency": board["latency"], "energy": board["energy"]}
    entries.append(combined([lobo_band, {"latency": spread, "energy": spread}],
                            f"no measured or simulated data on the core class: {board_how}, combined with "
                            f"{spread_how}", basis="extrapolated", scope="no data"))
    # kernels no board measured (a runtime whose kernel table is a stand-in loop, a model that is mostly float32 or
    # hybrid layers): the no-data band combined with how far the runtimes' real code lies from one simulated baseline
    # on the same boards: every row's measured latency over the TFLM + CMSIS-NN estimate of that model, board and
    # clock, around their geometric mean (the implementations' spread, not their offset)
    base_lat = {}
    for m, b, f in set(zip(rows["model_path"], rows["mcu_id"], rows["clock_hz"])):
        base_lat[(m, b, f)] = jf.estimate(m, b, runtime="tflm-cmsis-nn", clock_mhz=f / 1e6).summary["latency_s"]
    impl = meas_lat / np.array([base_lat[k] for k in zip(rows["model_path"], rows["mcu_id"], rows["clock_hz"])])
    impl = impl / np.exp(np.mean(np.log(impl)))
    impl_band = band_from_ratios(impl, COVERAGE)
    impl_how = (f"the spread of {n} measured latencies over the TFLM + CMSIS-NN estimate of the same model and board "
                f"({rows['runtime_label'].nunique()} runtime versions, around their geometric mean: how far "
                f"runtimes' own code lies from one simulated baseline)")
    entries.append(combined([lobo_band, {"latency": spread, "energy": spread},
                             {"latency": impl_band, "energy": impl_band}],
                            f"kernels no board measured (a representative loop, float32 layers): {board_how}, "
                            f"combined with {spread_how} and with {impl_how}", basis="extrapolated",
                            scope="unmeasured kernels"))
    pooled = (lat_ratio[closed], e_ratio[closed])
    model_levels = (level_for(pooled[0], bench[closed]), level_for(pooled[1], bench[closed]))
    entries.append(_band_entry("calibrated", *pooled, "pooled leave-one-model-out predictions (a calibration fixes "
                               "the board and runtime; a new model keeps the model-to-model error)",
                               levels=model_levels))
    pooled_band = band_from_ratios(pooled[0], model_levels[0])
    pooled_e = band_from_ratios([r for r in pooled[1] if r == r], model_levels[1])
    entries.append(_band_entry("measured", *pooled, "pooled leave-one-model-out predictions of every measured "
                               "runtime version (benchmarks/accuracy.py)", levels=model_levels))
    frame = rows.assign(core=core, lat_ratio=lat_ratio, e_ratio=e_ratio)
    for (lab, c), g in frame.groupby(["runtime_label", "core"]):
        entries.append(_band_entry("measured", g["lat_ratio"], g["e_ratio"],
                                   f"leave-one-model-out predictions of {lab} on {c} (benchmarks/accuracy.py)",
                                   runtime=lab, cores=[c], floor=pooled_band, e_floor=pooled_e,
                                   levels=model_levels))

    # coverage per basis, latency and energy: the rows each band was made from (all folds), and nested: each
    # group's rows (a model, a board) against the band made without that group, what a new model or board meets
    print(f"\n{'band coverage (80 % bands)':44} {'n':>4} {'level':>6} {'all':>6} {'nested':>7} {'hi/lo':>6} "
          f"{'nested hi/lo':>13}")

    def coverage(label, ratios, groups, band_of, level=COVERAGE):
        r = np.asarray(ratios, dtype=float)
        r = r[np.isfinite(r) & (r > 0)]
        if len(r) < 2:
            return
        lo, hi = band_of(r)
        share, width, _ = nested_coverage(ratios, groups, band_of)
        print(f"{label:44} {len(r):>4} {level:>6.2f} {np.mean(_inside(r, lo, hi)):>6.0%} {share:>7.0%} "
              f"{hi / lo:>6.2f} {width:>13.2f}")

    for k, (kind, meas, pred_cv, pred_sim, pred_lobo) in enumerate((("latency", meas_lat, cv_lat, ours_lat, lobo),
                                                                     ("energy", meas_e, cv_e, ours_e, lobo_e))):
        coverage(f"measured, {kind} (by model)", (meas / pred_cv)[closed], bench[closed],
                 lambda r, c=model_levels[k]: band_from_ratios(r, c), model_levels[k])
        coverage(f"simulated, {kind} (by model)", (meas / pred_sim)[simulated], bench[simulated],
                 lambda r, k=kind: combine_bands(band_from_ratios(r, COVERAGE), board[k]))
        coverage(f"extrapolated, {kind} (by release)", rel_lat if kind == "latency" else rel_e, rel_group,
                 lambda r, c=rel_levels[k]: band_from_ratios(r, c), rel_levels[k])
        coverage(f"no data, {kind} (by board)", (meas / pred_lobo)[ok], mcu_ids[ok],
                 lambda r: combine_bands(band_from_ratios(r, COVERAGE), spread))
    # the power model alone, by part, judged as it ships: a part without its own measurement gets the geometric mean
    # of the measured parts' factors and bands.current_band (the prediction interval of those factors). Each
    # measured part's rows (inference current measured / predicted with the other parts' factors) against the
    # shipped band (all) and against the band the other parts alone give (nested)
    from joulescope_free.bands import current_band

    current_ratio = (meas_e / meas_lat) / (ours_e / ours_lat * lopo_scale)

    def band_without(part):
        vals = [v for k, v in factors.items() if k != part]
        mean = np.exp(np.mean(np.log(vals)))
        return band_from_ratios([v / mean for v in vals], COVERAGE)

    keep = np.isfinite(current_ratio)
    shipped = current_band(COVERAGE)
    held_in, widths = [], []
    for part in sorted(set(mcu_ids[keep])):
        lo, hi = band_without(part)
        r = current_ratio[keep & (mcu_ids == part)]
        held_in += list((r >= lo) & (r <= hi))
        widths.append(hi / lo)
    r = current_ratio[keep]
    print(f"{'current, leave-one-part-out (by part)':44} {len(r):>4} {COVERAGE:>6.2f} "
          f"{np.mean((r >= shipped[0]) & (r <= shipped[1])):>6.0%} {np.mean(held_in):>7.0%} "
          f"{shipped[1] / shipped[0]:>6.2f} {np.median(widths):>13.2f}")
    for e in entries[:7]:
        print(f"band {e['basis']:13} {(e.get('scope') or ','.join(e['cores']) or 'any core'):32} latency x{e['latency_low'][0]:.2f}-{e['latency_high'][0]:.2f}  "
              f"energy x{e['energy_low'][0]:.2f}-{e['energy_high'][0]:.2f}")
    if args.write_bands:
        path = write_bands(entries, ROOT / "power_models" / "error_bands.toml", COVERAGE,
                           header="Written by `python benchmarks/accuracy.py --write-bands` from the validation of "
                                  "each basis on\ntests/data/mlperf_tiny/mlperf_tiny_calibration.csv (see the "
                                  "module docstring of benchmarks/accuracy.py).")
        print(f"written {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
