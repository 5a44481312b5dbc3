"""``--clock-mhz best``: the clock that minimises the average current, checked against a hand derivation on a toy part.

Toy part: run current I(f) = I0 + k f, one sleep mode (current Is, wake-up t_w at the run current), no flash wait
states, no battery, rate r. With C cycles per inference and the inference current w I(f) (w: workload factor x
runtime activity), the average current is

    avg(f) = r [t_w (I0 + k f) + (C / f) w (I0 + k f)] + Is (1 - r t_w - r C / f)

and d avg / d f = 0 gives f* = sqrt(C (w I0 - Is) / (t_w k)): racing to sleep against the clocked wake-up.
"""
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import joulescope_free as jf
from joulescope_free.cli import app
from joulescope_free.hardware.catalog import RunRange, SleepMode
from helpers import refused
from toy import KIB, toy_mcu

MODEL = str(Path(__file__).parent / "data" / "tiny" / "conv_add_pool_int8.tflite")
I0, K, IS, T_WAKE = 1e-4, 50e-12, 2e-6, 1e-3


def part(**kw):
    spec = dict(run_fixed_current_a=I0, run_current_per_hz_a=K, sleep_modes=(SleepMode("stop", IS, 256 * KIB, T_WAKE),))
    return toy_mcu(**{**spec, **kw})


def test_the_best_clock_of_a_toy_part_is_the_hand_derived_optimum():
    p = part()
    lo, hi = (jf.estimate(MODEL, mcu=p, clock_mhz=f, duty="1/s").summary for f in (8, 32))
    cycles = lo["cycles"]
    assert hi["cycles"] == pytest.approx(cycles)  # no wait states: C does not depend on the clock
    w = lo["inference_current_a"] / (I0 + K * 8e6)
    f_star = math.sqrt(cycles * (w * I0 - IS) / (T_WAKE * K))
    assert 2e6 < f_star < 64e6  # an interior optimum of the searched range (max/32 .. max)

    r = jf.estimate(MODEL, mcu=p, clock_mhz="best", duty="1/s")
    assert r.clock_search.clock_hz == pytest.approx(f_star, rel=2e-3)
    assert r.target["clock_hz"] == pytest.approx(f_star, rel=2e-3)
    assert r.clock_search.objective == "average_current_a"
    # the estimate at the chosen clock is the hand formula's minimum
    avg = 1.0 * (T_WAKE * (I0 + K * f_star) + cycles / f_star * w * (I0 + K * f_star)) \
        + IS * (1 - T_WAKE - cycles / f_star)
    assert r.summary["average_current_a"] == pytest.approx(avg, rel=1e-6)
    curve = r.clock_search.curve
    assert curve["feasible"].all() and curve["objective"].min() >= avg * (1 - 1e-9)
    assert any("14.9" in n or f"{f_star / 1e6:.4g}" in n for n in r.assumptions)


def test_a_slower_rate_moves_the_optimum_down_only_through_the_sleep_term():
    # the rate cancels out of f*: at 1/min the optimum is the same clock
    a = jf.estimate(MODEL, mcu=part(), clock_mhz="best", duty="1/s").clock_search.clock_hz
    b = jf.estimate(MODEL, mcu=part(), clock_mhz="best", duty="1/min").clock_search.clock_hz
    assert b == pytest.approx(a, rel=2e-3)


def test_a_fixed_clock_part_says_so():
    r = jf.estimate(MODEL, mcu=part(fixed_clock=True), clock_mhz="best", duty="1/s")
    assert r.clock_search.fixed and r.target["clock_hz"] == 64e6
    assert "fixed clock" in r.clock_search.notes[0]
    result = CliRunner().invoke(app, ["estimate", MODEL, "--mcu", "nrf52840", "--clock-mhz", "best",
                                      "--duty", "1/min"])
    assert result.exit_code == 0, result.output
    assert "fixed clock" in result.output and "64 MHz" in result.output


I0_LOW, K_LOW = 10e-6, 40e-12   # a lower voltage range up to 16 MHz: less fixed and per-MHz current


def test_the_best_clock_across_two_voltage_ranges_is_the_hand_derived_optimum():
    # below 16 MHz the toy part runs in its low range (I0_LOW + K_LOW f), above in the high one (I0 + K f): each
    # range has its own f* = sqrt(C (w I0_r - Is) / (t_w k_r)), clipped to the range; the lower average wins
    ranges = (RunRange("low", 16e6, K_LOW, I0_LOW), RunRange("high", 64e6, K, I0))
    p = part(run_ranges=ranges)
    ref = jf.estimate(MODEL, mcu=p, clock_mhz=32, duty="1/s").summary
    cycles, w = ref["cycles"], ref["inference_current_a"] / (I0 + K * 32e6)

    def avg(f, i0, k):
        return T_WAKE * (i0 + k * f) + cycles / f * w * (i0 + k * f) + IS * (1 - T_WAKE - cycles / f)

    candidates = []
    for (lo, hi), (i0, k) in zip(((2e6, 16e6), (16e6, 64e6)), ((I0_LOW, K_LOW), (I0, K))):
        f = min(max(math.sqrt(cycles * (w * i0 - IS) / (T_WAKE * k)), lo), hi)
        candidates.append((avg(f, i0, k), f))
    best_avg, f_star = min(candidates)
    assert 2e6 < f_star < 16e6  # the optimum lies inside the low range

    r = jf.estimate(MODEL, mcu=p, clock_mhz="best", duty="1/s")
    assert r.clock_search.low_clock_hz == pytest.approx(2e6)   # the whole range: max / 32
    assert r.clock_search.clock_hz == pytest.approx(f_star, rel=2e-3)
    assert r.summary["average_current_a"] == pytest.approx(best_avg, rel=1e-6)
    assert any("runs in low" in n for n in r.clock_search.notes)
    # never beaten by a fixed-clock estimate of the same tool anywhere in the range
    for mhz in (2, 3, 4, 6, 8, 10, 12, 15, 16, 17, 20, 24, 32, 48, 64):
        fixed = jf.estimate(MODEL, mcu=p, clock_mhz=mhz, duty="1/s").summary["average_current_a"]
        assert r.summary["average_current_a"] <= fixed * (1 + 1e-9), mhz


def test_stm32l4r5_best_clock_is_never_beaten_by_a_fixed_clock():
    kws = str(Path(__file__).parent / "data" / "mlperf_tiny" / "kws_ds_cnn_int8.tflite")
    best = jf.estimate(kws, "stm32l4r5", clock_mhz="best", duty="1/min")
    assert best.clock_search.low_clock_hz == pytest.approx(120e6 / 32)
    for mhz in (4, 8, 12, 16, 20, 26, 30, 40, 64, 120):
        fixed = jf.estimate(kws, "stm32l4r5", clock_mhz=mhz, duty="1/min").summary["average_current_a"]
        assert best.summary["average_current_a"] <= fixed * (1 + 1e-9), mhz


def test_a_bad_clock_word_is_one_line_and_exit_2(capsys):
    refused(capsys, "estimate", MODEL, "--mcu", "nrf52840", "--clock-mhz", "fastest")


def test_the_json_carries_the_curve():
    import json

    result = CliRunner().invoke(app, ["estimate", MODEL, "--mcu", "stm32l4r5", "--clock-mhz", "best", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    search = data["clock_search"]
    assert search["objective"] == "energy_per_inference_j"  # no duty cycle: energy per inference
    assert data["target"]["clock_hz"] == pytest.approx(search["clock_hz"])
    best = min(r["objective"] for r in search["curve"] if r["feasible"])
    assert data["summary"]["energy_per_inference_j"] <= best * (1 + 1e-9)


def test_the_workbook_gets_the_clock_curve_and_its_chart(tmp_path):
    import zipfile

    openpyxl = pytest.importorskip("openpyxl")
    r = jf.estimate(MODEL, mcu=part(), clock_mhz="best", duty="1/s")
    path = r.to_excel(tmp_path / "best.xlsx")
    ws = openpyxl.load_workbook(path)["Clock"]
    clocks = [c.value for c in ws["A"][1:] if isinstance(c.value, (int, float))]
    assert len(clocks) == len(r.clock_search.curve) and min(clocks) == pytest.approx(2e6)
    assert any(r.clock_search.clock_hz == pytest.approx(c) for c in clocks)
    charts = [n for n in zipfile.ZipFile(path).namelist() if n.startswith("xl/charts/chart")]
    assert any("Clock!$D$2" in zipfile.ZipFile(path).read(n).decode() for n in charts)

