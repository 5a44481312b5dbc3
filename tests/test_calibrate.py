"""energy calibrate: the joint log-space fit, the override file, safe writing, and the round trip
measure -> calibrate -> estimate (which reproduces the measured duration and energy within 5 %)."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import trace_factory as tf  # noqa: E402
from helpers import run_cli  # noqa: E402

from joulescope_free.datafile import as_figure, load_toml  # noqa: E402
from joulescope_free.errors import UserError  # noqa: E402
from joulescope_free.measure.calibrate import calibrate, load_calibration  # noqa: E402

MODELS = Path(__file__).parent / "data" / "mlperf_tiny"
KWS = MODELS / "kws_ds_cnn_int8.tflite"
RESNET = MODELS / "ic_resnet8_int8.tflite"


class FakeEstimate:
    """Stands in for joulescope_free.chain.estimate: fixed predictions per model name."""

    def __init__(self, table):
        self.table = table      # model name -> (latency_s, inference_power_w)
        self.calls = []

    def __call__(self, model, mcu, runtime=None, clock_mhz=None, supply_v=None, **_):
        self.calls.append((Path(model).name, mcu, runtime, clock_mhz, supply_v))
        latency, power = self.table[Path(model).name]
        summary = pd.Series({"latency_s": latency, "energy_per_inference_j": latency * power,
                             "inference_power_w": power, "clock_hz": (clock_mhz or 64) * 1e6}, dtype=object)
        return type("R", (), {"summary": summary, "target": {"mcu": mcu, "runtime": "tflm-cmsis-nn@2024"}})()


@pytest.fixture
def models(tmp_path):
    a, b = tmp_path / "a.tflite", tmp_path / "b.tflite"
    a.write_bytes(b"x")
    b.write_bytes(b"x")
    return a, b


def _trace(tmp_path, name, **truth):
    p = tmp_path / name
    tf.write_jls(p, tf.Truth(**truth))
    return p


def test_single_trace_fit_by_hand(tmp_path, models, monkeypatch):
    fake = FakeEstimate({"a.tflite": (0.100, 0.030)})  # predicted 100 ms at 30 mW -> 10 mA at 3 V
    monkeypatch.setattr("joulescope_free.chain.estimate", fake)
    trace = _trace(tmp_path, "t.jls")  # measured: 80 ms at 12 mA, 3.0 V, 5 uA sleep
    out = tmp_path / "board.toml"
    res = calibrate([trace], models=[models[0]], mcu="nrf52840", clock_mhz=[64.0], output=out)
    c = res.calibration
    assert c.latency_scale == pytest.approx(0.08 / 0.100, rel=2e-3)
    assert c.current_scale == pytest.approx(12e-3 / 10e-3, rel=5e-3)
    assert c.sleep_current_a == pytest.approx(5e-6, rel=0.02)
    assert fake.calls[-1][3] == 64.0 and fake.calls[-1][4] == pytest.approx(3.0, abs=0.01)
    # predicted x scales reproduces the measured event
    assert 0.100 * c.latency_scale == pytest.approx(res.traces["event_duration_s"][0], rel=1e-9)
    assert 0.100 * 0.030 * c.latency_scale * c.current_scale == pytest.approx(
        res.traces["event_energy_j"][0], rel=1e-3)

    # the file: figures carry `measured` provenance; [[trace]] is a plain record with a `measured` key
    data = load_toml(out)
    assert data["mcu"] == "nrf52840" and data["runtime"] == "tflm-cmsis-nn@2024"
    for name in ("latency_scale", "current_scale", "sleep_current_a"):
        assert as_figure(data[name], name).kind == "measured"
    (record,) = data["trace"]
    assert record["measured"] and record["n_events"] == 5 and len(record["sha256"]) == 64
    assert record["event_energy_j"] == pytest.approx(2.88e-3, rel=0.01)
    assert record["predicted_latency_s"] == 0.1
    assert out.read_text().startswith("# written by energy calibrate on ")

    loaded = load_calibration(out)
    assert loaded.latency_scale == pytest.approx(c.latency_scale, rel=1e-12)
    assert loaded.current_scale == pytest.approx(c.current_scale, rel=1e-12)
    assert loaded.sleep_current_a == pytest.approx(c.sleep_current_a, rel=1e-12)
    assert loaded.provenance["latency_scale"][0] == "measured"
    assert loaded.mcu == "nrf52840" and loaded.path == str(out)


def test_joint_fit_is_the_geometric_mean(tmp_path, models, monkeypatch):
    fake = FakeEstimate({"a.tflite": (0.100, 0.030), "b.tflite": (0.040, 0.030)})
    monkeypatch.setattr("joulescope_free.chain.estimate", fake)
    t1 = _trace(tmp_path, "t1.jls", burst_s=0.08, burst_a=12e-3)   # ratios 0.8, 1.2
    t2 = _trace(tmp_path, "t2.jls", burst_s=0.04, burst_a=15e-3, baseline_a=7e-6)  # ratios 1.0, 1.5
    res = calibrate([t1, t2], models=list(models), mcu="nrf52840", output=tmp_path / "j.toml")
    c = res.calibration
    assert c.latency_scale == pytest.approx(math.sqrt(0.8 * 1.0), rel=3e-3)
    assert c.current_scale == pytest.approx(math.sqrt(1.2 * 1.5), rel=5e-3)
    assert c.sleep_current_a == pytest.approx((5e-6 + 7e-6) / 2, rel=0.02)   # median of two = mean
    assert res.traces["latency_residual"].to_list() == pytest.approx(
        [0.8 / math.sqrt(0.8) - 1, 1.0 / math.sqrt(0.8) - 1], rel=5e-3)
    assert any("joint fit over 2 traces" in n for n in c.notes)


def test_existing_output_needs_force(tmp_path, models, monkeypatch):
    monkeypatch.setattr("joulescope_free.chain.estimate", FakeEstimate({"a.tflite": (0.1, 0.03)}))
    trace = _trace(tmp_path, "t.jls")
    out = tmp_path / "board.toml"
    out.write_text("precious = true\n")
    with pytest.raises(UserError, match="exists; add --force"):
        calibrate([trace], models=[models[0]], mcu="nrf52840", output=out)
    assert out.read_text() == "precious = true\n"
    calibrate([trace], models=[models[0]], mcu="nrf52840", output=out, force=True)
    assert load_calibration(out).mcu == "nrf52840"


@pytest.mark.parametrize("force", [False, True])
def test_folder_output_is_refused_before_exists(tmp_path, models, monkeypatch, force):
    """-o naming an existing folder says it is a folder (not "exists; add --force"), with or without --force;
    -o in a missing folder says the folder does not exist. Nothing is measured or written."""
    fake = FakeEstimate({"a.tflite": (0.1, 0.03)})
    monkeypatch.setattr("joulescope_free.chain.estimate", fake)
    trace = _trace(tmp_path, "t.jls")
    folder = tmp_path / "board.toml"
    folder.mkdir()
    with pytest.raises(UserError, match="board.toml is a directory; give a file name"):
        calibrate([trace], models=[models[0]], mcu="nrf52840", output=folder, force=force)
    with pytest.raises(UserError, match=r"folder .*nope does not exist"):
        calibrate([trace], models=[models[0]], mcu="nrf52840", output=tmp_path / "nope" / "b.toml", force=force)
    assert folder.is_dir() and not list(folder.iterdir()) and fake.calls == []


def test_result_json_keeps_full_precision_and_nan_is_null(tmp_path, models, monkeypatch):
    """to_dict / to_json: numbers exactly as computed (no 10-digit rounding), NaN as null, numpy unwrapped."""
    import json

    monkeypatch.setattr("joulescope_free.chain.estimate", FakeEstimate({"a.tflite": (0.1, 0.03)}))
    res = calibrate([_trace(tmp_path, "t.jls")], models=[models[0]], mcu="nrf52840", output=tmp_path / "o.toml")
    res.traces.loc[0, "baseline_current_a"] = float("nan")
    d = json.loads(res.to_json())
    row = d["traces"][0]
    assert row["baseline_current_a"] is None
    assert row["latency_ratio"] == float(res.traces["latency_ratio"][0])   # exact, all 17 digits
    assert row["event_duration_s"] / 0.1 == row["latency_ratio"]
    assert type(res.to_dict()["traces"][0]["n_events"]) is int and row["n_events"] == 5
    assert d["latency_scale"] == res.calibration.latency_scale and d["mcu"] == "nrf52840"


def test_bad_calibrate_input(tmp_path, models, monkeypatch):
    monkeypatch.setattr("joulescope_free.chain.estimate", FakeEstimate({"a.tflite": (0.1, 0.03)}))
    trace = _trace(tmp_path, "t.jls")
    with pytest.raises(UserError, match="2 --model values for 3 traces"):
        calibrate([trace] * 3, models=list(models), mcu="x", output=tmp_path / "o.toml")
    with pytest.raises(UserError, match="model not found"):
        calibrate([trace], models=[tmp_path / "missing.tflite"], mcu="x", output=tmp_path / "o.toml")
    with pytest.raises(UserError, match="trace not found"):
        calibrate([tmp_path / "none.jls"], models=[models[0]], mcu="x", output=tmp_path / "o.toml")
    with pytest.raises(UserError, match=r"\.toml"):
        calibrate([trace], models=[models[0]], mcu="x", output=tmp_path / "o.json")
    assert not (tmp_path / "o.toml").exists()


@pytest.mark.parametrize("text, words", [
    ('latency_scale = { value = 1.0, measured = "x" }\n', "not a calibration file"),
    ('mcu = "nrf52840"\nlatency_scale = { value = 1.0, measured = "x" }\n', "missing current_scale"),
    ('mcu = "a"\nlatency_scale = 1.0\ncurrent_scale = { value = 1.0, measured = "x" }\n'
     'sleep_current_a = { value = 1e-6, measured = "x" }\n', "expected"),
    ('mcu = "a"\nlatency_scale = { value = -1.0, measured = "x" }\ncurrent_scale = { value = 1.0, measured = "x" }\n'
     'sleep_current_a = { value = 1e-6, measured = "x" }\n', "not a valid scale"),
    ("mcu = \n", "not valid TOML"),
])
def test_load_calibration_rejects_bad_files(tmp_path, text, words):
    p = tmp_path / "c.toml"
    p.write_text(text)
    with pytest.raises(UserError, match=words):
        load_calibration(p)


def test_cli_calibrate_refuses_to_overwrite(tmp_path, models, capsys):
    trace = _trace(tmp_path, "t.jls")
    out = tmp_path / "board.toml"
    out.write_text("mine\n")
    code, _, err = run_cli(capsys, "calibrate", trace, "--model", models[0], "--mcu", "nrf52840", "-o", out)
    assert code == 2
    assert "exists; add --force" in err and err.count("\n") == 1
    assert out.read_text() == "mine\n"


# ------------------------------------------------------------------------------------------ round trip
def _real_chain():
    """The estimate chain and the nrf52840 catalog entry the round trip runs on (must work: no skip)."""
    from joulescope_free.api import estimate

    return estimate(KWS, mcu="nrf52840", supply_v=3.0)


def test_round_trip_measure_calibrate_estimate(tmp_path, capsys):
    """Measured trace -> calibrate -> estimate reproduces the measured duration and energy within 5 %."""
    from joulescope_free.api import estimate

    base = _real_chain()
    trace = tmp_path / "kws.jls"
    tf.write_jls(trace, tf.Truth(sample_rate_hz=20_000, burst_s=0.080, burst_a=12e-3, baseline_a=4.2e-6))
    out = tmp_path / "board.toml"
    code, stdout, err = run_cli(capsys, "calibrate", trace, "--model", KWS, "--mcu", "nrf52840", "-o", out)
    assert code == 0, err
    assert "latency scale" in stdout

    r = estimate(KWS, mcu="nrf52840", supply_v=3.0, power_model=out)
    assert r.summary["latency_s"] == pytest.approx(0.080, rel=0.05)
    assert r.summary["energy_per_inference_j"] == pytest.approx(12e-3 * 0.080 * 3.0, rel=0.05)
    assert any(a.startswith("measured") for a in r.assumptions)

    # another model on the same board is scaled by what was learned on this one (hand-derived)
    cal = load_calibration(out)
    res_plain = estimate(RESNET, mcu="nrf52840", supply_v=3.0)
    res_cal = estimate(RESNET, mcu="nrf52840", supply_v=3.0, power_model=out)
    assert cal.latency_scale == pytest.approx(0.080 / base.summary["latency_s"], rel=0.01)
    assert res_cal.summary["latency_s"] == pytest.approx(res_plain.summary["latency_s"] * cal.latency_scale,
                                                         rel=1e-6)
    assert res_cal.summary["energy_per_inference_j"] == pytest.approx(
        res_plain.summary["energy_per_inference_j"] * cal.latency_scale * cal.current_scale, rel=1e-6)

    # the sleep phase uses the measured baseline
    duty = estimate(KWS, mcu="nrf52840", supply_v=3.0, power_model=out, duty="1/min")
    currents = pd.to_numeric(duty.phases["current_a"]).to_numpy()
    assert min(abs(currents - 4.2e-6)) / 4.2e-6 < 0.02


def test_unknown_mcu_fails_before_reading_traces(tmp_path, monkeypatch):
    _real_chain()
    import joulescope_free.measure.api as measure_api

    def boom(*a, **k):  # pragma: no cover - must not be reached
        raise AssertionError("measured a trace before checking --mcu")

    monkeypatch.setattr(measure_api, "measure", boom)
    trace = _trace(tmp_path, "t.jls")
    with pytest.raises(UserError, match="unknown MCU 'nrf5284'"):
        calibrate([trace], models=[KWS], mcu="nrf5284", output=tmp_path / "o.toml")


def test_round_trip_joint_fit_two_models(tmp_path):
    """Two models whose true latency is 0.9x and current 1.3x the prediction: the joint fit finds both."""
    from joulescope_free.api import estimate

    _real_chain()
    traces, models = [], []
    for name, model in (("kws.jls", KWS), ("resnet.jls", RESNET)):
        p = estimate(model, mcu="nrf52840", supply_v=3.0).summary
        burst_s = round(p["latency_s"] * 0.9, 4)
        burst_a = p["inference_power_w"] / 3.0 * 1.3
        path = tmp_path / name
        tf.write_jls(path, tf.Truth(sample_rate_hz=10_000, burst_s=burst_s, burst_a=burst_a))
        traces.append(path)
        models.append(model)
    res = calibrate(traces, models=models, mcu="nrf52840", output=tmp_path / "joint.toml")
    assert res.calibration.latency_scale == pytest.approx(0.9, rel=0.01)
    assert res.calibration.current_scale == pytest.approx(1.3, rel=0.01)
    for path, model in zip(traces, models):
        m = next(x for x in res.measurements if x.path == path).summary
        r = estimate(model, mcu="nrf52840", supply_v=3.0, power_model=tmp_path / "joint.toml").summary
        assert r["latency_s"] == pytest.approx(m["event_duration_s"], rel=0.05)
        assert r["energy_per_inference_j"] == pytest.approx(m["event_energy_j"], rel=0.05)
