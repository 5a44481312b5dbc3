"""MCU catalog: every data file loads, validates, carries provenance and is physically plausible; look-up by id,
alias and board; suggestions for misspelt ids; hand-checked figures against the reference table."""
from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from types import SimpleNamespace

import pytest

from joulescope_free.datafile import PROVENANCE_KEYS, bare_numbers, iter_figures, load_toml
from joulescope_free.errors import UserError
from joulescope_free.hardware.catalog import (
    CORE_CLASSES, RUNTIME_IDS, list_mcus, load_mcu, mcu_from_toml,
)
from joulescope_free.paths import data_dir

MCU_DIR = data_dir("power_models") / "mcus"
FILES = sorted(MCU_DIR.glob("*.toml"))
REQUIRED = """stm32l4r5 stm32h7a3 stm32u575 stm32u585 stm32u385 stm32f746 stm32h743 stm32g0b1 nrf52840 nrf5340 rp2040
esp32 esp32s3 esp32c3 gd32vf103 mik32 cxd5602 imxrt1062 ra6m4 ra8d1 psoc62 m467 apollo3 apollo4 efr32mg24
cortex-m0plus cortex-m4 cortex-m7 cortex-m33 cortex-m55 cortex-m85 riscv32 rpi4 beaglebone-ai""".split()
GENERIC = ["cortex-m0plus", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55", "cortex-m85", "riscv32"]
LINUX = {"rpi4", "beaglebone-ai", "rpi-zero-w", "rpi2", "rpi3b-plus", "rpi5"}  # Linux boards (power_models/boards)
KiB = 1024


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1]


# --------------------------------------------------------------------------------------------- every file
def test_required_ids_present():
    ids = {m.id for m in list_mcus()}
    assert set(REQUIRED) <= ids, sorted(set(REQUIRED) - ids)
    assert len(FILES) == len(ids)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_file_loads_and_has_provenance(path):
    tree = load_toml(path)
    mcu = mcu_from_toml(path)
    assert mcu.id == path.stem
    # no number without provenance
    assert list(bare_numbers(tree)) == []
    figures = list(iter_figures(tree))
    assert len(figures) >= 18
    derived_notes, source_notes = [], []
    for where, fig in figures:
        kinds = [k for k in PROVENANCE_KEYS if k in fig]
        assert len(kinds) == 1 and fig[kinds[0]].strip(), where
        assert kinds[0] != "measured", f"{where}: shipped data is never 'measured'"
        (derived_notes if kinds[0] == "derived" else source_notes).append(fig[kinds[0]])
    # each derived figure surfaces in assumptions, each source text in sources
    text = "\n".join(mcu.assumptions)
    for note in derived_notes:
        assert note in text
    assert set(source_notes) == set(mcu.sources)
    assert len(mcu.assumptions) >= len(derived_notes)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_file_physically_plausible(path):
    m = mcu_from_toml(path)
    assert m.core in CORE_CLASSES and m.default_runtime in RUNTIME_IDS
    assert m.supply_min_v < m.supply_default_v <= m.supply_max_v
    assert 0 < m.default_clock_hz <= m.max_clock_hz
    hz = [h for h, _ in m.flash_wait_states]
    ws = [w for _, w in m.flash_wait_states]
    assert hz == sorted(hz) and all(b >= a for a, b in zip(ws, ws[1:])) and ws[0] >= 0
    assert m.wait_states(m.max_clock_hz) == ws[-1]
    run_min = m.run_current_a(m.default_clock_hz / 10)   # even at a tenth of the default clock
    for s in m.sleep_modes:
        assert s.current_a < run_min, s.name
        assert 0 <= s.retains_ram_bytes <= m.sram_bytes
        assert 0 <= s.wakeup_s < (120.0 if m.id in LINUX else 1.0)  # a Linux board boots for tens of seconds
    currents = [s.current_a for s in m.sleep_modes]
    assert currents == sorted(currents), "lowest current first"
    # the duty model needs a mode that keeps all of SRAM
    assert any(s.retains_ram_bytes == m.sram_bytes for s in m.sleep_modes)
    if m.id in LINUX:
        assert 1e6 <= m.max_clock_hz <= 5e9 and 0.1 < m.run_current_a() < 3.0
        return
    assert 1e-12 < m.run_current_per_hz_a < 1e-9          # 1 .. 1000 µA/MHz
    assert 0 <= m.run_fixed_current_a < 0.05
    assert 1e6 <= m.max_clock_hz <= 1e9
    assert 8 * KiB <= m.sram_bytes <= 8 * 1024 * KiB
    assert 1.0 < m.supply_min_v and m.supply_max_v <= 5.5
    for s in m.sleep_modes:
        assert 1e-9 <= s.current_a <= 2e-3, s.name
    assert 1e-4 < m.run_current_a() < 0.2                  # 100 µA .. 200 mA at the default clock


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_copied_figures_match_their_origin(path):
    """A figure whose note says 'from X.toml' has a value that X.toml holds for the same quantity."""
    checked = 0
    for where, fig in iter_figures(load_toml(path)):
        note = fig.get("derived", "")
        for origin in re.findall(r"from ([a-z0-9-]+)\.toml", note):
            other = load_toml(MCU_DIR / f"{origin}.toml")
            values = [f["value"] for w, f in iter_figures(other) if _leaf(w) == _leaf(where)]
            assert fig["value"] in values, f"{path.stem}:{where} = {fig['value']} not in {origin}.toml {values}"
            checked += 1
    if path.stem in ("ra8d1", "m467", "mik32", "cortex-m55", "cortex-m85", "stm32l4r5"):
        assert checked >= 3   # these lean on core-class defaults


@pytest.mark.parametrize("core", GENERIC)
def test_typical_entries(core):
    g = load_mcu(core)
    assert g.typical and g.core == core
    assert g.assumptions[0].startswith(f"{core}: a typical")
    for pid in g.typical_of:
        assert load_mcu(pid).core == core and not load_mcu(pid).typical
    # figures said to be medians are the median of the typical_of parts' *sourced* figures
    tree = load_toml(MCU_DIR / f"{core}.toml")
    for key in ("max_clock_hz", "sram_bytes", "run.current_per_hz_a"):
        node = tree
        for k in key.split("."):
            node = node[k]
        if not node.get("derived", "").startswith("median"):
            continue
        vals = []
        for pid in g.typical_of:
            t = load_toml(MCU_DIR / f"{pid}.toml")
            f = t
            for k in key.split("."):
                f = f[k]
            if "source" in f:
                vals.append(f["value"])
        assert vals
        expect = statistics.median(vals)
        if key == "sram_bytes":
            expect = round(expect / KiB) * KiB
        assert node["value"] == pytest.approx(expect, rel=1e-9), key


def test_generic_medians_by_hand():
    # cortex-m4: stm32l4r5 112 and nrf52840 52 µA/MHz -> 82; cortex-m7: 120, 270, 472 -> 270;
    # cortex-m33: stm32u575 26, stm32u385 16, ra6m4 99 -> 26
    # (the headline is the whole current at the maximum clock: split into fixed and per-MHz parts, the same total)
    for core, per_mhz in (("cortex-m4", 82e-12), ("cortex-m7", 270e-12), ("cortex-m33", 26e-12)):
        m = load_mcu(core)
        assert m.run_current_a(m.max_clock_hz) == pytest.approx(per_mhz * m.max_clock_hz)
        assert m.run_fixed_current_a == pytest.approx(0.17 * per_mhz * m.max_clock_hz)  # run_current.toml split
    # part figures taken from the core class
    m467 = load_mcu("m467")
    assert m467.run_current_a(m467.max_clock_hz) == pytest.approx(82e-12 * m467.max_clock_hz)
    assert load_mcu("ra8d1").sleep_modes[-1].current_a == load_mcu("cortex-m7").sleep_modes[-1].current_a


def test_derived_figure_lands_in_assumptions():
    lines = load_mcu("stm32l4r5").assumptions
    stop2 = [a for a in lines if a.startswith("stm32l4r5: sleep current 'Stop 2")]
    assert len(stop2) == 1 and "cortex-m4.toml" in stop2[0] and "not from the part's datasheet" in stop2[0]
    # a fully sourced figure does not
    assert not any("Standby" in a and "sleep current" in a for a in lines)


# --------------------------------------------------------------------------------------------- hand-checked values
def test_nrf52840_against_reference():
    m = load_mcu("nrf52840")
    full = m.retaining_sleep(256 * KiB)
    assert full.current_a == pytest.approx(3.16e-6)          # ION_RAMON_RTC
    assert full.retains_ram_bytes == 262144
    assert m.sleep_modes[0].current_a == pytest.approx(0.40e-6)  # System OFF
    assert m.run_current_a(64e6) == pytest.approx(52e-6 * 64, rel=1e-9)  # 3.328 mA ~ ICPU0 3.3 mA
    assert m.regulator == "dcdc" and m.run_reference_v == 3.0


def test_stm32_wait_states_against_reference():
    l4 = load_mcu("stm32l4r5")
    assert l4.wait_states(120e6) == 5 and l4.wait_states(100e6) == 4 and l4.wait_states(100.5e6) == 5
    # below 26 MHz the part runs in Range 2 (VCORE 1.0 V) with its own table: 0 WS <= 8, 1 <= 16, 2 <= 26 MHz
    assert l4.wait_states(8e6) == 0 and l4.wait_states(16e6) == 1 and l4.wait_states(20e6) == 2
    assert l4.run_range(26e6).name == "Range 2" and l4.run_range(26.5e6).name == "Range 1"
    assert l4.wait_states(26.5e6) == 1 and l4.wait_states(40e6) == 1 and l4.wait_states(40.5e6) == 2
    assert load_mcu("stm32f746").wait_states(216e6) == 7       # 2.7-3.6 V, over-drive
    assert load_mcu("stm32h7a3").wait_states(280e6) == 6       # VOS0
    assert load_mcu("stm32h743").wait_states(480e6) == 4       # 240 MHz AXI
    assert load_mcu("stm32u575").wait_states(160e6) == 4
    assert load_mcu("stm32u385").wait_states(96e6) == 2
    assert load_mcu("stm32g0b1").wait_states(64e6) == 2
    assert load_mcu("efr32mg24").wait_states(78e6) == 1 and load_mcu("efr32mg24").wait_states(40e6) == 0


def test_run_current_splits_by_hand():
    # EFR32MG24: fixed part = intercept of while(1) HFRCO 281.8 µA @1 MHz and 28.1 µA/MHz @38 MHz
    slope = (28.1 * 38 - 281.8) / 37                          # µA/MHz
    fixed_ua = 281.8 - slope * 1
    efr = load_mcu("efr32mg24")
    assert efr.run_fixed_current_a == pytest.approx(fixed_ua * 1e-6, rel=1e-6)
    assert efr.run_current_a(78e6) == pytest.approx(49.1e-6 * 78, rel=1e-6)   # CoreMark at 78 MHz
    assert efr.run_current_a(39e6) == pytest.approx(49.4e-6 * 39, rel=0.08)   # CoreMark at 39 MHz, within 8 %
    # ESP32: single-core Modem-sleep upper ends 25 mA @80 MHz, 34 mA @160 MHz
    esp = load_mcu("esp32")
    assert esp.run_current_a(80e6) == pytest.approx(25e-3) and esp.run_current_a(160e6) == pytest.approx(34e-3)
    assert 30e-3 <= esp.run_current_a(240e6) <= 68e-3
    # ESP32-S3 one core 32-bit: 39.9 mA @160, 51.2 mA @240; ESP32-C3: 17 mA @80, 23 mA @160
    assert load_mcu("esp32s3").run_current_a(160e6) == pytest.approx(39.9e-3)
    assert load_mcu("esp32s3").run_current_a(240e6) == pytest.approx(51.2e-3)
    assert load_mcu("esp32c3").run_current_a(80e6) == pytest.approx(17e-3)
    assert load_mcu("esp32c3").run_current_a(160e6) == pytest.approx(23e-3)
    # RP2040: Popcorn DVDD 10.9 mA @48 MHz, DORMANT 0.18 mA as the fixed part
    rp = load_mcu("rp2040")
    assert rp.run_current_a(48e6) == pytest.approx(10.9e-3, rel=1e-6)
    assert rp.run_fixed_current_a == pytest.approx(0.18e-3)
    assert rp.regulator == "ldo"
    # STM32U385: 16 µA/MHz CoreMark at 96 MHz, 3.3 V SMPS
    assert load_mcu("stm32u385").run_current_a(96e6) == pytest.approx(1.536e-3)


def test_sleep_modes_for_the_duty_model():
    # ESP32 deep sleep loses SRAM; light sleep (0.8 mA) is the cheapest mode that keeps the model
    esp = load_mcu("esp32")
    assert esp.retaining_sleep(100 * KiB).current_a == pytest.approx(0.8e-3)
    assert esp.sleep_modes[0].retains_ram_bytes == 0
    # EFR32MG24: 16 KB kept for 1.3 µA, all 256 KB for 2.9 µA
    efr = load_mcu("efr32mg24")
    assert efr.retaining_sleep(16 * KiB).current_a == pytest.approx(1.3e-6)
    assert efr.retaining_sleep(16 * KiB + 1).current_a == pytest.approx(2.9e-6)
    # U385 Stop 3 keeps full SRAM for 2.2 µA (lower than Stop 2's 4.5 µA)
    assert load_mcu("stm32u385").retaining_sleep(200 * KiB).current_a == pytest.approx(2.2e-6)
    # wake-up energy = wake-up time x run current at the default clock x reference supply (hand: 20 µs x 13.44 mA x 3.3 V)
    stop2 = load_mcu("stm32l4r5").retaining_sleep(600 * KiB)
    assert stop2.wakeup_energy_j == pytest.approx(20e-6 * 112e-12 * 120e6 * 3.3)
    assert stop2.provenance["wakeup_energy_j"] == "computed"  # not in the file: recomputed at the chosen clock


def test_memory_against_reference():
    assert load_mcu("stm32h7a3").sram_bytes == 1424 * KiB and load_mcu("stm32h7a3").tcm_bytes == 192 * KiB
    assert load_mcu("stm32l4r5").flash_bytes == 2048 * KiB
    assert load_mcu("rp2040").flash_bytes == 0 and load_mcu("rp2040").flash_kind == "external-qspi"
    assert load_mcu("apollo4").flash_kind == "mram"
    assert load_mcu("gd32vf103").sram_bytes == 32 * KiB


# --------------------------------------------------------------------------------------------- look-up
@pytest.mark.parametrize("spec, expect", [
    ("nrf52840", "nrf52840"), ("NRF52840", "nrf52840"), ("nano33ble", "nrf52840"),
    ("Arduino Nano 33 BLE Sense", "nrf52840"), ("nano-33-ble-sense", "nrf52840"),
    ("pico", "rp2040"), ("Raspberry Pi Pico", "rp2040"),
    ("stm32l4r5zi", "stm32l4r5"), ("nucleo-l4r5zi", "stm32l4r5"), ("NUCLEO-L4R5ZI", "stm32l4r5"),
    ("STM32L4R5ZIT6U", "stm32l4r5"), ("STM32H7A3ZIT6Q", "stm32h7a3"), ("NUCLEO-H7A3ZI-Q", "stm32h7a3"),
    ("STM32U575ZIT6QU", "stm32u575"), ("stm32h743zit6", "stm32h743"),   # MLPerf Tiny spellings
    ("cortex-m4", "cortex-m4"), ("Cortex-M4", "cortex-m4"), ("spresense", "cxd5602"), ("teensy41", "imxrt1062"),
    ("esp32-s3", "esp32s3"), ("  esp32  ", "esp32"),
])
def test_lookup_by_alias(spec, expect):
    assert load_mcu(spec).id == expect


def test_lookup_is_cached_and_sorted():
    a, b = list_mcus(), list_mcus()
    assert [m.id for m in a] == sorted(m.id for m in a)
    assert all(x is y for x, y in zip(a, b))
    assert load_mcu("pico") is load_mcu("rp2040")


@pytest.mark.parametrize("spec, near", [("stm32l4r6", "stm32l4r5"), ("nrf52480", "nrf52840"),
                                        ("esp32s2", "esp32s3"), ("cortexm333", "cortex-m33"), ("apolo3", "apollo3")])
def test_unknown_id_suggests_closest(spec, near):
    with pytest.raises(UserError) as exc:
        load_mcu(spec)
    msg = str(exc.value)
    assert msg.startswith(f"unknown MCU '{spec}'") and near in msg and "energy mcus" in msg and "\n" not in msg


def test_prefix_rule_does_not_overmatch():
    with pytest.raises(UserError):
        load_mcu("esp32c6")          # a different part, not esp32 + suffix
    with pytest.raises(UserError):
        load_mcu("stm32l4")          # too short to be an ordering code of stm32l4r5


# --------------------------------------------------------------------------------------------- user files
def _write(tmp_path: Path, text: str, name: str = "board.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_load_from_path(tmp_path):
    src = (MCU_DIR / "nrf52840.toml").read_text(encoding="utf-8")
    p = _write(tmp_path, src.replace('id = "nrf52840"', 'id = "my-board"'))
    m = load_mcu(str(p))
    assert m.id == "my-board" and m.sram_bytes == 256 * KiB
    with pytest.raises(UserError, match="file not found"):
        load_mcu(str(tmp_path / "missing.toml"))


@pytest.mark.parametrize("old, new, key", [
    ("sram_bytes = { value = 262144, source", "sram_bytes = { value = 262144, sorce", "sram_bytes"),
    ('sram_bytes = { value = 262144, source = "', 'sram_bytes = 262144\n#', "sram_bytes"),
    ('core = "cortex-m4"', 'core = "cortex-m5"', "core"),
    ('default_runtime = "tflm-cmsis-nn"', 'default_runtime = "tfml"', "default_runtime"),
    ("supply_default_v = { value = 3.0,", "supply_default_v = { value = 3.9,", "supply_default_v"),
    ("[6e7, 1], [6.4e7, 2]]", "[6e7, 3], [6.4e7, 2]]", "flash_wait_states"),   # decreasing
    ("current_a = { value = 3.16e-6,", "current_a = { value = 1e-7,", "sleep"),    # order broken
    ("current_a = { value = 3.16e-6,", "current_a = { value = 9e-3,", "sleep[2].current_a"),  # above run
    ('vendor = "Nordic Semiconductor"', 'vendr = "Nordic"', "vendor"),
])
def test_bad_file_names_file_and_key(tmp_path, old, new, key):
    src = (MCU_DIR / "nrf52840.toml").read_text(encoding="utf-8")
    assert old in src, old
    p = _write(tmp_path, src.replace(old, new, 1))
    with pytest.raises(UserError) as exc:
        mcu_from_toml(p)
    msg = str(exc.value)
    assert str(p) in msg and key in msg and "\n" not in msg


def test_not_toml(tmp_path):
    p = _write(tmp_path, "this is [not toml")
    with pytest.raises(UserError, match="not valid TOML"):
        load_mcu(str(p))


# --------------------------------------------------------------------------------------------- reports
def test_mcus_json_schema():
    from joulescope_free.render.catalog import mcus_json

    data = json.loads(mcus_json(list_mcus()))
    assert [d["id"] for d in data] == sorted(d["id"] for d in data)
    need = {"id", "name", "vendor", "core", "isa", "typical", "max_clock_hz", "sram_bytes", "tcm_bytes", "flash_bytes",
            "supply_min_v", "supply_max_v", "supply_default_v", "run_current_per_hz_a", "run_fixed_current_a",
            "default_runtime", "sleep_modes", "sources", "assumptions"}
    for d in data:
        assert need <= set(d)
    nrf = next(d for d in data if d["id"] == "nrf52840")
    assert nrf["max_clock_hz"] == 64e6 and nrf["sram_bytes"] == 262144 and nrf["run_current_per_hz_a"] == 52e-12
    assert nrf["sleep_modes"][-1]["current_a"] == 3.16e-6 and nrf["sources"]


def test_render_mcus_table():
    from rich.console import Console

    from joulescope_free.render.catalog import render_mcus

    con = Console(record=True, width=200)
    render_mcus([load_mcu("stm32l4r5"), load_mcu("cortex-m4")], console=con)
    out = con.export_text()
    row = next(line for line in out.splitlines() if "stm32l4r5" in line)
    assert "120" in row and "640" in row and "2,048" in row and "112" in row and "3.16" in row
    assert "yes" in next(line for line in out.splitlines() if line.split()[:1] == ["cortex-m4"])
    # a narrow terminal keeps the numbers and marks typical parts with '*'
    con = Console(record=True, width=80)
    render_mcus([load_mcu("stm32l4r5"), load_mcu("cortex-m4")], console=con)
    out = con.export_text()
    assert all(len(line) <= 80 for line in out.splitlines())
    assert any(line.split()[:1] == ["cortex-m4*"] for line in out.splitlines())
    assert "2,048" in next(line for line in out.splitlines() if "stm32l4r5" in line)


def test_runtimes_render_and_json():
    from rich.console import Console

    from joulescope_free.render.catalog import render_runtimes, runtimes_json

    rt = SimpleNamespace(id="tflm-cmsis-nn", name="TFLite Micro + CMSIS-NN", cores=("cortex-m4", "cortex-m7"),
                         versions=("5.0", "6.0"), default_version="6.0", source="github", notes="",
                         kernels="cmsis-nn-v7.0.0", kernels_by_core={"cortex-m7": "other-nn"}, build="Os",
                         kernel_ratios={"conv_ratio": 0.5})
    data = json.loads(runtimes_json([rt]))
    assert data == [{"id": "tflm-cmsis-nn", "name": "TFLite Micro + CMSIS-NN", "cores": ["cortex-m4", "cortex-m7"],
                     "versions": ["5.0", "6.0"], "default_version": "6.0", "kernels": "cmsis-nn-v7.0.0",
                     "kernels_by_core": {"cortex-m7": "other-nn"}, "build": "Os", "closed": True,
                     "source": "github", "notes": ""}]
    con = Console(record=True, width=200)
    render_runtimes([rt], console=con)
    text = con.export_text()
    assert "cortex-m4, cortex-m7" in text
    assert "x ratios of cmsis-nn-v7.0.0, other-nn on cortex-m7 (Os)" in text


def test_cli_mcus():
    from typer.testing import CliRunner

    from joulescope_free.cli import app

    res = CliRunner().invoke(app, ["mcus", "--json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert {"id", "core", "max_clock_hz", "sram_bytes", "flash_bytes", "sources"} <= set(data[0])
    assert len(data) == len(FILES)
    res = CliRunner().invoke(app, ["mcus"])
    assert res.exit_code == 0 and "stm32l4r5" in res.stdout
