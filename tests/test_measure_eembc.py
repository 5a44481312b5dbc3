"""EEMBC EnergyRunner runs (issue 22): the three shipped MLPerf Tiny runs (tests/data/traces/eembc, copied unchanged
from the public result repositories) measured against the figures EnergyRunner itself stated in their results.txt,
which are typed in below by hand; a calibration from one run predicting other MLPerf Tiny models on the same
part, compared with the published figures; and one-line errors for damaged runs."""
from __future__ import annotations

import csv
import json
import shutil
import struct
from pathlib import Path

import pytest
from helpers import cli_ok, refused

from joulescope_free.errors import UserError
from joulescope_free.measure.api import measure

DATA = Path(__file__).parent / "data"
EEMBC = DATA / "traces" / "eembc"
MLPERF = DATA / "mlperf_tiny"
KRAI = EEMBC / "v1.1/closed/Krai/results/NUCLEO-L4R5ZI_X-CUBE-AI-8.0/kws/energy"
ST = EEMBC / "v1.1/closed/STMicroelectronics/results/NUCLEO_U575ZI_Q/kws/energy"
OCTOML = EEMBC / "v1.0/closed/OctoML/results/microtvm_cmsis_nn/NUCLEO_L4R5ZI/kws/energy"

# results.txt of each run, as published: window number -> (energy [µJ], power [µW], energy per inference [µJ]),
# the stated median [µJ/inf] and the inference count per window of log.txt ("io dut infer N 1")
STATED = {
    KRAI: ({2: (822371.660, 75357.066, 5482.478), 4: (822193.830, 75326.966, 5481.292),
            6: (822244.900, 75317.844, 5481.633), 8: (822233.000, 75344.360, 5481.553),
            10: (822567.680, 75368.122, 5483.785)}, 5481.633, 150),
    ST: ({2: (301266.371, 26219.876, 1004.221), 4: (301567.309, 26250.636, 1005.224),
          6: (301185.990, 26215.161, 1003.953), 8: (301417.210, 26228.438, 1004.724),
          10: (301256.040, 26225.824, 1004.187)}, 1004.221, 300),
    OCTOML: ({2: (575449.020, 52289.779, 5231.355), 4: (574767.590, 52242.101, 5225.160),
              6: (575329.990, 52283.714, 5230.273), 8: (575379.480, 52283.460, 5230.723),
              10: (575287.000, 52284.559, 5229.882)}, 5230.273, 110),
}


@pytest.mark.parametrize("run", list(STATED), ids=["krai-l4r5", "st-u575", "octoml-l4r5"])
def test_shipped_runs_reproduce_the_stated_window_energies_and_median(run):
    windows, median_uj, per_window = STATED[run]
    m = measure(run)
    assert m.format == "eembc"
    assert list(m.windows["window"]) == list(windows)
    for row in m.windows.to_dict("records"):
        energy_uj, power_uw, per_inf_uj = windows[row["window"]]
        assert row["n_inferences"] == per_window
        assert row["energy_j"] * 1e6 == pytest.approx(energy_uj, rel=5e-3)
        assert row["average_power_w"] * 1e6 == pytest.approx(power_uw, rel=5e-3)
        assert row["energy_per_inference_j"] * 1e6 == pytest.approx(per_inf_uj, rel=5e-3)
        # and the stated figures it prints beside them are the file's
        assert row["stated_energy_j"] * 1e6 == pytest.approx(energy_uj, rel=1e-9)
    s = m.summary
    assert s["energy_per_inference_j"] * 1e6 == pytest.approx(median_uj, rel=5e-3)
    assert s["stated_energy_per_inference_j"] * 1e6 == pytest.approx(median_uj, rel=1e-9)
    assert abs(s["energy_per_inference_difference"]) < 5e-3
    assert s["n_inferences"] == 5 * per_window and s["inferences_per_window"] == per_window
    assert s["sample_rate_hz"] == 1000.0 and s["meter"] == "lpm01a" and s["benchmark"] == "kws"
    assert any("not resolved" in n for n in m.notes)


def test_the_bin_file_itself_gives_the_same_run_and_supply_gives_a_current():
    by_folder = measure(KRAI)
    by_file = measure(KRAI / "trace1-energy.bin", supply_v=3.3)
    assert by_file.summary["energy_per_inference_j"] == by_folder.summary["energy_per_inference_j"]
    # the log's "emon: m-voltage-mv[3000]" is the 3.0 V the submission's system description states (SOURCES.md):
    # 75.34 mW stated mean power / 3.0 V = 25.1 mA
    assert by_folder.summary["supply_v"] == 3.0
    assert by_folder.summary["inference_current_a"] == pytest.approx(75.3428e-3 / 3.0, rel=1e-3)
    assert any("m-voltage-mv" in n for n in by_folder.notes)
    # a given supply wins, and the disagreement is noted
    assert by_file.summary["inference_current_a"] == pytest.approx(75.3428e-3 / 3.3, rel=1e-3)
    assert any("--supply-v 3.3" in n and "3 V" in n for n in by_file.notes)
    assert measure(ST).summary["supply_v"] == 1.8   # "Operating at 1.8V / SMPS"


def test_a_folder_tree_is_one_table_json_and_csv(tmp_path, capsys):
    cli_ok("measure", str(EEMBC), "--json")
    d = json.loads(capsys.readouterr().out)
    assert d["format"] == "eembc" and len(d["runs"]) == 3
    by_system = {r["system"]: r for r in d["runs"]}
    assert set(by_system) == {"NUCLEO-L4R5ZI_X-CUBE-AI-8.0", "NUCLEO_U575ZI_Q", "microtvm_cmsis_nn/NUCLEO_L4R5ZI"}
    assert by_system["NUCLEO_U575ZI_Q"]["energy_per_inference_j"] * 1e6 == pytest.approx(1004.221, rel=5e-3)
    assert by_system["NUCLEO_U575ZI_Q"]["submitter"] == "STMicroelectronics"
    out = tmp_path / "runs.csv"
    cli_ok("measure", str(EEMBC), "--csv", str(out))
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 3
    krai = next(r for r in rows if r["submitter"] == "Krai")
    assert float(krai["energy_per_inference_j"]) * 1e6 == pytest.approx(5481.633, rel=5e-3)
    assert float(krai["stated_energy_per_inference_j"]) * 1e6 == pytest.approx(5481.633, rel=1e-9)
    assert "Krai" in capsys.readouterr().out  # the table is printed too


def test_single_run_json_has_windows_beside_the_stated_figures(capsys):
    cli_ok("measure", str(ST), "--json", "--supply-v", "1.8")
    d = json.loads(capsys.readouterr().out)
    assert len(d["windows"]) == 5
    w = d["windows"][0]
    assert w["window"] == 2 and w["stated_energy_per_inference_j"] * 1e6 == pytest.approx(1004.221)
    assert d["summary"]["supply_v"] == 1.8
    assert d["summary"]["inference_current_a"] == pytest.approx(d["summary"]["average_power_w"] / 1.8)


# ------------------------------------------------------------------------------------------ calibrate
def _published_uj(submitter: str, board: str, runtime_detail: str, benchmark: str) -> float:
    rows = [r for r in csv.DictReader((MLPERF / "mlperf_tiny_calibration.csv").open())
            if r["submitter"] == submitter and r["board"] == board and r["runtime_detail"] == runtime_detail
            and r["benchmark"] == benchmark and r["round"] == "v1.1"]
    assert len(rows) == 1, rows
    return float(rows[0]["energy_uj"])


def test_calibrating_from_a_run_estimates_another_model_on_the_same_part(tmp_path, capsys):
    """Krai's kws run on the NUCLEO-L4R5ZI (X-CUBE-AI 8.0, 120 MHz, 3.0 V per the system description) calibrates
    the board; the calibrated estimate of ic_resnet8 then stands beside Krai's published ic figure."""
    board = tmp_path / "krai.toml"
    cli_ok("calibrate", str(KRAI), "--model", str(MLPERF / "kws_ds_cnn_int8.tflite"), "--mcu", "stm32l4r5",
             "--runtime", "x-cube-ai@8.0", "--clock-mhz", "120", "--supply-v", "3.0", "-o", str(board), "--json")
    d = json.loads(capsys.readouterr().out)
    assert d["sleep_current_a"] is None  # back-to-back inferences: no idle time measured
    assert any("cannot resolve single inferences" in n for n in d["notes"])
    row = d["traces"][0]
    assert row["format"] == "eembc" and row["n_events"] == 750
    # window averages: 10.913-10.916 s windows of 150 inferences, 75.34 mW / 3.0 V
    assert row["event_duration_s"] == pytest.approx(10.914 / 150, rel=1e-3)
    assert row["inference_current_a"] == pytest.approx(75.3428e-3 / 3.0, rel=1e-3)

    def estimate_uj(model: str) -> float:
        cli_ok("estimate", str(MLPERF / model), "--mcu", "stm32l4r5", "--runtime", "x-cube-ai@8.0",
                 "--clock-mhz", "120", "--supply-v", "3.0", "--power-model", str(board), "--json")
        return json.loads(capsys.readouterr().out)["summary"]["energy_per_inference_j"] * 1e6

    # the calibrated board reproduces the run it was calibrated from ...
    assert estimate_uj("kws_ds_cnn_int8.tflite") == pytest.approx(5481.633, rel=5e-3)
    # ... and predicts the published ic figure of the same board and runtime (17315.1 µJ) within 15 %
    published = _published_uj("Krai", "NUCLEO-L4R5ZI", "X-CUBE-AI v8.0.0", "ic")
    assert published == pytest.approx(17315.1)
    ratio = estimate_uj("ic_resnet8_int8.tflite") / published
    assert 0.85 < ratio < 1.15, ratio


def test_calibrating_from_a_run_without_supply_is_one_line(tmp_path, capsys):
    run = _copy_run(tmp_path)
    log = run / "log.txt"
    log.write_text("".join(ln for ln in log.read_text().splitlines(True) if "m-voltage-mv" not in ln))
    err = refused(capsys, "calibrate", str(run), "--model", str(MLPERF / "kws_ds_cnn_int8.tflite"), "--mcu",
                  "stm32l4r5", "-o", str(tmp_path / "b.toml"))
    assert "--supply-v" in err and "Operating at" in err
    assert not (tmp_path / "b.toml").exists()


# ------------------------------------------------------------------------------------------ bad runs
def _copy_run(tmp_path) -> Path:
    run = tmp_path / "closed" / "X" / "results" / "board" / "kws" / "energy"
    shutil.copytree(KRAI, run)
    for p in run.iterdir():
        p.chmod(0o644)
    return run



def test_a_run_without_timestamps_is_one_line(tmp_path, capsys):
    run = _copy_run(tmp_path)
    (run / "trace1-timestamps.json").unlink()
    err = refused(capsys, "measure", str(run))
    assert "trace1-timestamps.json" in err and "window edges" in err


def test_a_sample_rate_of_zero_is_one_line(tmp_path, capsys):
    run = _copy_run(tmp_path)
    data = bytearray((run / "trace1-energy.bin").read_bytes())
    data[1:5] = struct.pack("<f", 0.0)
    (run / "trace1-energy.bin").write_bytes(bytes(data))
    err = refused(capsys, "measure", str(run / "trace1-energy.bin"))
    assert "sample rate is 0 Hz" in err


def test_a_truncated_bin_and_a_foreign_bin_are_one_line(tmp_path, capsys):
    run = _copy_run(tmp_path)
    with (run / "trace1-energy.bin").open("ab") as fh:
        fh.write(b"\x00\x01")
    assert "partial 4-byte sample" in refused(capsys, "measure", str(run))
    foreign = tmp_path / "trace1-energy.bin"
    foreign.write_bytes(b"\x00" * 40)
    assert "first byte 0x00" in refused(capsys, "measure", str(foreign))


def test_timestamps_of_another_run_are_refused(tmp_path, capsys):
    run = _copy_run(tmp_path)
    (run / "trace1-timestamps.json").write_text("[0.1, 2.0, 13.0]")
    err = refused(capsys, "measure", str(run))
    assert "3 window edges" in err and "5 inference windows" in err


def test_in_a_tree_a_damaged_run_keeps_its_row_with_the_reason(tmp_path):
    run = _copy_run(tmp_path)
    shutil.copytree(ST, tmp_path / "closed" / "Y" / "results" / "b2" / "kws" / "energy")
    (run / "trace1-timestamps.json").unlink()
    table = measure(tmp_path)
    assert len(table.runs) == 2
    bad = table.runs[table.runs["submitter"].isna()]
    assert len(bad) == 1 and "trace1-timestamps.json" in bad["error"].iloc[0]
    good = table.runs[table.runs["submitter"] == "Y"]
    assert good["energy_per_inference_j"].iloc[0] * 1e6 == pytest.approx(1004.221, rel=5e-3)


def test_marker_and_plot_do_not_apply_to_a_run(tmp_path, capsys):
    with pytest.raises(UserError, match="EnergyRunner"):
        measure(KRAI, marker="D0")
    err = refused(capsys, "measure", str(KRAI), "--plot", str(tmp_path / "p.png"))
    assert "--plot" in err
    assert not (tmp_path / "p.png").exists()
