"""``--json`` prints only JSON on stdout, checked through the real CLI in a subprocess (issue 10): TensorFlow's
converter log must not land on stdout, where it breaks ``energy analyze m.keras --json | jq``."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def test_analyze_keras_json_prints_only_json(tmp_path):
    tf = pytest.importorskip("tensorflow")
    inp = tf.keras.Input((10, 10, 2))
    x = tf.keras.layers.Conv2D(4, 3)(inp)           # 8x8x4 outputs x 3*3*2 taps = 4608 MACs
    x = tf.keras.layers.Dense(3)(tf.keras.layers.Flatten()(x))   # 3 x 256 = 768 MACs
    path = tmp_path / "m.keras"
    tf.keras.Model(inp, x).save(path)
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))  # no cached conversion: TF really runs
    run = subprocess.run([sys.executable, "-m", "joulescope_free.cli", "analyze", str(path), "--json"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    data = json.loads(run.stdout)       # the whole of stdout is one JSON document
    assert data["summary"]["macs"] == 8 * 8 * 4 * 3 * 3 * 2 + 3 * 256
    assert "Saved artifact" not in run.stdout
