"""Design-space sweeps: every combination of models x targets x duty cycles x batteries as one table.

* :func:`sweep` (``jf.sweep``): one row per combination, in the order of ``itertools.product(models, mcu, runtime,
  clock_mhz, supply_v, duty, battery, profile)``. Rows are computed in blocks: for one model, part, runtime, clock,
  supply and battery the inference, its band and the sleep strategies are made once and every rate is evaluated at
  once with numpy (:func:`usage.lifetime.duty_rates`, the code ``jf.estimate`` runs for one rate); what a block
  cannot cover (profiles, continuous, an error to explain) goes through the chain row by row. Every returned
  figure equals ``jf.estimate``'s for the same inputs.
* :func:`find_models` expands files and folders (``*.tflite``, recursively, sorted) into model paths;
* :class:`AnalysisCache` keeps each model's analysis on disk by the SHA-256 of the file, so a rerun reads no model
  twice (``~/.cache/joulescope_free/analysis``, or ``$JOULESCOPE_FREE_CACHE/analysis``);
* :func:`analyse_models` analyses the models not in the cache in parallel processes (or on a Dask cluster: give a
  ``dask.distributed.Client``); a model that cannot be read becomes one error, never a stopped run;
* :func:`sweep_models` (``energy sweep``) sweeps one model at a time (a block per model, locally or on the
  cluster) with one ``error`` row per unreadable model; :func:`write_table` writes CSV or Parquet.

The module is called ``sweeps`` because a submodule called ``sweep`` would shadow the ``jf.sweep`` function once
imported.
"""
from __future__ import annotations

import dataclasses
import hashlib
import itertools
import math
import os
import pickle
from pathlib import Path

from . import __version__
from .chain import _analysis, _chain
from .errors import UserError
from .units import WARNING_SEPARATOR

MODEL_SUFFIXES = (".tflite",)
CACHE_ENV = "JOULESCOPE_FREE_CACHE"

SWEEP_COLUMNS = ["model", "model_path", "mcu", "runtime", "accelerator", "clock_hz", "supply_v", "duty", "battery", "latency_s",
                 "energy_per_inference_j", "inference_power_w", "peak_ram_bytes", "fits_ram", "fits_flash",
                 "average_current_a", "battery_life_days", "battery_life_months", "battery_life_limited_by", "rate_hz",
                 "sleep_mode",
                 # the error band (validation.band_summary)
                 "estimate_basis", "latency_low_s", "latency_high_s", "energy_low_j", "energy_high_j",
                 "average_current_low_a", "average_current_high_a", "battery_life_low_days", "battery_life_high_days",
                 # what the estimate warns about (joined with " | "), the operators costed at zero cycles
                 "warnings", "unsupported_ops",
                 "error"]
#: the columns that do not depend on the duty cycle (one ``_chain`` without a duty gives them)
_INFERENCE_COLUMNS = ("latency_s", "energy_per_inference_j", "inference_power_w", "peak_ram_bytes", "fits_ram",
                      "fits_flash", "estimate_basis", "latency_low_s", "latency_high_s", "energy_low_j",
                      "energy_high_j")
#: the duty columns a vectorised block fills (usage.lifetime.duty_rates)
_DUTY_COLUMNS = ("average_current_a", "battery_life_days", "battery_life_months", "battery_life_limited_by",
                 "sleep_mode", "average_current_low_a", "average_current_high_a", "battery_life_low_days",
                 "battery_life_high_days")


# ------------------------------------------------------------------------------------------------ the sweep
def _as_list(value) -> list:
    if value is None:
        return [None]
    if isinstance(value, (str, bytes, Path, int, float, dict)):
        return [value]
    return list(value) or [None]


def sweep(models, mcu, runtime=None, clock_mhz=None, supply_v=None, duty=None, battery=None, profile=None,
          errors: str = "record", client=None, vectorised: bool = True, accelerator=None):
    """One row per combination of the given lists (each model analysed once).

    A combination that is invalid (a runtime that does not run on that core, a clock above the part's maximum)
    gives a row whose ``error`` column says why, unless ``errors="raise"``. A clock of ``"best"`` searches each
    row's clock as ``estimate(clock_mhz="best")`` does (row by row: the search runs the chain about 50 times).
    ``client``: a ``dask.distributed.Client`` (``[dask]`` extra): each model is analysed, and its rows computed, on
    the cluster. ``accelerator``: ``"npu"``, ``"none"`` or both (a list): a dimension like the others (a part
    without an NPU gives an error row for ``"npu"``; default: each part's NPU where it has one).
    ``vectorised=False``: every row through the chain one by one (the reference the blocks are tested against).
    """
    model_list = _as_list(models)
    if client is not None:
        return sweep_on_cluster(model_list, client, mcu=mcu, runtime=runtime, clock_mhz=clock_mhz,
                                supply_v=supply_v, duty=duty, battery=battery, profile=profile, errors=errors,
                                vectorised=vectorised, accelerator=accelerator)
    blocks = _Blocks() if vectorised and errors != "raise" else None
    return _sweep(model_list, [_analysis(m) for m in model_list], blocks, mcu=mcu, runtime=runtime,
                  clock_mhz=clock_mhz, supply_v=supply_v, duty=duty, battery=battery, profile=profile, errors=errors,
                  accelerator=accelerator)


def _sweep(model_list, analyses, blocks, mcu, runtime, clock_mhz, supply_v, duty, battery, profile, errors,
           accelerator=None):
    """The table; ``blocks``: the vectorised engine (its caches may serve several calls), None for row by row."""
    import pandas as pd

    parts, runtimes, clocks, supplies = _as_list(mcu), _as_list(runtime), _as_list(clock_mhz), _as_list(supply_v)
    duties, batteries, profiles = _as_list(duty), _as_list(battery), _as_list(profile)
    rows, cache = [], {}
    for (mi, m), part, acc, rt, clk, sv in itertools.product(enumerate(model_list), parts, _as_list(accelerator),
                                                             runtimes, clocks, supplies):
        analysis = analyses[mi]
        path = analysis.path if not isinstance(m, (bytes, bytearray)) else None
        fast = {}
        model_name = Path(path).name if path else "<bytes>"
        best = _is_best(clk)  # searched per row (the best clock depends on the rate and battery): not in blocks
        if blocks is not None and profiles == [None] and not best:
            for bi, bt in enumerate(batteries):
                for di, row in enumerate(blocks.rows(analysis, part, rt, clk, sv, duties, bt, acc)):
                    fast[di, bi] = row
        for (di, dt), (bi, bt), pf in itertools.product(enumerate(duties), enumerate(batteries), profiles):
            row = {"model": model_name, "model_path": path,
                   "mcu": getattr(part, "id", part), "runtime": rt, "accelerator": acc, "clock_hz": _asked_hz(clk),
                   "supply_v": _asked_number(sv), "duty": dt,
                   "battery": bt if not isinstance(bt, dict) else "inline", "error": None}
            done = fast.get((di, bi))
            if done is not None:
                row.update(done)
            elif best:
                _best_clock_row(row, analysis, part, rt, sv, dt, bt, pf, cache, errors, acc)
            else:
                _chain_row(row, analysis, part, rt, clk, sv, dt, bt, pf, cache, errors, acc)
            rows.append(row)
    frame = pd.DataFrame(rows, columns=SWEEP_COLUMNS)
    frame["rate_hz"] = frame["rate_hz"].astype(float)
    frame["error"] = frame["error"].astype(object).where(frame["error"].notna(), None)
    return frame


def _is_best(clock_mhz) -> bool:
    return isinstance(clock_mhz, str) and clock_mhz.strip().lower() == "best"


def _best_clock_row(row: dict, analysis, part, rt, sv, dt, bt, pf, cache: dict, errors: str, acc=None) -> None:
    """``clock_mhz="best"``: the clock with the lowest average current for this row's rate and battery (lowest
    energy per inference without a rate), searched as ``estimate`` does, then the row at that clock."""
    from .chain import _best_clock

    try:
        search = _best_clock(analysis, part, rt, sv, dt, pf, bt, None, None, None, None, acc)
    except UserError as exc:
        if errors == "raise":
            raise
        row["error"] = str(exc)
        return
    _chain_row(row, analysis, part, rt, search.clock_hz / 1e6, sv, dt, bt, pf, cache, errors, acc)


def _asked_number(value):
    """A number the user gave (an error row still says which combination it is), or None."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _asked_hz(clock_mhz):
    mhz = _asked_number(clock_mhz)
    return mhz * 1e6 if mhz is not None else None


def _chain_row(row: dict, analysis, part, rt, clk, sv, dt, bt, pf, cache: dict, errors: str, acc=None) -> None:
    """Fill ``row`` from the chain itself (one call), or with the reason the combination is invalid."""
    try:
        r = _chain(analysis, part, runtime=rt, clock_mhz=clk, supply_v=sv, duty=dt, battery=bt, profile=pf,
                   detail=False, cache=cache, accelerator=acc)
    except UserError as exc:
        if errors == "raise":
            raise
        _error_row(row, exc, analysis, part, rt, clk, sv, bt, pf, cache, acc)
        return
    s, target = r["summary"], r["target"]
    row.update({k: s[k] for k in SWEEP_COLUMNS if k in s})
    row.update(warnings=WARNING_SEPARATOR.join(r["warnings"]), unsupported_ops=_unsupported_ops(analysis))
    row.update({"runtime": target["runtime"], "clock_hz": target["clock_hz"], "supply_v": target["supply_v"],
                "accelerator": s.get("accelerator", "none"), "error": None})
    if bt is None and s.get("battery_id"):
        row["battery"] = s["battery_id"]  # the default (or the profile's) battery


def _unsupported_ops(analysis) -> str:
    """The operators of the model that are costed at zero cycles (unsupported, Flex), comma-separated, sorted."""
    return ", ".join(sorted({str(r["op"]) for r in analysis.records if not r.get("supported", True)}))


def _error_row(row: dict, exc: UserError, analysis, part, rt, clk, sv, bt, pf, cache: dict, acc=None) -> None:
    """An error row keeps the target as asked, resolved (runtime, clock, supply: not empty where the rate was the
    problem); a rate too fast for the inference keeps the inference's own figures and warnings, which it does not
    change."""
    from .errors import RateTooFast

    row["error"] = str(exc)
    row.update(_target_columns(part, rt, clk, sv, acc))
    if not isinstance(exc, RateTooFast):
        return
    from .chain import _resolve_target
    from .usage.profiles import load_profile
    from .usage.supply import power_source

    try:  # at the supply the duty cycle would have had (the battery's voltage straight to the part)
        mcu, _, _, _, explicit = _resolve_target(part, rt, clk, sv)
        source = power_source(mcu, bt, None, load_profile(pf) if pf is not None else None, exc.rate_hz, explicit)
        r = _chain(analysis, part, runtime=rt, clock_mhz=clk, supply_v=source.supply_v, detail=False, cache=cache,
                   **_acc(acc))
    except UserError:
        return
    s, target = r["summary"], r["target"]
    row.update({k: s[k] for k in _INFERENCE_COLUMNS if k in s})
    row.update(runtime=target["runtime"], clock_hz=target["clock_hz"], supply_v=target["supply_v"],
               accelerator=s.get("accelerator", "none"), warnings=WARNING_SEPARATOR.join(r["warnings"]),
               unsupported_ops=_unsupported_ops(analysis))
    if bt is None and source.battery is not None:
        row["battery"] = source.battery.id  # the default (or the profile's) battery, as on the other rows


def _target_columns(part, rt, clk, sv, acc=None) -> dict:
    """The runtime, clock and supply of a valid target as the chain resolves them (the supply only where it was
    given: an error row has no battery voltage to take), or {} for an invalid one (it keeps what was asked)."""
    from .chain import _resolve_target

    try:
        mcu, runtime, _, clock_hz, explicit = _resolve_target(part, rt, clk, sv)
        if acc is not None:
            from .hardware.npu import resolve_accelerator

            resolve_accelerator(mcu, runtime, acc)  # the chain's own check, as the blocks make it
    except UserError:
        return {}
    return {"runtime": runtime.label, "clock_hz": clock_hz, "supply_v": explicit}


def _acc(acc) -> dict:
    """The chain's accelerator argument where one was asked for (a chain without the option takes none)."""
    return {} if acc is None else {"accelerator": acc}


def _key(value):
    """A dict key for a sweep input: itself when hashable, else its identity (inline dicts, objects)."""
    try:
        hash(value)
        return value
    except TypeError:
        return ("id", id(value))


class _Blocks:
    """The vectorised rows of one sweep: per (model, part, runtime, clock, supply, battery) one inference, band and
    sleep-strategy setup (cached across blocks), then all rates at once."""

    def __init__(self):
        self.targets: dict = {}     # (part, runtime, clock, supply) -> resolved target, or the UserError
        self.sources: dict = {}     # (part, battery, explicit supply) -> PowerSource
        self.inference: dict = {}   # (model, target, supply) -> (fixed columns, cost, band, retain, cold start)
        self.rates: dict = {}       # duty -> rate [Hz] or None
        self.chain_cache: dict = {}
        self.analyses: list = []    # the analyses keyed by id() above, kept alive so no id is reused

    def rate(self, duty):
        """The finite rate [Hz] of a duty value, or None: the chain handles it (and explains a bad one)."""
        key = _key(duty)
        if key not in self.rates:
            rate = None
            try:
                if isinstance(duty, (int, float)) and not isinstance(duty, bool):
                    rate = float(duty)
                elif isinstance(duty, str):
                    from .usage.duty import parse_rate

                    rate = parse_rate(duty)
            except UserError:
                rate = None
            self.rates[key] = rate if rate is not None and rate > 0 and math.isfinite(rate) else None
        return self.rates[key]

    def rows(self, analysis, part, rt, clk, sv, duties, bt, acc=None) -> list:
        """One dict of columns per duty (None where the chain must make that row). The chain's own errors are
        reproduced where they do not depend on the duty: an invalid target (its first check) for every row, a
        battery the part cannot run from for every valid rate, a rate too fast for the inference (same message)."""
        rates = [self.rate(d) for d in duties]
        try:
            block = self._setup(analysis, part, rt, clk, sv, bt, acc)
        except _TargetError as exc:
            return [{"error": str(exc.args[0])} for _ in duties]
        except UserError as exc:  # the power source: checked by the chain once the rate is known
            target = _target_columns(part, rt, clk, sv, acc)  # the chain's error row keeps the same
            return [None if r is None else {"error": str(exc), **target} for r in rates]
        if block is None or all(r is None for r in rates):
            return [None] * len(duties)
        import numpy as np

        from .usage.lifetime import duty_rates, too_fast

        fixed, d, band_ends, retain, cold = block
        index = [i for i, r in enumerate(rates) if r is not None]
        cols = duty_rates(d, np.array([rates[i] for i in index]), band_ends)
        out: list = [None] * len(duties)
        for j, i in enumerate(index):
            if not cols["fits"][j]:  # the inference's own figures stay (the chain's error row does the same)
                out[i] = dict(fixed, error=str(too_fast(d.options, rates[i])))
                continue
            row = dict(fixed, rate_hz=rates[i])
            for k in _DUTY_COLUMNS:
                v = cols[k][j]
                row[k] = None if v is None or (isinstance(v, float) and v != v) else v
            out[i] = row
        for row, warnings in zip(*_duty_warnings(fixed["warnings"], d, [r for r in out if r and r.get("error") is None],
                                                 retain, cold)):
            row["warnings"] = WARNING_SEPARATOR.join(warnings)
        return out

    def _setup(self, analysis, part, rt, clk, sv, bt, acc=None):
        """(columns fixed for the block, DutySetup, band ends or None), or None when the chain must do it all.
        Raises :class:`_TargetError` for an invalid target, the power source's UserError for an unusable battery."""
        from .chain import _resolve_target
        from .usage.lifetime import duty_setup
        from .usage.supply import power_source

        tkey = (_key(part), _key(rt), _key(clk), _key(sv), acc)
        if tkey not in self.targets:
            try:
                self.targets[tkey] = _resolve_target(part, rt, clk, sv)
                from .hardware.npu import resolve_accelerator

                resolve_accelerator(self.targets[tkey][0], self.targets[tkey][1], acc)  # the chain's own check
            except UserError as exc:
                self.targets[tkey] = _TargetError(str(exc))
        target = self.targets[tkey]
        if isinstance(target, _TargetError):
            raise target
        mcu, runtime, core, clock_hz, explicit_supply = target
        skey = (tkey, _key(bt))
        if skey not in self.sources:
            try:
                self.sources[skey] = power_source(mcu, bt, None, None, 1.0, explicit_supply)
            except UserError as exc:
                self.sources[skey] = exc
        source = self.sources[skey]
        if isinstance(source, UserError):
            raise source
        supply = source.supply_v
        ikey = (id(analysis), tkey, supply)
        if ikey not in self.inference:
            self.inference[ikey] = self._inference_part(analysis, part, rt, clk, supply, target, acc)
            self.analyses.append(analysis)
        fixed, cost, band, retain, cold = self.inference[ikey]
        try:  # duty_cycle's own set-up; what it refuses, the chain explains row by row
            d = duty_setup(cost, mcu, source.battery, source.regulator or _none_regulator(), supply,
                           retain_bytes=retain, cold_start=cold)
        except UserError:
            return None
        battery_id = source.battery.id if source.battery is not None else None
        fixed = dict(fixed, battery=battery_id if bt is None else (bt if not isinstance(bt, dict) else "inline"))
        return fixed, d, ((band.low, band.high) if band.low is not None else None), retain, cold

    def _inference_part(self, analysis, part, rt, clk, supply, target, acc=None):
        """The chain without a duty cycle at the block's supply: the inference columns, its cost and band (the
        chain's own objects), and what must survive sleep and a cold start's cost (``usage.sleep``)."""
        from .usage.sleep import sleep_inputs

        mcu, runtime, core, clock_hz, _ = target
        r = _chain(analysis, part, runtime=rt, clock_mhz=clk, supply_v=supply, detail=False, cache=self.chain_cache,
                   accelerator=acc)
        s, t = r["summary"], r["target"]
        fixed = {k: s[k] for k in _INFERENCE_COLUMNS if k in s}
        fixed.update(runtime=t["runtime"], clock_hz=t["clock_hz"], supply_v=t["supply_v"], error=None,
                     accelerator=s.get("accelerator", "none"), warnings=WARNING_SEPARATOR.join(r["warnings"]),
                     unsupported_ops=_unsupported_ops(analysis))
        retain, _, cold, _ = sleep_inputs(s, mcu, runtime, clock_hz, None)
        return fixed, r["cost"], r["band"], retain, cold


def _duty_warnings(inference_warnings: str, d, rows: list, retain_bytes: int, cold_start) -> tuple:
    """(rows, the warnings ``duty_cycle`` gives for each: the chosen strategy's, the battery's, after the
    inference's) with the scalar functions' own text; the battery figures of a block's rows are computed at once,
    one array per sleep strategy."""
    import numpy as np

    from .chain import _dedupe
    from .usage.lifetime import _battery_warnings, _life, _peak_load_a

    first = inference_warnings.split(WARNING_SEPARATOR) if inference_warnings else []
    by_mode: dict = {}
    for s in d.options:  # the first strategy sleeping in a mode, as duty_cycle picks it
        if s.mode is not None:
            by_mode.setdefault(s.mode.name, s)
    chosen = [by_mode.get(row.get("sleep_mode"), d.options[0]) for row in rows]
    out = [list(first) for _ in rows]
    for s in {id(s): s for s in chosen}.values():
        mine = [j for j, c in enumerate(chosen) if c is s]
        if s.cold and cold_start is None and s.mode is not None:
            for j in mine:
                out[j].append(f"no sleep mode keeps the {retain_bytes / 1024:.0f} KiB that must survive: sleeping in "
                              f"{s.mode.name} (keeps {s.mode.retains_ram_bytes // 1024} KiB), so the model state is "
                              "reloaded after every wake-up; that reload is not costed here")
        with_life = [j for j in mine if rows[j].get("average_current_a") is not None]
        if d.bat is None or not with_life:
            continue
        avg = np.array([float(rows[j]["average_current_a"]) for j in with_life])
        life = _life(d.bat, d.reg, avg, _peak_load_a(s.rows, s.sleep_current_a), d.supply_v, d.battery_v,
                     d.mcu_min_v)
        for j, warnings in zip(with_life, _battery_warnings(d.bat, d.reg, None, life, avg, d.supply_v)):
            out[j] += warnings
    return rows, [_dedupe(w) for w in out]


class _TargetError(Exception):
    """An invalid (part, runtime, clock, supply): the chain's first check, so every row of the block has it."""


def _none_regulator():
    from .usage.regulator import NONE

    return NONE


# ------------------------------------------------------------------------------------------------ inputs
def find_models(paths) -> list[Path]:
    """The model files among ``paths``: a file as given (whatever its suffix: a bad one becomes an error row), a
    folder's ``*.tflite`` files at any depth, sorted. A folder without any is refused."""
    out: list[Path] = []
    for given in paths:
        p = Path(given)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix.lower() in MODEL_SUFFIXES and f.is_file())
            if not found:
                raise UserError(f"no .tflite files in folder {p}")
            out += found
        else:
            out.append(p)
    if not out:
        raise UserError("no models given: name .tflite files or folders that hold them")
    return out


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ------------------------------------------------------------------------------------------------ cache
def default_cache_dir() -> Path:
    root = os.environ.get(CACHE_ENV)
    return Path(root) if root else Path.home() / ".cache" / "joulescope_free"


def analysis_code_hash() -> str:
    """A short hash of the analysis code (``joulescope_free/model/*.py``): a changed analyser, even without a new
    version number, never reads analyses the old one cached."""
    h = hashlib.sha256()
    for f in sorted((Path(__file__).parent / "model").glob("*.py")):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:12]


class AnalysisCache:
    """Model analyses pickled by file hash under ``root/analysis/<version>-<code hash>/<sha256>.pickle`` (another
    package version or analysis code starts a new folder)."""

    def __init__(self, root=None):
        root = Path(root if root is not None else default_cache_dir())
        self.folder = root / "analysis" / f"{__version__}-{analysis_code_hash()}"

    def _file(self, sha: str) -> Path:
        return self.folder / f"{sha}.pickle"

    def get(self, sha: str, path: str):
        """The analysis of the file with hash ``sha``, shown under ``path`` (None when not cached or unreadable)."""
        try:
            with open(self._file(sha), "rb") as fh:
                analysis = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None
        return dataclasses.replace(analysis, path=path)

    def put(self, analysis) -> None:
        """Store ``analysis`` (without its DataFrame, rebuilt on read); a cache that cannot be written is skipped."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self._file(analysis.sha256).with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                pickle.dump(dataclasses.replace(analysis, _frame=None), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self._file(analysis.sha256))
        except OSError:
            pass


# ------------------------------------------------------------------------------------------------ analysis
def analyse_one(path: str, data: bytes | None = None):
    """(analysis, None) or (None, the reason it cannot be read): never raises, so one bad file stops nothing.
    ``data``: the file's bytes, read where the path exists (a cluster worker may not see the file)."""
    from .model.analysis import analyze_bytes, analyze_path

    try:
        return (analyze_path(path) if data is None else analyze_bytes(data, path)), None
    except UserError as exc:
        return None, str(exc)
    except Exception as exc:  # a file the reader chokes on is that model's error row, not a stopped run
        return None, f"cannot analyse {path}: {type(exc).__name__}: {exc}"


def analyse_models(paths, cache: AnalysisCache | None = None, jobs: int | None = None, client=None,
                   progress=None) -> list:
    """[(path, analysis or None, error or None)] in the order of ``paths``. Cached analyses are read back; the
    others run in ``jobs`` processes (default: the CPU count; 1 = in this process) or on the Dask ``client``.
    ``progress(n)`` is called as models finish."""
    results: dict[int, tuple] = {}
    todo: list[tuple[int, str, str | None]] = []
    for i, p in enumerate(paths):
        path = str(p)
        try:
            sha = file_sha256(path)
        except OSError:
            sha = None  # missing or unreadable: analyse_one words the error
        hit = cache.get(sha, path) if cache is not None and sha else None
        if hit is not None:
            results[i] = (path, hit, None)
            progress and progress(1)
        else:
            todo.append((i, path, sha))

    def done(i, path, outcome):
        analysis, error = outcome
        if analysis is not None and cache is not None:
            cache.put(analysis)
        results[i] = (path, analysis, error)
        progress and progress(1)

    if client is not None:
        remote = []
        for i, path, sha in todo:
            try:
                remote.append((i, path, client.submit(analyse_one, path, Path(path).read_bytes(), pure=False)))
            except OSError:
                done(i, path, analyse_one(path))  # the local error message, without a round trip
        for i, path, future in remote:
            done(i, path, future.result())
    elif todo:
        jobs = jobs or os.cpu_count() or 1
        if jobs == 1 or len(todo) == 1:
            for i, path, _ in todo:
                done(i, path, analyse_one(path))
        else:
            from concurrent.futures import ProcessPoolExecutor, as_completed

            with ProcessPoolExecutor(max_workers=min(jobs, len(todo))) as pool:
                futures = {pool.submit(analyse_one, path): (i, path) for i, path, _ in todo}
                for fut in as_completed(futures):
                    done(*futures[fut], fut.result())
    return [results[i] for i in range(len(paths))]


# ------------------------------------------------------------------------------------------------ sweep
def error_row(path: str, error: str) -> dict:
    """The one row of a model that cannot be read: its name, path and why; every figure empty."""
    return {"model": Path(path).name, "model_path": path, "error": error}


def sweep_models(models, mcu, runtime=None, clock_mhz=None, supply_v=None, duty=None, battery=None, profile=None,
                 cache: AnalysisCache | None = None, jobs: int | None = None, client=None, progress=None,
                 accelerator=None):
    """``jf.sweep`` over model files and folders: one block of rows per model, one error row per model that
    cannot be read. ``progress``: a callable ``(advance, total)`` told of each model analysed and each block
    swept (``2 x models`` steps in all)."""
    import pandas as pd

    paths = find_models(models)
    total = 2 * len(paths)
    tick = (lambda n: progress(n, total)) if progress else None
    analysed = analyse_models(paths, cache=cache, jobs=jobs, client=client, progress=tick)
    targets = dict(mcu=mcu, runtime=runtime, clock_mhz=clock_mhz, supply_v=supply_v, duty=duty, battery=battery,
                   profile=profile, accelerator=accelerator)
    blocks = _blocks([a for _, a, err in analysed if err is None], client, targets, jobs)
    frames = []
    for path, analysis, error in analysed:
        frames.append(pd.DataFrame([error_row(path, error)], columns=SWEEP_COLUMNS) if error else next(blocks))
        tick and tick(1)
    return _concat(frames)


def sweep_block(analysis, targets: dict, blocks=None):
    """The rows of one model (``jf.sweep`` of that analysis over ``targets``): the unit of work sent to a worker.
    ``blocks``: a vectorised engine shared by the models swept in this process (its targets and batteries are
    resolved once)."""
    targets = dict(targets)
    vectorised, errors = targets.pop("vectorised", True), targets.pop("errors", "record")
    if blocks is None and vectorised and errors != "raise":
        blocks = _Blocks()
    return _sweep([analysis], [analysis], blocks, errors=errors, **targets)


def sweep_chunk(analyses, targets: dict) -> list:
    """The row blocks of several models with one shared engine (the unit of work of a local process)."""
    return list(_each_block(analyses, targets))


def _each_block(analyses, targets: dict):
    shared = _Blocks() if targets.get("vectorised", True) and targets.get("errors") != "raise" else None
    return (sweep_block(a, targets, shared) for a in analyses)


def _blocks(analyses, client, targets: dict, jobs: int | None = 1):
    """The row blocks of ``analyses``, in order: computed here, in ``jobs`` processes (chunks of models, each with
    its own engine), or on the cluster (one task per model, all submitted at once)."""
    if client is not None:
        chunks = _chunks(analyses, len(client.scheduler_info().get("workers", {})) or 1)
        futures = [client.submit(sweep_chunk, c, targets, pure=False) for c in chunks]
        return (frame for f in futures for frame in f.result())
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(analyses) < 4 * jobs:
        return _each_block(analyses, targets)  # lazily: the progress bar moves model by model
    return _in_processes(_chunks(analyses, jobs), targets, jobs)


def _chunks(analyses, workers: int) -> list:
    """Four chunks of models per worker: few enough to spread the engine's set-up, enough that the slowest
    chunk does not hold up the rest."""
    size = max(1, -(-len(analyses) // (4 * workers)))
    return [analyses[i:i + size] for i in range(0, len(analyses), size)]


def _in_processes(chunks, targets: dict, jobs: int):
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for frames in pool.map(sweep_chunk, chunks, [targets] * len(chunks)):
            yield from frames


def _concat(frames):
    import pandas as pd

    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    frame["error"] = frame["error"].astype(object).where(frame["error"].notna(), None)
    return frame


def sweep_on_cluster(models, client, errors: str = "record", vectorised: bool = True, **targets):
    """``jf.sweep(..., client=...)``: the models analysed on the Dask cluster (a path is read here and its bytes
    sent), then one row block per model computed there. An unreadable model raises its UserError, as ``jf.sweep``."""
    pending = []  # (future of analyse_one, None) or (None, analysis)
    for m in models:
        if isinstance(m, (str, Path)) and Path(m).suffix.lower() in MODEL_SUFFIXES:
            try:
                data = Path(m).read_bytes()
            except OSError:
                _analysis(m)  # raises the proper UserError (file not found, ...)
            pending.append((client.submit(analyse_one, str(m), data, pure=False), None))
        else:
            pending.append((None, _analysis(m)))
    ready = []
    for future, analysis in pending:
        if future is not None:
            analysis, error = future.result()
            if error:
                raise UserError(error)
        ready.append(analysis)
    return _concat(list(_blocks(ready, client, dict(targets, errors=errors, vectorised=vectorised))))


def check_names(mcu=None, runtime=None, duty=None, battery=None, profile=None) -> None:
    """Refuse a misspelt name before a long run (the CLI): every MCU, runtime, duty, battery and profile must load.
    (``jf.sweep`` itself records such a combination as an error row.)"""
    from .hardware.catalog import load_mcu
    from .hardware.runtimes import load_runtime
    from .usage.battery import load_battery
    from .usage.duty import parse_rate
    from .usage.profiles import load_profile
    from .usage.supply import is_none

    for check, values in ((load_mcu, mcu), (load_runtime, runtime), (parse_rate, duty), (load_profile, profile),
                          (lambda b: is_none(b) or load_battery(b), battery)):
        for value in values or []:
            check(value)


# ------------------------------------------------------------------------------------------------ output
def write_table(frame, path) -> Path:
    """CSV for ``*.csv``; Parquet (through pyarrow, the ``parquet`` extra) for ``*.parquet``."""
    from .render.export import write_bytes_safely, write_csv_safely

    path = Path(path)
    suffix = path.suffix.lower()
    frame = frame.copy()
    for column in ("fits_ram", "fits_flash"):  # True/False, empty on error rows (not 1.0 from a mixed column)
        if column in frame:
            frame[column] = frame[column].astype("boolean")
    if suffix == ".csv":
        return write_csv_safely(path, frame)
    if suffix in (".parquet", ".pq"):
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise UserError("Parquet output needs pyarrow: pip install 'joulescope-free[parquet]', "
                            "or write a .csv") from None
        import io

        for column in ("duty", "battery", "mcu", "runtime"):  # inputs may mix names and numbers (duty 0.5, "1/min")
            frame[column] = frame[column].map(lambda v: None if v is None else str(v))
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return write_bytes_safely(path, buffer.getvalue())
    raise UserError(f"-o {path}: give a file name ending in .csv or .parquet")
