"""Duty cycle and battery life against numbers computed by hand in each test."""
import math
import types

import pytest

from joulescope_free.errors import UserError
from joulescope_free.hardware.catalog import SleepMode
from joulescope_free.usage.battery import load_battery
from joulescope_free.usage.lifetime import duty_cycle, pick_sleep_mode
from joulescope_free.usage.profiles import load_profile
from joulescope_free.usage.regulator import load_regulator
from toy import INF, KIB, toy_mcu  # noqa: E402


YEAR_S = 365.25 * 86400






def write_profile(tmp_path, text, name="p.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# ----------------------------------------------------------------------------------------------- sleep mode
def test_sleep_mode_is_the_lowest_that_keeps_the_model():
    m = toy_mcu()
    assert pick_sleep_mode(m, 30 * KIB)[0].name == "sleep-64k"
    assert pick_sleep_mode(m, 100 * KIB)[0].name == "sleep-all"
    mode, keeps = pick_sleep_mode(m, 300 * KIB)
    assert (mode.name, keeps) == ("off", False)


def test_nothing_to_keep_picks_the_lowest_mode_and_its_slower_wake_up():
    r = duty_cycle(INF, toy_mcu(), rate_hz=1.0, supply_v=3.0, ram_needed_bytes=0)
    assert r.summary["sleep_mode"] == "off"
    q = 4e-3 * (0.05 + 300e-6) + 0.4e-6 * (1 - 0.05 - 300e-6)
    assert r.summary["average_current_a"] == pytest.approx(q, rel=1e-12)


def test_no_mode_keeps_enough_ram_says_the_state_is_reloaded():
    r = duty_cycle(INF, toy_mcu(), rate_hz=1 / 60, supply_v=3.0, ram_needed_bytes=300 * KIB)
    assert r.summary["sleep_mode"] == "off"
    assert any("reloaded" in w for w in r.warnings) and any("reloaded" in a for a in r.assumptions)


# ----------------------------------------------------------------------------------------------- ideal battery
def test_ideal_battery_no_regulator_life_is_capacity_over_average_current():
    r = duty_cycle(INF, toy_mcu(), rate_hz=1 / 60, battery={"capacity_mah": 225, "nominal_v": 3.0}, supply_v=3.0,
                   ram_needed_bytes=100 * KIB)
    # charge per 60 s period, by hand: wake 20 us and inference 50 ms at 4 mA, the rest asleep at 3 uA (sleep-all)
    q = 4e-3 * 20e-6 + 4e-3 * 0.05 + 3e-6 * (60 - 0.05 - 20e-6)
    avg = q / 60
    assert r.summary["average_current_a"] == pytest.approx(avg, rel=1e-12)
    assert r.summary["average_power_w"] == pytest.approx(avg * 3.0, rel=1e-12)
    life_s = 225 * 3.6 / avg
    assert r.summary["battery_life_days"] == pytest.approx(life_s / 86400, rel=1e-12)
    assert r.summary["battery_life_months"] == pytest.approx(life_s / 86400 / 30.44, rel=1e-12)
    assert r.summary["battery_life_limited_by"] == "capacity"
    assert r.summary["rate_hz"] == pytest.approx(1 / 60) and r.summary["period_s"] == pytest.approx(60)
    ph = r.phases.set_index("name")
    assert list(ph.index) == ["wake-up", "inference", "sleep"]
    assert ph["average_current_a"].sum() == pytest.approx(r.summary["average_current_a"], rel=1e-12)
    assert ph.loc["sleep", "duration_s"] == pytest.approx(60 - 0.05 - 20e-6)
    assert ph.loc["inference", "share"] == pytest.approx(4e-3 * 0.05 / q)
    assert ph["share"].sum() == pytest.approx(1.0)
    assert any("of the budget" in d for d in r.drivers)


def test_no_battery_means_no_life():
    r = duty_cycle(INF, toy_mcu(), rate_hz=1.0, supply_v=3.0, ram_needed_bytes=0)
    assert r.summary["battery_life_days"] is None and r.battery is None
    assert r.summary["average_current_a"] > 0


def test_equal_rates_written_two_ways_give_equal_results(tmp_path):
    body = """
[[phase]]
name = "sensor"
duration_s = 0.1
current_a = 1e-3
[battery]
capacity_mah = 1000
nominal_v = 3.0
"""
    a = duty_cycle(INF, toy_mcu(), profile=load_profile(write_profile(tmp_path, 'rate = "1/min"' + body, "a.toml")),
                   supply_v=3.0, ram_needed_bytes=0)
    b = duty_cycle(INF, toy_mcu(), profile=load_profile(write_profile(tmp_path, 'rate = "every 1 min"' + body, "b.toml")),
                   supply_v=3.0, ram_needed_bytes=0)
    c = duty_cycle(INF, toy_mcu(), rate_hz=60 / 3600, profile=load_profile(str(tmp_path / "a.toml")), supply_v=3.0)
    assert a.summary["battery_life_days"] == pytest.approx(b.summary["battery_life_days"], rel=1e-12)
    assert a.summary["battery_life_days"] == pytest.approx(c.summary["battery_life_days"], rel=1e-12)


# ----------------------------------------------------------------------------------------------- profile, LDO, self-discharge
PROFILE = """
name = "hand"
rate = "every 10 s"
[[phase]]
name = "sensor"
duration_s = 0.1
current_a = 1e-3
source = "made up for the test"
[[phase]]
name = "radio"
every = "1/min"
energy_j = 3e-4
[battery]
capacity_mah = 1000
nominal_v = 3.6
self_discharge_pct_per_year = 2
[regulator]
kind = "ldo"
quiescent_a = 1e-6
dropout_v = 0.1
"""


def test_profile_with_self_discharge_and_ldo_by_hand(tmp_path):
    prof = load_profile(write_profile(tmp_path, PROFILE))
    r = duty_cycle(INF, toy_mcu(), profile=prof, supply_v=3.0, ram_needed_bytes=100 * KIB)
    # per 10 s: wake 20 us + inference 50 ms at 4 mA, sensor 0.1 s at 1 mA, the radio's 0.3 mJ/min at 3 V (1e-4 C per
    # minute, 1/6 of it per period), sleep-all 3 uA for the rest. The LDO passes the current and adds 1 uA.
    q = 4e-3 * 20e-6 + 4e-3 * 0.05 + 1e-3 * 0.1 + 1e-4 / 6 + 3e-6 * (10 - 20e-6 - 0.05 - 0.1)
    i_batt = q / 10 + 1e-6
    assert r.summary["average_current_a"] == pytest.approx(i_batt, rel=1e-12)
    i_sd = 1000 * 3.6 * 0.02 / YEAR_S
    assert r.summary["self_discharge_current_a"] == pytest.approx(i_sd, rel=1e-12)
    assert r.summary["battery_life_days"] * 86400 == pytest.approx(1000 * 3.6 / (i_batt + i_sd), rel=1e-12)
    ph = r.phases.set_index("name")
    assert ph.loc["regulator", "average_current_a"] == pytest.approx(1e-6)
    assert ph.loc["radio", "rate_hz"] == pytest.approx(1 / 60)
    assert ph["average_current_a"].sum() == pytest.approx(i_batt, rel=1e-12)


def test_buck_converts_each_phase_at_its_efficiency():
    reg = load_regulator({"kind": "buck", "efficiency": [[1e-6, 0.5], [1e-2, 0.9]], "quiescent_a": 0.5e-6})
    # log-current interpolation by hand: at 4 mA, log10 = -2.398 -> 0.5 + 0.4 * 3.602/4
    eff_run = 0.5 + 0.4 * (math.log10(4e-3) + 6) / 4
    eff_sleep = 0.5 + 0.4 * (math.log10(3e-6) + 6) / 4
    assert reg.efficiency_at(4e-3) == pytest.approx(eff_run)
    assert reg.battery_current_a(4e-3, 1.8, 3.6) == pytest.approx(4e-3 * 1.8 / (eff_run * 3.6) + 0.5e-6)
    assert reg.efficiency_at(1e-9) == pytest.approx(0.5) and reg.efficiency_at(1.0) == pytest.approx(0.9)
    r = duty_cycle(INF, toy_mcu(), rate_hz=1.0, battery={"capacity_mah": 500, "nominal_v": 3.6}, regulator=reg,
                   supply_v=3.0, ram_needed_bytes=100 * KIB)
    sleep_s = 1 - 0.05 - 20e-6
    load_run_c = 4e-3 * (0.05 + 20e-6)
    i_batt = load_run_c * 3.0 / (eff_run * 3.6) + 3e-6 * sleep_s * 3.0 / (eff_sleep * 3.6) + 0.5e-6
    assert r.summary["average_current_a"] == pytest.approx(i_batt, rel=1e-9)
    assert r.summary["battery_life_days"] * 86400 == pytest.approx(500 * 3.6 / i_batt, rel=1e-9)


# ----------------------------------------------------------------------------------------------- battery model
def test_series_cells_multiply_voltage_not_capacity():
    one, two = load_battery("aa-alkaline"), load_battery("2xaa-alkaline")
    assert (two.cells, two.nominal_v, two.cutoff_v, two.capacity_mah) == (2, 3.0, 1.6, one.capacity_mah)
    assert two.id == "2xaa-alkaline"


def test_alkaline_derating_interpolates_in_log_current():
    b = load_battery("aa-alkaline")
    # 50 mA sits half-way between 25 mA (3000 mAh) and 100 mA (2500 mAh) in log-current
    assert b.capacity_breakdown(50e-3)["derated_mah"] == pytest.approx(2750)
    assert b.capacity_breakdown(1e-6)["derated_mah"] == pytest.approx(3000)  # clamped below the first point


def test_li_socl2_has_a_peak_and_the_low_rate_loss_is_self_discharge():
    b = load_battery("er34615")
    t = math.log10(10 / 4) / math.log10(20 / 4)
    assert b.capacity_breakdown(10e-3)["derated_mah"] == pytest.approx(19000 - 5500 * t)
    assert b.capacity_breakdown(3e-3)["derated_mah"] == pytest.approx(19000)
    # Linden's 0.2 mA point (17 Ah, a ~10-year discharge) is reproduced by the peak capacity minus a 1 %/year drain
    r = duty_cycle(types.SimpleNamespace(latency_s=1e-3, energy_j=1e-3 * 3.6 * 0.2e-3, supply_v=3.6, clock_hz=1e6,
                                         run_current_a=0.2e-3),
                   toy_mcu(sleep_modes=(SleepMode("s", 0.2e-3, 256 * KIB, 0.0),), supply_max_v=3.9), rate_hz=1.0,
                   battery="er34615",
                   supply_v=3.6, ram_needed_bytes=0)
    assert r.summary["average_current_a"] == pytest.approx(0.2e-3)
    delivered_mah = r.summary["battery_life_days"] * 86400 * 0.2e-3 / 3.6
    assert delivered_mah == pytest.approx(17000, rel=0.03)


def test_coin_cell_pulses_cost_capacity_and_warn():
    r = duty_cycle(types.SimpleNamespace(latency_s=0.01, energy_j=0.01 * 20e-3 * 3.0, supply_v=3.0, clock_hz=64e6,
                                         run_current_a=20e-3),
                   toy_mcu(), rate_hz=1 / 60, battery="cr2032", supply_v=3.0, ram_needed_bytes=0)
    pulse = 0.75 - 0.07 * math.log10(20 / 10) / math.log10(30 / 10)  # between the 10 mA and 30 mA points
    assert r.battery["pulse_factor"] == pytest.approx(pulse)
    assert any("rated pulse" in w for w in r.warnings)
    assert any("peaks cost" in d for d in r.drivers)


def test_a_single_alkaline_below_a_1v7_mcu_is_refused_unless_boosted():
    with pytest.raises(UserError, match=r"aa-alkaline \(1.5 V nominal\) is below the toy minimum supply of 1.7 V "
                                        r"without a regulator: add a boost regulator"):
        duty_cycle(INF, toy_mcu(), rate_hz=1 / 60, battery="aa-alkaline", supply_v=1.5, ram_needed_bytes=0)
    with pytest.raises(UserError, match="through an ldo"):
        duty_cycle(INF, toy_mcu(), rate_hz=1 / 60, battery="aa-alkaline", regulator="ldo", supply_v=1.8)
    r = duty_cycle(INF, toy_mcu(), rate_hz=1 / 60, battery="aa-alkaline", regulator="tps63900", supply_v=1.8)
    assert r.summary["battery_life_days"] > 0


def test_effective_cutoff_is_the_mcu_minimum_when_higher():
    b = load_battery("2xaa-alkaline")
    br = b.capacity_breakdown(1e-4, None, 2.2)  # 1.1 V per cell: 78 % delivered on the curve, 100 % at 0.8 V
    assert br["effective_cutoff_v"] == pytest.approx(2.2) and br["voltage_fraction"] == pytest.approx(0.78)
    assert b.capacity_breakdown(1e-4, None, 1.0)["voltage_fraction"] == 1.0  # below the cells' own 1.6 V


def test_shelf_life_caps_the_life():
    r = duty_cycle(INF, toy_mcu(), rate_hz=1 / 86400, battery="cr2450", supply_v=3.0, ram_needed_bytes=0)
    assert r.summary["battery_life_limited_by"] == "shelf life"
    assert r.summary["battery_life_days"] == pytest.approx(10 * 365.25)


def test_self_discharge_limits_when_it_exceeds_the_load():
    bat = {"capacity_mah": 1000, "nominal_v": 3.0, "self_discharge_pct_per_year": 50}
    r = duty_cycle(INF, toy_mcu(), rate_hz=1 / 3600, battery=bat, supply_v=3.0, ram_needed_bytes=0)
    i_sd = 1000 * 3.6 * 0.5 / YEAR_S
    assert r.summary["battery_life_limited_by"] == "self-discharge"
    assert r.summary["battery_life_days"] * 86400 == pytest.approx(3600 / (r.summary["average_current_a"] + i_sd))


def test_profile_sleep_current_overrides_the_mcu(tmp_path):
    prof = load_profile(write_profile(tmp_path, 'rate = "1/s"\n[sleep]\ncurrent_a = 10e-6\n'))
    r = duty_cycle(INF, toy_mcu(), profile=prof, supply_v=3.0, ram_needed_bytes=0)
    assert r.phases.set_index("name").loc["sleep", "current_a"] == 10e-6


def test_always_on_phase_adds_its_current_without_taking_time(tmp_path):
    prof = load_profile(write_profile(tmp_path, 'rate = "1/s"\n[[phase]]\nname = "mic"\nevery = "continuous"\n'
                                                'current_a = 0.5e-3\n'))
    r = duty_cycle(INF, toy_mcu(), profile=prof, supply_v=3.0, ram_needed_bytes=30 * KIB)  # sleep-64k
    q = 4e-3 * (0.05 + 20e-6) + 1.5e-6 * (1 - 0.05 - 20e-6)
    assert r.summary["average_current_a"] == pytest.approx(q + 0.5e-3)


# ----------------------------------------------------------------------------------------------- rates
def test_continuous_runs_back_to_back_without_sleep():
    r = duty_cycle(INF, toy_mcu(), rate_hz=math.inf, supply_v=3.0, ram_needed_bytes=0)
    assert r.summary["rate_hz"] == pytest.approx(20.0)
    assert r.summary["average_current_a"] == pytest.approx(4e-3)
    assert "sleep" not in set(r.phases["name"])


def test_a_rate_too_fast_names_the_fastest_that_fits():
    with pytest.raises(UserError, match=r"19\.99/s") as err:  # 1 / (50 ms + 20 us wake-up)
        duty_cycle(INF, toy_mcu(), rate_hz=30, supply_v=3.0, ram_needed_bytes=30 * KIB)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("rate", [0.0, -1.0])
def test_zero_or_negative_rate_is_a_user_error(rate):
    with pytest.raises(UserError):
        duty_cycle(INF, toy_mcu(), rate_hz=rate, supply_v=3.0)


# ----------------------------------------------------------------------------------------------- bad inputs
def test_unknown_battery_suggests_the_closest():
    with pytest.raises(UserError, match="cr2032"):
        load_battery("cr2023")
    with pytest.raises(UserError, match="aa-alkaline"):
        load_battery("2xaa-alkalin")
    with pytest.raises(UserError, match="1 to 12"):
        load_battery("13xcr2032")


def test_unknown_profile_and_regulator_suggest(tmp_path):
    with pytest.raises(UserError, match="kws-always-on"):
        load_profile("kws-always")
    with pytest.raises(UserError, match="tps62840"):
        load_regulator("tps6284")


@pytest.mark.parametrize("text, needle", [
    ('rat = "1/min"\n', "'rat'"),
    ('rate = "1/min"\n[[phase]]\nname = "x"\nduration_s = 1\ncurrent_a = -1e-3\n', "current_a"),
    ('rate = "1/min"\n[[phase]]\nname = "x"\nduraton_s = 1\ncurrent_a = 1e-3\n', "'duraton_s'"),
    ('rate = "1/min"\n[[phase]]\nname = "x"\ncurrent_a = 1e-3\n', "duration_s"),
    ('rate = "1/min"\n[[phase]]\nname = "x"\nduration_s = 1\ncurrent_a = 1e-3\nenergy_j = 1\n', "not both"),
    ('rate = "0/min"\n', "positive"),
    ('rate = "1/min"\n[sleep]\ncurrent_a = -1\n', "current_a"),
    ('rate = "1/min"\n[battery]\ncapacity_mah = 100\nnominal_v = 3\nvolts = 3\n', "'volts'"),
    ('rate = "1/min"\n[battery]\nid = "cr2033"\n', "cr2032"),
    ('rate = "1/min"\n[[phase]]\nname = "x"\nevery = "1/fortnight"\nenergy_j = 1e-3\n', "fortnight"),
])
def test_bad_profiles_are_one_line_errors_naming_the_problem(tmp_path, text, needle):
    with pytest.raises(UserError) as err:
        load_profile(write_profile(tmp_path, text))
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_profile_battery_and_command_line_override(tmp_path):
    prof = load_profile(write_profile(tmp_path, PROFILE))
    r = duty_cycle(INF, toy_mcu(), profile=prof, rate_hz=1 / 60, battery="cr2032", regulator="none", supply_v=3.0,
                   ram_needed_bytes=0)
    assert r.summary["battery_id"] == "cr2032" and r.summary["rate_hz"] == pytest.approx(1 / 60)
    assert r.summary["regulator_id"] == "none"
