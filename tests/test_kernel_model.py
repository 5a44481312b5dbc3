"""The simulated-kernel path of the cycle model: features, the wrappers' kernel choice, the table lookup and the
cycles a layer costs, checked against hand-computed numbers on a hand-made kernel table."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import joulescope_free as jf
from joulescope_free.errors import UserError
from joulescope_free.hardware import kernels
from joulescope_free.hardware.cycles import layer_arrays, layer_cycles
from joulescope_free.hardware.runtimes import load_core, load_runtime, with_build


def test_conv_features_by_hand():
    # 8x8x3 input, 3x3 kernel, 16 output channels, SAME, stride 1: 64 pixels x 16 channels, K = 27
    f = kernels.shape_features("conv", 8, 8, 3, 8, 8, 16, 3, 3)
    assert f == {"calls": 1, "macs": 64 * 16 * 27, "outputs": 1024, "pixels": 64, "patch": 64 * 27,
                 "inputs": 192, "channels": 16, "tail": 1024 * 3, "taps": 64 * 9}


def test_depthwise_fc_pool_features_by_hand():
    dw = kernels.shape_features("depthwise", 10, 10, 6, 5, 5, 6, 3, 3)
    assert (dw["macs"], dw["tail"], dw["patch"]) == (25 * 6 * 9, 25 * 9 * 2, 0)
    fc = kernels.shape_features("fc", 1, 1, 65, 1, 1, 10, batch=2)
    assert (fc["macs"], fc["outputs"], fc["inputs"], fc["tail"]) == (2 * 10 * 65, 20, 130, 20 * 1)
    pool = kernels.shape_features("avgpool", 8, 8, 4, 4, 4, 4, 2, 2)
    assert pool["macs"] == 4 * 4 * 4 * 4


@pytest.mark.parametrize("library, kind, geometry, expected", [
    # arm_convolve_wrapper_s8 (v7.0.0): 1x1, no padding, stride 1 -> the fast 1x1 kernel, whatever the channels
    ("cmsis-nn-v7.0.0", "conv", dict(in_c=3, in_h=8), "conv_1x1"),
    # 2020-09: the fast 1x1 kernel also needs input channels divisible by 4
    ("cmsis-nn-2020-09", "conv", dict(in_c=3, in_h=8), "conv"),
    ("cmsis-nn-2020-09", "conv", dict(in_c=8, in_h=8), "conv_1x1"),
    # v7.0.0: a strided 1x1 has its own kernel; 2020-09 used the generic one
    ("cmsis-nn-v7.0.0", "conv", dict(stride_h=2, stride_w=2, in_c=8, in_h=8), "conv_1x1_strided"),
    ("cmsis-nn-2020-09", "conv", dict(stride_h=2, stride_w=2, in_c=8, in_h=8), "conv"),
    ("cmsis-nn-v7.0.0", "conv", dict(k_h=3, k_w=3, pad_h=1, pad_w=1, in_h=8), "conv"),
    # 1xN: v7.0.0 needs stride x channels divisible by 4, 2020-09 an output width divisible by 4
    ("cmsis-nn-v7.0.0", "conv", dict(k_w=5, in_h=1, in_c=8, out_w=6), "conv_1xn"),
    ("cmsis-nn-v7.0.0", "conv", dict(k_w=5, in_h=1, in_c=3, out_w=8), "conv"),
    ("cmsis-nn-2020-09", "conv", dict(k_w=5, in_h=1, in_c=3, out_w=8), "conv_1xn"),
    ("cmsis-nn-2020-09", "conv", dict(k_w=5, in_h=1, in_c=8, out_w=6), "conv"),
    # depthwise: channel multiplier 1, 3x3, padding <= 1 -> the 3x3 kernel; else _opt; multiplier > 1: generic
    ("cmsis-nn-v7.0.0", "depthwise", dict(k_h=3, k_w=3, pad_h=1, pad_w=1, in_c=8, out_c=8), "depthwise_3x3"),
    ("cmsis-nn-v7.0.0", "depthwise", dict(k_h=5, k_w=5, pad_h=2, pad_w=2, in_c=8, out_c=8), "depthwise_opt"),
    ("cmsis-nn-v7.0.0", "depthwise", dict(k_h=3, k_w=3, in_c=8, out_c=16), "depthwise"),
    ("tflm-reference", "conv", dict(), "conv"),
    # ESP-NN: 1x1 without padding and 3x3 depthwise over a multiple of 8 channels have their own kernels
    ("esp-nn-esp32s3", "conv", dict(in_c=16), "conv_1x1"),
    ("esp-nn-esp32s3", "depthwise", dict(k_h=3, k_w=3, pad_h=1, pad_w=1, in_c=16, out_c=16), "depthwise_3x3"),
    ("esp-nn-generic", "depthwise", dict(k_h=3, k_w=3, pad_h=1, pad_w=1, in_c=12, out_c=12), "depthwise"),
])
def test_wrapper_choice(library, kind, geometry, expected):
    assert kernels.variant_of(library, kind, **geometry) == expected


def test_same_padding():
    assert kernels.same_padding(8, 8, 3, 1) == 1
    assert kernels.same_padding(48, 24, 3, 2) == 0   # TFLite SAME puts the odd pixel at the end
    assert kernels.same_padding(10, 8, 3, 1) == 0    # VALID


TABLE = """
library = "toy-nn"
name = "toy"
source = "hand-made for tests"

[[kernel]]
variant = "conv"
core = "cortex-m4"
build = "O2"
simulated = "hand-made"
cycles_per_call = 1000.0
cycles_per_mac = 2.0
cycles_per_output = 10.0

[[kernel]]
variant = "fc"
core = "cortex-m4"
build = "O2"
simulated = "hand-made"
cycles_per_mac = 3.0

[[kernel]]
variant = "conv"
core = "cortex-m4"
build = "Os"
simulated = "hand-made"
cycles_per_mac = 7.0
"""


@pytest.fixture()
def toy_table(tmp_path, monkeypatch):
    (tmp_path / "toy-nn.toml").write_text(TABLE)
    monkeypatch.setattr(kernels, "_table_files", lambda: {"toy-nn": tmp_path / "toy-nn.toml"})
    caches = (kernels.load_table, kernels.builds, kernels.has_core)
    for cached in caches:
        cached.cache_clear()
    yield
    for cached in caches:
        cached.cache_clear()


def _layers():
    # a 3x3 conv 8x8x4 -> 8x8x8 (SAME) and an FC 64 -> 10, as the analysis writes them
    return pd.DataFrame([
        dict(op="CONV_2D", kind="conv", act_dtype="int8", weight_dtype="int8", macs=64 * 8 * 36, elements=512,
             input_shapes=[[1, 8, 8, 4]], output_shapes=[[1, 8, 8, 8]], kernel_h=3, kernel_w=3, in_channels=4,
             out_channels=8, stride_h=1, stride_w=1, weights_bytes=0, input_bytes=256, bytes_written=512),
        dict(op="FULLY_CONNECTED", kind="fc", act_dtype="int8", weight_dtype="int8", macs=640, elements=10,
             input_shapes=[[1, 64]], output_shapes=[[1, 10]], kernel_h=1, kernel_w=1, in_channels=64,
             out_channels=10, stride_h=0, stride_w=0, weights_bytes=0, input_bytes=64, bytes_written=10),
    ])


def test_layer_cycles_from_the_table(toy_table):
    rt = dataclasses.replace(load_runtime("tflm"), kernels="toy-nn", build="O2", kernels_by_core={},
                             interpreter="")  # dispatch from the coefficients, not the TFLM interpreter table
    core = load_core("cortex-m4")
    overhead = rt.coefficients["layer_overhead_cycles"] * core.speed
    cycles = layer_cycles(layer_arrays(_layers()), rt, core)["compute_cycles"].to_numpy()
    assert cycles[0] == pytest.approx(1000 + 2.0 * 18432 + 10.0 * 512 + overhead)
    assert cycles[1] == pytest.approx(3.0 * 640 + overhead)
    # a closed runtime: ratio per kernel kind, times its factor on this core
    closed = dataclasses.replace(rt, kernel_ratios={"conv_ratio": 0.5, "fc_ratio": 2.0},
                                 core_factors={"cortex-m4": 1.5})
    cycles = layer_cycles(layer_arrays(_layers()), closed, core)["compute_cycles"].to_numpy()
    assert cycles[0] == pytest.approx((1000 + 2.0 * 18432 + 10.0 * 512) * 0.5 * 1.5 + overhead)
    assert cycles[1] == pytest.approx(3.0 * 640 * 2.0 * 1.5 + overhead)


def test_build_choice_and_errors(toy_table):
    rt = dataclasses.replace(load_runtime("tflm"), kernels="toy-nn", build="O2", kernels_by_core={},
                             interpreter="")  # dispatch from the coefficients, not the TFLM interpreter table
    core = load_core("cortex-m4")
    os_build = with_build(rt, "-Os", core)
    cycles = layer_cycles(layer_arrays(_layers()), os_build, core)["compute_cycles"].to_numpy()
    assert cycles[0] == pytest.approx(7.0 * 18432 + rt.coefficients["layer_overhead_cycles"])
    with pytest.raises(UserError, match="unknown build of toy-nn on cortex-m4 'O3'"):
        with_build(rt, "O3", core)
    with pytest.raises(UserError, match="no simulated kernels"):
        with_build(load_runtime("tflite"), "Os", load_core("cortex-a72"))


def test_core_without_table_keeps_the_per_mac_model(toy_table):
    rt = dataclasses.replace(load_runtime("tflm"), kernels="toy-nn", build="O2", kernels_by_core={},
                             interpreter="")  # dispatch from the coefficients, not the TFLM interpreter table
    m7 = load_core("cortex-m7")
    plain = dataclasses.replace(rt, kernels="")
    a = layer_arrays(_layers())
    assert kernels.kernel_core(rt, m7) == ""
    assert kernels.modelled_basis(rt, m7) == "extrapolated"
    assert kernels.modelled_basis(rt, load_core("cortex-m4")) == "simulated"
    pd.testing.assert_frame_equal(layer_cycles(a, rt, m7), layer_cycles(a, plain, m7))


def test_estimate_build_option_is_checked():
    with pytest.raises(UserError, match="no simulated kernels"):
        jf.estimate("tests/data/mlperf_tiny/kws_ds_cnn_int8.tflite", mcu="rpi4", build="Os")
    # a closed runtime's costs are ratios fitted to the builds that were measured: another build means nothing
    with pytest.raises(UserError, match="ratios fitted to its measured builds"):
        jf.estimate("tests/data/mlperf_tiny/kws_ds_cnn_int8.tflite", mcu="stm32l4r5", runtime="x-cube-ai", build="Os")


def test_esp_nn_dispatch_per_core():
    rt = load_runtime("esp-nn")
    assert rt.kernels_for("xtensa-lx7") == "esp-nn-esp32s3"
    assert rt.kernels_for("riscv32") == "esp-nn-generic"
    assert rt.kernels_for("xtensa-lx6") == "esp-nn-generic"
