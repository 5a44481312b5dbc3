"""Cold-start speed of `energy analyze --json` against loading the same model in TensorFlow's interpreter.

    python benchmarks/analyze_speed.py [MODEL.tflite] [--runs N]

Each run is a fresh process (no warm imports). Prints the median wall time of each and the ratio; the goal is a
ratio of at most 0.2. Also prints the import-time breakdown of the analyze path (python -X importtime).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = ROOT / "tests" / "data" / "mlperf_tiny" / "vww_mobilenet_v1_025_96_int8.tflite"
GOAL_RATIO = 0.2


def _time(cmd: list[str], runs: int, env: dict) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.decode()[-2000:]}")
    return times


def _top_imports(model: Path, env: dict, n: int = 6) -> list[tuple[str, float]]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "joulescope_free.cli", "analyze", str(model),
                           "--json"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[2].startswith(" ") and not parts[2].startswith("  "):
            try:
                rows.append((parts[2].strip(), int(parts[1]) / 1e6))
            except ValueError:
                pass
    return sorted(rows, key=lambda r: -r[1])[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    model = Path(args.model).resolve()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))

    ours = _time([sys.executable, "-m", "joulescope_free.cli", "analyze", str(model), "--json"], args.runs, env)
    tf_code = (f"import tensorflow as tf; tf.lite.Interpreter(model_path={str(model)!r}).allocate_tensors()")
    theirs = _time([sys.executable, "-c", tf_code], args.runs, env)
    m_ours, m_tf = statistics.median(ours), statistics.median(theirs)
    ratio = m_ours / m_tf

    print(f"model: {model.name}   runs: {args.runs} (fresh process each, median)")
    print(f"{'command':<44} {'median s':>9} {'min s':>7} {'max s':>7}")
    print(f"{'energy analyze --json':<44} {m_ours:9.3f} {min(ours):7.3f} {max(ours):7.3f}")
    print(f"{'tf.lite.Interpreter(...).allocate_tensors()':<44} {m_tf:9.3f} {min(theirs):7.3f} {max(theirs):7.3f}")
    print(f"ratio (ours / TensorFlow): {ratio:.3f}   goal <= {GOAL_RATIO}: {'met' if ratio <= GOAL_RATIO else 'NOT met'}")
    print("largest top-level imports of the analyze path (s):")
    for name, seconds in _top_imports(model, env):
        print(f"  {name:<30} {seconds:.3f}")


if __name__ == "__main__":
    main()
