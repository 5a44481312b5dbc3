"""Sweeps at scale (issue 13): ``energy sweep`` over files and folders, the analysis cache by file hash, one error
row per unreadable model, CSV/Parquet output, a Dask LocalCluster, and every returned column identical to
``jf.estimate`` row by row."""
from __future__ import annotations

import csv
import hashlib
import math
import random
import shutil

import numpy as np
import pandas as pd
import pytest

import joulescope_free as jf
from joulescope_free import sweeps as sweep_mod
from joulescope_free.api import SWEEP_COLUMNS
from test_estimate import KWS, VWW, run_cli  # noqa: E402


@pytest.fixture
def zoo(tmp_path, monkeypatch):
    """A folder with two real models (one in a subfolder) and a file that is no model; a private cache."""
    monkeypatch.setenv(sweep_mod.CACHE_ENV, str(tmp_path / "cache"))
    folder = tmp_path / "zoo"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(KWS, folder / "kws.tflite")
    shutil.copy(VWW, folder / "sub" / "vww.tflite")
    (folder / "broken.tflite").write_bytes(b"not a flatbuffer at all, just text")
    (folder / "notes.txt").write_text("ignored: not a .tflite")
    return folder


def _same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return a == b


def _expected_row(r) -> dict:
    """What ``jf.estimate`` says for one sweep row's inputs, in the sweep's columns."""
    e = jf.estimate(r["model_path"], r["mcu"], runtime=r["runtime"], clock_mhz=r["clock_hz"] / 1e6,
                    duty=r["duty"], battery=r["battery"])
    s = e.summary
    out = {k: s.get(k) for k in SWEEP_COLUMNS if k in s.index}
    out.update(runtime=e.target["runtime"], clock_hz=e.target["clock_hz"], supply_v=e.target["supply_v"])
    return out


def test_cli_sweeps_a_folder_with_one_error_row_per_unreadable_model(zoo, tmp_path, capsys):
    out_csv = tmp_path / "rows.csv"
    code, out, err = run_cli(capsys, "sweep", zoo, "--mcu", "nrf52840,stm32l4r5", "--duty", "1/min",
                             "--duty", "1/s", "--battery", "cr2032", "-o", out_csv, "--jobs", "2")
    assert code == 0, err
    frame = pd.read_csv(out_csv)
    # 2 readable models x 2 MCUs x 2 rates x 1 battery = 8 rows, + 1 row for broken.tflite; notes.txt is skipped
    assert len(frame) == 9 and "wrote" in out and "9 rows" in out
    bad = frame[frame["model"] == "broken.tflite"]
    assert len(bad) == 1 and bad["error"].iloc[0] and bad["latency_s"].isna().all()
    good = frame[frame["model"] != "broken.tflite"]
    assert good["error"].isna().all() and set(good["model"]) == {"kws.tflite", "vww.tflite"}
    assert sorted(good["duty"].unique()) == ["1/min", "1/s"]
    # one row checked against a separate estimate of the same file
    row = good[(good["model"] == "vww.tflite") & (good["mcu"] == "stm32l4r5") & (good["duty"] == "1/s")].iloc[0]
    e = jf.estimate(zoo / "sub" / "vww.tflite", "stm32l4r5", duty="1/s", battery="cr2032")
    assert row["energy_per_inference_j"] == pytest.approx(e.summary["energy_per_inference_j"], rel=1e-12)
    assert row["battery_life_days"] == pytest.approx(e.summary["battery_life_days"], rel=1e-12)
    with out_csv.open(newline="") as fh:  # fits_ram as True/False beside the error row, not 1.0
        cells = {r["model"]: r["fits_ram"] for r in csv.DictReader(fh)}
    assert cells == {"kws.tflite": "True", "vww.tflite": "True", "broken.tflite": ""}


def test_the_analysis_cache_is_keyed_by_the_file_hash_and_a_rerun_reads_no_model(zoo, monkeypatch):
    cache = sweep_mod.AnalysisCache()
    first = sweep_mod.sweep_models([zoo / "kws.tflite"], "nrf52840", duty="1/min", cache=cache, jobs=1)
    sha = hashlib.sha256(KWS.read_bytes()).hexdigest()   # the cache file is named by the bytes' SHA-256
    assert (cache.folder / f"{sha}.pickle").is_file()

    def no_analysis(*args, **kwargs):
        raise AssertionError("the model was analysed again")

    monkeypatch.setattr("joulescope_free.model.analysis.analyze_path", no_analysis)
    copy = zoo / "same-bytes-other-name.tflite"           # same bytes, another name: still a cache hit
    shutil.copy(KWS, copy)
    again = sweep_mod.sweep_models([copy], "nrf52840", duty="1/min", cache=cache, jobs=1)
    assert again["model"].tolist() == ["same-bytes-other-name.tflite"]
    assert again["energy_per_inference_j"].tolist() == first["energy_per_inference_j"].tolist()
    assert again["battery_life_days"].tolist() == first["battery_life_days"].tolist()


def test_parquet_output_round_trips_and_bad_outputs_are_one_line(zoo, tmp_path, capsys):
    pytest.importorskip("pyarrow")
    target = tmp_path / "rows.parquet"
    code, _, err = run_cli(capsys, "sweep", zoo / "kws.tflite", "--mcu", "esp32s3", "--duty", "1/h", "-o", target)
    assert code == 0, err
    frame = pd.read_parquet(target)
    assert list(frame.columns) == SWEEP_COLUMNS and len(frame) == 1
    e = jf.estimate(KWS, "esp32s3", duty="1/h")
    assert frame["average_current_a"].iloc[0] == e.summary["average_current_a"]
    code, _, err = run_cli(capsys, "sweep", zoo / "kws.tflite", "--mcu", "esp32s3", "-o", target)
    assert code == 2 and "already exists" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "sweep", zoo / "kws.tflite", "--mcu", "esp32s3", "-o", tmp_path / "rows.xlsx")
    assert code == 2 and ".csv or .parquet" in err and err.count("\n") == 1
    code, _, err = run_cli(capsys, "sweep", tmp_path / "missing.tflite", "--mcu", "esp32s3", "-o", tmp_path / "x.csv")
    assert code == 0, err                                 # a path that does not exist: an error row, nothing stops
    missing = pd.read_csv(tmp_path / "x.csv")
    assert len(missing) == 1 and "file not found" in missing["error"].iloc[0]
    (tmp_path / "none").mkdir()
    code, _, err = run_cli(capsys, "sweep", tmp_path / "none", "--mcu", "esp32s3", "-o", tmp_path / "y.csv")
    assert code == 2 and "no .tflite files" in err


def test_sweep_rows_equal_estimate_on_a_random_sample_including_band_and_battery_columns():
    table = jf.sweep([KWS, VWW], mcu=["nrf52840", "stm32l4r5", "esp32s3", "rp2040"], clock_mhz=[None, 48],
                     duty=["1/s", "every 10 min", "1/h"], battery=["cr2032", "2xaa-alkaline"])
    ok = table[table["error"].isna()]
    assert len(ok) > 40
    for i in random.Random(13).sample(range(len(ok)), 12):
        row = ok.iloc[i]
        for column, value in _expected_row(row).items():
            assert _same(row[column], value), (i, column, row[column], value)


def test_sweep_on_a_dask_local_cluster_gives_the_same_table(tmp_path, capsys, monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv(sweep_mod.CACHE_ENV, str(tmp_path / "cache"))
    kwargs = dict(mcu=["nrf52840", "stm32l4r5"], duty=["1/min", "1/s"], battery="cr2032")
    local = jf.sweep([KWS, VWW], **kwargs)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
            distributed.Client(lc) as client:
        remote = jf.sweep([KWS, VWW], client=client, **kwargs)
        assert len(client.scheduler_info()["workers"]) == 2
        out_csv = tmp_path / "rows.csv"   # the CLI on the same cluster, by its address
        code, _, err = run_cli(capsys, "sweep", KWS, VWW, "--mcu", "nrf52840,stm32l4r5", "--duty", "1/min,1/s",
                               "--battery", "cr2032", "--scheduler", lc.scheduler_address, "-o", out_csv)
        assert code == 0, err
    pd.testing.assert_frame_equal(remote, local)
    from_cli = pd.read_csv(out_csv)
    assert len(from_cli) == len(local) and from_cli["error"].isna().all()
    assert from_cli["battery_life_days"].tolist() == pytest.approx(local["battery_life_days"].tolist(), rel=1e-12)


def test_vectorised_blocks_equal_the_chain_row_by_row_errors_included():
    # every kind of row: valid ones, a clock above some parts' maximum, a fixed-clock part, a pack outside a part's
    # supply range, a rate too fast for the slow clock, continuous and a bad duty (both left to the chain), the
    # default battery, no battery, an inline battery
    kwargs = dict(mcu=["nrf52840", "stm32l4r5", "apollo3", "esp32s3", "cortex-m4"], clock_mhz=[None, 8, 100],
                  duty=["1/s", "50/s", "every 10 min", 0.01, "continuous", "often"],
                  battery=[None, "cr2032", "er14505", "none", {"id": "pack", "nominal_v": 3.0, "capacity_mah": 80}])
    fast = jf.sweep([KWS, VWW], **kwargs)
    slow = jf.sweep([KWS, VWW], vectorised=False, **kwargs)
    pd.testing.assert_frame_equal(fast, slow)
    errors = fast["error"].dropna()
    assert fast["error"].isna().sum() > 100 and len(errors) > 100
    assert errors.str.contains("faster than the inference").any() and errors.str.contains("above").any()
    # an error row still says which combination it is: the clock asked for
    above = fast[fast["error"].fillna("").str.startswith("clock 100 MHz is above the nrf52840 maximum")]
    assert len(above) and (above["clock_hz"] == 100e6).all() and (above["mcu"] == "nrf52840").all()


def test_best_clock_rows_are_the_clocks_estimate_finds():
    table = jf.sweep([KWS], mcu=["stm32l4r5", "nrf52840"], clock_mhz=["best", 64], duty=["1/min", "1/s"])
    best = table.iloc[[0, 1, 4, 5]]  # per part: the "best" rows come first, then the 64 MHz ones
    assert best["error"].isna().all()
    for _, row in best.iterrows():
        e = jf.estimate(KWS, row["mcu"], duty=row["duty"], clock_mhz="best")
        assert row["clock_hz"] == e.target["clock_hz"]
        assert row["average_current_a"] == pytest.approx(e.summary["average_current_a"], rel=1e-12)
    l4 = table[table["mcu"] == "stm32l4r5"]  # the search found a clock below the maximum with less current
    assert (l4["clock_hz"].iloc[:2] < 64e6).all()
    assert (l4["average_current_a"].iloc[:2].to_numpy() < l4["average_current_a"].iloc[2:].to_numpy()).all()


def test_cli_refuses_a_misspelt_name_before_the_run(zoo, tmp_path, capsys):
    for flags, words in ((["--mcu", "nrf52840,nrf5284"], "did you mean nrf52840"),
                         (["--mcu", "esp32s3", "--battery", "cr2033"], "did you mean cr2032"),
                         (["--mcu", "esp32s3", "--duty", "1/min,1/fortnight"], "fortnight")):
        code, _, err = run_cli(capsys, "sweep", zoo, *flags, "-o", tmp_path / "rows.csv")
        assert code == 2 and words in err and err.count("\n") == 1, err
    assert not (tmp_path / "rows.csv").exists()


def test_many_models_are_swept_in_parallel_processes_with_the_same_rows(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(9):  # enough models for chunks in 2 processes (at least 4 per process)
        shutil.copy(KWS if i % 2 else VWW, folder / f"m{i}.tflite")
    kwargs = dict(mcu=["nrf52840", "esp32s3"], duty=["1/min", "1/s"], battery="cr2032")
    parallel = sweep_mod.sweep_models([folder], jobs=2, **kwargs)
    serial = sweep_mod.sweep_models([folder], jobs=1, **kwargs)
    pd.testing.assert_frame_equal(parallel, serial)
    assert parallel["model"].tolist() == [f"m{i}.tflite" for i in range(9) for _ in range(4)]
    np.testing.assert_array_equal(  # NaN on the rows a CR2032 cannot power (the esp32s3) compare equal here
        parallel.loc[parallel["model"] == "m1.tflite", "energy_per_inference_j"].to_numpy(dtype=float),
        jf.sweep(KWS, **kwargs)["energy_per_inference_j"].to_numpy(dtype=float))
