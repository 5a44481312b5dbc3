"""The design-review workbook: opens with openpyxl, has units in its headers, and its live formulas give the same
average current and battery life as Python - also after a reviewer changes the rate or a current.

The formulas are evaluated by the small evaluator below (cell references, ranges, + - * /, comparisons, SUM,
MAX, IF, AND: all the workbook uses), independent of the code that wrote them.

The workbook writes currents in µA, energies in µJ and powers in µW (shown as mA/mJ/mW from 1000 up): the expected
values below are Python's SI figures times ``MICRO`` = 1e6."""
import re
import types

import pandas as pd
import pytest

openpyxl = pytest.importorskip("openpyxl")

from joulescope_free.errors import UserError  # noqa: E402
from joulescope_free.render.xlsx import write_workbook  # noqa: E402
from joulescope_free.usage.lifetime import duty_cycle  # noqa: E402
from toy import INF, KIB, SLEEP_64K  # noqa: E402
from toy import toy_mcu as _toy_mcu  # noqa: E402


MICRO = 1e6  # µA per A, µJ per J, µW per W


def toy_mcu():
    return _toy_mcu(sleep_modes=(SLEEP_64K,))






PROFILE = """
name = "review"
rate = "every 10 s"
[[phase]]
name = "sensor"
duration_s = 0.1
current_a = 1e-3
[[phase]]
name = "mic"
every = "continuous"
current_a = 20e-6
[[phase]]
name = "radio"
every = "1/min"
energy_j = 3e-4
"""


def estimate_like(duty):
    summary = pd.Series({"latency_s": INF.latency_s, "energy_per_inference_j": INF.energy_j, **duty.summary},
                        dtype=object)
    layers = pd.DataFrame({"op": ["CONV_2D", "FULLY_CONNECTED"], "macs": [1000, 10], "latency_s": [0.04, 0.01],
                           "energy_j": [1.6e-4, 4e-5], "kernel_w": [3, 1], "stride_w": [2, 1],
                           "output_shape": [[1, 8, 8, 4], [1, 10]]})
    return types.SimpleNamespace(summary=summary, layers=layers, phases=duty.phases, battery=duty.battery,
                                 assumptions=duty.assumptions, warnings=duty.warnings, drivers=duty.drivers,
                                 target={"mcu": "toy", "runtime": "tflm", "clock_hz": 64e6})


# ----------------------------------------------------------------------------------------------- tiny evaluator
_REF = re.compile(r"(?:(?P<sheet>[A-Za-z]+)!)?\$?(?P<c1>[A-Z]{1,2})\$?(?P<r1>\d+)(?::\$?(?P<c2>[A-Z]{1,2})\$?(?P<r2>\d+))?")


class Sheets:
    """Evaluates the formulas of an openpyxl workbook (loaded with formulas) recursively."""

    def __init__(self, wb):
        self.wb = wb

    def value(self, sheet, ref):
        v = self.wb[sheet][ref].value
        if isinstance(v, str) and v.startswith("="):
            return self.formula(sheet, v[1:])
        return 0.0 if v is None else v

    def formula(self, sheet, text):
        def repl(m):
            sh = m["sheet"] or sheet
            if m["c2"]:
                return f"_rng({sh!r},{m['c1']!r},{int(m['r1'])},{int(m['r2'])})"
            return f"_val({sh!r},{m['c1'] + m['r1']!r})"

        parts = re.split(r'("[^"]*")', text)  # leave string literals alone
        py = "".join(p if p.startswith('"') else _REF.sub(repl, p).replace("<>", "!=") for p in parts)
        py = re.sub(r"(?<![<>!=])=(?!=)", "==", py)
        env = {"_val": self.value, "_rng": self.rng, "SUM": lambda *a: sum(_flat(a)), "MAX": lambda *a: max(_flat(a)),
               "IF": lambda c, a, b: a if c else b, "AND": lambda *a: all(a)}
        return eval(py, env)  # noqa: S307 - our own test workbook

    def rng(self, sheet, col, r1, r2):
        return [self.value(sheet, f"{col}{r}") for r in range(r1, r2 + 1)]


def _flat(args):
    for a in args:
        yield from (a if isinstance(a, list) else [a])


def find(ws, label, col=1):
    for row in ws.iter_rows():
        if row[col - 1].value == label:
            return row[col - 1].row
    raise KeyError(label)


# ----------------------------------------------------------------------------------------------- tests
@pytest.fixture()
def workbook(tmp_path):
    prof = tmp_path / "review.toml"
    prof.write_text(PROFILE)
    duty = duty_cycle(INF, toy_mcu(), profile=str(prof), battery="cr2032", regulator="ldo", supply_v=3.0,
                      ram_needed_bytes=30 * KIB)
    path = write_workbook(estimate_like(duty), tmp_path / "review.xlsx")
    return duty, path, str(prof)


def test_workbook_opens_with_the_four_sheets_and_units_in_headers(workbook):
    duty, path, _ = workbook
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Phases", "Layers", "Assumptions", "Life vs rate"]
    assert [c.value for c in wb["Layers"][1]] == ["op", "macs", "latency_s (s)", "energy_j (µJ)", "kernel_w",
                                                  "stride_w", "output_shape"]
    phase_headers = [c.value for c in wb["Phases"][1]]
    assert "average_current_a (µA)" in phase_headers and "rate_hz (Hz)" in phase_headers
    assert "energy_j (µJ)" in phase_headers
    assert wb["Summary"].cell(find(wb["Summary"], "battery_life_days"), 3).value == "d"
    texts = [c.value for c in wb["Assumptions"]["B"]]
    assert duty.assumptions[0] in texts


def test_cached_values_show_without_recalculation(workbook):
    duty, path, _ = workbook
    ws = openpyxl.load_workbook(path, data_only=True)["Summary"]
    assert ws.cell(find(ws, "battery_life_days"), 2).value == pytest.approx(duty.summary["battery_life_days"])
    assert ws.cell(find(ws, "battery_life_limited_by"), 2).value == duty.summary["battery_life_limited_by"]


def test_formulas_give_the_same_life_as_python(workbook):
    duty, path, _ = workbook
    wb = openpyxl.load_workbook(path)
    ev, ws = Sheets(wb), wb["Summary"]
    got = {k: ev.value("Summary", f"B{find(ws, k)}") for k in
           ("average_current_a", "average_power_w", "battery_life_days", "battery_life_months",
            "battery_life_limited_by", "self_discharge_current_a")}
    s = duty.summary
    assert got["average_current_a"] == pytest.approx(s["average_current_a"] * MICRO, rel=1e-12)
    assert got["average_power_w"] == pytest.approx(s["average_power_w"] * MICRO, rel=1e-12)
    assert got["battery_life_days"] == pytest.approx(s["battery_life_days"], rel=1e-12)
    assert got["battery_life_months"] == pytest.approx(s["battery_life_months"], rel=1e-12)
    assert got["self_discharge_current_a"] == pytest.approx(s["self_discharge_current_a"] * MICRO, rel=1e-12)
    assert got["battery_life_limited_by"] == s["battery_life_limited_by"]
    # every phase's average current and share, row by row
    wp = wb["Phases"]
    for _, ph in duty.phases.iterrows():
        row = find(wp, ph["name"])
        assert ev.value("Phases", f"H{row}") == pytest.approx(ph["average_current_a"] * MICRO, rel=1e-12)
        assert ev.value("Phases", f"I{row}") == pytest.approx(ph["share"], rel=1e-12)


def test_a_reviewer_changing_the_rate_sees_the_python_answer_for_that_rate(workbook):
    duty, path, prof = workbook
    wb = openpyxl.load_workbook(path)
    ws = wb["Summary"]
    ws.cell(find(ws, "rate_hz"), 2).value = 1.0  # every 10 s -> 1/s
    again = duty_cycle(INF, toy_mcu(), profile=prof, rate_hz=1.0, battery="cr2032", regulator="ldo", supply_v=3.0,
                       ram_needed_bytes=30 * KIB)
    ev = Sheets(wb)
    assert ev.value("Summary", f"B{find(ws, 'average_current_a')}") == pytest.approx(
        again.summary["average_current_a"] * MICRO, rel=1e-12)
    # usable capacity is an input computed at the original load; at 1/s the peak is the same 4 mA and the load
    # stays far below the coin cell's derating points, so Python's usable capacity is unchanged
    assert again.battery["usable_capacity_mah"] == pytest.approx(duty.battery["usable_capacity_mah"])
    assert ev.value("Summary", f"B{find(ws, 'battery_life_days')}") == pytest.approx(
        again.summary["battery_life_days"], rel=1e-12)


def test_a_reviewer_changing_a_current_moves_the_life(workbook):
    duty, path, _ = workbook
    wb = openpyxl.load_workbook(path)
    wp, ws = wb["Phases"], wb["Summary"]
    row = find(wp, "sensor")
    wp[f"E{row}"].value = 2000  # µA: the sensor draws 2 mA instead of 1 mA: +1 mA x 0.1 s per 10 s = +10 µA average
    ev = Sheets(wb)
    avg_ua = ev.value("Summary", f"B{find(ws, 'average_current_a')}")
    assert avg_ua == pytest.approx(duty.summary["average_current_a"] * MICRO + 10, rel=1e-9)
    life_days = ev.value("Summary", f"B{find(ws, 'battery_life_days')}")
    usable_c = duty.battery["usable_capacity_mah"] * 3.6
    assert life_days * 86400 == pytest.approx(usable_c / (avg_ua / MICRO + duty.summary["self_discharge_current_a"]),
                                              rel=1e-9)


def test_no_duty_still_writes_a_workbook(tmp_path):
    res = types.SimpleNamespace(summary=pd.Series({"latency_s": 0.01, "fits_ram": True}, dtype=object),
                                layers=pd.DataFrame({"op": ["ADD"], "macs": [0]}), phases=pd.DataFrame(),
                                battery=None, assumptions=["a"], target={"mcu": "toy"})
    wb = openpyxl.load_workbook(write_workbook(res, tmp_path / "x.xlsx"))
    assert wb["Summary"].cell(find(wb["Summary"], "latency_s"), 3).value == "s"


def test_bad_target_keeps_the_users_file(tmp_path, workbook):
    duty, _, _ = workbook
    keep = tmp_path / "notes.txt"
    keep.write_text("mine")
    with pytest.raises(UserError):
        write_workbook(estimate_like(duty), keep)  # not .xlsx
    with pytest.raises(UserError):
        write_workbook(estimate_like(duty), tmp_path / "missing" / "r.xlsx")
    assert keep.read_text() == "mine"


def test_uncapped_life_is_lifetimes_value_and_the_formula_agrees(tmp_path):
    # 1000 mAh ideal cell capped at a 1-year shelf life, one inference an hour on the toy (sleep-64k, 20 us wake-up)
    bat = {"capacity_mah": 1000, "nominal_v": 3.0, "shelf_life_years": 1}
    duty = duty_cycle(INF, toy_mcu(), rate_hz=1 / 3600, battery=bat, supply_v=3.0, ram_needed_bytes=0)
    q = (4e-3 * (0.05 + 20e-6) + 1.5e-6 * (3600 - 0.05 - 20e-6)) / 3600
    uncapped = 1000 * 3.6 / q
    path = write_workbook(estimate_like(duty), tmp_path / "capped.xlsx")
    cached = openpyxl.load_workbook(path, data_only=True)["Summary"]
    assert cached.cell(find(cached, "uncapped_life_s"), 2).value == pytest.approx(uncapped, rel=1e-12)
    assert cached.cell(find(cached, "battery_life_limited_by"), 2).value == "shelf life"
    wb = openpyxl.load_workbook(path)
    ws = wb["Summary"]
    assert Sheets(wb).value("Summary", f"B{find(ws, 'uncapped_life_s')}") == pytest.approx(uncapped, rel=1e-12)
    assert Sheets(wb).value("Summary", f"B{find(ws, 'battery_life_days')}") == pytest.approx(365.25, rel=1e-12)


# ----------------------------------------------------------------------------------------------- charts
def life_rows(wb):
    ws = wb["Life vs rate"]
    return [r for r in range(2, ws.max_row + 1) if isinstance(ws[f"A{r}"].value, float)]


def test_life_vs_rate_rows_are_the_duty_model_at_each_rate(workbook):
    duty, path, prof = workbook
    wb = openpyxl.load_workbook(path)
    ev, ws = Sheets(wb), wb["Life vs rate"]
    rows = life_rows(wb)
    assert len(rows) >= 10
    chosen = next(r for r in rows if ws[f"E{r}"].value)
    assert ws[f"A{chosen}"].value == pytest.approx(0.1)  # the profile's "every 10 s"
    assert ev.value("Life vs rate", f"B{chosen}") == pytest.approx(duty.summary["average_current_a"] * MICRO,
                                                                   rel=1e-12)
    assert ev.value("Life vs rate", f"C{chosen}") == pytest.approx(duty.summary["battery_life_days"], rel=1e-12)
    for r in rows[::4]:  # other rates: the average current is Python's at that rate, exactly (LDO: factor 1)
        rate = ws[f"A{r}"].value
        again = duty_cycle(INF, toy_mcu(), profile=prof, rate_hz=rate, battery="cr2032", regulator="ldo",
                           supply_v=3.0, ram_needed_bytes=30 * KIB)
        assert ev.value("Life vs rate", f"B{r}") == pytest.approx(again.summary["average_current_a"] * MICRO,
                                                                  rel=1e-9)
        assert ev.value("Life vs rate", f"D{r}") == pytest.approx(rate * 3600)


def test_the_charts_read_the_live_cells_and_move_with_a_current(workbook):
    import zipfile

    duty, path, _ = workbook
    charts = [zipfile.ZipFile(path).read(n).decode() for n in zipfile.ZipFile(path).namelist()
              if n.startswith("xl/charts/chart")]
    assert len(charts) == 2
    pie = next(c for c in charts if "<c:pieChart>" in c)
    n = len(duty.phases)
    assert f"Phases!$H$2:$H${n + 1}" in pie and f"Phases!$A$2:$A${n + 1}" in pie  # average_current_a formulas
    life = next(c for c in charts if "<c:scatterChart>" in c)
    assert "'Life vs rate'!$C$2" in life and "<c:logBase val=\"10\"/>" in life
    wb = openpyxl.load_workbook(path)
    wp = wb["Phases"]
    wp[f"E{find(wp, 'sensor')}"].value = 2000  # µA: +1 mA x 0.1 s per inference
    ev, ws = Sheets(wb), wb["Life vs rate"]
    for r in life_rows(wb)[::5]:
        rate = ws[f"A{r}"].value
        before = duty_cycle(INF, toy_mcu(), profile=_profile_path(workbook), rate_hz=rate, battery="cr2032",
                            regulator="ldo", supply_v=3.0, ram_needed_bytes=30 * KIB).summary["average_current_a"]
        assert ev.value("Life vs rate", f"B{r}") == pytest.approx((before + 1e-3 * 0.1 * rate) * MICRO, rel=1e-9)


def _profile_path(workbook):
    return workbook[2]



# ----------------------------------------------------------------------------------------------- units, formats, inputs
@pytest.mark.parametrize("name, unit", [
    ("kernel_w", ""), ("stride_w", ""), ("kernel_h", ""), ("in_c", ""), ("out_c", ""), ("macs", ""),
    ("average_power_w", "W"), ("inference_power_w", "W"), ("total_charge_c", "C"), ("latency_s", "s"),
    ("max_pulse_a", "A"), ("cutoff_v", "V"), ("clock_hz", "Hz"), ("arena_bytes", "B"), ("capacity_mah", "mAh"),
    ("energy_per_inference_j", "J"), ("battery_life_days", "d")])
def test_a_unit_comes_only_from_a_real_unit_suffix(name, unit):
    from joulescope_free.render.xlsx import unit_of

    assert unit_of(name) == unit


def _fill(c):
    return (c.fill.fgColor.rgb or "")[-6:] if c.fill is not None and c.fill.fill_type else ""


def test_currents_energies_and_capacities_read_as_ua_ma_uj_mah(workbook):
    duty, path, _ = workbook
    wb = openpyxl.load_workbook(path)
    wp, ws, wl = wb["Phases"], wb["Summary"], wb["Layers"]
    sensor = wp[f"E{find(wp, 'sensor')}"]  # the profile's 1 mA
    assert sensor.value == pytest.approx(1000)
    assert 'mA"' in sensor.number_format and 'µA"' in sensor.number_format and ",\"" in sensor.number_format
    radio = wp[f"F{find(wp, 'radio')}"]  # the profile's 3e-4 J per message
    assert radio.value == pytest.approx(300) and 'µJ"' in radio.number_format and 'mJ"' in radio.number_format
    cap = ws.cell(find(ws, "capacity_mah"), 2)
    assert cap.value == pytest.approx(duty.battery["capacity_mah"]) and "mAh" in cap.number_format
    assert ws.cell(find(ws, "average_current_a"), 3).value == "µA"
    assert ws.cell(find(ws, "average_power_w"), 3).value == "µW"
    assert wl["D2"].value == pytest.approx(160)  # the layer's 1.6e-4 J in µJ
    assert wl["E2"].value == 3 and wl["E2"].number_format == "General"  # kernel_w: a count, no unit


def test_input_cells_are_marked_and_explained(workbook):
    _, path, _ = workbook
    wb = openpyxl.load_workbook(path)
    ws, wp, wr = wb["Summary"], wb["Phases"], wb["Life vs rate"]
    rate, avg = ws.cell(find(ws, "rate_hz"), 2), ws.cell(find(ws, "average_current_a"), 2)
    assert _fill(rate) == "FFF2CC" and rate.border.left.style == "thin"
    assert _fill(avg) == "" and avg.border.left.style is None and str(avg.value).startswith("=")
    sensor = find(wp, "sensor")
    assert _fill(wp[f"D{sensor}"]) == "FFF2CC" and _fill(wp[f"H{sensor}"]) == ""  # duration typed, average computed
    assert _fill(wr["A2"]) == "FFF2CC"  # the rates of the life curve
    for sheet in (ws, wp, wr):
        legend = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "inputs" in c.value]
        assert any("Yellow" in text for text in legend), sheet.title
