"""Every runtime, core-class and power-model data file loads, carries its sources and holds plausible values."""
from __future__ import annotations

from pathlib import Path

import pytest

from joulescope_free.datafile import as_figure, bare_numbers, iter_figures, load_toml
from joulescope_free.hardware.catalog import list_mcus
from joulescope_free.hardware.runtimes import COEFFICIENTS, list_cores, list_runtimes, load_runtime

ROOT = Path(__file__).resolve().parents[1] / "power_models"
FILES = sorted((ROOT / "runtimes").glob("*.toml")) + sorted((ROOT / "cores").glob("*.toml")) + [
    ROOT / "inference_current.toml", ROOT / "error_bands.toml"]
REQUIRED_RUNTIMES = {"tflm", "tflm-cmsis-nn", "x-cube-ai", "microtvm", "microtvm-cmsis-nn", "plumerai", "bosch-hale",
                     "esp-nn", "nmsis-nn", "tflite"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_figure_has_a_source(path):
    tree = load_toml(path)
    assert not list(bare_numbers(tree)), f"numbers without provenance in {path.name}"
    figures = list(iter_figures(tree))
    assert figures, path
    for where, node in figures:
        fig = as_figure(node, f"{path.name}:{where}")
        assert len(fig.note) > 10, f"{path.name}:{where} has a token source"


def test_required_runtimes_and_versions_load_with_plausible_coefficients():
    runtimes = {r.id: r for r in list_runtimes()}
    assert REQUIRED_RUNTIMES <= set(runtimes)
    for r in runtimes.values():
        assert r.cores and r.version == r.default_version == r.versions[-1] or r.default_version in r.versions
        for version in r.versions:
            c = load_runtime(f"{r.id}@{version}").coefficients
            assert set(COEFFICIENTS) <= set(c)
            for key in ("conv_cycles_per_mac", "depthwise_cycles_per_mac", "fc_cycles_per_mac"):
                assert 0.1 < c[key] < 60, (r.id, version, key, c[key])  # a Cortex-M4 does 2 MACs per SMLAD at best
            assert 0.5 < c["activity"] < 2.0


def test_every_mcu_core_has_a_core_class_and_a_runtime():
    cores = {c.id: c for c in list_cores()}
    runtimes = list_runtimes()
    for part in list_mcus():
        assert part.core in cores, part.id
        assert any(part.core in r.cores for r in runtimes), part.id
    for c in cores.values():
        assert 0.05 < c.speed < 10 and c.simd_lanes >= 1 and c.flash_line_bytes >= 4


def test_the_fitted_core_speeds_are_those_of_the_calibration_table():
    # Cortex-M7 and M33 against M4 from the same runtime and model: the X-CUBE-AI 7.3 KWS rows alone give
    # (16.76 ms x 280 MHz) / (75.06 ms x 120 MHz) = 0.521 and (44.23 x 160) / (75.06 x 120) = 0.786
    cores = {c.id: c for c in list_cores()}
    assert cores["cortex-m7"].speed == pytest.approx(0.521, rel=0.15)
    assert cores["cortex-m33"].speed == pytest.approx(0.786, rel=0.15)
