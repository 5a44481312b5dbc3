"""Review fixes in the duty/battery model, each against numbers worked out by hand here."""
import math

import pytest

from joulescope_free import units
from joulescope_free.errors import UserError
from joulescope_free.hardware.catalog import SleepMode, list_mcus, load_mcu
from joulescope_free.usage.battery import load_battery
from joulescope_free.usage.lifetime import duty_cycle, pick_sleep_mode
from joulescope_free.usage.profiles import load_profile
from toy import INF, KIB, toy_mcu  # noqa: E402






# ----------------------------------------------------------------------------------------------- 4: full-charge voltage
def test_max_v_is_the_full_charge_voltage_not_the_nominal():
    assert load_battery("li-ion-18650").max_v == pytest.approx(4.2)      # nominal 3.6 V, charged 4.2 V
    assert load_battery("li-ion-18650").nominal_v == pytest.approx(3.6)
    assert load_battery("2xaa-alkaline").max_v == pytest.approx(2 * 1.6)  # fresh alkaline 1.6 V a cell
    assert load_battery({"capacity_mah": 100, "nominal_v": 3.0}).max_v == pytest.approx(3.0)
    assert load_battery({"capacity_mah": 100, "nominal_v": 7.4, "max_v": 8.4, "cells": 2}).max_v == pytest.approx(8.4)


def test_max_v_figure_in_a_battery_file_without_a_curve(tmp_path):
    path = tmp_path / "cell.toml"
    path.write_text('id = "cell"\nnominal_v = { value = 3.0, source = "test" }\n'
                    'cutoff_v = { value = 2.0, source = "test" }\ncapacity_mah = { value = 100, source = "test" }\n'
                    'max_v = { value = 3.3, derived = "open-circuit voltage of a fresh cell, for this test" }\n')
    assert load_battery(str(path)).max_v == pytest.approx(3.3)


def test_a_charged_li_ion_straight_on_the_nrf52840_is_refused_with_the_fix():
    nrf = load_mcu("nrf52840")
    assert nrf.supply_max_v == pytest.approx(3.6)
    with pytest.raises(UserError, match=r"a charged li-ion-18650 is 4.2 V, above the nrf52840 maximum supply of "
                                        r"3.6 V: add a regulator"):
        duty_cycle(INF, nrf, rate_hz=1 / 60, battery="li-ion-18650", supply_v=3.6, ram_needed_bytes=0)
    # with a regulator the MCU never sees the pack voltage
    r = duty_cycle(INF, nrf, rate_hz=1 / 60, battery="li-ion-18650", regulator="ldo", supply_v=3.0,
                   ram_needed_bytes=0)
    assert r.summary["battery_life_days"] > 0


def test_an_inline_pack_above_the_mcu_maximum_is_refused_and_one_below_is_not():
    over = {"capacity_mah": 1000, "nominal_v": 3.0, "max_v": 3.9}   # 3.9 V > the toy's 3.6 V
    with pytest.raises(UserError, match="3.9 V, above the toy maximum supply of 3.6 V"):
        duty_cycle(INF, toy_mcu(), rate_hz=1 / 60, battery=over, supply_v=3.0, ram_needed_bytes=0)
    r = duty_cycle(INF, toy_mcu(), rate_hz=1 / 60, battery={"capacity_mah": 1000, "nominal_v": 3.0}, supply_v=3.0,
                   ram_needed_bytes=0)
    assert r.summary["battery_life_days"] > 0


# ----------------------------------------------------------------------------------------------- 5: inline profiles
MIC = {"rate": "1/s", "phase": [{"name": "mic", "every": "continuous", "current_a": 0.5e-3}]}


def test_load_profile_takes_an_inline_dict_and_duty_cycle_uses_it():
    spec = {"rate": "1/s", "phase": [dict(MIC["phase"][0])]}
    prof = load_profile(spec)
    assert prof.rate_hz == 1.0 and [p.name for p in prof.phases] == ["mic"]
    assert spec == MIC  # the caller's dict is not changed
    r = duty_cycle(INF, toy_mcu(), profile=spec, supply_v=3.0, ram_needed_bytes=30 * KIB)  # sleep-64k
    q = 4e-3 * (0.05 + 20e-6) + 1.5e-6 * (1 - 0.05 - 20e-6)
    assert r.summary["average_current_a"] == pytest.approx(q + 0.5e-3, rel=1e-12)


@pytest.mark.parametrize("spec, needle", [
    ({"rat": "1/s"}, "unknown key 'rat'"),
    ({"rate": "1/s", "phase": [{"name": "x", "duration_s": 0.1}]}, "duration_s and current_a, or energy_j"),
    ({"rate": "1/s", "sleep": {"current_a": -1}}, "current_a"),
])
def test_inline_profiles_are_checked_like_files(spec, needle):
    with pytest.raises(UserError, match=needle) as err:
        load_profile(spec)
    assert "\n" not in str(err.value) and "unknown profile" not in str(err.value)


# ----------------------------------------------------------------------------------------------- 8: wake-up energy
def _one_mode_mcu(kind):
    mode = SleepMode("ret", 1e-6, 256 * KIB, 100e-6, {"wakeup_energy_j": kind}, 7e-6)
    return toy_mcu(sleep_modes=(mode,))


@pytest.mark.parametrize("kind", ["source", "measured", "derived"])  # derived in the file (e.g. from a sourced charge)
def test_a_sourced_wake_up_energy_is_used(kind):
    r = duty_cycle(INF, _one_mode_mcu(kind), rate_hz=1.0, supply_v=3.0, ram_needed_bytes=0)
    wake = r.phases.set_index("name").loc["wake-up"]
    assert wake["energy_j"] == pytest.approx(7e-6)
    # per second: (0.6 mJ + 7 uJ) / 3 V from the supply, plus 1 uA while asleep for the rest of the second
    q = (0.6e-3 + 7e-6) / 3.0 + 1e-6 * (1 - 0.05 - 100e-6)
    assert r.summary["average_current_a"] == pytest.approx(q, rel=1e-12)


def test_a_computed_wake_up_energy_uses_the_run_current_at_the_chosen_clock_and_supply():
    r = duty_cycle(INF, _one_mode_mcu("computed"), rate_hz=1.0, supply_v=3.0, ram_needed_bytes=0)
    assert r.phases.set_index("name").loc["wake-up", "energy_j"] == pytest.approx(4e-3 * 100e-6 * 3.0)
    q = 4e-3 * (0.05 + 100e-6) + 1e-6 * (1 - 0.05 - 100e-6)
    assert r.summary["average_current_a"] == pytest.approx(q, rel=1e-12)


def test_the_catalog_wake_up_assumption_says_what_the_duty_model_uses():
    lines = [a for a in load_mcu("nrf52840").assumptions if "wake-up energy" in a]
    assert lines and "chosen clock and supply" in lines[0] and "default clock" not in lines[0]


# ----------------------------------------------------------------------------------------------- 14: kws streaming
def test_kws_profile_says_the_streaming_current_is_not_in_the_life():
    r = duty_cycle(INF, load_mcu("nrf52840"), profile="kws-always-on", supply_v=3.0, ram_needed_bytes=30 * KIB)
    assert r.summary["battery_life_days"] is not None
    hits = [a for a in r.assumptions if "NOT MODELLED" in a]
    assert len(hits) == 1 and "I2S" in hits[0] and "optimistic" in hits[0]


def test_derived_profile_figures_surface_as_assumptions():
    spec = {"rate": "1/s", "derived": "stride chosen by hand",
            "phase": [{"name": "imu", "duration_s": 0.01,
                       "current_a": {"value": 1e-3, "derived": "datasheet typical, rounded"}}]}
    prof = load_profile(spec)
    assert "profile inline: stride chosen by hand" in prof.assumptions
    assert any("phase[0].current_a = 0.001: datasheet typical, rounded" in a for a in prof.assumptions)


# ----------------------------------------------------------------------------------------------- 19: one sleep rule
def test_pick_sleep_mode_follows_the_catalog_rule_for_every_part():
    for m in list_mcus():
        for need in (0, 1, 16 * KIB, 64 * KIB, 200 * KIB, 1 << 30):
            keeping = [s for s in m.sleep_modes if s.retains_ram_bytes >= need]
            expected = min(keeping or m.sleep_modes, key=lambda s: s.current_a)
            mode, keeps = pick_sleep_mode(m, need)
            assert (mode, keeps) == (expected, bool(keeping)), (m.id, need)
            if keeping:
                assert mode is m.retaining_sleep(need)


def test_pick_sleep_mode_without_modes():
    assert pick_sleep_mode(toy_mcu(sleep_modes=()), 0) == (None, False)


# ----------------------------------------------------------------------------------------------- 20, 23
def test_one_year_constant():
    assert units.SECONDS_PER_YEAR == 365.25 * 24 * 3600 == 31_557_600


def test_lifetime_reports_the_uncapped_life():
    bat = {"capacity_mah": 1000, "nominal_v": 3.0, "shelf_life_years": 1}
    r = duty_cycle(INF, toy_mcu(), rate_hz=1 / 3600, battery=bat, supply_v=3.0, ram_needed_bytes=0)  # sleeps "off"
    q = (4e-3 * (0.05 + 300e-6) + 0.4e-6 * (3600 - 0.05 - 300e-6)) / 3600
    assert r.summary["battery_life_limited_by"] == "shelf life"
    assert r.summary["battery_life_days"] == pytest.approx(365.25)
    assert r.battery["uncapped_life_s"] == pytest.approx(1000 * 3.6 / q, rel=1e-12)
    assert r.battery["uncapped_life_s"] > 365.25 * 86400


def test_uncapped_life_of_a_battery_that_cannot_power_the_load_is_zero():
    # 2 x AA (3.0 V) behind an LDO that must hold 3.3 V: no capacity above the effective cutoff
    r = duty_cycle(INF, toy_mcu(), rate_hz=1 / 60, battery="2xaa-alkaline", regulator="ldo", supply_v=3.3)
    assert r.summary["battery_life_limited_by"] == "cutoff"
    assert r.battery["uncapped_life_s"] == 0.0 and not math.isnan(r.battery["uncapped_life_s"])
