"""Neural accelerators beside the core: the NPU catalog (the ``[npu]`` table of a part's file), which layers each NPU
takes, the throughput model of the vendor NPUs, and one inference split between the NPU and the host core.

Two ways to cost the NPU's layers:

* ``kind = "ethos-u"``: Arm's own compiler and performance estimator, Vela (:mod:`.vela`, the ``[npu]`` extra), with
  the part's system configuration (``power_models/npu/ethos-u-systems.toml``); Vela says which operators stay on
  the CPU.
* ``kind = "throughput"`` (Neural-ART, eIQ Neutron, Axon, the MAX7800x CNN engine, NE16, MVP, Syntiant Core 2: no
  open compiler): per layer on the NPU::

      MAC layers:   cycles = max(padded MACs / (macs_per_cycle x utilisation[class] x efficiency),
                             weight bytes / weight_bytes_per_cycle where weights stream from external memory)
                    + layer_overhead_cycles
      other layers: cycles = elements / (elements_per_cycle x efficiency) + layer_overhead_cycles
      data layers (reshape, ...): layer_overhead_cycles only

  with the output channels (depthwise: the channels) padded up to ``channel_lanes``. ``utilisation`` per operator
  class and ``elements_per_cycle`` are structure (``derived``); ``efficiency`` is the one figure fitted, to the one
  published measurement of the NPU (``benchmarks/fit_npu.py``, ``power_models/reference/npu_anchors.csv``).

Layers the NPU does not take (an operator it lacks, a float or int16 tensor it cannot read, a model whose weights
exceed its weight memory) run on the host core and are costed by the CPU cycle model of :mod:`.cycles`; the
per-layer table says where each layer runs (``runs_on``). Energy: while the NPU works the host waits in the state
the part's file names (``host_wait_current_a``) and the NPU adds ``active_current_a``; while the host runs fallback
layers it draws its inference current (:mod:`.power`). Memory traffic is inside the NPU's active current wherever
that current was measured with the NPU running a workload (the figures say so); no per-byte energy is sourced.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..datafile import as_figure, load_toml
from ..errors import UserError, closest
from .power import through_regulator

ACCELERATORS = ("npu", "none")
NPU_KINDS = ("ethos-u", "throughput")
#: the operator classes of the analysis (``kind`` column) the throughput model knows
MAC_CLASSES = ("conv", "depthwise", "fc", "transpose_conv", "matmul", "rnn")
ELEMENT_CLASSES = ("pool", "elementwise", "activation", "softmax", "quantize", "other")
DATA_CLASSES = ("reshape", "data")
BASES = ("vela", "measured", "extrapolated")


@dataclass(frozen=True)
class Npu:
    """One part's neural accelerator (units in the names; ``provenance``: figure -> (kind, note))."""

    part: str
    name: str
    kind: str                         # ethos-u | throughput
    runtime: str                      # NPU runtime id (power_models/runtimes/<runtime>.toml)
    clock_hz: float                   # NPU clock (with clock_follows_core: its maximum, the core clock below it)
    clock_follows_core: bool
    active_current_a: float           # supply current the NPU adds while it works, at reference_supply_v
    host_wait_current_a: float        # whole-part current while the host waits for the NPU (NPU not included)
    reference_supply_v: float
    regulator: str                    # how the NPU's current scales with the supply (as the part's run current)
    macs_per_cycle: float = 0.0
    efficiency: float = 1.0
    utilisation: dict = field(default_factory=dict)
    elements_per_cycle: float = 1.0
    layer_overhead_cycles: float = 0.0
    channel_lanes: int = 1
    ops: tuple = ()                   # TFLite builtin operators it takes (throughput kind)
    dtypes: tuple = ("int8",)         # activation types it takes
    weight_memory_bytes: int = 0      # 0: weights stream from the part's memories (no NPU-private weight store)
    accelerator_config: str = ""      # Vela --accelerator-config (ethos-u kind)
    system_config: str = ""           # Vela system configuration (power_models/npu/ethos-u-systems.toml)
    memory_mode: str = "Shared_Sram"
    max_stride: int = 0               # convolutions with a larger stride stay on the host (0: no limit)
    weight_bytes_per_cycle: float = 0.0  # weights streamed from external memory per NPU cycle (0: not a bound)
    kernel_sizes: tuple = ()          # convolution kernels it takes, as "3x3" (empty: any)
    basis: str = "extrapolated"       # vela | measured (efficiency fitted to this NPU's anchor) | extrapolated
    anchor: str = ""                  # the published measurement the efficiency was fitted to
    provenance: dict = field(default_factory=dict)
    assumptions: tuple = ()           # one line per derived figure
    notes: str = ""

    def clock_at(self, core_clock_hz: float) -> float:
        return min(core_clock_hz, self.clock_hz) if self.clock_follows_core else self.clock_hz

    def derived(self, key: str) -> bool:
        return self.provenance.get(key, ("source", ""))[0] != "source"


# ------------------------------------------------------------------------------------------------ catalog
_FIGURES = {  # key -> (type, required)
    "clock_hz": (float, True), "active_current_a": (float, True), "host_wait_current_a": (float, True),
    "reference_supply_v": (float, True), "macs_per_cycle": (float, False), "efficiency": (float, False),
    "elements_per_cycle": (float, False), "layer_overhead_cycles": (float, False), "channel_lanes": (int, False),
    "weight_memory_bytes": (int, False), "max_stride": (int, False), "weight_bytes_per_cycle": (float, False),
}
_PLAIN = {"name": str, "kind": str, "runtime": str, "clock_follows_core": bool, "ops": list, "dtypes": list,
          "accelerator_config": str, "system_config": str, "memory_mode": str, "anchor": str, "notes": str,
          "utilisation": dict, "kernel_sizes": list}


def npu_from_table(table: dict, part_id: str, regulator: str, where: str) -> Npu:
    """An :class:`Npu` from a part file's ``[npu]`` table; any problem is a UserError naming ``where`` and the key."""
    extra = sorted(set(table) - set(_FIGURES) - set(_PLAIN))
    if extra:
        raise UserError(f"{where}: npu.{extra[0]}: unknown key; valid keys: {', '.join(sorted({**_FIGURES, **_PLAIN}))}")
    for key in ("name", "kind", "runtime"):
        if not isinstance(table.get(key), str):
            raise UserError(f"{where}: npu.{key}: missing (a text)")
    if table["kind"] not in NPU_KINDS:
        raise UserError(f"{where}: npu.kind: '{table['kind']}' is not one of {', '.join(NPU_KINDS)}")
    prov, values, assumptions = {}, {}, []
    for key, (kind, required) in _FIGURES.items():
        if key not in table:
            if required:
                raise UserError(f"{where}: npu.{key}: missing figure")
            continue
        fig = as_figure(table[key], f"{where}: npu.{key}")
        if not isinstance(fig.value, (int, float)) or isinstance(fig.value, bool) or fig.value < 0:
            raise UserError(f"{where}: npu.{key}: expected a number >= 0, got {fig.value!r}")
        values[key] = kind(fig.value)
        prov[key] = (fig.kind, fig.note)
        if fig.kind != "source":
            assumptions.append(f"{part_id} NPU: {key} {fig.value:g} is {fig.kind} ({fig.note})")
    util = {}
    for cls, node in (table.get("utilisation") or {}).items():
        if cls not in MAC_CLASSES:
            raise UserError(f"{where}: npu.utilisation.{cls}: not a MAC operator class ({', '.join(MAC_CLASSES)})")
        fig = as_figure(node, f"{where}: npu.utilisation.{cls}")
        util[cls] = float(fig.value)
        prov[f"utilisation.{cls}"] = (fig.kind, fig.note)
    if table["kind"] == "throughput":
        missing = [k for k in ("macs_per_cycle", "efficiency", "elements_per_cycle") if k not in values]
        if missing or not util or not table.get("ops"):
            raise UserError(f"{where}: npu: a throughput NPU needs {', '.join(missing or ['utilisation', 'ops'])}")
    elif not table.get("accelerator_config") or not table.get("system_config"):
        raise UserError(f"{where}: npu: an ethos-u NPU needs accelerator_config (e.g. ethos-u55-128) and "
                        f"system_config (power_models/npu/ethos-u-systems.toml)")
    eff_kind, eff_note = prov.get("efficiency", ("", ""))
    basis = "vela" if table["kind"] == "ethos-u" else \
        ("measured" if eff_kind == "derived" and eff_note.startswith("fitted") else "extrapolated")
    if table["kind"] == "ethos-u" and any(prov.get(k, ("", ""))[0] != "source" for k in ("macs_per_cycle", "clock_hz")):
        basis = "extrapolated"  # Vela on a MAC configuration or clock the sources do not confirm
    return Npu(part=part_id, name=table["name"], kind=table["kind"], runtime=table["runtime"],
               clock_follows_core=bool(table.get("clock_follows_core", False)), regulator=regulator,
               utilisation=util, ops=tuple(table.get("ops", ())), dtypes=tuple(table.get("dtypes", ("int8",))),
               accelerator_config=str(table.get("accelerator_config", "")),
               system_config=str(table.get("system_config", "")),
               memory_mode=str(table.get("memory_mode", "Shared_Sram")), basis=basis,
               kernel_sizes=tuple(str(k) for k in table.get("kernel_sizes", ())),
               anchor=str(table.get("anchor", "")), provenance=prov, assumptions=tuple(assumptions),
               notes=str(table.get("notes", "")), **values)


@lru_cache(maxsize=None)
def _npu_of_file(path: str, part_id: str, regulator: str) -> Npu | None:
    tree = load_toml(Path(path))
    table = tree.get("npu")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise UserError(f"{path}: npu: expected an [npu] table")
    return npu_from_table(table, part_id, regulator, path)


def npu_of(part) -> Npu | None:
    """The part's NPU (its file's ``[npu]`` table), or None."""
    npu = getattr(part, "npu", None)  # a part object may carry one (tests, user code)
    if isinstance(npu, Npu):
        return npu
    path = getattr(part, "path", "")
    if not path or not Path(path).is_file():
        return None
    return _npu_of_file(str(path), part.id, part.regulator)


def npu_parts() -> list:
    """The catalog parts that have an NPU, sorted by id."""
    from .catalog import list_mcus

    return [m for m in list_mcus() if npu_of(m) is not None]


@lru_cache(maxsize=None)
def npu_runtime_ids() -> dict:
    """NPU runtime id -> the NPU kind it drives (runtime files with an ``accelerator`` key)."""
    from .runtimes import _runtime_files

    out = {}
    for rid, path in _runtime_files().items():
        kind = load_toml(path).get("accelerator")
        if kind:
            out[rid] = str(kind)
    return out


# ------------------------------------------------------------------------------------------------ resolve
def resolve_accelerator(part, rt, accelerator=None):
    """(Npu or None, the CPU runtime that costs the host's layers) for ``accelerator`` (``npu``, ``none`` or None:
    the NPU where the part has one). ``rt``: the runtime asked for; an NPU runtime (``ethos-u``, ``eiq-neutron``,
    ...) asks for the NPU, and the part's default runtime then costs the layers left on the CPU."""
    from .runtimes import load_runtime

    npu = npu_of(part)
    npu_runtimes = npu_runtime_ids()
    wanted = None if accelerator is None else str(accelerator).strip().lower()
    if wanted is not None and wanted not in ACCELERATORS:
        near = closest(wanted, ACCELERATORS)
        raise UserError(f"--accelerator must be one of {', '.join(ACCELERATORS)}, not '{accelerator}'"
                        + (f"; did you mean {near[0]}?" if near else ""))
    asked_npu_runtime = rt.id in npu_runtimes
    if asked_npu_runtime:
        if npu is None or npu.runtime != rt.id:
            have = f"its NPU runtime is {npu.runtime}" if npu else "it has no NPU"
            raise UserError(f"runtime '{rt.id}' drives an NPU the {part.id} does not have ({have}); parts with a "
                            f"{npu_runtimes[rt.id]} NPU: {', '.join(_parts_with(rt.id)) or 'none'}; runtimes for "
                            f"{part.id}: {', '.join(_cpu_runtimes_for(part) + ([npu.runtime] if npu else []))}")
        if wanted == "none":
            raise UserError(f"runtime '{rt.id}' is an NPU runtime; --accelerator none needs a CPU runtime such as "
                            f"{part.default_runtime} (or leave out --runtime)")
        host = load_runtime(part.default_runtime)
        return npu, host
    if wanted == "npu" and npu is None:
        raise UserError(f"{part.id} has no NPU; parts with one: {', '.join(m.id for m in npu_parts())} "
                        f"(or leave out --accelerator)")
    if wanted == "none" or npu is None:
        return None, rt
    return npu, rt


def _cpu_runtimes_for(part) -> list:
    from .runtimes import list_runtimes

    return [r.id for r in list_runtimes() if r.id not in npu_runtime_ids() and (not r.cores or part.core in r.cores)
            and (not r.vendors or part.typical or part.vendor in r.vendors)]


def _parts_with(runtime_id: str) -> list:
    return [m.id for m in npu_parts() if npu_of(m).runtime == runtime_id]


# ------------------------------------------------------------------------------------------------ layers
def _dtype_ok(npu: Npu, row: dict) -> bool:
    act = str(row.get("act_dtype") or "int8").lower()
    weight = str(row.get("weight_dtype") or "").lower()
    if act not in npu.dtypes:
        return False
    return weight in ("", "none", "int8", "uint8", "int32") or weight in npu.dtypes


def throughput_layers(npu: Npu, records: list, clock_hz: float) -> tuple:
    """(on_npu mask, NPU cycles per layer at the NPU clock, reason per CPU layer) of the throughput model."""
    n = len(records)
    on = np.zeros(n, dtype=bool)
    cycles = np.zeros(n)
    reasons = [""] * n
    lanes = max(int(npu.channel_lanes), 1)
    for i, r in enumerate(records):
        op, kind = str(r.get("op")), str(r.get("kind"))
        if op not in npu.ops:
            reasons[i] = f"{op} is not among the {npu.name} operators"
            continue
        if not _dtype_ok(npu, r):
            reasons[i] = f"{r.get('act_dtype')} tensors are not taken by the {npu.name} ({', '.join(npu.dtypes)} only)"
            continue
        if kind in ("conv", "transpose_conv", "depthwise") and (npu.max_stride or npu.kernel_sizes):
            stride = max(int(r.get("stride_h") or 1), int(r.get("stride_w") or 1))
            kernel = f"{int(r.get('kernel_h') or 1)}x{int(r.get('kernel_w') or 1)}"
            if npu.max_stride and stride > npu.max_stride:
                reasons[i] = f"{op} stride {stride} (the {npu.name} takes stride <= {npu.max_stride})"
                continue
            if npu.kernel_sizes and kernel not in npu.kernel_sizes:
                reasons[i] = f"{op} kernel {kernel} (the {npu.name} takes {', '.join(npu.kernel_sizes)})"
                continue
        on[i] = True
        if kind in MAC_CLASSES:
            macs = float(r.get("macs") or 0)
            chans = float(r.get("out_channels") or 0)
            pad = (np.ceil(chans / lanes) * lanes / chans) if chans > 0 else 1.0
            util = npu.utilisation.get(kind, npu.utilisation.get("conv", 1.0))
            work = macs * pad / (npu.macs_per_cycle * util * npu.efficiency)
            if npu.weight_bytes_per_cycle:  # weights streamed from external memory: the slower of the two bounds
                work = max(work, float(r.get("weights_bytes") or 0) / npu.weight_bytes_per_cycle)
        elif kind in DATA_CLASSES:
            work = 0.0
        else:
            elems = float(r.get("elements") or 0)
            if kind == "pool":
                elems = float(r.get("input_bytes") or 0) / (2.0 if str(r.get("act_dtype")) == "int16" else 1.0)
            work = elems / (npu.elements_per_cycle * npu.efficiency)
        cycles[i] = work + npu.layer_overhead_cycles
    return on, cycles, reasons


@dataclass
class NpuPlan:
    """Where each layer runs and what the NPU part costs (before the host's layers are added)."""

    on_npu: np.ndarray
    npu_cycles: np.ndarray            # per layer, at the NPU clock (0 on the host)
    npu_clock_hz: float
    npu_total_s: float                # the NPU's time for one inference (Vela: its own total)
    reasons: list                     # per host layer: why it is not on the NPU ('' on the NPU)
    notes: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    extra_summary: dict = field(default_factory=dict)
    extra_columns: dict = field(default_factory=dict)
    fits_npu: bool = True


def plan(npu: Npu, analysis, core_clock_hz: float) -> NpuPlan:
    """The NPU's share of one model: the throughput model, or Vela for an Ethos-U."""
    clock = npu.clock_at(core_clock_hz)
    records = analysis.records
    if npu.kind == "ethos-u":
        from .vela import vela_plan

        return NpuPlan(**vela_plan(npu, analysis, clock))
    on, cycles, reasons = throughput_layers(npu, records, clock)
    p = NpuPlan(on, cycles, clock, float(cycles[on].sum()) / clock, reasons)
    if npu.weight_memory_bytes:
        weights = float(sum(float(r.get("weights_bytes") or 0) for r, o in zip(records, on) if o))
        p.extra_summary["npu_weight_memory_bytes"] = npu.weight_memory_bytes
        if weights > npu.weight_memory_bytes:
            p.fits_npu = False
            p.warnings.append(f"the model's {weights / 1024:.0f} KiB of NPU weights do not fit the {npu.name}'s "
                              f"{npu.weight_memory_bytes / 1024:.0f} KiB weight memory: every layer is costed on "
                              f"the host core (the model does not fit the NPU)")
            p.on_npu = np.zeros(len(records), dtype=bool)
            p.npu_cycles = np.zeros(len(records))
            p.npu_total_s = 0.0
            p.reasons = ["the model does not fit the NPU weight memory"] * len(records)
    return p


# ------------------------------------------------------------------------------------------------ inference
def npu_current_a(npu: Npu, supply_v: float, what: float) -> float:
    """A current figure of the NPU table moved from its reference supply to ``supply_v`` through the part's
    regulator (power.through_regulator: switchers about constant power, an LDO the same current)."""
    return through_regulator(what, npu.regulator, npu.reference_supply_v, supply_v)


def inference(npu: Npu, analysis, part, rt, core, clock_hz: float, supply_v: float, compute, memory, power,
              current_scale: float = 1.0):
    """One inference split between the NPU and the host: (latency_s, energy_j, total host-equivalent cycles,
    per-layer columns, summary keys, notes, warnings). ``compute``/``memory``: the CPU cycle model's per-layer
    cycles on the host (used for the layers left on it); ``power``: the host's :class:`.power.InferencePower`."""
    p = plan(npu, analysis, clock_hz)
    on = p.on_npu
    host_layer = (compute + memory) * ~on
    segments = int(np.sum(on[1:] & ~on[:-1]) + (1 if len(on) and on[0] else 0))
    dispatch = segments * rt.coefficients["layer_overhead_cycles"] * core.speed
    from .cycles import total_cycles

    invoke = total_cycles(np.zeros(0), np.zeros(0), rt, core)  # the runtime's per-inference overhead on the host
    host_s = (float(host_layer.sum()) + dispatch + invoke) / clock_hz
    npu_layer_s = p.npu_cycles / p.npu_clock_hz
    npu_s = p.npu_total_s
    latency = host_s + npu_s
    host_a = power.current_a * current_scale
    npu_a = npu_current_a(npu, supply_v, npu.active_current_a)
    wait_a = npu_current_a(npu, supply_v, npu.host_wait_current_a)
    energy_host = host_a * supply_v * host_s
    energy_npu = (npu_a + wait_a) * supply_v * npu_s
    # per layer: host layers at the host's inference current, NPU layers at NPU + waiting host (their share of the
    # NPU total: Vela's per-layer cycles may not add up to its whole-network figure)
    share = npu_layer_s / npu_layer_s.sum() if npu_layer_s.sum() > 0 else npu_layer_s
    layer_s = np.where(on, share * npu_s, host_layer / clock_hz)
    layer_j = np.where(on, share * energy_npu, host_layer / clock_hz * host_a * supply_v)
    columns = {"cycles": np.where(on, 0.0, host_layer), "memory_cycles": np.where(on, 0.0, memory),
               "latency_s": layer_s, "energy_j": layer_j,
               "runs_on": np.where(on, "npu", "cpu"), "npu_cycles": p.npu_cycles, **p.extra_columns}
    n_npu = int(on.sum())
    from .runtimes import load_runtime

    summary = {"accelerator": "npu", "npu": npu.name, "npu_runtime": load_runtime(npu.runtime).label,
               "npu_clock_hz": p.npu_clock_hz,
               "npu_layers": n_npu, "npu_layer_share": n_npu / len(on) if len(on) else 0.0,
               "npu_time_s": npu_s, "npu_time_share": npu_s / latency if latency > 0 else 0.0,
               "host_time_s": host_s, "npu_energy_j": energy_npu, "host_energy_j": energy_host,
               "npu_current_a": npu_a, "host_wait_current_a": wait_a, "fits_npu": p.fits_npu, **p.extra_summary}
    notes = list(p.notes) + _energy_notes(npu, part)
    host_ops = sorted({f"{r.get('op')}: {why}" for r, why, o in zip(analysis.records, p.reasons, on)
                       if not o and why and str(r.get("kind")) not in DATA_CLASSES})
    warnings = list(p.warnings)
    if host_ops and p.fits_npu:
        warnings.append(f"{len(on) - n_npu} of {len(on)} layers run on the host {part.core} ({rt.label}), not on "
                        f"the {npu.name}: " + "; ".join(host_ops[:6]) + ("; ..." if len(host_ops) > 6 else ""))
    cycles_equiv = latency * clock_hz
    return latency, energy_host + energy_npu, cycles_equiv, columns, summary, notes, warnings


@dataclass(frozen=True)
class NpuPower:
    """The power side of an inference split between NPU and host: what the chain reads from an
    :class:`.power.InferencePower` (``current_a`` is the inference's average) plus the NPU's summary keys, notes and
    warnings."""

    current_a: float
    run_current_a: float
    workload_factor: float
    measured: bool
    assumptions: tuple
    npu_summary: dict
    npu_notes: tuple
    npu_warnings: tuple


def split_inference(npu: Npu, analysis, part, rt, core, clock_hz, supply_v, compute, memory, power, calibration,
                    detail, make_cost, make_layers):
    """The chain's inference step for a part using its NPU: ``(cost, layer table or None, cycles, NpuPower)``, as
    ``chain._inference`` returns them (``make_cost``: its InferenceCost, ``make_layers``: its layer-table maker)."""
    scale = calibration.current_scale if calibration else 1.0
    latency, energy, cycles, columns, summary, notes, warnings = inference(
        npu, analysis, part, rt, core, clock_hz, supply_v, compute, memory, power, scale)
    current = energy / (supply_v * latency) if latency > 0 else 0.0
    cost = make_cost(latency_s=latency, energy_j=energy, supply_v=supply_v, clock_hz=clock_hz,
                     run_current_a=power.run_current_a, current_a=current)
    out = NpuPower(current_a=current, run_current_a=power.run_current_a, workload_factor=power.workload_factor,
                   measured=power.measured, assumptions=tuple(power.assumptions), npu_summary=summary,
                   npu_notes=tuple(notes), npu_warnings=tuple(warnings))
    return cost, (make_layers(analysis, columns) if detail else None), cycles, out


def _energy_notes(npu: Npu, part) -> list:
    out = [f"energy with the {npu.name}: host layers at the host's inference current; NPU layers at the NPU's "
           f"active current ({npu.active_current_a * 1e3:.3g} mA, {npu.provenance['active_current_a'][0]}) plus the "
           f"host waiting ({npu.host_wait_current_a * 1e3:.3g} mA, {npu.provenance['host_wait_current_a'][0]}); "
           f"memory traffic is inside the NPU's active current (no per-byte energy is sourced)"]
    if npu.anchor:
        out.append(f"{npu.name} efficiency {npu.efficiency:.4g} fitted to one measurement: {npu.anchor}")
    return out


# ------------------------------------------------------------------------------------------------ bands
def band(npu: Npu, cost, power=None):
    """The NPU estimate's band (:class:`joulescope_free.bands.EstimateBand`), basis ``vela``, ``measured`` (the
    efficiency fitted to this NPU's own measurement) or ``extrapolated``:

    * ``measured``: one measurement pins the NPU as a calibration pins a board; what is left is the model-to-model
      error, the ``calibrated`` band of error_bands.toml;
    * ``vela``: Vela is a cycle model of the NPU and its memories as the kernel simulator is of the CPU: the
      ``simulated`` basis-wide band (not validated on Ethos-U hardware: band_validated False);
    * ``extrapolated`` (no measurement, or a figure NOT FOUND and derived): the widest band.

    The energy band is widened by the power model's current band (widest band's energy side where the NPU's
    current is itself derived)."""
    from ..bands import EstimateBand, _current_band, combine_bands, find_band, widest_band

    if npu.basis == "measured":
        b, validated, why = find_band("calibrated"), True, (
            f"{npu.name} efficiency fitted to one published measurement ({npu.anchor}); the model-to-model "
            f"error of the calibrated band")
    elif npu.basis == "vela":
        b, validated, why = find_band("simulated"), False, (
            f"Vela's own estimate of the {npu.name}; the simulated basis-wide band, not validated on Ethos-U "
            f"hardware")
    else:
        b, validated, why = widest_band(), False, (
            f"no measurement of the {npu.name} (or a figure NOT FOUND and derived): the widest band")
    energy = (b.energy_low, b.energy_high)
    if current_derived(npu):
        wide = widest_band()
        energy = combine_bands((wide.energy_low, wide.energy_high), _current_band())
        why += "; the NPU's current is derived, not sourced: the energy band is the widest, widened by the current band"
    else:
        energy = combine_bands(energy, _current_band())
    low = (cost.latency_s * b.latency_low, cost.energy_j * energy[0])
    high = (cost.latency_s * b.latency_high, cost.energy_j * energy[1])
    note = (f"error band ({b.coverage * 100:.0f} % interval), basis {npu.basis}: {why}; latency "
            f"x{b.latency_low:.2f}-{b.latency_high:.2f}, energy x{energy[0]:.2f}-{energy[1]:.2f}")
    summary = {"estimate_basis": npu.basis, "estimate_basis_note": why, "band_interval": b.coverage,
               "band_validated": validated, "latency_low_s": low[0], "latency_high_s": high[0],
               "energy_low_j": low[1], "energy_high_j": high[1]}
    return EstimateBand(summary, note, low, high)


def current_derived(npu: Npu) -> bool:
    """Whether the NPU's current is a stand-in for a figure NOT FOUND (not one computed from sourced figures)."""
    kind, note = npu.provenance.get("active_current_a", ("source", ""))
    return kind != "source" and note.startswith("NOT FOUND")
