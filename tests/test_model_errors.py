"""Bad input to `energy analyze`: one line, exit status 2, no traceback; and a lean import path."""
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from joulescope_free.errors import UserError
from joulescope_free.model.analysis import analyze_bytes, analyze_path

ROOT = Path(__file__).resolve().parents[1]
VWW = ROOT / "tests" / "data" / "mlperf_tiny" / "vww_mobilenet_v1_025_96_int8.tflite"


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("model.json", "{}")
    return buf.getvalue()


BAD = {
    "empty": (b"", "empty"),
    "random": (bytes(range(256)) * 4, "TFL3"),
    "zip": (_zip_bytes(), "zip"),
    # an ONNX file starts with a protobuf field (ir_version) and names its producer early on
    "onnx": (b"\x08\x07\x12\x07pytorch\x1a\x032.1:\x00" + b"\x00" * 32, "ONNX"),
    "truncated": (VWW.read_bytes()[:30000], "truncated"),
    "header_only": (VWW.read_bytes()[:8], "corrupt"),
    "tiny": (b"TFL", "too short"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_bytes_raise_one_line_user_error(name):
    data, needle = BAD[name]
    with pytest.raises(UserError) as err:
        analyze_bytes(data, f"{name}.tflite")
    message = str(err.value)
    assert "\n" not in message and f"{name}.tflite" in message
    assert needle.lower() in message.lower()


def test_flipped_bytes_never_traceback():
    data = bytearray(VWW.read_bytes())
    for pos in range(8, len(data), 4099):  # corrupt offsets all through the file
        data[pos] ^= 0xFF
    try:
        analyze_bytes(bytes(data), "flipped.tflite")
    except UserError:
        pass  # either analysed or refused in one line, never another exception


def test_missing_path_and_directory(tmp_path):
    with pytest.raises(UserError, match="not found"):
        analyze_path(tmp_path / "nope.tflite")
    with pytest.raises(UserError, match="directory"):
        analyze_path(tmp_path)


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "joulescope_free.cli", "analyze", *args], capture_output=True,
                          text=True, cwd=cwd or ROOT, timeout=60)


def test_cli_exit_2_without_traceback(tmp_path):
    bad = tmp_path / "model.onnx"
    bad.write_bytes(BAD["onnx"][0])
    for target in (bad, tmp_path / "missing.tflite", tmp_path):
        proc = _cli(str(target))
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and proc.stderr.startswith("error: ")
        assert len(proc.stderr.strip().splitlines()) == 1


def test_cli_json_csv_and_no_tensorflow_import(tmp_path):
    csv = tmp_path / "layers.csv"
    code = (
        "import sys, json, io, contextlib\n"
        "from joulescope_free.cli import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n"
        f"        main(['analyze', {str(VWW)!r}, '--json', '--csv', {str(csv)!r}])\n"
        "    except SystemExit as e:\n"
        "        assert e.code in (0, None), e.code\n"
        "doc = json.loads(buf.getvalue())\n"
        "print(doc['summary']['macs'], 'tensorflow' in sys.modules, 'tflite_micro' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["7489664", "False", "False"]
    lines = csv.read_text().splitlines()
    assert lines[0].startswith("index,op,kind") and len(lines) == 1 + 31


def test_csv_never_overwrites_a_directory(tmp_path):
    proc = _cli(str(VWW), "--csv", str(tmp_path))
    assert proc.returncode == 2 and "directory" in proc.stderr


def test_import_package_does_not_import_tensorflow():
    code = "import sys, joulescope_free, joulescope_free.model.analysis; print('tensorflow' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.stdout.strip() == "False"
