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


def si_format(value: float, unit: str, digits: int = 3) -> str:
    """``si_format(0.00312, "A") -> '3.12 mA'`` for printed tables; None or NaN print as '-'."""
    if value is None:
        return "-"
    value = float(value)
    if math.isnan(value):
        return "-"
    if value == 0:
        return f"0 {unit}"
    scale, prefix = _si_prefix(value)
    return f"{value / scale:.{digits}g} {prefix}{unit}"


def _si_prefix(value: float) -> tuple[float, str]:
    """(scale, prefix) that :func:`si_format` prints ``value`` with."""
    mag = abs(value)
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n")):
        if mag >= scale:
            return scale, prefix
    return 1e-12, "p"


def si_band(value: float, low: float | None, high: float | None, unit: str, digits: int = 3) -> str:
    """``si_band(0.051, 0.038, 0.07, "s") -> '51 ms (38-70)'``: a value and its band, both in the value's prefix;
    without a band (None or NaN ends) just :func:`si_format`."""
    text = si_format(value, unit, digits)
    if value is None or low is None or high is None or any(math.isnan(float(x)) for x in (value, low, high)) \
            or float(value) == 0:
        return text
    scale, _ = _si_prefix(float(value))
    return f"{text} ({float(low) / scale:.{digits}g}-{float(high) / scale:.{digits}g})"
