"""Linux single-board computers (Raspberry Pi, BeagleBone AI) as targets: latency with threads, board power.

A board is its catalog entry (``power_models/mcus/<id>.toml``: clock, DRAM, the two ways to spend the time between
inferences as sleep modes) plus ``power_models/boards/<id>.toml`` (cores, board currents, boot and halt). The
estimate chain asks :func:`linux_board` and, for a board, takes latency and current from here instead of the MCU
cycle and power models.

Latency (LiteRT/TFLite, one model on ``threads`` of the board's cores), per layer, in cycles of the core clock f::

    t_layer = o + W x ((1 - p) + p / N)                       (Amdahl: a fraction p of the work is split over N threads)
    W       = MACs x c[class, dtype] / P[core, dtype]         (conv, depthwise, fully connected layers)
            | elements x e / P[core, dtype]                   (element-wise, activation, pooling, softmax, pad ...)

``P`` is the core's peak multiply-accumulates per cycle (``power_models/boards/_cores.toml``: derived from each core's
SIMD width and pipes, not fitted); ``c`` (cycles per MAC relative to the peak, per operator class and data type),
``e``, the per-layer overhead ``o`` and the parallel fraction ``p`` are the few parameters fitted to the 30 published
XNNPACK figures (``power_models/boards/_tflite.toml``, written by ``benchmarks/sbc_accuracy.py``, which also prints the
leave-one-board-out and leave-one-model-out errors the band comes from). TFLite without XNNPACK (``tflite-builtin``)
is the XNNPACK cost times a derived ratio per data type.

Board current at the 5 V input while inferring: ``idle + N x per-core + DRAM + peripherals``; between inferences
either the board stays up (Linux idle) or it shuts down and an RTC timer boots it again (the catalog's two sleep
modes; the duty model picks the cheaper and reports the crossover rate).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..bands import EstimateBand
from ..datafile import as_figure, load_toml
from ..errors import UserError
from ..paths import data_dir

#: what the latency model reads from a layer table, per model (``class_totals``) and per layer
CLASS_COLUMNS = ("macs_conv", "macs_depthwise", "macs_fc", "elements", "layers")
MAC_CLASS = {"conv": "conv", "transpose_conv": "conv", "depthwise": "depthwise", "fc": "fc", "matmul": "fc",
             "rnn": "fc"}
#: kinds that cost only the per-layer overhead (no data moved: a view of the same buffer)
FREE_KINDS = ("reshape",)
DTYPES = ("fp32", "int8")
RUNTIMES = ("tflite", "tflite-builtin")
#: the board current's own band: the Pi 4's official and third-party idle figures differ by x1.5 (0.6 A vs 0.4 A) and
#: most boards' currents are derived; x0.67-1.5 covers that spread
BOARD_CURRENT_BAND = (0.67, 1.5)


def _dtype(act_dtype) -> str:
    return "fp32" if "float" in str(act_dtype).lower() else "int8"


def layer_work(records) -> dict:
    """Per-layer arrays: ``cls`` (conv/depthwise/fc/element/free), ``amount`` (MACs or elements), ``dtype``."""
    cls, amount, dtype = [], [], []
    for r in records:
        kind = str(r.get("kind"))
        if kind in MAC_CLASS:
            cls.append(MAC_CLASS[kind])
            amount.append(float(r.get("macs") or 0))
        elif kind in FREE_KINDS:
            cls.append("free")
            amount.append(0.0)
        else:
            cls.append("element")
            elements = float(r.get("elements") or 0)
            if kind == "pool":  # a pooling layer reads every input element
                act = 4.0 if _dtype(r.get("act_dtype")) == "fp32" else 1.0
                elements = max(elements, float(r.get("input_bytes") or 0) / act)
            amount.append(elements)
        dtype.append(_dtype(r.get("act_dtype")))
    return {"cls": np.array(cls, dtype=object).astype(str), "amount": np.array(amount, dtype=float),
            "dtype": np.array(dtype, dtype=object).astype(str)}


def class_totals(records) -> dict:
    """MACs per operator class, element-wise work and layer count of a model (the anchors' CSV columns)."""
    w = layer_work(records)
    return {"macs_conv": float(w["amount"][w["cls"] == "conv"].sum()),
            "macs_depthwise": float(w["amount"][w["cls"] == "depthwise"].sum()),
            "macs_fc": float(w["amount"][w["cls"] == "fc"].sum()),
            "elements": float(w["amount"][w["cls"] == "element"].sum()), "layers": len(w["cls"])}


# ------------------------------------------------------------------------------------------------ data
@dataclass(frozen=True)
class CorePeak:
    """A Cortex-A/ARM11 core's peak multiply-accumulates per cycle, per data type (``_cores.toml``)."""

    id: str
    name: str
    peak_macs_per_cycle: dict          # dtype -> MACs per cycle
    notes: dict


@dataclass(frozen=True)
class Fit:
    """The latency model's fitted parameters for one runtime (``_tflite.toml``)."""

    cycles_per_mac: dict               # (class, dtype) -> cycles per MAC at one MAC per peak lane
    element_cycles: float              # cycles per element at the peak rate
    layer_overhead_cycles: float
    parallel_fraction: float
    band: tuple                        # (latency_low, latency_high) multipliers, from leave-one-out validation
    band_note: str
    runtime_ratio: dict                # runtime -> dtype -> latency ratio to XNNPACK
    notes: tuple


@dataclass(frozen=True)
class Board:
    id: str
    name: str
    core: str
    cores: int
    clock_hz: float
    supply_v: float
    idle_a: float
    per_core_a: float
    dram_a: float
    peripherals: dict                  # name -> (current_a, on by default)
    boot_s: float
    boot_a: float
    shutdown_s: float
    halt_a: float
    default_battery: str
    provenance: dict = field(default_factory=dict)   # key -> (kind, note)
    notes: str = ""

    def assumptions(self) -> list:
        return [f"{self.id} board: {key} is {kind} ({note})" for key, (kind, note) in self.provenance.items()
                if kind != "source"]


def _figs(table: dict, where: str, prov: dict, prefix: str = "") -> dict:
    out = {}
    for key, node in table.items():
        if isinstance(node, dict) and "value" in node:
            fig = as_figure(node, f"{where}: {prefix}{key}")
            out[key] = fig.value
            prov[prefix + key] = (fig.kind, fig.note)
    return out


def _boards_dir():
    return data_dir("power_models") / "boards"


@lru_cache(maxsize=None)
def board_ids() -> tuple:
    return tuple(sorted(p.stem for p in _boards_dir().glob("*.toml") if not p.stem.startswith("_")))


@lru_cache(maxsize=None)
def load_board(board_id: str) -> Board:
    path = _boards_dir() / f"{board_id}.toml"
    raw = load_toml(path)
    prov: dict = {}
    top = _figs(raw, str(path), prov)
    power = _figs(raw.get("power", {}), str(path), prov)
    periph = {}
    for name, node in (raw.get("peripherals") or {}).items():
        fig = as_figure({k: v for k, v in node.items() if k != "default_on"}, f"{path}: peripherals.{name}")
        periph[name] = (float(fig.value), bool(node.get("default_on", False)))
        prov[f"peripheral {name}"] = (fig.kind, fig.note)
    need = ("cores", "clock_hz", "supply_v", "idle_a", "per_core_a", "dram_a", "boot_s", "boot_a", "shutdown_s",
            "halt_a")
    vals = {**top, **power}
    missing = [k for k in need if k not in vals]
    if missing:
        raise UserError(f"{path}: missing {', '.join(missing)}")
    return Board(id=raw["id"], name=raw.get("name", raw["id"]), core=raw["core"], cores=int(vals["cores"]),
                 clock_hz=float(vals["clock_hz"]), supply_v=float(vals["supply_v"]), idle_a=float(vals["idle_a"]),
                 per_core_a=float(vals["per_core_a"]), dram_a=float(vals["dram_a"]), peripherals=periph,
                 boot_s=float(vals["boot_s"]), boot_a=float(vals["boot_a"]), shutdown_s=float(vals["shutdown_s"]),
                 halt_a=float(vals["halt_a"]), default_battery=str(raw.get("default_battery", "")),
                 provenance=prov, notes=str(raw.get("notes", "")))


@lru_cache(maxsize=None)
def core_peaks() -> dict:
    path = _boards_dir() / "_cores.toml"
    out = {}
    for core_id, table in load_toml(path).items():
        prov: dict = {}
        figs = _figs(table, str(path), prov)
        out[core_id] = CorePeak(core_id, table.get("name", core_id),
                                {d: float(figs[f"peak_macs_per_cycle_{d}"]) for d in DTYPES},
                                {k: v[1] for k, v in prov.items()})
    return out


@lru_cache(maxsize=None)
def load_fit() -> Fit:
    path = _boards_dir() / "_tflite.toml"
    raw = load_toml(path)
    prov: dict = {}
    figs = _figs(raw, str(path), prov)
    cpm = {(cls, d): float(figs[f"{cls}_cycles_per_mac_{d}"]) for cls in ("conv", "depthwise") for d in DTYPES}
    for d in DTYPES:  # fully connected layers run the same GEMM micro-kernels as 1x1 convolutions
        cpm[("fc", d)] = cpm[("conv", d)]
    ratios = {}
    for rt, table in (raw.get("runtime_ratio") or {}).items():
        rprov: dict = {}
        ratios[rt] = {d: float(v) for d, v in _figs(table, str(path), rprov, f"{rt}.").items()}
        prov.update(rprov)
    band = (float(figs["band_latency_low"]), float(figs["band_latency_high"]))
    return Fit(cycles_per_mac=cpm, element_cycles=float(figs["element_cycles"]),
               layer_overhead_cycles=float(figs["layer_overhead_cycles"]),
               parallel_fraction=float(figs["parallel_fraction"]), band=band,
               band_note=prov["band_latency_low"][1], runtime_ratio=ratios,
               notes=tuple(f"{k}: {v[1]}" for k, v in prov.items()))


def linux_board(part) -> Board | None:
    """The board model of a catalog part, or None for a microcontroller."""
    pid = getattr(part, "id", part)
    return load_board(pid) if pid in board_ids() else None


# ------------------------------------------------------------------------------------------------ latency
def amdahl(threads: int, parallel_fraction: float) -> float:
    """Time on ``threads`` threads over the time on one: ``(1 - p) + p / N``."""
    return (1.0 - parallel_fraction) + parallel_fraction / threads


def layer_cycles(work: dict, core: str, threads: int, fit: Fit | None = None, runtime: str = "tflite",
                 clock_hz: float | None = None) -> np.ndarray:
    """Cycles of the core clock per layer on ``threads`` threads (see the module docstring)."""
    fit = fit or load_fit()
    peak = core_peaks()[core].peak_macs_per_cycle
    cls, amount, dtype = work["cls"], work["amount"], work["dtype"]
    per_unit = np.zeros(len(cls))
    for i, (c, d) in enumerate(zip(cls, dtype)):
        if c == "element":
            per_unit[i] = fit.element_cycles / peak[d]
        elif c != "free":
            per_unit[i] = fit.cycles_per_mac[(c, d)] / peak[d]
    ratio = np.array([fit.runtime_ratio.get(runtime, {}).get(d, 1.0) for d in dtype]) if runtime != "tflite" else 1.0
    work_cycles = amount * per_unit * ratio
    return fit.layer_overhead_cycles + work_cycles * amdahl(threads, fit.parallel_fraction)


def predict_latency_s(totals: dict, dtype: str, core: str, clock_hz: float, threads: int, fit: Fit) -> float:
    """Latency of a whole model from its :func:`class_totals` (one data type): the anchors' form of the model."""
    peak = core_peaks()[core].peak_macs_per_cycle[dtype]
    work = (totals["macs_conv"] * fit.cycles_per_mac[("conv", dtype)]
            + totals["macs_depthwise"] * fit.cycles_per_mac[("depthwise", dtype)]
            + totals["macs_fc"] * fit.cycles_per_mac[("fc", dtype)]
            + totals["elements"] * fit.element_cycles) / peak
    return (totals["layers"] * fit.layer_overhead_cycles + work * amdahl(threads, fit.parallel_fraction)) / clock_hz


# ------------------------------------------------------------------------------------------------ power
def inference_current_a(board: Board, threads: int, peripherals: dict | None = None) -> float:
    """Board current at its input while ``threads`` cores run the model: idle + N x per-core + DRAM, with the
    peripherals that differ from the idle figure's set-up added or taken off."""
    return board.idle_a + threads * board.per_core_a + board.dram_a + peripheral_current_a(board, peripherals)


def peripheral_current_a(board: Board, peripherals: dict | None = None) -> float:
    """What the chosen peripherals add to (or, switched off, take off) the idle figure, whose set-up had the
    ``default_on`` ones on."""
    total = 0.0
    for name, state in (peripherals or {}).items():
        current, default = board.peripherals[name]
        total += (current if state else 0.0) - (current if default else 0.0)
    return total


def parse_peripherals(spec, board: Board) -> dict:
    """``"hdmi,usb"`` (on), ``"ethernet=off"``, ``"none"`` (all off), a dict ``{name: bool}`` or None (the idle
    figure's set-up) -> {name: on}."""
    if spec is None:
        return {}
    from ..errors import unknown

    if isinstance(spec, dict):
        items = [(str(k), bool(v)) for k, v in spec.items()]
    else:
        text = str(spec).strip().lower()
        if text == "none":
            return {name: False for name in board.peripherals}
        items = []
        for part in filter(None, (x.strip() for x in text.split(","))):
            name, _, state = part.partition("=")
            if state not in ("", "on", "off"):
                raise UserError(f"--peripherals {part}: give NAME, NAME=on or NAME=off (or none)")
            items.append((name.strip(), state != "off"))
    out = {}
    for name, state in items:
        if name not in board.peripherals:
            raise unknown("peripheral", name, sorted(board.peripherals), hint=f"{board.id}'s peripherals; or none")
        out[name] = state
    return out


def peripheral_note(board: Board, peripherals: dict) -> str:
    on = {name: default for name, (_, default) in board.peripherals.items()} | dict(peripherals)
    listed = ", ".join(f"{n} {'on' if v else 'off'} ({board.peripherals[n][0]:.3g} A)" for n, v in on.items())
    return (f"{board.id} peripherals: {listed or 'none modelled'}; the idle figure's set-up had "
            f"{', '.join(n for n, (_, d) in board.peripherals.items() if d) or 'none'} on (--peripherals to change)")


def board_part(part, board: Board, peripherals: dict):
    """The catalog part with its idle-based figures (run fixed current, the stay-up sleep mode) moved by what the
    chosen peripherals add or take off."""
    import dataclasses

    delta = peripheral_current_a(board, peripherals)
    if not delta:
        return part
    modes = tuple(dataclasses.replace(m, current_a=m.current_a + delta) if m.retains_ram_bytes > 0 else m
                  for m in part.sleep_modes)
    return dataclasses.replace(part, run_fixed_current_a=part.run_fixed_current_a + delta, sleep_modes=modes)


def check_threads(threads, board: Board | None, part_id: str) -> int:
    """The thread count to use: 1 by default; refused on a microcontroller or above the board's cores."""
    if threads is None:
        return 1
    try:
        n = int(threads)
    except (TypeError, ValueError):
        raise UserError(f"--threads must be a whole number of threads, not '{threads}'") from None
    if board is None:
        if n != 1:
            raise UserError(f"--threads applies to Linux boards ({', '.join(board_ids())}); {part_id} runs the "
                            "model on one core: leave out --threads")
        return 1
    if not 1 <= n <= board.cores:
        raise UserError(f"{board.id} has {board.cores} core{'s' if board.cores > 1 else ''}: use --threads 1 to "
                        f"{board.cores}")
    return n


@dataclass(frozen=True)
class BoardInference:
    latency_s: float
    layer_latency_s: np.ndarray
    layer_cycles: np.ndarray
    current_a: float                   # board input current while inferring
    idle_a: float                      # board current up and idle (what the wake-up and pre-processing draw)
    threads: int
    assumptions: tuple
    band: tuple
    band_note: str


def board_inference(records, part, board: Board, runtime_id: str, threads: int, clock_hz: float,
                    peripherals: dict | None = None) -> BoardInference:
    if runtime_id not in RUNTIMES:
        raise UserError(f"runtime '{runtime_id}' does not run on the Linux board {board.id}; use "
                        f"{' or '.join(RUNTIMES)}")
    fit = load_fit()
    work = layer_work(records)
    cycles = layer_cycles(work, board.core, threads, fit, runtime_id)
    latency = cycles / clock_hz
    peripherals = peripherals or {}
    current = inference_current_a(board, threads, peripherals)
    idle = board.idle_a + peripheral_current_a(board, peripherals)
    p = fit.parallel_fraction
    notes = [f"{board.id}: latency = per-layer XNNPACK throughput model for {board.core} (peak "
             f"{core_peaks()[board.core].peak_macs_per_cycle['int8']:g} int8 / "
             f"{core_peaks()[board.core].peak_macs_per_cycle['fp32']:g} fp32 MACs per cycle, derived from the core's "
             f"SIMD width) with cycles per MAC fitted to 30 published XNNPACK figures "
             f"(power_models/boards/_tflite.toml)",
             f"threads: {threads} of {board.cores} cores; Amdahl parallel fraction p = {p:.3f} (fitted): the work "
             f"takes x{amdahl(threads, p):.3f} of its one-thread time, the per-layer overhead "
             f"{fit.layer_overhead_cycles:.3g} cycles is serial",
             f"{board.id}: inference current = idle {board.idle_a:.3g} A + {threads} x {board.per_core_a:.3g} A per "
             f"busy core + DRAM {board.dram_a:.3g} A + peripherals {peripheral_current_a(board, peripherals):+.3g} A "
             f"at {board.supply_v:g} V (board model, power_models/boards/{board.id}.toml)",
             peripheral_note(board, peripherals)]
    if runtime_id != "tflite":
        r = fit.runtime_ratio.get(runtime_id, {})
        notes.append(f"{runtime_id}: TFLite's built-in kernels without XNNPACK take x{r.get('fp32', 1):.3g} (fp32) "
                     f"and x{r.get('int8', 1):.3g} (int8) the XNNPACK time (derived, see _tflite.toml)")
    if threads == 1 and board.cores > 1:
        notes.append(f"threads: 1 (TFLite's interpreter default); --threads up to {board.cores} on {board.id}")
    lo, hi = fit.band
    if runtime_id != "tflite":
        lo, hi = lo / 1.5, hi * 1.5
    return BoardInference(latency_s=float(latency.sum()), layer_latency_s=latency, layer_cycles=cycles,
                          current_a=current, idle_a=idle, threads=threads,
                          assumptions=tuple(notes + board.assumptions()), band=(lo, hi), band_note=fit.band_note)


def board_band(inference: BoardInference, cost, calibrated: bool = False):
    """The :class:`bands.EstimateBand` of a Linux-board estimate: the latency band of the leave-one-out validation
    (widest when the board's core has no anchor), the energy band widened by the board-current uncertainty."""
    from ..bands import combine_bands

    lo, hi = inference.band
    energy = combine_bands((lo, hi), BOARD_CURRENT_BAND) if not calibrated else (lo, hi)
    low = (cost.latency_s * lo, cost.energy_j * energy[0])
    high = (cost.latency_s * hi, cost.energy_j * energy[1])
    why = (f"Linux-board latency model, x{lo:.2f}-{hi:.2f} from its leave-one-board-out / leave-one-model-out "
           f"validation ({inference.band_note}); energy x{energy[0]:.2f}-{energy[1]:.2f} with the board current's "
           f"x{BOARD_CURRENT_BAND[0]:.2f}-{BOARD_CURRENT_BAND[1]:.2f}")
    note = f"error band (80 % interval), basis fitted: {why}"
    summary = {"estimate_basis": "fitted", "estimate_basis_note": why, "band_interval": 0.8, "band_validated": True,
               "latency_low_s": low[0], "latency_high_s": high[0], "energy_low_j": low[1], "energy_high_j": high[1]}
    return BoardBand(summary, note, low, high, current_band=(1.0, 1.0) if calibrated else BOARD_CURRENT_BAND)


@dataclass(frozen=True)
class BoardBand(EstimateBand):
    """A Linux board's band: besides the inference at each end of its band (:meth:`EstimateBand.duty`), every phase
    of the duty cycle draws a board current (idle, boot, halt) known only to ``current_band``, so the average current
    spans at least that band and the battery life its inverse."""

    current_band: tuple = (1.0, 1.0)

    def duty(self, duty_result) -> dict:
        out = super().duty(duty_result)
        lo, hi = self.current_band
        s = duty_result.summary
        avg, life = s.get("average_current_a"), s.get("battery_life_days")
        if _isfinite(avg):
            out["average_current_low_a"] = min(out.get("average_current_low_a") or avg, avg * lo)
            out["average_current_high_a"] = max(out.get("average_current_high_a") or avg, avg * hi)
        if _isfinite(life):
            out["battery_life_low_days"] = min(out.get("battery_life_low_days") or life, life / hi)
            out["battery_life_high_days"] = max(out.get("battery_life_high_days") or life, life / lo)
        return out


def _isfinite(x) -> bool:
    return x is not None and math.isfinite(float(x))
