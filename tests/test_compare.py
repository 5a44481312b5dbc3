"""``energy compare`` / ``jf.compare``: one row per target, longest battery life first."""
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import joulescope_free as jf
from helpers import refused
from joulescope_free.cli import app
from joulescope_free.hardware.catalog import SleepMode
from toy import KIB, toy_mcu

DATA = Path(__file__).parent / "data"
MODEL = str(DATA / "tiny" / "conv_add_pool_int8.tflite")
VWW = str(DATA / "mlperf_tiny" / "vww_mobilenet_v1_025_96_int8.tflite")


def sleeper(name, sleep_a):
    """Toy parts that differ only in their sleep current."""
    return toy_mcu(id=name, sleep_modes=(SleepMode("stop", sleep_a, 256 * KIB, 20e-6),))


def test_targets_that_differ_in_sleep_current_are_ordered_by_hand():
    parts = [sleeper("mid", 2e-6), sleeper("high", 4e-6), sleeper("low", 1e-6)]
    frame = jf.compare(MODEL, parts, duty="1/min", battery="cr2032")
    assert list(frame["mcu"]) == ["low", "mid", "high"]  # less sleep current, longer life
    # the only difference in the average current is the sleep current over the sleep time (s of 60 s)
    sleep_s = 60.0 - 20e-6 - frame.loc[0, "latency_s"]
    step = frame.set_index("mcu")["average_current_a"]
    assert step["mid"] - step["low"] == pytest.approx(1e-6 * sleep_s / 60.0, rel=1e-9)
    assert step["high"] - step["mid"] == pytest.approx(2e-6 * sleep_s / 60.0, rel=1e-9)
    assert frame["battery_life_days"].is_monotonic_decreasing


def test_without_a_battery_the_lowest_average_current_comes_first():
    frame = jf.compare(MODEL, [sleeper("high", 4e-6), sleeper("low", 1e-6)], duty="1/min", battery="none")
    assert list(frame["mcu"]) == ["low", "high"]


def test_a_row_is_the_estimate_of_that_target():
    frame = jf.compare(VWW, "nrf52840,stm32l4r5", duty="1/s", battery="2xaa-alkaline")
    assert set(frame["mcu"]) == {"nrf52840", "stm32l4r5"}
    for _, row in frame.iterrows():
        one = jf.estimate(VWW, mcu=row["mcu"], duty="1/s", battery="2xaa-alkaline").summary
        assert row["battery_life_days"] == pytest.approx(one["battery_life_days"])
        assert row["latency_s"] == pytest.approx(one["latency_s"])
        assert row["runtime"].startswith("tflm")


def test_cli_json_lists_one_object_per_target_with_summary_keys(tmp_path):
    csv = tmp_path / "cmp.csv"
    result = CliRunner().invoke(app, ["compare", VWW, "--mcu", "nrf52840,stm32l4r5", "--mcu", "apollo4",
                                      "--duty", "1/s", "--battery", "2xaa-alkaline", "--json", "--csv", str(csv)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["mcu"] for r in rows] == sorted([r["mcu"] for r in rows], key=lambda m: -next(
        x["battery_life_days"] for x in rows if x["mcu"] == m))
    assert len(rows) == 3 and all({"mcu", "runtime", "latency_s", "battery_life_days", "fits_ram"} <= set(r)
                                  for r in rows)
    assert csv.read_text().splitlines()[0].startswith("mcu,runtime,")
    table = CliRunner().invoke(app, ["compare", VWW, "--mcu", "nrf52840,stm32l4r5", "--duty", "1/s"])
    assert table.exit_code == 0 and "limited by" in table.output and "nrf52840" in table.output


def test_an_unknown_mcu_is_one_line_with_a_suggestion(capsys):
    assert "stm32l4r5" in refused(capsys, "compare", MODEL, "--mcu", "nrf52840,stm32l4r6")
