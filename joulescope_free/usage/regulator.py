"""Regulators between the battery and the MCU: none (direct), LDO, buck, buck-boost.

One TOML per regulator in ``profiles/regulators/`` (``ldo`` and ``buck`` are the generic ones); ``none`` is
built in. Model (all currents averaged over time, in A):

* none:        I_batt = I_load                                   (the pack feeds VDD directly)
* ldo:         I_batt = I_load + I_q                             (input current = load + ground current)
* buck, buck-boost, boost:
               I_batt = I_load * V_load / (eff(I_load) * V_batt) [+ I_q unless the efficiency curve includes it]

``eff`` is interpolated in log(load current) over ``efficiency = [[load_a, efficiency], ...]`` and clamped.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from ..datafile import load_toml
from ..errors import UserError, unknown
from ..paths import data_dir
from ._figures import check_keys, from_file_cached, interp_log, number, pairs

KINDS = ("none", "ldo", "buck", "buck-boost", "boost")
SWITCHERS = ("buck", "buck-boost", "boost")
_KEYS = {"id", "name", "kind", "quiescent_a", "efficiency", "efficiency_includes_quiescent", "dropout_v",
         "min_input_v", "notes", "source", "derived"}


@dataclass(frozen=True)
class Regulator:
    id: str
    name: str
    kind: str                                   # none | ldo | buck | buck-boost | boost
    quiescent_a: float = 0.0                    # A, no-load input current (LDO: ground current)
    efficiency: tuple = ()                      # ((load_a, efficiency 0..1), ...) for switchers
    efficiency_includes_quiescent: bool = False
    dropout_v: float = 0.0                      # V, LDO/buck: battery must stay above load_v + dropout_v
    min_input_v: float = 0.0                    # V, buck-boost/boost: lowest input it runs from
    sources: tuple = ()
    assumptions: tuple = ()
    provenance: dict = field(default_factory=dict)
    notes: str = ""
    path: str = ""

    def efficiency_at(self, load_current_a: float) -> float:
        """Conversion efficiency (0..1] at this load current; 1 for none and LDO (their loss is I_q and V drop)."""
        if self.kind not in SWITCHERS or not self.efficiency:
            return 1.0
        return interp_log(load_current_a, self.efficiency)

    def conversion_factor(self, load_current_a: float, load_v: float, battery_v: float) -> float:
        """Battery amps per load amp at this load: 1 for none/LDO, V_load/(eff*V_batt) for switchers."""
        if self.kind not in SWITCHERS:
            return 1.0
        return load_v / (self.efficiency_at(load_current_a) * battery_v)

    @property
    def added_quiescent_a(self) -> float:
        """Constant current drawn from the battery on top of the converted load (A)."""
        if self.kind == "none" or (self.kind in SWITCHERS and self.efficiency_includes_quiescent):
            return 0.0
        return self.quiescent_a

    def battery_current_a(self, load_current_a: float, load_v: float, battery_v: float) -> float:
        """Current drawn from the battery (A) for a steady load current at ``load_v`` from a ``battery_v`` pack."""
        return load_current_a * self.conversion_factor(load_current_a, load_v, battery_v) + self.added_quiescent_a

    def min_battery_v(self, load_v: float, mcu_min_supply_v: float) -> float:
        """Lowest pack voltage that still powers the load (V): the effective cutoff this regulator imposes."""
        if self.kind == "none":
            return mcu_min_supply_v
        if self.kind in ("ldo", "buck"):
            return load_v + self.dropout_v
        return self.min_input_v

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "kind": self.kind, "quiescent_a": self.quiescent_a,
                "efficiency": [list(p) for p in self.efficiency], "dropout_v": self.dropout_v,
                "min_input_v": self.min_input_v}


NONE = Regulator(id="none", name="none (battery straight to VDD)", kind="none")


def _folder() -> Path:
    return data_dir("profiles") / "regulators"


def _ids() -> list[str]:
    return ["none"] + sorted(p.stem for p in _folder().glob("*.toml"))


def _from_table(table: dict, where: str, *, ident: str, path: str = "") -> Regulator:
    check_keys(table, _KEYS, where)
    kind = str(table.get("kind", "")).lower()
    if kind not in KINDS:
        raise unknown("regulator kind", kind or "(missing)", KINDS, hint=where)
    prov: dict = {}
    assumptions: list = []
    kw = dict(provenance=prov, assumptions=assumptions)
    name = str(table.get("name", ident))
    iq = number(table.get("quiescent_a", 0.0), f"{ident}.quiescent_a", **kw)
    eff = ()
    if kind in SWITCHERS:
        if "efficiency" not in table:
            raise UserError(f"{where}: a {kind} regulator needs `efficiency` (a number 0..1 or [[load_a, eff], ...])")
        eff = pairs(table["efficiency"], f"{ident}.efficiency", **kw)
        if any(not 0 < e <= 1 for _, e in eff):
            raise UserError(f"{where}: efficiency must be in (0, 1], got {[e for _, e in eff]}")
    dropout = number(table.get("dropout_v", 0.0), f"{ident}.dropout_v", **kw)
    vmin = number(table.get("min_input_v", 0.0), f"{ident}.min_input_v", **kw)
    sources = tuple(dict.fromkeys(note for k, note in prov.values() if k == "source"))
    # shorten assumptions to name the regulator
    assumptions = [f"regulator {a}" for a in assumptions]
    return Regulator(id=ident, name=name, kind=kind, quiescent_a=iq, efficiency=eff,
                     efficiency_includes_quiescent=bool(table.get("efficiency_includes_quiescent", False)),
                     dropout_v=dropout, min_input_v=vmin, sources=sources, assumptions=tuple(assumptions),
                     provenance=prov, notes=str(table.get("notes", "")), path=path)


def _from_file(table: dict, path: Path, key: str | None = None, overrides: dict | None = None) -> Regulator:
    """A regulator file's table (with ``overrides`` merged in, then the id defaults to ``key``) as a Regulator."""
    if overrides:
        check_keys(overrides, _KEYS, "regulator")
        table = {**table, **overrides}
    ident = str(table.get("id", key)) if key is not None else table.get("id", path.stem)
    return _from_table(table, str(path), ident=ident, path=str(path))


def _own(reg: Regulator) -> Regulator:
    """A copy of a cached regulator whose one mutable part (``provenance``) the caller may change freely."""
    return replace(reg, provenance=dict(reg.provenance))


def _load_id(name: str, overrides: dict | None = None) -> Regulator:
    key = name.strip().lower()
    if key == "none" and not overrides:
        return NONE
    path = _folder() / f"{key}.toml"
    if key == "none":
        table = {"id": "none", "name": NONE.name, "kind": "none"}
        if overrides:
            check_keys(overrides, _KEYS, "regulator")
            table = {**table, **overrides}
        return _from_table(table, "regulator", ident=str(table.get("id", key)), path=str(path) if path.is_file() else "")
    if not path.is_file():
        raise unknown("regulator", name, _ids(), hint="none, ldo, buck or a part in profiles/regulators")
    if overrides:  # inline values: not cached (they need not be hashable); the file is read as before
        return _from_file(load_toml(path), path, key, overrides)
    return _own(from_file_cached(_from_file, path, key))


def load_regulator(spec) -> Regulator:
    """``"none"``, ``"ldo"``, ``"buck"``, a part id (``"tps62840"``), a .toml path, a :class:`Regulator`, or an
    inline dict (``{kind = "ldo", quiescent_a = 1e-6}``; ``{id = "ldo", quiescent_a = 2e-6}`` overrides a part)."""
    if spec is None:
        return NONE
    if isinstance(spec, Regulator):
        return spec
    if isinstance(spec, dict):
        if "id" in spec and "kind" not in spec:
            return _load_id(str(spec["id"]), {k: v for k, v in spec.items() if k != "id"})
        return _from_table(spec, "inline regulator", ident=str(spec.get("id", spec.get("kind", "inline"))))
    text = str(spec)
    if text.endswith(".toml"):
        return _own(from_file_cached(_from_file, Path(text)))
    return _load_id(text)


def list_regulators() -> list[Regulator]:
    """Every regulator: ``none`` then the files in profiles/regulators/."""
    return [load_regulator(i) for i in _ids()]
