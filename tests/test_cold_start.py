"""Issue 13, cold start: ``energy estimate`` (``--json`` or its tables) computes with plain rows and numpy and reads only the catalog
files it needs; the pandas objects of a result are made when they are read, and they hold the same numbers as the
JSON written without them. (The time itself is measured by ``benchmarks/cold_start.py``, not here.)"""
from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import joulescope_free as jf
from joulescope_free.datafile import load_toml
from joulescope_free.hardware.cycles import layer_arrays

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "mlperf_tiny"
KWS = DATA / "kws_ds_cnn_int8.tflite"

PROBE = """
import contextlib, io, json, sys
from pathlib import Path
sys.argv = ["energy", "estimate", {model!r}, "--mcu", "nrf52840", "--duty", "1/min", "--battery", "cr2032", *{extra!r}]
from joulescope_free.cli import app
from joulescope_free.hardware import catalog
parsed = []
real = catalog.mcu_from_toml
catalog.mcu_from_toml = lambda path: parsed.append(Path(path).stem) or real(path)
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        app()
    except SystemExit as e:
        assert not e.code, e.code
text = out.getvalue()
life = json.loads(text)["summary"]["battery_life_days"] if "--json" in sys.argv else "battery life" in text
print(json.dumps({{"modules": sorted(m for m in ("pandas", "scipy", "matplotlib", "tensorflow") if m in sys.modules),
                  "parsed": parsed, "life": life}}))
"""


@pytest.mark.parametrize("extra", [["--json"], []], ids=["json", "tables"])
def test_estimate_imports_no_pandas_and_reads_only_the_parts_it_needs(extra):
    run = subprocess.run([sys.executable, "-c", PROBE.format(model=str(KWS), extra=extra)], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["modules"] == []
    # the part asked for, and the parts whose measured inference current sets the workload factor
    measured = {p["mcu"] for p in load_toml(ROOT / "power_models/inference_current.toml")["point"]}
    assert measured and sorted(seen["parsed"]) == sorted({"nrf52840"} | measured)
    assert seen["life"] > 0 if extra else seen["life"] is True


@pytest.mark.parametrize("kw", [dict(mcu="nrf52840"),
                                dict(mcu="stm32l4r5", duty="1/min", battery="cr2032"),
                                dict(mcu="esp32s3", duty="every 10 min", clock_mhz="best")])
def test_json_without_tables_equals_json_from_the_tables(kw):
    lazy = jf.estimate(KWS, **kw)
    text = lazy.to_json()                          # written from plain rows: no table made yet
    assert "_summary" in vars(lazy) and not isinstance(vars(lazy)["_layers"], pd.DataFrame)
    built = jf.estimate(KWS, **kw)
    assert isinstance(built.summary, pd.Series) and isinstance(built.layers, pd.DataFrame)
    assert isinstance(built.phases, pd.DataFrame)
    assert json.loads(text) == json.loads(built.to_json())  # now written from the pandas objects
    doc = json.loads(text)
    assert len(doc["layers"]) == len(built.layers) and len(doc["phases"]) == len(built.phases)
    assert sum(r["macs"] for r in doc["layers"]) == doc["summary"]["macs"]


def test_an_unread_estimate_pickles_and_builds_its_tables_afterwards():
    r = jf.estimate(KWS, mcu="nrf52840", duty="1/min")
    again = pickle.loads(pickle.dumps(r))          # e.g. sent back from a worker process
    assert list(again.phases["name"]) == list(r.phases["name"])
    pd.testing.assert_frame_equal(again.layers, r.layers)
    assert again.summary["latency_s"] == r.summary["latency_s"]


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.tflite")))
def test_cycle_model_reads_rows_and_tables_alike(name):
    analysis = jf.analyze(DATA / name).attrs["analysis"]
    from_rows, from_table = layer_arrays(analysis.records), layer_arrays(analysis.layers)
    for field in ("kind", "macs", "outs", "k", "chans", "is_float", "is_int16", "in_elems", "out_bytes",
                  "weights_bytes", "weight_elem_bytes"):
        np.testing.assert_array_equal(getattr(from_rows, field), getattr(from_table, field), err_msg=field)
    assert from_rows.shapes.kind == from_table.shapes.kind
    assert from_rows.shapes.geometry == from_table.shapes.geometry
    for feature, values in from_rows.shapes.features.items():
        np.testing.assert_array_equal(values, from_table.shapes.features[feature], err_msg=feature)
    assert from_rows.macs.sum() == analysis.summary["macs"]
