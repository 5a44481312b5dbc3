"""Latency of the MLPerf Tiny models per memory placement on the parts with a memory map (hardware/memory.py).

    python benchmarks/placements.py [--mcu imxrt1062,stm32h7a3,esp32s3]

One row per (part, model): the default placement (where the part's toolchain puts weights and arena), then the
latency with the weights in each other memory that can hold them and with the arena in PSRAM where the part has
it, and the share of the default's cycles spent waiting on memory.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from joulescope_free.chain import estimate  # noqa: E402
from joulescope_free.errors import UserError  # noqa: E402
from joulescope_free.hardware.catalog import load_mcu  # noqa: E402
from joulescope_free.hardware.memory import memory_map  # noqa: E402

MODELS = {"kws": "kws_ds_cnn_int8", "vww": "vww_mobilenet_v1_025_96_int8", "ic": "ic_resnet8_int8",
          "ad": "ad_fc_autoencoder_int8"}
DATA = ROOT / "tests" / "data" / "mlperf_tiny"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mcu", default="imxrt1062,stm32h7a3,esp32s3")
    args = ap.parse_args()
    print(f"{'part':10} {'model':5} {'default':>10} {'memory':>7}  other placements (latency ms)")
    for mcu_id in args.mcu.split(","):
        mmap = memory_map(load_mcu(mcu_id))
        for short, name in MODELS.items():
            path = DATA / f"{name}.tflite"
            base = estimate(path, mcu_id)
            memory = sum(float(x) for x in base.layers["memory_cycles"]) / float(base.summary["cycles"])
            where = next(a for a in base.assumptions if " memory: code in " in a).split("weights in ")[1].split(" (")[0]
            others = []
            for region in mmap.regions:
                if region.name == where:
                    continue
                try:
                    lat = estimate(path, mcu_id, weights_in=region.name).summary["latency_s"]
                    others.append(f"weights {region.name} {lat * 1e3:.2f}")
                except UserError:
                    others.append(f"weights {region.name} -")
            if any(r.kind == "psram" for r in mmap.regions):
                lat = estimate(path, mcu_id, arena_in="psram").summary["latency_s"]
                others.append(f"arena psram {lat * 1e3:.2f}")
            print(f"{mcu_id:10} {short:5} {base.summary['latency_s'] * 1e3:8.2f}ms {memory:7.1%}  "
                  f"(weights in {where}) " + "; ".join(others))


if __name__ == "__main__":
    main()
