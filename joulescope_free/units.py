"""Names and units. Every quantity carries its SI unit in its name; conversion happens only at the edges.

Glossary (the same names are the JSON keys and DataFrame columns):

=========================  =====  ==========================================================
name                       unit   meaning
=========================  =====  ==========================================================
macs                       count  multiply-accumulates (one multiply + one add = 1 MAC)
elements                   count  output elements an operator produces
*_bytes                    B      memory sizes and traffic
clock_hz                   Hz     core clock
supply_v                   V      supply voltage at the MCU's VDD pins
cycles                     count  core clock cycles
latency_s                  s      time of one inference (or one layer)
energy_j / energy_*_j      J      energy drawn from the supply
current_a                  A      current drawn from the supply
*_power_w                  W      power
rate_hz / period_s         Hz, s  how often an inference (or a phase) happens
battery_life_days          d      days until the battery is exhausted (months = days / 30.44, years = days / 365.25)
=========================  =====  ==========================================================
"""
from __future__ import annotations

import math

DAYS_PER_MONTH = 30.44  # mean Gregorian month (365.25 / 12, rounded)
DAYS_PER_YEAR = 365.25  # Julian year
SECONDS_PER_DAY = 86400.0
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_YEAR = DAYS_PER_YEAR * SECONDS_PER_DAY  # 31 557 600 s
MAH_TO_C = 3.6  # 1 mAh = 3.6 coulomb


#: compound units printed per a larger unit than the SI base (a per-hertz figure reads as per MHz): denominator ->
#: (printed denominator, its size in the base unit)
PER_UNITS = {"Hz": ("MHz", 1e6)}
_PREFIXES = ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"))


def si_format(value: float, unit: str, digits: int = 3) -> str:
    """``si_format(0.00312, "A") -> '3.12 mA'`` for people: an SI prefix, ``digits`` significant digits, never
    scientific notation (``0.9996 s -> '1.00 s'``, not '1e+03 ms'); None or NaN print as '-'.

    A compound ``unit`` ``"num/den"`` prefixes the numerator: ``si_format(98.4e-12, "A/Hz") -> '98.4 µA/MHz'``
    (a per-hertz figure reads per MHz, :data:`PER_UNITS`); ``"J/MAC"``, ``"s/B"`` keep their denominator."""
    if value is None:
        return "-"
    value = float(value)
    if math.isnan(value):
        return "-"
    value, unit = _per(value, unit)
    if math.isinf(value):
        return f"{'-' if value < 0 else ''}inf {unit}"
    if value == 0:
        return f"0 {unit}"
    scale, prefix = _si_prefix(value, digits)
    return f"{_plain(value / scale, digits)} {prefix}{unit}"


def _per(value: float, unit: str) -> tuple[float, str]:
    """(value, unit) with a per-hertz denominator turned into per MHz (see :data:`PER_UNITS`)."""
    num, slash, den = unit.partition("/")
    if slash and den in PER_UNITS:
        shown, size = PER_UNITS[den]
        return value * size, f"{num}/{shown}"
    return value, unit


def _round_sig(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` significant digits."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def _plain(x: float, digits: int) -> str:
    """``x`` with ``digits`` significant digits in plain notation, thousands separated; trailing zeros dropped as
    ``%g`` does (``51.0 -> '51'``) except where rounding carried into the next power of ten (``0.9996 -> '1.00'``,
    which reads as the rounded figure it is)."""
    if x == 0:
        return "0"
    r = _round_sig(x, digits)
    exponent = math.floor(math.log10(abs(r)))
    decimals = max(0, digits - 1 - exponent)
    text = f"{r:,.{decimals}f}"
    carried = exponent > math.floor(math.log10(abs(x)))
    if decimals and not carried:
        text = text.rstrip("0").rstrip(".")
    return text


def _si_prefix(value: float, digits: int = 3) -> tuple[float, str]:
    """(scale, prefix) that :func:`si_format` prints ``value`` with, chosen after rounding to ``digits``
    significant digits (999.96 mA is '1.00 A', not '1e+03 mA')."""
    mag = abs(value)
    for scale, prefix in _PREFIXES:
        if abs(_round_sig(mag / scale, digits)) >= 1:
            return scale, prefix
    return _PREFIXES[-1]


def si_band(value: float, low: float | None, high: float | None, unit: str, digits: int = 3) -> str:
    """``si_band(0.051, 0.038, 0.07, "s") -> '51 ms (38 to 70 ms)'``: a value and its band, both in the value's
    prefix and unit (plain numbers: ``'1.00 s (0.698 to 1.91 s)'``); without a band (None or NaN ends) just
    :func:`si_format`."""
    text = si_format(value, unit, digits)
    if value is None or low is None or high is None or any(math.isnan(float(x)) for x in (value, low, high)) \
            or float(value) == 0:
        return text
    value, shown = _per(float(value), unit)
    low, _ = _per(float(low), unit)
    high, _ = _per(float(high), unit)
    scale, prefix = _si_prefix(value, digits)
    return f"{text} ({_plain(low / scale, digits)} to {_plain(high / scale, digits)} {prefix}{shown})"


def plain_number(x: float, digits: int = 4) -> str:
    """A number for people without a unit prefix: ``digits`` significant digits, plain notation, thousands
    separated (``1234.5 -> '1,235'``, ``0.001 -> '0.001'``)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return _plain(float(x), digits)


def days_text(days: float, digits: int = 4) -> str:
    """A battery life for people, in the unit that reads best: hours under two days (``1.6 -> '38.4 hours'``),
    else days (``'3,348 days'``); never scientific notation, never '0.00 years'."""
    if days is None or (isinstance(days, float) and math.isnan(days)):
        return "-"
    days = float(days)
    if math.isinf(days):
        return "unlimited"
    if days < 2:
        return f"{plain_number(days * 24, min(digits, 3))} hours"
    return f"{plain_number(days, digits)} days"


def days_band_text(days: float, low: float | None, high: float | None, digits: int = 4) -> str:
    """``'3,348 days (1,980 to 3,652 days)'``: a life and its band, both ends with their unit (hours for a life
    under two days, as :func:`days_text`)."""
    text = days_text(days, digits)
    if low is None or high is None or any(isinstance(x, float) and math.isnan(x) for x in (low, high)):
        return text
    if days is not None and float(days) < 2:  # both ends in the value's unit
        return f"{text} ({plain_number(low * 24, 3)} to {plain_number(high * 24, 3)} hours)"
    return f"{text} ({plain_number(low, digits)} to {plain_number(high, digits)} days)"


#: how the warnings of one estimate are joined in a table cell (the ``warnings`` column of compare and sweep)
WARNING_SEPARATOR = " | "
