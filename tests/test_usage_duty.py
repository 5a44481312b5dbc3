"""The duty grammar: each accepted form -> the rate in Hz computed by hand; each rejected form -> UserError."""
import math

import pytest

from joulescope_free.errors import UserError
from joulescope_free.usage.duty import format_rate, parse_rate

ACCEPTED = [
    ("1/s", 1.0), ("10/s", 10.0), ("2.5/sec", 2.5), ("3 / second", 3.0), ("4/seconds", 4.0),
    ("1/min", 1 / 60), ("1 / min", 1 / 60), ("6/minute", 0.1), ("0.5/mins", 0.5 / 60),
    ("1/h", 1 / 3600), ("12/hr", 12 / 3600), ("2/hours", 2 / 3600), ("24/day", 24 / 86400), ("1/d", 1 / 86400),
    ("2Hz", 2.0), ("0.5Hz", 0.5), ("0.5 hz", 0.5), (" 30 HZ ", 30.0), (".25Hz", 0.25),
    ("every 10 min", 1 / 600), ("every 10min", 1 / 600), ("EVERY 2.5 s", 0.4), ("every 1 min", 1 / 60),
    ("every hour", 1 / 3600), ("every 2 days", 1 / 172800), ("every  3   h", 1 / 10800), ("every 1 d", 1 / 86400),
    ("continuous", math.inf), ("Continuous", math.inf), ("back-to-back", math.inf),
    # what people type (issue 19): exponents, N per M units, "per"
    ("1e-3/s", 1e-3), ("1E-3/s", 1e-3), ("2.5e-1 Hz", 0.25), ("1e3/s", 1000.0), ("0.5/h", 0.5 / 3600),
    ("every 90 s", 1 / 90), ("3/day", 3 / 86400), ("1/10 min", 1 / 600), ("1/10min", 1 / 600),
    ("5 / 2 h", 5 / 7200), ("2 per hour", 2 / 3600), ("1 per minute", 1 / 60), ("every 1.5e3 s", 1 / 1500),
]

REJECTED = ["0/s", "0Hz", "every 0 min", "-1/min", "-2Hz", "every -5 s", "1/fortnight", "every 10 weeks",
            "2 kHz", "1MHz", "abc", "", "   ", "1/", "/min", "every", "10", "1e/s", "1/min/s", "ten/min", "1/0 min",
            "1e999/s", "per hour"]


@pytest.mark.parametrize("text, hz", ACCEPTED)
def test_accepted_forms(text, hz):
    assert parse_rate(text) == pytest.approx(hz, rel=1e-12)


@pytest.mark.parametrize("text", REJECTED)
def test_rejected_forms_are_one_line_user_errors(text):
    with pytest.raises(UserError) as err:
        parse_rate(text)
    assert "\n" not in str(err.value)


def test_the_error_says_what_would_work():
    with pytest.raises(UserError, match=r"N/min.*continuous"):
        parse_rate("sometimes")
    with pytest.raises(UserError, match="did you mean min"):
        parse_rate("1/mni")


@pytest.mark.parametrize("a, b", [("1/min", "every 1 min"), ("60/h", "1/min"), ("1/s", "1Hz"),
                                  ("every 10 min", "6/h"), ("144/day", "every 10 minutes")])
def test_equal_rates_written_two_ways(a, b):
    assert parse_rate(a) == pytest.approx(parse_rate(b), rel=1e-12)


@pytest.mark.parametrize("hz, text", [(math.inf, "continuous"), (1 / 60, "1/min"), (1 / 600, "every 10 min"),
                                      (30.0, "30/s"), (1 / 3600, "1/h")])
def test_format_rate_reads_back(hz, text):
    assert format_rate(hz) == text
    assert parse_rate(format_rate(hz)) == pytest.approx(hz)


def test_the_error_lists_every_form_people_type():
    """Issue 19: the error names the forms, each with an example."""
    with pytest.raises(UserError) as err:
        parse_rate("now and then")
    text = str(err.value)
    for form in ("1e-3/s", "0.5/h", "3/day", "every 90 s", "1/10 min", "2 per hour", "continuous"):
        assert form in text
        assert parse_rate(form) > 0  # every example in the message is itself accepted


def test_the_duty_forms_work_through_the_cli():
    import subprocess
    import sys
    from pathlib import Path

    model = Path(__file__).parent / "data" / "mlperf_tiny" / "kws_ds_cnn_int8.tflite"
    for duty, period in (("1e-3/s", "1000 s"), ("every 90 s", "90 s"), ("3/day", "8 h")):
        out = subprocess.run([sys.executable, "-m", "joulescope_free.cli", "estimate", str(model), "--mcu", "nrf52840",
                              "--duty", duty, "--json"], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        import json

        assert json.loads(out.stdout)["summary"]["rate_hz"] == pytest.approx(parse_rate(duty))
