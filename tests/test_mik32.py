"""Issue 20: MIK32 (and the other RV32IMC parts without vendor kernels) run TFLM's reference kernels, simulated on
rv32imc and checked bit for bit against numpy; the 16 KiB SRAM decides which models fit, reported as a verdict in
estimate, compare and sweep (never an error)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from joulescope_free.hardware import kernels
from helpers import kernel_harness, run_cli

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
KWS = DATA / "mlperf_tiny" / "kws_ds_cnn_int8.tflite"
TINY = DATA / "tiny" / "depthwise_int8.tflite"


def _riscv_harness():
    kernel_harness("riscv64-unknown-elf-gcc", "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf")
    if not Path("/usr/include/gemmlowp").is_dir():
        pytest.skip("gemmlowp headers not installed: apt-get install libgemmlowp-dev")
    import sim_riscv

    try:
        sim_riscv.cxx_header_dirs()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    return sim_riscv


def test_rv32_tflm_reference_conv_is_bit_exact_against_numpy():
    _riscv_harness()
    import grids
    import sim
    import tflm_reference_numpy as ref
    from lib_tflm_reference import TFLM_REFERENCE, case

    try:
        elf = TFLM_REFERENCE.elf("riscv32", "O2")
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    shape = grids.conv_shape(6, 6, 4, 8, 3, 3, 1, 1)
    g, expected = case("conv", shape)
    result = sim.run(elf, "riscv32", g, {"g_output": expected.size})
    got = np.frombuffer(result.outputs["g_output"], dtype=np.int8).reshape(expected.shape)
    # numpy's own reference, recomputed here from the same inputs (not the harness's copy of the expected array)
    again = ref.conv(g["g_input"], g["g_filter"], g["g_bias"], input_offset=g["g_input_offset"],
                     output_offset=g["g_output_offset"], multipliers=g["g_multipliers"], shifts=g["g_shifts"],
                     stride=(1, 1), pad=(1, 1), out_hw=(6, 6))
    assert np.array_equal(got, again) and np.count_nonzero(got) > expected.size // 2
    # the shipped table has the rv32 rows, and it predicts this shape within its own fit error (+10 points)
    entry = kernels.lookup("tflm-reference", "conv", "riscv32", "O2")
    assert entry is not None
    features = kernels.shape_features("conv", 6, 6, 4, 6, 6, 8, k_h=3, k_w=3)
    assert abs(entry.cycles(features) / result.cycles - 1) * 100 <= entry.fit_max_error_pct + 10
    # an rv32imc reference conv costs several cycles per MAC (no SIMD; offsets, bounds and address work per tap)
    macs = 6 * 6 * 8 * 9 * 4
    assert 3 * macs < result.cycles < 40 * macs


def test_code_executed_from_spifi_without_a_cache_costs_its_bus_time():
    import dataclasses

    from joulescope_free.chain import _analysis, _layer_arrays
    from joulescope_free.hardware.catalog import load_mcu
    from joulescope_free.hardware.cycles import cycle_arrays
    from joulescope_free.hardware.runtimes import load_core, load_runtime

    part, core, rt = load_mcu("mik32"), load_core("riscv32"), load_runtime("tflm")
    arrays = _layer_arrays(_analysis(KWS))
    compute, memory = cycle_arrays(arrays, rt, core, part, 32e6)
    cached = dataclasses.replace(part, icache_bytes=4096)  # a cache holding the kernel loops: no fetch stall
    compute2, memory2 = cycle_arrays(arrays, rt, core, cached, 32e6)
    assert np.allclose(compute, compute2)
    # by hand from the file: one 4-byte word per access over quad SPI at 32 MHz with 12 overhead clocks =
    # (12 + 8 x 4 / 4) / 32 MHz x 32 MHz / 4 = 5 core cycles per byte; 2.4 instruction bytes per executed cycle
    assert np.allclose(memory - memory2, compute * 2.4 * 5.0)


def test_mik32_estimate_uses_the_simulated_reference_kernels_and_says_what_does_not_fit(capsys):
    code, out, err = run_cli(capsys, "estimate", KWS, "--mcu", "mik32", "--json")
    assert code == 0, err
    d = json.loads(out)
    s = d["summary"]
    assert s["estimate_basis"] == "simulated" and s["ram_available_bytes"] == 16 * 1024
    assert s["fits_ram"] is False and s["peak_ram_bytes"] > 16 * 1024
    assert any("does not fit RAM" in w and "16 KiB" in w for w in d["warnings"])
    code, out, _ = run_cli(capsys, "estimate", KWS, "--mcu", "mik32")
    assert code == 0 and "does not fit" in out
    code, out, _ = run_cli(capsys, "estimate", TINY, "--mcu", "mik32", "--json")
    assert code == 0 and json.loads(out)["summary"]["fits_ram"] is True


def test_mik32_fit_verdict_in_compare_and_sweep(capsys, tmp_path):
    code, out, err = run_cli(capsys, "compare", KWS, "--mcu", "mik32,esp32c3", "--json")
    assert code == 0, err
    rows = {r["mcu"]: r for r in json.loads(out)["rows"]} if isinstance(json.loads(out), dict) else \
        {r["mcu"]: r for r in json.loads(out)}
    assert rows["mik32"]["fits_ram"] is False and rows["esp32c3"]["fits_ram"] is True
    table = tmp_path / "sweep.csv"
    code, _, err = run_cli(capsys, "sweep", KWS, TINY, "--mcu", "mik32", "-o", table, "--quiet", "--no-cache")
    assert code == 0, err
    with table.open(newline="") as fh:
        got = {Path(r["model_path"]).name: r["fits_ram"] for r in csv.DictReader(fh)}
    assert got == {KWS.name: "False", TINY.name: "True"}


def test_spresense_run_current_is_derived_and_carries_the_widest_band(capsys):
    from joulescope_free.bands import widest_band
    from joulescope_free.hardware.catalog import load_mcu

    part = load_mcu("spresense")
    kind, note = part.provenance["run.current_per_hz_a"]
    assert kind == "derived" and "widest band" in note and part.core == "cortex-m4" and part.max_clock_hz == 156e6
    code, out, err = run_cli(capsys, "estimate", KWS, "--mcu", "spresense", "--json")
    assert code == 0, err
    d = json.loads(out)
    s = d["summary"]
    wide = widest_band()
    assert s["estimate_basis"] == "extrapolated" and "run current derived" in s["estimate_basis_note"]
    assert s["latency_low_s"] == pytest.approx(s["latency_s"] * wide.latency_low)
    assert s["latency_high_s"] == pytest.approx(s["latency_s"] * wide.latency_high)
    assert any("cxd5602: run current per MHz" in a and "derived" in a for a in d["assumptions"])


def test_edge_impulse_on_rv32_costs_the_simulated_reference_kernels():
    import joulescope_free as jf

    s = jf.estimate(TINY, "gd32vf103", runtime="edge-impulse").summary
    assert s["estimate_basis"] == "simulated"
    assert "tflm-reference kernels simulated for riscv32" in s["estimate_basis_note"]
