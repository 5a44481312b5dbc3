"""The four MLPerf Tiny models on every part with an NPU, with and without it, beside each NPU's one anchor.

    python benchmarks/npu_table.py                # every NPU part, NPU and CPU-only, the four models
    python benchmarks/npu_table.py --mcu mcxn947 --mcu alif-e3

Columns: latency and energy per inference with the NPU (and the band's basis), the share of layers and of time on the
NPU, the CPU-only latency and energy of the same part, and the speed-up. The anchor column repeats the one published
latency each NPU's efficiency was fitted to (power_models/reference/npu_anchors.csv), on the model it was measured on.
Ethos-U parts need the ``npu`` extra (Vela).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import joulescope_free as jf  # noqa: E402
from joulescope_free.errors import UserError  # noqa: E402
from joulescope_free.hardware.catalog import load_mcu  # noqa: E402
from joulescope_free.hardware.npu import npu_of, npu_parts  # noqa: E402

MODELS = {"kws": "kws_ds_cnn_int8.tflite", "vww": "vww_mobilenet_v1_025_96_int8.tflite",
          "ic": "ic_resnet8_int8.tflite", "ad": "ad_fc_autoencoder_int8.tflite"}
DATA = ROOT / "tests" / "data" / "mlperf_tiny"
ANCHORS = {"mcxn947": ("kws", 3.329e-3), "nrf54lm20b": ("kws", 4.5e-3), "gap9": ("kws", 0.7322e-3),
           "efr32mg24": ("kws", 36.2805e-3), "ndp120": ("kws", 4.3672e-3),
           "stm32n6": ("MobileNet v1 0.25 224", 3.57e-3), "max78002": ("ADI kws20_v3", 0.40e-3)}


def row(part: str, model: str) -> str:
    path = DATA / MODELS[model]
    try:
        npu = jf.estimate(path, mcu=part).summary
        cpu = jf.estimate(path, mcu=part, accelerator="none").summary
    except UserError as exc:
        return f"{part:<13} {model:<4} {str(exc)[:100]}"
    anchor = ""
    if part in ANCHORS and ANCHORS[part][0] == model:
        anchor = f"{ANCHORS[part][1] * 1e3:.4g} ms"
    elif part in ANCHORS:
        anchor = f"({ANCHORS[part][0]}: {ANCHORS[part][1] * 1e3:.4g} ms)" if model == "kws" else ""
    return (f"{part:<13} {model:<4} {npu['latency_s'] * 1e3:>9.3g} {npu['energy_per_inference_j'] * 1e6:>9.3g} "
            f"{npu['estimate_basis']:<12} {npu['npu_layer_share']:>6.0%} {npu['npu_time_share']:>6.0%} "
            f"{cpu['latency_s'] * 1e3:>9.3g} {cpu['energy_per_inference_j'] * 1e6:>9.3g} "
            f"{cpu['latency_s'] / npu['latency_s']:>7.1f}x  {anchor}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mcu", action="append", help="parts (default: every part with an NPU)")
    ap.add_argument("--model", action="append", choices=list(MODELS), help="models (default: all four)")
    args = ap.parse_args(argv)
    parts = args.mcu or [m.id for m in npu_parts()]
    print(f"{'part':<13} {'model':<4} {'NPU ms':>9} {'NPU µJ':>9} {'basis':<12} {'layers':>6} {'time':>6} "
          f"{'CPU ms':>9} {'CPU µJ':>9} {'speed-up':>8}  anchor")
    for part in parts:
        if npu_of(load_mcu(part)) is None:
            print(f"{part:<13} has no NPU")
            continue
        for model in args.model or MODELS:
            print(row(part, model), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
