"""Issue 19, defects 5 and 6: numbers people read carry their unit (compound units for per-hertz figures) and are
never in scientific notation; bands say their unit; a short battery life is not '0.00 years'."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from joulescope_free.render.usage import life_text
from joulescope_free.units import days_band_text, days_text, plain_number, si_band, si_format

DATA = Path(__file__).parent / "data" / "mlperf_tiny"
SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")


def cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "joulescope_free.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env={**__import__("os").environ, "COLUMNS": "200"})


@pytest.mark.parametrize("value, unit, text", [
    (0.9996, "s", "1.00 s"),          # rounds across a prefix: not '1e+03 ms'
    (0.0009996, "s", "1.00 ms"),
    (1029.4e-3, "s", "1.03 s"),
    (0.051, "s", "51 ms"),            # as before: trailing zeros dropped
    (1.0, "s", "1 s"),
    (999.4, "s", "999 s"),
    (3.12e-3, "A", "3.12 mA"),
    (2.5e-13, "A", "0.25 pA"),
    (98.4e-12, "A/Hz", "98.4 µA/MHz"),  # a per-hertz figure: per MHz, never 'pA'
    (1.2e-9, "J/MAC", "1.2 nJ/MAC"),
    (4.0e-9, "s/B", "4 ns/B"),
    (12345.0, "J", "12.3 kJ"),
    (float("nan"), "A", "-"),
    (None, "A", "-"),
])
def test_si_format(value, unit, text):
    assert si_format(value, unit) == text


def test_si_band_keeps_the_value_prefix_and_says_the_unit():
    assert si_band(0.9996, 0.698, 1.91, "s") == "1.00 s (0.698 to 1.91 s)"
    assert si_band(0.051, 0.038, 0.07, "s") == "51 ms (38 to 70 ms)"
    assert si_band(36.7e-6, 22.3e-6, 62.1e-6, "A") == "36.7 µA (22.3 to 62.1 µA)"
    assert si_band(1.0, None, 2.0, "s") == "1 s"


def test_lives_in_the_unit_that_reads():
    assert days_text(1.6) == "38.4 hours"
    assert life_text(1.6) == "38.4 hours"
    assert "years" not in life_text(24.0) and "months" not in life_text(24.0)
    assert life_text(3652.5) == "3,652.5 days = 120.0 months = 10.00 years"
    assert days_band_text(540.0, 249.5, 832.3) == "540 days (249.5 to 832.3 days)"
    assert days_band_text(1.5, 1.0, 1.9) == "36 hours (24 to 45.6 hours)"
    assert plain_number(2.46e12) == "2,460,000,000,000"


def test_no_scientific_notation_in_what_estimate_prints_for_a_slow_part():
    """The rp2040 at 1/s with clock best: the latency reads 1.00 s (it printed '1e+03 ms (698-1.91e+03)')."""
    out = cli("estimate", DATA / "vww_mobilenet_v1_025_96_int8.tflite", "--mcu", "rp2040", "--duty", "1/s",
              "--clock-mhz", "best")
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""  # no numpy RuntimeWarning from the clock search (infeasible clocks are inf)
    s = json.loads(cli("estimate", DATA / "vww_mobilenet_v1_025_96_int8.tflite", "--mcu", "rp2040", "--duty", "1/s",
                       "--clock-mhz", "best", "--json").stdout)["summary"]
    line = next(x for x in out.stdout.splitlines() if "latency per inference" in x)
    assert si_band(s["latency_s"], s["latency_low_s"], s["latency_high_s"], "s") in line
    printed = [x for x in out.stdout.splitlines() if not x.strip().startswith("- ")]  # assumptions quote sources
    assert not [x for x in printed if SCIENTIFIC.search(x)]


@pytest.mark.parametrize("mcu", ["nrf52840", "stm32u585", "stm32l4r5"])
def test_per_hertz_figures_print_with_a_compound_unit(mcu, tmp_path):
    """'run current per MHz (ldo path) 98.4 pA is derived' was a per-hertz figure printed as a current."""
    out = cli("estimate", DATA / "kws_ds_cnn_int8.tflite", "--mcu", mcu, "--duty", "1/min", "--json")
    assert out.returncode == 0, out.stderr
    lines = [a for a in json.loads(out.stdout)["assumptions"] if "per MHz" in a or "A/MHz" in a]
    assert any(re.search(r"\d [mµn]?A/MHz", line) for line in lines), lines
    bare = re.compile(r"per MHz(?: \([^)]*\))? [\d.,]+ [pnµm]?A\b(?!/)")  # the label, then a plain current
    assert not [line for line in lines if bare.search(line)]
    page = tmp_path / "r.html"
    rep = cli("report", DATA / "kws_ds_cnn_int8.tflite", "--mcu", mcu, "--duty", "1/min", "-o", page)
    assert rep.returncode == 0, rep.stderr
    html = page.read_text()
    for line in lines:
        assert line.split(" is ")[0].replace("&", "&amp;") in html
    assert not bare.search(html)


def test_the_report_card_says_hours_for_a_short_life(tmp_path):
    """No '0.00 years' for a life of a day or two: the card prints hours."""
    page = tmp_path / "r.html"
    rep = cli("report", DATA / "vww_mobilenet_v1_025_96_int8.tflite", "--mcu", "stm32u585", "--duty", "2/s",
              "--battery", "cr2032", "-o", page)
    assert rep.returncode == 0, rep.stderr
    html = page.read_text()
    m = re.search(r'data-key="battery_life_days" data-value="([^"]+)">([^<]+)<', html)
    assert m, html[:2000]
    days = float(m[1])
    assert days < 2
    assert m[2] == days_text(days) and m[2].endswith("hours")
    assert "0.00 years" not in html
