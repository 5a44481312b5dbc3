"""energy measure: every format on generated traces with a known truth, chunk borders, bad input, CLI."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import trace_factory as tf  # noqa: E402

from joulescope_free.errors import UserError  # noqa: E402
from joulescope_free.measure.api import measure  # noqa: E402

TRUTH = tf.Truth()  # 5 uA sleep, 12 mA x 80 ms bursts every 1 s from 0.5 s, 3.0 V, 10 kHz, 5.5 s
DATA = Path(__file__).parent / "data" / "traces"


def expected_average_current(truth: tf.Truth) -> float:
    on = truth.n_bursts * truth.burst_s
    return (on * truth.burst_a + (truth.duration_s - on) * truth.baseline_a) / truth.duration_s


# one writer per format variant: (file name, writer, measure kwargs, expected format)
VARIANTS = {
    "jls": ("t.jls", lambda p: tf.write_jls(p, TRUTH), {}, "jls"),
    "jls-current+power": ("t.jls", lambda p: tf.write_jls(p, TRUTH, power=True), {"supply_v": 3.0}, "jls"),
    "jls-current-only": ("t.jls", lambda p: tf.write_jls(p, TRUTH, with_voltage=False), {"supply_v": 3.0}, "jls"),
    "ppk2-packed": ("ppk.csv", lambda p: tf.write_ppk2_csv(p, TRUTH), {"supply_v": 3.0}, "ppk2"),
    "ppk2-columns": ("ppk.csv", lambda p: tf.write_ppk2_csv(p, TRUTH, packed=False), {"supply_v": 3.0}, "ppk2"),
    "otii-current": ("o.csv", lambda p: tf.write_otii_csv(p, TRUTH, channel="current"), {"supply_v": 3.0}, "otii"),
    "otii-combined": ("o.csv", lambda p: tf.write_otii_csv(p, TRUTH, channel="combined"), {}, "otii"),
    "csv-si": ("g.csv", lambda p: tf.write_generic_csv(p, TRUTH), {}, "csv"),
    "csv-si-no-voltage": ("g.csv", lambda p: tf.write_generic_csv(p, TRUTH, with_voltage=False),
                          {"supply_v": 3.0}, "csv"),
    "csv-bracket-units": ("g.csv", lambda p: tf.write_generic_csv(
        p, TRUTH, header=("Time (ms)", "Current (mA)", "Voltage (mV)"), scales=(1e-3, 1e-3, 1e-3)), {}, "csv"),
    "csv-suffix-units": ("g.csv", lambda p: tf.write_generic_csv(
        p, TRUTH, header=("time_us", "current_ua", "voltage_mv"), scales=(1e-6, 1e-6, 1e-3)), {}, "csv"),
}


@pytest.fixture(params=sorted(VARIANTS))
def variant(request, tmp_path):
    name, write, kwargs, fmt = VARIANTS[request.param]
    path = tmp_path / name
    write(path)
    return path, kwargs, fmt


def test_every_format_finds_the_known_bursts(variant):
    path, kwargs, fmt = variant
    m = measure(path, **kwargs)
    s = m.summary
    assert m.format == fmt
    assert s["n_events"] == TRUTH.n_bursts == 5
    # 80 ms bursts sampled at 10 kHz: within one sample
    assert s["event_duration_s"] == pytest.approx(0.08, abs=1.5e-4)
    assert s["event_energy_j"] == pytest.approx(12e-3 * 0.08 * 3.0, rel=0.01)
    assert s["event_charge_c"] == pytest.approx(12e-3 * 0.08, rel=0.01)
    assert s["baseline_current_a"] == pytest.approx(5e-6, rel=0.02)
    assert s["average_current_a"] == pytest.approx(expected_average_current(TRUTH), rel=0.01)
    assert s["duration_s"] == pytest.approx(5.5, abs=2e-4)
    assert s["supply_v"] == pytest.approx(3.0, abs=0.01)
    assert s["sample_rate_hz"] == pytest.approx(10_000, rel=1e-6)
    # the threshold sits between sleep and burst, far from both
    assert 50e-6 < s["threshold_a"] < 2e-3
    starts = m.events["start_s"].to_numpy()
    assert starts == pytest.approx(0.5 + np.arange(5) * 1.0, abs=1.5e-4)
    assert list(m.events.columns) == ["start_s", "duration_s", "charge_c", "energy_j", "peak_current_a"]
    assert (m.events["peak_current_a"] > 12e-3).all() and (m.events["peak_current_a"] < 12.5e-3).all()


@pytest.mark.parametrize("kind", ["jls", "ppk2-packed", "ppk2-columns", "otii-combined"])
def test_marker_windows(kind, tmp_path):
    name, write, kwargs, _ = VARIANTS[kind]
    path = tmp_path / name
    write(path)
    marker = "GPI1" if kind.startswith("otii") else "D0"
    m = measure(path, marker=marker, **kwargs)
    s = m.summary
    assert s["n_events"] == 5
    assert s["threshold_a"] is None
    # the marker is high 5 ms before and after each 80 ms burst
    assert s["event_duration_s"] == pytest.approx(0.09, abs=1.5e-4)
    expected = (12e-3 * 0.08 + 5e-6 * 0.01) * 3.0
    assert s["event_energy_j"] == pytest.approx(expected, rel=0.01)
    assert m.events["start_s"].to_numpy() == pytest.approx(0.495 + np.arange(5), abs=1.5e-4)


@pytest.mark.parametrize("kind", ["jls", "ppk2-packed", "csv-si"])
def test_chunk_borders_do_not_change_events(kind, tmp_path):
    """A 37-sample chunk cuts every burst many times; the events must be identical to one big chunk."""
    name, write, kwargs, _ = VARIANTS[kind]
    path = tmp_path / name
    write(path)
    big = measure(path, chunk_samples=1 << 20, **kwargs)
    small = measure(path, chunk_samples=37, **kwargs)
    assert len(small.events) == len(big.events) == 5
    np.testing.assert_allclose(small.events.to_numpy(), big.events.to_numpy(), rtol=1e-9, atol=1e-12)
    for key in ("baseline_current_a", "average_current_a", "duration_s", "threshold_a"):
        assert small.summary[key] == pytest.approx(big.summary[key], rel=1e-9)


def test_jls_with_sample_id_offset(tmp_path):
    """Recordings that start at a sample id > 0: pyjls reads from 0, the events must be unchanged."""
    p = tmp_path / "off.jls"
    tf.write_jls(p, TRUTH, first_sample_id=8 * 1000)
    m = measure(p, marker="D0")
    assert m.summary["n_events"] == 5
    assert m.events["start_s"].to_numpy() == pytest.approx(0.495 + np.arange(5), abs=1.5e-4)
    assert m.summary["event_energy_j"] == pytest.approx((12e-3 * 0.08 + 5e-6 * 0.01) * 3.0, rel=0.01)


def test_locale_and_comment_variants(tmp_path):
    """Semicolons with decimal commas (European Otii export) and tab-separated files with # comments."""
    t, i, v, _ = tf.signals(TRUTH)
    semi = tmp_path / "semi.csv"
    semi.write_text("Timestamp (s);Main current (A);Main voltage (V)\n" + "".join(
        f"{a:.6f};{b:.6e};{c:.5f}\n".replace(".", ",") for a, b, c in zip(t, i, v)))
    tab = tmp_path / "tab.csv"
    tab.write_text("# exported by a bench script\nTime [s]\tCurrent [uA]\n" + "".join(
        f"{a:.6f}\t{b * 1e6:.4f}\n" for a, b in zip(t, i)))
    for path, kwargs, fmt in ((semi, {}, "otii"), (tab, {"supply_v": 3.0}, "csv")):
        m = measure(path, **kwargs)
        assert m.format == fmt and m.summary["n_events"] == 5
        assert m.summary["event_energy_j"] == pytest.approx(12e-3 * 0.08 * 3.0, rel=0.01)


def test_explicit_threshold_and_hysteresis(tmp_path):
    path = tmp_path / "t.jls"
    tf.write_jls(path, TRUTH)
    m = measure(path, threshold_a=1e-3)
    assert m.summary["n_events"] == 5 and m.summary["threshold_a"] == 1e-3
    assert m.summary["event_duration_s"] == pytest.approx(0.08, abs=1.5e-4)


def test_hysteresis_by_hand():
    from joulescope_free.measure.events import hysteresis

    x = np.array([0, 5, 11, 7, 4, 6, 12, 2, 6], dtype=float)  # enter above 10, leave below 5
    assert hysteresis(x, 10, 5, False).tolist() == [0, 0, 1, 1, 0, 0, 1, 0, 0]
    assert hysteresis(x, 10, 5, True).tolist() == [0, 0, 1, 1, 0, 0, 1, 0, 0]
    assert hysteresis(np.array([7.0, 7.0, 3.0]), 10, 5, True).tolist() == [1, 1, 0]


def test_hysteresis_matches_a_plain_loop():
    from joulescope_free.measure.events import hysteresis

    rng = np.random.default_rng(5)
    for _ in range(300):
        x = rng.integers(0, 15, size=int(rng.integers(1, 40))).astype(float)
        state = bool(rng.integers(0, 2))
        expected, s = [], state
        for v in x:
            s = True if v > 10 else False if v < 5 else s
            expected.append(s)
        assert hysteresis(x, 10, 5, state).tolist() == expected


def test_envelope_buckets_hold_the_min_and_max_of_their_samples():
    from joulescope_free.measure.events import Envelope

    rng = np.random.default_rng(0)
    x = rng.standard_normal(100_003)
    t = np.arange(x.size) * 1e-3
    env = Envelope(target=100)
    pos = 0
    while pos < x.size:  # random chunk sizes, so buckets straddle chunk borders
        n = int(rng.integers(1, 5000))
        env.add(t[pos:pos + n], x[pos:pos + n])
        pos += n
    r = env.result()
    assert r["time_s"].size <= 201
    bounds = np.append(np.round(r["time_s"] / 1e-3).astype(int), x.size)
    for a, b, lo, hi in zip(bounds[:-1], bounds[1:], r["min_current_a"], r["max_current_a"]):
        assert lo == x[a:b].min() and hi == x[a:b].max()


def test_histogram_percentiles_match_numpy():
    from joulescope_free.measure.events import CurrentHistogram

    rng = np.random.default_rng(3)
    x = np.concatenate([5e-6 + 3e-7 * rng.standard_normal(100_000), 12e-3 + 1e-4 * rng.standard_normal(1000)])
    h = CurrentHistogram()
    for part in np.array_split(x, 7):
        h.add(part)
    for q in (1, 10, 50, 99.5):
        assert h.percentile(q) == pytest.approx(np.percentile(x, q), rel=1e-3)


def _cut_csv(tmp_path, start_s, end_s=float("inf")):
    """The TRUTH trace from ``start_s`` to before ``end_s`` [s] as time_s,current_a CSV."""
    t, i, _, _ = tf.signals(TRUTH)
    keep = (t >= start_s) & (t < end_s)
    p = tmp_path / "cut.csv"
    np.savetxt(p, np.column_stack([t[keep], i[keep]]), fmt=["%.6f", "%.6e"], delimiter=",",
               header="time_s,current_a", comments="")
    return p


def test_threshold_mode_partial_edges_dropped(tmp_path):
    """A trace that starts inside a burst: that partial event is left out and counted."""
    p = _cut_csv(tmp_path, 0.54)  # cut in the middle of the first burst
    m = measure(p, supply_v=3.0)
    assert m.summary["n_events"] == 4 and m.summary["dropped_partial_events"] == 1


def test_checked_in_examples():
    formats = {"bursts.jls": "jls", "ppk2_export.csv": "ppk2", "otii_main_current.csv": "otii",
               "generic_units.csv": "csv"}
    for name, fmt in formats.items():
        m = measure(DATA / name, supply_v=3.0)
        assert m.format == fmt
        assert m.summary["n_events"] == 3
        assert m.summary["event_energy_j"] == pytest.approx(2.88e-3, rel=0.01)


# ------------------------------------------------------------------------------------------ bad input
def _csv(tmp_path, text, name="bad.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("text, words", [
    ("time_s\n0\n1\n", "no current column"),
    ("current_a\n1e-3\n2e-3\n", "no time column"),
    ("time_s,Current (kA)\n0,1\n1,2\n", "unknown current unit 'ka'"),
    ("time_s,current_a\n0,1e-3\n0.2,1e-3\n0.1,1e-3\n", "time goes backwards"),
    ("time_s,current_a\n0,1e-3\n0.1,abc\n", "not a number"),
    ("time_s,current_a\n", "no samples"),
    ("1,2,3\n4,5,6\n", "not a trace"),
    ("hello world\n", "not a trace"),
])
def test_bad_csv_is_one_clear_error(tmp_path, text, words):
    with pytest.raises(UserError, match=words):
        measure(_csv(tmp_path, text), supply_v=3.0)


def test_binary_and_missing_files(tmp_path):
    blob = tmp_path / "model.tflite"
    blob.write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(range(256)) * 4)
    with pytest.raises(UserError, match="not a trace"):
        measure(blob)
    with pytest.raises(UserError, match="not found"):
        measure(tmp_path / "nope.csv")
    with pytest.raises(UserError, match="empty"):
        measure(_csv(tmp_path, "", "empty.csv"))
    fake = tmp_path / "fake.jls"
    fake.write_bytes(b"not a jls file at all" * 10)
    with pytest.raises(UserError, match="not a Joulescope .jls"):
        measure(fake)


def test_unclosed_jls_is_read_from_a_copy_and_left_untouched(tmp_path):
    """A recording interrupted before close: pyjls would repair (rewrite) it on open; we must not."""
    import subprocess

    p = tmp_path / "crash.jls"
    code = f"""
import os, sys, numpy as np
sys.path.insert(0, {str(Path(__file__).parent)!r})
import trace_factory as tf
from pyjls import Writer, SignalType, DataType
t, i, v, mk = tf.signals(tf.Truth())
w = Writer({str(p)!r})
w.source_def(source_id=1, name="JS220", vendor="J", model="JS220", version="1", serial_number="0")
w.signal_def(signal_id=1, source_id=1, signal_type=SignalType.FSR, data_type=DataType.F32, sample_rate=10000,
             name="current", units="A")
w.fsr_f32(1, 0, i.astype(np.float32))
w.flush()
os._exit(0)
"""
    subprocess.run([sys.executable, "-c", code], check=True)
    before = p.read_bytes()
    m = measure(p, supply_v=3.0)
    assert p.read_bytes() == before
    assert m.summary["n_events"] == 5
    assert m.summary["event_energy_j"] == pytest.approx(2.88e-3, rel=0.01)
    assert any("not closed properly" in n for n in m.notes)


def test_jls_current_units(tmp_path):
    """A current signal in mA is scaled to A; one in an unknown unit (uAh, a charge) is refused, naming the
    signal and its units; one with no units is read as A with a note."""
    ma = tmp_path / "ma.jls"
    tf.write_jls(ma, TRUTH, current_units="mA", current_per_unit=1e-3)
    m = measure(ma)
    assert m.summary["event_energy_j"] == pytest.approx(12e-3 * 0.08 * 3.0, rel=0.01)
    assert m.summary["baseline_current_a"] == pytest.approx(5e-6, rel=0.02)

    bad = tmp_path / "uah.jls"
    tf.write_jls(bad, TRUTH, current_units="uAh")
    with pytest.raises(UserError, match=r"uah.jls: signal 'current': unknown current unit 'uAh'; use one of a, ma"):
        measure(bad)

    bare = tmp_path / "bare.jls"
    tf.write_jls(bare, TRUTH, current_units="")
    m = measure(bare)
    assert m.summary["event_energy_j"] == pytest.approx(12e-3 * 0.08 * 3.0, rel=0.01)
    assert "signal 'current' has no units; read as SI (A)" in m.notes


def test_measurement_json_is_plain(tmp_path):
    """numpy scalars become plain numbers, NaN becomes null, events become records."""
    import pandas as pd

    from joulescope_free.measure.api import Measurement

    events = pd.DataFrame({"start_s": [0.5], "duration_s": [0.08], "charge_c": [9.6e-4], "energy_j": [2.88e-3],
                           "peak_current_a": [np.float32(0.0125)]})
    summary = {"n_events": np.int64(1), "baseline_current_a": float("nan"), "event_energy_j": np.float64(2.88e-3),
               "marker": None}
    m = Measurement(tmp_path / "x.jls", "jls", summary, events, {}, ["a note"])
    d = m.to_dict()
    assert type(d["summary"]["n_events"]) is int and d["summary"]["n_events"] == 1
    assert d["summary"]["baseline_current_a"] is None and d["summary"]["marker"] is None
    assert type(d["summary"]["event_energy_j"]) is float
    assert d["events"] == [{"start_s": 0.5, "duration_s": 0.08, "charge_c": 9.6e-4, "energy_j": 2.88e-3,
                            "peak_current_a": pytest.approx(0.0125, rel=1e-7)}]
    text = m.to_json()
    assert "NaN" not in text and '"baseline_current_a": null' in text
    assert json.loads(text)["path"] == str(tmp_path / "x.jls") and json.loads(text)["notes"] == ["a note"]


def test_no_voltage_needs_supply(tmp_path):
    p = tmp_path / "o.csv"
    tf.write_otii_csv(p, TRUTH, channel="current")
    with pytest.raises(UserError, match="--supply-v"):
        measure(p)


def test_no_events_names_the_threshold(tmp_path):
    p = tmp_path / "flat.csv"
    t = np.arange(20000) / 1e4
    rng = np.random.default_rng(0)
    np.savetxt(p, np.column_stack([t, 5e-6 + 3e-7 * rng.standard_normal(t.size)]), fmt=["%.5f", "%.6e"],
               delimiter=",", header="time_s,current_a", comments="")
    with pytest.raises(UserError, match=r"no events in flat.csv above threshold .* A \(baseline"):
        measure(p, supply_v=3.0)
    with pytest.raises(UserError, match=r"above threshold 1 A \(--threshold-a\); give a lower --threshold-a"):
        measure(VARIANTS_PATH(tmp_path), threshold_a=1.0)


@pytest.mark.parametrize("value, shown", [(-1, "-1"), (0, "0"), (0.0, "0"), (float("nan"), "nan")])
def test_threshold_must_be_a_positive_current(tmp_path, value, shown):
    """-1 or 0 would make the whole trace one event; it is refused up front, naming the value given."""
    with pytest.raises(UserError, match=rf"--threshold-a must be a positive current in A.*got {shown};"):
        measure(VARIANTS_PATH(tmp_path), threshold_a=value)


def test_whole_recording_above_the_threshold(tmp_path):
    """1 nA is below every sample (sleep is 5 uA with 0.3 uA noise, > 16 sigma away): one event spanning the
    whole file, dropped as partial, and the error says so instead of blaming a missing --threshold-a."""
    with pytest.raises(UserError) as exc:
        measure(VARIANTS_PATH(tmp_path), threshold_a=1e-9)
    text = str(exc.value)
    assert "the whole recording is above the threshold 1e-09 A" in text
    assert "higher --threshold-a" in text and "baseline" not in text


def test_only_cut_bursts_says_so(tmp_path):
    """0.54 s to 1.54 s holds the tail of the burst at 0.50-0.58 s and the head of the one at 1.50-1.58 s: two
    partial events and idle time between them, so the error names the two cut bursts."""
    p = _cut_csv(tmp_path, 0.54, 1.54)
    with pytest.raises(UserError, match=r"the 2 burst\(s\) above 0.001 A are cut by the start or end"):
        measure(p, supply_v=3.0, threshold_a=1e-3)


def VARIANTS_PATH(tmp_path):  # noqa: N802
    p = tmp_path / "t.jls"
    tf.write_jls(p, TRUTH)
    return p


def test_unknown_marker_suggests_channels(tmp_path):
    p = tmp_path / "ppk.csv"
    tf.write_ppk2_csv(p, TRUTH)
    with pytest.raises(UserError, match="unknown marker channel 'D9'; did you mean"):
        measure(p, supply_v=3.0, marker="D9")
    g = tmp_path / "g.csv"
    tf.write_generic_csv(g, TRUTH)
    with pytest.raises(UserError, match="no digital channels"):
        measure(g, marker="D0")


def test_bad_arguments(tmp_path):
    p = VARIANTS_PATH(tmp_path)
    with pytest.raises(UserError, match="supply-v"):
        measure(p, supply_v=-1)
    with pytest.raises(UserError, match="not both"):
        measure(p, marker="D0", threshold_a=1e-3)


# ------------------------------------------------------------------------------------------ memory
def test_bounded_memory_on_a_long_file(tmp_path):
    """50 M samples (200 MB of f32 on disk, 400 MB as float64) measured with < 60 MB of Python allocations."""
    import tracemalloc

    p = tmp_path / "long.jls"
    n_samples = 50_000_000  # 50 s at 1 MHz: bursts at 0.5, 1.5, ... 49.5 s
    tf.write_long_jls(p, n_samples)
    measure(DATA / "bursts.jls", supply_v=3.0)  # warm imports outside the traced window
    tracemalloc.start()
    try:
        m = measure(p, supply_v=3.0, chunk_samples=1 << 16)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 60e6, f"peak traced {peak / 1e6:.1f} MB"
    assert m.summary["n_samples"] == n_samples
    assert m.summary["n_events"] == 50
    assert m.summary["event_duration_s"] == pytest.approx(0.08, abs=2e-6)
    assert m.summary["event_energy_j"] == pytest.approx(12e-3 * 0.08 * 3.0, rel=1e-3)
    assert m.envelope["time_s"].size <= 4001

    # the whole process (pyjls buffers, numpy, pandas) stays far below the 500 MB bound: peak RSS of a child
    import subprocess

    code = ("import joulescope_free as jf, pathlib; m = jf.measure(%r, supply_v=3.0); "
            "print(m.summary['n_events'], [l.split()[1] for l in pathlib.Path('/proc/self/status').read_text()"
            ".splitlines() if l.startswith('VmHWM')][0])" % str(p))
    if Path("/proc/self/status").exists():
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             cwd=Path(__file__).parents[1], check=True).stdout.split()
        assert out[0] == "50"
        assert int(out[1]) / 1024 < 500, f"peak RSS {int(out[1]) / 1024:.0f} MB"


# ------------------------------------------------------------------------------------------ CLI
def _run(argv, capsys):
    from joulescope_free.cli import main

    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_json_and_plot(tmp_path, capsys):
    p = VARIANTS_PATH(tmp_path)
    png = tmp_path / "trace.png"
    code, out, err = _run(["measure", str(p), "--json", "--plot", str(png)], capsys)
    assert code == 0, err
    data = json.loads(out)  # stdout is pure JSON (no progress bar)
    assert data["summary"]["n_events"] == 5
    assert data["format"] == "jls"
    assert len(data["events"]) == 5
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".trace.png")]  # no temp file left


def test_cli_table_and_errors(tmp_path, capsys):
    p = VARIANTS_PATH(tmp_path)
    code, out, err = _run(["measure", str(p)], capsys)
    assert code == 0 and "event energy" in out and "2.88 mJ" in out
    bad = _csv(tmp_path, "time_s,current_a\n0,1e-3\n0.2,1e-3\n0.1,1e-3\n")
    code, out, err = _run(["measure", str(bad), "--supply-v", "3"], capsys)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_jf_measure_is_the_api(tmp_path):
    """``jf.measure(...)`` works even after the ``joulescope_free.measure`` package was imported."""
    import joulescope_free as jf
    import joulescope_free.measure.api  # noqa: F401

    m = jf.measure(VARIANTS_PATH(tmp_path))
    assert m.summary["n_events"] == 5


def test_plot_many_events_and_bad_targets(tmp_path):
    """More events than MAX_SHADED are merged for shading; bad --plot targets are one-line errors."""
    import pandas as pd

    from joulescope_free.measure.api import Measurement
    from joulescope_free.render.plot import MAX_SHADED, check_plot_target, plot_measurement

    n = MAX_SHADED + 500
    starts = np.arange(n) * 0.1
    events = pd.DataFrame({"start_s": starts, "duration_s": 0.01, "charge_c": 1e-4, "energy_j": 3e-4,
                           "peak_current_a": 0.01})
    t = np.linspace(0, n * 0.1, 4000)
    summary = {"n_events": n, "event_duration_s": 0.01, "event_energy_j": 3e-4, "baseline_current_a": 5e-6,
               "average_current_a": 1e-3, "supply_v": 3.0, "threshold_a": 2e-4}
    m = Measurement(tmp_path / "x.jls", "jls", summary, events,
                    {"time_s": t, "min_current_a": np.zeros_like(t), "max_current_a": np.full_like(t, 0.01),
                     "samples_per_point": 1024})
    out = plot_measurement(m, tmp_path / "many")
    assert out == tmp_path / "many.png" and out.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(UserError, match="give a .png"):
        check_plot_target(tmp_path / "x.jpg")
    with pytest.raises(UserError, match="does not exist"):
        check_plot_target(tmp_path / "nope" / "x.png")
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(UserError, match="dir.png is a directory; give a file name"):
        check_plot_target(tmp_path / "dir.png")
    assert check_plot_target(tmp_path / "trace") == tmp_path / "trace.png"
