"""The power source of an estimate: which battery and regulator feed the MCU, at which supply voltage, and the
set-ups that cannot work (a pack above the part's maximum supply without a regulator, or below its minimum
without a boost) refused with the fix.

Without ``battery`` (and without a profile that names one) a duty-cycled estimate uses :data:`DEFAULT_BATTERY`,
the pack most sensor designs start from, and says so; ``battery="none"`` asks for no battery life.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import UserError
from .battery import Battery, load_battery
from .regulator import load_regulator

DEFAULT_BATTERY = "2xaa-alkaline"
#: the default pack of a part that needs 5 V (a Linux board): (lowest supply it asks for [V], battery id)
DEFAULT_BATTERY_5V = (4.5, "usb-power-bank-10000mah")
NO_BATTERY = "none"
BOOSTING = ("buck-boost", "boost")


@dataclass
class PowerSource:
    battery: Battery | None
    regulator: object | None
    supply_v: float
    default_battery: bool = False
    assumptions: list = field(default_factory=list)


def check_supply(battery: Battery, regulator, part) -> None:
    """Refuse a pack that cannot feed ``part`` through ``regulator`` (kind none/ldo/buck/buck-boost)."""
    kind = getattr(regulator, "kind", "none")
    lo, hi = part.supply_min_v, part.supply_max_v
    if kind == "none" and battery.max_v > hi + 1e-9:
        fresh = "a charged" if battery.rechargeable else "a fresh"
        raise UserError(f"{fresh} {battery.id} is {battery.max_v:.3g} V, above the {part.id} maximum supply of "
                        f"{hi:.3g} V: add a regulator (--regulator buck or ldo) or use fewer cells in series")
    if kind not in BOOSTING and battery.nominal_v < lo - 1e-9:
        via = "without a regulator" if kind == "none" else f"through a{'n' if kind == 'ldo' else ''} {kind}"
        raise UserError(f"{battery.id} ({battery.nominal_v:.3g} V nominal) is below the {part.id} minimum supply of "
                        f"{lo:.3g} V {via}: add a boost regulator (--regulator tps63900) or more cells in series")


def default_battery(part) -> str:
    """The default pack of ``part``: 2xAA for a microcontroller, a USB power bank for a board that needs 5 V."""
    return DEFAULT_BATTERY_5V[1] if part.supply_min_v >= DEFAULT_BATTERY_5V[0] else DEFAULT_BATTERY


def is_none(spec) -> bool:
    return isinstance(spec, str) and spec.strip().lower() == NO_BATTERY


def power_source(part, battery, regulator, profile, rate_hz, explicit_supply_v) -> PowerSource:
    """Battery, regulator and supply voltage: explicit supply > battery straight to the MCU > the part's default."""
    notes: list = []
    spec = battery if battery is not None else (profile.battery if profile is not None else None)
    default = False
    if is_none(spec):
        spec = None
    elif spec is None and rate_hz is not None:
        spec, default = default_battery(part), True
    reg_spec = regulator if regulator is not None else (profile.regulator if profile is not None else None)
    bat = load_battery(spec) if spec is not None else None
    if bat is not None and reg_spec is None and bat.regulator:  # a pack with its own converter (a power bank)
        reg_spec = bat.regulator
        notes.append(f"regulator: {bat.regulator}, the converter built into {bat.id} (give --regulator to change it)")
    reg = load_regulator(reg_spec if reg_spec is not None else "none") if (bat is not None or reg_spec) else None
    if bat is not None:
        try:
            check_supply(bat, reg, part)
        except UserError as exc:
            if not default:
                raise
            notes.append(f"no battery life: the default battery ({spec}) cannot feed it ({exc}); "
                         "give --battery")
            bat, reg, default = None, None, False
    if default:
        why = ("a pack that can feed a 5 V board" if spec != DEFAULT_BATTERY else
               "the pack most sensor designs start from")
        notes.append(f"battery: default {bat.name} ({spec}, {bat.nominal_v:g} V), {why}; give --battery ID, or "
                     "--battery none for no battery life")
    supply = explicit_supply_v
    if supply is None:
        supply = part.supply_default_v
        if bat is not None and getattr(reg, "kind", "none") == "none":
            if part.supply_min_v <= bat.nominal_v <= part.supply_max_v:
                supply = bat.nominal_v
                notes.append(f"supply = battery nominal {bat.nominal_v:g} V (no regulator)")
    return PowerSource(bat, reg, supply, default, notes)
