"""Make the models behind the Linux-board anchors and write their operator-class totals.

``../shared/calibration/sbc_anchors.csv`` times MobileNet v1 1.0, v2 1.0, v3 Large and v3 Small (224x224, 1000
classes) in fp32 and int8 (per-channel) with XNNPACK. Costs do not depend on weights, so Keras' own definitions with
``weights=None`` stand in for the benchmarked graphs (XNNPACK's end2end-bench also uses random weights). Each model is
converted with TensorFlow (the ``tf`` extra), analysed with ``jf.analyze`` and reduced to what the Linux-board latency
model reads (:func:`joulescope_free.hardware.sbc.class_totals`). Output: ``power_models/boards/anchor_models.csv``,
read by ``benchmarks/sbc_accuracy.py`` (the fit and its leave-one-out validation).

    python benchmarks/sbc_models.py        # about 5 minutes on two cores
"""
from __future__ import annotations

import csv
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "power_models" / "boards" / "anchor_models.csv"
MODELS = {  # anchor name -> keras.applications constructor name
    "MobileNet v1 1.0X": "MobileNet",
    "MobileNet v2 1.0X": "MobileNetV2",
    "MobileNet v3 Large": "MobileNetV3Large",
    "MobileNet v3 Small": "MobileNetV3Small",
}


def convert(name: str, dtype: str, folder: Path) -> Path:
    import tensorflow as tf

    build = getattr(tf.keras.applications, MODELS[name])
    kwargs = {"include_preprocessing": False} if "V3" in MODELS[name] else {}
    model = build(input_shape=(224, 224, 3), weights=None, classes=1000, **kwargs)
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if dtype == "int8":
        rng = np.random.default_rng(0)

        def representative():
            for _ in range(4):
                yield [rng.random((1, 224, 224, 3), dtype=np.float32)]

        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = representative
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = conv.inference_output_type = tf.int8
    path = folder / f"{MODELS[name]}_{dtype}.tflite"
    path.write_bytes(conv.convert())
    return path


def main() -> int:
    import joulescope_free as jf
    from joulescope_free.hardware.sbc import CLASS_COLUMNS, class_totals

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in MODELS:
            for dtype in ("fp32", "int8"):
                path = convert(name, dtype, Path(tmp))
                analysis = jf.analyze(path).attrs["analysis"]
                rows.append({"model": name, "dtype": dtype, **class_totals(analysis.records)})
                print(name, dtype, rows[-1], file=sys.stderr)
    with OUT.open("w", newline="") as fh:
        fh.write("# operator-class totals of the anchor models (Keras applications, weights=None, 224x224, 1000 "
                 "classes), written by benchmarks/sbc_models.py\n")
        writer = csv.DictWriter(fh, ["model", "dtype", *CLASS_COLUMNS])
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {OUT.relative_to(ROOT)} ({len(rows)} models)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
