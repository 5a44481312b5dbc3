"""Error bands (issue 9): the band from validation ratios, the band file, the basis of every estimate, the band in
the summary, the printed table, the duty cycle and ``energy validate``'s coverage."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import joulescope_free as jf
from joulescope_free import bands
from helpers import run_cli
from joulescope_free.hardware import kernels
from joulescope_free.usage.lifetime import duty_cycle
from joulescope_free.bands import band_from_ratios, find_band, write_bands
from joulescope_free.validation import band_coverage
from toy import INF, toy_mcu

DATA = Path(__file__).parent / "data" / "mlperf_tiny"
KWS = DATA / "kws_ds_cnn_int8.tflite"
VWW = DATA / "vww_mobilenet_v1_025_96_int8.tflite"
LN2 = math.log(2)
# tabulated quantiles (not scipy): z(0.9) and Student's t(0.9) with 4 and 3 degrees of freedom
Z90, T90_4, T90_3 = 1.281552, 1.533206, 1.637744


# ------------------------------------------------------------------------------------------- band_from_ratios
def test_band_from_ratios_against_hand_computed_quantiles():
    # log2 r = -1, 0, 1, 2, 3: mean 1, sd (n - 1) sqrt(2.5); normal prediction interval half-width
    # t(0.9, 4) x sqrt(2.5) x sqrt(1 + 1/5) = 2.6556 -> log2 band -1.6556..3.6556. The linear quantiles (q10 at
    # position 0.4 -> -0.6, q90 at 3.6 -> 2.6) lie inside it, so the interval decides: 2^-1.6556, 2^3.6556
    half = T90_4 * math.sqrt(2.5) * math.sqrt(1.2)
    low, high = band_from_ratios([4, 0.5, 8, 1, 2])
    assert low == pytest.approx(2 ** (1 - half), rel=1e-5) and high == pytest.approx(2 ** (1 + half), rel=1e-5)
    assert low == pytest.approx(0.3174, abs=1e-4) and high == pytest.approx(12.60, abs=1e-2)
    # one outlier: log r = 0 (nine times), 3. Mean 0.3, sd sqrt((9 x 0.3^2 + 2.7^2) / 9) = sqrt(0.9), t(0.9, 9)
    # = 1.383029: interval 0.3 -/+ 1.383029 x 0.9487 x sqrt(1.1) = -1.0761..1.6761; the quantiles (q10 0, q90 at
    # position 8.1 -> 0.3) lie inside, and the band is centred on the mean log ratio, not on 1
    half = 1.383029 * math.sqrt(8.1 / 9) * math.sqrt(1.1)
    low, high = band_from_ratios([1.0] * 9 + [math.exp(3)])
    assert (low, high) == pytest.approx((math.exp(0.3 - half), math.exp(0.3 + half)), rel=1e-5)


def test_band_always_holds_one_and_honours_the_floor():
    # all estimates optimistic (measured 1.2-1.5x): log r mean 0.29666, sd 0.096049, half-width
    # t(0.9, 3) x 0.096049 x sqrt(1.25) = 0.17588: the interval 0.1208..0.4725 lies above 0, so the band is
    # stretched down to 1.0; its top is exp(0.4725) = 1.6040 (the q90, 0.3848, is inside)
    low, high = band_from_ratios([1.2, 1.3, 1.4, 1.5])
    logs = [math.log(x) for x in (1.2, 1.3, 1.4, 1.5)]
    mean = sum(logs) / 4
    sd = math.sqrt(sum((v - mean) ** 2 for v in logs) / 3)
    assert low == 1.0 and high == pytest.approx(math.exp(mean + T90_3 * sd * math.sqrt(1.25)), rel=1e-6)
    assert high == pytest.approx(1.6040, abs=1e-4)
    # a tight sample never claims less than the floor; junk ratios are ignored
    assert band_from_ratios([0.99, 1.0, 1.01, float("nan"), -2, 0], floor=(0.5, 2.0)) == pytest.approx((0.5, 2.0))
    assert band_from_ratios([3.0], floor=(0.5, 2.0)) == pytest.approx((0.5, 3.0))  # one ratio: the floor, stretched
    with pytest.raises(ValueError):
        band_from_ratios([1.1])


def test_band_from_ratios_holds_about_its_coverage_out_of_sample():
    # bands from 4 or 20 lognormal ratios should hold about 80 % of new ratios from the same law
    rng = np.random.default_rng(7)
    for n in (4, 20):
        holds = []
        for _ in range(300):
            low, high = band_from_ratios(np.exp(rng.normal(0.3, 0.4, n)))
            new = np.exp(rng.normal(0.3, 0.4, 100))
            holds.append(np.mean((new >= low) & (new <= high)))
        assert 0.76 < float(np.mean(holds)) < 0.88, n


# ------------------------------------------------------------------------------------------- band file
BANDS = [
    {"basis": "measured", "runtime": "x-cube-ai@7.3", "cores": ["cortex-m4"],
     "latency_low": (0.9, "test"), "latency_high": (1.1, "test"), "energy_low": (0.8, "test"),
     "energy_high": (1.25, "test")},
    {"basis": "simulated", "cores": ["cortex-m4"], "latency_low": (0.7, "test"), "latency_high": (1.4, "test"),
     "energy_low": (0.6, "test"), "energy_high": (1.6, "test")},
    {"basis": "simulated", "latency_low": (0.5, "test"), "latency_high": (2.0, "test"),
     "energy_low": (0.4, "test"), "energy_high": (2.5, "test")},
    {"basis": "extrapolated", "latency_low": (0.25, "test"), "latency_high": (4.0, "test"),
     "energy_low": (0.2, "test"), "energy_high": (5.0, "test")},
    {"basis": "calibrated", "latency_low": (0.95, "test"), "latency_high": (1.05, "test"),
     "energy_low": (0.9, "placeholder test"), "energy_high": (1.1, "placeholder test")},
]


@pytest.fixture
def test_bands(tmp_path, monkeypatch):
    """The hand-made band file above in place of the shipped one."""
    path = write_bands(BANDS, tmp_path / "bands.toml", header="test bands")
    original = bands._bands
    monkeypatch.setattr(bands, "_bands", lambda path_=None: original(str(path)))
    bands._BASIS_CACHE.clear()
    yield path
    bands._BASIS_CACHE.clear()


def _modelled(basis, monkeypatch):
    monkeypatch.setattr(kernels, "modelled_basis", lambda runtime, core: basis)
    bands._BASIS_CACHE.clear()


def test_write_bands_round_trips_and_the_most_specific_entry_wins(test_bands):
    band = find_band("simulated", "tflm@1.0", "cortex-m4", path=test_bands)
    assert (band.latency_low, band.latency_high, band.cores) == (0.7, 1.4, ("cortex-m4",))
    band = find_band("simulated", "tflm@1.0", "cortex-m7", path=test_bands)  # no core entry: basis-wide
    assert (band.latency_low, band.energy_high, band.cores) == (0.5, 2.5, ())
    assert find_band("measured", "x-cube-ai@8.1", "cortex-m4", path=test_bands) is None
    assert find_band("measured", "x-cube-ai@7.3", "cortex-m4", path=test_bands).energy_low == 0.8
    assert band.coverage == 0.8


def test_write_bands_refuses_a_band_without_one_or_without_provenance(tmp_path):
    bad = dict(BANDS[2], latency_low=(1.2, "test"))
    with pytest.raises(ValueError, match="holds 1.0"):
        write_bands([bad], tmp_path / "b.toml")
    with pytest.raises(ValueError, match="derived text"):
        write_bands([dict(BANDS[2], energy_low=(0.5, " "))], tmp_path / "b.toml")
    with pytest.raises(ValueError, match="basis"):
        write_bands([dict(BANDS[2], basis="guessed")], tmp_path / "b.toml")


def test_the_shipped_band_file_loads_and_every_basis_has_a_wide_entry():
    from joulescope_free.datafile import load_toml
    from joulescope_free.paths import data_dir

    for basis in bands.BASES:
        band = find_band(basis, "no-such@0", "no-core")
        assert band is not None and band.latency_low <= 1 <= band.latency_high, basis
        assert band.energy_low <= 1 <= band.energy_high, basis
    # every measured entry names its runtime version and cores; the lookup returns the file's own figures
    raw = load_toml(data_dir("power_models") / bands.BANDS_FILE)["band"]
    measured = [b for b in raw if b["basis"] == "measured" and "runtime" in b]
    assert measured and all(b["cores"] for b in measured)
    first = measured[0]
    band = find_band("measured", first["runtime"], first["cores"][0])
    assert (band.latency_low, band.energy_high) == (first["latency_low"]["value"], first["energy_high"]["value"])


# ------------------------------------------------------------------------------------------- basis selection
def _factors(s):
    return (s["latency_low_s"] / s["latency_s"], s["latency_high_s"] / s["latency_s"],
            s["energy_low_j"] / s["energy_per_inference_j"], s["energy_high_j"] / s["energy_per_inference_j"])


def test_measured_basis_where_the_table_has_the_runtime_on_the_core(test_bands, monkeypatch):
    _modelled("simulated", monkeypatch)  # a measurement outranks simulated kernels
    s = jf.estimate(KWS, "stm32l4r5", runtime="x-cube-ai@7.3").summary
    assert s["estimate_basis"] == "measured" and s["band_validated"] is True
    assert _factors(s) == pytest.approx((0.9, 1.1, 0.8, 1.25))


def test_simulated_basis_uses_the_core_entry_then_the_basis_wide_one(test_bands, monkeypatch):
    _modelled("simulated", monkeypatch)
    # cortex-m4, not in the measured entries; a part with its own inference-current measurement (see below)
    s = jf.estimate(KWS, "stm32l4r5", runtime="tflm-cmsis-nn@2.16").summary
    assert s["estimate_basis"] == "simulated" and _factors(s) == pytest.approx((0.7, 1.4, 0.6, 1.6))
    s = jf.estimate(KWS, "stm32h7a3", runtime="tflm-cmsis-nn").summary  # cortex-m7: basis-wide
    assert s["estimate_basis"] == "simulated" and _factors(s) == pytest.approx((0.5, 2.0, 0.4, 2.5))


def test_extrapolated_basis(test_bands, monkeypatch):
    _modelled("extrapolated", monkeypatch)
    r = jf.estimate(KWS, "stm32l4r5", runtime="x-cube-ai@8.1")  # measured only in the shipped file, not here
    assert r.summary["estimate_basis"] == "extrapolated" and _factors(r.summary) == pytest.approx((0.25, 4, 0.2, 5))
    assert any(a.startswith("error band (80 % interval), basis extrapolated") for a in r.assumptions)


def test_a_release_estimated_with_a_neighbours_figures_is_not_measured(test_bands, monkeypatch):
    _modelled("extrapolated", monkeypatch)
    s = jf.estimate(KWS, "stm32l4r5", runtime="x-cube-ai@7.4").summary  # not characterised: 7.3's figures
    assert s["estimate_basis"] == "extrapolated" and "7.4" in s["estimate_basis_note"]
    assert _factors(s) == pytest.approx((0.25, 4, 0.2, 5))


def test_calibrated_basis_from_a_calibration_file(test_bands, tmp_path):
    cal = tmp_path / "board.toml"
    cal.write_text('mcu = "nrf52840"\nruntime = "tflm-cmsis-nn"\n'
                   'latency_scale = { value = 1.5, measured = "energy calibrate, test trace" }\n'
                   'current_scale = { value = 0.8, measured = "energy calibrate, test trace" }\n')
    plain = jf.estimate(KWS, "nrf52840").summary
    r = jf.estimate(KWS, "nrf52840", power_model=cal)
    s = r.summary
    assert s["estimate_basis"] == "calibrated" and s["band_validated"] is False  # the energy figures say placeholder
    assert s["latency_s"] == pytest.approx(plain["latency_s"] * 1.5)
    assert (s["latency_low_s"], s["latency_high_s"]) == pytest.approx((plain["latency_s"] * 1.5 * 0.95,
                                                                       plain["latency_s"] * 1.5 * 1.05))
    assert any("PLACEHOLDER" in a for a in r.assumptions)


# ------------------------------------------------------------------------------------------- the band itself
CASES = [("stm32l4r5", "x-cube-ai@7.3"), ("stm32l4r5", None), ("nrf52840", None), ("rp2040", None),
         ("esp32s3", None), ("stm32h7a3", "tflm-cmsis-nn@2.3.1"), ("cortex-m33", None)]


@pytest.mark.parametrize("mcu, runtime", CASES)
def test_low_estimate_high_everywhere(mcu, runtime):
    s = jf.estimate(VWW, mcu, runtime=runtime, duty="1/min", battery="2xaa-alkaline").summary
    assert s["estimate_basis"] in bands.BASES
    assert s["latency_low_s"] <= s["latency_s"] <= s["latency_high_s"]
    assert s["energy_low_j"] <= s["energy_per_inference_j"] <= s["energy_high_j"]
    assert s["average_current_low_a"] <= s["average_current_a"] <= s["average_current_high_a"]
    assert s["battery_life_low_days"] <= s["battery_life_days"] <= s["battery_life_high_days"]


@pytest.mark.parametrize("duty, profile", [("continuous", None), (None, "vibration-anomaly"), ("1/s", None)])
def test_duty_band_orders_with_profiles_and_back_to_back(duty, profile):
    s = jf.estimate(KWS, "nrf52840", duty=duty, profile=profile, battery="cr2032").summary
    assert s["average_current_low_a"] <= s["average_current_a"] <= s["average_current_high_a"]
    assert s["battery_life_low_days"] <= s["battery_life_days"] <= s["battery_life_high_days"]
    assert s["average_current_low_a"] < s["average_current_high_a"]  # the band moves the duty cycle


def test_sweep_rows_carry_the_band():
    rows = jf.sweep([KWS], mcu=["stm32l4r5", "nrf52840"], duty=["1/min", "1/h"], battery="cr2032")
    assert rows["error"].isna().all()
    assert set(rows["estimate_basis"]) <= set(bands.BASES)
    for low, mid, high in (("latency_low_s", "latency_s", "latency_high_s"),
                           ("energy_low_j", "energy_per_inference_j", "energy_high_j"),
                           ("average_current_low_a", "average_current_a", "average_current_high_a"),
                           ("battery_life_low_days", "battery_life_days", "battery_life_high_days")):
        assert (rows[low] <= rows[mid]).all() and (rows[mid] <= rows[high]).all(), mid


def test_duty_band_recomputes_the_duty_cycle_by_hand():
    # toy part, 1/min, ideal 1000 mAh battery: it sleeps in "off" (0.4 uA; nothing must survive), wakes in 300 us
    # at the 4 mA run current. Around an inference of 100 ms and 1.2 mJ (3 V): per minute 300e-6 x 4e-3
    # + 1.2e-3 / 3 + (60 - 300e-6 - 0.1) x 0.4e-6 A s = 4.251588e-4 A s -> 7.08598e-6 A average;
    # life = 1000 mAh x 3.6 C/mAh / 7.08598e-6 A = 5.0805e8 s = 5880.2 days
    result = duty_cycle(INF, toy_mcu(), rate_hz=1 / 60, battery={"capacity_mah": 1000, "nominal_v": 3.0},
                        supply_v=3.0, ram_needed_bytes=0, retain_bytes=0)
    out = result.rescale(0.1, 1.2e-3)
    avg = (300e-6 * 4e-3 + 1.2e-3 / 3 + (60 - 300e-6 - 0.1) * 0.4e-6) / 60
    assert out["average_current_a"] == pytest.approx(avg, rel=1e-9)
    assert out["battery_life_days"] == pytest.approx(3600 / avg / 86400, rel=1e-9)
    # the same inference as the nominal one reproduces the nominal figures
    same = result.rescale(INF.latency_s, INF.energy_j)
    assert same["average_current_a"] == pytest.approx(result.summary["average_current_a"], rel=1e-12)
    # an inference too slow for the rate has no figures (10 s at 1/s cannot keep up)
    fast = duty_cycle(INF, toy_mcu(), rate_hz=1.0, supply_v=3.0, ram_needed_bytes=0, retain_bytes=0)
    assert fast.rescale(10.0, 1e-3) == {"average_current_a": None, "battery_life_days": None}


# ------------------------------------------------------------------------------------------- printed output
def _printed_band(out: str, label: str):
    m = re.search(rf"{label}[\s│]+([\d.]+) (\S*)(s|J) \(([\d.]+) to ([\d.]+) \2\3\)", out)
    assert m, f"no '{label} x (lo-hi)' in:\n{out}"
    scale = {"": 1, "m": 1e-3, "µ": 1e-6, "n": 1e-9}[m.group(2)]
    return [float(m.group(i)) * scale for i in (1, 4, 5)]


@pytest.mark.parametrize("mcu, runtime", [("stm32l4r5", "x-cube-ai@7.3"), ("nrf52840", "tflm-cmsis-nn")])
def test_printed_band_matches_the_json(capsys, mcu, runtime):
    args = ("estimate", KWS, "--mcu", mcu, "--runtime", runtime, "--duty", "1/min", "--battery", "cr2032")
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    s = json.loads(out)["summary"]
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    for label, keys in (("latency per inference", ("latency_s", "latency_low_s", "latency_high_s")),
                        ("energy per inference", ("energy_per_inference_j", "energy_low_j", "energy_high_j"))):
        assert _printed_band(out, label) == pytest.approx([s[k] for k in keys], rel=6e-3)  # 3 digits printed
    flat = " ".join(out.split())
    assert f"band: 80 % interval, basis {s['estimate_basis']} (" in flat
    assert "p90, validated" not in flat and "latency_error_pct" not in s
    m = re.search(r"battery life ([\d,.]+) days \(([\d,.]+) to ([\d,.]+) days\)", flat)
    assert m, flat
    printed = [float(g.replace(",", "")) for g in m.groups()]
    assert printed == pytest.approx([s["battery_life_days"], s["battery_life_low_days"], s["battery_life_high_days"]],
                                    rel=1e-3)
    assert printed[1] <= printed[0] <= printed[2]


# ------------------------------------------------------------------------------------------- validate coverage
def test_band_coverage_on_a_hand_made_table():
    nan = float("nan")
    rows = pd.DataFrame({
        "estimate_basis": ["measured", "measured", "measured", "simulated", "simulated", None],
        "latency_s": [1.0, 2.0, 5.0, 1.0, 1.0, 1.0],
        "predicted_latency_low_s": [0.5, 1.0, 1.0, 0.9, 0.5, nan],      # inside, inside (edge), outside, outside,
        "predicted_latency_high_s": [2.0, 2.0, 4.0, 0.95, 4.0, nan],    # inside; the last row has no band
        "energy_j": [1e-3, nan, 1e-3, 1e-3, nan, 1e-3],
        "predicted_energy_low_j": [0.5e-3, 1e-3, 2e-3, 0.5e-3, 1e-3, 1e-3],
        "predicted_energy_high_j": [1.5e-3, 2e-3, 3e-3, 1.0e-3, 2e-3, 1e-3],
    })
    cov = band_coverage(rows)
    assert cov["measured"]["latency_n"] == 3 and cov["measured"]["latency_coverage"] == pytest.approx(2 / 3)
    assert cov["measured"]["latency_median_high_low"] == pytest.approx(4.0)  # high/low 4, 2, 4
    assert cov["simulated"]["latency_coverage"] == pytest.approx(0.5)
    assert cov["overall"]["latency_n"] == 5 and cov["overall"]["latency_coverage"] == pytest.approx(3 / 5)
    # energy: measured rows 1 (inside) and 3 (outside); simulated row 4 (inside, on the edge); row 6 is basis-less
    assert cov["measured"]["energy_n"] == 2 and cov["measured"]["energy_coverage"] == pytest.approx(0.5)
    assert cov["simulated"]["energy_coverage"] == 1.0
    assert cov["overall"]["energy_n"] == 4 and cov["overall"]["energy_coverage"] == pytest.approx(3 / 4)


def test_validate_reports_coverage(tmp_path, capsys):
    # two measurements no band can hold (a thousandth and a thousand times any estimate) and no energy
    table = tmp_path / "mine.csv"
    table.write_text("mcu,clock_mhz,runtime,runtime_detail,model_file,latency_ms\n"
                     f"STM32L4R5ZIT6U,120,x-cube-ai,X-CUBE-AI v7.3.0,{KWS},0.001\n"
                     f"STM32L4R5ZIT6U,120,x-cube-ai,X-CUBE-AI v7.3.0,{KWS},100000\n")
    result = jf.validate(table)
    cov = result.summary["band_coverage"]
    assert cov["overall"]["latency_n"] == 2 and cov["overall"]["latency_coverage"] == 0.0
    assert cov["overall"]["energy_n"] == 0 and cov["overall"]["energy_coverage"] is None
    assert set(cov) == {"overall", "measured"}
    code, out, err = run_cli(capsys, "validate", "--data", table, "--json")
    assert code == 0, err
    assert json.loads(out)["summary"]["band_coverage"]["measured"]["latency_coverage"] == 0.0
    code, out, err = run_cli(capsys, "validate", "--data", table)
    assert code == 0 and "error bands" in out and "0 %" in out



def test_combine_bands_adds_log_half_widths_in_quadrature():
    assert bands.combine_bands((0.5, 2.0), (0.5, 2.0)) == pytest.approx((2 ** -math.sqrt(2), 2 ** math.sqrt(2)))
    assert bands.combine_bands((0.8, 1.0), (1.0, 1.5)) == pytest.approx((0.8, 1.5))


def test_a_part_without_its_own_current_measurement_gets_a_wider_energy_band():
    # same runtime and core class: the STM32L4R5 has a measured workload factor, the nRF52840 does not
    from joulescope_free.hardware.power import workload_factors

    assert "stm32l4r5" in workload_factors() and "nrf52840" not in workload_factors()
    kws = Path(__file__).parent / "data" / "mlperf_tiny" / "kws_ds_cnn_int8.tflite"
    own = jf.estimate(kws, "stm32l4r5", runtime="tflm-cmsis-nn@2.16").summary
    other = jf.estimate(kws, "nrf52840", runtime="tflm-cmsis-nn@2.16").summary
    assert own["estimate_basis"] == other["estimate_basis"] == "simulated"
    band = find_band("simulated", "tflm-cmsis-nn@2.16", "cortex-m4")
    cur_lo, cur_hi = bands._current_band()  # stored with the band file ...
    assert (cur_lo, cur_hi) == pytest.approx(bands.current_band(), rel=1e-3)  # ... as current_band computes it
    # log half-widths add in quadrature (hand formula of combine_bands)
    lo = math.exp(-math.hypot(math.log(band.energy_low), math.log(cur_lo)))
    hi = math.exp(math.hypot(math.log(band.energy_high), math.log(cur_hi)))
    e = other["energy_per_inference_j"]
    assert other["energy_low_j"] == pytest.approx(e * lo) and other["energy_high_j"] == pytest.approx(e * hi)
    assert own["energy_low_j"] == pytest.approx(own["energy_per_inference_j"] * band.energy_low)
    # latency bands are the same factors on both parts
    assert other["latency_high_s"] / other["latency_s"] == pytest.approx(own["latency_high_s"] / own["latency_s"])


def test_a_board_held_out_of_the_fit_lands_in_the_no_data_band():
    """Refit the closed runtimes without one board, predict that board's rows, and judge them by a band built as the
    band file's "no data" entry is, but from the *other* board's held-out errors only (nested: nothing of the judged
    board went into its band)."""
    import sys

    from joulescope_free.bands import combine_bands
    from joulescope_free.hardware.runtimes import load_core

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from fit_cycle_model import LatencyModel

    result = jf.validate()
    rows = result.rows[result.rows["skipped"].isna()].reset_index(drop=True)
    model = LatencyModel(rows)
    closed = rows["runtime_label"].isin(model.labels).to_numpy()
    ratios = {}
    for held in ("stm32h7a3", "stm32u575"):
        mine = (rows["mcu_id"] == held).to_numpy()
        known = rows["runtime_label"].isin(set(rows["runtime_label"][~mine])).to_numpy()
        test = mine & known & closed
        ratios[held] = rows["latency_s"].to_numpy()[test] / model.predict(model.fit(~mine))[test]
        assert test.sum() >= 10
    spread = band_from_ratios([load_core(c).timing_factor for c in ("cortex-m4", "cortex-m7", "cortex-m33")])
    plain_held, held_in = [], []
    for held, other in (("stm32h7a3", "stm32u575"), ("stm32u575", "stm32h7a3")):
        lo, hi = combine_bands(band_from_ratios(ratios[other]), spread)
        inside = (ratios[held] >= lo) & (ratios[held] <= hi)
        held_in += list(inside)
        assert np.mean(inside) >= 0.7, held  # about 20 rows a board: 80 % within sampling error
        assert hi / lo < 4
        lo, hi = band_from_ratios(ratios[other])
        plain_held.append(np.mean((ratios[held] >= lo) & (ratios[held] <= hi)))
    assert np.mean(held_in) >= 0.8  # both boards' rows, each judged by the band the other board makes
    # the other board's errors alone do not carry what differs between core classes: the timing spread is needed
    assert min(plain_held) < 0.8


def test_the_band_file_has_a_no_data_band_narrower_than_the_envelope():
    tree = bands._bands()
    own = [b for b in tree if b.scope == "no data"]
    assert len(own) == 1 and own[0].basis == "extrapolated" and not own[0].placeholder
    assert bands.widest_band() == own[0]
    assert bands.find_band("extrapolated") != own[0]  # never picked for an ordinary extrapolated estimate
    envelope_low = min(b.latency_low for b in tree)
    envelope_high = max(b.latency_high for b in tree)
    assert own[0].latency_high / own[0].latency_low <= envelope_high / envelope_low


def test_a_runtime_whose_kernels_are_a_representative_loop_is_not_simulated_but_extrapolated():
    # microtvm-untuned's table is the harness's loop nest, not TVM's generated code: nothing of its own code stands
    # behind it, so it gets the band of estimates without data, while TFLM + CMSIS-NN on the same part is simulated
    s = jf.estimate(str(Path(__file__).parent / "data" / "mlperf_tiny" / "kws_ds_cnn_int8.tflite"), "nrf52840",
                    runtime="microtvm-untuned").summary
    assert s["estimate_basis"] == "extrapolated" and "representative loop" in s["estimate_basis_note"]
    wide = bands.widest_band(scope="unmeasured kernels")
    assert wide.scope == "unmeasured kernels"
    assert s["latency_high_s"] / s["latency_s"] == pytest.approx(wide.latency_high, rel=1e-6)
    # wider than the band of estimates with no data on their core class: the runtime's own code is unknown too
    no_data = bands.widest_band()
    assert wide.latency_low < no_data.latency_low and wide.latency_high > no_data.latency_high
    cmsis = jf.estimate(str(Path(__file__).parent / "data" / "mlperf_tiny" / "kws_ds_cnn_int8.tflite"), "nrf52840",
                        runtime="tflm-cmsis-nn").summary
    assert cmsis["estimate_basis"] == "simulated"


def test_a_float32_model_gets_the_band_of_kernels_no_board_measured():
    # the validation table is all int8: a model whose MACs run float32 kernels (simulated, never measured on a board)
    # gets the band of kernels no board measured, on a simulated runtime and on a measured one alike; the same
    # model in int8 keeps the simulated band of the measured core classes
    data = Path(__file__).parent / "data" / "mlperf_tiny"
    unmeasured = bands.widest_band(scope="unmeasured kernels")
    measured_cores = next(b for b in bands._bands() if b.basis == "simulated" and b.cores)
    assert unmeasured.scope == "unmeasured kernels"
    assert unmeasured.latency_high / unmeasured.latency_low > measured_cores.latency_high / measured_cores.latency_low
    f32 = jf.estimate(str(data / "ic_resnet8_float32.tflite"), "stm32l4r5", runtime="tflm-cmsis-nn").summary
    i8 = jf.estimate(str(data / "ic_resnet8_int8.tflite"), "stm32l4r5", runtime="tflm-cmsis-nn").summary
    assert f32["estimate_basis"] == i8["estimate_basis"] == "simulated"
    assert "float32" in f32["estimate_basis_note"] and "float32" not in i8["estimate_basis_note"]
    assert f32["latency_high_s"] / f32["latency_s"] == pytest.approx(unmeasured.latency_high, rel=1e-6)
    assert i8["latency_high_s"] / i8["latency_s"] == pytest.approx(measured_cores.latency_high, rel=1e-6)
    xcube = jf.estimate(str(data / "ic_resnet8_float32.tflite"), "stm32l4r5", runtime="x-cube-ai").summary
    assert xcube["estimate_basis"] == "extrapolated" and "not for this model" in xcube["estimate_basis_note"]
    assert xcube["latency_high_s"] / xcube["latency_s"] == pytest.approx(unmeasured.latency_high, rel=1e-6)


def test_an_unknown_cache_in_front_of_serial_flash_stretches_the_low_end_to_the_cached_answer():
    # MIK32 executes in place from SPI flash and its instruction-cache size is not sourced: the estimate assumes none
    # (every fetch crosses the bus), and the band's low end reaches the same part with a cache that holds the kernels
    import dataclasses

    from joulescope_free.hardware.catalog import load_mcu

    kws = str(Path(__file__).parent / "data" / "mlperf_tiny" / "kws_ds_cnn_int8.tflite")
    part = load_mcu("mik32")
    assert part.icache_bytes == 0 and part.provenance["icache_bytes"][0] == "derived"
    s = jf.estimate(kws, part).summary
    cached = jf.estimate(kws, dataclasses.replace(part, icache_bytes=4096)).summary
    assert cached["latency_s"] < 0.2 * s["latency_s"]  # the fetch stall dominates
    assert s["latency_low_s"] == pytest.approx(cached["latency_s"], rel=1e-9)
    assert s["energy_low_j"] == pytest.approx(s["energy_per_inference_j"] * cached["latency_s"] / s["latency_s"],
                                              rel=1e-9)
    # a part whose figure is sourced, or whose code is not in serial flash, keeps its band
    nrf = jf.estimate(kws, "nrf52840").summary
    low = next(b for b in bands._bands() if b.basis == "simulated" and b.cores).latency_low
    assert nrf["latency_low_s"] / nrf["latency_s"] == pytest.approx(low, rel=1e-6)


def test_the_measured_band_holds_80_percent_of_a_model_it_has_not_seen():
    """Each MLPerf Tiny model's closed-runtime rows, predicted by ratios fitted without that model, judged by a band
    made at the band file's quantile level from the *other* models' held-out errors only: 80 % must hold. Where the
    file chose a level above 0.8, the nominal level alone would not have held them."""
    import sys

    from joulescope_free.datafile import load_toml
    from joulescope_free.paths import data_dir

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from fit_cycle_model import LatencyModel

    entry = next(b for b in load_toml(data_dir("power_models") / "error_bands.toml")["band"]
                 if b["basis"] == "measured" and not b.get("runtime") and not b.get("cores"))
    found = re.search(r"quantile level ([0-9.]+)", entry["latency_low"]["derived"])
    level = float(found.group(1)) if found else 0.8
    result = jf.validate()
    rows = result.rows[result.rows["skipped"].isna()].reset_index(drop=True)
    model = LatencyModel(rows)
    closed = rows["runtime_label"].isin(model.labels).to_numpy()
    bench = rows["model_path"].map(lambda p: Path(p).stem).to_numpy()
    ratio = np.full(len(rows), np.nan)
    for held in sorted(set(bench)):
        test = (bench == held) & closed
        ratio[test] = rows["latency_s"].to_numpy()[test] / model.predict(model.fit(bench != held))[test]

    def held_share(at):
        inside = []
        for held in sorted(set(bench[closed])):
            lo, hi = band_from_ratios(ratio[closed & (bench != held)], at)
            r = ratio[closed & (bench == held)]
            inside += list((r >= lo * (1 - 1e-9)) & (r <= hi * (1 + 1e-9)))
        return np.mean(inside)

    assert held_share(level) >= 0.8
    if level > 0.8:
        assert held_share(0.8) < 0.8
