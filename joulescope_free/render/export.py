"""Writing files for the user without ever losing one of theirs: write to a temporary file beside the target,
then move it into place, so an error half-way leaves the old file intact."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import UserError


def _check_target(path: Path) -> Path:
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path} is a directory; give a file name")
    if not path.parent.exists():
        raise UserError(f"folder {path.parent} does not exist")
    return path


def refuse_overwrite(path, force: bool) -> None:
    """A user's existing file is replaced only when they said so (``--force``)."""
    if path is not None and Path(path).is_file() and not force:
        raise UserError(f"{path} already exists; add --force to replace it, or choose another name")


def write_bytes_safely(path: Path, data: bytes) -> Path:
    path = _check_target(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if path.exists():  # keep the mode of the file it replaces; new files get the usual umask mode
            mode = path.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def write_text_safely(path: Path, text: str) -> Path:
    return write_bytes_safely(path, text.encode("utf-8"))


def write_csv_safely(path: Path, frame) -> Path:
    """A DataFrame as CSV (list-valued cells such as shapes are written as text)."""
    return write_text_safely(path, frame.to_csv(index=False))


def jsonable(obj):
    """Plain Python for ``json.dumps``: numpy scalars and arrays, pandas objects, NaN -> None."""
    import math
    import sys

    import numpy as np

    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    pd = sys.modules.get("pandas")  # a pandas object exists only once pandas is imported: never import it here
    if pd is not None and isinstance(obj, pd.DataFrame):
        return [jsonable(r) for r in obj.to_dict(orient="records")]
    if pd is not None and isinstance(obj, pd.Series):
        return jsonable(obj.to_dict())
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    return obj


def json_dumps(obj) -> str:
    import json

    return json.dumps(jsonable(obj), indent=2, ensure_ascii=False)
