"""pandas objects made on first read.

The chain computes with plain Python rows and numpy; a result's pandas fields (``Estimate.summary``, ``.layers``,
``.phases``, ``DutyResult.phases``) hold a :class:`Deferred` until someone reads them. Writing JSON reads the plain
form instead, so ``energy estimate --json`` never imports pandas (its import alone is most of a cold start), and a
sweep row never pays for a table it does not show.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Deferred:
    """A pandas object not made yet: ``build(*args)`` makes it, ``plain(*args)`` gives the same content as plain
    Python (row dicts for a table, a dict for a Series), as :func:`render.export.jsonable` would turn the object
    into. ``build`` and ``plain`` are module-level functions, so a result pickles (processes, Dask) unbuilt."""

    build: Callable[..., Any]
    plain: Callable[..., Any]
    args: tuple = ()

    def make(self):
        return self.build(*self.args)

    def plain_form(self):
        return self.plain(*self.args)


class built_on_read:
    """A dataclass field that may be given a :class:`Deferred`: the first read builds it and keeps the result;
    assignments and reads otherwise behave as a plain field. The field has no default (it stays required)."""

    def __set_name__(self, owner, name):
        self.name, self.slot = name, f"_{name}"

    def __get__(self, obj, owner=None):
        if obj is None:
            raise AttributeError(self.name)  # dataclasses: no class-level default
        value = obj.__dict__[self.slot]
        if isinstance(value, Deferred):
            value = obj.__dict__[self.slot] = value.make()
        return value

    def __set__(self, obj, value):
        obj.__dict__[self.slot] = value


def unbuilt(obj, name: str):
    """Field ``name`` of ``obj`` as stored: a :class:`Deferred` stays one (to hand on to another result)."""
    return obj.__dict__[f"_{name}"]


def plain_value(obj, name: str):
    """Field ``name`` of ``obj`` for JSON or printing: a Deferred's plain form without building it, else the value
    itself (also for an object whose field is an ordinary attribute)."""
    value = getattr(obj, "__dict__", {}).get(f"_{name}")
    if value is None:
        return getattr(obj, name, None)
    return value.plain_form() if isinstance(value, Deferred) else value


def frame_from_rows(rows: list, columns) -> Deferred:
    """A DataFrame of ``columns`` from row dicts, made on first read; plain: the rows in column order."""
    return Deferred(_frame_of_rows, _rows_in_order, (rows, tuple(columns)))


def _frame_of_rows(rows: list, columns: tuple):
    import pandas as pd

    return pd.DataFrame({c: [r[c] for r in rows] for c in columns}, columns=list(columns))


def _rows_in_order(rows: list, columns: tuple) -> list:
    return [{c: r[c] for c in columns} for r in rows]


def series_from_dict(values: dict) -> Deferred:
    """An object-dtype Series of ``values``, made on first read; plain: a copy of the dict."""
    return Deferred(_series_of_dict, dict, (values,))


def _series_of_dict(values: dict):
    import pandas as pd

    return pd.Series(values, dtype=object)


def table_rows(obj, name: str) -> list:
    """Table field ``name`` of ``obj`` as row dicts for printing, without making a DataFrame that is not made yet
    (a DataFrame's missing cells stay NaN; a missing table is no rows)."""
    value = plain_value(obj, name)
    if value is None:
        return []
    return value.to_dict(orient="records") if hasattr(value, "to_dict") else list(value)
