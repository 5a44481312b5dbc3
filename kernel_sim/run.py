"""Regenerate the kernel tables: simulate every (library, variant, core, build) over its shape grid, check the
outputs, fit, write ``results/<library>.csv`` and ``power_models/kernels/<library>.toml``.

    python kernel_sim/run.py [--library L] [--core C] [--build B] [--variant V] [--quick]

Libraries are the ``lib_*.py`` modules of this folder: a module is a library (attributes ``LIBRARY``, ``NAME``,
``SOURCE``, ``VARIANTS``, functions ``cores()``, ``builds(core)``, ``simulate(...)``, ``simulated(...)``, optional
``variants(core)``) or lists several in ``LIBRARIES``. See README.md.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fit  # noqa: E402
import grids  # noqa: E402


def libraries() -> dict:
    """library id -> library object (module or object with the registry attributes)."""
    found = {}
    for path in sorted(HERE.glob("lib_*.py")):
        try:
            module = importlib.import_module(path.stem)
        except Exception as exc:  # another library's module under construction must not stop the others
            print(f"skipping {path.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        for lib in getattr(module, "LIBRARIES", None) or [module]:
            found[lib.LIBRARY] = lib
    return found


def _split(values) -> set | None:
    if not values:
        return None
    return {v.strip() for item in values for v in item.split(",") if v.strip()}


def characterise(lib, variant, core, build, quick=False, log=print):
    """Simulate one (variant, core, build) over its grid; returns (csv rows, table entry or None)."""
    spec = lib.VARIANTS[variant]
    shapes = spec["grid"][:3] if quick else spec["grid"]
    rows, typical = [], None
    for shape in shapes:
        result = lib.simulate(variant, core, build, shape)  # raises on a wrong output
        row = {"library": lib.LIBRARY, "variant": variant, "function": spec["function"], "core": core,
               "build": build, **shape, **grids.features(spec["kind"], shape),
               "instructions": result.instructions, "cycles": result.cycles, "output_ok": True}
        rows.append(row)
        if shape == spec["typical"]:
            typical = dict(row, shape=grids.label(spec["kind"], shape))
    fitted = fit.fit_cycles(rows, spec["features"])
    typical = typical or dict(rows[0], shape=grids.label(spec["kind"], shapes[0]))
    entry = fit.table_entry(variant, core, build, spec["function"], lib.simulated(variant, core, build), rows,
                            fitted, typical)
    per_mac = f"{typical['cycles'] / typical['macs']:6.2f}" if typical["macs"] else "     -"
    log(f"{lib.LIBRARY:18s} {variant:17s} {core:14s} {build:3s} shapes {len(rows):3d}  cycles/MAC {per_mac}  "
        f"fit median {fitted.median_error_pct:5.2f} %  max {fitted.max_error_pct:5.2f} %")
    return rows, entry


def summary(library_ids) -> None:
    """Print the shipped tables: variant x core x build -> typical cycles/MAC and fit errors."""
    from joulescope_free.datafile import load_toml

    print(f"{'library':18s} {'variant':17s} {'core':14s} {'build':5s} {'cyc/MAC':>8s} {'median %':>8s} "
          f"{'max %':>6s}  typical shape")
    for lib_id in library_ids:
        path = fit.TABLES_DIR / f"{lib_id}.toml"
        if not path.is_file():
            continue
        for e in load_toml(path)["kernel"]:
            per_mac = f"{e['typical_cycles_per_mac']:8.2f}" if "typical_cycles_per_mac" in e else f"{'-':>8s}"
            print(f"{lib_id:18s} {e['variant']:17s} {e['core']:14s} {e['build']:5s} {per_mac} "
                  f"{e.get('fit_median_error_pct', float('nan')):8.2f} {e.get('fit_max_error_pct', float('nan')):6.2f}"
                  f"  {e.get('typical_shape', '')}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag in ("library", "core", "build", "variant"):
        parser.add_argument(f"--{flag}", action="append", help=f"only this {flag} (repeatable, comma-separated)")
    parser.add_argument("--quick", action="store_true", help="3 shapes per variant; writes nothing")
    parser.add_argument("--summary", action="store_true", help="print the shipped tables; simulates nothing")
    args = parser.parse_args(argv)
    want = {k: _split(getattr(args, k)) for k in ("library", "core", "build", "variant")}
    if args.summary:
        summary(sorted(want["library"] or (p.stem for p in fit.TABLES_DIR.glob("*.toml"))))
        return 0
    libs = libraries()
    if want["library"] and want["library"] - set(libs):
        parser.error(f"unknown library {', '.join(sorted(want['library'] - set(libs)))}; "
                     f"known: {', '.join(sorted(libs))}")
    start = time.perf_counter()
    for lib_id, lib in libs.items():
        if want["library"] and lib_id not in want["library"]:
            continue
        rows, entries = [], []
        for core in lib.cores():
            if want["core"] and core not in want["core"]:
                continue
            for build in lib.builds(core):
                if want["build"] and build not in want["build"]:
                    continue
                names = lib.variants(core) if hasattr(lib, "variants") else list(lib.VARIANTS)
                for variant in names:
                    if want["variant"] and variant not in want["variant"]:
                        continue
                    new_rows, entry = characterise(lib, variant, core, build, args.quick)
                    rows += new_rows
                    entries.append(entry)
        if entries and not args.quick:
            print(f"wrote {fit.write_csv(lib_id, rows)}")
            print(f"wrote {fit.write_table(lib_id, lib.NAME, lib.SOURCE, entries)}")
        if hasattr(lib, "write_published") and not args.quick:  # rows taken from published tables, not simulated
            for path in lib.write_published():
                print(f"wrote {path}")
    print(f"done in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
