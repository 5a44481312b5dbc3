"""Rows per second of ``jf.sweep`` (issue 13 goal: at least 10,000 rows/s warm on 2 models x 30 MCUs x 10 clocks
x 10 rates x 10 batteries = 60,000 rows), against baselines run in the same process:

* the same sweep with ``vectorised=False`` (every row through the chain, the path before the numpy blocks), on
  the first battery only (6,000 rows) and given as rows per second;
* ``jf.estimate`` per row on a sample, as a user's own loop would do it (the model re-analysed each time).

Invalid combinations (a clock above a part's maximum, a pack outside its supply range, a rate faster than the
inference) are rows too, with their ``error``: the first line says how many there are. It also checks that the
vectorised table equals the row-by-row one on the 6,000 baseline rows.

    python benchmarks/sweep_speed.py [--quick]     # --quick: 3 clocks, 3 batteries
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

import joulescope_free as jf  # noqa: E402
from joulescope_free.hardware.catalog import list_mcus  # noqa: E402
from joulescope_free.model.analysis import analyze_path  # noqa: E402

MODELS = [ROOT / "tests/data/mlperf_tiny" / f
          for f in ("kws_ds_cnn_int8.tflite", "vww_mobilenet_v1_025_96_int8.tflite")]
SBC = ("beaglebone-ai", "rpi4", "imxrt1062")  # Linux boards and a crossover part with no battery in this list
CLOCKS = [None, 4, 8, 12, 16, 20, 24, 28, 32, 36]
DUTIES = ["1/s", 0.5, "every 5 s", "every 10 s", "every 30 s", "1/min", "5/min", "every 10 min", "1/h", "1/day"]
#: seven shipped packs that feed 1.8-3.6 V parts directly, and three inline 3 V packs (made-up capacities, here only
#: to make ten batteries: the shipped 3.6 V, 4.2 V and 1.5 V packs are outside most parts' supply range)
BATTERIES = ["cr2032", "2xaa-alkaline", "cr2450", "cr123a", "2xaaa-alkaline", "2xaa-lithium", "2xaa-nimh"] + [
    {"id": f"inline-3v-{mah}mah", "nominal_v": 3.0, "capacity_mah": mah} for mah in (100, 1000, 5000)]

def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 clocks and 3 batteries (6x fewer rows)")
    args = parser.parse_args()
    mcus = [m.id for m in list_mcus() if m.id not in SBC][:30]
    clocks, batteries = (CLOCKS[:3], BATTERIES[:3]) if args.quick else (CLOCKS, BATTERIES)
    grid = dict(mcu=mcus, clock_mhz=clocks, duty=DUTIES)
    jf.sweep(MODELS, mcu=mcus[:2], duty="1/min")  # imports, catalog and model analysis: outside every timing

    table, sweep_s = timed(lambda: jf.sweep(MODELS, battery=batteries, **grid))
    rows = len(table)
    scalar, scalar_s = timed(lambda: jf.sweep(MODELS, battery=batteries[:1], vectorised=False, **grid))
    vector_one = jf.sweep(MODELS, battery=batteries[:1], **grid)
    pd.testing.assert_frame_equal(vector_one, scalar)  # identical numbers, errors included

    sample = table[table["error"].isna() & (table["battery"] != "inline")].head(40)
    _, loop_s = timed(lambda: [jf.estimate(analyze_path(r.model_path), r.mcu, clock_mhz=r.clock_hz / 1e6,
                                           duty=r.duty, battery=r.battery) for r in sample.itertuples()])
    loop_rate = len(sample) / loop_s

    print(f"grid: {len(MODELS)} models x {len(mcus)} MCUs x {len(clocks)} clocks x {len(DUTIES)} rates x "
          f"{len(batteries)} batteries = {rows} rows ({int(table['error'].notna().sum())} with an error)")
    print(f"{'method':52} {'rows':>7} {'seconds':>8} {'rows/s':>8} {'x':>6}")
    print(f"{'jf.sweep, vectorised blocks':52} {rows:>7} {sweep_s:>8.2f} {rows / sweep_s:>8.0f} {1:>6.1f}")
    print(f"{'jf.sweep(vectorised=False): the chain row by row':52} {len(scalar):>7} {scalar_s:>8.2f} "
          f"{len(scalar) / scalar_s:>8.0f} {(rows / sweep_s) / (len(scalar) / scalar_s):>6.1f}")
    print(f"{'jf.estimate per row, re-analysed (sample)':52} {len(sample):>7} {loop_s:>8.2f} {loop_rate:>8.0f} "
          f"{(rows / sweep_s) / loop_rate:>6.1f}")
    print(f"vectorised == row by row on {len(scalar)} rows: yes;  goal >= 10,000 rows/s: "
          f"{'met' if rows / sweep_s >= 10_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
