"""Accuracy against measurements: run the models over a table of measured latency (and energy) and report the
absolute percentage errors. The default table is the 104 MLPerf Tiny results shipped with the package.

Table columns (CSV): ``mcu`` (catalog id, alias or part number such as STM32L4R5ZIT6U), ``clock_mhz``,
``runtime`` (+ optional ``runtime_detail`` or ``runtime_version``), ``model_file`` (relative to the CSV's folder
or its parent), ``latency_ms``; optional ``energy_uj`` with ``emon_voltage_mv`` (or ``supply_v``).
"""
from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import UserError
from .paths import data_dir
from .report.export import json_dumps

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
    from .api import _analysis, estimate

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
    return ValidationResult(rows=rows, summary=summary, path=str(data or data_dir("validation") / DEFAULT_TABLE))


# ------------------------------------------------------------------------------------------------ error bands
#: what an estimate's band rests on, most trusted first (README "Error bands")
BASES = ("calibrated", "measured", "simulated", "extrapolated")
FACTORS = ("latency_low", "latency_high", "energy_low", "energy_high")
BANDS_FILE = "error_bands.toml"


@dataclass(frozen=True)
class Band:
    """Multipliers on an estimate that bracket about ``coverage`` of real outcomes: the measured latency (energy)
    lies between ``latency_low`` and ``latency_high`` (``energy_*``) times the estimate. ``notes``: each factor's
    ``derived`` text."""

    basis: str
    latency_low: float
    latency_high: float
    energy_low: float
    energy_high: float
    coverage: float
    runtime: str | None = None
    cores: tuple = ()
    notes: tuple = ()
    placeholder: bool = False     # a figure is marked ``derived = "placeholder ..."``: not yet validated


def band_from_ratios(ratios, coverage: float = 0.8, floor: tuple | None = None) -> tuple[float, float]:
    """(low, high) multipliers from validation ratios measured / predicted.

    low = exp(q_lo(log r)), high = exp(q_hi(log r)) with q_lo, q_hi the (1 -/+ coverage) / 2 quantiles (numpy's
    linear interpolation); each side's distance from the median log ratio is then widened by the small-sample
    factor k(n) = t(q_hi, n - 1) * sqrt(1 + 1/n) / z(q_hi) (the normal prediction interval for one new outcome
    from n samples, over the same interval with the spread known: 1.43 for n = 4, 1.11 for n = 12, -> 1). The band
    always contains 1.0 and is never narrower than ``floor`` = (low, high) when given (e.g. the basis-wide band:
    a specific entry with few rows should not claim more than its basis). Non-positive or non-finite ratios are
    ignored; fewer than two usable ratios need a ``floor``, which is then returned (stretched to hold them).
    """
    from scipy import stats

    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be between 0 and 1, got {coverage}")
    r = np.asarray(list(ratios), dtype=float)
    logs = np.log(r[np.isfinite(r) & (r > 0)])
    if logs.size >= 2:
        upper = (1 + coverage) / 2
        q_lo, mid, q_hi = np.quantile(logs, [1 - upper, 0.5, upper])
        k = stats.t.ppf(upper, logs.size - 1) * math.sqrt(1 + 1 / logs.size) / stats.norm.ppf(upper)
        lo, hi = mid + k * (q_lo - mid), mid + k * (q_hi - mid)
    elif floor is None:
        raise ValueError(f"a band needs at least two ratios (or a floor), got {logs.size}")
    else:
        lo = hi = float(logs[0]) if logs.size else 0.0
    if floor is not None:
        lo, hi = min(lo, math.log(floor[0])), max(hi, math.log(floor[1]))
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    return math.exp(lo), math.exp(hi)


def combine_bands(first: tuple, second: tuple) -> tuple[float, float]:
    """The band of a product of two independent errors (latency x current = energy): each side's log half-width
    is the quadrature sum of the two."""
    lo = math.hypot(math.log(first[0]), math.log(second[0]))
    hi = math.hypot(math.log(first[1]), math.log(second[1]))
    return math.exp(-lo), math.exp(hi)


def current_band(coverage: float = 0.8) -> tuple[float, float]:
    """The power model's band on the inference current of a part without its own measurement: each measured
    part's workload factor against the geometric mean of the others (leave-one-part-out), through
    :func:`band_from_ratios`."""
    from .hardware.power import workload_factors

    logs = {k: math.log(v) for k, v in workload_factors().items()}
    ratios = [math.exp(v - np.mean([w for j, w in logs.items() if j != k])) for k, v in logs.items()]
    return band_from_ratios(ratios, coverage)


def _toml_value(value) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(float(value))


def write_bands(entries, path, coverage: float = 0.8, header: str = "") -> Path:
    """Write a band file. ``entries``: dicts with ``basis``, optional ``runtime`` (id@version) and ``cores``, and
    each of :data:`FACTORS` as ``(value, derived text)``; ``coverage``: the share of outcomes the bands aim to
    hold; ``header``: comment lines saying how the file was made. Returns the path."""
    path = Path(path)
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines += ["", f"coverage = {{ value = {coverage!r}, derived = \"share of real outcomes each band aims to hold "
              f"(quantiles {(1 - coverage) / 2:g} to {(1 + coverage) / 2:g} of log(measured/predicted))\" }}"]
    for i, entry in enumerate(entries):
        if entry.get("basis") not in BASES:
            raise ValueError(f"band {i + 1}: basis must be one of {', '.join(BASES)}, got {entry.get('basis')!r}")
        lines += ["", "[[band]]", f"basis = {_toml_value(entry['basis'])}"]
        for key in ("runtime", "cores"):
            if entry.get(key):
                lines.append(f"{key} = {_toml_value(sorted(entry[key]) if key == 'cores' else entry[key])}")
        low, high = {}, {}
        for name in FACTORS:
            value, how = entry[name]
            if not (value > 0 and math.isfinite(value)) or not str(how).strip():
                raise ValueError(f"band {i + 1} {name}: needs a positive value and a derived text, got {entry[name]!r}")
            (low if name.endswith("low") else high)[name] = value
            lines.append(f"{name} = {{ value = {float(f'{value:.4g}')!r}, derived = {_toml_value(str(how))} }}")
        if any(v > 1 for v in low.values()) or any(v < 1 for v in high.values()):
            raise ValueError(f"band {i + 1}: low factors must be <= 1 and high factors >= 1 (the band holds 1.0)")
    path.write_text("\n".join(lines).lstrip("\n") + "\n", encoding="utf-8")
    _bands.cache_clear()
    _BASIS_CACHE.clear()
    return path


@lru_cache(maxsize=None)
def _bands(path: str | None = None) -> tuple:
    """The band file as :class:`Band` entries (default: power_models/error_bands.toml)."""
    from .datafile import as_figure, load_toml

    path = Path(path) if path else data_dir("power_models") / BANDS_FILE
    tree = load_toml(path)
    coverage = float(as_figure(tree["coverage"], f"{path} coverage").value) if "coverage" in tree else 0.8
    out = []
    for i, entry in enumerate(tree.get("band", [])):
        where = f"{path} band {i + 1}"
        if entry.get("basis") not in BASES:
            raise UserError(f"{where}: basis must be one of {', '.join(BASES)}, got {entry.get('basis')!r} "
                            f"(write the file with joulescope_free.validation.write_bands)")
        missing = [k for k in FACTORS if k not in entry]
        if missing:
            raise UserError(f"{where}: missing {', '.join(missing)}")
        figures = {k: as_figure(entry[k], f"{where} {k}") for k in FACTORS}
        out.append(Band(basis=entry["basis"], coverage=coverage, runtime=entry.get("runtime"),
                        cores=tuple(entry.get("cores", ())), notes=tuple(f.note for f in figures.values()),
                        placeholder=any(f.note.startswith("placeholder") for f in figures.values()),
                        **{k: float(f.value) for k, f in figures.items()}))
    return tuple(out)


def find_band(basis: str, runtime_label: str | None = None, core: str | None = None, path=None) -> Band | None:
    """The most specific band of ``basis`` that fits: an entry naming this runtime version and core, else one
    naming either, else the basis-wide entry (neither); None when the file has no entry for the basis."""
    best, best_rank = None, -1
    for band in _bands(str(path) if path else None):
        if band.basis != basis or (band.runtime and band.runtime != runtime_label) or \
                (band.cores and core not in band.cores):
            continue
        rank = 2 * bool(band.runtime) + bool(band.cores)
        if rank > best_rank:
            best, best_rank = band, rank
    return best


def estimate_basis(runtime, core: str, calibrated: bool = False) -> tuple[str, str]:
    """(basis, what it means for this estimate): ``calibrated`` with a power model from ``energy calibrate``;
    ``measured`` where the band file has measured rows of this runtime version on this core class (not for a
    release estimated with a neighbour's figures); else the cycle model's own basis, ``simulated`` (the runtime's
    kernels were simulated for this core) or ``extrapolated``."""
    if calibrated:
        return "calibrated", "latency and current scaled to a measurement of this board by energy calibrate"
    band = find_band("measured", runtime.label, core)
    if band is not None and band.runtime and not runtime.version_note:
        return "measured", f"{runtime.label} on {core} is in the validation table"
    from .hardware.kernels import kernel_core, modelled_basis
    from .hardware.runtimes import load_core

    if modelled_basis(runtime, core) == "simulated":
        return "simulated", f"{runtime.kernels_for(core)} kernels simulated for {core}"
    unmeasured = runtime.version_note.split(";")[0] if runtime.version_note else \
        f"{runtime.label} is not measured on {core}"
    table_core = kernel_core(runtime, load_core(core))
    if runtime.kernel_ratios:
        return "extrapolated", (f"{unmeasured}: a closed runtime, costed as ratios to the simulated "
                                f"{runtime.kernels} kernels")
    if table_core:
        return "extrapolated", f"{unmeasured} and its kernels were simulated for {table_core} only (stand-in core)"
    return "extrapolated", f"{unmeasured} and has no simulated kernels: the cycle model's per-MAC estimates"


_BASIS_CACHE: dict = {}
_DUTY_KEYS = (("average_current_a", "average_current_low_a", "average_current_high_a"),
              ("battery_life_days", "battery_life_low_days", "battery_life_high_days"))


def _basis_band(runtime, core: str, calibrated: bool) -> tuple:
    """(Band or None, the summary keys that do not depend on the estimate, the assumption line), once per
    runtime, core and calibration."""
    key = (runtime.label, runtime.kernels, runtime.build, runtime.version_note, core, calibrated)
    if key not in _BASIS_CACHE:
        basis, why = estimate_basis(runtime, core, calibrated)
        band = find_band(basis, runtime.label, core)
        fixed = {"estimate_basis": basis, "estimate_basis_note": why, "band_coverage": None, "band_validated": None}
        if band is None:
            note = f"no error band: {BANDS_FILE} has no entry for basis {basis} ({why})"
        else:
            fixed.update(band_coverage=band.coverage, band_validated=not band.placeholder)
            scope = f"{band.runtime} on {', '.join(band.cores)}" if band.runtime else f"every {basis} estimate"
            validated = "a PLACEHOLDER band, not yet validated" if band.placeholder else \
                f"from the validation of {scope}"
            note = (f"error band ({band.coverage * 100:.0f} % interval), basis {basis}: {why}; latency "
                    f"x{band.latency_low:.2f}-{band.latency_high:.2f}, energy x{band.energy_low:.2f}-"
                    f"{band.energy_high:.2f}, {validated} ({BANDS_FILE})")
        _BASIS_CACHE[key] = band, fixed, note
    return _BASIS_CACHE[key]


@dataclass(frozen=True)
class EstimateBand:
    """An estimate's band: ``summary`` (estimate_basis, estimate_basis_note, band_coverage, band_validated,
    latency_low_s, latency_high_s, energy_low_j, energy_high_j), the assumption line, and the inference at each end
    of the band (``low``, ``high``: (latency_s, energy_j)) for the duty stage."""

    summary: dict
    note: str
    low: object = None
    high: object = None

    def duty(self, duty_result) -> dict:
        """The duty cycle's band: ``average_current_low_a``/``high_a`` and ``battery_life_low_days``/``high_days``,
        the smallest and largest of the estimate and the duty stage re-evaluated around the inference at each end
        of the band (same strategy and rate). Mostly the low life comes with the high energy, but not always: a
        faster inference at the same energy sleeps longer. None where there is no band or battery, and the whole
        figure when the slow end cannot keep up with the rate."""
        out = {}
        rescale = getattr(duty_result, "rescale", None)
        ends = (rescale(*self.low), rescale(*self.high)) if self.low is not None and rescale is not None else None
        for key, low_key, high_key in _DUTY_KEYS:
            nominal = duty_result.summary.get(key)
            values = (nominal, ends[0][key], ends[1][key]) if ends else (None,)
            known = None not in values
            out[low_key], out[high_key] = (min(values), max(values)) if known else (None, None)
        return out


def band_summary(runtime, core: str, cost, calibrated: bool = False) -> EstimateBand:
    """The band of one estimate. ``cost``: the chain's InferenceCost (latency_s, energy_j, supply_v, ...)."""
    band, fixed, note = _basis_band(runtime, core, calibrated)
    if band is None:
        return EstimateBand({**fixed, "latency_low_s": None, "latency_high_s": None, "energy_low_j": None,
                             "energy_high_j": None}, note)
    low = (cost.latency_s * band.latency_low, cost.energy_j * band.energy_low)
    high = (cost.latency_s * band.latency_high, cost.energy_j * band.energy_high)
    return EstimateBand({**fixed, "latency_low_s": low[0], "latency_high_s": high[0], "energy_low_j": low[1],
                         "energy_high_j": high[1]}, note, low, high)
