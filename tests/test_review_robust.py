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
