"""Cycle model: layer table x runtime x core class x MCU memory -> cycles per layer.

For each operator, on the runtime's reference core (a Cortex-M4 with DSP instructions):

* MAC layers: ``macs_padded x cycles_per_mac(kind) x dtype_factor + outputs x requant + pixels x K x im2col``;
  the reduction length K (or, for depthwise, the channel count) is padded up to the core's SIMD lanes, so channel
  counts that do not fill the vector waste lanes;
* other layers: a cost per element (element-wise, activation, softmax, quantize), per input element (pooling) or
  per byte (copies); RESHAPE-like ops cost only the dispatch;
* every layer: ``layer_overhead_cycles``; every inference: ``invoke_overhead_cycles`` (a TFLM-interpreter runtime:
  the per-core simulated figures of :mod:`.interpreter` instead, not scaled by ``speed``).

The compute part is scaled by the core class's ``speed``. Where the runtime dispatches to a kernel library simulated
for the core (``power_models/kernels``, see :mod:`.kernels`), a layer that library has a kernel for costs the
simulated kernel's cycles instead (times the core class's measured timing factor, and for closed runtimes their
ratio to that library), plus the dispatch overhead. Memory (:mod:`.memory`: the part's memory map and where the
code, weights and arena live): every weight byte that must come from the weights' memory costs that memory's
cycles per byte (internal flash: ``wait_states(clock) / flash_line_bytes``, one access of ``ws`` wait states brings
a line in; TCM: nothing; QSPI flash or PSRAM: the line refill's bus time). A layer whose weights fit the data cache
reads them once; otherwise the kernel streams them ``traffic_per_mac`` times per MAC (twice-reused by
CMSIS-NN-style 2-pixel convolution kernels, once by FC). An arena outside zero-wait memory (PSRAM, AXI SRAM behind
the cache) costs its cycles per byte for each layer's input read once and output written back (refill + write-back).
Code fetched from flash stalls too where no instruction cache holds the kernels: :func:`fetch_stall_fraction` of
the compute cycles; code in TCM or SRAM never stalls.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .interpreter import overhead_cycles
from .kernels import float_kernel_core, kernel_core, layer_shapes, simulated_cycles, simulated_float_cycles
from .memory import LEGACY_EXTERNAL_CYCLES_PER_BYTE, placement

#: weight bytes fetched per MAC when the layer's weights do not stay in a cache (kernel structure)
TRAFFIC_PER_MAC = {"conv": 0.5, "transpose_conv": 0.5, "depthwise": 0.5, "fc": 1.0, "rnn": 1.0, "matmul": 0.0}
#: (kernel library, variant) -> weight bytes fetched per MAC where a kernel reuses each weight over more pixels:
#: ESP-NN's ESP32-S3 1x1 convolution "take[s] 8 input lines at a time ... to produce 8 outputs in parallel"
#: (esp-nn src/convolution/esp_nn_conv_esp32s3.c header, esp_nn_conv_s8_mult8_1x1_esp32s3.S)
TRAFFIC_PER_MAC_OF_VARIANT = {("esp-nn-esp32s3", "conv_1x1"): 1 / 8}
#: a cache-line refill over quad-SPI at half the core clock: 32 bytes x 2 clocks/byte + command ~ 3 cycles/byte
#: (parts without a memory map; see :mod:`.memory` for the per-part figures)
EXTERNAL_FLASH_CYCLES_PER_BYTE = LEGACY_EXTERNAL_CYCLES_PER_BYTE
DTYPE_BYTES = {"int8": 1, "uint8": 1, "int16": 2, "int32": 4, "float32": 4, "float16": 2, "int4": 0.5}


@dataclass(frozen=True)
class LayerArrays:
    """The numeric columns of a layer table the cycle model reads, extracted once per model."""

    kind: np.ndarray
    macs: np.ndarray
    outs: np.ndarray
    k: np.ndarray                 # reduction length per output (macs / outputs)
    chans: np.ndarray             # output channels (0 where not a channelled op)
    is_float: np.ndarray
    is_int16: np.ndarray
    in_elems: np.ndarray
    out_bytes: np.ndarray
    weights_bytes: np.ndarray
    weight_elem_bytes: np.ndarray
    index: object                 # the layer table's index (a range for records)
    shapes: object = None         # kernels.LayerShapes: the simulated-kernel view (None: coefficients only)


def layer_rows(layers) -> list:
    """The layer table as a list of row dicts: ``ModelAnalysis.records`` as they are, a DataFrame's rows with
    its missing cells (NaN) as None. The cycle model reads rows, so an estimate needs no pandas."""
    if isinstance(layers, list):
        return layers
    return [{k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
            for row in layers.to_dict(orient="records")]


def _numbers(rows: list, name: str, default: float = 0.0) -> np.ndarray:
    """One numeric column; a missing or empty cell is ``default``."""
    return np.array([default if r.get(name) is None else r[name] for r in rows], dtype=float)


def layer_arrays(layers) -> LayerArrays:
    """``layers``: ``ModelAnalysis.records`` (list of row dicts) or the analysis layer DataFrame."""
    rows = layer_rows(layers)
    act = [str(r.get("act_dtype", "int8")).lower() for r in rows]
    wdt = [str(r.get("weight_dtype", "int8")).lower() for r in rows]
    macs, outs = _numbers(rows, "macs"), _numbers(rows, "elements")
    act_bytes = np.array([DTYPE_BYTES.get(d, 1) for d in act], dtype=float)
    k = np.divide(macs, outs, out=np.zeros_like(macs), where=outs > 0)
    return LayerArrays(
        kind=np.array([str(r.get("kind")) for r in rows], dtype=object).astype(str), macs=macs, outs=outs, k=k,
        chans=_numbers(rows, "out_channels"),
        is_float=np.array(["float" in d for d in act], dtype=bool),
        is_int16=np.array([a == "int16" or w == "int16" for a, w in zip(act, wdt)], dtype=bool),
        in_elems=_numbers(rows, "input_bytes") / act_bytes,
        out_bytes=_numbers(rows, "bytes_written"),
        weights_bytes=_numbers(rows, "weights_bytes"),
        weight_elem_bytes=np.array([DTYPE_BYTES.get(d, 1) for d in wdt], dtype=float),
        index=getattr(layers, "index", range(len(rows))),
        shapes=layer_shapes(rows) if rows and "op" in rows[0] else None,
    )


def arena_estimate_bytes(a: LayerArrays) -> float:
    """A lower bound of the tensor arena from the layer table alone: the largest layer's input plus output."""
    act = a.in_elems * np.where(a.is_float, 4.0, np.where(a.is_int16, 2.0, 1.0))
    return float(np.max(act + a.out_bytes)) if len(act) else 0.0


def flash_cycles_per_byte(mcu, clock_hz: float, core, a: LayerArrays | None = None) -> float:
    """Stall cycles for each weight byte that must come from the weights' memory at this clock (``a``: the model,
    which decides where its weights fit where a part's default depends on it)."""
    if mcu is None:
        return 0.0
    weights, arena = (float(a.weights_bytes.sum()), arena_estimate_bytes(a)) if a is not None else (0.0, 0.0)
    return placement(mcu, weights, arena).weights.cycles_per_byte(mcu, clock_hz, core)


def layer_cycles(layers, runtime, core, mcu=None, clock_hz: float | None = None):
    """Per-layer ``compute_cycles``, ``memory_cycles`` and ``cycles`` (floats), in the order of ``layers``.

    ``layers``: the analysis layer table, or its :func:`layer_arrays` (faster when called many times)."""
    import pandas as pd

    a = layers if isinstance(layers, LayerArrays) else layer_arrays(layers)
    compute, memory = cycle_arrays(a, runtime, core, mcu, clock_hz)
    return pd.DataFrame({"compute_cycles": compute, "memory_cycles": memory, "cycles": compute + memory},
                        index=a.index)


def cycle_arrays(a: LayerArrays, runtime, core, mcu=None, clock_hz: float | None = None):
    """(compute_cycles, memory_cycles) per layer as numpy arrays: the model itself, without pandas."""
    c = runtime.coefficients
    kind, macs, outs, k = a.kind, a.macs, a.outs, a.k
    lanes = max(int(core.simd_lanes), 1)
    k_pad = np.ceil(k / lanes) * lanes
    chans = a.chans
    dw_pad = np.where(chans > 0, np.ceil(chans / lanes) * lanes / np.maximum(chans, 1), 1.0)
    dfac = np.where(a.is_float, core.float32_factor, np.where(a.is_int16, core.int16_factor, 1.0))
    is_conv = (kind == "conv") | (kind == "transpose_conv")
    is_dw = kind == "depthwise"
    is_fc = (kind == "fc") | (kind == "matmul") | (kind == "rnn")
    pixels = np.where(chans > 0, outs / np.maximum(chans, 1), outs)

    cyc = np.where(is_conv, outs * k_pad * c["conv_cycles_per_mac"] * dfac + pixels * k * c["im2col_cycles_per_element"], 0.0)
    cyc += np.where(is_dw, macs * dw_pad * c["depthwise_cycles_per_mac"] * dfac, 0.0)
    cyc += np.where(is_fc, outs * k_pad * c["fc_cycles_per_mac"] * dfac, 0.0)
    cyc += np.where(is_conv | is_dw | is_fc, outs * c["requant_cycles_per_output"], 0.0)
    per_unit = (
        ("elementwise", c["elementwise_cycles_per_element"] * outs * dfac),
        ("activation", c["activation_cycles_per_element"] * outs * dfac),
        ("softmax", c["softmax_cycles_per_element"] * outs * dfac),
        ("quantize", c["quantize_cycles_per_element"] * outs),
        ("other", c["other_cycles_per_element"] * outs * dfac),
        ("pool", c["pool_cycles_per_input"] * a.in_elems * dfac),
        ("data", c["copy_cycles_per_byte"] * a.out_bytes),
    )
    for name, cost in per_unit:
        cyc += np.where(kind == name, cost, 0.0)
    dispatch, _ = overhead_cycles(runtime, core, kind)  # per layer, cycles on this core (.interpreter)
    compute = cyc * core.speed + dispatch
    sim_core = kernel_core(runtime, core) if a.shapes is not None else ""
    if sim_core:  # kernels simulated for this core (or its stand-in) replace the per-MAC estimates
        sim, covered = simulated_cycles(a.shapes, runtime, sim_core, core.id, core.timing_factor)
        compute = np.where(covered, sim + dispatch, compute)
    float_library, float_core = float_kernel_core(runtime, core) if a.shapes is not None else ("", "")
    if float_library:  # float32 (and hybrid) layers: the simulated float kernels of the runtime's interpreter
        fsim, fcovered = simulated_float_cycles(a.shapes, float_library, float_core, core.timing_factor)
        compute = np.where(fcovered, fsim + dispatch, compute)

    memory = np.zeros(len(kind))
    if mcu is not None and clock_hz:
        where = placement(mcu, float(a.weights_bytes.sum()), arena_estimate_bytes(a))
        per_byte = where.weights.cycles_per_byte(mcu, clock_hz, core)
        if per_byte > 0:
            traffic_rate = np.array([TRAFFIC_PER_MAC.get(kd, 0.0) for kd in kind])
            library = runtime.kernels_for(core.id) if a.shapes is not None else ""
            for (lib, variant), rate in TRAFFIC_PER_MAC_OF_VARIANT.items():
                if lib == library:
                    traffic_rate = np.where(np.array(a.shapes.variants(lib)) == variant, rate, traffic_rate)
            streamed = macs * traffic_rate * a.weight_elem_bytes
            cache = float(getattr(mcu, "dcache_bytes", 0) or 0)
            traffic = np.where(a.weights_bytes <= cache, a.weights_bytes, np.maximum(streamed, a.weights_bytes))
            memory = traffic * per_byte
        arena_per_byte = where.arena.cycles_per_byte(mcu, clock_hz, core)
        if arena_per_byte > 0:  # each layer's input read once, its output refilled and written back
            act_in = a.in_elems * np.where(a.is_float, 4.0, np.where(a.is_int16, 2.0, 1.0))
            memory = memory + (act_in + 2.0 * a.out_bytes) * arena_per_byte
        if where.code.kind in ("flash", "qspi"):
            memory = memory + compute * fetch_stall_fraction(mcu, clock_hz)
        memory = memory + compute * xip_fetch_fraction(where.code, mcu, clock_hz, core)
    return compute, memory


#: instruction bytes an in-order core fetches per executed cycle in kernel loops: mixed 16/32-bit code (RV32IMC
#: "C", Thumb-2) at about 0.8 instructions per cycle (the simulated rv32imc TFLM reference convolution: 9.1 M
#: instructions in 11.5 M cycles), about 3 bytes each
CODE_BYTES_PER_CYCLE = 2.4


def xip_fetch_fraction(code, mcu, clock_hz: float, core) -> float:
    """Cycles lost per executed cycle when the kernels execute in place from a serial flash of a memory map
    (``[memory] code_in`` a ``qspi`` region with bus figures) and no instruction cache holds them (MIK32's SPIFI):
    every fetched byte comes over the bus, ``CODE_BYTES_PER_CYCLE x`` the region's cycles per byte. 0 with an
    instruction cache of :data:`ICACHE_HOLDS_KERNELS_BYTES` or more, and for parts without a map."""
    if code.kind != "qspi" or code.fixed_cycles_per_byte >= 0 or not code.bus_clock_hz:
        return 0.0
    if float(getattr(mcu, "icache_bytes", 0) or 0) >= ICACHE_HOLDS_KERNELS_BYTES:
        return 0.0
    return CODE_BYTES_PER_CYCLE * code.cycles_per_byte(mcu, clock_hz, core)


#: an instruction cache at least this large holds the kernels' loops (CMSIS-NN's hottest code is a few KiB)
ICACHE_HOLDS_KERNELS_BYTES = 4096


def unknown_cache_ratio(arrays, runtime, core, mcu, clock_hz: float) -> float:
    """Cycles with an instruction cache that holds the kernels over the cycles as estimated, for a part whose code
    executes in place from serial flash (:func:`xip_fetch_fraction` > 0) and whose instruction-cache size is not a
    sourced figure (MIK32's SPIFI): the other answer to an unknown that dominates the latency, which the error band
    must reach. 1.0 for every other part."""
    import dataclasses

    if (getattr(mcu, "provenance", {}) or {}).get("icache_bytes", ("source", ""))[0] == "source":
        return 1.0
    if float(getattr(mcu, "icache_bytes", 0) or 0) >= ICACHE_HOLDS_KERNELS_BYTES:
        return 1.0
    from .memory import placement

    code = placement(mcu, float(np.sum(arrays.weights_bytes)), 0.0).code
    if xip_fetch_fraction(code, mcu, clock_hz, core) <= 0:
        return 1.0
    cached = dataclasses.replace(mcu, icache_bytes=ICACHE_HOLDS_KERNELS_BYTES)
    nominal = total_cycles(*cycle_arrays(arrays, runtime, core, mcu, clock_hz), runtime, core)
    return float(total_cycles(*cycle_arrays(arrays, runtime, core, cached, clock_hz), runtime, core) / nominal)


@lru_cache(maxsize=None)
def _fetch_stall_per_wait_state() -> float:
    from ..datafile import as_figure, load_toml
    from ..paths import data_dir

    path = data_dir("power_models") / "memory_system.toml"
    return float(as_figure(load_toml(path)["fetch_stall_per_wait_state"], str(path)).value)


def fetch_stall_fraction(mcu, clock_hz: float) -> float:
    """Cycles lost fetching code from flash, per executed cycle: ``fetch_stall_per_wait_state x wait states`` on
    parts that run from internal flash without an instruction cache that holds the kernels (a prefetch buffer or
    a small ART-style line cache only); 0 with such a cache, no wait states, or code in RAM."""
    if getattr(mcu, "flash_kind", "internal") != "internal":
        return 0.0
    if float(getattr(mcu, "icache_bytes", 0) or 0) >= ICACHE_HOLDS_KERNELS_BYTES:
        return 0.0
    return _fetch_stall_per_wait_state() * mcu.wait_states(clock_hz)


def total_cycles(compute: np.ndarray, memory: np.ndarray, runtime, core) -> float:
    """One inference: every layer plus the runtime's per-inference overhead."""
    return float(compute.sum() + memory.sum() + overhead_cycles(runtime, core, ())[1])


def inference_cycles(layers, runtime, core, mcu=None, clock_hz: float | None = None) -> tuple:
    """Per-layer cycles (DataFrame) and the total for one inference."""
    per_layer = layer_cycles(layers, runtime, core, mcu, clock_hz)
    return per_layer, total_cycles(per_layer["compute_cycles"].to_numpy(), per_layer["memory_cycles"].to_numpy(),
                                   runtime, core)
