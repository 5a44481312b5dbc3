"""Kernel costs simulated from the real kernel code: the tables in ``power_models/kernels/`` and how a layer maps
onto them.

``kernel_sim/run.py`` compiles each open-source kernel library (CMSIS-NN, the TFLM reference kernels,
ESP-NN, ...) for each core class, runs every kernel over a grid of shapes on an instruction-set simulator, checks
its output against numpy and fits, per (library, kernel variant, core, build), a cost formula

    cycles = sum over features f of cycles_per_<f> x f

with the features of :func:`shape_features` (the same function computes them for the grid and for a model's
layers, so the fit and the cycle model agree). Cycles are core clock cycles with zero-wait-state memory; the cycle
model adds the memory system on top (flash wait states for weights, code-fetch stalls on parts without an
instruction cache) and a core class's measured ``timing_factor`` where the calibration table pins it.

A runtime version names the library it dispatches to (``kernels = "cmsis-nn-v7.0.0"``, per core where it differs)
and its usual build (``build = "O2"``); :func:`variant_of` picks the kernel the library's own wrapper would call for
a layer (``arm_convolve_wrapper_s8``, ``arm_depthwise_conv_wrapper_s8``, ESP-NN's dispatch), the runtime's
``kernel_overrides`` replace that choice where its own glue called another kernel, and a specialised kernel that
was not simulated falls back to the generic one. Closed runtimes are ``kernel_ratios`` per kernel kind times a
simulated baseline library (their code is not available to simulate).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..datafile import load_toml
from ..errors import UserError, unknown
from ..paths import data_dir

#: feature names, in the order of the coefficient keys ``cycles_per_<feature>`` (``macs`` -> ``cycles_per_mac``)
FEATURES = ("calls", "macs", "outputs", "pixels", "patch", "inputs", "channels", "tail", "taps")
COEFFICIENT_KEYS = {"calls": "cycles_per_call", "macs": "cycles_per_mac", "outputs": "cycles_per_output",
                    "pixels": "cycles_per_pixel", "patch": "cycles_per_patch", "inputs": "cycles_per_input",
                    "channels": "cycles_per_channel", "tail": "cycles_per_tail", "taps": "cycles_per_tap"}
#: int8 values one SIMD step consumes in the kernels the remainder (``tail``) feature describes
SIMD_LANES = 4
#: where a specialised kernel was not simulated, the kernel that serves instead
FALLBACK = {"conv_1x1": "conv", "conv_1x1_strided": "conv", "conv_1xn": "conv", "depthwise_3x3": "depthwise_opt",
            "depthwise_opt": "depthwise",
            # ESP-NN on the ESP32-S3 (see variant_of): kernels without a tick row of their own
            "conv_im2col": "conv", "conv_1x1_any": "conv_1x1", "depthwise_3x3_s16": "depthwise_3x3",
            "depthwise_mult1_s16": "depthwise", "depthwise_generic": "depthwise"}
#: libraries whose wrappers pick specialised kernels from the shape (the others have one kernel per operator)
CMSIS_FAMILIES = ("cmsis-nn-v7.0.0", "cmsis-nn-2020-09")
ESP_NN_FAMILIES = ("esp-nn-generic", "esp-nn-esp32s3")


def shape_features(kind: str, in_h: int, in_w: int, in_c: int, out_h: int, out_w: int, out_c: int,
                   k_h: int = 1, k_w: int = 1, batch: int = 1) -> dict:
    """The cost features of one kernel call (see the module docstring).

    kind: conv, depthwise, fc, add, mul, avgpool, maxpool or softmax. For fc: in_c input features, out_c output
    features, ``batch`` rows (spatial sizes 1). Pooling counts its window elements as ``macs``. ``taps``: kernel
    window positions visited (output pixels x k_h x k_w: the per-tap address and bounds work of the loops)."""
    pixels = out_h * out_w * batch
    outputs = pixels * out_c
    f = {"calls": 1, "macs": 0, "outputs": outputs, "pixels": pixels, "patch": 0,
         "inputs": in_h * in_w * in_c * batch, "channels": out_c, "tail": 0,
         "taps": pixels * k_h * k_w if kind in ("conv", "depthwise", "avgpool", "maxpool") else 0}
    if kind == "conv":
        reduction = k_h * k_w * in_c
        f.update(macs=outputs * reduction, patch=pixels * reduction, tail=outputs * (reduction % SIMD_LANES))
    elif kind == "depthwise":
        f.update(macs=outputs * k_h * k_w, tail=pixels * k_h * k_w * (out_c % SIMD_LANES))
    elif kind == "fc":
        f.update(macs=outputs * in_c, tail=outputs * (in_c % SIMD_LANES))
    elif kind in ("avgpool", "maxpool"):
        f.update(macs=outputs * k_h * k_w)
    return f


def same_padding(in_size: int, out_size: int, kernel: int, stride: int) -> int:
    """Leading padding TFLite's SAME/VALID arithmetic implies from the sizes (0 for VALID)."""
    return max(0, (out_size - 1) * max(stride, 1) + kernel - in_size) // 2


def variant_of(library: str, kind: str, *, k_h=1, k_w=1, stride_h=1, stride_w=1, pad_h=0, pad_w=0, in_h=1,
               in_c=1, out_c=1, out_w=1) -> str:
    """The kernel ``library``'s wrapper dispatches for a layer of this kind and shape."""
    if library == "esp-nn-esp32s3":
        return _esp32s3_variant(kind, k_h, k_w, stride_h, stride_w, pad_h, pad_w, in_c, out_c)
    if library in ESP_NN_FAMILIES:  # esp_nn_conv_s8_opt: any 1x1 filter takes esp_nn_conv_s8_1x1 (conv_opt.c)
        return "conv_1x1" if kind == "conv" and k_h == 1 and k_w == 1 else kind
    if library not in CMSIS_FAMILIES:
        return kind
    modern = library == "cmsis-nn-v7.0.0"
    if kind == "conv":
        if k_h == 1 and k_w == 1 and pad_h == 0 and pad_w == 0:
            if stride_h == 1 and stride_w == 1 and (modern or in_c % 4 == 0):
                return "conv_1x1"
            if modern:
                return "conv_1x1_strided"
        if in_h == 1 and k_h == 1 and ((stride_w * in_c) % 4 == 0 if modern else out_w % 4 == 0):
            return "conv_1xn"
        return "conv"
    if kind == "depthwise":
        if out_c != in_c:  # channel multiplier > 1
            return "depthwise"
        if k_h == 3 and k_w == 3 and pad_h <= 1 and (pad_w <= 1 or not modern):
            return "depthwise_3x3"
        return "depthwise_opt"
    return kind


def _esp32s3_variant(kind, k_h, k_w, stride_h, stride_w, pad_h, pad_w, in_c, out_c) -> str:
    """ESP-NN's ESP32-S3 dispatch, as ``esp_nn_conv_s8_esp32s3`` (src/convolution/esp_nn_conv_esp32s3.c) and
    ``esp_nn_depthwise_conv_s8_esp32s3`` (esp_nn_depthwise_conv_s8_esp32s3.c) of the snapshot choose:

    * convolution: a 1x1 filter with no padding and stride 1 takes the assembly ``mult8_1x1`` kernel when the input
      channels are a multiple of 8 (``conv_1x1``), else the C+SIMD ``esp_nn_conv_s8_1x1`` (``conv_1x1_any``); any
      other convolution whose filter row ``k_w x in_c`` is under 16 bytes while its window ``k_h x k_w x in_c`` is at
      least 16 (a first layer on 1-3 input channels: 3x3x3 = 27, KWS's 10x4x1 = 40) copies each window into a
      buffer and takes one dot product per output channel (``esp_nn_conv_s8_im2col_s3``: ``conv_im2col``);
      the rest (3x3 on 16+ channels, strided 1x1) pads the input and filter rows to 16 bytes and runs
      ``esp_nn_conv_s8_filter_aligned_input_padded_esp32s3`` (``conv``);
    * depthwise (channel multiplier 1): a 3x3 filter on channels that are a multiple of 16, or of 8 and at least 12,
      takes the s8 ``mult1_3x3_padded`` assembly (``depthwise_3x3``); 8 channels the s16 3x3 kernel
      (``depthwise_3x3_s16``); other filters on channels that are a multiple of 8, or any over 3, the s16
      ``mult1`` kernel (``depthwise_mult1_s16``); channel multipliers that are multiples of 4 or 8 the s16 ``mult4``
      / ``mult8`` kernels (``depthwise``); the rest the generic C ``esp_nn_depthwise_conv_s8_opt``
      (``depthwise_generic``).
    """
    if kind == "conv":
        if k_h == 1 and k_w == 1 and pad_h == 0 and pad_w == 0 and stride_h == 1 and stride_w == 1:
            return "conv_1x1" if in_c % 8 == 0 else "conv_1x1_any"
        if k_w * in_c < 16 <= k_h * k_w * in_c:
            return "conv_im2col"
        return "conv"
    if kind == "depthwise":
        ch_mult = out_c // max(in_c, 1) if out_c % max(in_c, 1) == 0 else 0
        if ch_mult == 1 and in_c % 8 == 0:
            if k_h == 3 and k_w == 3:
                return "depthwise_3x3" if in_c % 16 == 0 or in_c >= 12 else "depthwise_3x3_s16"
            return "depthwise_mult1_s16"
        if ch_mult == 1 and in_c > 3:
            return "depthwise_mult1_s16"
        if ch_mult and ch_mult % 4 == 0:
            return "depthwise"
        return "depthwise_generic"
    return kind


# --------------------------------------------------------------------------------------------- a model's layers
#: analysis op names -> the kernel kind of shape_features (layers of other ops have no simulated kernel)
OP_KINDS = {"CONV_2D": "conv", "DEPTHWISE_CONV_2D": "depthwise", "FULLY_CONNECTED": "fc", "ADD": "add",
            "MUL": "mul", "AVERAGE_POOL_2D": "avgpool", "MAX_POOL_2D": "maxpool", "SOFTMAX": "softmax"}


def _dims(shape) -> tuple:
    """(batch, h, w, c) of an NHWC-like shape; shorter shapes put their leading dimensions into the batch."""
    shape = [int(x) for x in (shape or [])] or [1]
    if len(shape) >= 4:
        return int(np.prod(shape[:-3])), shape[-3], shape[-2], shape[-1]
    return int(np.prod(shape[:-1])) if len(shape) > 1 else 1, 1, 1, shape[-1]


@dataclass(frozen=True)
class LayerShapes:
    """Per layer: the simulated-kernel kind ('' where none), its features and what variant selection needs."""

    kind: tuple
    features: dict                      # feature name -> float array
    geometry: tuple                     # per layer: kwargs of variant_of (without library and kind)
    _variants: dict = field(default_factory=dict, compare=False, repr=False)
    float_kind: tuple = ()              # per layer: the float32 kernel kind ('' where the layer is not float32)
    dequantize_elements: tuple = ()     # per layer: int8 weights a hybrid layer dequantizes per inference (0: none)

    def variants(self, library: str) -> tuple:
        if library not in self._variants:
            self._variants[library] = tuple(variant_of(library, k, **g) if k else "" for k, g in
                                            zip(self.kind, self.geometry))
        return self._variants[library]


def layer_shapes(rows: list) -> LayerShapes:
    """The kernel view of the analysis layer rows (dicts with op, input_shapes, output_shapes, kernel_*, stride_*;
    see :func:`.cycles.layer_rows`)."""
    kinds, geometry, float_kinds, dequantize = [], [], [], []
    feats = {name: np.zeros(len(rows)) for name in FEATURES}
    for i, r in enumerate(rows):
        kind = OP_KINDS.get(str(r.get("op", "")), "")
        act = str(r.get("act_dtype", "int8") or "int8").lower()
        float_kind = kind if act == "float32" and kind in FLOAT_KINDS else ""
        if act not in ("int8", "uint8"):
            kind = ""  # the int8 tables; float32 layers go to the float tables (float_kind)
        ins, outs = (r.get("input_shapes") or [[1]]), (r.get("output_shapes") or [[1]])
        n, in_h, in_w, in_c = _dims(ins[0])
        _, out_h, out_w, out_c = _dims(outs[0])
        k_h, k_w = int(r.get("kernel_h", 1) or 1), int(r.get("kernel_w", 1) or 1)
        s_h, s_w = int(r.get("stride_h", 1) or 1), int(r.get("stride_w", 1) or 1)
        if kind == "fc":
            batch_rows = max(int(np.prod(outs[0][:-1])) if len(outs[0]) > 1 else 1, 1)
            in_c = int(r.get("in_channels", 0) or in_c)
            f = shape_features("fc", 1, 1, in_c, 1, 1, out_c, batch=batch_rows)
        elif kind or float_kind:
            f = shape_features(kind or float_kind, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, batch=n)
        else:
            f = {}
        if float_kind == "fc":
            batch_rows = max(int(np.prod(outs[0][:-1])) if len(outs[0]) > 1 else 1, 1)
            in_c = int(r.get("in_channels", 0) or in_c)
            f = shape_features("fc", 1, 1, in_c, 1, 1, out_c, batch=batch_rows)
        for name, value in f.items():
            feats[name][i] = value
        kinds.append(kind)
        float_kinds.append(float_kind)
        hybrid = float_kind and str(r.get("weight_dtype", "") or "").lower() in ("int8", "uint8")
        dequantize.append(_weight_elements(float_kind, k_h, k_w, in_c, out_c) if hybrid else 0)
        geometry.append({"k_h": k_h, "k_w": k_w, "stride_h": s_h, "stride_w": s_w,
                         "pad_h": same_padding(in_h, out_h, k_h, s_h), "pad_w": same_padding(in_w, out_w, k_w, s_w),
                         "in_h": in_h, "in_c": in_c, "out_c": out_c, "out_w": out_w})
    return LayerShapes(kind=tuple(kinds), features=feats, geometry=tuple(geometry), float_kind=tuple(float_kinds),
                       dequantize_elements=tuple(dequantize))


def _weight_elements(kind: str, k_h: int, k_w: int, in_c: int, out_c: int) -> int:
    return {"conv": out_c * k_h * k_w * in_c, "depthwise": k_h * k_w * out_c, "fc": in_c * out_c}.get(kind, 0)


# --------------------------------------------------------------------------------------------- the tables
@dataclass(frozen=True)
class KernelCost:
    library: str
    variant: str
    core: str
    build: str
    function: str
    coefficients: dict                  # feature -> cycles per unit
    provenance: str                     # the `simulated` (or `source`) string of the table entry
    measured_on: str = "simulated"      # "simulated" or "source" (a published table)
    fit_max_error_pct: float = math.nan

    def cycles(self, features: dict) -> float:
        return float(sum(c * features.get(f, 0.0) for f, c in self.coefficients.items()))


@lru_cache(maxsize=None)
def _table_files() -> dict:
    folder = data_dir("power_models") / "kernels"
    return {p.stem: p for p in sorted(folder.glob("*.toml"))} if folder.is_dir() else {}


def libraries() -> list:
    return list(_table_files())


@lru_cache(maxsize=None)
def load_table(library: str) -> dict:
    """(variant, core, build) -> KernelCost for one library file."""
    files = _table_files()
    if library not in files:
        raise unknown("kernel library", library, files)
    raw = load_toml(files[library])
    out = {}
    for i, entry in enumerate(raw.get("kernel", [])):
        where = f"{files[library]} kernel {i + 1}"
        try:
            key = (entry["variant"], entry["core"], str(entry["build"]))
        except KeyError as exc:
            raise UserError(f"{where}: missing {exc.args[0]}") from None
        prov_kind = "simulated" if "simulated" in entry else "source" if "source" in entry else ""
        if not prov_kind:
            raise UserError(f"{where}: a kernel cost needs its provenance (`simulated` or `source`)")
        coeffs = {f: float(entry[k]) for f, k in COEFFICIENT_KEYS.items() if k in entry}
        if not coeffs:
            raise UserError(f"{where}: no cycles_per_* coefficient")
        out[key] = KernelCost(library=library, variant=key[0], core=key[1], build=key[2],
                              function=str(entry.get("function", "")), coefficients=coeffs,
                              provenance=str(entry[prov_kind]), measured_on=prov_kind,
                              fit_max_error_pct=float(entry.get("fit_max_error_pct", math.nan)))
    return out


@lru_cache(maxsize=None)
def builds(library: str, core: str) -> list:
    """The builds simulated for this library on this core (sorted)."""
    return sorted({b for (_, c, b) in load_table(library) if c == core})


def lookup(library: str, variant: str, core: str, build: str) -> KernelCost | None:
    """The cost of ``variant`` (or the kernel that serves in its place) on ``core`` with ``build``, or None."""
    table = load_table(library)
    while variant:
        hit = table.get((variant, core, build))
        if hit is not None:
            return hit
        variant = FALLBACK.get(variant, "")
    return None


@lru_cache(maxsize=None)
def has_core(library: str, core: str, build: str | None = None) -> bool:
    return any(c == core and (build is None or b == build) for (_, c, b) in load_table(library))


def kernel_core(runtime, core) -> str:
    """The core whose simulated tables serve ``runtime`` on ``core``: the core itself, else its ``kernel_proxy``
    (a stated stand-in), else '' (no simulated kernels: the cycle model keeps its per-MAC coefficients)."""
    library, build = runtime.kernels_for(core.id), runtime.build
    if not library or library not in _table_files():
        return ""
    for candidate in (core.id, core.kernel_proxy):
        if candidate and has_core(library, candidate, build):
            return candidate
    return ""


#: runtime ratio key per kernel kind (closed runtimes are a multiple of their baseline library per kind)
RATIO_OF_KIND = {"conv": "conv_ratio", "depthwise": "depthwise_ratio", "fc": "fc_ratio"}


def simulated_cycles(shapes: LayerShapes, runtime, table_core: str, core_id: str | None = None,
                     timing_factor: float = 1.0) -> tuple:
    """(cycles per layer, covered mask): the simulated kernel cost on ``table_core`` of each layer the library
    has a kernel for, times the core's ``timing_factor`` (real over simulated cycles where measured), the
    runtime's ratio for that kernel kind and its factor for ``core_id`` (closed runtimes); 0 and False
    elsewhere."""
    ratios = tuple(sorted(runtime.kernel_ratios.items()))
    factor = runtime.core_factors.get(core_id or table_core, 1.0) * timing_factor
    library = runtime.kernels_for(core_id or table_core)
    overrides = runtime.kernel_overrides
    key = ("cycles", library, runtime.build, table_core, ratios, factor, tuple(sorted(overrides.items())))
    hit = shapes._variants.get(key)
    if hit is not None:
        return hit
    ratio = {k: v * factor for k, v in ratios}
    n = len(shapes.kind)
    cycles, covered = np.zeros(n), np.zeros(n, dtype=bool)
    for i, (kind, variant) in enumerate(zip(shapes.kind, shapes.variants(library))):
        cost = lookup(library, overrides.get(variant, variant), table_core, runtime.build) if kind else None
        if cost is None:
            continue
        feats = {f: shapes.features[f][i] for f in FEATURES}
        cycles[i] = cost.cycles(feats) * ratio.get(RATIO_OF_KIND.get(kind, "other_ratio"), factor)
        covered[i] = True
    shapes._variants[key] = (cycles, covered)
    return cycles, covered


# --------------------------------------------------------------------------------------------- float32 and hybrid
#: the float32 kernels a runtime's interpreter runs: every TFLM kernel directory (reference, cmsis_nn, esp_nn, ...)
#: calls the reference float kernels for float32 tensors (tflite-micro micro/kernels/cmsis_nn/conv.cc Eval: case
#: kTfLiteFloat32 -> reference_ops::Conv), simulated in power_models/kernels/tflm-reference-float.toml
FLOAT_KERNELS = {"tflm": "tflm-reference-float"}
#: float kernel kinds simulated (others keep the cycle model's per-element estimate)
FLOAT_KINDS = ("conv", "depthwise", "fc", "add", "avgpool", "maxpool", "softmax")
#: cores without a float table of their own: the simulated core whose scalar FPU stands in (stated in the notes):
#: Cortex-M55 -> M33 (in-order Armv8-M mainline with FPv5; Helium, which the reference kernels do not use,
#: ignored; unicorn has no M55 model), Cortex-M85 -> M7 (dual-issue, FPv5 double precision)
FLOAT_PROXY = {"cortex-m55": "cortex-m33", "cortex-m85": "cortex-m7"}
FLOAT_BUILD = "O2"


def float_kernel_core(runtime, core) -> tuple:
    """(float library, table core) serving ``runtime``'s float32 layers on ``core`` (a CoreClass), or ('', '')."""
    library = FLOAT_KERNELS.get(runtime.interpreter, "")
    if not library or library not in _table_files():
        return "", ""
    for candidate in (core.id, core.kernel_proxy, FLOAT_PROXY.get(core.id, "")):
        if candidate and has_core(library, candidate, FLOAT_BUILD):
            return library, candidate
    return "", ""


def simulated_float_cycles(shapes: LayerShapes, library: str, table_core: str, timing_factor: float = 1.0) -> tuple:
    """(cycles per layer, covered mask) of the float32 layers on ``table_core``: the float kernel plus, for a hybrid
    layer (int8 weights, float32 activations), ``Dequantize<int8_t, float>`` of its weights every inference. TFLM
    has no hybrid kernel (micro/kernels/cmsis_nn/conv.cc, fully_connected.cc, depthwise_conv.cc Prepare: "Hybrid
    models are not supported on TFLite Micro."), so a hybrid layer is costed as a weight-only quantised graph runs
    in TFLM: a DEQUANTIZE of the weights, then the float kernel (see :func:`float_notes`)."""
    key = ("float", library, table_core, timing_factor)
    hit = shapes._variants.get(key)
    if hit is not None:
        return hit
    n = len(shapes.kind)
    cycles, covered = np.zeros(n), np.zeros(n, dtype=bool)
    dequantize = lookup(library, "dequantize", table_core, FLOAT_BUILD)
    for i, kind in enumerate(shapes.float_kind or ("",) * n):
        cost = lookup(library, kind, table_core, FLOAT_BUILD) if kind else None
        if cost is None:
            continue
        cycles[i] = cost.cycles({f: shapes.features[f][i] for f in FEATURES})
        elements = shapes.dequantize_elements[i] if shapes.dequantize_elements else 0
        if elements and dequantize is not None:
            cycles[i] += dequantize.cycles({"calls": 1, "outputs": elements})
        cycles[i] *= timing_factor
        covered[i] = True
    shapes._variants[key] = (cycles, covered)
    return cycles, covered


def float_notes(runtime, core, shapes: LayerShapes | None) -> list:
    """Assumption lines for a model with float32 (or hybrid) layers."""
    if shapes is None or not any(shapes.float_kind):
        return []
    library, table_core = float_kernel_core(runtime, core)
    if not library:
        return [f"float32 layers: {runtime.label} has no simulated float kernels on {core.id}; costed with the "
                f"per-MAC estimates x the core's float32_factor {core.float32_factor:g}"]
    where = core.id if table_core == core.id else f"{table_core}, standing in for {core.id} (not simulated)"
    built = "" if runtime.build == FLOAT_BUILD else f"; simulated at -{FLOAT_BUILD} only, not -{runtime.build}"
    lines = [f"float32 layers: TFLM reference float kernels simulated on {where} (power_models/kernels/{library}.toml"
             f"; FPU timings per core, soft-float where the core has none{built})"]
    if any(shapes.dequantize_elements or ()):
        lines.append("hybrid layers (int8 weights, float32 activations): TFLM has no hybrid kernel (its conv, depthwise "
                     "and fully connected Prepare reject them); costed as a DEQUANTIZE of the weights every inference "
                     "plus the float32 kernel")
    return lines


def modelled_basis(runtime, core) -> str:
    """'simulated' where the runtime's own kernels were simulated (or tick-measured) on this very core class;
    'extrapolated' otherwise: a closed runtime (a ratio to a simulated baseline), a stand-in core, or no table.
    ``core``: a :class:`~joulescope_free.hardware.runtimes.CoreClass` (this module reads the kernel tables and never
    imports the runtime catalog, which imports it). Whether the runtime was *measured* on the core is the
    validation's business."""
    if runtime.kernel_ratios:
        return "extrapolated"
    return "simulated" if kernel_core(runtime, core) == core.id else "extrapolated"


def kernel_notes(runtime, core) -> list:
    """Assumption lines that say where this runtime's kernel costs on ``core`` come from."""
    library = runtime.kernels_for(core.id)
    if not library:
        return []
    table_core = kernel_core(runtime, core)
    if not table_core:
        return [f"no {library} kernel table for {core.id} ({runtime.build}): {runtime.label} uses per-MAC estimates "
                f"scaled by the core's speed"]
    built = f"-{runtime.build}" if runtime.build[:1] == "O" else runtime.build
    where = core.id if table_core == core.id else f"{table_core}, standing in for {core.id} (not simulated)"
    conv = lookup(library, "conv", table_core, runtime.build)
    how = "simulated" if conv is None or conv.measured_on == "simulated" else "from published tick tables"
    lines = [f"kernels: {library} costs {how} on {where} with {built} (power_models/kernels; zero-wait memory, "
             f"flash wait states added by the cycle model)"]
    if core.timing_factor != 1.0:
        lines.append(f"{core.id}: real cycles taken as {core.timing_factor:.2f}x the simulated ones (fitted where the "
                     f"calibration table measures this core class)")
    if runtime.kernel_ratios:
        r = runtime.kernel_ratios
        factor = runtime.core_factors.get(core.id)
        lines.append(f"{runtime.label} (closed) costed as conv x{r.get('conv_ratio', 1):.2f}, depthwise "
                     f"x{r.get('depthwise_ratio', 1):.2f}, fully connected x{r.get('fc_ratio', 1):.2f} of {library}"
                     + (f", x{factor:.2f} on {core.id} where it was measured" if factor is not None else
                        f"; never measured on {core.id}: its ratios from the measured cores apply"))
    return lines
