"""Duty profiles: the phases around each inference (sensor, preprocessing, radio), its rate, battery, regulator.

One TOML per profile in ``profiles/`` (the id is the file stem; ``energy profiles`` lists them)::

    name = "vibration anomaly check every 10 minutes, BLE report hourly"
    rate = "every 10 min"            # the duty grammar (usage/duty.py)
    [sleep]
    current_a = 1.9e-6               # optional: overrides the MCU's sleep current (A)
    retain_bytes = 8192              # optional: bytes that must survive sleep (default: persistent tensors + app state)
    [[phase]]                        # once per inference unless `every` gives its own rate
    name = "accelerometer"
    duration_s = 0.256
    current_a = 0.15e-3              # A from the supply; "run" = the MCU's run current at the chosen clock
    [[phase]]
    name = "ble-report"
    every = "1/h"                    # its own rate; "continuous" = always on, alongside everything (needs current_a)
    energy_j = 150e-6                # give duration_s and current_a, or energy_j (optionally with duration_s)
    [battery]
    id = "2xaa-alkaline"             # or inline: capacity_mah, nominal_v, cutoff_v, self_discharge_pct_per_year
    [regulator]
    id = "none"                      # or ldo / buck / a part, or inline kind, quiescent_a, efficiency

Figures may be plain numbers or ``{ value = ..., source = "..." }``; a phase (and the file) may carry a
``source``, ``derived`` or ``notes`` string; every ``derived`` text (of the file, [sleep], a phase or a figure)
becomes one line of :attr:`Profile.assumptions`, which the duty model reports. Unknown keys and negative figures
are errors naming the key. :func:`load_profile` also takes an inline dict with these keys.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import UserError, unknown
from ..paths import data_dir
from ..datafile import as_figure, iter_figures
from ._figures import check_keys, from_file_cached, number, read_value
from .duty import parse_rate

_TOP = {"name", "rate", "sleep", "phase", "battery", "regulator", "source", "derived", "notes", "mcu"}
_PHASE = {"name", "every", "duration_s", "current_a", "energy_j", "source", "derived", "notes"}
_SLEEP = {"current_a", "retain_bytes", "source", "derived", "notes"}
RUN = "run"


@dataclass(frozen=True)
class PhaseSpec:
    name: str
    every_hz: float | None           # None = once per inference; math.inf = always on (alongside everything)
    duration_s: float | None         # s per occurrence (None: not given)
    current_a: float | None          # A from the supply while it runs (None: given as energy_j, or "run")
    energy_j: float | None           # J per occurrence (None: duration_s x current_a x supply_v)
    note: str = ""                   # its source / derived / notes text
    every: str | None = None         # the rate as written
    run_current: bool = False        # current_a = "run": the MCU's run current at the chosen clock

    @property
    def always_on(self) -> bool:
        return self.every_hz is not None and math.isinf(self.every_hz)


@dataclass(frozen=True)
class Profile:
    id: str
    name: str
    rate: str | None
    rate_hz: float | None
    sleep_current_a: float | None
    phases: list = field(default_factory=list)     # of PhaseSpec
    retain_bytes: int | None = None                # bytes that must survive sleep (None: the estimate's default)
    battery: str | dict | None = None
    regulator: str | dict | None = None
    path: str = ""
    notes: str = ""
    mcu: str | None = None                         # the part the profile was written for (informational)
    assumptions: tuple = ()                        # one line per `derived` text (file, [sleep], phases)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "rate": self.rate, "rate_hz": self.rate_hz,
                "sleep_current_a": self.sleep_current_a, "retain_bytes": self.retain_bytes, "battery": self.battery,
                "regulator": self.regulator,
                "mcu": self.mcu, "notes": self.notes, "path": self.path, "assumptions": list(self.assumptions),
                "phases": [{"name": p.name, "every": p.every, "every_hz": p.every_hz, "duration_s": p.duration_s,
                            "current_a": RUN if p.run_current else p.current_a, "energy_j": p.energy_j,
                            "note": p.note} for p in self.phases]}


def _note(table: dict) -> str:
    return "; ".join(f"{k}: {table[k]}" for k in ("source", "derived", "notes") if table.get(k))


def _text(table: dict, where: str) -> None:
    for k in ("source", "derived", "notes", "name"):
        if k in table and not isinstance(table[k], str):
            raise UserError(f"{where}: `{k}` must be a string")


def _phase(t: dict, where: str) -> PhaseSpec:
    if not isinstance(t, dict):
        raise UserError(f"{where}: expected a [[phase]] table")
    check_keys(t, _PHASE, where)
    _text(t, where)
    name = t.get("name")
    if not name:
        raise UserError(f"{where}: a phase needs a `name`")
    every, every_hz = t.get("every"), None
    if every is not None:
        try:
            every_hz = parse_rate(str(every))
        except UserError as exc:
            raise UserError(f"{where}.every: {exc}") from None
    cur_raw = read_value(t["current_a"], f"{where}.current_a") if "current_a" in t else None
    run = isinstance(cur_raw, str)
    if run and cur_raw.strip().lower() != RUN:
        raise UserError(f"{where}.current_a: a number in A or \"run\", got {cur_raw!r}")
    current = None if (cur_raw is None or run) else number(t["current_a"], f"{where}.current_a")
    duration = number(t["duration_s"], f"{where}.duration_s") if "duration_s" in t else None
    energy = number(t["energy_j"], f"{where}.energy_j") if "energy_j" in t else None
    has_current = current is not None or run
    if every_hz is not None and math.isinf(every_hz):
        if not has_current or energy is not None:
            raise UserError(f"{where}: an always-on phase (every = \"continuous\") gives current_a only")
    elif energy is not None and has_current:
        raise UserError(f"{where}: give duration_s and current_a, or energy_j, not both")
    elif energy is None and not (has_current and duration is not None):
        raise UserError(f"{where}: a phase needs duration_s and current_a, or energy_j")
    return PhaseSpec(name=str(name), every_hz=every_hz, duration_s=duration, current_a=current, energy_j=energy,
                     note=_note(t), every=None if every is None else str(every), run_current=run)


def _from_table(t: dict, ident: str, path: str) -> Profile:
    where = path or ident
    check_keys(t, _TOP, where)
    _text(t, where)
    rate = t.get("rate")
    try:
        rate_hz = parse_rate(str(rate)) if rate is not None else None
    except UserError as exc:
        raise UserError(f"{where}: rate: {exc}") from None
    sleep = t.get("sleep", {})
    if not isinstance(sleep, dict):
        raise UserError(f"{where}: [sleep] must be a table")
    check_keys(sleep, _SLEEP, f"{where} [sleep]")
    sleep_a = number(sleep["current_a"], f"{where} [sleep].current_a") if "current_a" in sleep else None
    retain = int(number(sleep["retain_bytes"], f"{where} [sleep].retain_bytes")) if "retain_bytes" in sleep else None
    raw_phases = t.get("phase", [])
    if not isinstance(raw_phases, list):
        raise UserError(f"{where}: phases are written [[phase]] (an array of tables)")
    phases = [_phase(p, f"{where} phase[{i}]") for i, p in enumerate(raw_phases)]
    battery = t.get("battery")
    if isinstance(battery, dict) and set(battery) == {"id"}:
        battery = str(battery["id"])
    regulator = t.get("regulator")
    if isinstance(regulator, dict) and set(regulator) == {"id"}:
        regulator = str(regulator["id"])
    if battery is not None:  # fail early, naming the profile
        from .battery import load_battery

        load_battery(battery)
    if regulator is not None:
        from .regulator import load_regulator

        load_regulator(regulator)
    derived = [(f"profile {ident}", t), (f"profile {ident} [sleep]", sleep)]
    derived += [(f"profile {ident} phase {p.name}", raw) for p, raw in zip(phases, raw_phases)]
    lines = [f"{what}: {table['derived']}" for what, table in derived if table.get("derived")]
    for fig_where, node in iter_figures({"sleep": sleep, "phase": raw_phases}):
        fig = as_figure(node, f"{where} {fig_where}")
        if fig.kind == "derived":
            lines.append(f"profile {ident} {fig_where} = {fig.value}: {fig.note}")
    assumptions = tuple(lines)
    return Profile(id=ident, name=str(t.get("name", ident)), rate=None if rate is None else str(rate),
                   rate_hz=rate_hz, sleep_current_a=sleep_a, retain_bytes=retain, phases=phases, battery=battery,
                   regulator=regulator,
                   path=path, notes=_note(t), mcu=t.get("mcu"), assumptions=assumptions)


def _ids() -> list[str]:
    return sorted(p.stem for p in data_dir("profiles").glob("*.toml"))


def _from_file(t: dict, path: Path, ident: str) -> Profile:
    return _from_table(t, ident, str(path))


def _own(profile: Profile) -> Profile:
    """A copy of a cached profile whose mutable parts (the phase list, inline battery/regulator tables) the
    caller may change freely."""
    return replace(profile, phases=list(profile.phases), battery=copy.deepcopy(profile.battery),
                   regulator=copy.deepcopy(profile.regulator))


def load_profile(spec: str | dict) -> Profile:
    """A shipped profile by id (``kws-always-on``), a path to a .toml file, or an inline dict with the same keys
    as a file (``{"rate": "1/min", "phase": [{"name": "radio", "energy_j": 1e-4}]}``), checked the same way."""
    if isinstance(spec, Profile):
        return spec
    if isinstance(spec, dict):
        return _own(_from_table(copy.deepcopy(spec), "inline", ""))
    text = str(spec).strip()
    path = Path(text)
    if text.endswith(".toml") or path.is_file():
        return _own(from_file_cached(_from_file, path, path.stem))
    shipped = data_dir("profiles") / f"{text}.toml"
    if not shipped.is_file():
        raise unknown("profile", text, _ids(), hint="see `energy profiles`, or give a .toml file")
    return _own(from_file_cached(_from_file, shipped, text))


def list_profiles() -> list[Profile]:
    """The shipped profiles, by id."""
    return [load_profile(i) for i in _ids()]


def example_text() -> str:
    """The commented template of ``energy profiles --example`` (``profiles/templates/duty-profile.toml``)."""
    return (data_dir("profiles") / "templates" / "duty-profile.toml").read_text(encoding="utf-8")
