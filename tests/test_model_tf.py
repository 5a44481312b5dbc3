"""Cross-check the reader against TensorFlow's own interpreter: operator list, tensor shapes and dtypes."""
from pathlib import Path

import pytest

from joulescope_free.model.analysis import analyze_path

tf = pytest.importorskip("tensorflow")
pytestmark = pytest.mark.filterwarnings("ignore:.*tf.lite.Interpreter is deprecated")

DATA = Path(__file__).parent / "data"
MODELS = sorted((DATA / "mlperf_tiny").glob("*.tflite")) + sorted(
    p for p in (DATA / "tiny").glob("*.tflite") if "flex" not in p.stem)  # Flex ops need the Flex delegate


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_ops_and_shapes_agree_with_tf_interpreter(path):
    ours = analyze_path(path)
    interp = tf.lite.Interpreter(model_path=str(path))
    ops = [d for d in interp._get_ops_details() if d.get("index", 0) >= 0]
    main = [d for d in ops if d["index"] < ours.summary["n_layers"]][: ours.summary["n_layers"]]
    assert [d["op_name"] for d in main] == [r["op"] for r in ours.records]
    details = {d["index"]: d for d in interp.get_tensor_details()}
    for d, rec in zip(main, ours.records):
        out_shapes = [list(int(x) for x in details[i]["shape"]) for i in d["outputs"] if i >= 0]
        assert out_shapes == rec["output_shapes"], rec["op"]
    tf_inputs = interp.get_input_details()
    assert [list(map(int, t["shape"])) for t in tf_inputs] == [t["shape"] for t in ours.inputs]
    assert [t["dtype"].__name__ for t in tf_inputs] == [t["dtype"] for t in ours.inputs]
