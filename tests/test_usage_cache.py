"""The loaders' file cache and the lazily built phase table (what makes ``jf.sweep`` fast) change no result:
an edited file is read again, a caller can't spoil the cache, and ``DutyResult.phases`` acts as a plain field."""
import math
import pickle
import random
import types

import pandas as pd
import pytest

import joulescope_free.deferred as deferred
import joulescope_free.usage._figures as figures
import joulescope_free.usage.lifetime as lifetime
from joulescope_free.datafile import load_toml
from joulescope_free.errors import UserError
from joulescope_free.paths import data_dir
from joulescope_free.usage import battery as battery_mod
from joulescope_free.usage.battery import load_battery
from joulescope_free.usage.lifetime import PHASE_COLUMNS, DutyResult, duty_cycle
from joulescope_free.usage.profiles import load_profile
from joulescope_free.usage.regulator import load_regulator
from toy import INF, SLEEP_64K  # noqa: E402
from toy import toy_mcu as _toy_mcu  # noqa: E402


def toy_mcu():
    return _toy_mcu(sleep_modes=(SLEEP_64K,))






@pytest.fixture
def parses(monkeypatch):
    """Counts the TOML parses done by the loaders' cache."""
    count = {"n": 0}
    real = figures.tomllib.loads

    def loads(text):
        count["n"] += 1
        return real(text)

    monkeypatch.setattr(figures, "tomllib", types.SimpleNamespace(loads=loads, TOMLDecodeError=figures.tomllib.TOMLDecodeError))
    return count


# ----------------------------------------------------------------------------------------------- file cache
def test_a_file_is_parsed_once_and_again_after_an_edit_of_the_same_size(tmp_path, parses):
    path = tmp_path / "cell.toml"
    path.write_text("nominal_v = 3.0\ncapacity_mah = 100\n")
    assert load_battery(str(path)).capacity_mah == 100
    assert load_battery(str(path)).capacity_mah == 100
    assert parses["n"] == 1
    path.write_text("nominal_v = 3.0\ncapacity_mah = 200\n")  # same size, possibly the same mtime
    assert load_battery(str(path)).capacity_mah == 200
    assert parses["n"] == 2


def test_edited_profile_is_read_again(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('rate = "1/min"\n')
    assert load_profile(str(path)).rate_hz == pytest.approx(1 / 60)
    path.write_text('rate = "2/min"\n')
    assert load_profile(str(path)).rate_hz == pytest.approx(2 / 60)


def test_cached_result_equals_a_fresh_parse():
    path = data_dir("profiles") / "batteries" / "cr2032.toml"
    fresh = battery_mod._from_table(load_toml(path), path, "cr2032")
    load_battery("cr2032")
    assert load_battery("cr2032") == fresh
    assert load_battery("2xcr2032").nominal_v == 2 * fresh.nominal_v


def test_callers_cannot_spoil_the_cache():
    b = load_battery("cr2032")
    b.provenance.clear()
    assert "cr2032.capacity_mah" in load_battery("cr2032").provenance
    r = load_regulator("ldo")
    r.provenance.clear()
    assert load_regulator("ldo").provenance
    p = load_profile("vibration-anomaly")
    n = len(p.phases)
    p.phases.clear()
    assert len(load_profile("vibration-anomaly").phases) == n == 3


def test_errors_are_not_cached(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("nominal_v = \n")
    with pytest.raises(UserError, match="not valid TOML"):
        load_battery(str(path))
    path.write_text("nominal_v = 1.5\ncapacity_mah = 10\n")
    assert load_battery(str(path)).nominal_v == 1.5
    with pytest.raises(UserError, match="file not found"):
        load_battery(str(tmp_path / "missing.toml"))
    with pytest.raises(UserError, match="file not found"):
        load_regulator(str(tmp_path / "missing.toml"))


def test_regulator_overrides_still_apply_to_a_cached_part():
    assert load_regulator("ldo").quiescent_a == pytest.approx(1.6e-6)
    assert load_regulator({"id": "ldo", "quiescent_a": 2e-6}).quiescent_a == 2e-6
    assert load_regulator("ldo").quiescent_a == pytest.approx(1.6e-6)


# ----------------------------------------------------------------------------------------------- sums as pandas does
def test_nansum_matches_pandas_bit_for_bit():
    rng = random.Random(7)
    for n in list(range(1, 20)) + [40, 130]:
        values = [rng.uniform(0, 1) * 10 ** rng.randint(-9, -2) for _ in range(n)]
        if n > 3:
            values[rng.randrange(n)] = math.nan
        assert lifetime._nansum(values) == float(pd.Series(values).sum())
    assert lifetime._nansum([]) == 0.0


# ----------------------------------------------------------------------------------------------- lazy phases
def test_phase_table_is_built_only_when_read(monkeypatch):
    built = []
    real = deferred._frame_of_rows
    monkeypatch.setattr(deferred, "_frame_of_rows", lambda *args: built.append(1) or real(*args))
    r = duty_cycle(INF, toy_mcu(), rate_hz=1 / 60, battery={"capacity_mah": 225, "nominal_v": 3.0}, supply_v=3.0,
                   ram_needed_bytes=0)
    # the summary needs no table: 4 mA for 20 us + 50 ms, 1.5 uA for the rest of the minute
    q = 4e-3 * (20e-6 + 0.05) + 1.5e-6 * (60 - 0.05 - 20e-6)
    assert r.summary["average_current_a"] == pytest.approx(q / 60, rel=1e-12) and built == []
    frame = r.phases
    assert built == [1] and r.phases is frame  # built once
    assert list(frame.columns) == PHASE_COLUMNS and list(frame["name"]) == ["wake-up", "inference", "sleep"]
    assert frame.loc[2, "duration_s"] == pytest.approx(60 - 0.05 - 20e-6)


def test_phases_behaves_as_a_plain_field():
    with pytest.raises(TypeError):
        DutyResult(summary={}, battery=None)  # still required
    table = pd.DataFrame({"name": ["x"]})
    d = DutyResult(phases=table, summary={"a": 1}, battery=None)
    assert d.phases is table
    other = pd.DataFrame({"name": ["y"]})
    d.phases = other
    assert d.phases is other
    r = duty_cycle(INF, toy_mcu(), rate_hz=1.0, supply_v=3.0, ram_needed_bytes=0)
    again = pickle.loads(pickle.dumps(r))
    pd.testing.assert_frame_equal(again.phases, r.phases)
    assert r.to_dict()["phases"][1]["name"] == "inference"
