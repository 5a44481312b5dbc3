"""Memory placement (hardware/memory.py): where code, weights and arena live and what a missed byte costs, against
hand sums from the figures; the --weights-in / --arena-in options through the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from joulescope_free.api import _analysis
from helpers import run_cli
from joulescope_free.cli import app
from joulescope_free.errors import UserError
from joulescope_free.hardware.cycles import cycle_arrays, layer_arrays
from joulescope_free.hardware.memory import memory_map, place, placement
from joulescope_free.hardware.runtimes import load_core, load_runtime
from toy import toy_mcu

DATA = Path(__file__).parent / "data" / "mlperf_tiny"
KWS = DATA / "kws_ds_cnn_int8.tflite"

TOY_MEMORY = """
[memory]
code_in = "tcm"
weights_in = ["flash"]
arena_in = ["sram"]

[[memory.region]]
name = "tcm"
kind = "tcm"
bytes = { value = 262144, derived = "toy" }

[[memory.region]]
name = "sram"
kind = "sram"
bytes = { value = 262144, derived = "toy" }

[[memory.region]]
name = "flash"
kind = "flash"
bytes = { value = 1048576, derived = "toy" }

[[memory.region]]
name = "qspi"
kind = "qspi"
bytes = { value = 8388608, derived = "toy" }
bus_clock_hz = { value = 8e7, derived = "toy" }
bus_width_bits = { value = 4, derived = "toy" }
access_overhead_clocks = { value = 14, derived = "toy" }
line_bytes = { value = 32, derived = "toy" }

[[memory.region]]
name = "psram"
kind = "psram"
bytes = { value = 8388608, derived = "toy" }
bus_clock_hz = { value = 4e7, derived = "toy" }
bus_width_bits = { value = 8, derived = "toy" }
access_overhead_clocks = { value = 12, derived = "toy" }
line_bytes = { value = 32, derived = "toy" }
"""


@pytest.fixture(scope="module")
def kws():
    layers = _analysis(KWS).layers
    return layers, layer_arrays(layers)


@pytest.fixture()
def part(tmp_path):
    path = tmp_path / "toy.toml"
    path.write_text(TOY_MEMORY)
    # 3 wait states at 64 MHz; a data cache that holds every layer's weights (each weight byte is read once)
    return toy_mcu(path=str(path), flash_wait_states=((64e6, 3),), dcache_bytes=1 << 20)


def _memory_cycles(arrays, mcu) -> float:
    compute, memory = cycle_arrays(arrays, load_runtime("tflm-cmsis-nn"), load_core("cortex-m4"), mcu, 64e6)
    return float(memory.sum())


def test_tcm_weights_cost_nothing_and_flash_weights_cost_their_wait_states(kws, part):
    layers, arrays = kws
    weights = float(layers["weights_bytes"].sum())
    assert _memory_cycles(arrays, place(part, weights_in="tcm")) == 0.0  # code, weights and arena in zero-wait memory
    # 3 wait states per 16-byte flash line (cortex-m4 flash_line_bytes): 3/16 cycle for each weight byte
    assert _memory_cycles(arrays, place(part, weights_in="flash")) == pytest.approx(weights * 3 / 16, rel=1e-9)
    assert _memory_cycles(arrays, part) == pytest.approx(weights * 3 / 16, rel=1e-9)  # the toy's default: flash


def test_serial_memory_costs_the_refill_bus_time(kws, part):
    layers, arrays = kws
    weights = float(layers["weights_bytes"].sum())
    # quad SPI at 80 MHz: (14 overhead clocks + 32 bytes x 2 clocks) / 80 MHz = 975 ns per 32-byte line,
    # x 64 MHz = 62.4 core cycles per line = 1.95 cycles per byte
    assert _memory_cycles(arrays, place(part, weights_in="qspi")) == pytest.approx(weights * 1.95, rel=1e-9)
    # an arena in octal PSRAM at 40 MHz: (12 + 32) / 40 MHz x 64 MHz / 32 = 2.2 cycles per byte, for each layer's
    # input (read) and output (refill and write-back) bytes
    moved = float((layers["input_bytes"] + 2 * layers["bytes_written"]).sum())
    both = _memory_cycles(arrays, place(part, weights_in="tcm", arena_in="psram"))
    assert both == pytest.approx(moved * 2.2, rel=1e-9)


def test_a_memory_the_part_lacks_is_refused_with_the_valid_ones(part):
    with pytest.raises(UserError, match=r"--weights-in dram: toy has no such memory; valid: flash, psram, qspi, "
                                        r"sram, tcm"):
        place(part, weights_in="dram")


def test_weights_too_large_for_the_chosen_memory_are_refused(kws, part):
    with pytest.raises(UserError, match="do not fit"):
        placement(place(part, weights_in="tcm"), weights_bytes=300 * 1024, arena_bytes=0)


def test_teensy_keeps_a_small_model_in_tcm_and_a_large_one_in_flash():
    m = memory_map(place("imxrt1062"))
    assert m.code_in == "tcm" and m.weights_in == ("tcm", "flash")
    p = placement(place("imxrt1062"), weights_bytes=100 * 1024, arena_bytes=50 * 1024)
    assert (p.code.kind, p.weights.kind, p.arena.kind) == ("tcm", "tcm", "tcm")
    # 512 KiB of FlexRAM less 128 KiB of code: 384 KiB; a 350 KiB model with a 50 KiB arena goes to flash
    p = placement(place("imxrt1062"), weights_bytes=350 * 1024, arena_bytes=50 * 1024)
    assert (p.weights.name, p.arena.name) == ("flash", "tcm")


def test_cli_weights_in_flash_is_slower_than_the_teensy_default_tcm():
    runner = CliRunner()
    out = {}
    for extra in ([], ["--weights-in", "flash"]):
        res = runner.invoke(app, ["estimate", str(KWS), "--mcu", "teensy40", "--json", *extra])
        assert res.exit_code == 0, res.output
        d = json.loads(res.output)
        out[tuple(extra)] = d
    default, flash = out[()], out[("--weights-in", "flash")]
    assert flash["summary"]["latency_s"] > default["summary"]["latency_s"]
    assert any("weights in tcm" in a and "default" in a for a in default["assumptions"])
    assert any("weights in flash" in a and "your choice" in a for a in flash["assumptions"])


def test_cli_bad_memory_is_one_line_and_exit_2(capsys):
    code, out, err = run_cli(capsys, "estimate", KWS, "--mcu", "stm32h7a3", "--arena-in", "psram")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "stm32h7a3 has no such memory" in lines[0] and "sram" in lines[0], err


def test_mcus_json_shows_the_memory_map(capsys):
    code, out, _ = run_cli(capsys, "mcus", "esp32s3", "--json")
    assert code == 0
    doc = json.loads(out)
    doc = doc[0] if isinstance(doc, list) else doc
    mem = doc["memory"]
    assert mem["code_in"] == "flash" and mem["weights_in"] == ["flash"] and mem["arena_in"] == ["sram", "psram"]
    flash = next(r for r in mem["regions"] if r["name"] == "flash")
    assert (flash["kind"], flash["bus_clock_hz"], flash["bus_width_bits"]) == ("qspi", 80e6, 4)


def test_a_code_fetch_stall_is_stated_where_code_runs_from_flash():
    # stm32l4r5 at 120 MHz: 5 wait states x 0.05134 (power_models/memory_system.toml) = +26 % on the compute cycles
    from joulescope_free.api import estimate

    est = estimate(KWS, "stm32l4r5", runtime="edge-impulse")
    assert any("5 wait states" in a and "+26% code-fetch stall" in a for a in est.assumptions)
    teensy = estimate(KWS, "imxrt1062")
    assert not any("code-fetch stall" in a for a in teensy.assumptions)


def test_compare_passes_the_placement_to_every_target(capsys):
    vww = str(DATA / "vww_mobilenet_v1_025_96_int8.tflite")
    rows = {}
    for extra in ([], ["--weights-in", "flash"]):
        code, out, _ = run_cli(capsys, "compare", vww, "--mcu", "imxrt1062,stm32h7a3", "--json", *extra)
        assert code == 0
        rows[tuple(extra)] = {r["mcu"]: r["latency_s"] for r in json.loads(out)}
    # the Teensy's 214 KiB of weights leave TCM for QSPI flash; the H7A3's weights are in flash by default
    assert rows[("--weights-in", "flash")]["imxrt1062"] > rows[()]["imxrt1062"]
    assert rows[("--weights-in", "flash")]["stm32h7a3"] == pytest.approx(rows[()]["stm32h7a3"], rel=1e-12)
