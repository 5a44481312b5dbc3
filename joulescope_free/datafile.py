"""Data files: TOML in which every figure carries where it comes from.

A figure is written as an inline table with its value and exactly one provenance key::

    sleep_current_a = { value = 3.16e-6, source = "nRF52840 PS v1.11, ION_RAMON_RTC" }
    wakeup_s        = { value = 20e-6,   derived = "cortex-m4 core-class default (cortex-m4.toml)" }
    run_current_a   = { value = 4.1e-3,  measured = "energy calibrate, trace.jls 2026-11-25" }

`source` names a datasheet, table and revision (or a repository path); `derived` says how the number was
obtained from others; `measured` is written only by ``energy calibrate``. Plain numbers are allowed only for
dimensionless settings that are choices, not facts (none in the shipped catalogs).
"""
from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .errors import UserError

PROVENANCE_KEYS = ("source", "derived", "measured")


@dataclass(frozen=True)
class Figure:
    """A number with its provenance: ``kind`` is ``source``, ``derived`` or ``measured``."""

    value: Any
    kind: str
    note: str


def load_toml(path: Path | str) -> dict:
    """Read a TOML file; a missing or malformed file is a :class:`UserError` naming it."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"file not found: {path}")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML ({exc})") from None


def is_figure(node: Any) -> bool:
    return isinstance(node, dict) and "value" in node


def as_figure(node: Any, where: str) -> Figure:
    """Turn ``{value=..., source=...}`` into a :class:`Figure`; anything else is an error naming ``where``."""
    if not is_figure(node):
        raise UserError(f"{where}: expected {{ value = ..., source = \"...\" }}, got {node!r}")
    kinds = [k for k in PROVENANCE_KEYS if k in node]
    if len(kinds) != 1 or not str(node[kinds[0]]).strip():
        raise UserError(f"{where}: a figure needs exactly one of {', '.join(PROVENANCE_KEYS)} with text")
    extra = set(node) - {"value", *PROVENANCE_KEYS}
    if extra:
        raise UserError(f"{where}: unknown key(s) {', '.join(sorted(extra))} in figure")
    return Figure(node["value"], kinds[0], str(node[kinds[0]]))


def iter_figures(tree: Any, prefix: str = ""):
    """Yield ``(dotted.path, Figure-like dict)`` for every figure in a loaded TOML tree."""
    if is_figure(tree):
        yield prefix, tree
    elif isinstance(tree, dict):
        for key, sub in tree.items():
            yield from iter_figures(sub, f"{prefix}.{key}" if prefix else key)
    elif isinstance(tree, list):
        for i, sub in enumerate(tree):
            yield from iter_figures(sub, f"{prefix}[{i}]")


def bare_numbers(tree: Any, prefix: str = "", allowed: frozenset[str] = frozenset()):
    """Yield dotted paths of numbers written without provenance (for the data-file tests)."""
    if is_figure(tree):
        return
    if isinstance(tree, bool):
        return
    if isinstance(tree, (int, float)):
        if prefix.rsplit(".", 1)[-1] not in allowed:
            yield prefix
    elif isinstance(tree, dict):
        for key, sub in tree.items():
            yield from bare_numbers(sub, f"{prefix}.{key}" if prefix else key, allowed)
    elif isinstance(tree, list):
        for i, sub in enumerate(tree):
            yield from bare_numbers(sub, f"{prefix}[{i}]", allowed)


def toml_value(value) -> str:
    """One value written as TOML: booleans, integers, finite floats, lists of values, and anything else as a
    string (a JSON string is a valid TOML basic string). The writers of calibration, band and kernel files share
    it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"a non-finite number ({value}) cannot be written to TOML")
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)
