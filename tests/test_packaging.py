"""The built wheel carries its data files and `energy` works from another folder without the source tree."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KWS = ROOT / "tests" / "data" / "mlperf_tiny" / "kws_ds_cnn_int8.tflite"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("build")
    pytest.importorskip("hatchling")
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return next(out.glob("joulescope_free-*.whl"))


def test_wheel_contains_every_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, pattern in (("power_models", "**/*.toml"), ("profiles", "**/*.toml"), ("power_models", "reference/*")):
        for path in (ROOT / folder).glob(pattern):
            assert f"joulescope_free/_data/{folder}/{path.relative_to(ROOT / folder).as_posix()}" in names
    assert "joulescope_free/_data/validation/mlperf_tiny_calibration.csv" in names
    assert "joulescope_free/_data/validation/kws_ds_cnn_int8.tflite" in names
    assert not any(n.startswith("tests/") for n in names)


def test_installed_wheel_runs_from_another_folder(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import joulescope_free; print(joulescope_free.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True)
    assert where.stdout.strip().startswith(str(site))
    proc = subprocess.run([sys.executable, "-m", "joulescope_free.cli", "estimate", str(KWS), "--mcu", "cortex-m4",
                           "--duty", "1/min", "--battery", "cr2032", "--json"],
                          cwd=elsewhere, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["summary"]["macs"] == 2_656_768 and doc["summary"]["battery_life_days"] > 0
    val = subprocess.run([sys.executable, "-m", "joulescope_free.cli", "validate", "--json"],
                         cwd=elsewhere, env=env, capture_output=True, text=True)
    assert val.returncode == 0, val.stderr
    assert json.loads(val.stdout)["summary"]["latency"]["n"] == 104
