"""Fit each vendor NPU's one efficiency to its one published measurement, and print the table.

    python benchmarks/fit_npu.py            # print: part, anchor, its latency, the estimate at the fitted efficiency
    python benchmarks/fit_npu.py --write    # also write the efficiencies into power_models/mcus/<part>.toml

The throughput model (joulescope_free/hardware/npu.py) costs an NPU layer as max(work / efficiency, weight streaming)
+ a per-layer overhead: the estimated latency falls monotonically as the efficiency rises, so the efficiency that
meets the anchor latency is found by bisection (each step the chain itself on a copy of the part's file).

Anchors (power_models/reference/npu_anchors.csv, one per NPU): the MLPerf Tiny DS-CNN KWS model for the MCX N947,
nRF54LM20B, GAP9, EFR32MG24 and NDP120 (tests/data/mlperf_tiny/kws_ds_cnn_int8.tflite, run at the anchor's clock);
MobileNet v1 0.25 at 224x224 for the STM32N6 (built here with TensorFlow, the ``tf`` extra, with random weights:
only its layer shapes matter); the MAX78002 has no row there, so ADI's own kws20_v3 figure (a MAC count and a time,
AN7664 Table 4) is used as a MAC-only anchor. The i.MX RT700 and MAX78000 take the fitted efficiency of their
sister NPU (MCX N947, MAX78002).
"""
from __future__ import annotations

import argparse
import itertools
import math
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import joulescope_free as jf  # noqa: E402
from joulescope_free.hardware import npu as npu_model  # noqa: E402
from joulescope_free.hardware.catalog import load_mcu  # noqa: E402

KWS = ROOT / "tests" / "data" / "mlperf_tiny" / "kws_ds_cnn_int8.tflite"
MCUS = ROOT / "power_models" / "mcus"
#: part -> (anchor model, anchor latency [s], clock [MHz] the anchor ran at)
ANCHORS = {
    "mcxn947": ("kws", 3.329e-3, 150.0),
    "nrf54lm20b": ("kws", 4.5e-3, 128.0),
    "gap9": ("kws", 0.7322e-3, 240.0),
    "efr32mg24": ("kws", 36.2805e-3, 78.0),
    "ndp120": ("kws", 4.3672e-3, 30.7),
    "stm32n6": ("mobilenet_v1_025_224", 3.57e-3, None),
    "max78002": (("macs", 7.995e6), 0.40e-3, None),
}
COPIES = {"imxrt700": "mcxn947", "max78000": "max78002"}


def mobilenet_v1_025_224(folder: Path) -> Path:
    """MobileNet v1 alpha 0.25 at 224x224x3, 1000 classes, int8 (random weights: only the layer shapes matter)."""
    import numpy as np
    import tensorflow as tf

    model = tf.keras.applications.MobileNet(input_shape=(224, 224, 3), alpha=0.25, weights=None, classes=1000)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    converter.representative_dataset = lambda: ([rng.random((1, 224, 224, 3), dtype=np.float32)] for _ in range(4))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    path = folder / "mobilenet_v1_025_224_int8.tflite"
    path.write_bytes(converter.convert())
    return path


#: numbers the part-file copies: each copy a new name (part files are cached by path)
_COPIES = itertools.count(1)


def _estimate_at(part_id: str, eff: float, path: Path, clock_mhz, folder: Path) -> dict:
    """The part at efficiency ``eff`` (a copy of its file in ``folder``; each copy a new name: files are cached)."""
    text = (MCUS / f"{part_id}.toml").read_text(encoding="utf-8")
    text = re.sub(r"^efficiency = \{ value = [^,]+,", f"efficiency = {{ value = {eff!r},", text, flags=re.M)
    copy = folder / f"{part_id}-{next(_COPIES)}.toml"
    copy.write_text(text, encoding="utf-8")
    return jf.estimate(path, mcu=str(copy), clock_mhz=clock_mhz).summary


def fit_one(part_id: str, model, anchor_s: float, clock_mhz, folder: Path) -> tuple:
    """(efficiency, predicted latency at it [s]). Latency falls as the efficiency rises (a layer bound by its
    weights' streaming stops falling): bisection on log(efficiency)."""
    part = load_mcu(part_id)
    npu = npu_model.npu_of(part)
    if isinstance(model, tuple):  # a MAC count only: MACs / (peak x clock x time)
        eff = model[1] / (npu.macs_per_cycle * npu.clock_hz * anchor_s)
        return eff, model[1] / (npu.macs_per_cycle * eff * npu.clock_hz)
    path = KWS if model == "kws" else mobilenet_v1_025_224(folder)
    lo, hi = math.log(1e-4), math.log(1e4)
    if _estimate_at(part_id, math.exp(hi), path, clock_mhz, folder)["latency_s"] > anchor_s:
        raise SystemExit(f"{part_id}: even at efficiency 1e4 the estimate is slower than the anchor (host or weight "
                         f"streaming bound)")
    for _ in range(60):
        mid = (lo + hi) / 2
        if _estimate_at(part_id, math.exp(mid), path, clock_mhz, folder)["latency_s"] > anchor_s:
            lo = mid
        else:
            hi = mid
    eff = math.exp((lo + hi) / 2)
    return eff, _estimate_at(part_id, eff, path, clock_mhz, folder)["latency_s"]


def write_efficiency(part_id: str, value: float) -> None:
    path = MCUS / f"{part_id}.toml"
    text = path.read_text(encoding="utf-8")
    new, count = re.subn(r"^efficiency = \{ value = [^,]+,", f"efficiency = {{ value = {value:.4g},", text, flags=re.M)
    assert count == 1, part_id
    path.write_text(new, encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write the efficiencies into the part files")
    args = ap.parse_args(argv)
    fitted = {}
    print(f"{'part':<12} {'anchor':<24} {'anchor ms':>10} {'fitted ms':>10} {'efficiency':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for part_id, (model, anchor_s, clock_mhz) in ANCHORS.items():
            eff, predicted = fit_one(part_id, model, anchor_s, clock_mhz, Path(tmp))
            fitted[part_id] = eff
            name = model if isinstance(model, str) else f"{model[1] / 1e6:g} MMACs (ADI kws20_v3)"
            print(f"{part_id:<12} {name:<24} {anchor_s * 1e3:>10.4g} {predicted * 1e3:>10.4g} {eff:>11.4g}")
    for part_id, sister in COPIES.items():
        fitted[part_id] = fitted[sister]
        label = f"({sister}'s)"
        print(f"{part_id:<12} {label:<24} {'':>10} {'':>10} {fitted[part_id]:>11.4g}")
    if args.write:
        for part_id, eff in fitted.items():
            write_efficiency(part_id, eff)
        print("written to power_models/mcus/*.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
