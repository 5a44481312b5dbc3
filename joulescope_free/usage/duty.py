"""The duty grammar: how often an inference (or a profile phase) happens, as a rate in Hz.

Accepted (case-insensitive, spaces anywhere, decimals and exponents allowed: ``1e-3``)::

    N/s  N/min  N/h  N/day        "10/s", "1 / min", "0.5/h", "3/day", "1e-3/s"
    N/M unit                      "1/10 min", "5/2h"  (N per M units)
    N per s|min|h|day             "2 per hour", "1 per minute"
    NHz                           "2Hz", "0.5 hz", "1e-3 Hz"   (no kHz/MHz: an inference rate is not a radio)
    every N s|min|h|day           "every 10 min", "every 90 s", "every hour" (N defaults to 1)
    continuous                    back to back: ``math.inf``

Unit spellings: s, sec, secs, second(s); min, mins, minute(s); h, hr, hrs, hour(s); d, day(s).
``1/min`` and ``every 1 min`` are the same rate. Zero, negative, unknown units: :class:`UserError`.
"""
from __future__ import annotations

import math
import re

from ..errors import UserError, closest
from ..units import SECONDS_PER_DAY, SECONDS_PER_HOUR, plain_number

#: seconds per unit, keyed by every accepted spelling
UNIT_S: dict[str, float] = {}
for _names, _seconds in (
    (("s", "sec", "secs", "second", "seconds"), 1.0),
    (("min", "mins", "minute", "minutes"), 60.0),
    (("h", "hr", "hrs", "hour", "hours"), SECONDS_PER_HOUR),
    (("d", "day", "days"), SECONDS_PER_DAY),
):
    for _n in _names:
        UNIT_S[_n] = _seconds

CONTINUOUS_WORDS = ("continuous", "back-to-back", "back to back")
GRAMMAR_HINT = ("use one of: N/s, N/min, N/h, N/day (1/min, 0.5/h, 3/day, 1e-3/s), N/M unit (1/10 min), "
                "N per unit (2 per hour), NHz (2Hz), 'every N s|min|h|day' (every 90 s), continuous")

_FLOAT = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?"
_NUMBER = rf"(?P<num>{_FLOAT})"
_PER = re.compile(rf"^{_NUMBER}\s*(?:/|per\b)\s*(?P<many>{_FLOAT})?\s*(?P<unit>[a-z]+)$")
_HZ = re.compile(rf"^{_NUMBER}\s*hz$")
_EVERY = re.compile(rf"^every\s*(?:{_NUMBER}\s*)?(?P<unit>[a-z]+)$")


def _unit_seconds(unit: str, text: str) -> float:
    if unit in UNIT_S:
        return UNIT_S[unit]
    near = closest(unit, UNIT_S)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    raise UserError(f"unknown time unit '{unit}' in duty '{text}'{hint} ({GRAMMAR_HINT})")


def _positive(value: float, text: str) -> float:
    if not value > 0 or not math.isfinite(value):
        raise UserError(f"duty '{text}' must be a positive rate ({GRAMMAR_HINT})")
    return value


def parse_rate(text: str) -> float:
    """Rate in Hz from the duty grammar; ``math.inf`` for ``continuous``. Bad input: :class:`UserError`."""
    if text is None or not str(text).strip():
        raise UserError(f"empty duty; {GRAMMAR_HINT}")
    raw = str(text)
    s = " ".join(raw.strip().lower().split())
    if s in CONTINUOUS_WORDS:
        return math.inf
    if m := _PER.match(s):
        count = _positive(float(m["num"]), raw)
        many = _positive(float(m["many"]), raw) if m["many"] is not None else 1.0
        return _positive(count / (many * _unit_seconds(m["unit"], raw)), raw)
    if m := _HZ.match(s):
        return _positive(float(m["num"]), raw)
    if m := _EVERY.match(s):
        n = _positive(float(m["num"]), raw) if m["num"] is not None else 1.0
        return _positive(1.0 / (n * _unit_seconds(m["unit"], raw)), raw)
    if re.search(r"[kmg]hz$", s):
        raise UserError(f"duty '{raw}': only plain Hz is accepted, e.g. 2Hz or 2000/s ({GRAMMAR_HINT})")
    raise UserError(f"cannot read duty '{raw}'; {GRAMMAR_HINT}")


def format_rate(rate_hz: float | None) -> str:
    """A readable rate: ``continuous``, ``30/s``, ``1/min``, ``every 10 min``, ``1/h``..."""
    if rate_hz is None:
        return "-"
    if math.isinf(rate_hz):
        return "continuous"
    period = 1.0 / rate_hz
    for unit, seconds in (("day", SECONDS_PER_DAY), ("h", SECONDS_PER_HOUR), ("min", 60.0), ("s", 1.0)):
        if period >= seconds:
            n = period / seconds
            return f"1/{unit}" if abs(n - 1) < 1e-9 else f"every {plain_number(n, 3)} {unit}"
    return f"{plain_number(rate_hz, 3)}/s"


def rate_text(rate_hz: float | None, digits: int = 4) -> str:
    """A rate as a count per the shortest unit that keeps the count at least 0.1, in plain notation (never
    scientific): ``0.9723 -> '0.9723/s'``, ``0.0137 -> '0.822/min'``, ``1e-5 -> '0.864/day'``."""
    if rate_hz is None or rate_hz != rate_hz:
        return "-"
    if math.isinf(rate_hz):
        return "continuous"
    for unit, seconds in (("s", 1.0), ("min", 60.0), ("h", SECONDS_PER_HOUR)):
        if rate_hz * seconds >= 0.1:
            return f"{plain_number(rate_hz * seconds, digits)}/{unit}"
    return f"{plain_number(rate_hz * SECONDS_PER_DAY, digits)}/day"
