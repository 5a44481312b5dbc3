"""Native Nordic Power Profiler files (issue 22): a .ppk2 written here exactly as pc-nrfconnect-ppk's
saveFileHandler.ts lays it out (ZIP: metadata.json, session.raw of 6-byte frames float32 LE µA + uint16 BE bits with
channel n in bits 2n+1:2n, 1 = low, 2 = high, 3 = both), read back bit for bit and in chunks; the same recording as
.ppk2 and as the app's CSV export measures the same; the legacy .ppk; one-line errors for damaged files."""
from __future__ import annotations

import csv
import json
import struct
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import trace_factory as tf  # noqa: E402
from helpers import cli_ok, refused  # noqa: E402

from joulescope_free.measure.api import measure  # noqa: E402
from joulescope_free.measure.readers import open_trace  # noqa: E402


def write_ppk2(path, current_ua, codes, rate=100_000, compression=zipfile.ZIP_DEFLATED, metadata=None,
               session=True, tail=b""):
    """``codes[k][n]`` is channel n's 2-bit state of sample k (0 invalid, 1 low, 2 high, 3 both)."""
    raw = bytearray()
    for value, chans in zip(current_ua, codes):
        word = sum(int(c) << (2 * n) for n, c in enumerate(chans))
        raw += struct.pack("<f", float(value)) + struct.pack(">H", word)
    raw += tail
    meta = metadata if metadata is not None else {"metadata": {"samplesPerSecond": rate,
                                                               "startSystemTime": 1733476800000},
                                                  "formatVersion": 2}
    with zipfile.ZipFile(path, "w", compression) as zf:
        zf.writestr("metadata.json", json.dumps(meta))
        if session:
            zf.writestr("session.raw", bytes(raw))
        zf.writestr("minimap.raw", b"")
    return path


def test_ppk2_round_trip_bit_for_bit_in_chunks(tmp_path):
    rng = np.random.default_rng(7)
    n = 1000
    current = (rng.standard_normal(n) * 3000 + 500).astype("<f4")   # µA, some negative as the PPK2 records
    codes = rng.integers(1, 4, size=(n, 8))                        # low / high / both
    path = write_ppk2(tmp_path / "rec.ppk2", current, codes, rate=100_000)
    src = open_trace(path)
    assert src.format == "ppk2-file" and src.sample_rate_hz == 100_000 and src.n_samples == n
    assert src.digital_names == tuple(f"D{k}" for k in range(8)) and not src.has_voltage
    chunks = list(src.chunks(chunk_samples=64))
    assert [len(c) for c in chunks] == [64] * 15 + [40]               # streamed, never more than asked
    back = np.concatenate([c.current_a for c in chunks])
    assert np.array_equal((back / 1e-6).astype("<f4").view("<u4"), current.view("<u4"))
    for k in range(8):
        got = np.concatenate([c.digital[f"D{k}"] for c in chunks])
        expected = [codes[i][k] in (2, 3) for i in range(n)]        # high, or high within the sample
        assert got.tolist() == expected
    assert chunks[3].t0_s == pytest.approx(3 * 64 / 100_000) and chunks[0].dt_s == pytest.approx(1e-5)


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_ppk2_measures_as_its_csv_export_does(tmp_path, compression):
    truth = tf.Truth(sample_rate_hz=10_000.0, duration_s=3.5)
    t, i, _, marker = tf.signals(truth, seed=1)
    csv_path = tf.write_ppk2_csv(tmp_path / "export.csv", truth, seed=1) and tmp_path / "export.csv"
    # the CSV export rounds to 4 decimals of µA; write the same values into the .ppk2
    current_ua = np.round(i * 1e6, 4).astype("<f4")
    codes = [[2 if marker[k] else 1] + [1] * 7 for k in range(len(t))]
    ppk2 = write_ppk2(tmp_path / "rec.ppk2", current_ua, codes, rate=10_000, compression=compression)
    a = measure(ppk2, supply_v=3.0, marker="D0")
    b = measure(csv_path, supply_v=3.0, marker="D0")
    assert a.format == "ppk2-file" and b.format == "ppk2"
    assert a.summary["n_events"] == b.summary["n_events"] == truth.n_bursts
    for key in ("event_duration_s", "event_energy_j", "event_charge_c", "average_current_a", "floor_current_a"):
        assert a.summary[key] == pytest.approx(b.summary[key], rel=1e-4), key
    # and both against the known truth: marker window of 90 ms around a 12 mA x 80 ms burst at 3.0 V
    assert a.summary["event_energy_j"] == pytest.approx(truth.marker_energy_j, rel=5e-3)


def test_ppk2_through_the_cli(tmp_path, capsys):
    truth = tf.Truth(sample_rate_hz=10_000.0, duration_s=2.5)
    t, i, _, marker = tf.signals(truth, seed=2)
    codes = [[1, 2 if marker[k] else 1] + [1] * 6 for k in range(len(t))]   # marker on D1
    path = write_ppk2(tmp_path / "rec.ppk2", (i * 1e6).astype("<f4"), codes, rate=10_000)
    cli_ok("measure", str(path), "--marker", "D1", "--supply-v", "3.0", "--json")
    d = json.loads(capsys.readouterr().out)
    assert d["format"] == "ppk2-file" and d["summary"]["n_events"] == truth.n_bursts
    assert d["summary"]["event_duration_s"] == pytest.approx(truth.burst_s + 2 * truth.marker_pad_s, abs=2e-4)
    events = tmp_path / "events.csv"
    cli_ok("measure", str(path), "--marker", "D1", "--supply-v", "3.0", "--csv", str(events))
    rows = list(csv.DictReader(events.open()))
    assert len(rows) == truth.n_bursts
    assert float(rows[0]["energy_j"]) == pytest.approx(truth.marker_energy_j, rel=5e-3)
    capsys.readouterr()
    err = refused(capsys, "measure", str(path), "--marker", "D1", "--supply-v", "3.0", "--csv", str(events))
    assert "--force" in err   # never overwrites a file unasked


# ------------------------------------------------------------------------------------------ legacy .ppk
def _bson_double_doc(key: str, value: float) -> bytes:
    """A one-field BSON document {key: double}, by the BSON spec: int32 size, 0x01 key\\0 float64, 0x00."""
    body = b"\x01" + key.encode() + b"\x00" + struct.pack("<d", value)
    return struct.pack("<i", 4 + len(body) + 1) + body + b"\x00"


def _block(data: bytes) -> bytes:
    return struct.pack("<I", len(data)) + data


@pytest.mark.parametrize("wrapped", [True, False], ids=["zlib", "raw-deflate"])
def test_legacy_ppk_round_trip(tmp_path, wrapped):
    rng = np.random.default_rng(3)
    n = 500
    current = (rng.random(n) * 20000).astype("<f4")
    bits = rng.integers(0, 256, n).astype("<u2")                     # one bit per channel, D0 = bit 0
    meta = b"\x03options\x00" + _bson_double_doc("samplesPerSecond", 100000.0)
    meta = struct.pack("<i", 4 + len(meta) + 1) + meta + b"\x00"     # {"options": {"samplesPerSecond": 1e5}}
    stream = _block(meta) + _block(current.tobytes()) + _block(bits.tobytes())
    comp = zlib.compressobj(wbits=zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
    path = tmp_path / "old.ppk"
    path.write_bytes(comp.compress(stream) + comp.flush())
    src = open_trace(path)
    assert src.format == "ppk-legacy" and src.sample_rate_hz == 100_000 and src.n_samples == n
    chunks = list(src.chunks(chunk_samples=128))
    assert [len(c) for c in chunks] == [128, 128, 128, 116]
    back = np.concatenate([c.current_a for c in chunks])
    assert np.array_equal((back / 1e-6).astype("<f4").view("<u4"), current.view("<u4"))
    for k in range(8):
        got = np.concatenate([c.digital[f"D{k}"] for c in chunks])
        assert got.tolist() == [bool(int(b) >> k & 1) for b in bits]


# ------------------------------------------------------------------------------------------ bad files

def test_zip_without_session_raw_is_one_line(tmp_path, capsys):
    path = write_ppk2(tmp_path / "x.ppk2", [1.0, 2.0], [[1] * 8] * 2, session=False)
    err = refused(capsys, "measure", str(path), "--supply-v", "3")
    assert "no session.raw" in err and "metadata.json" in err


def test_truncated_frame_is_one_line(tmp_path, capsys):
    path = write_ppk2(tmp_path / "x.ppk2", [1.0, 2.0, 3.0], [[1] * 8] * 3, tail=b"\x00\x00\x80")
    err = refused(capsys, "measure", str(path), "--supply-v", "3")
    assert "partial 6-byte frame" in err and "3 byte(s)" in err


def test_sample_rate_of_zero_is_one_line(tmp_path, capsys):
    path = write_ppk2(tmp_path / "x.ppk2", [1.0, 2.0, 3.0], [[1] * 8] * 3, rate=0)
    err = refused(capsys, "measure", str(path), "--supply-v", "3")
    assert "sample rate is 0 Hz" in err


def test_damaged_zip_and_damaged_ppk_are_one_line(tmp_path, capsys):
    good = write_ppk2(tmp_path / "x.ppk2", [1.0] * 100, [[1] * 8] * 100, compression=zipfile.ZIP_STORED)
    cut = tmp_path / "cut.ppk2"
    cut.write_bytes(good.read_bytes()[:300])
    assert "cut.ppk2" in refused(capsys, "measure", str(cut), "--supply-v", "3")
    old = tmp_path / "old.ppk"
    old.write_bytes(b"this is not deflate data at all")
    assert "old.ppk" in refused(capsys, "measure", str(old), "--supply-v", "3")
