"""A small hand-made MCU and inference for the duty-cycle and workbook tests (numbers chosen for hand sums)."""
from __future__ import annotations

import types

from joulescope_free.hardware.catalog import Mcu, SleepMode

KIB = 1024
SLEEP_64K = SleepMode("sleep-64k", 1.5e-6, 64 * KIB, 20e-6)
# 50 ms at 4 mA from 3.0 V: 0.6 mJ per inference; the run current is also 4 mA
INF = types.SimpleNamespace(latency_s=0.05, energy_j=0.05 * 4e-3 * 3.0, supply_v=3.0, clock_hz=64e6, run_current_a=4e-3)


def toy_mcu(**kw) -> Mcu:
    """A Cortex-M4 part: 256 KiB SRAM, 50 uA/MHz, sleep modes off (0.4 uA), 64 KiB kept (1.5 uA), all kept (3 uA)."""
    base = dict(id="toy", name="Toy M4", vendor="x", core="cortex-m4", isa=(), typical=False, default_runtime="tflm",
                max_clock_hz=64e6, default_clock_hz=64e6, sram_bytes=256 * KIB, tcm_bytes=0, flash_bytes=1 << 20,
                flash_kind="internal", icache_bytes=0, dcache_bytes=0, flash_accelerator=False, flash_wait_states=(),
                supply_min_v=1.7, supply_max_v=3.6, supply_default_v=3.0, regulator="dcdc",
                run_current_per_hz_a=50e-12, run_fixed_current_a=0.0, run_reference_v=3.0,
                sleep_modes=(SleepMode("off", 0.4e-6, 0, 300e-6), SLEEP_64K,
                             SleepMode("sleep-all", 3e-6, 256 * KIB, 20e-6)))
    base.update(kw)
    return Mcu(**base)
