"""Every shipped profile, battery and regulator file loads, and every figure in it says where it comes from."""

import pytest

from joulescope_free.datafile import as_figure, bare_numbers, iter_figures, load_toml
from joulescope_free.paths import data_dir
from joulescope_free.usage.battery import list_batteries, load_battery
from joulescope_free.usage.profiles import list_profiles, load_profile
from joulescope_free.usage.regulator import list_regulators, load_regulator

PROFILES = sorted(data_dir("profiles").glob("*.toml"))
BATTERIES = sorted((data_dir("profiles") / "batteries").glob("*.toml"))
REGULATORS = sorted((data_dir("profiles") / "regulators").glob("*.toml"))
REQUIRED_BATTERIES = {"cr2032", "cr2450", "cr123a", "aa-alkaline", "aaa-alkaline", "aa-lithium", "aa-nimh",
                      "lipo-500mah", "lipo-1000mah", "li-ion-18650", "er14505", "er34615"}


def _ids(paths):
    return [p.stem for p in paths]


def test_the_required_batteries_and_regulators_ship():
    assert REQUIRED_BATTERIES <= set(_ids(BATTERIES))
    assert {"ldo", "buck", "tps62840", "mcp1700", "tps7a02", "tps63900"} <= set(_ids(REGULATORS))
    assert len(PROFILES) >= 5


@pytest.mark.parametrize("path", BATTERIES + REGULATORS, ids=_ids(BATTERIES + REGULATORS))
def test_every_figure_has_a_source(path):
    tree = load_toml(path)
    assert list(bare_numbers(tree)) == [], "numbers without provenance"
    figures = list(iter_figures(tree))
    assert figures, "no figures at all"
    for where, node in figures:
        fig = as_figure(node, where)  # exactly one of source/derived/measured, with text
        assert fig.kind in ("source", "derived") and len(fig.note) > 15, where


@pytest.mark.parametrize("path", BATTERIES, ids=_ids(BATTERIES))
def test_battery_loads_and_is_physical(path):
    b = load_battery(path.stem)
    assert b.id == path.stem == load_toml(path)["id"]
    assert 0 < b.cutoff_v < b.nominal_v < 5 and b.capacity_mah > 0
    if b.discharge_curve:  # delivered fraction rises as the voltage falls: 0 near full, 1 at the cutoff
        fracs = [f for _, f in b.discharge_curve]
        assert fracs == sorted(fracs, reverse=True) and fracs[0] == 1.0 and fracs[-1] == 0.0
    # at the rated test load and the cell's own cutoff the whole rated (or curve) capacity is usable
    mah = b.capacity_breakdown(1e-4, None, None)["usable_mah"]
    assert mah == pytest.approx(b.capacity_breakdown(1e-4)["derated_mah"])


@pytest.mark.parametrize("path", REGULATORS, ids=_ids(REGULATORS))
def test_regulator_loads(path):
    r = load_regulator(path.stem)
    assert r.id == path.stem and r.kind in ("ldo", "buck", "buck-boost", "boost")
    assert 0 <= r.quiescent_a < 1e-4
    assert all(0 < e <= 1 for _, e in r.efficiency)


@pytest.mark.parametrize("path", PROFILES, ids=_ids(PROFILES))
def test_shipped_profile_loads_and_every_phase_says_where_from(path):
    tree = load_toml(path)
    p = load_profile(path.stem)
    assert p.rate_hz and p.rate_hz > 0 and p.phases
    for phase in tree["phase"]:
        assert phase.get("source") or phase.get("derived"), f"{path.name}: phase {phase['name']} has no source"
    assert tree.get("source") or tree.get("derived")
    load_battery(p.battery)
    load_regulator(p.regulator)


def test_listings_cover_the_files():
    assert [b.id for b in list_batteries()] == _ids(BATTERIES)
    assert [r.id for r in list_regulators()] == ["none"] + _ids(REGULATORS)
    assert [p.id for p in list_profiles()] == _ids(PROFILES)


def test_classic_uses_are_shipped():
    names = " ".join(p.name.lower() for p in list_profiles())
    for word in ("keyword", "person", "gesture", "vibration", "mask"):
        assert word in names
    mask = load_profile("mask-detection-30fps")
    assert mask.rate_hz == 30 and "m7" in (mask.notes + mask.name).lower()
