"""Issue 10: the sleep strategy (retain vs cold start, crossover, --sleep), the default battery, impossible set-ups
refused, the sweep's columns, the profile template. Expected numbers are worked out by hand in each test."""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

import joulescope_free as jf
from helpers import refused, run_cli
from joulescope_free.errors import UserError
from joulescope_free.hardware.catalog import load_mcu
from joulescope_free.usage.lifetime import ColdStart, duty_cycle
from joulescope_free.usage.sleep import cold_start_figures
from toy import INF, KIB  # noqa: E402  50 ms at 4 mA from 3.0 V, run current 4 mA

KWS = Path(__file__).parent / "data" / "mlperf_tiny" / "kws_ds_cnn_int8.tflite"


# ----------------------------------------------------------------------------------------------- strategy
def test_esp32s3_picks_deep_sleep_at_1_per_hour_and_the_crossover_is_hand_computed():
    s3 = load_mcu("esp32s3")
    cold = ColdStart(reinit_s=2e-3)
    # by hand, per inference at rate r (Hz), supply 3.0 V:
    # retain, Light-sleep 240 µA: wake 1 ms at the 4 mA run current (no wake energy in the file) + 50 ms inference
    #   I = 240e-6 + r * (4e-3 * 0.051 - 240e-6 * 0.051)
    # cold start, Deep-sleep 7 µA: wake 0.05096 J from the file (/3.0 V) + re-init 2 ms at 4 mA + the inference
    #   I = 7e-6 + r * (0.05096 / 3.0 + 4e-3 * 0.052 - 7e-6 * (0.264 + 0.002 + 0.05))
    b_keep = 4e-3 * 0.051 - 240e-6 * 0.051
    b_cold = 0.05096 / 3.0 + 4e-3 * 0.052 - 7e-6 * 0.316
    crossover = (240e-6 - 7e-6) / (b_cold - b_keep)
    assert 1 / crossover == pytest.approx(72.96, abs=0.01)   # cold start wins below 1 inference per ~73 s

    r = duty_cycle(INF, s3, rate_hz=1 / 3600, supply_v=3.0, retain_bytes=12 * KIB, cold_start=cold)
    s = r.summary
    assert s["sleep_strategy"] == "cold start" and s["sleep_mode"].startswith("Deep-sleep")
    assert s["average_current_a"] == pytest.approx(7e-6 + b_cold / 3600, rel=1e-9)
    assert s["retain_average_current_a"] == pytest.approx(240e-6 + b_keep / 3600, rel=1e-9)
    assert s["sleep_crossover_rate_hz"] == pytest.approx(crossover, rel=1e-9)
    phases = r.phases.set_index("name")
    assert phases.loc["wake-up", "energy_j"] == pytest.approx(0.05096)
    assert phases.loc["re-init", "energy_j"] == pytest.approx(4e-3 * 2e-3 * 3.0)
    assert any("wins below 1 inference per 73 s" in a for a in r.assumptions)

    # above the crossover, retaining wins
    fast = duty_cycle(INF, s3, rate_hz=1 / 10, supply_v=3.0, retain_bytes=12 * KIB, cold_start=cold).summary
    assert fast["sleep_strategy"] == "retain" and fast["sleep_mode"].startswith("Light-sleep")
    assert fast["average_current_a"] == pytest.approx(240e-6 + b_keep / 10, rel=1e-9)


def test_forced_sleep_mode_and_unknown_mode_lists_the_valid_ones():
    s3 = load_mcu("esp32s3")
    r = duty_cycle(INF, s3, rate_hz=1 / 3600, supply_v=3.0, retain_bytes=12 * KIB, cold_start=ColdStart(2e-3),
                   sleep_mode="light-sleep")
    assert r.summary["sleep_strategy"] == "forced" and r.summary["average_current_a"] == pytest.approx(
        240e-6 + (4e-3 * 0.051 - 240e-6 * 0.051) / 3600, rel=1e-9)
    with pytest.raises(UserError, match=r"unknown sleep mode 'hibernate'.*Deep-sleep, Light-sleep"):
        duty_cycle(INF, s3, rate_hz=1 / 3600, supply_v=3.0, sleep_mode="hibernate")


def test_cold_start_energy_in_the_chain_is_the_data_file_formula():
    figs = {k: v for k, (v, _) in cold_start_figures().items()}
    r = jf.estimate(KWS, mcu="esp32s3", duty="1/h", battery="none")
    s = r.summary
    assert s["sleep_strategy"] == "cold start"
    # re-init: fixed + per operator x 13 operators + per persistent byte x the TFLM arena tail, at 240 MHz and the
    # run current 17.30 mA + 141.25 µA/MHz x 240 MHz = 51.2 mA (LDO: independent of the supply)
    cycles = (figs["init_cycles_fixed"] + figs["init_cycles_per_operator"] * 13
              + figs["init_cycles_per_persistent_byte"] * s["runtime_overhead_bytes"])
    reinit = r.phases.set_index("name").loc["re-init"]
    assert reinit["duration_s"] == pytest.approx(cycles / 240e6, rel=1e-12)
    assert reinit["energy_j"] == pytest.approx(cycles / 240e6 * (17.3e-3 + 141.25e-12 * 240e6) * s["supply_v"],
                                               rel=1e-6)
    # what must survive: arena tail + variable tensors (none in this model) + 4096 B of application state
    assert s["retain_bytes"] == s["runtime_overhead_bytes"] + 0 + 4096
    assert s["battery_life_days"] is None  # --battery none


# ----------------------------------------------------------------------------------------------- default battery
def test_default_battery_is_stated_and_none_turns_it_off():
    r = jf.estimate(KWS, mcu="cortex-m4", duty="1/min")
    assert r.summary["battery_id"] == "2xaa-alkaline" and r.summary["battery_default"] is True
    assert r.summary["battery_life_days"] > 0 and r.summary["battery_life_months"] > 0
    assert any("default" in a and "2xaa-alkaline" in a for a in r.assumptions)
    off = jf.estimate(KWS, mcu="cortex-m4", duty="1/min", battery="none")
    assert off.summary["battery_life_days"] is None and off.battery is None
    assert jf.estimate(KWS, mcu="cortex-m4").summary.get("battery_life_days") is None  # no rate: no life
    # a profile's own battery is not the default; --battery none overrides it too
    named = jf.estimate(KWS, mcu="nrf52840", profile="vibration-anomaly").summary
    assert named["battery_id"] == "2xaa-alkaline" and named["battery_default"] is False
    assert jf.estimate(KWS, mcu="nrf52840", profile="vibration-anomaly", battery="none").battery is None


def test_design_card_command_prints_battery_life_and_hours_below_two_days(tmp_path):
    run = subprocess.run([sys.executable, "-m", "joulescope_free.cli", "estimate", str(KWS), "--mcu", "cortex-m4",
                          "--duty", "1/min"], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                         env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    assert "battery life" in run.stdout and "default battery" in run.stdout
    from joulescope_free.render.usage import life_text

    assert life_text(0.5) == "12 hours" and life_text(1.99).endswith("hours")
    assert life_text(2.0).startswith("2.0 days")


# ----------------------------------------------------------------------------------------------- impossible set-ups
@pytest.mark.parametrize("args, words", [
    (["--duty", "1/min", "--battery", "3xcr2032"], ["9 V, above the nrf52840 maximum supply of 3.6 V",
                                                      "--regulator"]),
    (["--duty", "1/min", "--battery", "aa-alkaline"], ["below the nrf52840 minimum supply of 1.71 V", "boost"]),
    (["--clock-mhz", "32"], ["runs at 64 MHz only"]),
    (["--duty", "1/h", "--sleep", "nap"], ["unknown sleep mode 'nap'", "System OFF"]),
])
def test_impossible_set_ups_exit_2_with_one_line_naming_the_fix(capsys, args, words):
    err = refused(capsys, "estimate", KWS, "--mcu", "nrf52840", *args)
    assert all(w in err for w in words), err


def test_a_regulator_makes_the_3_cell_pack_possible():
    r = jf.estimate(KWS, mcu="nrf52840", duty="1/min", battery="3xcr2032", regulator="buck")
    assert r.summary["battery_life_days"] > 0


def test_fixed_clock_at_its_own_clock_is_fine():
    assert jf.estimate(KWS, mcu="nrf52840", clock_mhz=64).summary["clock_hz"] == 64e6


def test_profile_written_for_another_part_says_which_is_used():
    r = jf.estimate(KWS, mcu="esp32s3", profile="vibration-anomaly", regulator="tps63900")  # the profile names nrf52840
    assert any("written for nrf52840; this estimate uses --mcu esp32s3" in w for w in r.warnings)
    same = jf.estimate(KWS, mcu="nrf52840", profile="vibration-anomaly")
    assert not any("written for" in w for w in same.warnings)


# ----------------------------------------------------------------------------------------------- outputs
def test_sweep_rows_carry_the_issue_columns_and_error_is_none():
    f = jf.sweep(KWS, mcu=["nrf52840", "esp32s3"], duty=["1/min", "1/h"], clock_mhz=[None, 32])
    for col in ("battery_life_limited_by", "rate_hz", "sleep_mode", "model", "model_path"):
        assert col in f.columns
    assert f["rate_hz"].dtype == float
    ok = f[f["error"].isna()]
    assert set(ok["rate_hz"].round(9)) == {round(1 / 60, 9), round(1 / 3600, 9)}
    assert (ok["model"] == "kws_ds_cnn_int8.tflite").all() and (ok["model_path"] == str(KWS.resolve())).all()
    assert all(e is None for e in ok["error"])
    bad = f[f["error"].notna()]   # 32 MHz on the fixed-clock nrf52840
    assert len(bad) == 2 and all("64 MHz only" in e for e in bad["error"])
    assert all(e is None for e in jf.sweep(KWS, mcu="nrf52840", duty="1/min")["error"])


def test_measure_summary_is_a_series_and_dir_lists_the_api(tmp_path):
    import pandas as pd

    trace = Path(__file__).parent / "data" / "traces" / "bursts.jls"
    assert isinstance(jf.measure(trace).summary, pd.Series)
    names = dir(jf)
    for name in ("analyze", "estimate", "sweep", "measure", "calibrate", "validate"):
        assert name in names


def test_profile_example_runs_as_it_is(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "profiles", "--example")
    assert code == 0
    path = tmp_path / "mine.toml"
    path.write_text(out)
    r = jf.estimate(KWS, mcu="nrf52840", profile=str(path))
    assert r.summary["rate_hz"] == pytest.approx(1 / 30)
    assert r.summary["retain_bytes"] == 8192 and r.summary["battery_id"] == "2xaa-alkaline"
    assert set(r.phases["name"]) >= {"microphone", "features", "ble-report", "inference", "sleep"}
    assert math.isfinite(r.summary["battery_life_days"])


def test_mcus_id_lists_the_sleep_mode_names_sleep_accepts(capsys):
    code, out, _ = run_cli(capsys, "mcus", "esp32s3")
    assert code == 0
    assert "Deep-sleep" in out and "264 ms" in out and "7 µA" in out and "Light-sleep" in out
    # each listed short name is accepted by --sleep
    r = jf.estimate(KWS, mcu="esp32s3", duty="1/h", battery="none", sleep="Deep-sleep")
    assert r.summary["sleep_strategy"] == "forced" and r.summary["sleep_mode"].startswith("Deep-sleep")
