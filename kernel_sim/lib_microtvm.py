"""microTVM untuned: a REPRESENTATIVE loop per operator, written for this harness, not TVM output.

``microtvm_driver.c`` mirrors the structure of the C that TVM's AOT executor generates for int8 QNN models with
the default (untuned) TOPI schedules conv2d_nhwc / depthwise_conv2d_nhwc / dense: an int32 reduction stage that
updates its workspace element in memory on every step with ``(int32_t)`` casts on both operands (input padding
as an inlined select on the input zero point), then a separate fused requantize loop (folded per-channel
constant, fixed_point_multiply with one rounding, output zero point, clip, cast). Built at -O2, TVM's default for
its generated C in Zephyr/Mbed projects. Grids and data come from ``lib_tflm_reference`` (same shapes and
scales); outputs are checked bit for bit against ``tflm_reference_numpy`` with single-rounding requantisation.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

import lib_tflm_reference as tflm
import tflm_reference_numpy as ref

HERE = Path(__file__).resolve().parent

LIBRARY = "microtvm-untuned"
NAME = "microTVM, untuned default schedules (representative loops)"
SOURCE = ("representative C loops written for kernel_sim/microtvm_driver.c after the structure of TVM's "
          "generated C for the default conv2d_nhwc / depthwise_conv2d_nhwc / dense schedules (not TVM output)")
CORES = ("cortex-m4", "cortex-m7", "cortex-m33")
BUILDS = ("O2",)
VARIANT_IDS = {"conv": 0, "depthwise": 1, "fc": 2}
_FUNCTIONS = {"conv": "conv2d_nhwc + requantize loop", "depthwise": "depthwise_conv2d_nhwc + requantize loop",
              "fc": "dense + requantize loop"}
VARIANTS = {v: {**tflm.VARIANTS[v], "function": _FUNCTIONS[v],
                "grid": [s for s in tflm.VARIANTS[v]["grid"] if s.get("ch_mult", 1) == 1]} for v in VARIANT_IDS}


def case(variant: str, shape: dict) -> tuple:
    """The TFLM grid point's data in TVM's form: input zero point, folded constants, one-rounding outputs."""
    g, _ = tflm.case(variant, shape)
    zero_point = -g["g_input_offset"]
    c_out = shape["out_c"]
    w = g["g_filter"].astype(np.int64)
    weight_sums = w.reshape(c_out, -1).sum(axis=1) if variant in ("conv", "fc") else w.reshape(-1, c_out).sum(axis=0)
    folded = (g["g_bias"] - zero_point * weight_sums).astype(np.int32)
    if variant == "fc":
        mult = np.full(c_out, g["g_output_multiplier"], dtype=np.int32)
        shifts = np.full(c_out, g["g_output_shift"], dtype=np.int32)
        expected = ref.fully_connected(g["g_input"], g["g_filter"], g["g_bias"], input_offset=-zero_point,
                                       weights_offset=0, output_offset=g["g_output_offset"], multiplier=mult[0],
                                       shift=shifts[0], requantize=ref.requantize_single)
    else:
        mult, shifts = g["g_multipliers"], g["g_shifts"]
        fn = ref.conv if variant == "conv" else ref.depthwise
        expected = fn(g["g_input"], g["g_filter"], g["g_bias"], input_offset=-zero_point,
                      output_offset=g["g_output_offset"], multipliers=mult, shifts=shifts,
                      requantize=ref.requantize_single, **tflm.geometry(shape))
    out = {"g_variant": VARIANT_IDS[variant], **tflm.shape_globals(shape), "g_input": g["g_input"],
           "g_filter": g["g_filter"], "g_bias": folded, "g_multipliers": mult, "g_shifts": shifts,
           "g_input_zero_point": zero_point, "g_output_zero_point": g["g_output_offset"]}
    return out, expected


MICROTVM = tflm.DriverLibrary(
    LIBRARY, NAME, SOURCE, VARIANTS, CORES, BUILDS, case, sources=[HERE / "microtvm_driver.c"],
    describe=lambda variant: (f"{_FUNCTIONS[variant]}: representative loop written for this harness after TVM's "
                              "untuned default schedule (not TVM output)"))
LIBRARIES = [MICROTVM]
