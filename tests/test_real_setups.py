"""Issue 11: every real set-up placed. Core classes at their real maximum clocks, every runtime on every core it
runs on (an estimate with a band, the widest where nothing stands behind it) or a clear refusal where it cannot
exist, the supply-path law against hand numbers, catalog figures that are not the part's own marked in
``energy mcus --json``, the default release, and the EON / TinyEngine memory figures against their published
claims."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import joulescope_free as jf
from helpers import run_cli
from joulescope_free.datafile import iter_figures, load_toml
from joulescope_free.errors import UserError
from joulescope_free.hardware.catalog import CORE_CLASSES, list_mcus, load_mcu
from joulescope_free.hardware.power import datasheet_run_current_a
from joulescope_free.hardware.runtimes import list_runtimes, load_core, load_runtime
from joulescope_free.paths import data_dir

DATA = Path(__file__).parent / "data"
KWS = DATA / "mlperf_tiny" / "kws_ds_cnn_int8.tflite"
TINY = DATA / "tiny" / "conv_add_pool_int8.tflite"
MCU_DIR = data_dir("power_models") / "mcus"
#: a part standing for each core class: its generic entry, or for the Linux cores the one board
PART_OF_CORE = {c: c for c in CORE_CLASSES} | {"cortex-a72": "rpi4", "cortex-a15": "beaglebone-ai",
                                               "cortex-a7": "rpi2", "cortex-a53": "rpi3b-plus", "cortex-a76": "rpi5",
                                               "arm1176": "rpi-zero-w",
                                               "xtensa-lx6": "esp32", "xtensa-lx7": "esp32s3"}


def _widest_from_the_file(scope: str = "no data") -> tuple:
    """The band of an estimate without data on its core class, read straight from the TOML: the entry of scope
    "no data" (of a runtime whose kernels are a representative loop: "unmeasured kernels") where the file has
    one, else the envelope of every band."""
    bands = load_toml(data_dir("power_models") / "error_bands.toml")["band"]
    own = [b for b in bands if b.get("scope") == scope] or [b for b in bands if b.get("scope") == "no data"]
    if own:
        return own[0]["latency_low"]["value"], own[0]["latency_high"]["value"]
    return (min(b["latency_low"]["value"] for b in bands), max(b["latency_high"]["value"] for b in bands))


# --------------------------------------------------------------------------------------------- core classes
def test_every_core_class_has_a_core_file_and_a_part():
    for core in CORE_CLASSES:
        load_core(core)  # raises if the file is missing or incomplete
        assert load_mcu(PART_OF_CORE[core]).core == core
    for core in ("cortex-m3", "cortex-m0", "cortex-m23"):
        part = load_mcu(core)
        assert part.typical and part.assumptions[0].startswith(f"{core}: a typical")
    # Armv6-M / v8-M baseline cores have no kernel tables of their own: the M0+ tables stand in, said so
    assert load_core("cortex-m0").kernel_proxy == load_core("cortex-m23").kernel_proxy == "cortex-m0plus"
    m3 = load_core("cortex-m3")
    assert m3.simd_lanes == 1 and m3.kernel_proxy == ""  # the M3 has its own simulated tables


#: the clocks of real parts issue 11 names (MHz): each generic core id must accept them
REAL_CLOCKS_MHZ = {"cortex-m0plus": 133, "cortex-m3": 120, "cortex-m4": 240, "cortex-m7": 996, "cortex-m33": 250,
                   "cortex-m55": 480, "cortex-m85": 480, "riscv32": 400, "cortex-m23": 32}


@pytest.mark.parametrize("core", sorted(REAL_CLOCKS_MHZ))
def test_a_generic_core_id_takes_the_clock_of_real_parts_and_refuses_above_the_class(core, capsys):
    assert load_core(core).max_clock_hz >= REAL_CLOCKS_MHZ[core] * 1e6
    r = jf.estimate(TINY, core, clock_mhz=REAL_CLOCKS_MHZ[core])
    assert r.target["clock_hz"] == REAL_CLOCKS_MHZ[core] * 1e6 and r.summary["latency_s"] > 0
    top = load_core(core).max_clock_hz / 1e6
    at_top = jf.estimate(TINY, core, clock_mhz=top)
    assert at_top.summary["latency_low_s"] is not None  # every estimate carries its band
    if top > load_mcu(core).max_clock_hz / 1e6:  # above the typical part: flash and cache assumptions said
        assert any("above the typical part" in a and "wait states held at" in a for a in at_top.assumptions)
        assert at_top.summary["estimate_basis"] == "extrapolated"
    code, out, err = run_cli(capsys, "estimate", TINY, "--mcu", core, "--clock-mhz", top * 1.05)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    above = top > load_mcu(core).max_clock_hz / 1e6
    assert (f"fastest shipping {core} part" if above else f"{core} maximum") in err and f"{top:g}" in err


@pytest.mark.parametrize("core", CORE_CLASSES)
def test_every_core_class_at_its_maximum_clock(core, capsys):
    part = load_mcu(PART_OF_CORE[core])
    top = max(part.max_clock_hz, load_core(core).max_clock_hz if part.typical else 0.0)
    runtime = next(r.id for r in list_runtimes() if _runs_on(r, part))
    s = jf.estimate(TINY, part, runtime=runtime, clock_mhz=top / 1e6).summary
    assert s["clock_hz"] == top and s["latency_s"] > 0 and s["latency_high_s"] >= s["latency_s"]
    code, _, err = run_cli(capsys, "estimate", TINY, "--mcu", part.id, "--runtime", runtime,
                           "--clock-mhz", top / 1e6 * 1.01)
    assert code == 2 and "above" in err and f"{top / 1e6:g} MHz" in err


def test_a_real_part_keeps_its_own_maximum(capsys):
    code, _, err = run_cli(capsys, "estimate", TINY, "--mcu", "stm32l4r5", "--clock-mhz", 150)
    assert code == 2 and "stm32l4r5 maximum of 120 MHz" in err


# --------------------------------------------------------------------------------------------- runtimes
def _runs_on(rt, part) -> bool:
    from joulescope_free.hardware.npu import npu_of, npu_runtime_ids

    if rt.id in npu_runtime_ids():  # an NPU runtime runs only where the part has that NPU
        return getattr(npu_of(part), "runtime", None) == rt.id
    return (not rt.cores or part.core in rt.cores) and (not rt.vendors or part.typical or part.vendor in rt.vendors)


@pytest.mark.parametrize("runtime", [r.id for r in list_runtimes()])
def test_every_runtime_on_every_core_estimates_or_refuses_clearly(runtime):
    rt = load_runtime(runtime)
    widest = _widest_from_the_file("unmeasured kernels" if rt.representative_kernels else "no data")
    for core, part_id in PART_OF_CORE.items():
        part = load_mcu(part_id)
        if not _runs_on(rt, part):
            with pytest.raises(UserError, match=f"runtimes for {part.id}: "):
                jf.estimate(TINY, part, runtime=runtime)
            continue
        s = jf.estimate(TINY, part, runtime=runtime).summary
        assert math.isfinite(s["latency_s"]) and s["latency_s"] > 0, (runtime, core)
        assert s["latency_low_s"] <= s["latency_s"] <= s["latency_high_s"], (runtime, core)
        if s["estimate_basis"] == "extrapolated" and "the widest band" in s["estimate_basis_note"]:
            assert s["latency_low_s"] / s["latency_s"] == pytest.approx(widest[0])
            assert s["latency_high_s"] / s["latency_s"] == pytest.approx(widest[1])


@pytest.mark.parametrize("mcu, runtime", [("esp32", "microtvm"), ("esp32s3", "microtvm"), ("stm32g0b1", "bosch-hale"),
                                          ("cortex-m0plus", "bosch-hale"), ("stm32h743", "tinyengine"),
                                          ("riscv32", "nmsis-nn"), ("cortex-m23", "tflm-cmsis-nn")])
def test_a_runtime_with_no_data_on_the_core_gets_the_widest_band(mcu, runtime):
    s = jf.estimate(TINY, mcu, runtime=runtime).summary
    assert s["estimate_basis"] == "extrapolated" and "the widest band" in s["estimate_basis_note"]
    low, high = _widest_from_the_file()
    assert (s["latency_low_s"] / s["latency_s"], s["latency_high_s"] / s["latency_s"]) == pytest.approx((low, high))


def test_impossible_combinations_are_refused_naming_what_runs_there(capsys):
    code, _, err = run_cli(capsys, "estimate", TINY, "--mcu", "nrf52840", "--runtime", "x-cube-ai")
    assert code == 2 and "runs only on STMicroelectronics" in err and "tflm-cmsis-nn" in err
    assert "x-cube-ai," not in err.split("runtimes for nrf52840:")[1]
    code, _, err = run_cli(capsys, "estimate", TINY, "--mcu", "rp2040", "--runtime", "tinyengine")
    assert code == 2 and "does not run on cortex-m0plus" in err and "bosch-hale" in err


def test_no_release_given_uses_the_newest_with_measurements_and_names_the_others():
    r = jf.estimate(KWS, "stm32l4r5", runtime="x-cube-ai")
    assert r.target["runtime"] == "x-cube-ai@8.1"
    line = next(a for a in r.assumptions if a.startswith("no x-cube-ai release given"))
    assert "9.0" in line and "estimated only" in line.split("9.0")[1] and "7.1" in line
    asked = jf.estimate(KWS, "stm32l4r5", runtime="x-cube-ai@9.0")
    ratio = asked.summary["latency_s"] / r.summary["latency_s"]
    assert f"x{ratio:.2f}, estimated only" in line  # the note states what 9.0 gives on this model
    assert not any("release given" in a for a in asked.assumptions)  # a release asked for is not second-guessed


def test_every_default_release_is_the_newest_with_data_behind_it():
    for rt in list_runtimes():
        rated = []
        for version in rt.versions:
            v = load_runtime(f"{rt.id}@{version}")
            key = "conv_ratio" if v.kernel_ratios else "conv_cycles_per_mac"
            has_data = v.provenance[key][1].startswith("fitted") or bool(v.kernels and not v.kernel_ratios)
            rated.append((version, has_data))
        with_data = [v for v, ok in rated if ok]
        if with_data:
            assert rt.default_version == with_data[-1], rt.id


def test_edge_impulse_eon_matches_its_published_keyword_spotting_example():
    # edgeimpulse.com/blog/introducing-eon (power_models/reference/runtime_figures.csv): a quantized KWS CNN on a
    # Cortex-M4F, 32 % less RAM and 37 % less ROM than TFLM, "inferencing speed ... exactly the same"
    tflm = jf.estimate(KWS, "stm32l4r5", runtime="tflm-cmsis-nn").summary
    eon = jf.estimate(KWS, "stm32l4r5", runtime="edge-impulse").summary
    assert eon["peak_ram_bytes"] == pytest.approx(0.68 * tflm["peak_ram_bytes"], rel=0.01)
    assert eon["flash_bytes"] == pytest.approx(0.63 * tflm["flash_bytes"], rel=0.01)
    assert eon["latency_s"] == pytest.approx(tflm["latency_s"], rel=0.02)
    # other models stay inside (or near) the 25-65 % RAM saving the current docs give
    vww_t = jf.estimate(DATA / "mlperf_tiny" / "vww_mobilenet_v1_025_96_int8.tflite", "stm32l4r5",
                        runtime="tflm-cmsis-nn").summary
    vww_e = jf.estimate(DATA / "mlperf_tiny" / "vww_mobilenet_v1_025_96_int8.tflite", "stm32l4r5",
                        runtime="edge-impulse").summary
    assert 0.25 <= 1 - vww_e["peak_ram_bytes"] / vww_t["peak_ram_bytes"] <= 0.65


def test_tinyengine_arena_is_tflms_over_its_smallest_stated_saving():
    tflm = jf.estimate(KWS, "stm32h743", runtime="tflm-cmsis-nn").summary
    te = jf.estimate(KWS, "stm32h743", runtime="tinyengine").summary
    assert te["arena_bytes"] == pytest.approx(tflm["arena_bytes"] / 1.3, abs=2)  # README: 1.3-3.6x less peak memory
    assert te["latency_s"] < tflm["latency_s"]


# --------------------------------------------------------------------------------------------- supply path
def test_supply_path_law_ldo_current_constant_smps_power_constant():
    ldo = load_mcu("stm32l4r5")
    smps = load_mcu("NUCLEO-L4R5ZI-P")
    assert (ldo.regulator, smps.regulator, smps.id) == ("ldo", "smps", "stm32l4r5")
    f = 120e6
    # LDO: 112 µA/MHz x 120 MHz = 13.44 mA at any VDD
    for v in (1.8, 3.0, 3.3):
        assert datasheet_run_current_a(ldo, f, v) == pytest.approx(13.44e-3)
    # SMPS: 112 µA/MHz x 1.2 V / (3.3 V x 0.9) = 45.25 µA/MHz at 3.3 V -> 5.430 mA; power constant below
    assert datasheet_run_current_a(smps, f, 3.3) == pytest.approx(5.430e-3, rel=1e-3)
    assert datasheet_run_current_a(smps, f, 3.0) == pytest.approx(5.430e-3 * 3.3 / 3.0, rel=1e-3)
    assert datasheet_run_current_a(smps, f, 1.8) * 1.8 == pytest.approx(5.430e-3 * 3.3, rel=1e-3)
    # energy per inference at 3.0 V: about half the LDO figure (issue 11), here 5.973 / 13.44 = 0.444
    e_ldo = jf.estimate(KWS, "NUCLEO-L4R5ZI", supply_v=3.0).summary["energy_per_inference_j"]
    e_smps = jf.estimate(KWS, "NUCLEO-L4R5ZI-P", supply_v=3.0).summary["energy_per_inference_j"]
    assert e_smps / e_ldo == pytest.approx(5.973 / 13.44, rel=2e-3)


def test_supply_path_option_board_and_cli(capsys):
    assert load_mcu("stm32l4r5", supply_path="smps").run_current_a(120e6) == pytest.approx(45.25e-12 * 120e6, rel=1e-3)
    assert load_mcu("NUCLEO-L4R5ZI-P", supply_path="ldo").regulator == "ldo"  # the option wins over the board
    nrf = load_mcu("nrf52840", supply_path="ldo")  # PS ICPU0: 6.3 mA at 64 MHz with the LDO (3.3 with DC/DC)
    assert nrf.run_current_a(64e6) == pytest.approx(6.3e-3, rel=1e-3) and load_mcu("nrf52840").regulator == "dcdc"
    m23 = load_mcu("cortex-m23", supply_path="buck")  # SAM L10/L11: BUCK 35.3 µA/MHz, LDO 82.5 µA/MHz at 3.3 V
    assert m23.regulator == "dcdc" and m23.run_current_a(m23.max_clock_hz) == pytest.approx(35.3e-12 * m23.max_clock_hz)
    m23_ldo = load_mcu("cortex-m23")
    assert m23_ldo.run_current_a(m23_ldo.max_clock_hz) == pytest.approx(82.5e-12 * m23_ldo.max_clock_hz)
    r = jf.estimate(KWS, "stm32l4r5", supply_path="smps")
    assert r.target["supply_path"] == "smps" and any("supply path smps" in a for a in r.assumptions)
    usual = jf.estimate(KWS, "stm32l4r5")
    assert usual.target["supply_path"] == "ldo" and any("the part's usual one" in a for a in usual.assumptions)
    code, out, _ = run_cli(capsys, "estimate", KWS, "--mcu", "stm32u575", "--supply-path", "ldo", "--json")
    assert code == 0 and json.loads(out)["target"]["supply_path"] == "ldo"
    from joulescope_free.render.catalog import mcu_record

    board = mcu_record(load_mcu("NUCLEO-L4R5ZI-P"))  # the SMPS figures are derived, the LDO one stays sourced
    assert "run_current_per_hz_a" in board["derived"] and board["supply_paths"][0]["regulator"] == "ldo"
    assert "run_current_per_hz_a" not in board["supply_paths"][0].get("derived", {})
    code, _, err = run_cli(capsys, "estimate", KWS, "--mcu", "stm32l4r5", "--supply-path", "dcdc")
    assert code == 2 and "Traceback" not in err and "its paths: ldo (usual), smps" in err


# --------------------------------------------------------------------------------------------- catalog marks
def test_mcus_json_marks_every_figure_that_is_not_the_parts_own(capsys):
    code, out, _ = run_cli(capsys, "mcus", "--json")
    assert code == 0
    records = {d["id"]: d for d in json.loads(out)}
    json_key = {"run.current_per_hz_a": "run_current_per_hz_a", "run.fixed_current_a": "run_fixed_current_a",
                "run.reference_supply_v": "run_reference_v", "run.inference_factor": "inference_factor"}
    for path in sorted(MCU_DIR.glob("*.toml")):
        rec = records[path.stem]
        for where, fig in iter_figures(load_toml(path)):
            copied = "derived" in fig
            if ".range[" in where:  # a voltage range: run_ranges[i] (usual path) or supply_paths[j].ranges[i]
                head, rest = where.split(".range[")
                index, leaf = int(rest.split("]")[0]), rest.split(".")[-1]
                holder = rec if head == "run" else rec["supply_paths"][int(head.split("[")[1].split("]")[0])]
                entry = holder["run_ranges" if head == "run" else "ranges"][index]
                leaf = {"current_per_hz_a": "run_current_per_hz_a", "fixed_current_a": "run_fixed_current_a"}.get(leaf, leaf)
                marks = entry.get("derived", {})
            elif where.startswith(("sleep", "supply_path")):
                table, index, leaf = where.split(".")[0].split("[")[0], int(where.split("[")[1].split("]")[0]), \
                    where.split(".")[-1]
                entry = rec["sleep_modes" if table == "sleep" else "supply_paths"][index]
                leaf = {"current_per_hz_a": "run_current_per_hz_a", "fixed_current_a": "run_fixed_current_a",
                        "reference_supply_v": "run_reference_v"}.get(leaf, leaf)
                marks = entry.get("derived", {})
            else:
                leaf, marks = json_key.get(where, where), rec["derived"]
            split = "split into" in marks.get(leaf, "")  # a headline figure split by power_models/run_current.toml
            assert (leaf in marks) == (copied or split), (path.stem, where)
            if copied and not split:
                assert marks[leaf] == fig["derived"]
    # the six parts issue 11 names: the 3.16 µA they show is the nRF52840's, and says so
    for pid in ("apollo3", "apollo4", "m467", "psoc62", "stm32l4r5", "stm32g0b1"):
        shown = [m for m in records[pid]["sleep_modes"] if m["current_a"] == 3.16e-6]
        assert shown and all("current_a" in m["derived"] for m in shown), pid
    assert "current_a" not in records["nrf52840"]["sleep_modes"][-1].get("derived", {})  # the part's own figure


def test_parts_on_one_die_get_the_same_figures():
    u575, u585 = load_mcu("stm32u575"), load_mcu("stm32u585")
    assert u575.run_current_per_hz_a == u585.run_current_per_hz_a
    assert [(s.current_a, s.retains_ram_bytes) for s in u575.sleep_modes] == \
        [(s.current_a, s.retains_ram_bytes) for s in u585.sleep_modes]
    a = jf.estimate(KWS, "stm32u575", duty="1/min").summary["battery_life_days"]
    b = jf.estimate(KWS, "stm32u585", duty="1/min").summary["battery_life_days"]
    assert a == pytest.approx(b, rel=0.01)


def test_every_core_class_in_the_catalog_has_a_runtime():
    for mcu in list_mcus():
        assert any(_runs_on(r, mcu) for r in list_runtimes()), mcu.id


def test_run_currents_from_the_parts_own_tables_not_the_demo_times_the_workload_factor():
    # RP2040 Table 637: Popcorn demo DVDD 10.9 mA at 48 MHz, DORMANT 0.18 mA -> 0.18 + 10.72/48 x 125 = 28.10 mA
    rp = jf.estimate(KWS, "rp2040", clock_mhz=125).summary
    assert rp["inference_current_a"] == pytest.approx(0.18e-3 + 10.72e-3 / 48 * 125, rel=1e-3)
    # ESP32-S3: one core 32-bit 51.2 mA at 240 MHz, + half of the dual-core SIMD increment (91.7 - 66.2) / 2
    s3 = jf.estimate(KWS, "esp32s3").summary
    assert s3["inference_current_a"] == pytest.approx((51.2 + (91.7 - 66.2) / 2) * 1e-3, rel=2e-3)
