"""Small helpers shared by the battery, regulator and profile loaders: read a value that is either a sourced
figure ``{ value = X, source = "..." }`` (shipped data) or a plain number (a user's inline input)."""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..datafile import as_figure, is_figure, load_toml, tomllib  # tomllib, or tomli before 3.11
from ..errors import UserError


def read_value(node: Any, where: str, provenance: dict | None = None, assumptions: list | None = None):
    """The value of ``node``; records ``where -> (kind, note)`` in ``provenance`` and a line in ``assumptions``
    for figures marked ``derived``. Plain numbers are recorded as ``("input", "")``."""
    if is_figure(node):
        fig = as_figure(node, where)
        if provenance is not None:
            provenance[where] = (fig.kind, fig.note)
        if assumptions is not None and fig.kind == "derived":
            shown = "a curve" if isinstance(fig.value, list) else f"{fig.value}"
            assumptions.append(f"{where} = {shown}: {fig.note}")
        return fig.value
    if provenance is not None:
        provenance[where] = ("input", "")
    return node


def number(node: Any, where: str, *, minimum: float | None = 0.0, strict: bool = False, **kw) -> float:
    """A finite float (>= ``minimum``, or > it with ``strict``); anything else is a :class:`UserError`."""
    value = read_value(node, where, **kw)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(f"{where}: expected a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise UserError(f"{where}: must be finite, got {value}")
    if minimum is not None and (value < minimum or (strict and value == minimum)):
        raise UserError(f"{where}: must be {'>' if strict else '>='} {minimum:g}, got {value:g}")
    return value


def pairs(node: Any, where: str, **kw) -> tuple[tuple[float, float], ...]:
    """A list of ``[x, y]`` number pairs (e.g. ``[[load_a, efficiency], ...]``), sorted by x."""
    value = read_value(node, where, **kw)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ((1.0, float(value)),)  # a single number: flat curve
    try:
        out = tuple(sorted((float(a), float(b)) for a, b in value))
    except (TypeError, ValueError):
        raise UserError(f"{where}: expected a number or a list of [x, y] pairs, got {value!r}") from None
    if not out or any(not (math.isfinite(a) and math.isfinite(b)) or b < 0 for a, b in out):
        raise UserError(f"{where}: pairs must be finite with y >= 0, got {value!r}")
    return out


def interp_log(x: float, points: tuple[tuple[float, float], ...]) -> float:
    """Linear interpolation in log10(x) over ``points`` (x > 0), clamped at both ends. ``x`` may be an array (a
    sweep): each element's log10 is taken as for one value (``math.log10``), so both give the same figures."""
    if len(points) == 1:
        return points[0][1] if not isinstance(x, np.ndarray) else np.full(np.shape(x), float(points[0][1]))
    try:
        xs, ys = _log_curve(points)
    except TypeError:  # a curve given as lists: not hashable, not cached
        xs, ys = _log_curve.__wrapped__(points)
    if isinstance(x, np.ndarray):
        logs = [math.log10(max(v, 1e-15)) for v in np.ravel(x).tolist()]
        return np.interp(np.reshape(logs, np.shape(x)), xs, ys)
    return float(np.interp(math.log10(max(x, 1e-15)), xs, ys))


@lru_cache(maxsize=256)
def _log_curve(points: tuple) -> tuple:
    """(log10 x, y) arrays of a curve, made once per curve (the duty stage interpolates the same few curves)."""
    return np.log10([max(p[0], 1e-15) for p in points]), np.array([p[1] for p in points], dtype=float)


def check_keys(table: dict, allowed: set[str], where: str) -> None:
    """Unknown keys are an error naming the key and the allowed ones."""
    extra = sorted(set(table) - allowed)
    if extra:
        raise UserError(f"{where}: unknown key '{extra[0]}'; allowed: {', '.join(sorted(allowed))}")


def from_file_cached(build: Callable[[dict, Path], Any], path: Path, *args):
    """``build(table, path, *args)`` for the TOML file at ``path``, parsed and built once per file content.

    The cache key is the file's bytes (read each call, a few us), so an edited file is read again and a
    result can never belong to other contents. Errors are those of :func:`~joulescope_free.datafile.load_toml`
    and are not cached. ``build`` must return an immutable object (or the caller copies its mutable parts)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError:
        load_toml(path)  # raises the usual UserError naming the file
        raise
    return _built(build, str(path), data, args)


@lru_cache(maxsize=256)
def _built(build, path: str, data: bytes, args: tuple):
    try:
        table = tomllib.loads(data.decode())  # what tomllib.load does with the open file
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{Path(path)}: not valid TOML ({exc})") from None
    return build(table, Path(path), *args)
