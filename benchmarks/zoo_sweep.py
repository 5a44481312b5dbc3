"""A generated zoo of models x 30 MCUs through ``energy sweep``'s engine (issue 13 goal: 1,000 models x 30 MCUs in
under 60 s on this 2-core machine), then the same zoo on a Dask LocalCluster of 2 workers.

Make the zoo first (``tf`` extra, about 0.5 s per model, cached outside the repository):

    python benchmarks/make_zoo.py --count 1000          # -> ~/.cache/joulescope_free/zoo
    python benchmarks/zoo_sweep.py [--zoo DIR] [--no-dask]

Each run is timed from the model files to the finished table, with a fresh analysis cache (``cold``: every model
analysed, in 2 processes), then again with that cache filled (``warm``: analyses read back by file hash), then on
the LocalCluster (cold, its own empty cache). The baseline, run in the same process, is the cold local run.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from joulescope_free.hardware.catalog import list_mcus  # noqa: E402
from joulescope_free.sweeps import AnalysisCache, find_models, sweep_models  # noqa: E402
from sweep_speed import SBC, timed  # noqa: E402  (benchmarks/ is on the path: this script's folder)

DEFAULT_ZOO = Path.home() / ".cache" / "joulescope_free" / "zoo"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zoo", type=Path, default=DEFAULT_ZOO)
    parser.add_argument("--no-dask", action="store_true", help="skip the LocalCluster run")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    if not args.zoo.is_dir() or not any(args.zoo.glob("*.tflite")):
        sys.exit(f"no zoo in {args.zoo}: make it with `python benchmarks/make_zoo.py --count 1000` (tf extra)")
    models = find_models([args.zoo])
    mcus = [m.id for m in list_mcus() if m.id not in SBC][:30]
    grid = dict(mcu=mcus, duty="1/min", battery="cr2032")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = AnalysisCache(Path(tmp) / "local")
        table, cold_s = timed(lambda: sweep_models([args.zoo], cache=cache, jobs=args.jobs, **grid))
        results.append((f"local, {args.jobs} processes, cold cache", len(table), cold_s))
        table2, warm_s = timed(lambda: sweep_models([args.zoo], cache=cache, jobs=args.jobs, **grid))
        results.append(("local, warm cache (analyses read by file hash)", len(table2), warm_s))
        assert table2.equals(table)
        if not args.no_dask:
            from distributed import Client, LocalCluster

            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
                    Client(lc) as client:
                remote_cache = AnalysisCache(Path(tmp) / "dask")
                table3, dask_s = timed(lambda: sweep_models([args.zoo], cache=remote_cache, client=client, **grid))
            results.append(("Dask LocalCluster, 2 workers, cold cache", len(table3), dask_s))
            assert table3.equals(table)
    print(f"zoo: {len(models)} models x {len(mcus)} MCUs (duty 1/min, cr2032) = {len(table)} rows, "
          f"{int(table['error'].notna().sum())} with an error")
    print(f"{'run':50} {'rows':>7} {'seconds':>8} {'rows/s':>8} {'x cold':>7}")
    for name, rows, seconds in results:
        print(f"{name:50} {rows:>7} {seconds:>8.2f} {rows / seconds:>8.0f} {seconds / cold_s:>7.2f}")
    print(f"goal: the cold local run under 60 s: {'met' if cold_s < 60 else 'NOT met'}")


if __name__ == "__main__":
    main()
