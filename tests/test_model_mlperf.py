"""The four MLPerf Tiny reference models: published MAC totals and hand-derived sizes."""
from pathlib import Path

import pytest

from joulescope_free.model.analysis import analyze_path

MLPERF = Path(__file__).parent / "data" / "mlperf_tiny"

# Published totals (MLPerf Tiny benchmark paper / reference READMEs), one MAC = one multiply-accumulate.
PUBLISHED_MACS = {
    "kws_ds_cnn_int8": 2_656_768,
    "vww_mobilenet_v1_025_96_int8": 7_489_664,
    "ic_resnet8_int8": 12_501_632,
    "ad_fc_autoencoder_int8": 264_192,
}


@pytest.mark.parametrize("name,macs", sorted(PUBLISHED_MACS.items()))
def test_published_mac_totals(name, macs):
    r = analyze_path(MLPERF / f"{name}.tflite")
    assert r.summary["macs"] == macs
    assert r.tensor_type == "int8"
    assert r.summary["n_unsupported"] == 0 and r.warnings == []


def test_ad_autoencoder_by_hand():
    r = analyze_path(MLPERF / "ad_fc_autoencoder_int8.tflite")
    widths = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640]
    assert [x["macs"] for x in r.records] == [a * b for a, b in zip(widths, widths[1:])]
    # int8 weight matrices + int32 biases, each buffer once
    assert r.summary["weights_bytes"] == sum(a * b for a, b in zip(widths, widths[1:])) + 4 * sum(widths[1:])
    # arena: the 640 B input and the first 128 B activation alive together (both multiples of 16)
    assert r.summary["arena_bytes"] == 640 + 128
    assert r.summary["n_layers"] == 10


def test_kws_by_hand():
    r = analyze_path(MLPERF / "kws_ds_cnn_int8.tflite")
    first = r.records[0]
    # 49x10x1 MFCC -> conv 10x4 stride 2 -> 25x5x64
    assert first["output_shapes"] == [[1, 25, 5, 64]]
    assert first["macs"] == 25 * 5 * 64 * 10 * 4
    # arena: two 25x5x64 int8 activations alive at once
    assert r.summary["arena_bytes"] == 2 * 25 * 5 * 64


def test_vww_first_layers_and_arena():
    r = analyze_path(MLPERF / "vww_mobilenet_v1_025_96_int8.tflite")
    conv0, dw1, pw2 = r.records[:3]
    assert conv0["macs"] == 48 * 48 * 8 * 3 * 3 * 3
    assert dw1["macs"] == 48 * 48 * 8 * 3 * 3
    assert pw2["macs"] == 48 * 48 * 16 * 8
    # the greedy plan cannot beat the largest live pair (48x48x8 + 48x48x16 = 55296 B); tflite-micro reports 73728
    assert 55296 <= r.summary["arena_bytes"] <= 73728


def test_hybrid_kws():
    r = analyze_path(MLPERF / "kws_ds_cnn_float32_hybrid.tflite")
    assert r.tensor_type == "hybrid"
    assert r.summary["macs"] == PUBLISHED_MACS["kws_ds_cnn_int8"]
