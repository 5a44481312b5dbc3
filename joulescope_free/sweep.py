"""Design-space sweeps at scale: many models (files and folders) x many targets, as one table.

* :func:`find_models` expands files and folders (``*.tflite``, recursively, sorted) into model paths;
* :class:`AnalysisCache` keeps each model's analysis on disk by the SHA-256 of the file, so a rerun reads no model
  twice (``~/.cache/joulescope_free/analysis``, or ``$JOULESCOPE_FREE_CACHE/analysis``);
* :func:`analyse_models` analyses the models not in the cache in parallel processes (or on a Dask cluster: give a
  ``dask.distributed.Client``); a model that cannot be read becomes one error, never a stopped run;
* :func:`sweep_models` runs :func:`joulescope_free.api.sweep` one model at a time (a block per model, locally or
  on the cluster) and gives one ``error`` row per unreadable model; :func:`write_table` writes CSV or Parquet.

Numbers are those of ``jf.sweep`` / ``jf.estimate`` exactly: this module only schedules the work.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
from pathlib import Path

from . import __version__
from .errors import UserError

MODEL_SUFFIXES = (".tflite",)
CACHE_ENV = "JOULESCOPE_FREE_CACHE"


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


class AnalysisCache:
    """Model analyses pickled by file hash under ``root/analysis/<package version>/<sha256>.pickle`` (a new
    version of the package, whose analysis may differ, starts a new folder)."""

    def __init__(self, root=None):
        self.folder = Path(root if root is not None else default_cache_dir()) / "analysis" / __version__

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
                 cache: AnalysisCache | None = None, jobs: int | None = None, client=None, progress=None):
    """``jf.sweep`` over model files and folders: one block of rows per model, one error row per model that
    cannot be read. ``progress``: a callable ``(advance, total)`` told of each model analysed and each block
    swept (``2 x models`` steps in all)."""
    import pandas as pd

    from .api import SWEEP_COLUMNS, sweep

    paths = find_models(models)
    total = 2 * len(paths)
    tick = (lambda n: progress(n, total)) if progress else None
    analysed = analyse_models(paths, cache=cache, jobs=jobs, client=client, progress=tick)
    targets = dict(mcu=mcu, runtime=runtime, clock_mhz=clock_mhz, supply_v=supply_v, duty=duty, battery=battery,
                   profile=profile)
    blocks = _blocks([a for _, a, err in analysed if err is None], client, targets)
    frames = []
    for path, analysis, error in analysed:
        frames.append(pd.DataFrame([error_row(path, error)], columns=SWEEP_COLUMNS) if error else next(blocks))
        tick and tick(1)
    return _concat(frames)


def sweep_block(analysis, targets: dict):
    """The rows of one model (``jf.sweep`` of that analysis over ``targets``): the unit of work sent to a worker."""
    from .api import sweep

    return sweep([analysis], **targets)


def _blocks(analyses, client, targets: dict):
    """The row blocks of ``analyses``, in order: computed here, or on the cluster (all submitted at once)."""
    if client is None:
        return (sweep_block(a, targets) for a in analyses)
    return (f.result() for f in [client.submit(sweep_block, a, targets, pure=False) for a in analyses])


def _concat(frames):
    import pandas as pd

    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    frame["error"] = frame["error"].astype(object).where(frame["error"].notna(), None)
    return frame


def sweep_on_cluster(models, client, errors: str = "record", **targets):
    """``jf.sweep(..., client=...)``: the models analysed on the Dask cluster (a path is read here and its bytes
    sent), then one row block per model computed there. An unreadable model raises its UserError, as ``jf.sweep``."""
    from .chain import _analysis

    analyses = []
    for m in models:
        if isinstance(m, (str, Path)) and Path(m).suffix.lower() in MODEL_SUFFIXES:
            try:
                data = Path(m).read_bytes()
            except OSError:
                _analysis(m)  # raises the proper UserError (file not found, ...)
            analyses.append(client.submit(analyse_one, str(m), data, pure=False))
        else:
            analyses.append(_analysis(m))
    ready = []
    for a in analyses:
        if not isinstance(a, (tuple,)) and hasattr(a, "result"):
            a, error = a.result()
            if error:
                raise UserError(error)
        ready.append(a)
    return _concat(list(_blocks(ready, client, dict(targets, errors=errors))))


# ------------------------------------------------------------------------------------------------ output
def write_table(frame, path) -> Path:
    """CSV for ``*.csv``; Parquet (through pyarrow, the ``parquet`` extra) for ``*.parquet``."""
    from .report.export import write_bytes_safely, write_csv_safely

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_csv_safely(path, frame)
    if suffix in (".parquet", ".pq"):
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise UserError("Parquet output needs pyarrow: pip install 'joulescope-free[parquet]', "
                            "or write a .csv") from None
        import io

        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return write_bytes_safely(path, buffer.getvalue())
    raise UserError(f"-o {path}: give a file name ending in .csv or .parquet")
