"""Tables and JSON for duty profiles, batteries and the duty-cycle / battery-life result."""
from __future__ import annotations

import json
import math
import os

from ..units import DAYS_PER_MONTH, DAYS_PER_YEAR, days_text, si_format


#: the width of output that goes to a file or a pipe (no terminal to wrap it): lines are not broken at 80 columns
PIPED_WIDTH = 200


def _console(console=None):
    """The console to print on: the terminal as it is (or the width COLUMNS gives); piped or redirected output at
    least :data:`PIPED_WIDTH` columns wide, so that a table or a long line is not wrapped at 80 columns."""
    from rich.console import Console

    if console is not None:
        return console
    probe = Console()
    if probe.is_terminal or "COLUMNS" in os.environ:  # a width the user asked for is kept
        return probe
    return Console(width=max(probe.width, PIPED_WIDTH))


def _json(obj) -> str:
    def clean(x):
        if isinstance(x, float) and not math.isfinite(x):
            return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        return x

    return json.dumps(clean(obj), indent=2, ensure_ascii=False)


# ----------------------------------------------------------------------------------------------- profiles
def profiles_json(items) -> str:
    """The shipped profiles as a JSON list (rates in Hz, currents in A, energies in J)."""
    return _json([p.to_dict() for p in items])


def render_profiles(items, console=None) -> None:
    """One row per profile: id, rate, phases, battery, regulator, what it describes."""
    from rich.table import Table

    table = Table(title="Duty profiles (energy estimate MODEL --mcu ID --profile ID)", title_justify="left")
    for col in ("id", "rate", "phases", "battery", "regulator", "description"):
        table.add_column(col, overflow="fold", no_wrap=col == "id")
    for p in items:
        phases = ", ".join(f"{ph.name}" + (" (always on)" if ph.always_on else f" ({ph.every})" if ph.every else "")
                           for ph in p.phases)
        spec = lambda x: x if isinstance(x, str) or x is None else "inline"  # noqa: E731
        table.add_row(p.id, _rate_text(p.rate, p.rate_hz), phases or "-",
                      spec(p.battery) or "-", spec(p.regulator) or "-", p.name)
    _console(console).print(table)


def _rate_text(rate, rate_hz) -> str:
    from ..usage.duty import format_rate

    if not rate:
        return "-"
    pretty = format_rate(rate_hz)
    return rate if pretty == " ".join(str(rate).split()) else f"{rate} ({pretty})"


# ----------------------------------------------------------------------------------------------- one MCU
def render_mcu(mcu, console=None) -> None:
    """One catalog part: clock, supply range, and its sleep modes with the names ``--sleep`` accepts."""
    from rich.table import Table

    console = _console(console)
    clock = f"{mcu.max_clock_hz / 1e6:g} MHz" + (" only (fixed)" if mcu.fixed_clock else
                                                  f" max, {mcu.default_clock_hz / 1e6:g} MHz default")
    console.print(f"[bold]{mcu.id}[/] {mcu.name} ({mcu.vendor}, {mcu.core}): {clock}, supply "
                  f"{mcu.supply_min_v:g}-{mcu.supply_max_v:g} V, SRAM {mcu.sram_bytes / 1024:,.0f} KiB, "
                  f"default runtime {mcu.default_runtime}", highlight=False)
    table = Table(title="sleep modes (--sleep NAME)", title_justify="left")
    for col, just in (("--sleep", "left"), ("mode", "left"), ("current", "right"), ("keeps RAM", "right"),
                      ("wake-up", "right"), ("wake-up energy", "right")):
        table.add_column(col, justify=just, overflow="fold")
    for m in mcu.sleep_modes:
        computed = (m.provenance or {}).get("wakeup_energy_j") == "computed"
        table.add_row(m.name.split("(")[0].strip(), m.name, si_format(m.current_a, "A"),
                      f"{m.retains_ram_bytes / 1024:,.0f} KiB", si_format(m.wakeup_s, "s"),
                      "at the run current" if computed else si_format(m.wakeup_energy_j, "J"))
    console.print(table)


# ----------------------------------------------------------------------------------------------- batteries
def batteries_json(items) -> str:
    """The batteries as a JSON list (pack voltages in V, capacity in mAh, currents in A), with sources."""
    return _json([{**b.to_dict(), "sources": list(b.sources), "assumptions": list(b.assumptions), "notes": b.notes}
                  for b in items])


def render_batteries(items, console=None) -> None:
    """One row per battery: chemistry, voltages, rated capacity, self-discharge, pulse limit."""
    from rich.table import Table

    table = Table(title="Batteries (prefix Nx for N cells in series, e.g. 2xaa-alkaline)", title_justify="left")
    for col, just in (("id", "left"), ("chemistry", "left"), ("nominal", "right"), ("cutoff", "right"),
                      ("capacity", "right"), ("self-discharge", "right"), ("max pulse", "right"),
                      ("shelf life", "right"), ("name", "left")):
        table.add_column(col, justify=just, overflow="fold", no_wrap=col == "id")
    for b in items:
        table.add_row(
            b.id, b.chemistry, f"{b.nominal_v:.3g} V", f"{b.cutoff_v:.3g} V" if b.cutoff_v else "-",
            f"{b.capacity_mah:,.0f} mAh",
            f"{b.self_discharge_pct_per_year:g} %/yr" if b.self_discharge_pct_per_year is not None else "-",
            si_format(b.max_pulse_a, "A") if b.max_pulse_a else "-",
            f"{b.shelf_life_years:g} yr" if b.shelf_life_years else "-", b.name)
    _console(console).print(table)


# ----------------------------------------------------------------------------------------------- duty result
def life_text(days: float) -> str:
    """A battery life for people: hours below two days, else days, months and years."""
    if days < 2:
        return days_text(days)
    text = f"{days:,.1f} days"
    if days >= 2 * DAYS_PER_MONTH:  # months and years only where they read as more than a rounding of zero
        text += f" = {days / DAYS_PER_MONTH:,.1f} months"
    if days >= DAYS_PER_YEAR / 2:
        text += f" = {days / DAYS_PER_YEAR:,.2f} years"
    return text


def battery_line(s, battery, days) -> str:
    """'battery life ... on PACK [through REGULATOR] (default ...), limited by ...': the pack and the regulator
    between it and the part, said when they are the defaults."""
    name = battery.get("name", _get(s, "battery_id")) if isinstance(battery, dict) else _get(s, "battery_id")
    reg = (battery.get("regulator") or {}) if isinstance(battery, dict) else {}
    through = f" through a {reg.get('name', reg.get('id'))}" if reg.get("kind", "none") != "none" else ""
    default = ""
    if _get(s, "battery_default"):
        default = (" (default battery" + (", with the regulator the part needs" if through else "")
                   + "; --battery ID to change, --battery none for none)")
    return (f"battery life {life_text(days)} on {name}{through}{default}, limited by "
            f"{_get(s, 'battery_life_limited_by')}")


def capacity_line(battery: dict) -> str:
    """Which capacity the life uses: rated, at this load (the derating curve), after current peaks, above the
    voltage the part needs; the self-discharge and the regulator."""
    rated, derated = battery.get("capacity_mah") or 0.0, battery.get("derated_capacity_mah")
    parts = [f"usable {battery.get('usable_capacity_mah', 0):,.0f} of {rated:,.0f} mAh rated"]
    if derated is not None and not battery.get("ideal"):
        parts.append(f"{derated:,.0f} mAh at the {si_format(battery.get('average_current_a'), 'A')} average load")
    pulse = battery.get("pulse_factor")
    if pulse is not None and pulse < 1.0:
        parts.append(f"x {pulse:.2f} for {si_format(battery.get('peak_current_a'), 'A')} peaks")
    fraction = battery.get("voltage_fraction")
    above = f"above {battery.get('effective_cutoff_v', 0):.3g} V"
    parts.append(f"{100 * fraction:.0f} % of it {above}" if fraction is not None and fraction < 1.0 else above)
    pct = battery.get("self_discharge_pct_per_year")
    sd = f"self-discharge {si_format(battery.get('self_discharge_current_a'), 'A')}" + \
        (f" ({pct:g} %/year)" if pct else "")
    return f"{', '.join(parts)}; {sd}; regulator {(battery.get('regulator') or {}).get('id', 'none')}"


def sleep_strategy_line(s) -> str:
    """Both sleep strategies' average currents and the rate where they cross, or '' when only one applies."""
    keep, cold = _get(s, "retain_average_current_a"), _get(s, "cold_start_average_current_a")
    if keep is None or cold is None:
        return ""
    line = f"retain state: {si_format(keep, 'A')} average; cold start: {si_format(cold, 'A')} average"
    cross = _get(s, "sleep_crossover_rate_hz")
    if cross:
        line += f"; cold start wins below 1 inference per {si_format(1 / cross, 's')}"
    return line


def _get(obj, key, default=None):
    try:
        value = obj[key]
    except (KeyError, TypeError, IndexError):
        return default
    return default if value is None or (isinstance(value, float) and math.isnan(value)) else value


def render_duty(duty_result, console=None, assumptions: bool = False) -> None:
    """Where the energy goes (one row per phase, largest first), the average current, the battery life in days,
    months and years, what limits it and which input moves it most. ``duty_result`` is a DutyResult or any
    object with ``phases``, ``summary``, ``battery`` and optionally ``drivers``/``warnings``/``assumptions``."""
    from rich.table import Table

    from ..deferred import plain_value, table_rows
    from ..usage.duty import format_rate

    console = _console(console)
    phases = table_rows(duty_result, "phases")
    s = plain_value(duty_result, "summary")
    if not phases:
        return
    table = Table(title=f"Where the energy goes ({format_rate(_get(s, 'rate_hz'))}, "
                        f"period {si_format(_get(s, 'period_s'), 's')})", title_justify="left")
    for col in ("phase", "rate", "duration", "current", "energy", "average current", "share"):
        table.add_column(col, justify="left" if col == "phase" else "right")
    for r in sorted(phases, key=lambda r: -_get(r, "share", -math.inf)):  # largest first, NaN last
        kind = _get(r, "kind", "")
        rate = "always" if kind == "always-on" else "constant" if kind == "regulator" else format_rate(_get(r, "rate_hz"))
        duration = "-" if kind in ("always-on", "regulator") else si_format(_get(r, "duration_s"), "s")
        share = _get(r, "share", 0.0)
        table.add_row(str(r["name"]), rate, duration, si_format(_get(r, "current_a"), "A"),
                      "-" if kind == "regulator" else si_format(_get(r, "energy_j"), "J"),
                      si_format(_get(r, "average_current_a"), "A"), f"{100 * share:.1f} %")
    table.add_section()
    table.add_row("total", "", "", "", "", si_format(_get(s, "average_current_a"), "A"), "100 %")
    console.print(table)
    line = f"average current {si_format(_get(s, 'average_current_a'), 'A')}, power {si_format(_get(s, 'average_power_w'), 'W')}"
    if _get(s, "sleep_mode"):
        line += f"; sleeps in {_get(s, 'sleep_mode')}"
        if _get(s, "sleep_strategy"):
            line += f" ({_get(s, 'sleep_strategy')})"
    console.print(line)
    console.print(sleep_strategy_line(s), highlight=False) if sleep_strategy_line(s) else None
    days = _get(s, "battery_life_days")
    battery = getattr(duty_result, "battery", None)
    if days is not None:
        console.print(battery_line(s, battery, days), highlight=False)
        if isinstance(battery, dict):
            console.print(capacity_line(battery), highlight=False)
    drivers = list(getattr(duty_result, "drivers", []) or [])
    if drivers:
        console.print("what moves the answer most:")
        for d in drivers:
            console.print(f"  - {d}")
    if assumptions:
        for a in getattr(duty_result, "assumptions", []) or []:
            console.print(f"  assumption: {a}")
        for w in getattr(duty_result, "warnings", []) or []:
            console.print(f"  [yellow]warning:[/yellow] {w}")
