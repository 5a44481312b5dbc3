"""CMSIS-NN s8 kernels (snapshots 2020-09 and v7.0.0) on the Cortex-M cores: grids, simulation, output check.

Each variant is the function CMSIS-NN's wrapper (arm_convolve_wrapper_s8 / arm_depthwise_conv_wrapper_s8) picks
for a layer of that shape; ``cmsis_nn_driver.c`` calls it directly. Every simulated output is compared bit for bit
with the numpy int8 reference (``tflm_reference_numpy``: TFLite's quantised arithmetic, which CMSIS-NN
reproduces exactly: its ``arm_nn_requantize`` = doubling_high_mult_no_sat + divide_by_power_of_two equals
TFLite's MultiplyByQuantizedMultiplier for every int32 input but INT32_MIN x INT32_MIN, which never occurs).
A mismatch raises: it never becomes a table row.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

import grids
import sim
import tflm_reference_numpy as ref
from grids import conv_shape, depthwise_shape, eltwise_shape, fc_shape, pool_shape, softmax_shape
from timing import TIMING_SOURCE

HERE = Path(__file__).resolve().parent
THIRD_PARTY = sim.THIRD_PARTY
SOURCE_DIRS = ("ConvolutionFunctions", "NNSupportFunctions", "FullyConnectedFunctions", "BasicMathFunctions",
               "PoolingFunctions", "SoftmaxFunctions")
# s8 kernels only (plus the two support files they call); not the s4/s16 kernels, wrappers or other operators
_SKIP = re.compile(r"_s4|_s16\.c|s16_s8|s8_s32|q7_q15|_u8|wrapper|transpose|svdf|batch_matmul|lstm|per_channel")
_KEEP = {"arm_nntables.c", "arm_q7_to_q15_with_offset.c", "arm_nn_mat_mult_kernel_s8_s16.c",
         "arm_nn_mat_mult_kernel_row_offset_s8_s16.c"}

# "taps" (pixels x k_h x k_w: per-window-element overhead) is used once shape_features provides it: it takes the
# conv fit from ~20 % to ~2 % max error and pooling from ~30 % to ~8 % (fit on these grids' CSV rows).
CONV_FEATURES = ["calls", "macs", "outputs", "pixels", "patch", "tail", "taps"]
DW_FEATURES = ["calls", "macs", "outputs", "pixels", "tail", "taps"]
POOL_FEATURES = ["calls", "macs", "outputs", "pixels", "taps"]


def _variants(modern: bool) -> dict:
    """variant -> kind, function, candidate features, grid, typical shape."""
    typical_conv = conv_shape(16, 16, 16, 16, 3, 3, 1, 1)
    conv_grid = [typical_conv,
                 conv_shape(12, 12, 3, 8, 3, 3, 2, 1), conv_shape(10, 10, 8, 16, 3, 3, 1, 0),
                 conv_shape(8, 8, 13, 10, 3, 3, 1, 1), conv_shape(8, 8, 32, 32, 3, 3, 1, 1),
                 conv_shape(12, 12, 6, 12, 5, 5, 1, 2), conv_shape(9, 9, 16, 8, 5, 5, 2, 2),
                 conv_shape(16, 16, 1, 8, 3, 3, 1, 1), conv_shape(6, 6, 64, 24, 3, 3, 1, 1),
                 conv_shape(10, 12, 10, 7, 3, 1, 1, (1, 0)), conv_shape(10, 10, 24, 20, 1, 1, 1, 1),
                 conv_shape(20, 20, 4, 4, 3, 3, 2, 0), conv_shape(8, 8, 2, 64, 3, 3, 1, 1),
                 conv_shape(7, 7, 48, 48, 2, 2, 1, 0),
                 # MLPerf Tiny first/stride-2 layers: DS-CNN (KWS), MobileNet-v1 0.25 (VWW), ResNet-8 (IC)
                 conv_shape(49, 10, 1, 64, 10, 4, 2, (5, 1)), conv_shape(96, 96, 3, 8, 3, 3, 2, 1),
                 conv_shape(32, 32, 3, 16, 3, 3, 1, 1), conv_shape(16, 16, 16, 32, 3, 3, 2, 1)]
    typical_1x1 = conv_shape(16, 16, 32, 32, 1, 1)
    c1x1_ch = [(32, 32), (8, 16), (16, 64), (64, 16), (128, 24), (24, 96), (4, 12), (48, 40)]
    if modern:
        c1x1_ch += [(13, 10), (3, 24), (30, 6)]  # v7's fast 1x1 takes any channel count
    c1x1_grid = [typical_1x1] + [conv_shape(h, h, ci, co, 1, 1) for (ci, co), h in
                                 zip(c1x1_ch[1:], (16, 12, 8, 6, 10, 20, 8, 9, 10, 12))]
    c1x1_grid += [conv_shape(4, 5, 32, 8, 1, 1), conv_shape(1, 25, 64, 32, 1, 1),
                  conv_shape(25, 5, 64, 64, 1, 1), conv_shape(12, 12, 64, 64, 1, 1)]  # DS-CNN, VWW
    typical_1xn = conv_shape(1, 64, 16, 16, 1, 5, 1, (0, 2))
    c1xn_grid = [typical_1xn, conv_shape(1, 34, 8, 8, 1, 3, 1, 0), conv_shape(1, 98, 4, 16, 1, 4, 2, 0),
                 conv_shape(1, 48, 32, 24, 1, 3, 1, (0, 1)), conv_shape(1, 20, 12, 32, 1, 9, 1, (0, 4)),
                 conv_shape(1, 132, 8, 8, 1, 8, 4, 0), conv_shape(1, 40, 24, 12, 1, 5, 1, (0, 2)),
                 conv_shape(1, 16, 64, 16, 1, 3, 1, (0, 1)), conv_shape(1, 34, 20, 20, 1, 3, 1, 0),
                 conv_shape(1, 64, 4, 40, 1, 2, 2, 0), conv_shape(1, 96, 8, 32, 1, 5, 1, (0, 2)),
                 conv_shape(1, 44, 16, 8, 1, 5, 1, 0)]
    c1xn_grid = [s for s in c1xn_grid if s["out_w"] % 4 == 0 and (s["stride_w"] * s["in_c"]) % 4 == 0]
    typical_dw = depthwise_shape(16, 16, 32, 3, 3, 1, 1)
    dw3_grid = [typical_dw, depthwise_shape(12, 12, 16, 3, 3, 2, 1), depthwise_shape(8, 8, 64, 3, 3, 1, 1),
                depthwise_shape(10, 10, 13, 3, 3, 1, 0), depthwise_shape(20, 20, 8, 3, 3, 1, 1),
                depthwise_shape(6, 6, 96, 3, 3, 1, 1), depthwise_shape(14, 14, 6, 3, 3, 2, 0),
                depthwise_shape(9, 9, 40, 3, 3, 2, 1), depthwise_shape(24, 24, 4, 3, 3, 1, 1),
                depthwise_shape(5, 7, 30, 3, 3, 1, 1), depthwise_shape(4, 4, 128, 3, 3, 1, 1),
                depthwise_shape(25, 5, 64, 3, 3, 1, 1), depthwise_shape(48, 48, 8, 3, 3, 1, 1),  # DS-CNN, VWW
                depthwise_shape(24, 24, 32, 3, 3, 2, 1)]
    dw_opt_grid = dw3_grid + [depthwise_shape(12, 12, 16, 5, 5, 1, 2), depthwise_shape(10, 10, 24, 5, 5, 2, 2),
                              depthwise_shape(16, 16, 8, 3, 3, 1, 2), depthwise_shape(8, 8, 20, 7, 7, 1, 3),
                              depthwise_shape(20, 4, 12, 4, 4, 1, 0)]
    typical_dwg = depthwise_shape(16, 16, 8, 3, 3, 1, 1, ch_mult=4)
    dwg_grid = [typical_dwg, depthwise_shape(12, 12, 3, 3, 3, 1, 1, ch_mult=8),
                depthwise_shape(10, 10, 16, 3, 3, 2, 1, ch_mult=2), depthwise_shape(8, 8, 5, 5, 5, 1, 2, ch_mult=3),
                depthwise_shape(14, 14, 1, 3, 3, 1, 0, ch_mult=16), depthwise_shape(6, 6, 32, 3, 3, 1, 1, ch_mult=2),
                depthwise_shape(9, 9, 12, 2, 2, 1, 0, ch_mult=4), depthwise_shape(16, 8, 4, 3, 3, 2, 1, ch_mult=6),
                depthwise_shape(12, 12, 2, 3, 3, 1, 1, ch_mult=4)]
    typical_fc = fc_shape(256, 64)
    fc_grid = [typical_fc, fc_shape(64, 10), fc_shape(1024, 16), fc_shape(100, 100), fc_shape(33, 7),
               fc_shape(512, 128), fc_shape(16, 256), fc_shape(250, 30), fc_shape(8, 4), fc_shape(128, 32, batch=4),
               fc_shape(2048, 3), fc_shape(77, 50), fc_shape(640, 128), fc_shape(64, 12), fc_shape(128, 8)]
    typical_elt = eltwise_shape(16, 16, 32)
    elt_grid = [typical_elt, eltwise_shape(1, 1, 7), eltwise_shape(4, 4, 16), eltwise_shape(8, 8, 3),
                eltwise_shape(10, 10, 10), eltwise_shape(32, 32, 8), eltwise_shape(1, 1, 1000), eltwise_shape(5, 5, 61),
                eltwise_shape(8, 8, 64)]
    typical_pool = pool_shape(16, 16, 32, 2, 2, 2)
    pool_grid = [typical_pool, pool_shape(8, 8, 64, 8, 8, 1), pool_shape(24, 24, 8, 3, 3, 2, 1),
                 pool_shape(12, 12, 13, 2, 2, 2), pool_shape(10, 10, 16, 3, 3, 1, 1), pool_shape(32, 32, 4, 2, 2, 2),
                 pool_shape(5, 5, 100, 5, 5, 1), pool_shape(20, 20, 3, 4, 4, 4), pool_shape(7, 7, 24, 3, 3, 2, 0),
                 pool_shape(6, 6, 7, 2, 2, 1), pool_shape(25, 5, 64, 25, 5, 1)]
    typical_sm = softmax_shape(1, 10)
    sm_grid = [typical_sm, softmax_shape(1, 2), softmax_shape(1, 12), softmax_shape(1, 100), softmax_shape(4, 10),
               softmax_shape(1, 1000), softmax_shape(8, 33), softmax_shape(2, 256)]

    conv_1x1_fn = "arm_convolve_1x1_s8_fast"
    out = {
        "conv": ("conv", "arm_convolve_s8", CONV_FEATURES, conv_grid, typical_conv),
        "conv_1x1": ("conv", conv_1x1_fn, ["calls", "macs", "outputs", "pixels", "tail"], c1x1_grid, typical_1x1),
        "conv_1xn": ("conv", "arm_convolve_1_x_n_s8", CONV_FEATURES, c1xn_grid, typical_1xn),
        "depthwise": ("depthwise", "arm_depthwise_conv_s8", DW_FEATURES, dwg_grid, typical_dwg),
        "depthwise_opt": ("depthwise", "arm_depthwise_conv_s8_opt", DW_FEATURES, dw_opt_grid, typical_dw),
        "depthwise_3x3": ("depthwise", "arm_depthwise_conv_3x3_s8", DW_FEATURES, dw3_grid, typical_dw),
        "fc": ("fc", "arm_fully_connected_s8", ["calls", "macs", "outputs", "pixels", "tail"], fc_grid, typical_fc),
        "add": ("add", "arm_elementwise_add_s8", ["calls", "outputs"], elt_grid, typical_elt),
        "mul": ("mul", "arm_elementwise_mul_s8", ["calls", "outputs"], elt_grid, typical_elt),
        "avgpool": ("avgpool", "arm_avgpool_s8", POOL_FEATURES, pool_grid, typical_pool),
        "maxpool": ("maxpool", "arm_max_pool_s8", POOL_FEATURES, pool_grid, typical_pool),
        "softmax": ("softmax", "arm_softmax_s8", ["calls", "outputs", "pixels"], sm_grid, typical_sm),
    }
    if modern:
        strided = [conv_shape(16, 16, 16, 32, 1, 1, 2), conv_shape(12, 12, 32, 16, 1, 1, 2),
                   conv_shape(10, 10, 8, 24, 1, 1, 2), conv_shape(9, 9, 13, 10, 1, 1, 2),
                   conv_shape(16, 16, 64, 8, 1, 1, 2), conv_shape(12, 12, 24, 48, 1, 1, 3),
                   conv_shape(20, 20, 4, 16, 1, 1, 2), conv_shape(8, 8, 96, 32, 1, 1, 2),
                   conv_shape(32, 32, 16, 32, 1, 1, 2), conv_shape(16, 16, 32, 64, 1, 1, 2)]  # ResNet-8 shortcuts
        out["conv_1x1_strided"] = ("conv", "arm_convolve_1x1_s8", ["calls", "macs", "outputs", "pixels", "tail"],
                                   strided, strided[0])
    return {v: dict(zip(("kind", "function", "features", "grid", "typical"), spec)) for v, spec in out.items()}


def _seed(*parts) -> int:
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:8], "little")


def _quant(rng, reduction: int, n: int):
    """Per-channel Q31 multipliers in [2^30, 2^31) and right shifts that bring an accumulator over ``reduction``
    int8 products (std ~ 74 x 74 x sqrt(reduction)) to an output std of ~40 (few saturations)."""
    mult = rng.integers(1 << 30, (1 << 31) - 1, size=n, dtype=np.int64)
    scale = 40.0 / (74.0 * 74.0 * np.sqrt(max(reduction, 1)))
    shift = np.full(n, int(np.floor(np.log2(scale))) + 1, dtype=np.int64) + rng.integers(-1, 1, size=n)
    return mult, shift


class CmsisNN:
    """One CMSIS-NN snapshot as a library of the registry in ``run.py`` (see README)."""

    def __init__(self, library: str, name: str, source: str, modern: bool, core_builds: dict):
        self.LIBRARY, self.NAME, self.SOURCE = library, name, source
        self.modern = modern
        self.VARIANTS = _variants(modern)
        self._core_builds = core_builds
        self._elves: dict = {}

    def cores(self) -> list:
        return list(self._core_builds)

    def builds(self, core) -> list:
        return list(self._core_builds.get(core, ()))

    def variants(self, core) -> list:
        return list(self.VARIANTS)

    def sources(self) -> list:
        root = THIRD_PARTY / self.LIBRARY / "Source"
        if not root.is_dir():
            raise FileNotFoundError(f"{root} not found: set KERNELS_THIRD_PARTY to the third_party snapshots")
        files = [HERE / "cmsis_nn_driver.c"]
        for folder in SOURCE_DIRS:
            files += [f for f in sorted((root / folder).glob("*.c"))
                      if f.name in _KEEP or ("s8" in f.name and not _SKIP.search(f.name))]
        return files

    def elf(self, core, build) -> Path:
        key = (core, build)
        if key not in self._elves:
            include = [THIRD_PARTY / self.LIBRARY / "Include"]
            defines = ["CMSIS_NN_V7"] if self.modern else []
            if not self.modern:  # the 2020 snapshot includes CMSIS-DSP's arm_math.h and CMSIS-Core intrinsics
                include += [HERE / "cmsis_nn_stubs", THIRD_PARTY / "cmsis6-core" / "CMSIS" / "Core" / "Include"]
            self._elves[key] = sim.build(self.sources(), core, build, include_dirs=include, defines=defines,
                                         extra_flags=["-w"])
        return self._elves[key]

    def simulated(self, variant, core, build) -> str:
        fn = self.VARIANTS[variant]["function"]
        flags = " ".join(sim.compile_flags(core, build))
        gcc = sim.compiler_version().replace("arm-none-eabi-gcc (15:12.2.rel1-1) ", "arm-none-eabi-gcc ")
        return (f"{fn}, {self.NAME}, {gcc} {flags}, unicorn {sim.unicorn_version()} basic-block counts x "
                f"{TIMING_SOURCE[core]}; "
                f"outputs checked bit for bit against numpy")

    # ----------------------------------------------------------------------------------------- one simulation
    def simulate(self, variant, core, build, shape) -> sim.Result:
        spec = self.VARIANTS[variant]
        kind = spec["kind"]
        rng = np.random.default_rng(_seed(self.LIBRARY, variant, tuple(shape.items())))
        g, expected = _case(kind, shape, rng)
        nbytes = expected.size
        result = sim.run(self.elf(core, build), core, g, {"output_buf": nbytes, "status": 4},
                         entry=f"bench_{variant}")
        status = int.from_bytes(result.outputs["status"], "little", signed=True)
        got = np.frombuffer(result.outputs["output_buf"], dtype=np.int8)
        if status != 0:
            raise RuntimeError(f"{spec['function']} returned status {status} for {grids.label(kind, shape)}")
        bad = np.flatnonzero(got != expected.reshape(-1))
        if bad.size:
            raise RuntimeError(f"{spec['function']} on {core} {build}: {bad.size}/{nbytes} outputs differ from numpy "
                               f"for {grids.label(kind, shape)} (first at {bad[0]}: {got[bad[0]]} vs "
                               f"{expected.reshape(-1)[bad[0]]})")
        return result


def _case(kind, s, rng):
    """(globals for the driver, expected int8 output) of one random case of ``kind`` with shape ``s``."""
    n, ih, iw, ic, oh, ow, oc = (s[k] for k in ("batch", "in_h", "in_w", "in_c", "out_h", "out_w", "out_c"))
    kh, kw = s["k_h"], s["k_w"]
    g = {k: s[k] for k in ("batch", "in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "k_h", "k_w", "stride_h",
                           "stride_w", "pad_h", "pad_w", "ch_mult")}
    x = rng.integers(-128, 128, size=(n, ih, iw, ic), dtype=np.int8)
    in_off, out_off = int(rng.integers(-127, 129)), int(rng.integers(-128, 128))
    g.update(input_buf=x, input_offset=in_off, output_offset=out_off, act_min=-128, act_max=127)
    stride, pad = (s["stride_h"], s["stride_w"]), (s["pad_h"], s["pad_w"])
    if kind in ("conv", "depthwise"):
        depth = kind == "depthwise"
        w = rng.integers(-127, 128, size=(1, kh, kw, oc) if depth else (oc, kh, kw, ic), dtype=np.int8)
        bias = rng.integers(-5000, 5000, size=oc, dtype=np.int32)
        mult, shift = _quant(rng, kh * kw * (1 if depth else ic), oc)
        g.update(filter_buf=w, bias_buf=bias, mult_buf=mult.astype(np.int32), shift_buf=shift.astype(np.int32))
        common = dict(input_offset=in_off, output_offset=out_off, multipliers=mult, shifts=shift, stride=stride,
                      pad=pad, out_hw=(oh, ow))
        if depth:
            expected = ref.depthwise(x, w, bias, depth_multiplier=s["ch_mult"], **common)
        else:
            expected = ref.conv(x, w, bias, **common)
    elif kind == "fc":
        x2 = x.reshape(n, ic)
        w = rng.integers(-127, 128, size=(oc, ic), dtype=np.int8)
        bias = rng.integers(-5000, 5000, size=oc, dtype=np.int32)
        mult, shift = (int(v[0]) for v in _quant(rng, ic, 1))
        g.update(filter_buf=w, bias_buf=bias, out_mult=mult, out_shift=shift, filter_offset=0)
        expected = ref.fully_connected(x2, w, bias, input_offset=in_off, weights_offset=0, output_offset=out_off,
                                       multiplier=mult, shift=shift)
    elif kind in ("add", "mul"):
        b = rng.integers(-128, 128, size=x.shape, dtype=np.int8)
        in2_off = int(rng.integers(-127, 129))
        g.update(input2_buf=b, in1_offset=in_off, in2_offset=in2_off)
        if kind == "add":  # TFLite's ADD: inputs to a common scale (shifts <= 0), left_shift 20, then output
            m1, m2, mo = (int(v) for v in rng.integers(1 << 30, (1 << 31) - 1, size=3))
            s1, s2, so = int(rng.integers(-3, 0)), int(rng.integers(-3, 0)), int(rng.integers(-20, -17))
            g.update(in1_mult=m1, in1_shift=s1, in2_mult=m2, in2_shift=s2, left_shift=20, out_mult=mo, out_shift=so)
            expected = ref.add(x, b, input1_offset=in_off, input2_offset=in2_off, output_offset=out_off,
                               left_shift=20, input1_multiplier=m1, input1_shift=s1, input2_multiplier=m2,
                               input2_shift=s2, output_multiplier=mo, output_shift=so)
        else:
            mo, so = int(rng.integers(1 << 30, (1 << 31) - 1)), int(rng.integers(-9, -6))
            g.update(out_mult=mo, out_shift=so)
            expected = ref.mul(x, b, input1_offset=in_off, input2_offset=in2_off, output_offset=out_off,
                               output_multiplier=mo, output_shift=so)
    elif kind in ("avgpool", "maxpool"):
        fn = ref.avgpool if kind == "avgpool" else ref.maxpool
        expected = fn(x, k_h=kh, k_w=kw, stride=stride, pad=pad, out_hw=(oh, ow))
    elif kind == "softmax":
        mult, left, diff_min = 1_717_986_918, 23, -248  # TFLite's Prepare for input scale 0.1, beta 1
        g.update(out_mult=mult, out_shift=left, sm_rows=n, sm_cols=ic, sm_diff_min=diff_min)
        expected = ref.softmax(x.reshape(n, ic), input_multiplier=mult, input_left_shift=left, diff_min=diff_min)
    else:
        raise ValueError(f"unknown kernel kind {kind!r}")
    return g, np.asarray(expected, dtype=np.int8)
