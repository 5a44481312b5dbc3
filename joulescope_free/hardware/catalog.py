"""MCU catalog: one TOML per part in ``power_models/mcus/``; load, validate, look up, suggest.

Contract used by the cycle, power and duty models (do not rename fields). Conventions:

* every current is the supply current at the part's ``run_reference_v`` (``[run] reference_supply_v``);
  ``regulator`` says how it scales with the supply (``ldo``: independent of VDD; ``smps``/``dcdc``: about 1/VDD);
* run current ``I(f) = run_fixed_current_a + run_current_per_hz_a * f`` [A], f = core clock [Hz];
* ``sram_bytes`` is all on-chip SRAM the application can use, TCM included; ``tcm_bytes`` is the TCM part of it;
* ``sleep_modes`` are ordered lowest current first; ``retains_ram_bytes`` = SRAM kept (0 = reload after wake);
* ``[run] inference_factor`` (optional): inference current over the run figure where the part's own datasheet says
  it (a run figure that is already a busy or SIMD workload); otherwise the power model's measured workload factor;
* ``[run] power_slope_per_v`` (optional, 1/V): on an SMPS path, how the supply power changes per volt of VDD (the
  part's own tables at two supplies); without it an SMPS keeps the power constant (current = I_ref x V_ref / VDD);
* ``[[supply_path]]`` tables give the run figures of the part's other supply paths (a part with an LDO and an SMPS
  or DC/DC): ``regulator``, the three ``[run]`` figures, optional ``boards`` whose name implies that path
  (NUCLEO-L4R5ZI-P -> smps); the top-level ``regulator`` and ``[run]`` are the part's usual path (the default);
* ``[[run.range]]`` (and ``[[supply_path.range]]``) tables: the part's voltage-scaling ranges or power modes (STM32
  Range 1-4 / VOS0-3), each with ``name``, ``max_clock_hz``, its own ``fixed_current_a`` and ``current_per_hz_a``
  and optionally its own ``flash_wait_states``; a clock runs in the lowest range that allows it (the firmware's
  energy-optimal choice), and that range's figures replace ``[run]``'s (which keep the part's headline figure);
* a ``[run]`` without ranges and without a fixed term (``fixed_current_a = 0``: a headline µA/MHz figure, the whole
  current divided by the clock) is split into a fixed and a per-MHz part at the maximum clock by the fraction in
  ``power_models/run_current.toml`` (derived from the parts' multi-point datasheet tables), so that a slower clock
  never looks free of static current; the split is listed among the part's assumptions;
* every number in a file is a figure ``{ value = X, source|derived|measured = "..." }``; each ``derived`` figure
  becomes one line of :attr:`Mcu.assumptions`, each distinct ``source`` text one entry of :attr:`Mcu.sources`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..datafile import as_figure, iter_figures, load_toml
from ..errors import UserError, closest
from ..paths import data_dir

CORE_CLASSES = ("cortex-m0", "cortex-m0plus", "cortex-m3", "cortex-m23", "cortex-m4", "cortex-m7", "cortex-m33",
                "cortex-m55", "cortex-m85", "riscv32", "xtensa-lx6", "xtensa-lx7", "cortex-a72", "cortex-a15",
                "cortex-a7", "cortex-a53", "cortex-a76", "arm1176")  # the last six: Linux boards (hardware/sbc.py)
ISA_EXTENSIONS = ("dsp", "fpu", "helium", "rvp", "simd128", "neon")
REGULATORS = ("ldo", "smps", "dcdc")
FLASH_KINDS = ("internal", "external-qspi", "mram", "sd")
RUNTIME_IDS = ("tflm", "tflm-cmsis-nn", "x-cube-ai", "microtvm", "microtvm-cmsis-nn", "plumerai", "bosch-hale",
               "esp-nn", "nmsis-nn", "tflite", "edge-impulse", "tinyengine", "microtvm-untuned", "tflite-builtin")


@dataclass(frozen=True)
class SleepMode:
    name: str
    current_a: float               # supply current in this mode, at the part's reference supply
    retains_ram_bytes: int         # SRAM kept (0 = the model and its state must be reloaded)
    wakeup_s: float                # time from the wake event to running code
    provenance: dict = field(default_factory=dict)  # figure name -> "source"/"derived"/"measured"/"computed"
    wakeup_energy_j: float = 0.0   # energy of one wake-up (derived from wakeup_s x run current if not given)


@dataclass(frozen=True)
class RunRange:
    """One voltage-scaling range or power mode of a supply path: the fastest clock it allows and its run figures
    (at the path's reference supply)."""

    name: str
    max_clock_hz: float
    run_current_per_hz_a: float
    run_fixed_current_a: float
    flash_wait_states: tuple = ()  # ((max_clock_hz, wait_states), ...) in this range; () = the part's table

    def current_a(self, clock_hz: float) -> float:
        return self.run_fixed_current_a + self.run_current_per_hz_a * clock_hz


@dataclass(frozen=True)
class SupplyPath:
    """Run figures of one supply path of a part (how VDD reaches the core): the ``[run]`` figures under it."""

    regulator: str                 # ldo | smps | dcdc
    run_current_per_hz_a: float
    run_fixed_current_a: float
    run_reference_v: float
    boards: tuple = ()             # boards whose name implies this path
    condition: str = ""
    ranges: tuple = ()             # of RunRange, ascending max clock


@dataclass(frozen=True)
class Mcu:
    id: str
    name: str
    vendor: str
    core: str                      # core class id: one of CORE_CLASSES
    isa: tuple                     # ("dsp", "fpu", "helium", "rvp", "simd128", "neon", ...)
    typical: bool                  # a generic core entry standing for a typical part
    default_runtime: str
    max_clock_hz: float
    default_clock_hz: float
    sram_bytes: int
    tcm_bytes: int
    flash_bytes: int               # 0 = no on-die flash (external QSPI)
    flash_kind: str                # internal | external-qspi | mram | sd (Linux boards)
    icache_bytes: int
    dcache_bytes: int
    flash_accelerator: bool        # ART-style prefetch/cache in front of flash
    flash_wait_states: tuple       # ((max_clock_hz, wait_states), ...) ascending
    supply_min_v: float
    supply_max_v: float
    supply_default_v: float
    regulator: str                 # on-chip path from VDD to the core: ldo | smps | dcdc
    run_current_per_hz_a: float    # A per Hz of core clock (52 µA/MHz = 52e-12)
    run_fixed_current_a: float     # A independent of clock
    run_reference_v: float         # supply at which the run figures hold
    sleep_modes: tuple             # of SleepMode, lowest current first
    boards: tuple = ()
    aliases: tuple = ()
    sources: tuple = ()            # every distinct source text of the file
    assumptions: tuple = ()        # one line per figure marked `derived` (shown in estimate output)
    provenance: dict = field(default_factory=dict)  # dotted figure path -> (kind, note)
    path: str = ""
    notes: str = ""                # conflicts between sources and why a figure was chosen
    run_condition: str = ""        # workload, code location, regulator of the run figures
    typical_of: tuple = ()         # for typical entries: the catalog parts their figures summarise
    fixed_clock: bool = False      # the core runs at max_clock_hz only (no other clock can be chosen)
    supply_paths: tuple = ()       # of SupplyPath: the part's other supply paths (the fields above are the usual one)
    supply_path_note: str = ""     # how the supply path in use was chosen (set by :func:`with_supply_path`)
    usual_regulator: str = ""      # set when another supply path replaced the part's usual one
    inference_factor: float = 0.0  # the part's own inference-over-run current ratio ([run] inference_factor; 0: the
                                   # power model's workload factor of the measured parts)
    power_slope_per_v: float = 0.0  # SMPS path: relative change of the supply power per volt of VDD ([run]
                                    # power_slope_per_v, 1/V; 0: constant power, the current as reference_v / VDD)
    run_ranges: tuple = ()         # of RunRange, ascending max clock: the usual path's voltage ranges (may be empty)

    @property
    def off_usual_path(self) -> bool:
        """True when the run figures are another supply path's, not those the part was measured/listed with."""
        return bool(self.usual_regulator) and self.usual_regulator != self.regulator

    def run_range(self, clock_hz: float) -> RunRange | None:
        """The lowest voltage range that allows ``clock_hz`` (the last one above all), or None without ranges."""
        for r in self.run_ranges:
            if clock_hz <= r.max_clock_hz * (1 + 1e-9):
                return r
        return self.run_ranges[-1] if self.run_ranges else None

    def wait_states(self, clock_hz: float) -> int:
        r = self.run_range(clock_hz)
        table = r.flash_wait_states if r is not None and r.flash_wait_states else self.flash_wait_states
        for max_hz, ws in table:
            if clock_hz <= max_hz * (1 + 1e-9):
                return int(ws)
        return int(table[-1][1]) if table else 0

    def clock_edges(self) -> list:
        """Clocks [Hz] where the run current or the wait states step: range and wait-state edges, ascending."""
        edges = {float(hz) for hz, _ in self.flash_wait_states}
        for r in self.run_ranges:
            edges.add(float(r.max_clock_hz))
            edges.update(float(hz) for hz, _ in r.flash_wait_states if hz <= r.max_clock_hz * (1 + 1e-9))
        return sorted(edges)

    def run_current_a(self, clock_hz: float | None = None) -> float:
        """Supply current [A] while running at ``clock_hz`` [Hz] (default clock if None), at ``run_reference_v``:
        the figures of the lowest voltage range that allows the clock, else the ``[run]`` figures."""
        f = self.default_clock_hz if clock_hz is None else float(clock_hz)
        r = self.run_range(f)
        if r is not None:
            return r.current_a(f)
        return self.run_fixed_current_a + self.run_current_per_hz_a * f

    def retaining_sleep(self, ram_bytes: int = 1) -> SleepMode | None:
        """The lowest-current sleep mode keeping at least ``ram_bytes`` of SRAM, or None."""
        keep = [m for m in self.sleep_modes if m.retains_ram_bytes >= ram_bytes]
        return min(keep, key=lambda m: m.current_a) if keep else None


# ----------------------------------------------------------------------------------------------- schema
# top-level figures: key -> (python type, human label for assumption lines)
_TOP_FIGURES = {
    "max_clock_hz": (float, "max clock"),
    "default_clock_hz": (float, "default clock"),
    "sram_bytes": (int, "SRAM size"),
    "tcm_bytes": (int, "TCM size"),
    "flash_bytes": (int, "flash size"),
    "icache_bytes": (int, "instruction cache size"),
    "dcache_bytes": (int, "data cache size"),
    "flash_wait_states": (list, "flash wait states"),
    "supply_min_v": (float, "minimum supply"),
    "supply_max_v": (float, "maximum supply"),
    "supply_default_v": (float, "default supply"),
    "regulator": (str, "regulator"),
}
_RUN_FIGURES = {
    "current_per_hz_a": (float, "run current per MHz"),
    "fixed_current_a": (float, "fixed run current"),
    "reference_supply_v": (float, "run-current reference supply"),
}
_SLEEP_FIGURES = {
    "current_a": (float, "sleep current"),
    "retains_ram_bytes": (int, "retained RAM"),
    "wakeup_s": (float, "wake-up time"),
    "wakeup_energy_j": (float, "wake-up energy"),
}
# order of assumption lines: what moves the energy answer most comes first
_PRIORITY = {"current_per_hz_a": 0, "fixed_current_a": 0, "current_a": 1, "retains_ram_bytes": 2, "regulator": 3,
             "reference_supply_v": 3, "wakeup_s": 4, "sram_bytes": 5, "flash_bytes": 5, "flash_wait_states": 6}
_TOP_PLAIN = {  # key -> (type, required)
    "id": (str, True), "name": (str, True), "vendor": (str, True), "core": (str, True), "isa": (list, True),
    "typical": (bool, True), "default_runtime": (str, True), "flash_kind": (str, True),
    "flash_accelerator": (bool, True), "boards": (list, False), "aliases": (list, False), "notes": (str, False),
    "typical_of": (list, False), "fixed_clock": (bool, False),
}
_SLEEP_OPTIONAL = {"wakeup_energy_j"}
#: spellings of a supply path a user may type -> the catalog's regulator names
PATH_SPELLINGS = {"ldo": "ldo", "smps": "smps", "dcdc": "dcdc", "dc-dc": "dcdc", "buck": "dcdc"}


def _fail(path: Path, key: str, problem: str) -> UserError:
    return UserError(f"{path}: {key}: {problem}")


def _fmt(label: str, value) -> str:
    """Human value for an assumption line (SI prefixes, MHz, KiB)."""
    from ..units import si_format

    if isinstance(value, list):
        return "[" + ", ".join(f"{v[1]} WS <= {v[0] / 1e6:g} MHz" for v in value) + "]"
    if isinstance(value, str):
        return value
    if "per MHz" in label:  # a per-hertz figure, with its path in brackets: "run current per MHz (ldo path)"
        return si_format(value, "A/Hz")
    if label.endswith(("size", "RAM")):
        return f"{value / 1024:g} KiB"
    if "clock" in label:
        return f"{value / 1e6:g} MHz"
    unit = {"supply": "V", "current": "A", "time": "s", "energy": "J"}
    for word, u in unit.items():
        if word in label:
            return si_format(value, u)
    return f"{value:g}"


class _Reader:
    """Collects figures, provenance, sources and assumption lines while one file is read."""

    def __init__(self, path: Path, mcu_id: str):
        self.path, self.id = path, mcu_id
        self.provenance: dict = {}
        self.sources: list = []
        self.assumptions: list = []

    def figure(self, node, key: str, kind: type, label: str, mode: str = ""):
        fig = as_figure(node, f"{self.path}: {key}")
        value = fig.value
        if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = float(value)
        elif kind is int and isinstance(value, float) and value.is_integer():
            value = int(value)
        if kind is list:
            ok = isinstance(value, list)
        elif kind is float:
            ok = isinstance(value, float)
        else:
            ok = isinstance(value, kind) and not isinstance(value, bool)
        if not ok:
            raise _fail(self.path, key, f"expected a {kind.__name__} value, got {value!r}")
        self.provenance[key] = (fig.kind, fig.note)
        if fig.kind == "source" and fig.note not in self.sources:
            self.sources.append(fig.note)
        elif fig.kind != "source":
            what = f"{label} '{mode}'" if mode else label
            self.assumptions.append((_PRIORITY.get(key.split(".")[-1], 9),
                                     f"{self.id}: {what} {_fmt(label, value)} is {fig.kind} ({fig.note})"))
        return value


def mcu_from_toml(path) -> Mcu:
    """Read and validate one MCU file; any problem is a :class:`UserError` naming the file and the key."""
    path = Path(path)
    tree = load_toml(path)
    for key, (kind, required) in _TOP_PLAIN.items():
        if key not in tree:
            if required:
                raise _fail(path, key, "missing")
            continue
        if not isinstance(tree[key], kind):
            raise _fail(path, key, f"expected {kind.__name__}, got {tree[key]!r}")
    known = set(_TOP_PLAIN) | set(_TOP_FIGURES) | {"run", "sleep", "supply_path", "npu", "memory"}
    extra = sorted(set(tree) - known)
    if extra:
        raise _fail(path, extra[0], f"unknown key; valid keys: {', '.join(sorted(known))}")
    mcu_id = tree["id"]
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", mcu_id):
        raise _fail(path, "id", f"'{mcu_id}' must be lower-case letters, digits and '-'")
    if path.suffix == ".toml" and path.parent.name == "mcus" and path.stem != mcu_id:
        raise _fail(path, "id", f"'{mcu_id}' must match the file name '{path.stem}'")
    for key, allowed in (("core", CORE_CLASSES), ("flash_kind", FLASH_KINDS), ("default_runtime", RUNTIME_IDS)):
        if tree[key] not in allowed:
            raise _fail(path, key, f"'{tree[key]}' is not one of {', '.join(allowed)}")
    bad_isa = [x for x in tree["isa"] if x not in ISA_EXTENSIONS]
    if bad_isa:
        raise _fail(path, "isa", f"unknown extension {bad_isa[0]!r}; valid: {', '.join(ISA_EXTENSIONS)}")

    rd = _Reader(path, mcu_id)
    top = {}
    for key, (kind, label) in _TOP_FIGURES.items():
        if key not in tree:
            raise _fail(path, key, "missing figure")
        top[key] = rd.figure(tree[key], key, kind, label)

    for where, node in iter_figures(tree.get("npu", {}), "npu"):  # read by hardware/npu.py; provenance kept here
        rd.figure(node, where, float, f"NPU {where[4:].replace('_', ' ')}")
    for where, node in iter_figures(tree.get("memory", {}), "memory"):  # read by hardware/memory.py
        rd.figure(node, where, float, f"memory {where[7:].replace('_', ' ')}")

    run = tree.get("run")
    if not isinstance(run, dict):
        raise _fail(path, "run", "missing [run] table")
    runv = _run_figures(path, run, "run", {"condition", "inference_factor", "power_slope_per_v", "range"}, rd)
    inference_factor = rd.figure(run["inference_factor"], "run.inference_factor", float,
                                 "inference over run current") if "inference_factor" in run else 0.0
    power_slope = rd.figure(run["power_slope_per_v"], "run.power_slope_per_v", float,
                            "SMPS supply power change per volt") if "power_slope_per_v" in run else 0.0
    ranges = _ranges(path, run.get("range", []), "run", rd, top["max_clock_hz"])
    if not ranges and not tree.get("fixed_clock", False):
        _split_headline(runv, top["max_clock_hz"], rd, "run", mcu_id)

    sleeps = tree.get("sleep")
    if not isinstance(sleeps, list) or not sleeps:
        raise _fail(path, "sleep", "need at least one [[sleep]] mode")
    run_default_a = runv["fixed_current_a"] + runv["current_per_hz_a"] * top["default_clock_hz"]
    modes = []
    derived_wakeup_energy = False
    for i, node in enumerate(sleeps):
        where = f"sleep[{i}]"
        if not isinstance(node, dict) or not isinstance(node.get("name"), str):
            raise _fail(path, f"{where}.name", "each [[sleep]] needs a name")
        extra = sorted(set(node) - set(_SLEEP_FIGURES) - {"name", "condition"})
        if extra:
            raise _fail(path, f"{where}.{extra[0]}", "unknown key")
        vals, prov = {}, {}
        for key, (kind, label) in _SLEEP_FIGURES.items():
            if key not in node:
                if key in _SLEEP_OPTIONAL:
                    continue
                raise _fail(path, f"{where}.{key}", "missing figure")
            vals[key] = rd.figure(node[key], f"{where}.{key}", kind, label, node["name"])
            prov[key] = rd.provenance[f"{where}.{key}"][0]
        if "wakeup_energy_j" not in vals:
            vals["wakeup_energy_j"] = vals["wakeup_s"] * run_default_a * runv["reference_supply_v"]
            prov["wakeup_energy_j"] = "computed"  # not in the file: the duty model recomputes it at the chosen clock
            rd.provenance[f"{where}.wakeup_energy_j"] = ("derived", "wakeup_s x run current at default clock "
                                                         "x reference supply")
            derived_wakeup_energy = True
        modes.append(SleepMode(node["name"], vals["current_a"], vals["retains_ram_bytes"], vals["wakeup_s"],
                               prov, vals["wakeup_energy_j"]))
    paths = _supply_paths(path, tree.get("supply_path", []), rd, top["regulator"], top["max_clock_hz"],
                          mcu_id, bool(tree.get("fixed_clock", False)))
    if paths:
        others = ", ".join(f"{p.regulator} (--supply-path {p.regulator}"
                           + (f" or board {', '.join(p.boards)}" if p.boards else "") + ")" for p in paths)
        rd.assumptions.append((3, f"{mcu_id}: supply path {top['regulator']}, the part's usual one; also {others}"))
    if tree["typical"]:
        rd.assumptions.append((-1, f"{mcu_id}: a typical {tree['core']} part, not a real MCU: its figures summarise "
                                   f"{', '.join(tree.get('typical_of', ())) or 'other core classes'} (see its notes)"))
    if derived_wakeup_energy:
        rd.assumptions.append((8, f"{mcu_id}: wake-up energy = wake-up time x run current at the chosen clock "
                              f"and supply (no datasheet figure)"))

    mcu = Mcu(
        id=mcu_id, name=tree["name"], vendor=tree["vendor"], core=tree["core"], isa=tuple(tree["isa"]),
        typical=tree["typical"], default_runtime=tree["default_runtime"],
        max_clock_hz=top["max_clock_hz"], default_clock_hz=top["default_clock_hz"],
        sram_bytes=top["sram_bytes"], tcm_bytes=top["tcm_bytes"], flash_bytes=top["flash_bytes"],
        flash_kind=tree["flash_kind"], icache_bytes=top["icache_bytes"], dcache_bytes=top["dcache_bytes"],
        flash_accelerator=tree["flash_accelerator"],
        flash_wait_states=tuple((float(hz), int(ws)) for hz, ws in _pairs(path, top["flash_wait_states"])),
        supply_min_v=top["supply_min_v"], supply_max_v=top["supply_max_v"],
        supply_default_v=top["supply_default_v"], regulator=top["regulator"],
        run_current_per_hz_a=runv["current_per_hz_a"], run_fixed_current_a=runv["fixed_current_a"],
        run_reference_v=runv["reference_supply_v"], sleep_modes=tuple(modes),
        boards=tuple(tree.get("boards", ())), aliases=tuple(tree.get("aliases", ())),
        fixed_clock=bool(tree.get("fixed_clock", False)),
        sources=tuple(rd.sources), assumptions=tuple(line for _, line in sorted(rd.assumptions, key=lambda t: t[0])), provenance=rd.provenance,
        path=str(path), notes=tree.get("notes", ""), run_condition=str(run.get("condition", "")),
        typical_of=tuple(tree.get("typical_of", ())), supply_paths=paths, inference_factor=inference_factor,
        power_slope_per_v=power_slope,
        run_ranges=ranges,
    )
    _check_consistency(path, mcu)
    return mcu


def _run_figures(path: Path, node: dict, where: str, plain: set, rd: _Reader, label_suffix: str = "") -> dict:
    """The three run figures of a ``[run]`` or ``[[supply_path]]`` table (``plain``: its other allowed keys)."""
    extra = sorted(set(node) - set(_RUN_FIGURES) - plain)
    if extra:
        raise _fail(path, f"{where}.{extra[0]}", "unknown key")
    out = {}
    for key, (kind, label) in _RUN_FIGURES.items():
        if key not in node:
            raise _fail(path, f"{where}.{key}", "missing figure")
        out[key] = rd.figure(node[key], f"{where}.{key}", kind, label + label_suffix)
    return out


def _ranges(path: Path, nodes, where: str, rd: _Reader, max_clock_hz: float) -> tuple:
    """The ``[[<where>.range]]`` tables of a supply path: its voltage ranges, ascending max clock, the last one
    reaching the part's maximum clock."""
    if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes):
        raise _fail(path, f"{where}.range", "expected [[" + where + ".range]] tables")
    out = []
    for i, node in enumerate(nodes):
        at = f"{where}.range[{i}]"
        if not isinstance(node.get("name"), str):
            raise _fail(path, f"{at}.name", "each range needs a name")
        extra = sorted(set(node) - {"name", "max_clock_hz", "fixed_current_a", "current_per_hz_a",
                                    "flash_wait_states", "condition"})
        if extra:
            raise _fail(path, f"{at}.{extra[0]}", "unknown key")
        label = f" ({node['name']})"
        vals = {}
        for key, kind, what in (("max_clock_hz", float, "range maximum clock"),
                                ("fixed_current_a", float, "fixed run current"),
                                ("current_per_hz_a", float, "run current per MHz")):
            if key not in node:
                raise _fail(path, f"{at}.{key}", "missing figure")
            vals[key] = rd.figure(node[key], f"{at}.{key}", kind, what + label)
        ws = ()
        if "flash_wait_states" in node:
            ws = tuple((float(hz), int(w)) for hz, w in _pairs(path, rd.figure(
                node["flash_wait_states"], f"{at}.flash_wait_states", list, "flash wait states" + label)))
        if vals["current_per_hz_a"] <= 0 or vals["fixed_current_a"] < 0 or vals["max_clock_hz"] <= 0:
            raise _fail(path, at, "run figures must be positive")
        out.append(RunRange(node["name"], vals["max_clock_hz"], vals["current_per_hz_a"], vals["fixed_current_a"],
                            ws))
    out.sort(key=lambda r: r.max_clock_hz)
    if out and out[-1].max_clock_hz < max_clock_hz * (1 - 1e-9):
        raise _fail(path, f"{where}.range", f"the last range must reach max_clock_hz ({max_clock_hz / 1e6:g} MHz)")
    return tuple(out)


@lru_cache(maxsize=None)
def headline_split() -> tuple[float, str]:
    """(fixed fraction of the run current at the maximum clock, how it was derived): power_models/run_current.toml."""
    tree = load_toml(data_dir("power_models") / "run_current.toml")
    fig = as_figure(tree["headline_fixed_fraction"], "power_models/run_current.toml headline_fixed_fraction")
    return float(fig.value), fig.note


def _split_headline(runv: dict, max_clock_hz: float, rd: _Reader, where: str, mcu_id: str) -> None:
    """A run figure without a fixed term (a headline µA/MHz: the whole current over the clock) split at the maximum
    clock into a fixed part and a per-MHz part (:func:`headline_split`), in place; provenance and assumptions say so."""
    if runv["fixed_current_a"] > 0:
        return
    fraction, how = headline_split()
    at_max = runv["current_per_hz_a"] * max_clock_hz
    runv["fixed_current_a"] = fraction * at_max
    runv["current_per_hz_a"] = (1 - fraction) * at_max / max_clock_hz
    text = (f"{where}: the headline figure ({at_max / max_clock_hz * 1e12:.4g} µA/MHz, the whole current at the "
            f"{max_clock_hz / 1e6:g} MHz maximum) split into {fraction:.0%} fixed and the rest per MHz: {how}")
    for key in ("fixed_current_a", "current_per_hz_a"):
        rd.provenance[f"{where}.{key}"] = ("derived", text)
    rd.assumptions.append((0, f"{mcu_id}: run current {runv['fixed_current_a'] * 1e3:.3g} mA fixed + "
                              f"{runv['current_per_hz_a'] * 1e12:.3g} µA/MHz is derived ({text})"))


def _supply_paths(path: Path, nodes, rd: _Reader, usual: str, max_clock_hz: float = 0.0, mcu_id: str = "",
                  fixed_clock: bool = False) -> tuple:
    """The ``[[supply_path]]`` tables: each a regulator other than the usual one, with its own run figures."""
    if not isinstance(nodes, list):
        raise _fail(path, "supply_path", "expected [[supply_path]] tables")
    out, seen = [], {usual}
    for i, node in enumerate(nodes):
        where = f"supply_path[{i}]"
        reg = node.get("regulator") if isinstance(node, dict) else None
        if reg not in REGULATORS or reg in seen:
            raise _fail(path, f"{where}.regulator", f"need one of {', '.join(REGULATORS)} other than "
                                                    f"{', '.join(sorted(seen))}")
        seen.add(reg)
        vals = _run_figures(path, node, where, {"regulator", "boards", "condition", "range"}, rd, f" ({reg} path)")
        if vals["current_per_hz_a"] <= 0 or vals["reference_supply_v"] <= 0 or vals["fixed_current_a"] < 0:
            raise _fail(path, where, "run figures must be positive")
        ranges = _ranges(path, node.get("range", []), where, rd, max_clock_hz) if max_clock_hz else ()
        if not ranges and max_clock_hz and not fixed_clock:
            _split_headline(vals, max_clock_hz, rd, where, mcu_id)
        out.append(SupplyPath(reg, vals["current_per_hz_a"], vals["fixed_current_a"], vals["reference_supply_v"],
                              tuple(node.get("boards", ())), str(node.get("condition", "")), ranges))
    return tuple(out)


def with_supply_path(mcu: Mcu, supply_path: str | None, why: str = "") -> Mcu:
    """The part with its run figures and regulator taken from ``supply_path`` (ldo, smps, dcdc; None: unchanged).
    A path the part does not have is a :class:`UserError` naming the ones it has."""
    import dataclasses

    if supply_path is None:
        return mcu
    wanted = PATH_SPELLINGS.get(str(supply_path).strip().lower())
    have = [mcu.regulator] + [p.regulator for p in mcu.supply_paths]
    if wanted == mcu.regulator:
        return dataclasses.replace(mcu, supply_path_note=f"supply path {wanted}{why}")
    hit = next((p for p in mcu.supply_paths if p.regulator == wanted), None)
    if hit is None:
        raise UserError(f"{mcu.id} has no '{supply_path}' supply path; its paths: {have[0]} (usual)"
                        + "".join(f", {p}" for p in have[1:]))
    usual = SupplyPath(mcu.regulator, mcu.run_current_per_hz_a, mcu.run_fixed_current_a, mcu.run_reference_v,
                       condition=mcu.run_condition, ranges=mcu.run_ranges)
    rest = tuple(p for p in mcu.supply_paths if p is not hit) + (usual,)
    note = f"supply path {wanted}{why}, not the part's usual {mcu.regulator}: run figures of its {wanted} path"
    # provenance follows the figures: run.* from the chosen path, supply_path[j].* from the entry now at j
    where = {id(p): f"supply_path[{i}]" for i, p in enumerate(mcu.supply_paths)} | {id(usual): "run"}
    provenance = {k: v for k, v in mcu.provenance.items() if not k.startswith(("run.", "supply_path["))}
    for new, entry in [("run", hit)] + [(f"supply_path[{j}]", p) for j, p in enumerate(rest)]:
        for k in _RUN_FIGURES:
            old = f"{where[id(entry)]}.{k}"
            if old in mcu.provenance:
                provenance[f"{new}.{k}"] = mcu.provenance[old]
        for k, v in mcu.provenance.items():  # the path's ranges move with it
            if k.startswith(where[id(entry)] + ".range["):
                provenance[new + k[len(where[id(entry)]):]] = v
    for k in ("run.inference_factor", "run.power_slope_per_v"):
        if k in mcu.provenance:
            provenance[k] = mcu.provenance[k]
    return dataclasses.replace(
        mcu, regulator=hit.regulator, run_current_per_hz_a=hit.run_current_per_hz_a,
        run_fixed_current_a=hit.run_fixed_current_a, run_reference_v=hit.run_reference_v,
        run_condition=hit.condition or mcu.run_condition, supply_paths=rest, supply_path_note=note, run_ranges=hit.ranges,
        provenance=provenance, usual_regulator=mcu.usual_regulator or mcu.regulator,
        assumptions=(f"{mcu.id}: {note}",) + mcu.assumptions)


def _pairs(path: Path, value: list) -> list:
    ok = all(isinstance(p, list) and len(p) == 2 and all(isinstance(x, (int, float)) for x in p) for p in value)
    if not value or not ok:
        raise _fail(path, "flash_wait_states", "expected [[max_clock_hz, wait_states], ...], e.g. [[64e6, 0]]")
    return value


def _check_consistency(path: Path, m: Mcu) -> None:
    """Relations every part must satisfy (units as in the dataclass)."""
    checks = [
        ("regulator", m.regulator in REGULATORS, f"'{m.regulator}' is not one of {', '.join(REGULATORS)}"),
        ("max_clock_hz", m.max_clock_hz > 0, "must be > 0"),
        ("default_clock_hz", 0 < m.default_clock_hz <= m.max_clock_hz * (1 + 1e-9), "must be in (0, max_clock_hz]"),
        ("sram_bytes", m.sram_bytes > 0, "must be > 0"),
        ("tcm_bytes", 0 <= m.tcm_bytes <= m.sram_bytes, "must be between 0 and sram_bytes (TCM is part of SRAM)"),
        ("flash_bytes", m.flash_bytes >= 0, "must be >= 0"),
        ("icache_bytes", m.icache_bytes >= 0 and m.dcache_bytes >= 0, "cache sizes must be >= 0"),
        ("supply_default_v", 0 < m.supply_min_v <= m.supply_default_v <= m.supply_max_v,
         "need 0 < supply_min_v <= supply_default_v <= supply_max_v"),
        ("run.current_per_hz_a", m.run_current_per_hz_a > 0, "must be > 0"),
        ("run.fixed_current_a", m.run_fixed_current_a >= 0, "must be >= 0"),
        ("run.reference_supply_v", m.run_reference_v > 0, "must be > 0"),
    ]
    hz = [h for h, _ in m.flash_wait_states]
    ws = [w for _, w in m.flash_wait_states]
    checks += [
        ("flash_wait_states", hz == sorted(hz) and ws == sorted(ws) and min(ws) >= 0,
         "clocks must ascend and wait states must not decrease"),
        ("flash_wait_states", hz[-1] >= m.max_clock_hz * (1 - 1e-9), "the last entry must cover max_clock_hz"),
    ]
    currents = [s.current_a for s in m.sleep_modes]
    run_min = m.run_current_a(m.default_clock_hz)
    for i, s in enumerate(m.sleep_modes):
        checks += [
            (f"sleep[{i}].current_a", 0 < s.current_a < run_min, "must be > 0 and below the run current"),
            (f"sleep[{i}].retains_ram_bytes", 0 <= s.retains_ram_bytes <= m.sram_bytes, "must be in [0, sram_bytes]"),
            (f"sleep[{i}].wakeup_s", s.wakeup_s >= 0 and s.wakeup_energy_j >= 0, "must be >= 0"),
        ]
    checks.append(("sleep", currents == sorted(currents), "list the sleep modes lowest current first"))
    for key, ok, problem in checks:
        if not ok:
            raise _fail(path, key, problem)


# ----------------------------------------------------------------------------------------------- look-up
def _norm(name: str) -> str:
    """Case- and punctuation-insensitive key: 'Nucleo-L4R5ZI' -> 'nucleol4r5zi'."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _mcu_dir() -> Path:
    return data_dir("power_models") / "mcus"


@lru_cache(maxsize=None)
def _catalog() -> tuple[dict, dict]:
    """(id -> Mcu, normalised name -> id) for the shipped catalog (boards that imply a supply path included);
    parsed once per process."""
    folder = _mcu_dir()
    by_id: dict = {}
    names: dict = {}
    for file in sorted(folder.glob("*.toml")):
        mcu = _shipped(file)
        if mcu.id in by_id:
            raise UserError(f"{file}: id: '{mcu.id}' is also used by {by_id[mcu.id].path}")
        by_id[mcu.id] = mcu
    for mcu in by_id.values():
        for name in (mcu.id, *mcu.aliases, *mcu.boards, *(b for p in mcu.supply_paths for b in p.boards)):
            key = _norm(name)
            if names.get(key, mcu.id) != mcu.id:
                raise UserError(f"{mcu.path}: aliases: '{name}' also names '{names[key]}'")
            names[key] = mcu.id
    return by_id, names


@lru_cache(maxsize=None)
def _shipped_file(text: str) -> Mcu | None:
    """The shipped part whose file is ``<text>.toml`` and whose id is ``text`` (any case), or None. The catalog
    test keeps ids, aliases and boards unique, so this is the part the whole catalog would give."""
    stem = text.lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", stem):
        return None
    file = _mcu_dir() / f"{stem}.toml"
    if not file.is_file():
        return None
    mcu = _shipped(file)
    return mcu if mcu.id == stem else None


@lru_cache(maxsize=None)
def _shipped(file: Path) -> Mcu:
    """A shipped MCU file, parsed once per process (so every look-up of a part gives the same object)."""
    return mcu_from_toml(file)


def list_mcus() -> list[Mcu]:
    """Every shipped MCU (and typical core entry), sorted by id."""
    by_id, _ = _catalog()
    return [by_id[k] for k in sorted(by_id)]


def mcu_ids() -> list[str]:
    return sorted(_catalog()[0])


@lru_cache(maxsize=None)
def _path_boards() -> dict:
    """normalised board name -> the supply path it implies (NUCLEO-L4R5ZI-P -> smps)."""
    return {_norm(b): p.regulator for m in _catalog()[0].values() for p in m.supply_paths for b in p.boards}


def load_mcu(spec, supply_path: str | None = None) -> Mcu:
    """An MCU by id ('nrf52840'), alias or board ('nano33ble', 'pico', 'NUCLEO-L4R5ZI', 'stm32l4r5zit6u'),
    generic core ('cortex-m4'), or a path to a .toml file. Unknown -> UserError with the closest ids.
    ``supply_path`` (ldo, smps, dcdc): use that path's run figures; a board that implies a path
    ('NUCLEO-L4R5ZI-P': smps) selects it unless ``supply_path`` says otherwise."""
    if isinstance(spec, Mcu):
        return with_supply_path(spec, supply_path, " (--supply-path)")
    text = str(spec).strip()
    if text.endswith(".toml") or Path(text).suffix == ".toml" or ("/" in text and Path(text).exists()):
        return with_supply_path(mcu_from_toml(Path(text)), supply_path, " (--supply-path)")
    own = _shipped_file(text)
    if own is not None:  # an id as its file is named: only that file is read (cold start)
        boards = {_norm(b): p.regulator for p in own.supply_paths for b in p.boards}
        implied = boards.get(_norm(text)) if supply_path is None else None
        if implied:
            return with_supply_path(own, implied, f" (implied by board {text})")
        return with_supply_path(own, supply_path, " (--supply-path)")
    by_id, names = _catalog()
    key = _norm(text)
    if key in names:
        part = by_id[names[key]]
        if supply_path is None and key in _path_boards():
            return with_supply_path(part, _path_boards()[key], f" (implied by board {text})")
        return with_supply_path(part, supply_path, " (--supply-path)")
    # ordering codes: 'stm32h7a3zit6q' = id + package/temperature suffix (long ids only, unique match)
    hits = {mid for n, mid in names.items() if len(n) >= 8 and key.startswith(n) and len(key) - len(n) <= 6}
    if len(hits) == 1:
        return with_supply_path(by_id[hits.pop()], supply_path, " (--supply-path)")
    near = []
    for name in closest(key, names, n=8) + closest(text, by_id, n=3):
        mid = names.get(_norm(name), name)
        if mid not in near:
            near.append(mid)
    msg = f"unknown MCU '{text}'"
    msg += f"; did you mean {', '.join(near[:3])}?" if near else f"; valid: {', '.join(sorted(by_id)[:12])}, ..."
    raise UserError(msg + " (see `energy mcus`)")


def clock_limit(part: Mcu, core=None) -> tuple[float, str]:
    """(highest clock [Hz] an estimate may use on ``part``, what that limit is). A real part: its own maximum. A
    typical part (a generic core id): the fastest shipping part of its core class (``max_clock_hz`` of
    power_models/cores/<core>.toml), so a user with a part the catalog lacks can give its real clock."""
    if not part.typical:
        return part.max_clock_hz, f"the {part.id} maximum"
    if core is None:
        from .runtimes import load_core

        core = load_core(part.core)
    if core.max_clock_hz > part.max_clock_hz:
        how = core.provenance["max_clock_hz"][1].split(";")[0]
        return core.max_clock_hz, f"the fastest shipping {part.core} part ({how})"
    return part.max_clock_hz, f"the {part.id} maximum"


def above_typical_clock_note(part: Mcu, clock_hz: float) -> str:
    """For a typical part run above its own (median) max clock: what the flash and cache assumptions become."""
    if not part.typical or clock_hz <= part.max_clock_hz * (1 + 1e-9):
        return ""
    ws = part.wait_states(clock_hz)
    cache = (f"{part.icache_bytes // 1024} KiB instruction cache" if part.icache_bytes else "no cache modelled")
    return (f"{part.id} at {clock_hz / 1e6:g} MHz is above the typical part's {part.max_clock_hz / 1e6:g} MHz: flash "
            f"wait states held at {ws} (the table's last entry; parts this fast hide more behind a flash accelerator, "
            f"cache or TCM), {cache}, run current extrapolated linearly from the typical per-MHz figure")
