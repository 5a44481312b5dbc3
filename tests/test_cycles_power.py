"""Cycle and power models against hand-computed numbers."""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pandas as pd
import pytest

import joulescope_free as jf
from joulescope_free.hardware.catalog import load_mcu
from joulescope_free.hardware.cycles import (ICACHE_HOLDS_KERNELS_BYTES, _fetch_stall_per_wait_state,
                                              inference_cycles, layer_cycles)
from joulescope_free.hardware.power import datasheet_run_current_a
from joulescope_free.hardware.runtimes import load_core, load_runtime

DATA = Path(__file__).parent / "data" / "mlperf_tiny"
AD = DATA / "ad_fc_autoencoder_int8.tflite"
KWS = DATA / "kws_ds_cnn_int8.tflite"

COEFFS = {
    "conv_cycles_per_mac": 2.0, "depthwise_cycles_per_mac": 3.0, "fc_cycles_per_mac": 4.0,
    "requant_cycles_per_output": 10.0, "im2col_cycles_per_element": 1.0, "elementwise_cycles_per_element": 8.0,
    "pool_cycles_per_input": 1.5, "activation_cycles_per_element": 4.0, "softmax_cycles_per_element": 60.0,
    "copy_cycles_per_byte": 0.5, "quantize_cycles_per_element": 6.0, "other_cycles_per_element": 5.0,
    "layer_overhead_cycles": 500.0, "invoke_overhead_cycles": 5000.0, "activity": 1.0,
}


def _layers() -> pd.DataFrame:
    # conv 3x3, 3 -> 16 channels, 8x8 output; FC 64 -> 10; ADD of 1024 elements; RESHAPE
    return pd.DataFrame([
        dict(kind="conv", macs=8 * 8 * 16 * 27, elements=1024, out_channels=16, weights_bytes=432,
             input_bytes=300, bytes_written=1024, act_dtype="int8", weight_dtype="int8"),
        dict(kind="fc", macs=640, elements=10, out_channels=10, weights_bytes=640,
             input_bytes=64, bytes_written=10, act_dtype="int8", weight_dtype="int8"),
        dict(kind="elementwise", macs=0, elements=1024, out_channels=16, weights_bytes=0,
             input_bytes=2048, bytes_written=1024, act_dtype="int8", weight_dtype=""),
        dict(kind="reshape", macs=0, elements=10, out_channels=10, weights_bytes=0,
             input_bytes=10, bytes_written=10, act_dtype="int8", weight_dtype=""),
    ])


@pytest.fixture
def runtime():
    # interpreter="": the dispatch overhead from COEFFS, not the simulated TFLM interpreter figures
    # (tests/test_float_interpreter.py checks those)
    return dataclasses.replace(load_runtime("tflm-cmsis-nn"), coefficients=dict(COEFFS), interpreter="")


def test_layer_cycles_by_hand(runtime):
    m4 = load_core("cortex-m4")
    assert m4.simd_lanes == 4 and m4.speed == 1.0
    got = layer_cycles(_layers(), runtime, m4)  # no MCU: no flash stall
    # conv: K = 27 padded to 28 lanes: 1024*28*2 + pixels 64 * K 27 * 1 + requant 1024*10 + 500
    conv = 1024 * 28 * 2.0 + 64 * 27 * 1.0 + 1024 * 10 + 500
    fc = 10 * 64 * 4.0 + 10 * 10 + 500            # K = 64 fills the lanes exactly
    add = 1024 * 8.0 + 500
    reshape = 500
    assert got["cycles"].tolist() == pytest.approx([conv, fc, add, reshape])
    assert got["memory_cycles"].sum() == 0


def test_core_speed_and_simd_padding(runtime):
    m4 = load_core("cortex-m4")
    m0 = dataclasses.replace(m4, speed=3.0, simd_lanes=1)
    a = layer_cycles(_layers(), runtime, m4)["cycles"]
    b = layer_cycles(_layers(), runtime, m0)["cycles"]
    # one lane: K = 27 is not padded, everything costs 3x
    conv_m0 = (1024 * 27 * 2.0 + 64 * 27 + 1024 * 10 + 500) * 3.0
    assert b[0] == pytest.approx(conv_m0)
    assert b[2] == pytest.approx(a[2] * 3.0)


def test_flash_wait_states_slow_flash_bound_layers(runtime):
    part = load_mcu("stm32l4r5")
    m4 = load_core(part.core)
    assert part.wait_states(120e6) == 5 and part.wait_states(8e6) == 0
    fast = layer_cycles(_layers(), runtime, m4, part, 120e6)
    slow = layer_cycles(_layers(), runtime, m4, part, 8e6)
    assert slow["memory_cycles"].sum() == 0
    # conv streams its weights twice-reused: 27648 MACs * 0.5 bytes; FC once per MAC: 640 bytes; and, with no
    # instruction cache on the part, every executed cycle pays the fetch stall per wait state x 5 wait states
    per_byte = 5 / m4.flash_line_bytes
    fetch = 5 * _fetch_stall_per_wait_state() * fast["compute_cycles"]
    assert part.icache_bytes < ICACHE_HOLDS_KERNELS_BYTES
    assert fast["memory_cycles"][0] == pytest.approx(27648 * 0.5 * per_byte + fetch[0])
    assert fast["memory_cycles"][1] == pytest.approx(640 * 1.0 * per_byte + fetch[1])
    assert fast["memory_cycles"][2] == pytest.approx(fetch[2])  # no weights: code fetch only


def test_an_instruction_cache_removes_the_fetch_stall(runtime):
    part = dataclasses.replace(load_mcu("stm32l4r5"), icache_bytes=ICACHE_HOLDS_KERNELS_BYTES)
    m4 = load_core(part.core)
    got = layer_cycles(_layers(), runtime, m4, part, 120e6)
    assert got["memory_cycles"][2] == 0
    assert got["memory_cycles"][1] == pytest.approx(640 * 5 / m4.flash_line_bytes)


def test_ad_model_pays_wait_states_in_its_fc_layers():
    part = load_mcu("stm32l4r5")
    slow = jf.estimate(AD, part.id, runtime="x-cube-ai@7.3", clock_mhz=120)
    first_fc = slow.layers.iloc[0]
    # int8 weights 640 x 128 plus int32 bias 128 x 4, each read from flash at 5 wait states per 16-byte line
    assert first_fc["op"] == "FULLY_CONNECTED" and first_fc["weights_bytes"] == 640 * 128 + 128 * 4
    expected = (640 * 128 + 128 * 4) * 5 / load_core("cortex-m4").flash_line_bytes
    fetch = 5 * _fetch_stall_per_wait_state() * (first_fc["cycles"] - first_fc["memory_cycles"])
    assert first_fc["memory_cycles"] == pytest.approx(expected + fetch)


def test_latency_scales_with_clock_when_flash_has_no_wait_states():
    part = load_mcu("stm32l4r5")
    assert part.wait_states(4e6) == part.wait_states(8e6) == 0
    a = jf.estimate(KWS, part.id, runtime="x-cube-ai@8.1", clock_mhz=8)
    b = jf.estimate(KWS, part.id, runtime="x-cube-ai@8.1", clock_mhz=4)
    assert b.summary["cycles"] == pytest.approx(a.summary["cycles"])
    assert b.summary["latency_s"] == pytest.approx(2 * a.summary["latency_s"])


def test_energy_scales_with_supply_through_an_ldo_but_not_an_smps():
    ldo = load_mcu("stm32l4r5")
    assert ldo.regulator == "ldo"
    e18 = jf.estimate(KWS, ldo.id, runtime="x-cube-ai@7.3", supply_v=1.8).summary
    e30 = jf.estimate(KWS, ldo.id, runtime="x-cube-ai@7.3", supply_v=3.0).summary
    assert e30["latency_s"] == pytest.approx(e18["latency_s"])
    assert e30["energy_per_inference_j"] / e18["energy_per_inference_j"] == pytest.approx(3.0 / 1.8)

    smps = load_mcu("stm32h7a3")
    assert smps.regulator == "smps"
    p30 = jf.estimate(KWS, smps.id, runtime="x-cube-ai@7.3", supply_v=3.0).summary
    p33 = jf.estimate(KWS, smps.id, runtime="x-cube-ai@7.3", supply_v=3.3).summary
    assert p30["energy_per_inference_j"] == pytest.approx(p33["energy_per_inference_j"])
    assert p30["inference_current_a"] / p33["inference_current_a"] == pytest.approx(3.3 / 3.0)


def test_datasheet_current_is_fixed_plus_per_hz():
    part = load_mcu("stm32l4r5")
    # 80 MHz runs in Range 1: the 112 µA/MHz headline at 120 MHz (13.44 mA) split 17 % fixed, 83 % per MHz
    got = datasheet_run_current_a(part, 80e6, 3.3)
    assert got == pytest.approx(0.17 * 13.44e-3 + 0.83 * 13.44e-3 * 80 / 120, rel=1e-3)
    # 20 MHz runs in Range 2: its own fixed and per-MHz figures from the file
    r2 = part.run_range(20e6)
    assert r2.name == "Range 2" and datasheet_run_current_a(part, 20e6, 1.8) == pytest.approx(
        r2.run_fixed_current_a + r2.run_current_per_hz_a * 20e6)
    # the STM32U575 (SMPS) at 160 MHz: DS13086's 7.15 mA at 3.0 V within the least-squares line's 1.3 %; moved to
    # 1.8 V by the SMPS law (power falling 10.7 %/V with VDD): DS13086's own 1.8 V figure, 10.5 mA, within 2.5 %
    # (at constant power it would be 11.9 mA, 13 % high)
    u5 = load_mcu("stm32u575")
    assert datasheet_run_current_a(u5, 160e6, 3.0) == pytest.approx(7.15e-3, rel=0.013)
    assert datasheet_run_current_a(u5, 160e6, 1.8) == pytest.approx(10.5e-3, rel=0.025)


def test_measured_inference_current_is_reproduced_at_its_calibration_point():
    # power_models/inference_current.toml: STM32U575, X-CUBE-AI 7.3, 160 MHz, 1.8 V -> 14.1 mA
    s = jf.estimate(KWS, "stm32u575", runtime="x-cube-ai@7.3", clock_mhz=160, supply_v=1.8).summary
    assert s["inference_current_a"] == pytest.approx(14.1e-3, rel=1e-9)
    assert s["energy_per_inference_j"] == pytest.approx(14.1e-3 * 1.8 * s["latency_s"], rel=1e-9)


def test_parts_without_a_measurement_say_so():
    r = jf.estimate(KWS, "nrf52840")
    assert any("no inference measurement of nrf52840" in a for a in r.assumptions)
    measured = jf.estimate(KWS, "stm32l4r5")
    assert not any("no inference measurement" in a for a in measured.assumptions)


def test_runtime_versions_differ_and_default_to_the_newest_with_measurements():
    # no release given: the newest one whose costs are fitted to measurements (8.1), not the estimated-only 9.0
    newest = load_runtime("x-cube-ai")
    assert newest.version == "8.1" and newest.versions[-1] == "9.0"
    assert load_runtime("x-cube-ai@9").version == "9.0"  # chosen when asked for
    assert load_runtime("x-cube-ai@8.1.0").version == "8.1"
    # a release the catalog does not characterise is estimated with the nearest older one, and says so
    later = load_runtime("x-cube-ai@10.2")
    assert later.version == "9.0" and "not characterised" in later.version_note
    assert load_runtime("tflm-cmsis-nn@2.10").version == "2.3.1"
    old = jf.estimate(KWS, "stm32l4r5", runtime="x-cube-ai@7.1").summary["latency_s"]
    new = jf.estimate(KWS, "stm32l4r5", runtime="x-cube-ai@8.1").summary["latency_s"]
    # MLPerf Tiny: 97.6 ms (7.1) vs 62.9 ms (8.1) on the same board
    assert old / new == pytest.approx(97.6 / 62.9, rel=0.2)


def test_total_cycles_include_invoke_overhead(runtime):
    m4 = load_core("cortex-m4")
    per_layer, total = inference_cycles(_layers(), runtime, m4)
    assert total == pytest.approx(per_layer["cycles"].sum() + 5000.0)
    assert math.isfinite(total)
