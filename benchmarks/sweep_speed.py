"""Rows per second of ``jf.sweep`` (goal: at least 1000), against a baseline run in the same process: the same
combinations estimated one by one from the model file, as a user's own loop would (analysis repeated each time).

    python benchmarks/sweep_speed.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import joulescope_free as jf  # noqa: E402
from joulescope_free.model.analysis import analyze_path  # noqa: E402

MODELS = [ROOT / "tests/data/mlperf_tiny" / f for f in ("kws_ds_cnn_int8.tflite", "vww_mobilenet_v1_025_96_int8.tflite")]
MCUS = ["stm32l4r5", "nrf52840", "stm32u575", "esp32s3", "rp2040"]
CLOCKS = [None, 32, 48]
DUTIES = ["1/s", "1/min", "every 10 min", "1/h"]
BATTERIES = ["cr2032", "2xaa-alkaline", "er14505"]


def main() -> None:
    jf.estimate(MODELS[0], "stm32l4r5")  # import and catalog warm-up, outside both timings
    t0 = time.perf_counter()
    table = jf.sweep(MODELS, mcu=MCUS, clock_mhz=CLOCKS, duty=DUTIES, battery=BATTERIES)
    sweep_s = time.perf_counter() - t0
    rows = len(table)

    sample = table.head(40)
    t0 = time.perf_counter()
    for r in sample.itertuples():
        try:
            jf.estimate(analyze_path(r.model_path), r.mcu, clock_mhz=None if r.clock_hz != r.clock_hz else r.clock_hz / 1e6,
                        duty=r.duty, battery=r.battery)
        except jf.UserError:
            pass
    loop_s = (time.perf_counter() - t0) / len(sample) * rows

    print(f"{'method':40} {'rows':>6} {'seconds':>8} {'rows/s':>8}")
    print(f"{'jf.sweep (each model analysed once)':40} {rows:>6} {sweep_s:>8.2f} {rows / sweep_s:>8.0f}")
    print(f"{'baseline: estimate() per row, re-analysed':40} {rows:>6} {loop_s:>8.2f} {rows / loop_s:>8.0f}")
    print(f"ratio sweep/baseline time: {sweep_s / loop_s:.2f}   invalid combinations: {int(table['error'].notna().sum())}")


if __name__ == "__main__":
    main()
