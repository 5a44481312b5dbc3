"""Cold start of the CLI (issue 13): ``energy estimate MODEL --mcu nrf52840 --json`` in a fresh process, against
``python -c "import pandas, numpy"`` on the same machine, as the ratio of the medians (goal: at most 1.2).

    python benchmarks/cold_start.py [--runs 7] [--mcu nrf52840]

Each command runs ``--runs`` times in a new interpreter (the first of each is a discarded warm-up of the OS file
cache); the table gives the median wall time of each and their ratio.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "tests/data/mlperf_tiny/kws_ds_cnn_int8.tflite"


def median_s(argv: list[str], runs: int) -> float:
    subprocess.run(argv, check=True, capture_output=True)  # warm-up: file cache, .pyc files
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--mcu", default="nrf52840")
    args = parser.parse_args()
    estimate = [sys.executable, "-m", "joulescope_free.cli", "estimate", str(MODEL), "--mcu", args.mcu, "--json"]
    rows = [("python -c 'import pandas, numpy' (baseline)", [sys.executable, "-c", "import pandas, numpy"]),
            (f"energy estimate kws --mcu {args.mcu} --json", estimate),
            ("  ... --duty 1/min --battery cr2032", estimate + ["--duty", "1/min", "--battery", "cr2032"]),
            ("  ... the same printed as tables (no --json)", estimate[:-1] + ["--duty", "1/min", "--battery", "cr2032"]),
            ("energy --help", [sys.executable, "-m", "joulescope_free.cli", "--help"])]
    medians = [(name, median_s(argv, args.runs)) for name, argv in rows]
    base = medians[0][1]
    print(f"{'command':48} {'median s':>9} {'x baseline':>11}")
    for name, s in medians:
        print(f"{name:48} {s:>9.3f} {s / base:>11.2f}")
    print(f"cold-start ratio (estimate / baseline): {medians[1][1] / base:.2f}, with a duty cycle and battery "
          f"{medians[2][1] / base:.2f}  (goal <= 1.2; {args.runs} runs each)")


if __name__ == "__main__":
    main()
