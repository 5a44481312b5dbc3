"""The kernel tables (power_models/kernels) and the harness that writes them (kernel_sim).

The table checks always run. The simulator checks need the Arm toolchain and unicorn/capstone/pyelftools (the
``kernels`` extra); without them they skip and say why.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from joulescope_free.datafile import load_toml
from joulescope_free.hardware import kernels
from helpers import HARNESS, kernel_harness

REPO = Path(__file__).resolve().parents[1]
TABLES = sorted((REPO / "power_models" / "kernels").glob("*.toml"))


# ------------------------------------------------------------------------------------------------ shipped tables
@pytest.mark.parametrize("path", TABLES, ids=[p.stem for p in TABLES])
def test_table_has_provenance_and_positive_coefficients(path):
    raw = load_toml(path)
    assert raw["library"] == path.stem
    assert raw["name"].strip() and raw["source"].strip()
    assert raw["kernel"], "a table with no kernel"
    seen = set()
    for entry in raw["kernel"]:
        key = (entry["variant"], entry["core"], entry["build"])
        assert key not in seen, f"duplicate entry {key}"
        seen.add(key)
        assert entry["build"] in ("O2", "Os", "O3") or "source" in entry
        assert str(entry.get("simulated") or entry.get("source") or "").strip(), f"{key}: no provenance"
        if "simulated" in entry:
            assert entry["shapes"] >= 3
            assert 0 <= entry["fit_median_error_pct"] <= entry["fit_max_error_pct"]
            assert entry["typical_shape"].strip()
        coefficients = {k: v for k, v in entry.items() if k.startswith("cycles_per_")}
        assert coefficients, f"{key}: no coefficient"
        assert set(coefficients) <= set(kernels.COEFFICIENT_KEYS.values()), f"{key}: unknown coefficient"
        assert all(v > 0 and math.isfinite(v) for v in coefficients.values()), f"{key}: {coefficients}"
    # the lead's loader accepts it too
    assert len(kernels.load_table(path.stem)) == len(raw["kernel"])


def test_cmsis_nn_tables_cover_the_proof_of_method():
    """The NUCLEO-L4R5ZI runtime (tflm-cmsis-nn@2.3.1, Cortex-M4, -O2) has every CMSIS-NN 2020-09 variant."""
    table = kernels.load_table("cmsis-nn-2020-09")
    for variant in ("conv", "conv_1x1", "conv_1xn", "depthwise_opt", "depthwise_3x3", "depthwise", "fc", "add",
                    "avgpool", "maxpool", "softmax"):
        assert (variant, "cortex-m4", "O2") in table, variant


# ------------------------------------------------------------------------------------------------ the simulator
def _harness():
    kernel_harness("arm-none-eabi-gcc", "gcc-arm-none-eabi libnewlib-arm-none-eabi")
    import sim

    return sim


# A hand-written Thumb loop whose cost follows from the TRM tables by hand:
# movs 1 | loop: ldr, ldr, adds, cmp, bne | bx lr.
LOOP_S = """
    .syntax unified
    .thumb
    .global bench_entry
    .type bench_entry, %function
bench_entry:
    movs r1, #0
1:  ldr r2, [sp]
    ldr r3, [sp, #4]
    adds r1, r1, #1
    cmp r1, r0
    bne 1b
    bx lr
"""


@pytest.mark.parametrize("core, per_taken_iteration, last_iteration, ret", [
    # M0+: ldr 2 + ldr 2 + adds 1 + cmp 1 + bne 2 taken / 1 not taken; bx 2
    ("cortex-m0plus", 8, 7, 2),
    # M4: ldr 2 + ldr 1 (pipelined after a load) + adds 1 + cmp 1 + bne 1+P=3 taken / 1 not taken; bx 1+P=3
    ("cortex-m4", 8, 6, 3),
])
def test_hand_counted_loop(tmp_path, core, per_taken_iteration, last_iteration, ret):
    sim = _harness()
    source = tmp_path / "loop.S"
    source.write_text(LOOP_S)
    elf = sim.build([source], core, "O2")
    for n in (1, 5, 40):
        result = sim.run(elf, core, args=(n,))
        assert result.instructions == 1 + 5 * n + 1
        assert result.cycles == 1 + per_taken_iteration * (n - 1) + last_iteration + ret


# The same loop with a load whose value the next instruction reads
LOAD_USE_S = LOOP_S.replace("1:  ldr r2, [sp]\n    ldr r3, [sp, #4]\n", "1:  ldr r2, [sp]\n    adds r3, r2, #1\n")


def _llvm_mca_cycles_per_pass(body: str) -> float:
    """llvm-mca's own Cortex-M7 cycles per pass of a hand-written loop body in a run of 100 passes, as the simulator
    defines a block's cost (assembled from this text, not from the simulator's disassembly)."""
    import shutil
    import subprocess

    if shutil.which("llvm-mca") is None:
        pytest.skip("the Cortex-M7 timing needs llvm-mca (apt-get install llvm)")
    asm = "  .syntax unified\n  .thumb\n" + body + "\n  bne 1f\n1:\n"
    out = subprocess.run(["llvm-mca", "-mtriple=thumbv7em-none-eabi", "-mcpu=cortex-m7", "-iterations=100", "-"],
                         input=asm, capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Total Cycles"))) / 100


@pytest.mark.parametrize("source", [LOOP_S, LOAD_USE_S], ids=["independent", "load-use"])
def test_cortex_m7_loop_costs_what_llvm_mca_says_plus_the_taken_branch(tmp_path, source):
    """Each further pass of the loop costs llvm-mca's Cortex-M7 cycles per pass of its body (the ldr/adds/cmp lines,
    assembled here from the source text) plus 1 for the taken bne."""
    sim = _harness()
    body = source[source.index("1:") + 2:source.index("bne")].strip()
    per_pass = _llvm_mca_cycles_per_pass(body)
    path = tmp_path / "loop.S"
    path.write_text(source)
    elf = sim.build([path], "cortex-m7", "O2")
    one = sim.run(elf, "cortex-m7", args=(1,)).cycles
    for n in (2, 5, 40):
        assert sim.run(elf, "cortex-m7", args=(n,)).cycles - one == pytest.approx((n - 1) * (per_pass + 1), abs=1e-6)


def test_cortex_m7_waits_for_a_loaded_value():
    # reading a loaded register in the next instruction stalls the M7 pipeline: the load-use loop is slower per pass
    plain = _llvm_mca_cycles_per_pass(LOOP_S[LOOP_S.index("1:") + 2:LOOP_S.index("bne")].strip())
    load_use = _llvm_mca_cycles_per_pass(LOAD_USE_S[LOAD_USE_S.index("1:") + 2:LOAD_USE_S.index("bne")].strip())
    assert load_use >= plain + 0.9


def test_m0plus_rejects_dsp_instructions(tmp_path):
    sim = _harness()
    source = tmp_path / "dsp.S"
    source.write_text(".syntax unified\n.thumb\n.arch armv7e-m\n.global bench_entry\n.type bench_entry, %function\n"
                      "bench_entry:\n    smlad r0, r0, r1, r2\n    bx lr\n")
    elf = sim.build([source], "cortex-m4", "O2")
    assert sim.run(elf, "cortex-m4", args=(0x00020003, 0x00050007)).cycles > 0
    with pytest.raises(Exception):
        sim.run(elf, "cortex-m0plus", args=(1, 1))


def test_cmsis_nn_v7_fc_matches_numpy_and_the_shipped_table():
    """Re-simulate one small fully-connected layer: bit-exact against numpy (checked inside simulate, which
    raises otherwise, and re-checked here by hand for one output) and within the table's fit error."""
    _harness()
    import grids
    from lib_cmsis_nn import LIBRARIES

    lib = {lib.LIBRARY: lib for lib in LIBRARIES}["cmsis-nn-v7.0.0"]
    try:
        lib.sources()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    shape = grids.fc_shape(40, 12)
    result = lib.simulate("fc", "cortex-m4", "O2", shape)
    entry = kernels.lookup("cmsis-nn-v7.0.0", "fc", "cortex-m4", "O2")
    assert entry is not None
    features = kernels.shape_features("fc", 1, 1, 40, 1, 1, 12)
    assert features["macs"] == 480 and features["tail"] == 0
    predicted = entry.cycles(features)
    assert abs(predicted / result.cycles - 1) * 100 <= entry.fit_max_error_pct + 10
    # 480 MACs at 1-4 cycles each (SMLAD does two per cycle; loads and requantisation cost the rest)
    assert 480 < result.cycles < 480 * 6


def test_one_output_by_hand():
    """The numpy reference the harness checks against, on one output computed by hand."""
    if str(HARNESS) not in sys.path:
        sys.path.insert(0, str(HARNESS))
    import tflm_reference_numpy as ref

    x = np.array([[1, -2, 3, 4]], dtype=np.int8)
    w = np.array([[2, 2, -1, 1]], dtype=np.int8)
    # (x + 1) . w = 2*2 + (-1)*2 + 4*(-1) + 5*1 = 3; + bias 5 = 8; x 2^30/2^31 = 4; + output offset -3 = 1
    out = ref.fully_connected(x, w, np.array([5], dtype=np.int32), input_offset=1, weights_offset=0,
                              output_offset=-3, multiplier=1 << 30, shift=0)
    assert out.tolist() == [[1]]


# ------------------------------------------------------------------------------------------------ fit and writers
def _fit_module():
    if str(HARNESS) not in sys.path:
        sys.path.insert(0, str(HARNESS))
    import fit

    return fit


def test_fit_recovers_a_known_formula_and_drops_unused_terms():
    fit = _fit_module()
    # cycles = 100 per call + 3 per MAC, exactly; outputs is offered but plays no part
    rows = [{"calls": 1, "macs": m, "outputs": o, "cycles": 100 + 3 * m} for m, o in
            ((10, 5), (200, 7), (3000, 1), (45, 45), (800, 3))]
    result = fit.fit_cycles(rows, ["calls", "macs", "outputs"])
    assert result.coefficients["calls"] == pytest.approx(100, rel=1e-6)
    assert result.coefficients["macs"] == pytest.approx(3, rel=1e-6)
    assert result.coefficients.get("outputs", 0) == pytest.approx(0, abs=1e-6)
    assert result.max_error_pct == pytest.approx(0, abs=1e-6)
    # a 10 % outlier shows in the reported errors
    rows[2]["cycles"] *= 1.1
    assert fit.fit_cycles(rows, ["calls", "macs"]).max_error_pct > 3


def test_table_writer_merges_and_round_trips(tmp_path):
    fit = _fit_module()
    result = fit.Fit({"calls": 50.0, "macs": 2.5}, 1.0, 2.0)
    rows = [{"cycles": 300, "macs": 100}]

    def entry(variant, core):
        return fit.table_entry(variant, core, "O2", "f", "simulated somewhere", rows * 3, result,
                               {"shape": "s", "cycles": 300, "macs": 100})

    fit.write_table("lib-x", "Lib X", "upstream", [entry("conv", "cortex-m4"), entry("fc", "cortex-m4")], tmp_path)
    fit.write_table("lib-x", "Lib X", "upstream", [entry("conv", "cortex-m7")], tmp_path)  # keeps the others
    raw = load_toml(tmp_path / "lib-x.toml")
    assert [(e["variant"], e["core"]) for e in raw["kernel"]] == [("conv", "cortex-m4"), ("conv", "cortex-m7"),
                                                                  ("fc", "cortex-m4")]
    first = raw["kernel"][0]
    assert (first["cycles_per_call"], first["cycles_per_mac"], first["typical_cycles_per_mac"]) == (50.0, 2.5, 3.0)
    assert first["shapes"] == 3 and first["fit_max_error_pct"] == 2.0
