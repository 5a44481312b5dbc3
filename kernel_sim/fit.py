"""Fit the per-kernel cost formula over a shape grid, and write the raw CSV and the TOML tables.

API (stable; the other library modules use it):

``fit_cycles(rows, features) -> Fit``
    ``rows``: dicts holding the features of :func:`joulescope_free.hardware.kernels.shape_features` and
    ``cycles``. Non-negative least squares on *relative* error (each row divided by its simulated cycles), over
    the candidate ``features`` (names of ``FEATURES``; other names are ignored, so a library may list a feature
    before ``shape_features`` provides it); terms that come out zero are dropped.
    ``Fit.coefficients`` (feature -> cycles per unit), ``.median_error_pct``, ``.max_error_pct``,
    ``.predict(features_dict)``.
``write_csv(library, rows)``
    Merge ``rows`` into ``results/<library>.csv``: rows of the same (variant, core, build) are replaced, others
    kept. Columns: ``CSV_COLUMNS`` then any extra shape columns, in first-seen order.
``write_table(library, name, source, entries)``
    Merge ``entries`` (dicts: variant, core, build, function, simulated, shapes, fit, typical_shape,
    typical_cycles_per_mac) into ``power_models/kernels/<library>.toml``, replacing the same
    (variant, core, build), keeping the others; entries sorted by variant, core, build.
``table_entry(variant, core, build, function, simulated, rows, fit, typical) -> dict``
    Build such an entry from the grid rows; ``typical`` is the row (one of ``rows``) quoted as the typical shape.
"""
from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import nnls

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from joulescope_free.datafile import load_toml, toml_value  # noqa: E402
from joulescope_free.hardware.kernels import COEFFICIENT_KEYS, FEATURES  # noqa: E402

RESULTS_DIR = HERE / "results"
TABLES_DIR = REPO / "power_models" / "kernels"
CSV_COLUMNS = ["library", "variant", "function", "core", "build"]
CSV_TAIL = [*FEATURES, "instructions", "cycles", "output_ok"]
TABLE_HEADER = "# Written by `python kernel_sim/run.py`; do not edit by hand.\n"


@dataclass
class Fit:
    coefficients: dict
    median_error_pct: float
    max_error_pct: float

    def predict(self, features: dict) -> float:
        return float(sum(c * features[f] for f, c in self.coefficients.items()))


def fit_cycles(rows, features) -> Fit:
    """NNLS fit of cycles = sum(coef_f x f) minimising relative error (see the module docstring)."""
    features = [f for f in features if f in FEATURES]
    if not rows or not features:
        raise ValueError("nothing to fit: no rows or no features")
    y = np.array([float(r["cycles"]) for r in rows])
    a = np.array([[float(r[f]) for f in features] for r in rows])
    scale = a.max(axis=0)
    scale[scale == 0] = 1.0
    sol, _ = nnls(a / scale / y[:, None], np.ones(len(y)))
    coef = sol / scale
    coefficients = {f: float(c) for f, c in zip(features, coef) if c > 0}
    rel = np.abs(a @ coef / y - 1.0) * 100.0
    return Fit(coefficients, float(np.median(rel)), float(rel.max()))


def _sig(x: float, digits: int = 4) -> float:
    return float(f"{x:.{digits}g}")


def table_entry(variant, core, build, function, simulated, rows, fit: Fit, typical: dict) -> dict:
    entry = {"variant": variant, "core": core, "build": build, "function": function, "simulated": simulated,
             "shapes": len(rows), "fit_median_error_pct": round(fit.median_error_pct, 2),
             "fit_max_error_pct": round(fit.max_error_pct, 2), "typical_shape": typical["shape"]}
    if typical.get("macs"):
        entry["typical_cycles_per_mac"] = _sig(typical["cycles"] / typical["macs"], 3)
    for feature in FEATURES:
        if feature in fit.coefficients:
            entry[COEFFICIENT_KEYS[feature]] = _sig(fit.coefficients[feature])
    return entry


def _key(row) -> tuple:
    return (str(row["variant"]), str(row["core"]), str(row["build"]))


def write_csv(library: str, rows, results_dir: Path = RESULTS_DIR) -> Path:
    """Merge raw per-shape rows into ``results/<library>.csv`` (see the module docstring)."""
    path = Path(results_dir) / f"{library}.csv"
    new_keys = {_key(r) for r in rows}
    old = []
    if path.is_file():
        with path.open(newline="") as fh:
            old = [r for r in csv.DictReader(fh) if _key(r) not in new_keys]
    merged = old + [dict(r) for r in rows]
    shape_cols = []
    for r in merged:
        shape_cols += [k for k in r if k not in CSV_COLUMNS + CSV_TAIL + shape_cols]
    columns = CSV_COLUMNS + shape_cols + CSV_TAIL
    merged.sort(key=_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(merged)
    return path


def write_table(library: str, name: str, source: str, entries, tables_dir: Path = TABLES_DIR) -> Path:
    """Merge ``entries`` into ``power_models/kernels/<library>.toml`` (see the module docstring)."""
    path = Path(tables_dir) / f"{library}.toml"
    new_keys = {_key(e) for e in entries}
    old = [e for e in load_toml(path).get("kernel", []) if _key(e) not in new_keys] if path.is_file() else []
    merged = sorted(old + list(entries), key=_key)
    lines = [TABLE_HEADER, f"library = {toml_value(library)}", f"name = {toml_value(name)}",
             f"source = {toml_value(source)}", ""]
    for entry in merged:
        lines.append("[[kernel]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in entry.items()]
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    return path
