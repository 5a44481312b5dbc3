"""Batteries: one TOML per cell in ``profiles/batteries/``; ``Nx<id>`` puts N cells in series.

Capacity model (explainable, every step reported in ``notes``)::

    usable = rated_or_derated(I_avg) x pulse_factor(I_peak) x voltage_fraction(effective cutoff)

* ``rated_or_derated``: the cell's capacity at the average load, interpolated in log-current over the sourced
  ``[derating] capacity_mah = [[load_a, mAh], ...]`` points (clamped at the ends); the rated capacity when
  there are none. ``low_rate_loss = "self-discharge"`` (Li-SOCl2 bobbins): below the curve's peak the published
  loss is the parasitic self-discharge over the long discharge, which the lifetime model adds as a drain, so the
  curve is held at its peak there (no double counting).
* ``pulse_factor``: coin cells lose capacity under mA pulses: ``[pulse_derating] fraction = [[peak_a, f], ...]``.
* ``voltage_fraction``: share of the capacity delivered before the cell falls to the effective cutoff,
  ``max(cell cutoff, min_supply_v / cells)``, read off a per-chemistry ``[discharge_curve]`` (marked derived).

Full-charge voltage (:attr:`Battery.max_v`): the top of the ``[discharge_curve]``, else an optional ``max_v``
figure, else the nominal voltage; a pack fed straight to an MCU must not exceed its maximum supply at this voltage.

Self-discharge is a constant extra drain of ``rated capacity x pct/100 per year`` (see lifetime.py). A battery
given inline with only capacity and voltage is ideal: none of the above applies.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import UserError, unknown
from ..paths import data_dir
from ..units import MAH_TO_C, SECONDS_PER_YEAR
from ._figures import check_keys, from_file_cached, interp_log, number, pairs

_TOP_KEYS = {"id", "name", "chemistry", "nominal_v", "max_v", "cutoff_v", "capacity_mah", "self_discharge_pct_per_year",
             "max_continuous_a", "max_pulse_a", "shelf_life_years", "rechargeable", "derating", "pulse_derating",
             "discharge_curve", "notes", "source", "derived", "cells", "regulator"}
_INLINE_KEYS = {"id", "name", "chemistry", "capacity_mah", "nominal_v", "max_v", "cutoff_v", "self_discharge_pct_per_year",
                "max_pulse_a", "shelf_life_years", "cells", "notes"}
_SERIES = re.compile(r"^\s*(\d+)\s*[x×*]\s*(.+)$", re.IGNORECASE)
MAX_CELLS = 12


@dataclass(frozen=True)
class Battery:
    id: str
    name: str
    chemistry: str
    cells: int
    nominal_v: float                        # V, pack (cells x cell nominal)
    cutoff_v: float                         # V, pack (cells x cell end voltage); 0 = not modelled
    capacity_mah: float                     # rated, of one cell (= of the series pack)
    self_discharge_pct_per_year: float | None
    max_pulse_a: float | None
    max_continuous_a: float | None = None
    shelf_life_years: float | None = None
    derating: tuple = ()                    # ((load_a, mAh), ...)
    low_rate_loss_is_self_discharge: bool = False
    pulse_derating: tuple = ()              # ((peak_a, fraction), ...)
    discharge_curve: tuple = ()             # ((cell_v, fraction delivered down to it), ...)
    rechargeable: bool = False
    ideal: bool = False
    cell_full_v: float | None = None        # V, one cell fully charged / fresh (the file's `max_v`), if given
    sources: tuple = ()
    assumptions: tuple = ()
    provenance: dict = field(default_factory=dict)
    notes: str = ""
    path: str = ""
    regulator: str = ""                     # the converter built into the pack (a power bank's boost to 5 V), if any
    warnings: tuple = ()                    # what is unusual about the battery as given (an inline one)

    @property
    def cell_nominal_v(self) -> float:
        return self.nominal_v / self.cells

    @property
    def cell_cutoff_v(self) -> float:
        return self.cutoff_v / self.cells

    @property
    def max_v(self) -> float:
        """Pack voltage fully charged / fresh (V): the top of the ``discharge_curve`` if there is one, else the
        file's ``max_v`` figure, else the nominal voltage (never below nominal). This, not ``nominal_v``, is
        what an MCU fed straight from the pack must tolerate."""
        if self.discharge_curve:
            cell = max(v for v, _ in self.discharge_curve)
        elif self.cell_full_v is not None:
            cell = self.cell_full_v
        else:
            cell = self.cell_nominal_v
        return max(cell * self.cells, self.nominal_v)

    def capacity_breakdown(self, average_current_a: float, peak_current_a: float | None = None,
                           min_supply_v: float | None = None) -> dict:
        """Every factor of the usable capacity at this load (currents in A, voltages in V, capacities in mAh).
        ``average_current_a`` may be an array (a sweep's loads, one law for one estimate and a million rows):
        ``derated_mah`` and ``usable_mah`` are then arrays, and the notes that quote the load are left out."""
        notes: list[str] = []
        mah = self.capacity_mah
        one_load = not isinstance(average_current_a, np.ndarray)
        if self.derating:
            mah = interp_log(average_current_a, self.derating)
            peak_a, peak_mah = max(self.derating, key=lambda p: p[1])
            if self.low_rate_loss_is_self_discharge and not one_load:
                mah = np.where(average_current_a < peak_a, peak_mah, mah)
            elif self.low_rate_loss_is_self_discharge and average_current_a < peak_a:
                mah = peak_mah
                notes.append(f"below {peak_a * 1e3:g} mA the published capacity loss is self-discharge, modelled as a "
                             f"drain: capacity held at the curve's {peak_mah:g} mAh peak")
            if one_load and abs(mah - self.capacity_mah) > 1e-9 * self.capacity_mah:
                notes.append(f"capacity at {average_current_a * 1e3:.3g} mA average: {mah:.4g} mAh "
                             f"(rated {self.capacity_mah:g} mAh)")
        pulse = 1.0
        if self.pulse_derating and peak_current_a is not None:
            pulse = min(1.0, interp_log(peak_current_a, self.pulse_derating))
            if pulse < 1.0:
                notes.append(f"{peak_current_a * 1e3:.3g} mA peaks cost {100 * (1 - pulse):.0f} % of the capacity")
        cutoff_cell = self.cell_cutoff_v
        if min_supply_v is not None and min_supply_v / self.cells > cutoff_cell:
            cutoff_cell = min_supply_v / self.cells
        frac = 1.0
        if self.discharge_curve:
            frac = _voltage_fraction(tuple(self.discharge_curve), self.cell_cutoff_v, cutoff_cell)
        elif not self.ideal and cutoff_cell > self.cell_nominal_v:
            frac = 0.0
        elif self.ideal and min_supply_v is not None and min_supply_v > self.nominal_v:
            notes.append(f"the load needs {min_supply_v:.3g} V, above the pack's {self.nominal_v:.3g} V "
                         "(ideal battery: ignored)")
        if frac < 1.0 and cutoff_cell > self.cell_cutoff_v:
            notes.append(f"the load needs >= {cutoff_cell * self.cells:.3g} V, so only {100 * frac:.0f} % of the "
                         f"capacity is above the effective cutoff (rated to {self.cutoff_v:.3g} V)")
        usable = mah * pulse * frac
        return {"derated_mah": mah, "pulse_factor": pulse, "voltage_fraction": frac,
                "effective_cutoff_v": cutoff_cell * self.cells if not self.ideal else self.cutoff_v,
                "usable_mah": usable, "notes": notes}

    def self_discharge_current_a(self) -> float:
        """Constant drain equivalent to the self-discharge: rated charge x pct/100 per year (A)."""
        if not self.self_discharge_pct_per_year:
            return 0.0
        return self.capacity_mah * MAH_TO_C * self.self_discharge_pct_per_year / 100.0 / SECONDS_PER_YEAR

    def time_to_empty_s(self, usable_c, load_a):
        """Seconds until the usable charge ``usable_c`` [C] is gone under the load ``load_a`` [A] plus the
        self-discharge drain (:meth:`self_discharge_current_a`, a share of the rated charge a year, as the figures
        are published: '85 % left after 4 years' is 3.75 % a year). ``usable_c``/``load_a`` may be arrays (a
        sweep); inf where nothing drains, 0 where nothing is usable."""
        if not (isinstance(usable_c, np.ndarray) or isinstance(load_a, np.ndarray)):  # one value: the same law,
            # without numpy's per-call cost (an estimate, and the warnings of every sweep row)
            drain = load_a + self.self_discharge_current_a()
            return 0.0 if usable_c <= 0 else (float(usable_c / drain) if drain > 0 else math.inf)
        q = np.asarray(usable_c, dtype=float)
        drain = np.asarray(load_a, dtype=float) + self.self_discharge_current_a()
        drains = drain > 0  # nothing is divided by a zero drain: no warning to silence
        t = np.where(drains, q / np.where(drains, drain, 1.0), math.inf)
        t = np.where(q <= 0, 0.0, t)
        return float(t) if not np.ndim(t) else t

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "chemistry": self.chemistry, "cells": self.cells,
                "nominal_v": self.nominal_v, "max_v": self.max_v, "cutoff_v": self.cutoff_v, "capacity_mah": self.capacity_mah,
                "self_discharge_pct_per_year": self.self_discharge_pct_per_year, "max_pulse_a": self.max_pulse_a,
                "max_continuous_a": self.max_continuous_a, "shelf_life_years": self.shelf_life_years,
                "rechargeable": self.rechargeable, "ideal": self.ideal}


@lru_cache(maxsize=1024)
def _voltage_fraction(curve: tuple, rated_cutoff_v: float, cutoff_v: float) -> float:
    """Share of the charge a cell delivers above ``cutoff_v`` on its discharge ``curve`` ((V, delivered fraction)
    pairs), relative to its rated cutoff; computed once per curve and cutoff (it does not depend on the load)."""
    vs = [p[0] for p in curve]
    fs = [p[1] for p in curve]
    at_end = float(np.interp(rated_cutoff_v, vs, fs)) if rated_cutoff_v > 0 else 1.0
    return float(np.clip(np.interp(cutoff_v, vs, fs) / at_end, 0.0, 1.0)) if at_end > 0 else 0.0


@lru_cache(maxsize=1)
def _folder() -> Path:
    return data_dir("profiles") / "batteries"


def _ids() -> list[str]:
    return sorted(p.stem for p in _folder().glob("*.toml"))


def _from_file(path: Path, ident: str) -> Battery:
    """The battery in ``path``, parsed once per file content (the result is shared: see :func:`load_battery`)."""
    return from_file_cached(_from_table, path, ident)


def _from_table(t: dict, path: Path, ident: str) -> Battery:
    where = str(path)
    check_keys(t, _TOP_KEYS, where)
    prov: dict = {}
    assumptions: list = []
    kw = dict(provenance=prov, assumptions=assumptions)

    def opt(key, **extra):
        return number(t[key], f"{ident}.{key}", **kw, **extra) if key in t else None

    for key in ("nominal_v", "capacity_mah"):
        if key not in t:
            raise UserError(f"{where}: missing `{key}`")
    derating, low_rate = (), False
    if "derating" in t:
        check_keys(t["derating"], {"capacity_mah", "low_rate_loss", "notes"}, f"{where} [derating]")
        derating = tuple((a, b) for a, b in pairs(t["derating"]["capacity_mah"], f"{ident}.derating.capacity_mah", **kw))
        low_rate = t["derating"].get("low_rate_loss", "") == "self-discharge"
    pulse = ()
    if "pulse_derating" in t:
        check_keys(t["pulse_derating"], {"fraction", "notes"}, f"{where} [pulse_derating]")
        pulse = pairs(t["pulse_derating"]["fraction"], f"{ident}.pulse_derating.fraction", **kw)
    curve = ()
    if "discharge_curve" in t:
        check_keys(t["discharge_curve"], {"delivered", "notes"}, f"{where} [discharge_curve]")
        curve = pairs(t["discharge_curve"]["delivered"], f"{ident}.discharge_curve.delivered", **kw)
    nominal = number(t["nominal_v"], f"{ident}.nominal_v", strict=True, **kw)
    cap = number(t["capacity_mah"], f"{ident}.capacity_mah", strict=True, **kw)
    full = opt("max_v")
    sd = opt("self_discharge_pct_per_year")
    if sd is None:
        assumptions.append(f"{ident}: no sourced self-discharge figure; none modelled (long lives are optimistic)")
    sources = tuple(dict.fromkeys(note for k, note in prov.values() if k == "source"))
    return Battery(
        id=ident, name=str(t.get("name", ident)), chemistry=str(t.get("chemistry", "")), cells=1,
        nominal_v=nominal, cutoff_v=opt("cutoff_v") or 0.0, capacity_mah=cap, self_discharge_pct_per_year=sd,
        max_pulse_a=opt("max_pulse_a"), max_continuous_a=opt("max_continuous_a"),
        shelf_life_years=opt("shelf_life_years"), derating=derating, low_rate_loss_is_self_discharge=low_rate,
        pulse_derating=pulse, discharge_curve=curve, rechargeable=bool(t.get("rechargeable", False)), cell_full_v=full,
        sources=sources, assumptions=tuple(assumptions), provenance=prov, notes=str(t.get("notes", "")),
        path=str(path), regulator=str(t.get("regulator", "")))


#: a battery given inline is refused beyond these (no cell of any chemistry or size is near them) and warned
#: about beyond the WARN ones (larger than the cells people power a sensor from). Derived bounds, not figures:
#: the largest single cells made are prismatic Li-ion/LFP cells of a few hundred Ah (about 1 kWh); the catalog's
#: largest primary cell is a D-size Li-SOCl2 bobbin of 19 Ah (profiles/batteries/er34615.toml)
INLINE_MAX_CELL_MAH = 1_000_000       # 1,000 Ah in one cell: none exists
INLINE_MAX_CELL_WH = 5_000.0          # 5 kWh in one cell: none exists
INLINE_WARN_CELL_MAH = 40_000         # above a D-size primary cell (19 Ah) twice over
INLINE_MAX_CELL_V = 4.4               # highest nominal voltage of a single cell (Li-ion high-voltage ~3.85 V)
INLINE_MIN_CELL_V = 0.9               # lowest (NiCd/NiMH 1.2 V, silver-oxide 1.55 V, zinc-air 1.4 V)


def _inline_checks(cap: float, nominal: float, cutoff: float, full: float | None, cells: int, sd) -> list:
    """Refuse an inline battery that cannot exist (one line naming the figure and what would); return the
    warnings for one that is merely unusual."""
    warnings = []
    if cutoff >= nominal:
        raise UserError(f"inline battery: cutoff_v {cutoff:g} V is not below nominal_v {nominal:g} V (a cell ends "
                        "its discharge below its nominal voltage, e.g. nominal_v = 3.0, cutoff_v = 2.0)")
    if full is not None and full * cells < nominal:
        raise UserError(f"inline battery: max_v {full * cells:g} V is below nominal_v {nominal:g} V (a fresh or "
                        "charged cell is at or above its nominal voltage)")
    cell_wh = cap / 1000.0 * nominal / cells
    if cap > INLINE_MAX_CELL_MAH or cell_wh > INLINE_MAX_CELL_WH:
        raise UserError(f"inline battery: capacity_mah {cap:,.0f} ({cell_wh:,.0f} Wh a cell) is beyond any cell made "
                        f"(at most about {INLINE_MAX_CELL_MAH / 1000:,.0f} Ah); give the capacity of one cell in mAh, "
                        "e.g. capacity_mah = 2500")
    if sd is not None and sd >= 100:
        raise UserError(f"inline battery: self_discharge_pct_per_year {sd:g} would empty the cell within a year of "
                        "storage; give the percentage lost in a year, e.g. 2")
    if cap > INLINE_WARN_CELL_MAH:
        warnings.append(f"inline battery of {cap:,.0f} mAh: larger than any primary cell (a D-size Li-SOCl2 holds "
                        "19,000 mAh); check the figure is mAh of one cell, or give cells in series")
    cell_v = nominal / cells
    if not INLINE_MIN_CELL_V <= cell_v <= INLINE_MAX_CELL_V:
        warnings.append(f"inline battery: {cell_v:.3g} V a cell is outside the {INLINE_MIN_CELL_V:g}-"
                        f"{INLINE_MAX_CELL_V:g} V of real cells; give `cells` for a pack in series")
    return warnings


def _inline(spec: dict) -> Battery:
    check_keys(spec, _INLINE_KEYS, "inline battery")
    for key in ("capacity_mah", "nominal_v"):
        if key not in spec:
            raise UserError(f"inline battery: missing `{key}` (give capacity_mah and nominal_v, or an id)")
    cap = number(spec["capacity_mah"], "battery.capacity_mah", strict=True)
    nominal = number(spec["nominal_v"], "battery.nominal_v", strict=True)
    cells = int(number(spec.get("cells", 1), "battery.cells", strict=True))
    sd = number(spec["self_discharge_pct_per_year"], "battery.self_discharge_pct_per_year") \
        if "self_discharge_pct_per_year" in spec else None
    cutoff = number(spec.get("cutoff_v", 0.0), "battery.cutoff_v")
    full = number(spec["max_v"], "battery.max_v", strict=True) / cells if "max_v" in spec else None
    warnings = _inline_checks(cap, nominal, cutoff, full, cells, sd)
    return Battery(
        id=str(spec.get("id", "inline")), name=str(spec.get("name", f"inline {cap:g} mAh {nominal:g} V")),
        chemistry=str(spec.get("chemistry", "ideal")), cells=cells, nominal_v=nominal, cutoff_v=cutoff,
        capacity_mah=cap, self_discharge_pct_per_year=sd,
        max_pulse_a=number(spec["max_pulse_a"], "battery.max_pulse_a") if "max_pulse_a" in spec else None,
        shelf_life_years=number(spec["shelf_life_years"], "battery.shelf_life_years", strict=True)
        if "shelf_life_years" in spec else None,
        ideal=True, notes=str(spec.get("notes", "")), cell_full_v=full, warnings=tuple(warnings),
        assumptions=("battery given inline: ideal (no derating, no discharge curve"
                     + ("" if sd else ", no self-discharge") + ")",))


def series(battery: Battery, cells: int) -> Battery:
    """``cells`` of ``battery`` in series: voltages multiply, capacity stays."""
    if not 1 <= cells <= MAX_CELLS:
        raise UserError(f"battery '{cells}x{battery.id}': give 1 to {MAX_CELLS} cells in series")
    if cells == 1:
        return battery
    return replace(battery, id=f"{cells}x{battery.id}", name=f"{cells} x {battery.name}", cells=cells * battery.cells,
                   nominal_v=battery.nominal_v * cells, cutoff_v=battery.cutoff_v * cells)


def load_battery(spec) -> Battery:
    """``"cr2032"``, ``"2xaa-alkaline"``, a .toml path, a :class:`Battery`, or an inline dict
    (``{capacity_mah = 1000, nominal_v = 3.0}``; ``{id = "cr2032"}`` looks the id up)."""
    if isinstance(spec, Battery):
        return spec
    if isinstance(spec, dict):
        if set(spec) == {"id"}:
            return load_battery(str(spec["id"]))
        return _inline(spec)
    if spec is None or not str(spec).strip():
        raise UserError("empty battery; see `energy batteries`")
    text = str(spec).strip()
    if text.endswith(".toml"):
        path = Path(text)
        return _own(_from_file(path, path.stem))
    cells, base = 1, text.lower()
    if m := _SERIES.match(base):
        cells, base = int(m[1]), m[2].strip()
    path = _folder() / f"{base}.toml"
    if not path.is_file():
        raise unknown("battery", base, _ids(), hint="see `energy batteries`; prefix Nx for N cells in series")
    return series(_own(_from_file(path, base)), cells)


def _own(battery: Battery) -> Battery:
    """A copy of a cached battery whose one mutable part (``provenance``) the caller may change freely."""
    return replace(battery, provenance=dict(battery.provenance))


def list_batteries() -> list[Battery]:
    """Every shipped battery (single cell)."""
    return [load_battery(i) for i in _ids()]
