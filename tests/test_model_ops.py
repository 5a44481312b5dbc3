"""Per-operator costs on tiny generated models (tests/data/tiny, made by make_tiny_models.py).

Every expected number below is worked out by hand from the layer shapes, not read back from the code.
"""
from pathlib import Path

import pytest

from joulescope_free.model.analysis import LAYER_COLUMNS, analyze_path
from joulescope_free.model.handlers import HANDLERS, KINDS

TINY = Path(__file__).parent / "data" / "tiny"


def run(name):
    return analyze_path(TINY / f"{name}.tflite")


def ops(result):
    return [r["op"] for r in result.records]


def test_conv_add_pools_int8():
    r = run("conv_add_pool_int8")
    assert ops(r) == ["CONV_2D", "CONV_2D", "ADD", "MAX_POOL_2D", "AVERAGE_POOL_2D"]
    conv3, conv1, add, maxpool, avgpool = r.records
    # 3x3 same conv 8x8x3 -> 8x8x4: 8*8*4 outputs x 3*3*3 taps
    assert conv3["macs"] == 8 * 8 * 4 * 3 * 3 * 3 == 6912
    assert (conv3["kernel_h"], conv3["kernel_w"], conv3["in_channels"], conv3["out_channels"]) == (3, 3, 3, 4)
    # 1x1 conv: 256 outputs x 3 input channels
    assert conv1["macs"] == 8 * 8 * 4 * 3
    # weights: int8 filter 4*3*3*3 = 108 B + int32 bias 4*4 = 16 B
    assert conv3["weights_bytes"] == 108 + 16
    assert conv3["input_bytes"] == 8 * 8 * 3 and conv3["output_bytes"] == 256
    assert conv3["bytes_read"] == 192 + 124 and conv3["bytes_written"] == 256
    assert add["macs"] == 0 and add["kind"] == "elementwise" and add["elements"] == 256
    assert add["input_bytes"] == 2 * 256
    assert maxpool["kind"] == avgpool["kind"] == "pool"
    assert maxpool["elements"] == 4 * 4 * 4 and avgpool["elements"] == 2 * 2 * 4
    assert (maxpool["kernel_h"], maxpool["stride_w"]) == (2, 2)
    assert r.summary["macs"] == 6912 + 768
    assert r.tensor_type == "int8"
    # arena by hand: the 3 conv/add outputs of 256 B are all alive at step 3 (ADD reads both conv outputs while
    # writing its own); no step needs more (step 2: input 192 + 2 x 256 = 704), so the greedy plan is 768 B
    assert r.summary["arena_bytes"] == 768


def test_grouped_conv_counts_cin_per_group():
    r = run("conv_grouped_float32")
    (conv,) = r.records
    # 6x6x4 -> 6x6x8, 3x3, groups=2: each output sees Cin/groups = 2 channels
    assert conv["macs"] == 6 * 6 * 8 * 3 * 3 * 2 == 5184
    assert conv["in_channels"] == 4 and conv["out_channels"] == 8
    assert r.tensor_type == "float32"


def test_depthwise_stride2_multiplier2():
    (dw,) = run("depthwise_int8").records
    # 9x9x4 valid 3x3 stride 2 -> 4x4x(4*2); MACs = outputs x 3x3
    assert dw["output_shapes"] == [[1, 4, 4, 8]]
    assert dw["macs"] == 4 * 4 * 8 * 9 == 1152
    assert (dw["kind"], dw["stride_h"], dw["stride_w"], dw["out_channels"]) == ("depthwise", 2, 2, 8)


def test_fully_connected_and_softmax():
    r = run("fc_softmax_int8")
    fc, sm = r.records
    assert fc["macs"] == 10 * 20 and fc["kind"] == "fc"
    assert fc["weights_bytes"] == 200  # int8 weights; the converter dropped the all-zero bias (input -1)
    assert sm["kind"] == "softmax" and sm["macs"] == 0 and sm["elements"] == 10


def test_conv1d_is_expand_conv_reshape():
    r = run("conv1d_int8")
    assert [rec["kind"] for rec in r.records] == ["reshape", "conv", "reshape"]
    conv = r.records[1]
    # 16 steps, kernel 5 valid -> 12 steps x 6 filters, each 5 taps x 3 channels
    assert conv["macs"] == 12 * 6 * 5 * 3 == 1080
    assert (conv["kernel_h"], conv["kernel_w"]) == (1, 5)


def test_transpose_conv():
    (tc,) = run("transpose_conv_int8").records
    # input pixels 4*4 x 3x3 kernel x Cin 3 x Cout 2
    assert tc["macs"] == 16 * 9 * 3 * 2 == 864
    assert tc["output_shapes"] == [[1, 8, 8, 2]] and tc["kind"] == "transpose_conv"


def test_misc_ops_have_zero_macs_and_elements():
    r = run("misc_int8_float_io")
    kinds = {rec["op"]: rec["kind"] for rec in r.records}
    assert kinds["QUANTIZE"] == kinds["DEQUANTIZE"] == "quantize"
    assert kinds["CONCATENATION"] == kinds["PAD"] == "data"
    assert kinds["MEAN"] == "pool" and kinds["LOGISTIC"] == kinds["TANH"] == "activation"
    assert kinds["MUL"] == "elementwise"
    assert r.summary["macs"] == 0
    by_op = {rec["op"]: rec for rec in r.records}
    assert by_op["PAD"]["output_shapes"] == [[1, 6, 6, 4]] and by_op["PAD"]["elements"] == 144
    mean = by_op["MEAN"]
    assert (mean["kernel_h"], mean["kernel_w"], mean["elements"]) == (6, 6, 4)
    assert by_op["QUANTIZE"]["act_dtype"] == "float32"
    assert r.tensor_type == "int8"  # float I/O around an int8 graph is still int8
    assert r.inputs[0]["dtype"] == "float32" and r.inputs[0]["shape"] == [1, 4, 4, 2]


def test_int16x8():
    r = run("conv_fc_int16x8")
    assert r.tensor_type == "int16x8"
    conv = next(x for x in r.records if x["op"] == "CONV_2D")
    fc = next(x for x in r.records if x["op"] == "FULLY_CONNECTED")
    assert conv["macs"] == 6 * 6 * 3 * 3 * 3 * 2
    assert fc["macs"] == 5 * 108
    assert conv["act_dtype"] == "int16" and conv["weight_dtype"] == "int8"
    assert conv["output_bytes"] == 6 * 6 * 3 * 2


def test_dynamic_range_is_hybrid():
    r = run("fc_dynamic")
    assert r.tensor_type == "hybrid"
    assert r.summary["macs"] == 64 * 32 + 32 * 16
    assert any("hybrid" in w for w in r.warnings)


def test_lstm_gate_matmuls():
    (lstm,) = run("lstm_float32").records
    # 5 steps x (4 input-to-gate [4x3] + 4 recurrent-to-gate [4x4])
    assert lstm["macs"] == 5 * (4 * 4 * 3 + 4 * 4 * 4) == 560
    assert lstm["kind"] == "rnn"
    # state tensors are read and written back
    assert lstm["bytes_written"] == 5 * 4 * 4 + 2 * 4 * 4


def test_batch_matmul_from_tf2_function():
    r = run("batch_matmul_tf2_float32")
    (mm,) = r.records
    assert mm["macs"] == 3 * 5 * 4 and mm["kind"] == "matmul"


def test_several_subgraphs_warn_and_use_main():
    r = run("while_float32")
    assert r.summary["n_subgraphs"] == 3
    assert ops(r) == ["WHILE"]
    assert any("subgraph 0" in w for w in r.warnings)
    r = run("lstm_keras3_while_float32")
    assert any("WHILE" in w for w in r.warnings)


def test_flex_op_is_unsupported_not_fatal():
    r = run("flex_det_float32")
    flex = [x for x in r.records if not x["supported"]]
    assert [x["op"] for x in flex] == ["FlexMatrixDeterminant"]
    assert flex[0]["kind"] == "unsupported" and flex[0]["elements"] == 1
    assert r.summary["n_unsupported"] == 1
    assert any("FlexMatrixDeterminant" in w for w in r.warnings)
    assert r.summary["macs"] == 4 * 4  # the FULLY_CONNECTED before it: 4 outputs x 4 inputs


def test_layer_frame_columns_and_json_roundtrip():
    import json

    r = run("conv_add_pool_int8")
    assert list(r.layers.columns) == list(LAYER_COLUMNS)
    assert len(r.layers) == 5 and int(r.layers["macs"].sum()) == r.summary["macs"]
    doc = json.loads(r.to_json())
    assert set(doc) >= {"model", "summary", "layers", "warnings"}
    assert set(doc["model"]) >= {"path", "sha256", "tensor_type", "inputs", "outputs"}
    assert len(doc["model"]["sha256"]) == 64
    for key in ("macs", "weights_bytes", "arena_bytes", "peak_ram_bytes", "flash_bytes", "n_layers",
                "bytes_read", "bytes_written", "tensor_type"):
        assert key in doc["summary"]
    assert doc["summary"]["peak_ram_bytes"] > doc["summary"]["arena_bytes"]
    assert doc["summary"]["flash_bytes"] > doc["summary"]["weights_bytes"]


def test_registry_kinds_are_known():
    assert "CONV_2D" in HANDLERS and "UNIDIRECTIONAL_SEQUENCE_LSTM" in HANDLERS
    for name in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS"):
        assert HANDLERS[name].__name__ == "reshape_handler"
    for name in ("conv", "depthwise", "fc", "pool", "reshape", "quantize", "unsupported"):
        assert name in KINDS


@pytest.mark.parametrize("name", sorted(p.stem for p in TINY.glob("*.tflite")))
def test_every_tiny_model_renders(name, capsys):
    from joulescope_free.render.analysis import render_analysis

    render_analysis(run(name))
    out = capsys.readouterr().out
    assert "MACs" in out and "arena" in out
