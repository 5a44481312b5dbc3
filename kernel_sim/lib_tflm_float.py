"""TFLite Micro reference float32 kernels and the reference hybrid (dynamic-range) convolution, on cores with a
single-precision FPU (hard-float build) and on cores without one (soft-float: libgcc's ``__aeabi_f*`` routines are
executed instructions, costed by the integer timing tables).

Driver ``tflm_float_driver.cc`` (one ELF per core and build; ``g_variant`` picks the kernel). Builds:

* cortex-m4 ``-mfloat-abi=hard -mfpu=fpv4-sp-d16`` (M4F), cortex-m33 ``-mfpu=fpv5-sp-d16`` (M33F), cortex-m7
  ``-mfpu=fpv5-d16`` (double-precision FPU, as the STM32H7 and i.MX RT1062 parts); cortex-m0plus and cortex-m3
  ``-mfloat-abi=soft``. GCC's default ``-ffp-contract=fast`` turns ``total += a * b`` into VFMA.F32 (fused, one
  rounding) on the FPU builds; the soft-float builds call ``__aeabi_fmul`` then ``__aeabi_fadd`` (two roundings).
* The Cortex-M55 is not simulated: unicorn 2 (QEMU 5) has no Cortex-M55 model. Its scalar FPU is costed with the
  cortex-m33 table through the core's ``kernel_proxy`` in the cycle model (stated there), which ignores Helium.

Numpy references (``reference_*`` below) repeat each kernel's operation order in float32: the accumulation runs
over the same loop order as the C code (one element at a time, vectorised only across outputs), and where the
FPU build fuses a multiply-add the reference rounds once (:func:`fma32`, an exact emulation through float64 with
a two-sum correction of the double rounding). The one exception is ``expf`` in the float softmax: newlib's
``expf`` is not correctly rounded, and which of its polynomial steps GCC fused when newlib was built is not
visible, so its values are read from the target (a helper entry of the driver) and checked to ``EXPF_MAX_ULP``
of the float64 exp; the max, subtraction, sum and division around it are checked bit for bit. Every other
simulated output matches numpy bit for bit.

Hybrid: TFLite's reference hybrid convolution is ``reference_ops::HybridConvPerChannel`` (tensorflow/lite/kernels/
internal/reference/conv.h) after ``tensor_utils::AsymmetricQuantizeFloats`` of the input, as TFLite's
``conv.cc`` EvalHybridPerChannel runs it. TFLM's own micro kernels do not dispatch hybrid layers (its conv and
fully_connected Prepare reject a float input with int8 weights in upstream TFLM; the micro/ sources are not in the
shared snapshot, so this is stated, not checked here). There is no hybrid fully connected or depthwise in the
reference headers' float path that TFLM would call: the cycle model costs those as ``dequantize`` (the weights,
``reference_ops::Dequantize<int8_t, float>``, simulated here) plus the float kernel.
"""
from __future__ import annotations

import os
import zlib
from pathlib import Path

import numpy as np

import grids
import sim
import timing
from lib_tflm_reference import DriverLibrary

HERE = Path(__file__).resolve().parent
THIRD_PARTY = Path(os.environ.get("KERNELS_THIRD_PARTY", getattr(sim, "THIRD_PARTY", "/work/shared/third_party")))
TFLM = THIRD_PARTY / "tflite-micro"


def _gemmlowp_include() -> Path:
    """gemmlowp's fixedpoint/ headers (the reference headers include them): Debian libgemmlowp-dev, else the copy
    the TensorFlow wheel ships (the [tf] extra)."""
    debian = Path("/usr/include/gemmlowp")
    if (debian / "fixedpoint").is_dir():
        return debian
    try:
        import importlib.util

        spec = importlib.util.find_spec("tensorflow")
        if spec and spec.submodule_search_locations:
            tf = Path(list(spec.submodule_search_locations)[0]) / "include" / "external" / "gemmlowp"
            if (tf / "fixedpoint").is_dir():
                return tf
    except (ImportError, ValueError):
        pass
    return debian


LIBRARY = "tflm-reference-float"
NAME = "TFLite Micro reference float32 and hybrid kernels"
SOURCE = ("tensorflow/tflite-micro commit 90b983c2b3f1 (2026-08-20), tensorflow/lite/kernels/internal/reference "
          "(conv.h, depthwiseconv_float.h, fully_connected.h, add.h, pooling.h, softmax.h, dequantize.h, "
          "portable_tensor_utils.cc; copy in shared/third_party/tflite-micro), Apache-2.0; newlib libm expf and "
          "libgcc soft-float from Debian gcc-arm-none-eabi / libnewlib-arm-none-eabi")
#: FPU flags per core; cores not listed build soft-float
FPU_FLAGS = {"cortex-m4": ("-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"),
             "cortex-m33": ("-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"),
             "cortex-m7": ("-mfloat-abi=hard", "-mfpu=fpv5-d16")}
CORES = ("cortex-m4", "cortex-m7", "cortex-m33", "cortex-m0plus", "cortex-m3", "riscv32")  # riscv32: soft-float
BUILDS = ("O2",)

VARIANT_IDS = {"conv": 0, "depthwise": 1, "fc": 2, "add": 3, "avgpool": 4, "maxpool": 5, "softmax": 6,
               "dequantize": 7, "hybrid_conv": 8}

conv, dw, pool = grids.conv_shape, grids.depthwise_shape, grids.pool_shape
# Smaller than the int8 grids (soft-float costs ~100 instructions per MAC to simulate), same structure: realistic
# channel counts, first-layer shapes, 1x1, strided, 5x5 and 1xn. The first shape is the table's typical one.
CONV_GRID = [
    conv(10, 10, 16, 16, 3, 3, 1, 1), conv(8, 8, 8, 8, 3, 3), conv(8, 8, 3, 16, 3, 3, 1, 1),
    conv(8, 8, 1, 8, 3, 3, 1, 1), conv(6, 6, 32, 8, 3, 3), conv(9, 9, 8, 8, 3, 3, 2, 1), conv(8, 8, 16, 16, 1, 1),
    conv(6, 6, 32, 16, 1, 1), conv(8, 8, 3, 8, 1, 1), conv(8, 8, 4, 4, 5, 5), conv(8, 8, 4, 4, 5, 5, 1, 2),
    conv(1, 20, 8, 8, 1, 5, 1, (0, 2)), conv(11, 11, 3, 8, 5, 5, 2, 2),
]
DEPTHWISE_GRID = [
    dw(10, 10, 16, 3, 3, 1, 1), dw(12, 12, 8, 3, 3, 1, 1), dw(6, 6, 64, 3, 3, 1, 1), dw(8, 8, 3, 3, 3, 1, 1),
    dw(10, 10, 16, 3, 3, 2, 1), dw(9, 9, 24, 3, 3, 2, 0), dw(8, 8, 8, 5, 5, 1, 2), dw(6, 6, 8, 3, 3, 1, 1, ch_mult=2),
    dw(8, 8, 12, 1, 1), dw(1, 20, 16, 1, 9, 1, (0, 4)),
]
FC_GRID = [grids.fc_shape(i, o, b) for i, o, b in [(256, 32, 1), (64, 10, 1), (128, 64, 1), (512, 16, 1),
                                                   (10, 64, 1), (250, 12, 1), (32, 128, 1), (64, 16, 4),
                                                   (3, 32, 1)]]
ELTWISE_GRID = [grids.eltwise_shape(h, w, c) for h, w, c in [(8, 8, 16), (16, 16, 8), (1, 1, 10), (4, 4, 3),
                                                             (10, 10, 32), (1, 1, 200)]]
POOL_GRID = [pool(16, 16, 8, 2, 2, 2), pool(12, 12, 16, 3, 3, 2, 1), pool(8, 8, 32, 8, 8, 1),
             pool(12, 12, 4, 3, 3, 1, 1), pool(6, 6, 64, 6, 6, 1), pool(1, 40, 16, 1, 4, 4),
             pool(16, 16, 3, 5, 5, 3, 2)]
SOFTMAX_GRID = [grids.softmax_shape(r, c) for r, c in [(1, 10), (1, 2), (1, 12), (1, 35), (1, 100), (4, 10),
                                                       (1, 256), (8, 4)]]
DEQUANTIZE_GRID = [grids.eltwise_shape(1, 1, n) for n in (1024, 16, 100, 640, 4096, 3000)]

_CONV_FEATURES = ["macs", "outputs", "pixels", "taps"]
VARIANTS = {
    "conv": {"kind": "conv", "function": "tflite::reference_ops::Conv (float)",
             "features": _CONV_FEATURES, "grid": CONV_GRID, "typical": CONV_GRID[0]},
    "depthwise": {"kind": "depthwise", "function": "tflite::reference_ops::DepthwiseConv (float)",
                  "features": _CONV_FEATURES, "grid": DEPTHWISE_GRID, "typical": DEPTHWISE_GRID[0]},
    "fc": {"kind": "fc", "function": "tflite::reference_ops::FullyConnected (float)",
           "features": ["calls", "macs", "outputs", "pixels"], "grid": FC_GRID, "typical": FC_GRID[0]},
    "add": {"kind": "add", "function": "tflite::reference_ops::Add<float>",
            "features": ["calls", "outputs"], "grid": ELTWISE_GRID, "typical": ELTWISE_GRID[0]},
    "avgpool": {"kind": "avgpool", "function": "tflite::reference_ops::AveragePool (float)",
                "features": ["calls", "macs", "outputs", "pixels"], "grid": POOL_GRID, "typical": POOL_GRID[0]},
    "maxpool": {"kind": "maxpool", "function": "tflite::reference_ops::MaxPool (float)",
                "features": ["calls", "macs", "outputs", "pixels"], "grid": POOL_GRID, "typical": POOL_GRID[0]},
    "softmax": {"kind": "softmax", "function": "tflite::reference_ops::Softmax (float)",
                "features": ["calls", "outputs", "pixels"], "grid": SOFTMAX_GRID, "typical": SOFTMAX_GRID[0]},
    "dequantize": {"kind": "add", "function": "tflite::reference_ops::Dequantize<int8_t, float>",
                   "features": ["calls", "outputs"], "grid": DEQUANTIZE_GRID, "typical": DEQUANTIZE_GRID[0]},
    "hybrid_conv": {"kind": "conv", "function": "tflite::tensor_utils::PortableAsymmetricQuantizeFloats + "
                                                "tflite::reference_ops::HybridConvPerChannel",
                    "features": _CONV_FEATURES + ["inputs"], "grid": CONV_GRID, "typical": CONV_GRID[0]},
}


# --------------------------------------------------------------------------------------------- numpy references
F32, F64 = np.float32, np.float64


def fma32(a, b, c) -> np.ndarray:
    """float32 fused multiply-add, rounded once (VFMA.F32): a*b is exact in float64; a two-sum keeps the error of
    the float64 addition, which decides the rare ties where rounding twice would differ."""
    a, b, c = (np.asarray(v, dtype=F32) for v in (a, b, c))
    p = a.astype(F64) * b.astype(F64)
    cc = np.broadcast_to(c.astype(F64), p.shape)
    s = p + cc
    bb = s - p
    err = (p - (s - bb)) + (cc - bb)
    r = s.astype(F32)
    r64 = r.astype(F64)
    lo = np.where(r64 <= s, r, np.nextafter(r, F32(-np.inf)))
    hi = np.nextafter(lo, F32(np.inf))
    tie = (s == (lo.astype(F64) + hi.astype(F64)) / 2) & (err != 0)
    return np.where(tie, np.where(err > 0, hi, lo), r).astype(F32)


def _mac(total, x, w, fused: bool):
    return fma32(x, w, total) if fused else (total + (x * w).astype(F32)).astype(F32)


EXPF_ID = 9  # the driver's expf helper (not a table variant)
#: newlib's expf (fdlibm sf_exp.c on the single-precision and soft-float builds, compiled with fused
#: multiply-adds where the FPU has them) is not correctly rounded; its result is checked to this many ulp of
#: the float64 exp, and the softmax reference then uses the target's exp values (everything else bit for bit)
EXPF_MAX_ULP = 1


def softmax_arguments(x, beta: float) -> np.ndarray:
    """(x - row max) x beta in float32, the argument of each std::exp of reference_ops::Softmax."""
    m = x.max(axis=1, keepdims=True)
    return ((x - m).astype(F32) * F32(beta)).astype(F32)


def check_expf(arguments, values) -> None:
    exact = np.exp(arguments.astype(F64)).astype(F32)
    ulp = np.abs(values.view(np.int32).astype(np.int64) - exact.view(np.int32))
    if ulp.max(initial=0) > EXPF_MAX_ULP:
        raise AssertionError(f"target expf is {int(ulp.max())} ulp from exp (allowed {EXPF_MAX_ULP})")


def _taps(shape):
    """For every filter tap (fy, fx): (fy, fx, valid, iy, ix), where ``valid`` [out_h, out_w] marks the outputs whose
    input row/column for that tap lies inside the image (the rest is padding) and iy, ix are those input coordinates,
    clipped into the image so they can index it."""
    oy = np.arange(shape["out_h"])[:, None] * shape["stride_h"] - shape["pad_h"]
    ox = np.arange(shape["out_w"])[None, :] * shape["stride_w"] - shape["pad_w"]
    for fy in range(shape["k_h"]):
        for fx in range(shape["k_w"]):
            iy, ix = oy + fy, ox + fx
            valid = (iy >= 0) & (iy < shape["in_h"]) & (ix >= 0) & (ix < shape["in_w"])
            yield fy, fx, valid, np.clip(iy, 0, shape["in_h"] - 1), np.clip(ix, 0, shape["in_w"] - 1)


def reference_conv(x, w, bias, shape, fused: bool):
    n, oh, ow, co = shape["batch"], shape["out_h"], shape["out_w"], shape["out_c"]
    total = np.zeros((n, oh, ow, co), dtype=F32)
    for fy, fx, valid, iyc, ixc in _taps(shape):
        for ic in range(shape["in_c"]):
            xv = np.broadcast_to(x[:, iyc, ixc, ic], (n, oh, ow))[..., None]
            new = _mac(total, xv, w[:, fy, fx, ic], fused)
            total = np.where(valid[None, :, :, None], new, total)
    return (total + bias).astype(F32)


def reference_depthwise(x, w, bias, shape, fused: bool):
    n, oh, ow, co = shape["batch"], shape["out_h"], shape["out_w"], shape["out_c"]
    mult = shape.get("ch_mult", 1)
    total = np.zeros((n, oh, ow, co), dtype=F32)
    ic_of = np.arange(co) // mult
    for fy, fx, valid, iyc, ixc in _taps(shape):
        xv = np.broadcast_to(x[:, iyc, ixc, :], (n, oh, ow, x.shape[3]))[..., ic_of]
        new = _mac(total, xv, w[0, fy, fx, :], fused)
        total = np.where(valid[None, :, :, None], new, total)
    return (total + bias).astype(F32)


def reference_fc(x, w, bias, fused: bool):
    total = np.zeros((x.shape[0], w.shape[0]), dtype=F32)
    for d in range(x.shape[1]):
        total = _mac(total, x[:, d:d + 1], w[None, :, d], fused)
    return (total + bias).astype(F32)


def reference_pool(x, shape, kind: str):
    n, oh, ow, c = shape["batch"], shape["out_h"], shape["out_w"], shape["out_c"]
    total = np.full((n, oh, ow, c), np.finfo(F32).min if kind == "maxpool" else 0.0, dtype=F32)
    count = np.zeros((oh, ow), dtype=F32)
    for _, _, valid, iyc, ixc in _taps(shape):
        xv = x[:, iyc, ixc, :]
        new = np.maximum(total, xv) if kind == "maxpool" else (total + xv).astype(F32)
        total = np.where(valid[None, :, :, None], new, total)
        count = (count + valid.astype(F32)).astype(F32)
    if kind == "maxpool":
        return total
    return (total / count[None, :, :, None]).astype(F32)


def reference_softmax(x, beta: float, exp_values):
    """``exp_values``: the target's expf of :func:`softmax_arguments` (see EXPF_MAX_ULP)."""
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        e = exp_values[i]
        s = F32(0.0)
        for v in e:
            s = F32(s + v)
        out[i] = (e / s).astype(F32)
    return out


def reference_dequantize(q, scale: float, zero_point: int):
    return (F64(scale) * (q.astype(np.int32) - zero_point).astype(F64)).astype(F32)


def _round_half_away(v):
    return np.where(v >= 0, np.floor(v + 0.5), np.ceil(v - 0.5))


def asymmetric_quantize(values, fused: bool):
    """tensor_utils::PortableAsymmetricQuantizeFloats: (int8 values, float32 scaling factor, int32 offset)."""
    rmin = float(min(F32(0.0), values.min()))
    rmax = float(max(F32(0.0), values.max()))
    if rmin == rmax:
        return np.zeros(values.shape, np.int8), F32(1.0), 0
    scale = (rmax - rmin) / (127.0 - (-128.0))
    from_min, from_max = -128.0 - rmin / scale, 127.0 - rmax / scale
    zp = from_min if (128.0 + abs(rmin / scale)) < (127.0 + abs(rmax / scale)) else from_max
    offset = -128 if zp <= -128.0 else 127 if zp >= 127.0 else int(_round_half_away(np.float64(zp)))
    factor = F32(scale)
    inv = F32(F32(1.0) / factor)
    scaled = fma32(values, inv, F32(offset)) if fused else (F32(offset) + (values * inv).astype(F32)).astype(F32)
    q = np.clip(_round_half_away(scaled.astype(F64)), -128, 127).astype(np.int8)
    return q, factor, offset


def reference_hybrid_conv(x, wq, channel_scales, bias, shape, fused: bool):
    n = shape["batch"]
    qs, factors, offsets = zip(*(asymmetric_quantize(x[b].ravel(), fused) for b in range(n)))
    xq = np.stack(qs).reshape(x.shape).astype(np.int64)
    oh, ow, co = shape["out_h"], shape["out_w"], shape["out_c"]
    acc = np.zeros((n, oh, ow, co), dtype=np.int64)
    off = np.array(offsets, dtype=np.int64)[:, None, None]
    for fy, fx, valid, iyc, ixc in _taps(shape):
        for ic in range(shape["in_c"]):
            xv = (xq[:, iyc, ixc, ic] - off)[..., None]
            acc += np.where(valid[None, :, :, None], xv * wq[:, fy, fx, ic].astype(np.int64), 0)
    acc_f = acc.astype(np.int32).astype(F32)
    factor = np.array(factors, dtype=F32)[:, None, None, None]
    scaled = (acc_f * channel_scales).astype(F32)
    out = fma32(scaled, factor, bias) if fused else ((scaled * factor).astype(F32) + bias).astype(F32)
    return out.astype(F32)


# --------------------------------------------------------------------------------------------- cases
def _rng(name: str, shape: dict) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(("float", name, sorted(shape.items()))).encode()))


def case(variant: str, shape: dict, core: str) -> tuple:
    """(globals for the driver, expected float32 output) of one grid point on ``core`` (FPU builds fuse)."""
    fused = core in FPU_FLAGS
    rng = _rng(variant, shape)
    n, c_in, c_out = shape["batch"], shape["in_c"], shape["out_c"]
    x = rng.standard_normal((n, shape["in_h"], shape["in_w"], c_in)).astype(F32)
    g = {"g_variant": VARIANT_IDS[variant], **_shape_globals(shape), "g_input": x}
    kh, kw = shape["k_h"], shape["k_w"]
    if variant in ("conv", "depthwise", "hybrid_conv"):
        reduction = kh * kw * (c_in if variant != "depthwise" else 1)
        bias = (0.1 * rng.standard_normal(c_out)).astype(F32)
        g.update(g_bias=bias, g_depth_multiplier=shape.get("ch_mult", 1))
        if variant == "hybrid_conv":
            wq = rng.integers(-127, 128, size=(c_out, kh, kw, c_in), dtype=np.int8)
            scales = (rng.uniform(0.5, 2.0, c_out) / (127.0 * np.sqrt(reduction))).astype(F32)
            g.update(g_filter_q=wq, g_channel_scales=scales)
            return g, reference_hybrid_conv(x, wq, scales, bias, shape, fused)
        wshape = (c_out, kh, kw, c_in) if variant == "conv" else (1, kh, kw, c_out)
        w = (rng.standard_normal(wshape) / np.sqrt(reduction)).astype(F32)
        g.update(g_filter=w)
        if variant == "conv":
            return g, reference_conv(x, w, bias, shape, fused)
        return g, reference_depthwise(x, w, bias, shape, fused)
    if variant == "fc":
        x = x.reshape(n, c_in)
        w = (rng.standard_normal((c_out, c_in)) / np.sqrt(c_in)).astype(F32)
        bias = (0.1 * rng.standard_normal(c_out)).astype(F32)
        g.update(g_input=x, g_filter=w, g_bias=bias)
        return g, reference_fc(x, w, bias, fused)
    if variant == "add":
        x2 = rng.standard_normal(x.shape).astype(F32)
        g.update(g_input2=x2)
        return g, (x + x2).astype(F32)
    if variant in ("avgpool", "maxpool"):
        return g, reference_pool(x, shape, variant)
    if variant == "softmax":
        x = (3.0 * x.reshape(n, c_in)).astype(F32)
        g.update(g_input=x, g_beta=F32(1.0).view(np.uint32).item())
        return g, x  # FloatLibrary.simulate builds the expected output with the target's expf
    if variant == "dequantize":
        q = rng.integers(-128, 128, size=c_out, dtype=np.int8)
        scale, zp = 0.0173, int(rng.integers(-20, 21))
        g.update(g_filter_q=q, g_zero_point=zp, g_scale=np.array([scale], dtype=F64))
        return g, reference_dequantize(q, scale, zp)
    raise KeyError(variant)


def _shape_globals(shape) -> dict:
    return {"g_batch": shape["batch"], "g_in_h": shape["in_h"], "g_in_w": shape["in_w"], "g_in_c": shape["in_c"],
            "g_out_h": shape["out_h"], "g_out_w": shape["out_w"], "g_out_c": shape["out_c"],
            "g_k_h": shape["k_h"], "g_k_w": shape["k_w"], "g_stride_h": shape["stride_h"],
            "g_stride_w": shape["stride_w"], "g_pad_h": shape["pad_h"], "g_pad_w": shape["pad_w"]}


# --------------------------------------------------------------------------------------------- the library
class FloatLibrary(DriverLibrary):
    """DriverLibrary with a per-core FPU build and float32 outputs compared bit for bit (as uint32 patterns)."""

    def elf(self, core: str, build: str) -> Path:
        if (core, build) not in self._elves:
            missing = [str(f) for f in self._sources if not Path(f).is_file()]
            if missing:
                raise FileNotFoundError(f"{self.LIBRARY}: missing {', '.join(missing)} (set KERNELS_THIRD_PARTY)")
            if core == "riscv32":  # RV32IMC (ESP32-C3, GD32VF103, MIK32: no F extension): soft-float, picolibc
                import sim_riscv

                stubs = [HERE / "rv32_abort_stubs.c"]  # abort()'s system calls, never reached
                self._elves[(core, build)] = sim_riscv.build(self._sources + stubs, build, **self._build_args)
            else:
                self._elves[(core, build)] = sim.build(self._sources, core, build,
                                                       extra_flags=FPU_FLAGS.get(core, ()), **self._build_args)
        return self._elves[(core, build)]

    def simulate(self, variant: str, core: str, build: str, shape: dict) -> sim.Result:
        g, expected = self._case(variant, shape, core)
        if variant == "softmax":
            args = softmax_arguments(expected, 1.0)
            helper = {"g_variant": EXPF_ID, "g_out_c": args.size, "g_input": args}
            raw = sim.run(self.elf(core, build), core, helper, {"g_output": args.size * 4}).outputs["g_output"]
            exp_values = np.frombuffer(raw, dtype=F32).reshape(args.shape)
            check_expf(args, exp_values)
            expected = reference_softmax(expected, 1.0, exp_values)
        result = sim.run(self.elf(core, build), core, g, {"g_output": expected.size * 4})
        got = np.frombuffer(result.outputs["g_output"], dtype=F32).reshape(expected.shape)
        differ = got.view(np.uint32) != expected.astype(F32).view(np.uint32)
        if differ.any():
            worst = int(np.max(np.abs(got.view(np.int32).astype(np.int64) - expected.view(np.int32))))
            raise AssertionError(f"{self.LIBRARY} {variant} on {core} -{build}, "
                                 f"{grids.label(self.VARIANTS[variant]['kind'], shape)}: "
                                 f"{int(np.count_nonzero(differ))} of {expected.size} float32 outputs differ from "
                                 f"numpy (up to {worst} ulp)")
        return result

    def simulated(self, variant: str, core: str, build: str) -> str:
        check = ("float32 outputs checked bit for bit against numpy (same operation order, fused multiply-add where "
                 "the FPU build fuses)")
        if variant == "softmax":
            check += f"; expf values read from the target, within {EXPF_MAX_ULP} ulp of the float64 exp"
        if core == "riscv32":
            import sim_riscv

            flags = " ".join(sim_riscv.compile_flags(build, True) + ["-DNDEBUG"])
            return (f"{self._describe(variant)}, soft-float (libgcc executed), {sim_riscv.compiler_version()} {flags}"
                    f" + picolibc, unicorn {sim.unicorn_version()} basic-block counts x {sim_riscv.TIMING_SOURCE}; "
                    f"{check}")
        flags = [f for f in sim.compile_flags(core, build, True) if not f.startswith("-mfloat-abi=")]
        flags += list(FPU_FLAGS.get(core, ("-mfloat-abi=soft",))) + ["-DNDEBUG"]
        compiler = sim.compiler_version(True).replace(" (15:12.2.rel1-1)", "")
        fp = "hardware FPU" if core in FPU_FLAGS else "soft-float (libgcc __aeabi_f* executed)"
        fpu_timing = f" and {timing.FPU_TIMING_SOURCE[core]}" if core in FPU_FLAGS else ""
        return (f"{self._describe(variant)}, {fp}, {compiler} {' '.join(flags)}, unicorn {sim.unicorn_version()} "
                f"basic-block counts x {timing.TIMING_SOURCE[core]}{fpu_timing}; {check}")


_INTERNAL = TFLM / "tensorflow" / "lite" / "kernels" / "internal"
TFLM_FLOAT = FloatLibrary(
    LIBRARY, NAME, SOURCE, VARIANTS, CORES, BUILDS, case,
    sources=[HERE / "tflm_float_driver.cc", _INTERNAL / "common.cc", _INTERNAL / "runtime_shape.cc",
             _INTERNAL / "reference" / "portable_tensor_utils.cc"],
    describe=lambda variant: f"{VARIANTS[variant]['function']}, TFLM reference kernels (commit 90b983c2b3f1)",
    cxx=True, include_dirs=[HERE / "tflm_reference_stubs", TFLM, _gemmlowp_include()], defines=["NDEBUG"])
LIBRARIES = [TFLM_FLOAT]
