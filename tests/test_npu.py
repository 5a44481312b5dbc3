"""Issue 18: microcontrollers with neural accelerators. Vela's own estimate reproduced through the tool (Ethos-U55-128),
layers an NPU lacks costed on the host, the throughput model checked by hand on a toy NPU, a part compared with itself
without its NPU, the fitted efficiencies against their one published measurement, and the CLI's --accelerator."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import joulescope_free as jf
from helpers import run_cli
from joulescope_free.errors import UserError
from joulescope_free.hardware.catalog import load_mcu
from joulescope_free.hardware.npu import npu_of, npu_parts
from joulescope_free.paths import data_dir
from joulescope_free.review import compare

DATA = Path(__file__).parent / "data"
KWS = DATA / "mlperf_tiny" / "kws_ds_cnn_int8.tflite"
KWS_FLOAT = DATA / "mlperf_tiny" / "kws_ds_cnn_float32_hybrid.tflite"
VELA_MISSING = "ethos-u-vela not installed: pip install 'joulescope-free[npu]' (.ci/run installs it)"


def vela_installed() -> bool:
    from joulescope_free.hardware.vela import vela_version

    return vela_version() is not None


needs_vela = pytest.mark.skipif(not vela_installed(), reason=VELA_MISSING)


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JOULESCOPE_FREE_CACHE", str(tmp_path / "cache"))


# --------------------------------------------------------------------------------------------- toy NPU
TOY_NPU = """
[npu]
name = "Toy NPU"
kind = "throughput"
runtime = "eiq-neutron"
clock_hz = { value = 1e8, derived = "toy" }
clock_follows_core = false
macs_per_cycle = { value = 64, derived = "toy" }
efficiency = { value = 0.5, derived = "toy" }
elements_per_cycle = { value = 8, derived = "toy" }
layer_overhead_cycles = { value = 100, derived = "toy" }
channel_lanes = { value = 16, derived = "toy" }
ops = ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "RESHAPE", "SOFTMAX"]
dtypes = ["int8"]
active_current_a = { value = 0.010, derived = "toy" }
host_wait_current_a = { value = 0.001, derived = "toy" }
reference_supply_v = { value = 3.0, derived = "toy" }
{extra}
[npu.utilisation]
conv = { value = 1.0, derived = "toy" }
depthwise = { value = 0.25, derived = "toy" }
fc = { value = 0.5, derived = "toy" }
"""


def toy_part(tmp_path, extra: str = "", ops=None) -> Path:
    """The MCX N947's CPU figures (an NXP Cortex-M33, so the eiq-neutron runtime runs on it) with a toy NPU."""
    text = (data_dir("power_models") / "mcus" / "mcxn947.toml").read_text(encoding="utf-8")
    text = text.split("\n[npu]")[0].replace('id = "mcxn947"', 'id = "toy-npu"').replace("aliases = [", "aliases = [\"toy-x\", ")
    npu = TOY_NPU.replace("{extra}", extra)
    if ops is not None:
        npu = npu.replace('ops = ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "RESHAPE", '
                          '"SOFTMAX"]', f"ops = {json.dumps(ops)}")
    path = tmp_path / "toy-npu.toml"
    path.write_text(text + npu, encoding="utf-8")
    return path


def test_the_throughput_model_by_hand_on_a_toy_npu(tmp_path):
    # KWS DS-CNN: conv 320000 MACs (64 ch), 4 x (depthwise 72000, conv 512000), avg pool over 25x5x64 = 8000 inputs,
    # reshape, FC 768 MACs (12 outputs, padded to 16 lanes: 1024), softmax over 12.
    # cycles = MACs / (64 x util x 0.5) + 100; elements / (8 x 0.5) + 100; reshape: 100
    expected = [320000 / 32 + 100] + [72000 / 8 + 100, 512000 / 32 + 100] * 4 + [8000 / 4 + 100, 100,
                                                                                  1024 / 16 + 100, 12 / 4 + 100]
    assert expected[:3] == [10100, 9100, 16100] and sum(expected) == 113367
    e = jf.estimate(KWS, mcu=str(toy_part(tmp_path)), supply_v=3.0)
    layers = e.layers
    assert list(layers["runs_on"]) == ["npu"] * 13
    assert list(layers["npu_cycles"]) == pytest.approx(expected)
    s = e.summary
    assert s["npu_time_s"] == pytest.approx(113367 / 1e8)
    # NPU phase: (10 mA NPU + 1 mA waiting host) x 3.0 V x 1.13367 ms = 37.411 µJ
    assert s["npu_energy_j"] == pytest.approx(0.011 * 3.0 * 1.13367e-3)
    assert s["energy_per_inference_j"] == pytest.approx(s["npu_energy_j"] + s["host_energy_j"])
    assert s["latency_s"] == pytest.approx(s["npu_time_s"] + s["host_time_s"])
    assert s["npu_layer_share"] == 1.0 and s["accelerator"] == "npu"
    assert s["estimate_basis"] == "extrapolated"  # a toy efficiency, not fitted to a measurement


def test_weights_streamed_from_external_memory_bound_a_layer(tmp_path):
    # 0.01 weight bytes per NPU cycle: conv 0 has 2816 weight bytes (64 x 10 x 4 + 64 x 4 bias) -> 281600 cycles,
    # above its 10000 cycles of MACs; the depthwise layers 832 B -> 83200 (MACs: 9000); FC 816 B -> 81600 (64)
    e = jf.estimate(KWS, mcu=str(toy_part(tmp_path, extra='weight_bytes_per_cycle = { value = 0.01, derived = "toy" }')),
                    supply_v=3.0)
    cycles = list(e.layers["npu_cycles"])
    assert cycles[0] == pytest.approx(281600 + 100) and cycles[1] == pytest.approx(83200 + 100)
    assert cycles[11] == pytest.approx(81600 + 100) and cycles[9] == pytest.approx(8000 / 4 + 100)  # pool: no weights


def test_an_operator_the_npu_lacks_is_costed_on_the_host(tmp_path):
    part = str(toy_part(tmp_path, ops=["CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "RESHAPE", "SOFTMAX"]))
    npu = jf.estimate(KWS, mcu=part, supply_v=3.0)
    cpu = jf.estimate(KWS, mcu=part, supply_v=3.0, accelerator="none")
    runs_on = list(npu.layers["runs_on"])
    ops = list(npu.layers["op"])
    assert [r for r, op in zip(runs_on, ops) if op == "DEPTHWISE_CONV_2D"] == ["cpu"] * 4
    assert all(r == "npu" for r, op in zip(runs_on, ops) if op != "DEPTHWISE_CONV_2D")
    dw = np.array([op == "DEPTHWISE_CONV_2D" for op in ops])
    # the host's depthwise layers cost what the CPU-only estimate gives them, cycle for cycle
    assert npu.layers["cycles"].to_numpy()[dw] == pytest.approx(cpu.layers["cycles"].to_numpy()[dw])
    assert any("DEPTHWISE_CONV_2D" in w and "host" in w for w in npu.warnings)
    assert npu.summary["npu_layers"] == 9 and npu.summary["host_time_s"] > cpu.summary["latency_s"] * 0.05


def test_a_model_too_large_for_the_npu_weight_memory_runs_on_the_host_and_says_so(tmp_path):
    part = str(toy_part(tmp_path, extra='weight_memory_bytes = { value = 1024, derived = "toy" }'))
    npu = jf.estimate(KWS, mcu=part, supply_v=3.0)
    cpu = jf.estimate(KWS, mcu=part, supply_v=3.0, accelerator="none")
    assert npu.summary["fits_npu"] is False and npu.summary["npu_layers"] == 0
    assert any("do not fit" in w and "weight memory" in w for w in npu.warnings)
    assert npu.summary["latency_s"] == pytest.approx(cpu.summary["latency_s"])
    assert npu.summary["energy_per_inference_j"] == pytest.approx(cpu.summary["energy_per_inference_j"])


def test_a_part_compared_with_itself_without_its_npu(tmp_path, capsys):
    part = str(toy_part(tmp_path))
    frame = compare(KWS, [part, "stm32u575"], accelerator="npu,none", duty="1/min", battery="cr2032", supply_v=3.0)
    rows = {(r.mcu, r.accelerator): r for r in frame.itertuples()}
    assert set(rows) == {("toy-npu", "npu"), ("toy-npu", "none"), ("stm32u575", "none")}
    with_npu, without = rows["toy-npu", "npu"], rows["toy-npu", "none"]
    assert with_npu.latency_s == pytest.approx(jf.estimate(KWS, mcu=part, supply_v=3.0).summary["latency_s"])
    assert without.latency_s == pytest.approx(
        jf.estimate(KWS, mcu=part, supply_v=3.0, accelerator="none").summary["latency_s"])
    assert with_npu.latency_s < without.latency_s / 5
    assert list(frame["mcu"])[0] == "toy-npu" and list(frame["accelerator"])[0] == "npu"  # longest life first
    code, out, err = run_cli(capsys, "compare", KWS, "--mcu", f"{part},stm32u575", "--accelerator", "npu,none")
    assert code == 0, err
    npu_cells = [line.split("│")[3].strip() for line in out.splitlines() if line.startswith("│")]
    assert npu_cells == ["yes", "no", "no"]  # the toy part with, then without its NPU, then the CPU-only part
    code, out, err = run_cli(capsys, "compare", KWS, "--mcu", part, "--accelerator", "npu,none", "--json")
    assert code == 0, err
    assert sorted(r["accelerator"] for r in json.loads(out)) == ["none", "npu"]


def test_the_report_and_the_tables_show_the_share_on_the_npu(tmp_path, capsys):
    from joulescope_free.review import report

    part = str(toy_part(tmp_path, ops=["CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "RESHAPE", "SOFTMAX"]))
    html = report(KWS, [part], accelerator="npu,none", supply_v=3.0)
    s = jf.estimate(KWS, mcu=part, supply_v=3.0).summary
    share = f"9 of 13 layers (69%) and {s['npu_time_share']:.0%} of the time on the Toy NPU at 100 MHz"
    assert share in html and "CPU only (--accelerator none)" in html
    assert 'id="card-toy-npu"' in html and 'id="card-toy-npu-cpu"' in html
    code, out, err = run_cli(capsys, "estimate", KWS, "--mcu", part, "--supply-v", "3")
    assert code == 0 and "9 of 13 layers (69%)" in out and "runs on" in out
    assert s["npu_runtime"] == "eiq-neutron@2.13"


# --------------------------------------------------------------------------------------------- Ethos-U via Vela
ALIF_HE_INI = """[System_Config.RTSS_HE_SRAM_MRAM]
core_clock=160e6
axi0_port=Sram
axi1_port=OffChipFlash
Sram_clock_scale=1.0
Sram_burst_length=8
Sram_read_latency=13
Sram_write_latency=13
OffChipFlash_clock_scale=0.303
OffChipFlash_burst_length=16
OffChipFlash_read_latency=24
OffChipFlash_write_latency=24

[Memory_Mode.Shared_Sram]
const_mem_area=Axi1
arena_mem_area=Axi0
cache_mem_area=Axi0
"""


@needs_vela
def test_vela_own_estimate_reproduced_for_an_ethos_u55_128(tmp_path):
    # Vela run by hand on Alif's RTSS_HE_SRAM_MRAM configuration as published (power_models/reference/npu_figures.md)
    (tmp_path / "alif.ini").write_text(ALIF_HE_INI)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-c", "import sys; from ethosu.vela.vela import main; sys.exit(main())",
                           str(KWS), "--accelerator-config", "ethos-u55-128", "--config", str(tmp_path / "alif.ini"),
                           "--system-config", "RTSS_HE_SRAM_MRAM", "--memory-mode", "Shared_Sram",
                           "--output-dir", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    vela = next(csv.DictReader(open(next(out.glob("*_summary_*.csv")))))
    e = jf.estimate(KWS, mcu="alif-e3-he")
    s = e.summary
    assert s["npu_time_s"] == pytest.approx(float(vela["inference_time"]), rel=1e-6)
    assert s["vela_cycles_total"] == float(vela["cycles_total"])
    assert s["npu_sram_bytes"] == float(vela["sram_total_bytes"])
    assert s["estimate_basis"] == "vela" and s["latency_low_s"] < s["latency_s"] < s["latency_high_s"]
    # every KWS operator goes to the NPU; the host adds only its dispatch and invoke overhead
    assert set(e.layers["runs_on"]) == {"npu"}
    assert 0 < s["host_time_s"] < 0.05 * s["latency_s"]
    # at another clock (the NPU follows the M55-HE): Vela run by hand with core_clock=80e6 gives the same time
    (tmp_path / "alif80.ini").write_text(ALIF_HE_INI.replace("core_clock=160e6", "core_clock=80e6"))
    proc = subprocess.run([sys.executable, "-c", "import sys; from ethosu.vela.vela import main; sys.exit(main())",
                           str(KWS), "--accelerator-config", "ethos-u55-128", "--config", str(tmp_path / "alif80.ini"),
                           "--system-config", "RTSS_HE_SRAM_MRAM", "--memory-mode", "Shared_Sram",
                           "--output-dir", str(tmp_path / "out80")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    vela80 = next(csv.DictReader(open(next((tmp_path / "out80").glob("*_summary_*.csv")))))
    s80 = jf.estimate(KWS, mcu="alif-e3-he", clock_mhz=80).summary
    assert s80["npu_time_s"] == pytest.approx(float(vela80["inference_time"]), rel=1e-6)


@needs_vela
def test_vela_leaves_a_float_model_on_the_host(tmp_path):
    npu = jf.estimate(KWS_FLOAT, mcu="alif-e3-he")
    cpu = jf.estimate(KWS_FLOAT, mcu="alif-e3-he", accelerator="none")
    assert set(npu.layers["runs_on"]) == {"cpu"}
    assert npu.summary["latency_s"] == pytest.approx(cpu.summary["latency_s"])
    assert any("Vela placed no layer" in w for w in npu.warnings)


def test_without_vela_an_ethos_u_part_says_how_to_install_it(monkeypatch):
    from joulescope_free.hardware import vela

    monkeypatch.setattr(vela, "vela_version", lambda: None)
    with pytest.raises(UserError, match=r"pip install 'joulescope-free\[npu\]'.*--accelerator none"):
        jf.estimate(KWS, mcu="alif-e3-he")
    assert jf.estimate(KWS, mcu="alif-e3-he", accelerator="none").summary["accelerator"] == "none"


# --------------------------------------------------------------------------------------------- catalog and fits
def test_every_npu_part_and_runtime_is_listed(capsys):
    ids = {m.id for m in npu_parts()}
    assert {"alif-e3", "alif-e3-he", "mcxn947", "nrf54lm20b"} <= ids
    code, out, _ = run_cli(capsys, "runtimes", "--json")
    listed = {r["id"] for r in json.loads(out)}
    assert code == 0 and {"ethos-u", "eiq-neutron", "axon", "stedgeai-npu", "ai8x", "gapflow", "tflm-mvp"} <= listed
    code, out, _ = run_cli(capsys, "mcus", "--json")
    records = {r["id"]: r for r in json.loads(out)}
    assert ids <= set(records)
    assert records["alif-e3-he"]["npu"]["accelerator_config"] == "ethos-u55-128" and records["stm32u575"]["npu"] is None
    assert records["mcxn947"]["npu"]["basis"] == "measured" and "npu.active_current_a" in records["mcxn947"]["derived"]


@pytest.mark.parametrize("part, anchor_s, clock_mhz", [
    # power_models/reference/npu_anchors.csv: DS-CNN KWS on each NPU at the clock it ran at
    ("mcxn947", 3.329e-3, 150), ("nrf54lm20b", 4.5e-3, 128), ("gap9", 0.7322e-3, 240), ("efr32mg24", 36.2805e-3, 78),
    ("ndp120", 4.3672e-3, 30.7)])
def test_each_fitted_npu_meets_its_one_published_measurement(part, anchor_s, clock_mhz):
    s = jf.estimate(KWS, mcu=part, clock_mhz=clock_mhz).summary
    # 4 significant figures stored; the host part (layers the NPU leaves, dispatch) follows the CPU cycle model,
    # which may move after the fit: benchmarks/fit_npu.py --write refits
    assert s["latency_s"] == pytest.approx(anchor_s, rel=0.01)
    assert s["estimate_basis"] == "measured" and s["npu_layer_share"] > 0.6
    assert s["latency_low_s"] < anchor_s < s["latency_high_s"]


def test_the_sister_npus_take_the_fitted_efficiency():
    assert npu_of(load_mcu("imxrt700")).efficiency == npu_of(load_mcu("mcxn947")).efficiency
    assert npu_of(load_mcu("max78000")).efficiency == npu_of(load_mcu("max78002")).efficiency
    assert npu_of(load_mcu("imxrt700")).basis == npu_of(load_mcu("max78000")).basis == "extrapolated"
    # MAX78002: ADI's kws20_v3, 7.995 MMACs in 0.40 ms at 200 MHz on 576 MACs per cycle
    assert npu_of(load_mcu("max78002")).efficiency == pytest.approx(7.995e6 / (576 * 200e6 * 0.40e-3), rel=1e-3)


def test_max78000_takes_no_depthwise_and_no_stride_two(tmp_path):
    e = jf.estimate(KWS, mcu="max78000")
    on = dict(zip(e.layers["op"], e.layers["runs_on"]))
    assert on["DEPTHWISE_CONV_2D"] == "cpu" and on["SOFTMAX"] == "cpu"
    first = e.layers.iloc[0]  # KWS's first convolution: 10x4 kernel, stride 2 -> host
    assert first["op"] == "CONV_2D" and first["runs_on"] == "cpu"
    assert any("stride 2" in w or "kernel 10x4" in w for w in e.warnings)
    # most of the time is on the host: the band is the host's, not the NPU's
    assert e.summary["npu_time_share"] < 0.5
    cpu = jf.estimate(KWS, mcu="max78000", accelerator="none").summary
    assert e.summary["estimate_basis"] == cpu["estimate_basis"] != "measured"


# --------------------------------------------------------------------------------------------- CLI
def test_cli_accelerator_npu_and_none(tmp_path, capsys):
    part = str(toy_part(tmp_path))
    code, out, err = run_cli(capsys, "estimate", KWS, "--mcu", part, "--accelerator", "npu", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["summary"]["accelerator"] == "npu" and {r["runs_on"] for r in doc["layers"]} == {"npu"}
    code, out, err = run_cli(capsys, "estimate", KWS, "--mcu", part, "--accelerator", "none", "--json")
    assert code == 0 and json.loads(out)["summary"]["accelerator"] == "none"
    assert "runs_on" not in json.loads(out)["layers"][0]


@pytest.mark.parametrize("argv, message", [
    (["--mcu", "stm32u575", "--accelerator", "npu"], "stm32u575 has no NPU; parts with one: "),
    (["--mcu", "stm32u575", "--accelerator", "gpu"], "--accelerator must be one of npu, none, not 'gpu'"),
    (["--mcu", "stm32u575", "--runtime", "ethos-u"], "runtimes for stm32u575: "),
    (["--mcu", "alif-e3-he", "--runtime", "ethos-u", "--accelerator", "none"], "--accelerator none needs a CPU runtime"),
])
def test_cli_bad_accelerator_values_are_one_clear_line(capsys, argv, message):
    code, out, err = run_cli(capsys, "estimate", KWS, *argv)
    assert code == 2 and message in err and "Traceback" not in err and not out


def test_the_vectorised_sweep_equals_the_chain_with_and_without_the_npu(tmp_path):
    part = str(toy_part(tmp_path))
    kw = dict(mcu=[part, "stm32u575"], accelerator=["npu", "none"], duty=["1/min", "10/s"], battery="cr2032")
    fast, slow = jf.sweep(KWS, **kw), jf.sweep(KWS, vectorised=False, **kw)
    # an error row keeps the accelerator it was asked for, as it keeps the clock and supply
    assert list(fast["accelerator"]) == list(slow["accelerator"]) == (["npu"] * 2 + ["none"] * 2) * 2
    assert fast["error"].iloc[4].startswith("stm32u575 has no NPU")
    for col in ("latency_s", "energy_per_inference_j", "average_current_a", "battery_life_days"):
        assert np.allclose(fast[col].astype(float), slow[col].astype(float), equal_nan=True), col


def test_cli_sweep_takes_the_accelerator_as_a_dimension(tmp_path, capsys):
    part = str(toy_part(tmp_path))
    table = tmp_path / "sweep.csv"
    code, _, err = run_cli(capsys, "sweep", KWS, "--mcu", part, "--accelerator", "npu,none", "--duty", "1/min",
                           "-o", table, "--quiet", "--jobs", "1", "--no-cache")
    assert code == 0, err
    rows = list(csv.DictReader(open(table)))
    assert sorted(r["accelerator"] for r in rows) == ["none", "npu"]
    by = {r["accelerator"]: float(r["latency_s"]) for r in rows}
    assert by["npu"] < by["none"]
    code, _, err = run_cli(capsys, "sweep", KWS, "--mcu", part, "--accelerator", "tpu", "-o", tmp_path / "x.csv")
    assert code == 2 and "--accelerator must be npu, none or npu,none" in err and not (tmp_path / "x.csv").exists()
