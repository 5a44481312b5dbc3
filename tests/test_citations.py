"""Every figure's citation resolves inside the repository (the reference tables are shipped in
power_models/reference), and no output names a path of the machine the package is installed on."""
import csv
import json
import re
from pathlib import Path

import pytest

import joulescope_free as jf
from joulescope_free.paths import data_dir, display_path

REFERENCE = data_dir("power_models") / "reference"
DATA_FILES = sorted([*data_dir("power_models").rglob("*.toml"), *data_dir("profiles").rglob("*.toml")])
#: ``<anything>/reference/<table>.csv`` optionally followed by ``row '<name>'``
CITATION = re.compile(r"([\w./-]*)reference/(\w+\.csv)(?:\s+row\s+'([^']+)')?")
ABSOLUTE = re.compile(r"(?<![\w.])/(?:work|root|home|tmp|Users)/")


def citations():
    out = []
    for path in DATA_FILES:
        for m in CITATION.finditer(path.read_text(encoding="utf-8")):
            out.append((path.name, m[1], m[2], m[3]))
    return out


def first_column(table: str) -> list[str]:
    with (REFERENCE / table).open(newline="", encoding="utf-8") as fh:
        return [row[0] for row in csv.reader(fh)][1:]


def test_the_data_files_cite_the_reference_tables_many_times():
    cites = citations()
    assert len(cites) >= 170  # 176 citations in 49 data files when this test was written
    assert len({(c[2], c[3]) for c in cites if c[3]}) >= 35  # distinct cited rows
    assert len({c[0] for c in cites}) >= 45  # files citing a table (4 more name the folder only)


def test_every_citation_points_at_a_table_shipped_in_the_repository():
    for name, prefix, table, _ in citations():
        assert prefix == "power_models/", f"{name}: cites {prefix}reference/{table}, not the repository copy"
        assert (REFERENCE / table).is_file(), f"{name}: {table} is not in power_models/reference"


@pytest.mark.parametrize("name, table, row", sorted({(c[0], c[2], c[3]) for c in citations() if c[3]}))
def test_every_cited_row_is_in_the_shipped_table_with_its_source(name, table, row):
    with (REFERENCE / table).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    key = next(iter(rows[0]))  # the first column names the part / battery / regulator
    found = [r for r in rows if r[key] == row or r[key].startswith(row + " ")]
    assert found, f"{name}: row '{row}' is not in power_models/reference/{table}"
    assert found[0]["source"].strip(), f"{table} row '{row}' lost its source"


def test_no_data_file_names_a_path_outside_the_repository():
    for path in DATA_FILES:
        text = path.read_text(encoding="utf-8")
        assert "shared/reference" not in text, path.name
        assert not ABSOLUTE.search(text), f"{path.name}: {ABSOLUTE.search(text)[0]}"


def test_an_estimate_names_no_path_of_the_install(monkeypatch):
    root = str(Path(jf.__file__).resolve().parent.parent)
    model = data_dir("validation") / "kws_ds_cnn_int8.tflite"
    monkeypatch.chdir(model.parent)
    for kw in ({"mcu": "esp32s3", "duty": "1/h"}, {"mcu": "nrf52840", "profile": "vibration-anomaly"}):
        text = jf.estimate(model.name, **kw).to_json()
        assert root not in text and not ABSOLUTE.search(text), kw
        assert json.loads(text)["model"]["path"] == model.name  # the path as the user gave it
        assert "power_models/reference/battery_figures.csv row" in text  # provenance kept, repo-relative


def test_display_path_is_repository_relative_for_shipped_files_only(tmp_path):
    shown = display_path(data_dir("validation") / "mlperf_tiny_calibration.csv")
    assert not Path(shown).is_absolute() and shown.endswith("/mlperf_tiny_calibration.csv")
    assert display_path(tmp_path / "mine.csv") == str(tmp_path / "mine.csv")
