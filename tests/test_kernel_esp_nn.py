"""ESP-NN kernel tables: the ESP32-S3 rows against ESP-NN's README by hand, and the RV32IMC simulator (ESP32-C3
timing model) on a hand-counted loop and one real kernel.

The simulator checks need riscv64-unknown-elf-gcc + picolibc and unicorn/capstone/pyelftools; without them they
skip and say why.
"""
from __future__ import annotations


import pytest

from joulescope_free.hardware import kernels
from helpers import kernel_harness



# ------------------------------------------------------------------------------- README tick rows, by hand
def test_esp32s3_rows_are_the_readme_ticks_per_mac():
    # ESP-NN README, ESP32-S3 "Optimized" column: ticks / nominal MACs (or outputs), computed by hand
    s3 = kernels.load_table("esp-nn-esp32s3")
    fc = s3[("fc", "xtensa-lx7", "O2")]          # 1078 ticks, 271 x 3 = 813 MACs
    assert fc.coefficients == {"macs": pytest.approx(1078 / 813, rel=1e-3)}
    add = s3[("add", "xtensa-lx7", "O2")]        # 74440 ticks for 1615 elements
    assert add.coefficients == {"outputs": pytest.approx(46.09, rel=1e-3)}
    dw = s3[("depthwise_3x3", "xtensa-lx7", "O2")]  # 184176 ticks, out 16x16x16 x 3x3 = 36864 MACs
    assert dw.coefficients["macs"] == pytest.approx(4.996, rel=1e-3)
    assert s3[("depthwise_3x3", "xtensa-lx7", "O2")].measured_on == "source"


def test_esp32s3_conv_1x1_two_shapes_solve_exactly():
    # 409600 a + 6400 b = 331008 (10x10x64 -> 64) and 16384 a + 1024 b = 39022 (8x8x16 -> 16):
    # x 6.25 the second is 102400 a + 6400 b = 243887.5, so 307200 a = 87120.5, a = 0.28360, b = 33.570
    entry = kernels.load_table("esp-nn-esp32s3")[("conv_1x1", "xtensa-lx7", "O2")]
    assert entry.coefficients["macs"] == pytest.approx(0.28360, rel=2e-3)
    assert entry.coefficients["outputs"] == pytest.approx(33.570, rel=2e-3)
    assert "calls" not in entry.coefficients


def test_generic_table_has_both_cores():
    table = kernels.load_table("esp-nn-generic")
    # ANSI C on the S3 (README): 4712500 ticks for the 10x10x64 1x1 convolution is 11.5 cycles per MAC;
    # the (macs, outputs) fit over the three README convolutions must reproduce that row within its max error
    lx7 = table[("conv", "xtensa-lx7", "O2")]
    predicted = lx7.cycles(kernels.shape_features("conv", 10, 10, 64, 10, 10, 64, 1, 1))
    assert abs(predicted / 4712500 - 1) * 100 <= lx7.fit_max_error_pct
    for variant in ("conv", "conv_1x1", "depthwise", "fc", "add", "mul", "avgpool", "maxpool", "softmax"):
        for build in ("O2", "Os"):
            assert (variant, "riscv32", build) in table, (variant, build)


# ------------------------------------------------------------------------------- the RV32IMC simulator
def _riscv_harness():
    kernel_harness("riscv64-unknown-elf-gcc", "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf")
    import sim_riscv

    return sim_riscv


# prologue: auipc, addi (la), lw n, li | loop: lw, add (reads the load: 1 stall), mul, addi, bne | ret
LOOP_S = """
    .text
    .global bench_entry
bench_entry:
    la a1, n
    lw a2, 0(a1)
    li t0, 0
1:  lw a3, 0(sp)
    add a4, a3, a3
    mul a5, a4, a4
    addi t0, t0, 1
    bne t0, a2, 1b
    ret
    .data
    .global n
    .type n, %object
    .size n, 4
n:  .word 1
"""


def test_hand_counted_riscv_loop(tmp_path):
    sim_riscv = _riscv_harness()
    source = tmp_path / "loop.S"
    source.write_text(LOOP_S)
    elf = sim_riscv.build([source], "O2")
    for n in (1, 4, 30):
        result = sim_riscv.run(elf, set_globals={"n": n})
        assert result.instructions == 4 + 5 * n + 1
        # prologue 4 (the lw of n is not used by the next instruction: no stall); per iteration lw 1 + stall 1
        # + add 1 + mul 1 + addi 1 + bne 1, + 2 when taken (n - 1 times); ret 1 + 2 (a taken jump)
        assert result.cycles == 4 + 6 * n + 2 * (n - 1) + 3


def test_esp_nn_fc_on_riscv_matches_numpy_and_the_table():
    _riscv_harness()
    import grids
    from lib_esp_nn_generic import LIBRARIES

    lib = LIBRARIES[0]
    try:
        lib.sources()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    result = lib.simulate("fc", "riscv32", "O2", grids.fc_shape(40, 12))  # raises unless bit-exact
    entry = kernels.lookup("esp-nn-generic", "fc", "riscv32", "O2")
    predicted = entry.cycles(kernels.shape_features("fc", 1, 1, 40, 1, 1, 12))
    assert abs(predicted / result.cycles - 1) * 100 <= entry.fit_max_error_pct + 5
    # the ANSI loop is scalar: 2 byte loads, 2 offset adds, 1 mul, 1 add and loop overhead per MAC
    assert 480 * 6 < result.cycles < 480 * 16
