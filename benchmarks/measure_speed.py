"""Throughput and memory of ``energy measure`` on generated one-hour traces.

Writes, in a temporary folder, a Joulescope .jls (pyjls Writer, current in f32 at --jls-rate-hz) and a
``time_s,current_a`` CSV (at --csv-rate-hz), both one hour long by default with 12 mA x 80 ms bursts once a
second over a 5 uA baseline. Each run happens in a fresh child process so that its peak RSS is its own:

  measure          joulescope_free.measure(...) with the auto threshold (two passes over the file)
  measure-marker   not used (the long files have no marker channel)
  read-bytes       baseline: a plain sequential read of the file in 64 MiB blocks
  pyjls-read       baseline (.jls): pyjls.Reader.fsr over the whole signal in the same chunk size, one pass
  pandas-read_csv  baseline (.csv): pandas.read_csv of the whole file at once (what a notebook would do)

The ratio column is wall seconds / wall seconds of the format's first baseline; "CPU s" is the child's own
CPU time (the wall time depends on what else the machine runs). Usage::

    python3 benchmarks/measure_speed.py                    # one hour: 1 MHz .jls (14.4 GB), 10 kHz CSV
    python3 benchmarks/measure_speed.py --duration-s 60    # a quick look
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM; ru_maxrss would include the parent's RSS at fork)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(task: str, path: str) -> None:
    """Run one task and print {"seconds", "samples", "rss_mb"} as JSON on stdout."""
    import numpy as np

    t0 = time.perf_counter()
    c0 = time.process_time()
    samples = 0
    if task == "measure":
        from joulescope_free.measure.api import measure

        m = measure(path, supply_v=3.0)
        samples = m.summary["n_samples"]
        extra = {"n_events": m.summary["n_events"], "event_energy_j": m.summary["event_energy_j"]}
    elif task == "read-bytes":
        with open(path, "rb", buffering=0) as fh:
            while block := fh.read(64 << 20):
                samples += len(block)
        extra = {"bytes": samples}
        samples = 0
    elif task == "pyjls-read":
        from pyjls import Reader

        from joulescope_free.measure.readers import DEFAULT_CHUNK_SAMPLES

        with Reader(path) as r:
            sig = next(s for s in r.signals.values() if s.name == "current")
            for start in range(0, sig.length, DEFAULT_CHUNK_SAMPLES):
                n = min(DEFAULT_CHUNK_SAMPLES, sig.length - start)
                float(np.asarray(r.fsr(sig.signal_id, start, n)).sum())
            samples = sig.length
        extra = {}
    elif task == "pandas-read_csv":
        import pandas as pd

        frame = pd.read_csv(path, dtype="float64")
        samples = len(frame)
        extra = {}
    else:
        raise SystemExit(f"unknown task {task}")
    seconds = time.perf_counter() - t0
    cpu_s = time.process_time() - c0
    rss_mb = _peak_rss_mb()
    print(json.dumps({"seconds": seconds, "cpu_s": cpu_s, "samples": samples, "rss_mb": rss_mb, **extra}))


def _run(task: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", task, str(path)], capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def write_csv(path: Path, n_samples: int, rate_hz: int, block: int = 1 << 20) -> None:
    """A time_s,current_a CSV written block by block (bounded memory)."""
    from trace_factory import _burst_block
    import numpy as np

    with open(path, "w") as fh:
        fh.write("time_s,current_a\n")
        for s in range(0, n_samples, block):
            n = min(block, n_samples - s)
            t = (s + np.arange(n)) / rate_hz
            x = _burst_block(s, n, rate_hz, 1.0, 0.08, 5e-6, 12e-3).astype(np.float64)
            pairs = np.column_stack([t, x]).ravel()
            fh.write(("%.6f,%.4e\n" * n) % tuple(pairs))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration-s", type=float, default=3600.0)
    ap.add_argument("--jls-rate-hz", type=int, default=1_000_000)
    ap.add_argument("--csv-rate-hz", type=int, default=10_000)
    ap.add_argument("--dir", type=Path, default=None, help="work folder (default: a temporary one, removed)")
    ap.add_argument("--child", nargs=2, metavar=("TASK", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return _child(*args.child)

    from trace_factory import write_long_jls

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        tmp = Path(tmp)
        jls, csv = tmp / "hour.jls", tmp / "hour.csv"
        n_jls = int(args.duration_s * args.jls_rate_hz)
        n_csv = int(args.duration_s * args.csv_rate_hz)
        t0 = time.perf_counter()
        print(f"writing {jls.name}: {n_jls:,} samples at {args.jls_rate_hz:,} Hz ...", file=sys.stderr)
        write_long_jls(jls, n_jls, sample_rate_hz=args.jls_rate_hz)
        print(f"  {jls.stat().st_size / 1e9:.2f} GB in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        t0 = time.perf_counter()
        print(f"writing {csv.name}: {n_csv:,} rows at {args.csv_rate_hz:,} Hz ...", file=sys.stderr)
        write_csv(csv, n_csv, args.csv_rate_hz)
        print(f"  {csv.stat().st_size / 1e9:.2f} GB in {time.perf_counter() - t0:.0f} s", file=sys.stderr)

        plan = [("jls", jls, ["pyjls-read", "read-bytes", "measure"], n_jls),
                ("csv", csv, ["pandas-read_csv", "read-bytes", "measure"], n_csv)]
        rows = []
        for fmt, path, tasks, n in plan:
            base = None
            for task in tasks:
                print(f"running {fmt} {task} ...", file=sys.stderr)
                r = _run(task, path)
                if "error" in r:
                    rows.append((fmt, task, n, None, None, None, None, None, r["error"]))
                    continue
                if base is None:
                    base = r["seconds"]
                note = f"{r['n_events']} events, {r['event_energy_j'] * 1e3:.3f} mJ" if "n_events" in r else ""
                rows.append((fmt, task, n, r["seconds"], r["cpu_s"], n / r["seconds"] / 1e6, r["rss_mb"],
                             r["seconds"] / base, note))
        size = {"jls": jls.stat().st_size, "csv": csv.stat().st_size}

    print(f"\nenergy measure throughput, {args.duration_s:g} s traces ({os.cpu_count()} CPUs); "
          f".jls {size['jls'] / 1e9:.2f} GB, .csv {size['csv'] / 1e9:.2f} GB\n")
    head = ("format", "run", "samples", "seconds", "CPU s", "Msamples/s", "peak RSS MB", "ratio", "result")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for fmt, task, n, sec, cpu, rate, rss, ratio, note in rows:
        cells = [fmt, task, f"{n:,}", "-" if sec is None else f"{sec:.2f}", "-" if cpu is None else f"{cpu:.2f}",
                 "-" if rate is None else f"{rate:.1f}",
                 "-" if rss is None else f"{rss:.0f}", "-" if ratio is None else f"{ratio:.2f}", note]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
