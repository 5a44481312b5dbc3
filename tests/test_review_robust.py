"""Issue 19: a design review that survives real questions, through the CLI (subprocess) where the defect was in
the CLI: wrong CSV rows, comparisons that keep going, warnings that travel, batteries that behave."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "mlperf_tiny"
KWS = DATA / "kws_ds_cnn_int8.tflite"
VWW = DATA / "vww_mobilenet_v1_025_96_int8.tflite"


def cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "joulescope_free.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "COLUMNS": "200"})


# ------------------------------------------------------------------------------------------- defect 4
@pytest.mark.parametrize("bad_row", [3, 3000, 70_000])
def test_a_csv_value_that_is_not_a_number_names_its_real_row(tmp_path, bad_row):
    """'oops' at data row 3000 was reported 'near data row 1' (the whole block failed at once)."""
    trace = tmp_path / "trace.csv"
    lines = ["# a comment line", "time_s,current_a"]
    lines += [f"{i * 1e-3:.6f},{'oops' if i + 1 == bad_row else '0.001'}" for i in range(80_000)]
    trace.write_text("\n".join(lines) + "\n")
    out = cli("measure", trace, "--supply-v", "3")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert f"'oops' is not a number in data row {bad_row} " in out.stderr, out.stderr


# ------------------------------------------------------------------------------------------- defect 1
def test_a_part_that_cannot_keep_up_is_a_row_not_the_end_of_the_comparison(tmp_path):
    """vww at 1/s: the rp2040 needs about 1.03 s per inference at its default clock. The others are ranked, the
    rp2040 row comes last and says why, the fastest rate it keeps and the clock that would keep up; exit 0."""
    out = cli("compare", VWW, "--mcu", "rp2040,nrf52840,stm32u585", "--duty", "1/s", "--csv", tmp_path / "t.csv")
    assert out.returncode == 0, out.stderr
    lines = [x for x in out.stdout.splitlines() if x.startswith("│")]
    assert [x.split("│")[1].strip() for x in lines][-1] == "rp2040"
    assert "cannot keep up" in lines[-1]
    flat = " ".join(out.stdout.split())  # the line may wrap at the terminal width
    why = flat[flat.index("rp2040: not estimated"):]
    assert "fastest rate it keeps up with is" in why and "--clock-mhz" in why and "faster part" in why

    rows = json.loads(cli("compare", VWW, "--mcu", "rp2040,nrf52840,stm32u585", "--duty", "1/s", "--json").stdout)
    assert [r["failed"] for r in rows] == [False, False, True]
    failed = rows[-1]
    assert failed["mcu"] == "rp2040" and "1/s" in failed["error"] and failed["latency_s"] > 1.0
    # the fastest rate is what one period needs: 1 / (inference + wake-up), so just under 1/latency
    assert failed["max_rate_hz"] < 1 / failed["latency_s"] < failed["max_rate_hz"] * 1.01
    # the fix is real: at the clock it names the part keeps up, a little below it does not
    fix_mhz = failed["fix_clock_hz"] / 1e6
    ok = cli("estimate", VWW, "--mcu", "rp2040", "--duty", "1/s", "--clock-mhz", f"{fix_mhz * 1.001:.4f}", "--json")
    assert ok.returncode == 0, ok.stderr
    slow = cli("estimate", VWW, "--mcu", "rp2040", "--duty", "1/s", "--clock-mhz", f"{fix_mhz * 0.99:.4f}")
    assert slow.returncode == 2 and "faster than the inference can keep up with" in slow.stderr
    import csv

    with open(tmp_path / "t.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert table[-1]["mcu"] == "rp2040" and table[-1]["failed"] == "True" and table[-1]["error"]


def test_the_report_keeps_going_and_every_target_failing_is_an_error(tmp_path):
    page = tmp_path / "review.html"
    out = cli("report", VWW, "--mcu", "rp2040,nrf52840", "--duty", "1/s", "-o", page)
    assert out.returncode == 0, out.stderr
    html = page.read_text()
    assert 'class="card failed" id="card-rp2040"' in html and 'id="card-nrf52840"' in html
    assert "cannot keep up with 1/s" in html
    alone = cli("compare", VWW, "--mcu", "rp2040", "--duty", "1/s")
    assert alone.returncode == 2 and alone.stderr.startswith("error: no target could be estimated: rp2040:")
    assert not (tmp_path / "none.html").exists()
    none = cli("report", VWW, "--mcu", "rp2040", "--duty", "1/s", "-o", tmp_path / "none.html")
    assert none.returncode == 2 and not (tmp_path / "none.html").exists()


def test_jf_compare_returns_the_failed_target_as_a_row():
    import joulescope_free as jf

    frame = jf.compare(VWW, ["rp2040", "nrf52840"], duty="1/s")
    assert list(frame["mcu"]) == ["nrf52840", "rp2040"] and list(frame["failed"]) == [False, True]
    assert frame["battery_life_days"].iloc[0] > 0 and frame["battery_life_days"].isna().iloc[1]


def test_a_misspelt_part_is_still_bad_input():
    out = cli("compare", KWS, "--mcu", "nrf52840,stm32l4r6", "--duty", "1/min")
    assert out.returncode == 2 and "did you mean stm32l4r5" in out.stderr


# ------------------------------------------------------------------------------------------- warnings travel
def _compare_json(*args):
    out = cli("compare", *args, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_warning_travels_to_the_compare_table_json_csv_and_report(tmp_path):
    """The stm32l4r5 on a CR2032 draws its inference current (tens of mA) above the cell's 15 mA pulse rating: the
    brown-out warning that only the bottom of `estimate` showed is in every view of the comparison."""
    est = json.loads(cli("estimate", KWS, "--mcu", "stm32l4r5", "--duty", "1/min", "--battery", "cr2032",
                         "--json").stdout)
    pulse = [w for w in est["warnings"] if "rated pulse" in w]
    assert pulse and est["summary"]["inference_current_a"] > 15e-3  # the premise, from the part's own figures
    rows = _compare_json(KWS, "--mcu", "stm32l4r5,nrf52840", "--duty", "1/min", "--battery", "cr2032")
    row = next(r for r in rows if r["mcu"] == "stm32l4r5")
    assert pulse[0] in row["warnings"].split(" | ")
    table = cli("compare", KWS, "--mcu", "stm32l4r5,nrf52840", "--duty", "1/min", "--battery", "cr2032",
                "--csv", tmp_path / "c.csv")
    flat = " ".join(table.stdout.split())
    assert "warning (stm32l4r5): " + " ".join(pulse[0].split()) in flat
    import csv

    with open(tmp_path / "c.csv", newline="") as fh:
        assert pulse[0] in next(r for r in csv.DictReader(fh) if r["mcu"] == "stm32l4r5")["warnings"]
    page = tmp_path / "r.html"
    assert cli("report", KWS, "--mcu", "stm32l4r5,nrf52840", "--duty", "1/min", "--battery", "cr2032",
               "-o", page).returncode == 0
    html = page.read_text()
    card = html[html.index('id="card-stm32l4r5"'):]
    import re

    end = re.search(r'<div class="card[ "]', card[10:])
    card = card[:end.start() + 10] if end else card
    assert "card-warnings" in card and "rated pulse" in card


def test_sweep_rows_carry_warnings_unsupported_ops_and_the_target_of_an_error_row(tmp_path):
    import csv

    out_csv = tmp_path / "rows.csv"
    run = cli("sweep", KWS, DATA.parent / "tiny" / "flex_det_float32.tflite", "--mcu", "stm32l4r5,rp2040",
              "--duty", "1/min,50/s", "--battery", "cr2032", "-o", out_csv, "--quiet", "--jobs", "1")
    assert run.returncode == 0, run.stderr
    with open(out_csv, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {"warnings", "unsupported_ops"} <= set(rows[0])
    kws_l4 = next(r for r in rows if r["model"] == KWS.name and r["mcu"] == "stm32l4r5" and r["duty"] == "1/min")
    assert "rated pulse" in kws_l4["warnings"] and kws_l4["unsupported_ops"] == ""
    flex = [r for r in rows if r["model"] == "flex_det_float32.tflite" and not r["error"]]
    assert flex and all(r["unsupported_ops"] == "FlexMatrixDeterminant" for r in flex)
    assert all("unsupported operators are costed at zero" in r["warnings"] for r in flex)
    # 50/s is too fast for the kws model on the rp2040: the error row still says which runtime, clock and supply
    slow = next(r for r in rows if r["model"] == KWS.name and r["mcu"] == "rp2040" and r["duty"] == "50/s")
    assert "faster than the inference can keep up with" in slow["error"]
    assert slow["runtime"] and float(slow["clock_hz"]) > 0 and float(slow["supply_v"]) > 0
    assert float(slow["latency_s"]) > 1 / 50  # the inference figures stay: the reason it cannot keep up
