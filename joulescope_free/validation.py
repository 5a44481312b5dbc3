"""Accuracy against measurements: run the models over a table of measured latency (and energy) and report the
absolute percentage errors. The default table is the 104 MLPerf Tiny results shipped with the package.

Table columns (CSV): ``mcu`` (catalog id, alias or part number such as STM32L4R5ZIT6U), ``clock_mhz``,
``runtime`` (+ optional ``runtime_detail`` or ``runtime_version``), ``model_file`` (relative to the CSV's folder
or its parent), ``latency_ms``; optional ``energy_uj`` with ``emon_voltage_mv`` (or ``supply_v``).

``band_coverage`` says how often the error bands held on a table. The bands themselves live in
:mod:`joulescope_free.bands` (the chain reads them); ``band_from_ratios``, ``combine_bands``, ``current_band`` and
``write_bands`` are imported here too, for ``benchmarks/accuracy.py --write-bands``.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .bands import BASES, band_from_ratios, combine_bands, current_band, write_bands  # noqa: F401 (see above)
from .errors import UserError
from .paths import data_dir, display_path
from .render.export import json_dumps

DEFAULT_TABLE = "mlperf_tiny_calibration.csv"
RUNTIME_ALIASES = {"plumerai-inference-engine": "plumerai", "stm32cube.ai": "x-cube-ai", "st-edge-ai": "x-cube-ai",
                   "stedgeai": "x-cube-ai", "cube.ai": "x-cube-ai", "tflite-micro": "tflm", "tflu": "tflm",
                   "tensorflow-lite-micro": "tflm", "tflm-cmsisnn": "tflm-cmsis-nn", "cmsis-nn": "tflm-cmsis-nn",
                   "tflite-micro-cmsis-nn": "tflm-cmsis-nn", "utvm": "microtvm", "tvm": "microtvm"}
#: runtimes whose releases the results name only by the MLPerf Tiny round that published them
ROUND_VERSIONS = {"plumerai": {"v0.7": "2022.04", "v1.0": "2022.11"}}
REQUIRED = ("mcu", "clock_mhz", "runtime", "model_file", "latency_ms")


def _mcu_id(name: str, cache: dict, core: str | None = None) -> tuple[str, str | None]:
    """(catalog id, note) for a part number: the longest prefix of it that the catalog knows; failing that, the
    typical part of the row's ``core`` column (and a note saying so)."""
    from .hardware.catalog import load_mcu

    key = str(name).strip().lower()
    if key not in cache:
        cache[key] = None
        for end in range(len(key), 3, -1):
            try:
                cache[key] = load_mcu(key[:end]).id
                break
            except UserError:
                continue
    if cache[key]:
        return cache[key], None
    core = str(core or "").strip().lower()
    if core and core != "nan":
        try:
            typical = load_mcu(core)
        except UserError:
            typical = None
        if typical is not None and typical.typical:
            return typical.id, f"{name} is not in the catalog: estimated as the typical {typical.id} part"
    raise UserError(f"MCU '{name}' matches no catalog id (see `energy mcus`); add a core column "
                    f"(e.g. cortex-m4) to estimate it as a typical part")


def _runtime_label(row) -> str:
    from .hardware.runtimes import load_runtime

    rid = RUNTIME_ALIASES.get(str(row["runtime"]).strip().lower(), str(row["runtime"]).strip().lower())
    version = str(row.get("runtime_version") or "").strip()
    if not version or version == "nan":
        detail = str(row.get("runtime_detail") or "")
        m = re.search(r"\bv?(\d+\.\d+(?:\.\d+)?)\b", detail) or re.search(r"\b(\d{4}\.\d{2})\b", detail)
        version = m.group(1) if m else ROUND_VERSIONS.get(rid, {}).get(str(row.get("round", "")), "")
    return load_runtime(f"{rid}@{version}" if version else rid).label


def _model_path(model_file: str, table: Path) -> str:
    name = Path(str(model_file))
    for base in (table.parent, table.parent.parent, data_dir("validation")):
        for candidate in (base / name, base / name.name):
            if candidate.is_file():
                return str(candidate)
    raise UserError(f"validation table {table}: model file '{model_file}' not found next to the table")


def load_measurements(path=None) -> pd.DataFrame:
    """The measurement table with catalog ids, runtime labels, model paths and SI columns added."""
    table = Path(path) if path is not None else data_dir("validation") / DEFAULT_TABLE
    if not table.is_file():
        raise UserError(f"measurement table not found: {table}")
    try:
        rows = pd.read_csv(table)
    except Exception as exc:  # pandas raises many kinds on non-CSV input
        raise UserError(f"{table}: not a readable CSV ({exc.__class__.__name__})") from None
    missing = [c for c in REQUIRED if c not in rows.columns]
    if missing:
        raise UserError(f"{table}: missing column(s) {', '.join(missing)}; needs {', '.join(REQUIRED)}")
    if rows.empty:
        raise UserError(f"{table}: no measurement rows under the header")

    def number(column: str, scale: float) -> pd.Series:
        return pd.to_numeric(rows[column], errors="coerce") * scale if column in rows else pd.Series(np.nan, rows.index)

    rows["clock_hz"] = number("clock_mhz", 1e6)
    rows["latency_s"] = number("latency_ms", 1e-3)
    rows["energy_j"] = number("energy_uj", 1e-6)
    if "supply_v" in rows:
        rows["supply_v"] = number("supply_v", 1.0)
    else:
        rows["supply_v"] = number("emon_voltage_mv", 1e-3)
    cache: dict = {}
    resolved = []
    for _, r in rows.iterrows():  # a row that cannot be placed or read is kept, with the reason, not fatal
        try:
            for column, value in (("clock_mhz", r["clock_hz"]), ("latency_ms", r["latency_s"])):
                if not value > 0:
                    raise UserError(f"{column} '{r[column]}' is not a positive number")
            mcu_id, note = _mcu_id(r["mcu"], cache, r.get("core"))
            resolved.append((mcu_id, _runtime_label(r), _model_path(r["model_file"], table), None, note))
        except UserError as exc:
            resolved.append((None, None, None, str(exc), None))
    rows["mcu_id"], rows["runtime_label"], rows["model_path"], rows["skipped"], rows["note"] = zip(*resolved)
    # an energy or voltage that is missing, zero or not a number is no energy measurement
    no_energy = ~((rows["energy_j"] > 0) & (rows["supply_v"] > 0))
    rows.loc[no_energy, "energy_j"] = np.nan
    return rows


@dataclass
class ValidationResult:
    rows: pd.DataFrame            # one per measurement: measured, predicted, error_pct
    summary: dict                 # median / p90 absolute percentage errors
    path: str

    def to_dict(self) -> dict:
        cols = ["mcu_id", "runtime_label", "benchmark", "clock_hz", "supply_v", "latency_s", "predicted_latency_s",
                "latency_error_pct", "energy_j", "predicted_energy_j", "energy_error_pct", "estimate_basis",
                "predicted_latency_low_s", "predicted_latency_high_s", "predicted_energy_low_j",
                "predicted_energy_high_j", "skipped", "note"]
        return {"data": self.path, "summary": self.summary, "rows": self.rows[[c for c in cols if c in self.rows]]}

    def to_json(self) -> str:
        return json_dumps(self.to_dict())


def _stats(err: pd.Series) -> dict:
    err = err.dropna().abs()
    if err.empty:
        return {"n": 0, "median_abs_pct": None, "p90_abs_pct": None, "max_abs_pct": None}
    return {"n": int(err.size), "median_abs_pct": float(err.median()), "p90_abs_pct": float(err.quantile(0.9)),
            "max_abs_pct": float(err.max())}


def band_coverage(rows: pd.DataFrame) -> dict:
    """How often the bands held: per basis and ``overall``, for latency and energy, the rows with a measurement
    and a band (``*_n``), the share whose measurement lies inside [low, high] (``*_coverage``) and the median
    high/low ratio (``*_median_high_low``). ``rows``: ``latency_s``, ``energy_j``, ``estimate_basis`` and
    ``predicted_{latency,energy}_{low,high}_{s,j}`` columns (NaN where absent)."""
    out = {}
    groups = [("overall", rows)] + [(b, rows[rows["estimate_basis"] == b]) for b in BASES
                                     if (rows["estimate_basis"] == b).any()]
    for name, g in groups:
        entry = {}
        for what, unit in (("latency", "s"), ("energy", "j")):
            measured, low, high = (pd.to_numeric(g[c], errors="coerce") for c in
                                   (f"{what}_{unit}", f"predicted_{what}_low_{unit}", f"predicted_{what}_high_{unit}"))
            ok = measured.notna() & low.notna() & high.notna()
            inside = (low[ok] <= measured[ok]) & (measured[ok] <= high[ok])
            entry[f"{what}_n"] = int(ok.sum())
            entry[f"{what}_coverage"] = float(inside.mean()) if ok.any() else None
            entry[f"{what}_median_high_low"] = float((high[ok] / low[ok]).median()) if ok.any() else None
        out[name] = entry
    return out


def validate(data=None) -> ValidationResult:
    """Predict every row of the table and compare. ``data``: CSV path (default: the shipped MLPerf Tiny table)."""
    from .chain import _analysis, estimate

    rows = load_measurements(data)
    if "benchmark" not in rows:
        rows["benchmark"] = [Path(p).stem if isinstance(p, str) else "" for p in rows["model_path"]]
    analyses = {p: _analysis(p) for p in rows["model_path"].dropna().unique()}
    lat, energy = [], []
    band_keys = ("estimate_basis", "latency_low_s", "latency_high_s", "energy_low_j", "energy_high_j")
    bands = {k: [] for k in band_keys}
    skipped = [x if isinstance(x, str) else None for x in rows["skipped"]]
    for i, r in enumerate(rows.itertuples()):
        supply = None if pd.isna(r.supply_v) else float(r.supply_v)
        try:
            if skipped[i]:
                raise UserError(skipped[i])
            part = r.mcu_id
            if isinstance(r.note, str):  # a stand-in typical part: the measured part's clock and supply hold
                from .hardware.catalog import load_mcu

                typical = load_mcu(r.mcu_id)
                part = dataclasses.replace(
                    typical, max_clock_hz=max(typical.max_clock_hz, r.clock_hz),
                    supply_min_v=min(typical.supply_min_v, supply or typical.supply_min_v),
                    supply_max_v=max(typical.supply_max_v, supply or typical.supply_max_v))
            est = estimate(analyses[r.model_path], part, runtime=r.runtime_label, clock_mhz=r.clock_hz / 1e6,
                           supply_v=supply)
        except UserError as exc:
            skipped[i] = str(exc)
            lat.append(np.nan)
            energy.append(np.nan)
            for k in band_keys:
                bands[k].append(None if k == "estimate_basis" else np.nan)
            continue
        lat.append(est.summary["latency_s"])
        energy.append(est.summary["energy_per_inference_j"] if supply is not None else np.nan)
        for k in band_keys:
            value = est.summary.get(k)
            if k != "estimate_basis":
                value = np.nan if value is None or (supply is None and k.startswith("energy")) else float(value)
            bands[k].append(value)
    rows["skipped"] = skipped
    rows["predicted_latency_s"] = lat
    rows["predicted_energy_j"] = energy
    rows["latency_error_pct"] = (rows["predicted_latency_s"] / rows["latency_s"] - 1) * 100
    rows["energy_error_pct"] = (rows["predicted_energy_j"] / rows["energy_j"] - 1) * 100
    rows["estimate_basis"] = bands.pop("estimate_basis")
    for k, values in bands.items():
        rows[f"predicted_{k}"] = values
    summary = {"latency": _stats(rows["latency_error_pct"]), "energy": _stats(rows["energy_error_pct"]),
               "skipped": int(rows["skipped"].notna().sum()), "band_coverage": band_coverage(rows)}
    if summary["skipped"] == len(rows):
        raise UserError(f"no row of {data or DEFAULT_TABLE} could be estimated; first reason: {rows['skipped'].iloc[0]}")
    return ValidationResult(rows=rows, summary=summary,
                            path=str(data) if data else display_path(data_dir("validation") / DEFAULT_TABLE))
