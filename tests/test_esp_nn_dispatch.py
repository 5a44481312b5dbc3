"""ESP-NN's ESP32-S3 dispatch (hardware/kernels.py) against the rules of ESP-NN's own source, and what the
ESP32-S3's memory map charges for weights in its QSPI flash, by hand."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from joulescope_free.api import _analysis
from joulescope_free.hardware.cycles import cycle_arrays, layer_arrays
from joulescope_free.hardware.kernels import layer_shapes, variant_of
from joulescope_free.hardware.catalog import load_mcu
from joulescope_free.hardware.runtimes import load_core, load_runtime

DATA = Path(__file__).parent / "data" / "mlperf_tiny"
S3 = "esp-nn-esp32s3"
ESP_NN_SRC = Path(__file__).resolve().parents[2] / "shared" / "third_party" / "esp-nn" / "src" / "convolution"


def conv(**kw):
    return variant_of(S3, "conv", **kw)


def test_a_first_layer_on_three_channels_takes_the_im2col_path():
    # esp_nn_conv_esp32s3.c: "if (filter_row_size < 16 && window_len >= 16) esp_nn_conv_s8_im2col_s3(...)" with
    # filter_row_size = filter_wd * channels and window_len = filter_wd * filter_ht * channels:
    # 3x3 on 3 channels: row 9 < 16, window 27 >= 16
    assert conv(k_h=3, k_w=3, in_c=3, stride_h=2, stride_w=2, pad_h=0, pad_w=0) == "conv_im2col"
    assert conv(k_h=3, k_w=3, in_c=3, pad_h=1, pad_w=1) == "conv_im2col"
    # KWS's first layer: 10x4 on 1 channel, row 4, window 40
    assert conv(k_h=10, k_w=4, in_c=1, stride_h=2, stride_w=2) == "conv_im2col"
    # a 2x2 filter on 3 channels: window 12 < 16, the general aligned kernel
    assert conv(k_h=2, k_w=2, in_c=3) == "conv"
    # 3x3 on 16 channels: row 48, the general filter-aligned, input-padded assembly (ResNet-8's body)
    assert conv(k_h=3, k_w=3, in_c=16, pad_h=1, pad_w=1) == "conv"


def test_1x1_takes_the_mult8_kernel_only_unpadded_stride_1_and_channels_a_multiple_of_8():
    # "if (filter_wd == 1 && filter_ht == 1 && pad_wd == 0 && pad_ht == 0 && stride_wd == 1 && stride_ht == 1)
    #  { if (channels % 8 == 0) esp_nn_conv_s8_mult8_1x1_esp32s3 else esp_nn_conv_s8_1x1 }"
    assert conv(in_c=64) == "conv_1x1"
    assert conv(in_c=12) == "conv_1x1_any"
    assert conv(in_c=16, stride_h=2, stride_w=2) == "conv"  # ResNet-8's strided shortcut: row 16, general path


def test_depthwise_paths_by_channels():
    dw = lambda c, k=3, mult=1: variant_of(S3, "depthwise", k_h=k, k_w=k, in_c=c, out_c=c * mult)  # noqa: E731
    assert dw(64) == "depthwise_3x3"          # channels % 16 == 0: s8 mult1_3x3_padded
    assert dw(24) == "depthwise_3x3"          # % 8 and >= 12: channels padded to 16, same kernel
    assert dw(8) == "depthwise_3x3_s16"       # the 'ch<12 path' (person-detection layer, test case 15)
    assert dw(12) == "depthwise_mult1_s16"    # not a multiple of 8 but > 3
    assert dw(64, k=5) == "depthwise_mult1_s16"
    assert dw(4, mult=8) == "depthwise"       # s16 mult8 (the README's 8x5x5x4 row)
    assert dw(3) == "depthwise_generic"


def test_the_rules_quoted_here_are_the_snapshots():
    if not ESP_NN_SRC.is_dir():
        pytest.skip(f"ESP-NN sources not beside the clone ({ESP_NN_SRC})")
    conv_c = (ESP_NN_SRC / "esp_nn_conv_esp32s3.c").read_text()
    assert "if (filter_row_size < 16 && window_len >= 16) {" in conv_c
    assert re.search(r"filter_wd == 1 && filter_ht == 1 && pad_wd == 0 && pad_ht == 0 &&\s*"
                     r"stride_wd == 1 && stride_ht == 1\) \{\s*if \(channels % 8 == 0\)", conv_c)
    dw_c = (ESP_NN_SRC / "esp_nn_depthwise_conv_s8_esp32s3.c").read_text()
    assert "} else if (channels >= 12) {" in dw_c


def test_model_layers_dispatch():
    vww = _analysis(DATA / "vww_mobilenet_v1_025_96_int8.tflite").records
    variants = layer_shapes(vww).variants(S3)
    assert variants[0] == "conv_im2col"        # 3x3 stride 2 on the 96x96x3 image
    assert variants[1] == "depthwise_3x3_s16"  # 3x3 depthwise on 8 channels
    assert variants[2] == "conv_1x1"           # 1x1 on 8 channels: 8 % 8 == 0, the mult8 assembly
    assert variants[3] == "depthwise_3x3"      # 16 channels, stride 2 (TFLite SAME: leading pad 0)


def test_weights_in_qspi_flash_cost_the_refill_bus_time_with_8_pixel_reuse_in_1x1():
    vww = _analysis(DATA / "vww_mobilenet_v1_025_96_int8.tflite")
    rows, arrays = vww.records, layer_arrays(vww.records)
    mcu, core, rt = load_mcu("esp32s3"), load_core("xtensa-lx7"), load_runtime("esp-nn")
    _, memory = cycle_arrays(arrays, rt, core, mcu, 240e6)
    # ESP32-S3 map: quad SPI flash at 80 MHz, 20 overhead clocks, 32-byte lines: (20 + 64) / 80e6 x 240e6 / 32
    per_byte = (20 + 64) / 80e6 * 240e6 / 32
    last = max(i for i, r in enumerate(rows) if r["op"] == "CONV_2D")  # 1x1, 256 -> 256 on 3x3 pixels
    w, macs = rows[last]["weights_bytes"], rows[last]["macs"]
    assert w > 32768  # does not stay in the 32 KB data cache: streamed, each weight once per 8 pixels
    assert memory[last] == pytest.approx(max(macs / 8, w) * per_byte, rel=1e-9)
    assert np.all(memory >= 0)
