"""Cross-check of the ESP32-C3 (riscv32) simulation against ESP-NN's README tick tables: prints a table.

The README measures the same ANSI C kernels on two real chips: the ESP32-P4 (RISC-V, 360 MHz, so the same ISA
family and compiler as our RV32IMC build, but a different core with caches and PSRAM) and the ESP32-S3 (Xtensa
LX7). Neither is the ESP32-C3, so this is no validation of the C3 timing model, only a check that the simulated
cycles per MAC are in the range real RISC-V and Xtensa cores reach with this code. Each README shape is simulated
with the ANSI function (and with the default *_opt dispatch, for the ratio) on riscv32 at -O2.

    python kernel_sim/esp_nn_crosscheck.py
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import grids  # noqa: E402
from esp_nn_readme import CONV3X3_INFO, ROWS  # noqa: E402
from grids import depthwise_shape  # noqa: E402
from lib_esp_nn_generic import LIBRARIES  # noqa: E402

#: README "Kernelwise performance on ESP32-P4 chip", ANSI C column, where its shape differs from the S3 row or
#: the row is not in the S3 table; None: no P4 row for that shape
P4_ANSI = {("elementwise_add", "size = 1615"): 190786, ("elementwise_mul", "size = 1615"): 76585,
           ("convolution", "input(10,10), filter(64x1x1x64), pad(0,0), stride(1,1)"): 4005512,
           ("convolution", "input(8,8), filter(16x1x1x16), pad(0,0), stride(1,1)"): 249700,
           ("depthwise conv", "input(12,12), pad(1,1), stride(1,1), filter: 8x5x5x4"): 1365066,
           ("max pool", "input(16,16), filter(1x3x3x16)"): 482184,
           ("avg pool", "input(16,16), filter(1x3x3x16)"): 303210,
           ("fully connected", "len: 271, ch = 3"): 7650, ("convolution", CONV3X3_INFO): 816975}
#: P4 rows whose shape differs from every S3 row: (README function, kind, shape, data info, ANSI ticks)
P4_ONLY = [("depthwise conv", "depthwise", depthwise_shape(16, 16, 16, 3, 3), "input (16, 16), filter: 1x3x3x16",
            962834)]
ANSI_VARIANT = {"conv": "conv_ansi", "depthwise": "depthwise_ansi", "softmax": "softmax_ansi"}


def main() -> None:
    lib = LIBRARIES[0]
    cases = [(r[0], r[1], r[2], r[3], r[5], P4_ANSI.get((r[0], r[3]))) for r in ROWS]
    cases += [(name, kind, shape, info, None, p4) for name, kind, shape, info, p4 in P4_ONLY]
    print("cycles per MAC (per element for add/mul/softmax); riscv32 = ESP32-C3 model, ESP-NN ANSI C, -O2")
    print(f"{'kernel':16} {'shape':48} {'riscv32 ANSI':>12} {'P4 ANSI':>8} {'S3 ANSI':>8} {'riscv32 opt/ANSI':>16}")
    for name, kind, shape, info, s3_ticks, p4_ticks in cases:
        units = grids.features(kind, shape)["macs"] or grids.features(kind, shape)["outputs"]
        ansi = lib.simulate(ANSI_VARIANT.get(kind, kind), "riscv32", "O2", shape).cycles
        default = lib.simulate(kind, "riscv32", "O2", shape).cycles if kind in ANSI_VARIANT else ansi

        def fmt(x):
            return f"{x / units:.2f}" if x else "-"
        print(f"{name:16} {grids.label(kind, shape):48} {fmt(ansi):>12} {fmt(p4_ticks):>8} {fmt(s3_ticks):>8} "
              f"{default / ansi:16.2f}")


if __name__ == "__main__":
    main()
