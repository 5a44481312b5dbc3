"""Where a part keeps its code, weights and tensor arena, and what a byte that misses the cache costs there.

An MCU file may carry a ``[memory]`` table (see ``power_models/mcus/imxrt1062.toml``)::

    [memory]
    code_in = "tcm"                    # the region the kernels execute from
    weights_in = ["tcm", "flash"]      # the toolchain's default first; the next one where the first cannot hold them
    arena_in = ["tcm", "ocram"]
    defaults = "..."                   # why these are the defaults (the toolchain, linker script, board package)

    [[memory.region]]
    name = "flash"                     # what --weights-in / --arena-in accept (or the region's kind)
    kind = "qspi"                      # tcm | sram | flash (internal, wait states) | qspi | psram
    bytes = { value = 8388608, source = "..." }
    # kind qspi/psram: a cache-line refill over the serial bus, in the bus's own clocks
    bus_clock_hz = { value = 8e7, source = "..." }
    bus_width_bits = { value = 4, source = "..." }
    access_overhead_clocks = { value = 14, derived = "command + address + dummy cycles ..." }
    # kind sram behind a cache (AXI SRAM): cycles of the core clock per line refill
    miss_cycles_per_line = { value = 12, derived = "..." }
    reserved_bytes = { value = 131072, derived = "what other contents (code) take of it" }

Cost of one byte that must come from a region (core clock cycles; a cache line brings ``line`` bytes):

* ``tcm``: 0 (single-cycle, no cache in the way);
* ``sram``: ``miss_cycles_per_line / line`` (0 when not given: on-chip SRAM at the core clock);
* ``flash`` (internal): ``wait_states(clock) / flash_line_bytes`` of the core class (one access of ``ws`` wait
  states brings a line in: what :mod:`.cycles` has always charged);
* ``qspi`` / ``psram``: ``(access_overhead_clocks + 8 x line / bus_width_bits) / bus_clock_hz x clock / line``:
  the refill's bus time in core cycles, so a faster core waits more cycles for the same serial memory.

A part without ``[memory]`` gets the map its other figures imply (code and weights in its flash, the arena in its
SRAM, an external flash at :data:`LEGACY_EXTERNAL_CYCLES_PER_BYTE`), i.e. the cycle model as it was.
A placement the user asks for (``--weights-in``, ``--arena-in``) travels on the part (:func:`place`).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

from ..datafile import as_figure, load_toml
from ..errors import UserError
from .catalog import Mcu

KINDS = ("tcm", "sram", "flash", "qspi", "psram")
#: what each kind is, for assumption lines
KIND_TEXT = {"tcm": "tightly coupled memory (single cycle)", "sram": "on-chip SRAM", "flash": "internal flash",
             "qspi": "external serial flash (XIP behind the cache)", "psram": "external PSRAM behind the cache"}
_REGION_FIGURES = ("bytes", "bus_clock_hz", "bus_width_bits", "access_overhead_clocks", "miss_cycles_per_line",
                   "reserved_bytes", "line_bytes")
#: cycles per byte of an external flash on a part without a memory map (the cycle model's long-standing constant)
LEGACY_EXTERNAL_CYCLES_PER_BYTE = 3.0


@dataclass(frozen=True)
class Region:
    name: str
    kind: str                          # one of KINDS
    bytes: int = 0                     # capacity (0: not limited here)
    bus_clock_hz: float = 0.0          # qspi/psram: the serial bus clock
    bus_width_bits: int = 0            # qspi/psram: data lines (4 quad, 8 octal)
    access_overhead_clocks: float = 0.0  # qspi/psram: command + address + dummy bus clocks per refill
    miss_cycles_per_line: float = 0.0  # sram behind a cache: core cycles per line refill
    reserved_bytes: int = 0            # taken by other contents (code in a shared TCM)
    line_bytes: int = 0                # cache line of this region's refills (0: the core class's)
    fixed_cycles_per_byte: float = -1.0  # legacy maps only (external flash without figures)

    def cycles_per_byte(self, mcu, clock_hz: float, core) -> float:
        """Core cycles for each byte that misses the cache and must come from this region at ``clock_hz``."""
        line = float(self.line_bytes or core.flash_line_bytes)
        if self.fixed_cycles_per_byte >= 0:
            return self.fixed_cycles_per_byte
        if self.kind == "tcm":
            return 0.0
        if self.kind == "sram":
            return self.miss_cycles_per_line / line
        if self.kind == "flash":
            return mcu.wait_states(clock_hz) / float(core.flash_line_bytes)
        bus_s = (self.access_overhead_clocks + 8.0 * line / self.bus_width_bits) / self.bus_clock_hz
        return bus_s * clock_hz / line

    @property
    def capacity_bytes(self) -> int:
        return max(self.bytes - self.reserved_bytes, 0) if self.bytes else 0


@dataclass(frozen=True)
class MemoryMap:
    regions: tuple                     # of Region
    code_in: str
    weights_in: tuple                  # region names, in order of preference
    arena_in: tuple
    defaults_note: str = ""
    from_file: bool = False            # False: implied by the part's other figures

    def region(self, name: str) -> Region:
        return next(r for r in self.regions if r.name == name)

    def resolve(self, what: str, wanted: str, part: str = "this part") -> str:
        """The region a user's name or kind means ('flash', 'psram', 'tcm', 'dtcm' ...), or a UserError."""
        text = str(wanted).strip().lower()
        for r in self.regions:
            if text == r.name:
                return r.name
        for r in self.regions:
            if text == r.kind:
                return r.name
        valid = sorted({r.name for r in self.regions} | {r.kind for r in self.regions})
        raise UserError(f"--{what}-in {wanted}: {part} has no such memory; valid: {', '.join(valid)}")


@dataclass(frozen=True)
class PlacedMcu(Mcu):
    """A part with the user's placement of the weights and the arena (region names; '' = the part's default)."""

    weights_in: str = ""
    arena_in: str = ""


@dataclass(frozen=True)
class Placement:
    code: Region
    weights: Region
    arena: Region
    notes: tuple = ()


def _legacy_map(mcu) -> MemoryMap:
    kind = getattr(mcu, "flash_kind", "internal")
    if kind == "external-qspi":
        flash = Region("flash", "qspi", fixed_cycles_per_byte=LEGACY_EXTERNAL_CYCLES_PER_BYTE)
    elif kind == "sd":  # Linux boards: the model is in DRAM once loaded
        flash = Region("flash", "sram")
    else:
        flash = Region("flash", "flash", int(getattr(mcu, "flash_bytes", 0) or 0))
    regions = [flash, Region("sram", "sram", int(getattr(mcu, "sram_bytes", 0) or 0))]
    if int(getattr(mcu, "tcm_bytes", 0) or 0) > 0:
        regions.append(Region("tcm", "tcm", int(mcu.tcm_bytes)))
    return MemoryMap(tuple(regions), "flash", ("flash",), ("sram",),
                     "no memory map in the part's file: code and weights in its flash, the arena in its SRAM")


@lru_cache(maxsize=None)
def _map_from_file(path: str) -> MemoryMap | None:
    if not path:
        return None
    tree = load_toml(path).get("memory")
    if tree is None:
        return None
    regions = []
    for i, node in enumerate(tree.get("region", [])):
        where = f"{path}: memory.region[{i}]"
        if node.get("kind") not in KINDS:
            raise UserError(f"{where}.kind: need one of {', '.join(KINDS)}, got {node.get('kind')!r}")
        extra = sorted(set(node) - {"name", "kind", "notes", *_REGION_FIGURES})
        if extra:
            raise UserError(f"{where}.{extra[0]}: unknown key")
        vals = {k: as_figure(node[k], f"{where}.{k}").value for k in _REGION_FIGURES if k in node}
        if node["kind"] in ("qspi", "psram") and not all(k in vals for k in ("bus_clock_hz", "bus_width_bits",
                                                                              "access_overhead_clocks")):
            raise UserError(f"{where}: a {node['kind']} region needs bus_clock_hz, bus_width_bits and "
                            "access_overhead_clocks")
        regions.append(Region(
            name=str(node["name"]), kind=node["kind"], bytes=int(vals.get("bytes", 0)),
            bus_clock_hz=float(vals.get("bus_clock_hz", 0.0)), bus_width_bits=int(vals.get("bus_width_bits", 0)),
            access_overhead_clocks=float(vals.get("access_overhead_clocks", 0.0)),
            miss_cycles_per_line=float(vals.get("miss_cycles_per_line", 0.0)),
            reserved_bytes=int(vals.get("reserved_bytes", 0)), line_bytes=int(vals.get("line_bytes", 0))))
    names = {r.name for r in regions}

    def names_of(key):
        value = tree.get(key)
        value = [value] if isinstance(value, str) else list(value or [])
        bad = [v for v in value if v not in names]
        if not value or bad:
            raise UserError(f"{path}: memory.{key}: need region names among {', '.join(sorted(names))}")
        return tuple(value)

    return MemoryMap(tuple(regions), names_of("code_in")[0], names_of("weights_in"), names_of("arena_in"),
                     str(tree.get("defaults", "")), from_file=True)


def memory_map(mcu) -> MemoryMap:
    """The part's memory map: its file's ``[memory]`` table, else the one its other figures imply."""
    return _map_from_file(str(getattr(mcu, "path", "") or "")) or _legacy_map(mcu)


def place(mcu, weights_in: str | None = None, arena_in: str | None = None) -> Mcu:
    """The part (an :class:`Mcu` or its id) with the weights and/or the arena in the named memory (a region name or
    kind of the part: ``flash``, ``sram``, ``psram``, ``tcm``, ``qspi``); a name the part lacks is a UserError that
    lists the valid ones."""
    from .catalog import load_mcu

    part = mcu if isinstance(mcu, Mcu) else load_mcu(str(mcu))
    mmap = memory_map(part)
    chosen = {"weights_in": mmap.resolve("weights", weights_in, part.id) if weights_in is not None else
              getattr(part, "weights_in", ""),
              "arena_in": mmap.resolve("arena", arena_in, part.id) if arena_in is not None else getattr(part, "arena_in", "")}
    if isinstance(part, PlacedMcu):
        return dataclasses.replace(part, **chosen)
    fields = {f.name: getattr(part, f.name) for f in dataclasses.fields(Mcu)}
    return PlacedMcu(**fields, **chosen)


def _first_fit(mmap: MemoryMap, candidates: tuple, need: dict, what: str) -> tuple[str, str]:
    """(region, note): the first candidate whose capacity holds ``need[what]`` plus what else is already there."""
    for name in candidates:
        cap = mmap.region(name).capacity_bytes
        if not cap or need[what] + need.get(("in", name), 0) <= cap:
            return name, ""
    name = candidates[-1]
    return name, f"the {what} ({need[what] / 1024:.0f} KiB) fit none of {', '.join(candidates)}; taken as in {name}"


def placement(mcu, weights_bytes: float, arena_bytes: float) -> Placement:
    """Where the code, weights and arena of a model of these sizes live on ``mcu``: the user's choice
    (:func:`place`), else the part's defaults in order (the first that holds them, the arena placed first)."""
    mmap = memory_map(mcu)
    need = {"weights": float(weights_bytes), "arena": float(arena_bytes)}
    notes = []
    arena = getattr(mcu, "arena_in", "")
    if not arena:
        arena, note = _first_fit(mmap, mmap.arena_in, need, "arena")
        notes += [note] if note else []
    need[("in", arena)] = need["arena"]
    weights = getattr(mcu, "weights_in", "")
    if not weights:
        weights, note = _first_fit(mmap, mmap.weights_in, need, "weights")
        notes += [note] if note else []
    else:
        cap = mmap.region(weights).capacity_bytes
        if cap and need["weights"] + (need["arena"] if weights == arena else 0) > cap:
            raise UserError(f"--weights-in {weights}: the weights ({need['weights'] / 1024:.0f} KiB"
                            + (f" with the arena's {need['arena'] / 1024:.0f} KiB" if weights == arena else "")
                            + f") do not fit its {cap / 1024:.0f} KiB; valid: "
                            + ", ".join(r.name for r in mmap.regions if not r.capacity_bytes
                                        or r.capacity_bytes >= need["weights"]))
    return Placement(mmap.region(mmap.code_in), mmap.region(weights), mmap.region(arena), tuple(notes))


def placement_notes(mcu, weights_bytes: float, arena_bytes: float, clock_hz: float, core) -> list:
    """Assumption lines: where each part of the model lives and what a missed byte costs there."""
    mmap = memory_map(mcu)
    if not mmap.from_file and not getattr(mcu, "weights_in", "") and not getattr(mcu, "arena_in", ""):
        return []
    p = placement(mcu, weights_bytes, arena_bytes)

    def where(region, user):
        cost = region.cycles_per_byte(mcu, clock_hz, core)
        how = "your choice" if user else "default"
        return f"{region.name} ({KIND_TEXT[region.kind]}, {cost:.3g} cycles per byte missed; {how})"

    lines = [f"{mcu.id} memory: code in {where(p.code, False)}, weights in "
             f"{where(p.weights, getattr(mcu, 'weights_in', ''))}, arena in {where(p.arena, getattr(mcu, 'arena_in', ''))}"
             + (f"; defaults: {mmap.defaults_note}" if mmap.defaults_note else "")
             + " (choose with --weights-in / --arena-in)"]
    return lines + list(p.notes)


def memory_record(mcu) -> dict:
    """The part's memory map as a JSON-ready dict (``energy mcus ID --json`` key ``memory``): the default homes of
    code, weights and arena (in order of preference), each region with its figures, and where the map comes from."""
    mmap = memory_map(mcu)
    regions = []
    for r in mmap.regions:
        entry = {"name": r.name, "kind": r.kind, "bytes": r.bytes or None}
        for key in ("reserved_bytes", "bus_clock_hz", "bus_width_bits", "access_overhead_clocks",
                    "miss_cycles_per_line", "line_bytes"):
            if getattr(r, key):
                entry[key] = getattr(r, key)
        if r.fixed_cycles_per_byte >= 0:
            entry["cycles_per_byte"] = r.fixed_cycles_per_byte
        regions.append(entry)
    return {"code_in": mmap.code_in, "weights_in": list(mmap.weights_in), "arena_in": list(mmap.arena_in),
            "regions": regions, "defaults": mmap.defaults_note,
            "from": "the part's [memory] table" if mmap.from_file else "implied by its flash and SRAM figures"}
