"""TFLite Micro reference int8 kernels (tensorflow/lite/kernels/internal/reference), the kernels TFLM runs when it
is built without an optimised kernel library (``OPTIMIZED_KERNEL_DIR`` unset).

Driver: ``tflm_reference_driver.cc`` (one ELF per core and build holds every kernel; ``g_variant`` picks one),
stubs for the headers the snapshot lacks in ``tflm_reference_stubs/``. Outputs are checked bit for bit against
``tflm_reference_numpy`` (double-rounding MultiplyByQuantizedMultiplier, TFLM's default build). Built with
``-DNDEBUG``: the TFLITE_DCHECKs inside ``Offset()`` compile out (README: what they cost otherwise).
"""
from __future__ import annotations

import math
import zlib
from pathlib import Path

import numpy as np

import grids
import sim
import timing
import tflm_reference_numpy as ref

HERE = Path(__file__).resolve().parent
THIRD_PARTY = sim.THIRD_PARTY
TFLM = THIRD_PARTY / "tflite-micro"
GEMMLOWP_INCLUDE = Path("/usr/include/gemmlowp")  # Debian libgemmlowp-dev: fixedpoint/fixedpoint.h

LIBRARY = "tflm-reference"
NAME = "TFLite Micro reference kernels"
SOURCE = ("tensorflow/tflite-micro commit 90b983c2b3f1 (2026-08-20), tensorflow/lite/kernels/internal/reference "
          "(copy in shared/third_party/tflite-micro), Apache-2.0; gemmlowp fixedpoint from Debian libgemmlowp-dev")
CORES = ("cortex-m4", "cortex-m7", "cortex-m33", "cortex-m0plus", "cortex-m3", "riscv32")  # riscv32: sim_riscv
BUILDS = ("O2", "Os")

#: g_variant values of the driver
VARIANT_IDS = {"conv": 0, "depthwise": 1, "fc": 2, "add": 3, "mul": 4, "avgpool": 5, "maxpool": 6, "softmax": 7}

# --------------------------------------------------------------------------------------------- shape grids
conv, dw, pool = grids.conv_shape, grids.depthwise_shape, grids.pool_shape
# Mostly realistic channel counts on images big enough that padding skips few taps (TFLM skips the taps outside
# the image, which the `macs` feature still counts); a few first-layer shapes (1-3 input channels), 1x1, strided
# and 1xn convolutions. The first shape of each grid is the table's typical shape.
CONV_GRID = [
    conv(18, 18, 16, 16, 3, 3, 1, 1), conv(10, 10, 32, 32, 3, 3, 1, 1), conv(14, 14, 4, 8, 3, 3),
    conv(8, 8, 48, 24, 3, 3), conv(12, 12, 3, 16, 3, 3, 1, 1), conv(12, 12, 1, 8, 3, 3, 1, 1),
    conv(7, 7, 64, 16, 3, 3), conv(14, 14, 8, 12, 3, 3), conv(16, 16, 8, 16, 3, 3, 2, 1),
    conv(15, 15, 16, 16, 3, 3, 2, 0), conv(12, 12, 16, 16, 1, 1), conv(8, 8, 32, 32, 1, 1),
    conv(16, 16, 8, 24, 1, 1), conv(6, 6, 64, 16, 1, 1), conv(10, 10, 3, 8, 1, 1), conv(4, 4, 128, 64, 1, 1),
    conv(12, 12, 8, 8, 5, 5), conv(10, 10, 8, 8, 5, 5, 1, 2), conv(12, 12, 1, 8, 5, 5),
    conv(16, 16, 3, 8, 7, 7, 2, 3), conv(1, 32, 8, 16, 1, 5, 1, (0, 2)), conv(1, 49, 10, 16, 1, 3, 2, 0),
]
DEPTHWISE_GRID = [
    dw(12, 12, 16, 3, 3, 1, 1), dw(16, 16, 8, 3, 3, 1, 1), dw(8, 8, 64, 3, 3, 1, 1), dw(10, 10, 3, 3, 3, 1, 1),
    dw(16, 16, 16, 3, 3, 2, 1), dw(15, 15, 24, 3, 3, 2, 0), dw(12, 12, 12, 5, 5, 1, 2), dw(8, 8, 32, 7, 7, 1, 3),
    dw(6, 6, 128, 3, 3, 1, 1), dw(20, 20, 4, 3, 3, 1, 1), dw(10, 10, 8, 3, 3, 1, 1, ch_mult=2),
    dw(12, 12, 6, 1, 1), dw(1, 40, 16, 1, 9, 1, (0, 4)),
]
FC_GRID = [grids.fc_shape(i, o, b) for i, o, b in [(256, 64, 1), (64, 10, 1), (128, 128, 1), (512, 32, 1),
                                                   (10, 128, 1), (250, 12, 1), (32, 256, 1), (100, 100, 1),
                                                   (64, 16, 4), (1024, 16, 1), (3, 64, 1)]]
ELTWISE_GRID = [grids.eltwise_shape(h, w, c) for h, w, c in [(8, 8, 16), (16, 16, 8), (1, 1, 10), (12, 12, 24),
                                                             (4, 4, 3), (10, 10, 64), (1, 1, 200)]]
POOL_GRID = [pool(16, 16, 8, 2, 2, 2), pool(12, 12, 16, 3, 3, 2, 1), pool(8, 8, 32, 8, 8, 1),
             pool(24, 24, 4, 3, 3, 1, 1), pool(10, 10, 24, 2, 2, 2), pool(6, 6, 64, 6, 6, 1),
             pool(1, 40, 16, 1, 4, 4), pool(16, 16, 3, 5, 5, 3, 2)]
SOFTMAX_GRID = [grids.softmax_shape(r, c) for r, c in [(1, 10), (1, 2), (1, 12), (1, 35), (1, 100), (4, 10),
                                                       (1, 256), (8, 4), (1, 1000)]]

# `taps` carries the per-window-position address and bounds work, which dominates few-channel layers. No per-call
# term: its true value (parameter setup, ~100 cycles) is lost in the noise of the grid, and NNLS would park
# unmodelled costs there.
_CONV_FEATURES = ["macs", "outputs", "pixels", "taps"]
VARIANTS = {
    "conv": {"kind": "conv", "function": "tflite::reference_integer_ops::ConvPerChannel",
             "features": _CONV_FEATURES, "grid": CONV_GRID, "typical": CONV_GRID[0]},
    "depthwise": {"kind": "depthwise", "function": "tflite::reference_integer_ops::DepthwiseConvPerChannel",
                  "features": _CONV_FEATURES, "grid": DEPTHWISE_GRID, "typical": DEPTHWISE_GRID[0]},
    "fc": {"kind": "fc", "function": "tflite::reference_integer_ops::FullyConnected",
           "features": ["calls", "macs", "outputs", "pixels"], "grid": FC_GRID, "typical": FC_GRID[0]},
    "add": {"kind": "add", "function": "tflite::reference_integer_ops::Add",
            "features": ["calls", "outputs"], "grid": ELTWISE_GRID, "typical": ELTWISE_GRID[0]},
    "mul": {"kind": "mul", "function": "tflite::reference_integer_ops::Mul",
            "features": ["calls", "outputs"], "grid": ELTWISE_GRID, "typical": ELTWISE_GRID[0]},
    "avgpool": {"kind": "avgpool", "function": "tflite::reference_integer_ops::AveragePool",
                "features": ["calls", "macs", "outputs", "pixels"], "grid": POOL_GRID, "typical": POOL_GRID[0]},
    "maxpool": {"kind": "maxpool", "function": "tflite::reference_integer_ops::MaxPool",
                "features": ["calls", "macs", "outputs", "pixels"], "grid": POOL_GRID, "typical": POOL_GRID[0]},
    "softmax": {"kind": "softmax", "function": "tflite::reference_ops::Softmax<int8_t, int8_t>",
                "features": ["calls", "outputs", "pixels"], "grid": SOFTMAX_GRID, "typical": SOFTMAX_GRID[0]},
}


# --------------------------------------------------------------------------------------------- quantisation
def quantize_multiplier(real: float) -> tuple:
    """TFLite's QuantizeMultiplier: real = q / 2^31 x 2^shift with q in [2^30, 2^31)."""
    q, shift = math.frexp(real)
    q_fixed = round(q * (1 << 31))
    if q_fixed == 1 << 31:
        q_fixed, shift = q_fixed // 2, shift + 1
    return int(q_fixed), int(shift)


def _rng(name: str, shape: dict) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr((name, sorted(shape.items()))).encode()))


def int8(rng, shape, low=-128):
    return rng.integers(low, 128, size=shape, dtype=np.int8)


def per_channel_requant(rng, reduction: int, channels: int) -> tuple:
    """Multipliers and shifts that spread the outputs over the int8 range (accumulator std ~ sqrt(K) x 74^2)."""
    scales = 40.0 / (math.sqrt(reduction) * 74.0 * 74.0) * rng.uniform(0.5, 2.0, channels)
    pairs = [quantize_multiplier(s) for s in scales]
    return (np.array([p[0] for p in pairs], dtype=np.int32), np.array([p[1] for p in pairs], dtype=np.int32))


def geometry(shape):
    return {"stride": (shape["stride_h"], shape["stride_w"]), "pad": (shape["pad_h"], shape["pad_w"]),
            "out_hw": (shape["out_h"], shape["out_w"])}


def shape_globals(shape) -> dict:
    return {"g_batch": shape["batch"], "g_in_h": shape["in_h"], "g_in_w": shape["in_w"], "g_in_c": shape["in_c"],
            "g_out_h": shape["out_h"], "g_out_w": shape["out_w"], "g_out_c": shape["out_c"],
            "g_k_h": shape["k_h"], "g_k_w": shape["k_w"], "g_stride_h": shape["stride_h"],
            "g_stride_w": shape["stride_w"], "g_pad_h": shape["pad_h"], "g_pad_w": shape["pad_w"]}


def case(variant: str, shape: dict) -> tuple:
    """(globals for the driver, expected int8 output) of one grid point: random int8 data, realistic scales."""
    rng = _rng(variant, shape)
    n, c_in, c_out = shape["batch"], shape["in_c"], shape["out_c"]
    x = int8(rng, (n, shape["in_h"], shape["in_w"], c_in))
    g = {"g_variant": VARIANT_IDS[variant], **shape_globals(shape), "g_input": x}
    in_off, out_off = int(rng.integers(-20, 21)), int(rng.integers(-20, 21))
    if variant in ("conv", "depthwise"):
        kh, kw = shape["k_h"], shape["k_w"]
        w = int8(rng, (c_out, kh, kw, c_in) if variant == "conv" else (1, kh, kw, c_out), low=-127)
        bias = rng.integers(-2000, 2001, c_out).astype(np.int32)
        mult, shifts = per_channel_requant(rng, kh * kw * (c_in if variant == "conv" else 1), c_out)
        g.update(g_filter=w, g_bias=bias, g_multipliers=mult, g_shifts=shifts, g_input_offset=in_off,
                 g_output_offset=out_off, g_depth_multiplier=shape.get("ch_mult", 1))
        kw_args = dict(input_offset=in_off, output_offset=out_off, multipliers=mult, shifts=shifts,
                       **geometry(shape))
        if variant == "conv":
            return g, ref.conv(x, w, bias, **kw_args)
        return g, ref.depthwise(x, w, bias, depth_multiplier=shape.get("ch_mult", 1), **kw_args)
    if variant == "fc":
        x = x.reshape(n, c_in)
        w = int8(rng, (c_out, c_in), low=-127)
        bias = rng.integers(-2000, 2001, c_out).astype(np.int32)
        mult, shift = quantize_multiplier(40.0 / (math.sqrt(c_in) * 74.0 * 74.0))
        g.update(g_input=x, g_filter=w, g_bias=bias, g_input_offset=in_off, g_weights_offset=0,
                 g_output_offset=out_off, g_output_multiplier=mult, g_output_shift=shift)
        return g, ref.fully_connected(x, w, bias, input_offset=in_off, weights_offset=0, output_offset=out_off,
                                      multiplier=mult, shift=shift)
    if variant in ("add", "mul"):
        x2 = int8(rng, x.shape)
        in2_off = int(rng.integers(-20, 21))
        s1, s2, s_out = 0.05, 0.03, 0.07  # input and output scales
        g.update(g_input2=x2, g_input_offset=in_off, g_input2_offset=in2_off, g_output_offset=out_off)
        if variant == "add":  # TFLite's add Prepare: both inputs on twice the larger scale, left shift 20
            twice_max = 2 * max(s1, s2)
            (m1, sh1), (m2, sh2) = quantize_multiplier(s1 / twice_max), quantize_multiplier(s2 / twice_max)
            mo, sho = quantize_multiplier(twice_max / ((1 << 20) * s_out))
            p = dict(left_shift=20, input1_multiplier=m1, input1_shift=sh1, input2_multiplier=m2,
                     input2_shift=sh2, output_multiplier=mo, output_shift=sho)
            g.update({f"g_{k}": v for k, v in p.items()})
            return g, ref.add(x, x2, input1_offset=in_off, input2_offset=in2_off, output_offset=out_off, **p)
        mo, sho = quantize_multiplier(40.0 / (74.0 * 74.0))  # product std ~ 74^2 -> output std ~ 40
        g.update(g_output_multiplier=mo, g_output_shift=sho)
        return g, ref.mul(x, x2, input1_offset=in_off, input2_offset=in2_off, output_offset=out_off,
                          output_multiplier=mo, output_shift=sho)
    if variant in ("avgpool", "maxpool"):
        fn = ref.avgpool if variant == "avgpool" else ref.maxpool
        return g, fn(x, k_h=shape["k_h"], k_w=shape["k_w"], **geometry(shape))
    if variant == "softmax":  # TFLite's softmax Prepare for input scale 0.1, beta 1
        x = x.reshape(n, c_in)
        mult, left_shift = quantize_multiplier(min(0.1 * (1 << 26), (1 << 31) - 1.0))
        diff_min = -math.floor(((1 << 5) - 1) * (1 << 26) / (1 << left_shift))
        g.update(g_input=x, g_input_multiplier=mult, g_input_left_shift=left_shift, g_diff_min=diff_min)
        return g, ref.softmax(x, input_multiplier=mult, input_left_shift=left_shift, diff_min=diff_min)
    raise KeyError(variant)


# --------------------------------------------------------------------------------------------- simulation
class DriverLibrary:
    """A library of run.py's registry whose kernels share one driver ELF per (core, build): ``g_variant`` picks
    the kernel, ``case(variant, shape) -> (globals, expected int8 output)`` makes the data, ``describe(variant,
    core, build, flags)`` the provenance text. A run whose output differs from numpy in any bit raises."""

    def __init__(self, library, name, source, variants, cores, builds, case, sources, describe, cxx=False,
                 include_dirs=(), defines=()):
        self.LIBRARY, self.NAME, self.SOURCE, self.VARIANTS = library, name, source, variants
        self._cores, self._builds, self._case, self._sources, self._describe = cores, builds, case, sources, describe
        self._build_args = {"cxx": cxx, "include_dirs": list(include_dirs), "defines": list(defines)}
        self._elves = {}

    def cores(self) -> list:
        return list(self._cores)

    def builds(self, core) -> list:
        return list(self._builds)

    def variants(self, core) -> list:
        return list(self.VARIANTS)

    def elf(self, core: str, build: str) -> Path:
        if (core, build) not in self._elves:
            missing = [str(f) for f in self._sources if not Path(f).is_file()]
            if missing:
                raise FileNotFoundError(f"{self.LIBRARY}: missing {', '.join(missing)} (set KERNELS_THIRD_PARTY)")
            if core == "riscv32":  # RV32IMC (MIK32, GD32VF103, ESP32-C3 class): the RISC-V build of sim_riscv
                import sim_riscv

                stubs = [HERE / "rv32_abort_stubs.c"]  # abort()'s system calls, never reached
                self._elves[(core, build)] = sim_riscv.build(self._sources + stubs, build, **self._build_args)
            else:
                self._elves[(core, build)] = sim.build(self._sources, core, build, **self._build_args)
        return self._elves[(core, build)]

    def simulate(self, variant: str, core: str, build: str, shape: dict) -> sim.Result:
        g, expected = self._case(variant, shape)
        result = sim.run(self.elf(core, build), core, g, {"g_output": expected.size})
        got = np.frombuffer(result.outputs["g_output"], dtype=np.int8).reshape(expected.shape)
        if not np.array_equal(got, expected):
            raise AssertionError(f"{self.LIBRARY} {variant} on {core} -{build}, "
                                 f"{grids.label(self.VARIANTS[variant]['kind'], shape)}: "
                                 f"{int(np.count_nonzero(got != expected))} of {expected.size} outputs differ "
                                 "from numpy")
        return result

    def simulated(self, variant: str, core: str, build: str) -> str:
        cxx = self._build_args["cxx"]
        if core == "riscv32":
            import sim_riscv

            flags = " ".join(sim_riscv.compile_flags(build, cxx) + [f"-D{d}" for d in self._build_args["defines"]])
            return (f"{self._describe(variant)}, {sim_riscv.compiler_version()} {flags} + picolibc, unicorn "
                    f"{sim.unicorn_version()} basic-block counts x {sim_riscv.TIMING_SOURCE}; outputs checked bit "
                    "for bit against numpy")
        flags = " ".join(sim.compile_flags(core, build, cxx) + [f"-D{d}" for d in self._build_args["defines"]])
        compiler = sim.compiler_version(cxx).replace(" (15:12.2.rel1-1)", "")
        return (f"{self._describe(variant)}, {compiler} {flags}, unicorn {sim.unicorn_version()} basic-block "
                f"counts x {timing.TIMING_SOURCE[core]}; outputs checked bit for bit against numpy")


_INTERNAL = TFLM / "tensorflow" / "lite" / "kernels" / "internal"
TFLM_REFERENCE = DriverLibrary(
    LIBRARY, NAME, SOURCE, VARIANTS, CORES, BUILDS, case,
    sources=[HERE / "tflm_reference_driver.cc", _INTERNAL / "common.cc", _INTERNAL / "runtime_shape.cc"],
    describe=lambda variant: f"{VARIANTS[variant]['function']}, TFLM reference kernels (commit 90b983c2b3f1)",
    cxx=True, include_dirs=[HERE / "tflm_reference_stubs", TFLM, GEMMLOWP_INCLUDE], defines=["NDEBUG"])
LIBRARIES = [TFLM_REFERENCE]
