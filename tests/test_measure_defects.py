"""Trace defects (issue 10): inf/NaN samples, the sleep floor under a marker, calibration plausibility, JSON
output, the plot's log axis. Every expected number is worked out by hand from the synthetic trace."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import trace_factory as tf  # noqa: E402
from test_calibrate import FakeEstimate  # noqa: E402

from helpers import refused, run_cli  # noqa: E402
from joulescope_free.errors import UserError  # noqa: E402
from joulescope_free.measure.api import measure  # noqa: E402
from joulescope_free.measure.calibrate import calibrate, load_calibration  # noqa: E402
from joulescope_free.render.plot import current_axis, plot_measurement  # noqa: E402

FS = 100_000          # PPK2 sample rate, Hz
FLOOR_A = 3e-6
BURST_A, BURST_S = 15e-3, 0.012
PRE_A, PRE_S = 2e-3, 0.003
PERIOD_S, FIRST_S, N_BURSTS, DURATION_S = 0.2, 0.05, 10, 2.0


def write_ppk2_with_pre_phase(path, floor_a=FLOOR_A):
    """100 kHz PPK2 export: a 3 µA floor, 10 bursts of 12 ms at 15 mA, each preceded by 3 ms at 2 mA outside
    the marker (D0 high over the 12 ms burst only). Tiny noise on the floor (0.05 µA sigma)."""
    n = int(DURATION_S * FS)
    current = np.full(n, floor_a) + 0.05e-6 * np.random.default_rng(3).standard_normal(n)
    marker = np.zeros(n, dtype=bool)
    for k in range(N_BURSTS):
        start = int(round((FIRST_S + k * PERIOD_S) * FS))
        current[start - int(PRE_S * FS):start] = PRE_A
        current[start:start + int(BURST_S * FS)] = BURST_A
        marker[start:start + int(BURST_S * FS)] = True
    t_ms = np.arange(n) / FS * 1e3
    bits = np.where(marker, "10000000", "00000000")
    body = "\n".join(f"{a:.3f},{b:.4f},{c}" for a, b, c in zip(t_ms, current * 1e6, bits))
    Path(path).write_text("Timestamp(ms),Current(uA),D0-D7\n" + body + "\n")
    return path


# ------------------------------------------------------------------------------------------ sleep floor
def test_marker_sleep_floor_is_the_trace_floor_not_the_mean_outside_the_marker(tmp_path):
    trace = write_ppk2_with_pre_phase(tmp_path / "ppk2.csv")
    m = measure(trace, supply_v=3.0, marker="D0")
    s = m.summary
    assert isinstance(s, pd.Series)  # like the estimate's summary
    assert s["n_events"] == N_BURSTS
    assert s["event_duration_s"] == pytest.approx(BURST_S, abs=2 / FS)
    # outside the marker: 2.0 s - 10 x 12 ms, of which 10 x 3 ms at 2 mA, the rest at 3 µA (hand sum)
    idle_s = DURATION_S - N_BURSTS * BURST_S
    mean_outside = (N_BURSTS * PRE_S * PRE_A + (idle_s - N_BURSTS * PRE_S) * FLOOR_A) / idle_s
    assert s["baseline_current_a"] == pytest.approx(mean_outside, rel=0.01)   # ~34.9 µA: 11.6x the floor
    assert mean_outside / FLOOR_A > 10
    assert s["floor_current_a"] == pytest.approx(FLOOR_A, rel=0.03)


def test_calibrate_with_a_marker_writes_the_floor(tmp_path, monkeypatch):
    trace = write_ppk2_with_pre_phase(tmp_path / "ppk2.csv")
    model = tmp_path / "a.tflite"
    model.write_bytes(b"x")
    # predicted 12 ms at 45 mW (15 mA at 3 V): both ratios 1, no plausibility warning
    monkeypatch.setattr("joulescope_free.chain.estimate", FakeEstimate({"a.tflite": (BURST_S, BURST_A * 3.0)}))
    out = tmp_path / "board.toml"
    res = calibrate([trace], models=[model], mcu="nrf52840", supply_v=3.0, marker="D0", output=out)
    assert load_calibration(out).sleep_current_a == pytest.approx(FLOOR_A, rel=0.03)
    assert res.calibration.latency_scale == pytest.approx(1.0, abs=2 / FS / BURST_S)
    assert not any(n.startswith("warning") for n in res.calibration.notes)


# ------------------------------------------------------------------------------------------ plausibility
@pytest.mark.parametrize("predicted, words", [
    ((0.010, 0.030), ["duration is 8 x", "--clock-mhz", "--model", "--marker"]),   # 80 ms measured vs 10 ms
    ((0.080, 0.300), ["current is 0.12 x", "--supply-v"]),                          # 12 mA vs 100 mA at 3 V
])
def test_implausible_calibration_is_written_with_a_warning_naming_the_cause(tmp_path, predicted, words, capsys):
    monkeypatch = pytest.MonkeyPatch()
    try:
        model = tmp_path / "a.tflite"
        model.write_bytes(b"x")
        monkeypatch.setattr("joulescope_free.chain.estimate", FakeEstimate({"a.tflite": predicted}))
        trace = tmp_path / "t.jls"
        tf.write_jls(trace, tf.Truth())   # 80 ms at 12 mA, 3.0 V
        out = tmp_path / "board.toml"
        code, text, _ = run_cli(capsys, "calibrate", trace, "--model", model, "--mcu", "nrf52840", "-o", out)
        assert code == 0
        assert out.exists() and "warning:" in text
        warning = [n for n in load_calibration(out).notes if n.startswith("warning")]
        assert len(warning) == 1 and all(w in warning[0] for w in words)
    finally:
        monkeypatch.undo()


def test_a_negative_floor_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    model = tmp_path / "a.tflite"
    model.write_bytes(b"x")
    monkeypatch.setattr("joulescope_free.chain.estimate", FakeEstimate({"a.tflite": (0.08, 0.036)}))
    trace = tmp_path / "t.jls"
    tf.write_jls(trace, tf.Truth(baseline_a=-5e-6))   # a meter zero offset below the real floor
    out = tmp_path / "board.toml"
    with pytest.raises(UserError, match="negative or not finite.*nothing was written"):
        calibrate([trace], models=[model], mcu="nrf52840", output=out)
    assert not out.exists()


def test_calibrate_json_is_one_json_document(tmp_path, monkeypatch, capsys):
    model = tmp_path / "a.tflite"
    model.write_bytes(b"x")
    monkeypatch.setattr("joulescope_free.chain.estimate", FakeEstimate({"a.tflite": (0.100, 0.030)}))
    trace = tmp_path / "t.jls"
    tf.write_jls(trace, tf.Truth())
    out = tmp_path / "board.toml"
    code, out_text, _ = run_cli(capsys, "calibrate", trace, "--model", model, "--mcu", "nrf52840", "-o", out, "--json")
    assert code == 0
    d = json.loads(out_text)
    assert d["latency_scale"] == pytest.approx(0.08 / 0.100, rel=2e-3)
    assert d["sleep_current_a"] == pytest.approx(5e-6, rel=0.03)
    assert d["path"] == str(out)


# ------------------------------------------------------------------------------------------ inf / NaN
@pytest.mark.parametrize("bad, word", [("inf", "infinite"), ("nan", "NaN"), ("-inf", "infinite")])
@pytest.mark.parametrize("command", ["measure", "calibrate"])
def test_non_finite_samples_exit_2_with_one_line_naming_the_row(tmp_path, capsys, bad, word, command):
    lines = ["time_s,current_a,voltage_v"] + [f"{k * 1e-3:.3f},{'1e-3' if k != 3 else bad},3.0" for k in range(8)]
    trace = tmp_path / "t.csv"
    trace.write_text("\n".join(lines) + "\n")
    args = {"measure": ["measure", str(trace)],
            "calibrate": ["calibrate", str(trace), "--model", str(Path(__file__).parent / "data" / "mlperf_tiny"
                                                                   / "kws_ds_cnn_int8.tflite"),
                          "--mcu", "nrf52840", "-o", str(tmp_path / "o.toml")]}[command]
    err = refused(capsys, *args)
    assert word in err and "data row 4 (line 5)" in err
    assert not (tmp_path / "o.toml").exists()


def test_a_non_finite_sample_in_a_binary_trace_names_the_sample(tmp_path):
    from joulescope_free.measure import api as measure_api
    from joulescope_free.measure.readers import Chunk

    chunk = Chunk(time_s=None, dt_s=1e-3, current_a=np.array([1e-3, np.inf, 1e-3]), t0_s=2.0)
    with pytest.raises(UserError, match=r"non-finite current sample \(inf\) at sample 11 \(t = 2.001 s\)"):
        measure_api._check_finite(chunk, 10, tmp_path / "x.jls")


# ------------------------------------------------------------------------------------------ plot axis
def test_plot_uses_a_log_axis_when_the_range_spans_more_than_100x(tmp_path):
    assert current_axis([3e-6, 3e-6], [15e-3, 3e-6]) == ("log", 3e-6)       # 5000x: the µA floor must show
    assert current_axis([5e-3, 5e-3], [15e-3, 5e-3]) == ("linear", None)   # 3x
    assert current_axis([0.0, -1e-7], [15e-3, 1e-3], baseline_a=4e-6) == ("log", 4e-6)  # floor from the baseline
    trace = write_ppk2_with_pre_phase(tmp_path / "ppk2.csv")
    png = plot_measurement(measure(trace, supply_v=3.0, marker="D0"), tmp_path / "p.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
