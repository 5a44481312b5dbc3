"""EEMBC EnergyRunner runs (issue 22): what ``energy measure`` reads from each shipped MLPerf Tiny run beside what
EnergyRunner stated, and what a calibration from each run then predicts for the other MLPerf Tiny models on the
same board and runtime, beside the published figures (tests/data/mlperf_tiny/mlperf_tiny_calibration.csv).

The supply of each run is the energy monitor's voltage in its log.txt (``emon: m-voltage-mv``), which matches the
submissions' system descriptions quoted in tests/data/traces/eembc/SOURCES.md. Usage::

    python benchmarks/eembc_runs.py
"""
from __future__ import annotations

import csv
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EEMBC = ROOT / "tests" / "data" / "traces" / "eembc"
MLPERF = ROOT / "tests" / "data" / "mlperf_tiny"

#: run folder -> (--mcu, --runtime, --clock-mhz, (round, submitter, board, runtime_detail) of its published rows)
RUNS = {
    "v1.1/closed/Krai/results/NUCLEO-L4R5ZI_X-CUBE-AI-8.0/kws/energy":
        ("stm32l4r5", "x-cube-ai@8.0", 120, ("v1.1", "Krai", "NUCLEO-L4R5ZI", "X-CUBE-AI v8.0.0")),
    "v1.1/closed/STMicroelectronics/results/NUCLEO_U575ZI_Q/kws/energy":
        ("stm32u575", "x-cube-ai@8.1", 160, ("v1.1", "STMicroelectronics", "NUCLEO-U575ZI-Q", "X-CUBE-AI v8.1.0")),
    "v1.0/closed/OctoML/results/microtvm_cmsis_nn/NUCLEO_L4R5ZI/kws/energy":
        ("stm32l4r5", "microtvm-cmsis-nn", 120, ("v1.0", "OctoML", "NUCLEO-L4R5ZI", "microTVM")),
}
MODELS = {"kws": "kws_ds_cnn_int8.tflite", "ic": "ic_resnet8_int8.tflite",
          "vww": "vww_mobilenet_v1_025_96_int8.tflite", "ad": "ad_fc_autoencoder_int8.tflite"}


def published(key, benchmark, runtime):
    rnd, submitter, board, detail = key
    rows = [r for r in csv.DictReader((MLPERF / "mlperf_tiny_calibration.csv").open())
            if (r["round"], r["submitter"], r["board"], r["runtime_detail"], r["benchmark"])
            == (rnd, submitter, board, detail, benchmark) and r["runtime"] == runtime.split("@")[0]]
    return float(rows[0]["energy_uj"]) * 1e-6 if rows and rows[0]["energy_uj"] else None


def main() -> None:
    import joulescope_free as jf
    from joulescope_free.measure.calibrate import calibrate

    print("| run | windows x inferences | measured J/inf (median) | stated | difference | power | supply |")
    print("|---|---|---|---|---|---|---|")
    measured = {}
    for run in RUNS:
        m = jf.measure(EEMBC / run)
        s = m.summary
        measured[run] = m
        print(f"| {s['submitter']}/{s['system']}/{s['benchmark']} | {s['n_windows']} x {s['inferences_per_window']} "
              f"| {s['energy_per_inference_j'] * 1e6:.3f} µJ | {s['stated_energy_per_inference_j'] * 1e6:.3f} µJ "
              f"| {100 * s['energy_per_inference_difference']:+.4f} % | {s['average_power_w'] * 1e3:.3f} mW "
              f"| {s['supply_v']:g} V |")

    print("\ncalibrated from each kws run, then estimated for the other models (same board, runtime, clock, supply); the uncalibrated model was fitted on "
          "the published table, these kws rows included, so it is not independent of them\n")
    print("| run | latency x | current x | model | uncalibrated | calibrated | published | uncalibrated / published "
          "| calibrated / published |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for run, (mcu, runtime, clock, key) in RUNS.items():
            board = Path(tmp) / (mcu + "-" + runtime.replace("@", "_") + ".toml")
            res = calibrate([EEMBC / run], models=[MLPERF / MODELS["kws"]], mcu=mcu, runtime=runtime,
                            clock_mhz=[clock], output=board)
            volts = measured[run].summary["supply_v"]
            c = res.calibration
            for bench in ("ic", "vww", "ad"):
                kwargs = dict(mcu=mcu, runtime=runtime, clock_mhz=clock, supply_v=volts)
                raw = float(jf.estimate(MLPERF / MODELS[bench], **kwargs).summary["energy_per_inference_j"])
                cal = float(jf.estimate(MLPERF / MODELS[bench], power_model=board, **kwargs)
                            .summary["energy_per_inference_j"])
                pub = published(key, bench, runtime)
                ratio = f"{raw / pub:.3f} | {cal / pub:.3f}" if pub else "- | -"
                print(f"| {key[1]} {key[2]} {runtime} | {c.latency_scale:.3f} | {c.current_scale:.3f} | {bench} "
                      f"| {raw * 1e6:.1f} µJ | {cal * 1e6:.1f} µJ | {pub * 1e6 if pub else float('nan'):.1f} µJ "
                      f"| {ratio} |")


if __name__ == "__main__":
    main()
