"""Throughput and memory of ``energy measure`` on generated one-hour traces.

Writes, in a temporary folder, a Joulescope .jls (pyjls Writer, current in f32 at --jls-rate-hz), a
``time_s,current_a`` CSV (at --csv-rate-hz) and a native nRF Power Profiler ``.ppk2`` (at --ppk2-rate-hz, ZIP with
session.raw stored, D0 high over each burst), all one hour long by default with 12 mA x 80 ms bursts once a
second over a 5 uA baseline. Each run happens in a fresh child process so that its peak RSS is its own:

  measure          joulescope_free.measure(...) with the auto threshold (two passes over the file)
  measure-marker   .ppk2 only: --marker D0 (one pass)
  read-bytes       baseline: a plain sequential read of the file in 64 MiB blocks
  pyjls-read       baseline (.jls): pyjls.Reader.fsr over the whole signal in the same chunk size, one pass
  pandas-read_csv  baseline (.csv): pandas.read_csv of the whole file at once (what a notebook would do)

The ratio column is wall seconds / wall seconds of the format's first baseline; "CPU s" is the child's own
CPU time (the wall time depends on what else the machine runs). Usage::

    python3 benchmarks/measure_speed.py                    # one hour: 1 MHz .jls (14.4 GB), 10 kHz CSV
    python3 benchmarks/measure_speed.py --duration-s 60    # a quick look
    python3 benchmarks/measure_speed.py --formats ppk2      # one hour of .ppk2 at 100 kHz (2.16 GB) only
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
    elif task == "measure-marker":
        from joulescope_free.measure.api import measure

        m = measure(path, supply_v=3.0, marker="D0")
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


def write_ppk2(path: Path, n_samples: int, rate_hz: int, block: int = 1 << 20) -> None:
    """A .ppk2 as nRF Connect Power Profiler saves it (metadata.json, session.raw of 6-byte frames: float32 LE
    µA + uint16 BE digital bits, channel n in bits 2n+1:2n, 1 = low, 2 = high), written block by block."""
    import zipfile

    from trace_factory import _burst_block
    import numpy as np

    frame = np.dtype([("current_ua", "<f4"), ("bits", ">u2")])
    meta = {"metadata": {"samplesPerSecond": rate_hz, "startSystemTime": 0}, "formatVersion": 2}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("metadata.json", json.dumps(meta))
        with zf.open("session.raw", "w", force_zip64=True) as raw:
            for s in range(0, n_samples, block):
                n = min(block, n_samples - s)
                x = _burst_block(s, n, rate_hz, 1.0, 0.08, 5e-6, 12e-3)
                out = np.empty(n, dtype=frame)
                out["current_ua"] = x * 1e6
                low = 0x5555                                   # all eight channels low
                out["bits"] = np.where(x > 1e-3, (low & ~0x3) | 0x2, low)   # D0 high during the burst
                raw.write(out.tobytes())
        zf.writestr("minimap.raw", b"")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration-s", type=float, default=3600.0)
    ap.add_argument("--jls-rate-hz", type=int, default=1_000_000)
    ap.add_argument("--csv-rate-hz", type=int, default=10_000)
    ap.add_argument("--ppk2-rate-hz", type=int, default=100_000)
    ap.add_argument("--formats", default="jls,csv,ppk2", help="which of jls,csv,ppk2 to write and measure")
    ap.add_argument("--dir", type=Path, default=None, help="work folder (default: a temporary one, removed)")
    ap.add_argument("--child", nargs=2, metavar=("TASK", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return _child(*args.child)

    from trace_factory import write_long_jls

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    writers = {
        "jls": ("hour.jls", args.jls_rate_hz, lambda p, n, r: write_long_jls(p, n, sample_rate_hz=r),
                ["pyjls-read", "read-bytes", "measure"]),
        "csv": ("hour.csv", args.csv_rate_hz, write_csv, ["pandas-read_csv", "read-bytes", "measure"]),
        "ppk2": ("hour.ppk2", args.ppk2_rate_hz, write_ppk2, ["read-bytes", "measure", "measure-marker"]),
    }
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        tmp = Path(tmp)
        plan, size = [], {}
        for fmt in formats:
            name, rate, write, tasks = writers[fmt]
            path, n = tmp / name, int(args.duration_s * rate)
            t0 = time.perf_counter()
            print(f"writing {name}: {n:,} samples at {rate:,} Hz ...", file=sys.stderr)
            write(path, n, rate)
            size[fmt] = path.stat().st_size
            print(f"  {size[fmt] / 1e9:.2f} GB in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            plan.append((fmt, path, tasks, n))
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
            path.unlink()

    sizes = ", ".join(f".{fmt} {bytes_ / 1e9:.2f} GB" for fmt, bytes_ in size.items())
    print(f"\nenergy measure throughput, {args.duration_s:g} s traces ({os.cpu_count()} CPUs); {sizes}\n")
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
