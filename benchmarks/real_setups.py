"""Real set-ups outside the calibration table (issue 11): does each one get an estimate, and with what band?

Each row is a board, part or runtime users have, typed the way a user would: the part's id or board name where
the catalog has it, else the generic core id at the part's real clock. Printed: the estimate (latency, energy per
inference of the MLPerf Tiny keyword-spotting model) with its basis and band, or the refusal. Run it on two
versions of the code to compare them (``PYTHONPATH=<other checkout> python benchmarks/real_setups.py``).

    python benchmarks/real_setups.py
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "tests" / "data" / "mlperf_tiny" / "kws_ds_cnn_int8.tflite"

#: (what it is, --mcu, --runtime, --clock-mhz, extra keyword arguments)
SETUPS = (
    ("STM32F103 (Cortex-M3) at 72 MHz", "cortex-m3", None, 72, {}),
    ("TI CC2538 (Cortex-M3) at 32 MHz", "cortex-m3", None, 32, {}),
    ("Cortex-M0 part at 48 MHz", "cortex-m0", None, 48, {}),
    ("SAM L11 (Cortex-M23) at 32 MHz", "cortex-m23", None, 32, {}),
    ("microTVM on an ESP32", "esp32", "microtvm", None, {}),
    ("microTVM on an ESP32-S3", "esp32s3", "microtvm", None, {}),
    ("SiFive FE310 (RV32) at 320 MHz", "riscv32", None, 320, {}),
    ("NXP MCX N947 (Cortex-M33) at 150 MHz", "cortex-m33", None, 150, {}),
    ("STM32H5 (Cortex-M33) at 250 MHz", "cortex-m33", None, 250, {}),
    ("i.MX RT1170 (Cortex-M7) at 996 MHz", "cortex-m7", None, 996, {}),
    ("Cortex-M4 part at 240 MHz", "cortex-m4", None, 240, {}),
    ("Edge Impulse EON on NUCLEO-L4R5ZI", "stm32l4r5", "edge-impulse", None, {}),
    ("Edge Impulse EON on nRF52840", "nrf52840", "edge-impulse", None, {}),
    ("Edge Impulse EON on ESP32-S3", "esp32s3", "edge-impulse", None, {}),
    ("MIT TinyEngine on STM32H743", "stm32h743", "tinyengine", None, {}),
    ("MIT TinyEngine on STM32F746", "stm32f746", "tinyengine", None, {}),
    ("Bosch HALE on a Cortex-M0+ board", "cortex-m0plus", "bosch-hale", None, {}),
    ("Bosch HALE on STM32G0B1", "stm32g0b1", "bosch-hale", None, {}),
    ("NUCLEO-L4R5ZI-P (SMPS) at 3.0 V", "NUCLEO-L4R5ZI-P", None, None, {"supply_v": 3.0}),
    ("NUCLEO-L4R5ZI (LDO) at 3.0 V", "NUCLEO-L4R5ZI", None, None, {"supply_v": 3.0}),
    ("impossible: X-CUBE-AI on nRF52840", "nrf52840", "x-cube-ai", None, {}),
    ("impossible: TinyEngine on Cortex-M0+", "cortex-m0plus", "tinyengine", None, {}),
)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    import joulescope_free as jf
    from joulescope_free.errors import UserError

    print(f"{'set-up':40s} {'target':34s} {'latency ms':>10s} {'energy uJ':>10s}  basis         band latency / energy")
    for what, mcu, runtime, clock_mhz, extra in SETUPS:
        try:
            e = jf.estimate(MODEL, mcu, runtime=runtime, clock_mhz=clock_mhz, **extra)
        except UserError as exc:
            print(f"{what:40s} refused: {str(exc)[:150]}")
            continue
        s = e.summary
        target = f"{e.target['mcu']}/{e.target['runtime']}@{e.target['clock_hz'] / 1e6:g}MHz"
        band = ""
        if s.get("latency_low_s") is not None:
            band = (f"x{s['latency_low_s'] / s['latency_s']:.2f}-{s['latency_high_s'] / s['latency_s']:.2f} / "
                    f"x{s['energy_low_j'] / s['energy_per_inference_j']:.2f}-"
                    f"{s['energy_high_j'] / s['energy_per_inference_j']:.2f}")
        print(f"{what:40s} {target:34s} {s['latency_s'] * 1e3:10.3g} {s['energy_per_inference_j'] * 1e6:10.4g}  "
              f"{s.get('estimate_basis', '-'):12s}  {band}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
