"""Float32/hybrid kernels and the TFLM interpreter overhead (issue 17 items 4 and 5): what the simulated tables say
and what they change.

Prints
1. the float kernels' cycles per MAC (typical shapes) per core from power_models/kernels/tflm-reference-float.toml,
   next to the int8 reference kernels on the same core;
2. the TFLM interpreter figures per core (power_models/interpreters/tflm.toml);
3. the float32 ResNet-8 and the hybrid KWS on a few parts with runtime tflm: latency with the simulated float kernels
   and interpreter ("now") against the per-MAC x float32_factor estimate with the 500/5000-cycle dispatch guesses
   ("before": the same runtime with its interpreter table switched off);
4. the MLPerf Tiny rows of the shipped table whose runtime runs the TFLM interpreter: median and worst
   |predicted/measured - 1| now and before, and the interpreter's share of each predicted latency.

    python benchmarks/float_and_interpreter.py
"""
from __future__ import annotations

import dataclasses
import sys
import tomllib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from joulescope_free.chain import _analysis, _layer_arrays  # noqa: E402
from joulescope_free.hardware.catalog import load_mcu  # noqa: E402
from joulescope_free.hardware.cycles import cycle_arrays, total_cycles  # noqa: E402
from joulescope_free.hardware.interpreter import overhead_cycles  # noqa: E402
from joulescope_free.hardware.runtimes import load_core, load_runtime  # noqa: E402
from joulescope_free.validation import load_measurements  # noqa: E402

CORES = ("cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m33", "cortex-m7")
MODELS = {"IC ResNet-8 float32": ROOT / "tests/data/mlperf_tiny/ic_resnet8_float32.tflite",
          "KWS DS-CNN hybrid": ROOT / "tests/data/mlperf_tiny/kws_ds_cnn_float32_hybrid.tflite",
          "KWS DS-CNN int8": ROOT / "tests/data/mlperf_tiny/kws_ds_cnn_int8.tflite"}
PARTS = (("stm32l4r5", 120e6), ("stm32h743", 480e6), ("stm32u585", 160e6), ("rp2040", 133e6))


def _entries(name: str) -> dict:
    raw = tomllib.loads((ROOT / "power_models" / "kernels" / f"{name}.toml").read_text())
    return {(e["variant"], e["core"], e["build"]): e for e in raw["kernel"]}


def latency_s(model: Path, runtime, mcu_id: str, clock_hz: float) -> tuple:
    part = load_mcu(mcu_id)
    core = load_core(part.core)
    arrays = _layer_arrays(_analysis(str(model)))
    compute, memory = cycle_arrays(arrays, runtime, core, part, clock_hz)
    dispatch, invoke = overhead_cycles(runtime, core, arrays.kind)
    total = total_cycles(compute, memory, runtime, core)
    return total / clock_hz, (float(dispatch.sum()) + invoke) / total


def main() -> int:
    fl, i8 = _entries("tflm-reference-float"), _entries("tflm-reference")
    print("1. cycles per MAC at the typical shape, -O2 (float32 | int8 reference); soft-float on M0+/M3")
    print(f"{'variant':10s} " + " ".join(f"{c:>22s}" for c in CORES))
    for variant in ("conv", "depthwise", "fc", "avgpool", "maxpool", "hybrid_conv"):
        cells = []
        for core in CORES:
            f = fl.get((variant, core, "O2"), {}).get("typical_cycles_per_mac")
            i = i8.get((variant, core, "O2"), {}).get("typical_cycles_per_mac")
            cells.append(f"{f:9.1f} | {i:5.1f}" if f and i else f"{f:9.1f} |     -" if f else f"{'-':>22s}")
        print(f"{variant:10s} " + " ".join(f"{c:>22s}" for c in cells))
    for variant, unit in (("add", "output"), ("softmax", "output"), ("dequantize", "output")):
        cells = [f"{fl[(variant, c, 'O2')].get(f'cycles_per_{unit}', 0):9.1f}/{unit[:3]}" for c in CORES]
        print(f"{variant:10s} " + " ".join(f"{c:>22s}" for c in cells))

    raw = tomllib.loads((ROOT / "power_models" / "interpreters" / "tflm.toml").read_text())
    print("\n2. TFLM interpreter cycles (simulated transcription): per invoke / per operator with weights / other")
    for core in CORES:
        e = {x["operator"]: x for x in raw["overhead"] if x["core"] == core}
        print(f"{core:14s} {e['conv']['per_invoke_cycles']:6.0f} {e['conv']['per_operator_cycles']:8.0f} "
              f"{e['simple']['per_operator_cycles']:8.0f}")

    tflm = load_runtime("tflm")
    before = dataclasses.replace(tflm, interpreter="")
    print("\n3. latency with runtime tflm: now (simulated float kernels + interpreter) / before (per-MAC x "
          "float32_factor, 500/5000 dispatch)")
    for label, model in MODELS.items():
        for mcu_id, clock in PARTS:
            now, share = latency_s(model, tflm, mcu_id, clock)
            old, _ = latency_s(model, before, mcu_id, clock)
            print(f"{label:22s} {mcu_id:10s} {clock / 1e6:4.0f} MHz  now {now * 1e3:9.2f} ms  before "
                  f"{old * 1e3:9.2f} ms  now/before {now / old:5.2f}  interpreter {share * 100:4.1f} %")

    rows = load_measurements()
    rows = rows[[isinstance(r, str) and load_runtime(r).interpreter == "tflm" for r in rows["runtime_label"]]]
    err_now, err_before, shares, labels = [], [], [], []
    for r in rows.itertuples():
        rt = load_runtime(r.runtime_label)
        now, share = latency_s(Path(r.model_path), rt, r.mcu_id, r.clock_hz)
        old, _ = latency_s(Path(r.model_path), dataclasses.replace(rt, interpreter=""), r.mcu_id, r.clock_hz)
        err_now.append(abs(now / r.latency_s - 1))
        err_before.append(abs(old / r.latency_s - 1))
        shares.append(share)
        labels.append(f"{r.runtime_label} {r.mcu_id} {Path(r.model_path).stem} {r.latency_s * 1e3:.3g} ms")
    print(f"\n4. {len(rows)} shipped MLPerf Tiny rows on TFLM-interpreter runtimes: median |error| now "
          f"{np.median(err_now) * 100:.1f} % (worst {max(err_now) * 100:.0f} %), before "
          f"{np.median(err_before) * 100:.1f} % (worst {max(err_before) * 100:.0f} %)")
    for i in np.argsort(shares)[::-1][:5]:
        print(f"   interpreter {shares[i] * 100:4.1f} % of {labels[i]}: error now {err_now[i] * 100:5.1f} %, before "
              f"{err_before[i] * 100:5.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
