"""One implementation of the duty and battery laws serves one rate (``duty_cycle``, an estimate) and a million
(``duty_rates``, a sweep): checked against numpy's own sum, against hand-derived figures for a million rates, and
rate by rate against ``duty_cycle`` on set-ups with a profile, a regulator and derated batteries."""
import math
import types

import numpy as np
import pytest

from joulescope_free.errors import UserError
from joulescope_free.usage.battery import load_battery
from joulescope_free.usage.lifetime import _row_sum, duty_cycle, duty_rates, duty_setup
from joulescope_free.usage.profiles import load_profile
from joulescope_free.usage.regulator import load_regulator
from toy import INF, KIB, toy_mcu  # noqa: E402

#: ten rows per period: wake-up, inference, five profile phases (one always on, one at its own rate), sleep, and
#: the regulator's quiescent row
PROFILE = """
name = "many rows"
rate = "every 10 s"
[[phase]]
name = "sensor"
duration_s = 0.1
current_a = 1e-3
source = "made up for the test"
[[phase]]
name = "filter"
duration_s = 0.02
current_a = 2e-3
source = "made up for the test"
[[phase]]
name = "flash write"
duration_s = 0.005
energy_j = 2e-5
source = "made up for the test"
[[phase]]
name = "radio"
every = "1/min"
energy_j = 3e-4
source = "made up for the test"
[[phase]]
name = "rtc"
every = "continuous"
current_a = 0.5e-6
source = "made up for the test"
"""


@pytest.mark.parametrize("n", [1, 2, 5, 7, 8, 9, 15, 16, 17, 31, 64, 127, 128, 129, 200, 300])
def test_row_sum_adds_as_numpy_does_for_any_number_of_rows(n):
    rng = np.random.default_rng(n)
    values = rng.standard_normal((n, 6)) * 10.0 ** rng.integers(-9, 9, (n, 6))
    values[rng.random((n, 6)) < 0.1] = np.nan  # NaN counts as 0, as pandas sums
    clean = np.where(np.isnan(values), 0.0, values)
    for col in range(6):  # one rate: floats; numpy's own 1-D reduction is the reference
        assert _row_sum(values[:, col].tolist()) == np.add.reduce(clean[:, col])
    by_rate = _row_sum(list(values))  # many rates: one array per row, the same order for every rate
    assert by_rate.tolist() == [np.add.reduce(clean[:, col]) for col in range(6)]


def test_row_sum_is_not_a_plain_left_to_right_sum():
    # control: the order matters on these magnitudes, so the test above can tell the orders apart
    values = [1.0, 1e16] + [1.0] * 14
    left_to_right = 0.0
    for v in values:
        left_to_right += v
    assert _row_sum(values) == np.add.reduce(np.array(values)) != left_to_right


def test_a_million_rates_match_the_duty_formula_worked_by_hand():
    # toy part, one inference of 50 ms at 4 mA and 3 V, nothing to keep: it sleeps in 'off' (0.4 uA, wake-up 300 us
    # at the run current); an ideal inline 1000 mAh battery at 3 V without a regulator: life = 3600 C / I
    mcu = toy_mcu()
    d = duty_setup(INF, mcu, load_battery({"capacity_mah": 1000, "nominal_v": 3.0}), load_regulator(None), 3.0)
    rates = np.geomspace(1e-6, 15.0, 1_000_000)
    cols = duty_rates(d, rates)
    awake_s = 0.05 + 300e-6
    by_hand = 4e-3 * awake_s * rates + 0.4e-6 * (1 - awake_s * rates)
    assert cols["fits"].all() and set(cols["sleep_mode"]) == {"off"}
    np.testing.assert_allclose(cols["average_current_a"], by_hand, rtol=1e-12)
    np.testing.assert_allclose(cols["battery_life_days"] * 86400, 3600 / by_hand, rtol=1e-12)
    too_fast = duty_rates(d, np.array([1 / awake_s * 1.01, 1 / awake_s * 0.99]))
    assert too_fast["fits"].tolist() == [False, True]


@pytest.mark.parametrize("battery, regulator", [("cr2032", None), ("2xaa-alkaline", "buck"), ("er34615", "ldo"),
                                                (None, "buck")])
def test_duty_rates_equal_duty_cycle_rate_by_rate(battery, regulator, tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(PROFILE)
    profile = load_profile(str(path))
    mcu = toy_mcu(supply_max_v=3.9)
    supply_v = 3.6 if battery == "er34615" else 3.0
    bat = load_battery(battery) if battery else None
    reg = load_regulator(regulator)
    rates = np.array([1 / 86400, 1 / 3600, 1 / 60, 0.1, 1.0, 3.0, 5.5, 7.0])  # 7/s: faster than it keeps up
    band = ((0.04, 0.04 * 4e-3 * 3.0 * 0.9), (0.07, 0.07 * 4e-3 * 3.0 * 1.2))  # (latency_s, energy_j) low, high
    for retain in (0, 100 * KIB, 300 * KIB):  # cold start, retain and cold start compared, nothing keeps it
        d = duty_setup(INF, mcu, bat, reg, supply_v, profile=profile, retain_bytes=retain)
        assert len(d.options[0].rows) + 1 >= 8  # with the sleep row: more rows than the old numpy twin took (7)
        cols = duty_rates(d, rates, band)
        assert not cols["fits"][-1] and cols["fits"][:-1].all()
        for i, rate in enumerate(rates):
            if not cols["fits"][i]:
                with pytest.raises(UserError, match="faster than the inference"):
                    duty_cycle(INF, mcu, rate_hz=rate, profile=profile, battery=battery or "none",
                               regulator=regulator, supply_v=supply_v, retain_bytes=retain)
                continue
            r = duty_cycle(INF, mcu, rate_hz=rate, profile=profile, battery=battery or "none", regulator=regulator,
                           supply_v=supply_v, retain_bytes=retain)
            s = r.summary
            assert cols["average_current_a"][i] == s["average_current_a"]  # the same figure, not a close one
            assert cols["sleep_mode"][i] == s["sleep_mode"]
            if bat is None:
                assert math.isnan(cols["battery_life_days"][i]) and s["battery_life_days"] is None
            else:
                assert cols["battery_life_days"][i] == s["battery_life_days"]
                assert cols["battery_life_limited_by"][i] == s["battery_life_limited_by"]
            ends = [r.rescale(lat, en) for lat, en in band]
            for key, nominal, low, high in (("average_current_a", s["average_current_a"], "average_current_low_a",
                                             "average_current_high_a"),
                                            ("battery_life_days", s["battery_life_days"], "battery_life_low_days",
                                             "battery_life_high_days")):
                values = [nominal] + [e[key] for e in ends]
                if any(v is None for v in values):
                    assert math.isnan(cols[low][i]) and math.isnan(cols[high][i])
                else:
                    assert (cols[low][i], cols[high][i]) == (min(values), max(values))


def test_capacity_breakdown_takes_an_array_of_loads():
    # the figures of test_usage_lifetime's derating tests, now for several loads at once
    aa = load_battery("aa-alkaline")
    assert aa.capacity_breakdown(np.array([50e-3, 1e-6]))["derated_mah"] == pytest.approx([2750, 3000])
    li = load_battery("er34615")
    t = math.log10(10 / 4) / math.log10(20 / 4)
    loads = np.array([10e-3, 3e-3, 0.2e-3])
    assert li.capacity_breakdown(loads)["derated_mah"] == pytest.approx([19000 - 5500 * t, 19000, 19000])
    for load, mah in zip(loads, li.capacity_breakdown(loads)["usable_mah"]):
        assert li.capacity_breakdown(float(load))["usable_mah"] == mah


def test_the_inference_row_is_refused_as_the_estimate_refuses_it():
    bad = types.SimpleNamespace(latency_s=0.0, energy_j=1e-3, supply_v=3.0, clock_hz=64e6)
    with pytest.raises(UserError, match="latency must be > 0"):
        duty_setup(bad, toy_mcu(), None, load_regulator(None), 3.0)
