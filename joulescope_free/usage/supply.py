"""The power source of an estimate: which battery and regulator feed the MCU, at which supply voltage, and the
set-ups that cannot work (a pack above the part's maximum supply without a regulator, or below its minimum
without a boost) refused with the fix.

Without ``battery`` (and without a profile that names one) a duty-cycled estimate uses :data:`DEFAULT_BATTERY`,
the pack most sensor designs start from, and says so; ``battery="none"`` asks for no battery life. The default
must power the part over most of its discharge (:data:`DEFAULT_MIN_USABLE` of its charge above the voltage the part
needs): where the pack alone does not (2xAA on a 3.0 V ESP32-S3), it gets the buck-boost :data:`DEFAULT_REGULATOR`,
and the battery line says so. A battery given by the user that delivers none of its charge above that voltage is
refused with the fix, as one below the part's minimum supply is.
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
#: the share of its charge the default pack must deliver above the voltage the part needs ("most of its discharge")
DEFAULT_MIN_USABLE = 0.5
#: the regulator the default pack gets when the part needs more than the pack holds over most of its discharge
DEFAULT_REGULATOR = "tps63900"


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


def usable_fraction(battery: Battery, regulator, part, supply_v: float) -> tuple[float, float]:
    """(share of the pack's charge delivered above the voltage the part needs through ``regulator``, that voltage
    [V]): the discharge curve read at ``max(cell cutoff, needed V / cells)``, :meth:`Battery.capacity_breakdown`."""
    from .regulator import NONE

    need_v = (regulator or NONE).min_battery_v(supply_v, part.supply_min_v)
    if battery.ideal:
        return (1.0 if need_v <= battery.nominal_v + 1e-9 else 0.0), need_v
    return battery.capacity_breakdown(1e-3, None, need_v)["voltage_fraction"], need_v


def check_usable(battery: Battery, regulator, part, supply_v: float) -> None:
    """Refuse a pack that delivers none of its charge above the voltage ``part`` needs (a CR2032 on a 3.0 V part, a
    buck on 2xAA feeding 3.3 V): it cannot power the part at all, so a life of 0 hours would be no answer."""
    fraction, need_v = usable_fraction(battery, regulator, part, supply_v)
    if fraction > 0:
        return
    kind = getattr(regulator, "kind", "none")
    name = f"a {kind}" if regulator.id == kind else f"the {regulator.id} {kind}"
    via = "straight to the part" if kind == "none" else f"through {name} ({supply_v:.3g} V out)"
    cutoff = f", {battery.cutoff_v:.3g} V at its end" if battery.cutoff_v else ""
    fix = (f"{'an LDO' if kind == 'ldo' else 'a buck'} only steps down: " if kind in ("buck", "ldo") else "") + \
        f"use a buck-boost regulator (--regulator {DEFAULT_REGULATOR}) or a pack that stays above {need_v:.3g} V"
    raise UserError(f"{battery.id} ({battery.nominal_v:.3g} V nominal{cutoff}) cannot power the {part.id} {via}: none "
                    f"of its charge is delivered above the {need_v:.3g} V it needs; {fix}")


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
    if bat is not None and default and reg_spec is None:
        reg = _default_regulator(bat, reg, part, explicit_supply_v, notes)
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
        through = f" through the {reg.id} {reg.kind}" if getattr(reg, "kind", "none") != "none" else ""
        notes.append(f"battery: default {bat.name} ({spec}, {bat.nominal_v:g} V){through}, {why}; give --battery "
                     "ID, or --battery none for no battery life")
    supply = _supply(part, bat, reg, explicit_supply_v, notes)
    if bat is not None:
        check_usable(bat, reg, part, supply)
    return PowerSource(bat, reg, supply, default, notes)


def _supply(part, bat, reg, explicit_supply_v, notes=None) -> float:
    """The MCU supply [V]: the one given, else the pack's nominal voltage when it feeds the part directly and is in
    its range, else the part's default."""
    supply = explicit_supply_v
    if supply is None:
        supply = part.supply_default_v
        if bat is not None and getattr(reg, "kind", "none") == "none":
            if part.supply_min_v <= bat.nominal_v <= part.supply_max_v:
                supply = bat.nominal_v
                if notes is not None:
                    notes.append(f"supply = battery nominal {bat.nominal_v:g} V (no regulator)")
    return supply


def _default_regulator(bat, reg, part, explicit_supply_v, notes: list):
    """The regulator of the default pack: none when the pack alone powers the part over most of its discharge,
    else :data:`DEFAULT_REGULATOR` (a buck-boost) when that does, said in the notes."""
    try:
        check_supply(bat, reg, part)
        alone, need_v = usable_fraction(bat, reg, part, _supply(part, bat, reg, explicit_supply_v))
    except UserError:
        alone, need_v = 0.0, part.supply_min_v
    if alone >= DEFAULT_MIN_USABLE:
        return reg
    boost = load_regulator(DEFAULT_REGULATOR)
    try:
        check_supply(bat, boost, part)
    except UserError:
        return reg
    if usable_fraction(bat, boost, part, _supply(part, bat, boost, explicit_supply_v))[0] < DEFAULT_MIN_USABLE:
        return reg
    notes.append(f"regulator: {boost.id} ({boost.name}) between the default {bat.id} and the {part.id}: the part "
                 f"needs {need_v:.3g} V, which the pack alone gives for {100 * alone:.0f} % of its charge")
    return boost
