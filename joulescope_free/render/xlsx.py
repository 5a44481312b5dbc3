"""The design-review workbook (``energy estimate ... --xlsx FILE``): sheets Summary, Phases, Layers, Assumptions,
and with a battery "Life vs rate"; with ``--clock-mhz best`` a "Clock" sheet. Native charts (the share of the average
current per phase, battery life versus rate) read the live formula cells, so they move with the inputs.

Units are in every header. Currents, energies and powers are written in micro-units (µA, µJ, µW: the formulas
below hold unchanged in them) and shown as mA/mJ/mW from 1000 up; capacities in mAh. Inputs are yellow cells with
an orange border (a legend line on each sheet says so). The Phases and Summary sheets compute with live formulas:
change a phase's current, duration or rate, the inference rate, the supply or the battery figures, and the
average current and the battery life follow. Each formula cell also stores the value Python computed, so readers
that do not recalculate still show numbers. The formulas are exactly the model of ``usage/lifetime.py``::

    energy_j          = current_a x duration_s x supply_v            (phases given as energy: typed in)
    average_current_a = energy_j x rate_hz / supply_v x battery_factor (regulator row: its quiescent current)
    sleep duration_s  = max(0, period_s x (1 - sum(rate x duration of own-rate phases)) - sum(per-inference durations))
    battery life_s    = usable_mah x 3.6e6 / (average_current µA + self-discharge µA), capped at the shelf life
                        (the uncapped life's cached value is lifetime's ``battery["uncapped_life_s"]``)

``usable_mah`` (derating, pulse loss, cutoff) is computed in Python at the estimated load and typed in.
"""
from __future__ import annotations

import io
import math
from pathlib import Path

from ..units import DAYS_PER_MONTH, DAYS_PER_YEAR, MAH_TO_C, SECONDS_PER_DAY, SECONDS_PER_YEAR
from .export import write_bytes_safely

#: name suffix -> unit. ``_w`` and ``_c`` are watts and coulombs only after ``power``/``charge`` (the glossary's
#: ``*_power_w``): elsewhere they are a width or a channel count (``kernel_w``, ``stride_w``, ``in_c``).
_UNITS = (("_pct_per_year", "%/yr"), ("_bytes", "B"), ("_mah", "mAh"), ("_hz", "Hz"), ("_days", "d"),
          ("_months", "months"), ("_years", "yr"), ("_ohm", "ohm"), ("_s", "s"), ("_j", "J"), ("_a", "A"),
          ("_v", "V"), ("power_w", "W"), ("charge_c", "C"))
#: the workbook writes these SI units in micro-units (one scale: µA x s x V = µJ, µJ x Hz / V = µA, µA x V = µW)
MICRO = 1e6
_SHOWN = {"A": "µA", "J": "µJ", "W": "µW"}
#: cell formats by shown unit: micro-units switch to milli from 1000 (a trailing ',' divides by 1000)
_NUM_FORMATS = {
    **{u: f'[>=1000]#,##0.00," m{u[1:]}";[>=1]0.00" {u}";0.000" {u}"' for u in _SHOWN.values()},
    "mAh": '#,##0.0" mAh"', "B": "#,##0", "d": "#,##0.0", "%/yr": "0.0",
}
INPUT_LEGEND = "Yellow cells with an orange border are inputs: type a new value and the formulas follow."
_INPUT_STYLE = {"bg_color": "#FFF2CC", "border": 1, "border_color": "#ED7D31"}


def unit_of(name: str) -> str:
    """The SI unit a column name carries (``latency_s -> 's'``), '' for counts and text (``kernel_w``)."""
    for suffix, unit in _UNITS:
        if str(name).endswith(suffix):
            return unit
    return ""


def shown_unit(name: str) -> str:
    """The unit the workbook shows a quantity in: micro-units for A, J, W (``current_a -> 'µA'``)."""
    unit = unit_of(name)
    return _SHOWN.get(unit, unit)


def shown(name: str, value):
    """``value`` (SI, as the JSON has it) in :func:`shown_unit` ``(name)``; text and None pass through."""
    value = _scalar(value)
    if unit_of(name) in _SHOWN and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value * MICRO
    return value


def header(name: str) -> str:
    unit = shown_unit(name)
    return f"{name} ({unit})" if unit else str(name)


def _scalar(value):
    """A value xlsxwriter can write: numbers, text, bools; None/NaN -> None; anything else as text."""
    try:
        import numpy as np

        if isinstance(value, np.generic):
            value = value.item()
    except ImportError:  # pragma: no cover
        pass
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _get(mapping, key, default=None):
    try:
        value = mapping[key]
    except (KeyError, TypeError, IndexError):
        return default
    value = _scalar(value)
    return default if value is None else value


class _Styles:
    """The workbook's cell formats by shown unit (:data:`_NUM_FORMATS`), plain or marked as an input; made once."""

    def __init__(self, wb):
        self.wb, self._made = wb, {}

    def number(self, unit: str):
        return self._get(unit, False)

    def input(self, unit: str):
        return self._get(unit, True)

    def _get(self, unit: str, is_input: bool):
        key = (unit, is_input)
        if key not in self._made:
            props = {"num_format": _NUM_FORMATS[unit]} if unit in _NUM_FORMATS else {}
            if is_input:
                props.update(_INPUT_STYLE)
            self._made[key] = self.wb.add_format(props) if props else None
        return self._made[key]


def write_workbook(result, path) -> Path:
    """Write the workbook for an estimate ``result`` (``.summary`` Series, ``.layers``/``.phases`` DataFrames,
    ``.assumptions``, ``.battery``, ``.target``) to ``path`` atomically; returns the path."""
    import xlsxwriter
    from xlsxwriter.utility import xl_rowcol_to_cell as cell

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        from ..errors import UserError

        raise UserError(f"{path}: the workbook needs a .xlsx file name")
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "nan_inf_to_errors": True})
    bold = wb.add_format({"bold": True})
    title = wb.add_format({"bold": True, "font_size": 13})
    style = _Styles(wb)
    inp = style.input("")
    pct = wb.add_format({"num_format": "0.0%"})
    days_fmt = wb.add_format({"num_format": "#,##0.0", "bold": True})
    note = wb.add_format({"italic": True, "font_color": "#666666"})

    summary = result.summary
    phases = getattr(result, "phases", None)
    battery = getattr(result, "battery", None) or None
    target = getattr(result, "target", {}) or {}
    has_duty = phases is not None and len(phases) > 0 and _get(summary, "rate_hz") is not None

    ws = wb.add_worksheet("Summary")
    wp = wb.add_worksheet("Phases")
    wl = wb.add_worksheet("Layers")
    wa = wb.add_worksheet("Assumptions")
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2, 9)
    ws.set_column(3, 3, 70)

    # ------------------------------------------------------------------ Summary: the live block
    ws.write(0, 0, f"{target.get('mcu', '')} / {target.get('runtime', '')}: design review", title)
    ws.write(1, 0, INPUT_LEGEND, note)
    ws.write_row(2, 0, ["quantity", "value", "unit", "how"], bold)
    refs: dict[str, str] = {}
    r = 3

    def put(name, value, *, formula=None, how=""):
        nonlocal r
        ws.write(r, 0, name)
        value = shown(name, value)
        if formula is None:
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            ws.write(r, 1, value, style.input(shown_unit(name)) if numeric else None)
            how = how or "input: change it"
        else:
            ws.write_formula(r, 1, formula, style.number(shown_unit(name)), value if value is not None else 0)
        ws.write(r, 2, shown_unit(name))
        ws.write(r, 3, how, note)
        refs[name] = f"Summary!{cell(r, 1, row_abs=True, col_abs=True)}"
        r += 1
        return cell(r - 1, 1)

    live = set()
    if has_duty:
        supply_v = float(_get(summary, "supply_v"))
        battery_v = float(_get(summary, "battery_v", supply_v))
        rate_hz = float(_get(summary, "rate_hz"))
        put("supply_v", supply_v, how="input: MCU supply; phase energies are at this voltage")
        put("battery_v", battery_v, how="input: pack nominal voltage (regulator conversion)")
        c_rate = put("rate_hz", rate_hz, how="input: inferences per second")
        put("period_s", 1 / rate_hz, formula=f"=1/{c_rate}", how="= 1 / rate_hz")
        live |= {"supply_v", "battery_v", "rate_hz", "period_s"}
        avg_row = r
        r += 1  # average_current_a is written after the Phases sheet knows its range
        live |= {"average_current_a", "average_power_w"}
        pw_row = r
        r += 1
        life = None
        if battery is not None and _get(summary, "battery_life_days") is not None:
            c_cap = put("capacity_mah", battery.get("capacity_mah"), how="input: rated capacity (self-discharge base)")
            c_use = put("usable_capacity_mah", battery.get("usable_capacity_mah"),
                        how="input: computed in Python at the estimated load (derating x pulse x cutoff)")
            c_pct = put("self_discharge_pct_per_year", battery.get("self_discharge_pct_per_year") or 0)
            c_shelf = put("shelf_life_years", battery.get("shelf_life_years") or 0, how="input: 0 = no cap")
            sd_a = _get(summary, "self_discharge_current_a", 0.0)
            c_sd = put("self_discharge_current_a", sd_a,
                       formula=f"={c_cap}*{MAH_TO_C}*{c_pct}/100/{SECONDS_PER_YEAR}*{MICRO:.0f}",
                       how=f"= capacity_mah x {MAH_TO_C} x pct/100 per year, in µA")
            life = (c_use, c_sd, c_shelf)
            live |= {"capacity_mah", "usable_capacity_mah", "self_discharge_pct_per_year", "shelf_life_years",
                     "self_discharge_current_a"}
        life_rows = r
        if life is not None:
            r += 6
        live |= {"battery_life_days", "battery_life_months", "battery_life_years", "battery_life_limited_by"}

    # ------------------------------------------------------------------ Phases
    wp.set_column(0, 1, 16)
    wp.set_column(2, 8, 16)
    wp.set_column(9, 9, 80)
    cols = ["phase", "kind", "rate_hz", "duration_s", "current_a", "energy_j", "battery_factor", "average_current_a",
            "share", "note"]
    wp.write_row(0, 0, [header(c) if c != "battery_factor" else "battery_factor (A/A)" for c in cols], bold)
    wp.write(0, 8, "share (of average_current_a)", bold)
    if has_duty:
        frame = phases.reset_index(drop=True)
        order = sorted(range(len(frame)), key=lambda i: {"sleep": 1, "regulator": 2}.get(frame.loc[i, "kind"], 0))
        first, last = 1, len(order)
        V, RATE = refs["supply_v"], refs["rate_hz"]
        per_inf_d, own_rd, per_rate = [], [], []
        row_of = {}
        for out_row, i in enumerate(order, start=1):
            row_of[i] = out_row
            ph = frame.loc[i]
            kind = ph.get("kind", "profile")
            if bool(ph.get("per_inference", False)):
                per_inf_d.append(cell(out_row, 3))
            elif kind == "profile":
                own_rd.append(f"{cell(out_row, 2)}*{cell(out_row, 3)}")
        for out_row, i in ((row_of[i], i) for i in order):
            ph = frame.loc[i]
            kind = _get(ph, "kind", "profile")
            wp.write(out_row, 0, _get(ph, "name"))
            wp.write(out_row, 1, kind)
            c_rate, c_dur, c_cur, c_en, c_k = (cell(out_row, c) for c in (2, 3, 4, 5, 6))
            rate_v, dur_v, cur_v, en_v = (shown(k, _get(ph, k)) for k in ("rate_hz", "duration_s", "current_a",
                                                                            "energy_j"))
            k_v, avg_v = _get(ph, "battery_factor", 1.0), shown("current_a", _get(ph, "average_current_a", 0.0))
            f_rate, f_dur, f_cur, f_en = (style.number(u) for u in ("Hz", "s", "µA", "µJ"))
            i_rate, i_dur, i_cur, i_en = (style.input(u) for u in ("Hz", "s", "µA", "µJ"))
            if kind == "regulator":
                wp.write(out_row, 4, cur_v, i_cur)
                wp.write(out_row, 6, 1.0)
                wp.write_formula(out_row, 7, f"={c_cur}", f_cur, avg_v)
            else:
                if bool(_get(ph, "per_inference", False)) or kind in ("sleep", "always-on"):
                    wp.write_formula(out_row, 2, f"={RATE}", f_rate, rate_v)
                else:
                    wp.write(out_row, 2, rate_v, i_rate)
                if kind == "sleep":
                    own = "+".join(own_rd) or "0"
                    per = "+".join(per_inf_d) or "0"
                    wp.write_formula(out_row, 3, f"=MAX(0,(1-({own}))/{c_rate}-({per}))", f_dur, dur_v)
                elif kind == "always-on":
                    wp.write_formula(out_row, 3, f"=1/{c_rate}", f_dur, dur_v)
                else:
                    wp.write(out_row, 3, dur_v, i_dur)
                if cur_v is not None:
                    wp.write(out_row, 4, cur_v, i_cur)
                    wp.write_formula(out_row, 5, f"={c_cur}*{c_dur}*{V}", f_en, en_v)
                else:
                    wp.write(out_row, 5, en_v, i_en)
                wp.write(out_row, 6, k_v, inp)
                wp.write_formula(out_row, 7, f"={c_en}*{c_rate}/{V}*{c_k}", f_cur, avg_v)
            per_rate.append(_avg_at_rate_term(kind, bool(_get(ph, "per_inference", False)), out_row))
            total_range = f"{cell(first, 7, row_abs=True)}:{cell(last, 7, row_abs=True)}"
            wp.write_formula(out_row, 8, f"={cell(out_row, 7)}/SUM({total_range})", pct, _get(ph, "share", 0.0))
            wp.write(out_row, 9, _get(ph, "note", ""), note)
        total_row = last + 1
        wp.write(total_row, 0, "total", bold)
        avg_total = shown("average_current_a", float(_get(summary, "average_current_a", 0.0)))
        wp.write_formula(total_row, 7, f"=SUM({cell(first, 7)}:{cell(last, 7)})", style.number("µA"), avg_total)
        wp.write(total_row + 2, 0, f"{INPUT_LEGEND} rate_hz of per-inference phases, sleep and always-on rows follows "
                 "Summary rate_hz; battery_factor = battery A per load A (regulator).", note)

        # back-fill the Summary cells that depend on the Phases range
        ws.write(avg_row, 0, "average_current_a")
        ws.write_formula(avg_row, 1, f"=Phases!{cell(total_row, 7)}", style.number("µA"), avg_total)
        ws.write(avg_row, 2, "µA")
        ws.write(avg_row, 3, "= sum of the Phases average currents (drawn from the battery)", note)
        refs["average_current_a"] = f"Summary!{cell(avg_row, 1, row_abs=True, col_abs=True)}"
        ws.write(pw_row, 0, "average_power_w")
        ws.write_formula(pw_row, 1, f"={cell(avg_row, 1)}*{refs['battery_v']}", style.number("µW"),
                         shown("average_power_w", _get(summary, "average_power_w", avg_total / MICRO * battery_v)))
        ws.write(pw_row, 2, "µW")
        ws.write(pw_row, 3, "= average_current_a x battery_v", note)
        if life is not None:
            c_use, c_sd, c_shelf = life
            avg = cell(avg_row, 1)
            rr = life_rows
            rows = [
                ("uncapped_life_s", f"=IF({c_use}<=0,0,{c_use}*{MAH_TO_C}*{MICRO:.0f}/({avg}+{c_sd}))",
                 f"= usable_capacity_mah x {MAH_TO_C} x 1e6 / (average_current_a + self_discharge_current_a), "
                 "currents in µA"),
                ("battery_life_s", f"=IF(AND({c_shelf}>0,{cell(rr, 1)}>{c_shelf}*{SECONDS_PER_YEAR}),"
                                   f"{c_shelf}*{SECONDS_PER_YEAR},{cell(rr, 1)})", "= min(uncapped, shelf life)"),
                ("battery_life_days", f"={cell(rr + 1, 1)}/{SECONDS_PER_DAY:g}", f"= life_s / {SECONDS_PER_DAY:g}"),
                ("battery_life_months", f"={cell(rr + 2, 1)}/{DAYS_PER_MONTH:g}", f"= days / {DAYS_PER_MONTH:g}"),
                ("battery_life_years", f"={cell(rr + 2, 1)}/{DAYS_PER_YEAR:g}", f"= days / {DAYS_PER_YEAR:g}"),
                ("battery_life_limited_by", f"=IF({c_use}<=0,\"cutoff\",IF(AND({c_shelf}>0,{cell(rr, 1)}>{c_shelf}*"
                                            f"{SECONDS_PER_YEAR}),\"shelf life\",IF({c_sd}>{avg},\"self-discharge\","
                                            "\"capacity\")))", "capacity | self-discharge | shelf life | cutoff"),
            ]
            days = float(_get(summary, "battery_life_days"))
            values = [_get(battery, "uncapped_life_s"), days * SECONDS_PER_DAY, days, days / DAYS_PER_MONTH,
                      days / DAYS_PER_YEAR, _get(summary, "battery_life_limited_by")]
            for k, (name, formula, how) in enumerate(rows):
                ws.write(rr + k, 0, name, bold if name == "battery_life_days" else None)
                fmt = days_fmt if name == "battery_life_days" else (None if name.endswith("limited_by") else
                                                                  style.number(shown_unit(name)))
                ws.write_formula(rr + k, 1, formula, fmt, values[k])
                ws.write(rr + k, 2, shown_unit(name))
                ws.write(rr + k, 3, how, note)
                refs[name] = f"Summary!{cell(rr + k, 1, row_abs=True, col_abs=True)}"
        _phase_chart(wb, wp, first, last)
        if life is not None:
            own = "+".join("Phases!" + t.replace("*", "*Phases!") for t in own_rd) or "0"
            per = "+".join("Phases!" + c for c in per_inf_d) or "0"
            _life_sheet(wb, result, refs, per_rate, own, per, cell(avg_row, 1),
                        fmts=(bold, style, days_fmt, note))
    else:
        wp.write(1, 0, "no duty cycle: give --duty or --profile for phases and battery life", note)
    search = getattr(result, "clock_search", None)
    if search is not None:
        _clock_sheet(wb, search, bold, style, note)

    # ------------------------------------------------------------------ Summary: everything else (values)
    r += 1
    ws.write(r, 0, "other results (computed in Python)", bold)
    r += 1
    for key, value in (summary.items() if hasattr(summary, "items") else []):
        if key in live or key in refs:
            continue
        ws.write(r, 0, key)
        ws.write(r, 1, shown(key, value), style.number(shown_unit(key)))
        ws.write(r, 2, shown_unit(key))
        r += 1
    for label, mapping in (("target", target), ("battery", battery or {})):
        if not mapping:
            continue
        r += 1
        ws.write(r, 0, label, bold)
        r += 1
        for key, value in _flatten(mapping):
            ws.write(r, 0, key)
            ws.write(r, 1, shown(key, value), style.number(shown_unit(key)))
            ws.write(r, 2, shown_unit(key))
            r += 1

    # ------------------------------------------------------------------ Layers
    layers = getattr(result, "layers", None)
    if layers is not None and len(layers.columns):
        wl.write_row(0, 0, [header(c) for c in layers.columns], bold)
        col_fmt = [style.number(shown_unit(c)) for c in layers.columns]
        for i, row in enumerate(layers.itertuples(index=False), start=1):
            for j, (name, value) in enumerate(zip(layers.columns, row)):
                v = shown(name, value)
                if v is not None:
                    wl.write(i, j, v, col_fmt[j])
        wl.freeze_panes(1, 0)

    # ------------------------------------------------------------------ Assumptions
    wa.set_column(0, 0, 12)
    wa.set_column(1, 1, 140)
    wa.write_row(0, 0, ["kind", "text"], bold)
    k = 1
    for kind, lines in (("assumption", getattr(result, "assumptions", []) or []),
                        ("warning", getattr(result, "warnings", []) or []),
                        ("driver", getattr(result, "drivers", []) or [])):
        for line in lines:
            wa.write(k, 0, kind)
            wa.write(k, 1, str(line))
            k += 1

    wb.close()
    return write_bytes_safely(path, buf.getvalue())


def _avg_at_rate_term(kind: str, per_inference: bool, row: int) -> str:
    """A Phases row's average battery current at the rate in ``{rate}`` (a format field), as a formula over that
    row's cells (columns C rate, D duration, E current, F energy, G battery_factor, H average; V = {v})."""
    from xlsxwriter.utility import xl_rowcol_to_cell as cell

    cur, en, k, avg = (cell(row, c, row_abs=True, col_abs=True) for c in (4, 5, 6, 7))
    if kind == "regulator":
        return f"Phases!{cur}"
    if kind == "sleep":  # sleeps for what the busy phases leave: max(0, 1 - own-rate share - rate x per-inference)
        return f"Phases!{cur}*MAX(0,1-({{own}})-{{rate}}*({{per}}))*Phases!{k}"
    if kind == "always-on":
        return f"Phases!{cur}*Phases!{k}"
    if per_inference:
        return f"Phases!{en}*{{rate}}/{{v}}*Phases!{k}"
    return f"Phases!{avg}"  # a phase with its own rate does not follow the inference rate


def _phase_chart(wb, wp, first: int, last: int) -> None:
    """A pie of each phase's share of the average current, fed by the Phases formulas."""
    chart = wb.add_chart({"type": "pie"})
    chart.add_series({"name": "share of the average current", "categories": ["Phases", first, 0, last, 0],
                      "values": ["Phases", first, 7, last, 7], "data_labels": {"percentage": True}})
    chart.set_title({"name": "Where the energy goes (share of the average current)"})
    wp.insert_chart(last + 5, 0, chart, {"x_scale": 1.4, "y_scale": 1.3})


LIFE_RATES = 15


def _life_sheet(wb, result, refs, terms, own, per, avg_cell, fmts) -> None:
    """Battery life versus inference rate: each row recomputes the average current from the Phases cells at its
    rate (yellow, editable) and the life with the Summary battery cells; a log-log chart reads them."""
    import numpy as np
    from xlsxwriter.utility import xl_rowcol_to_cell as cell

    bold, style, days_fmt, note = fmts
    c_use, c_sd, c_shelf = (refs[k] for k in ("usable_capacity_mah", "self_discharge_current_a", "shelf_life_years"))
    summary = result.summary
    rate = float(_get(summary, "rate_hz"))
    top = float(_get(summary, "max_rate_hz", rate * 100))
    rates = sorted(set(np.geomspace(min(rate / 100, 1 / 86400), top * 0.999, LIFE_RATES - 1).tolist()) | {rate})
    ws = wb.add_worksheet("Life vs rate")
    ws.set_column(0, 3, 20)
    ws.set_column(4, 4, 90)
    ws.write_row(0, 0, [header("rate_hz"), header("average_current_a"), header("battery_life_days"),
                        "inferences per hour"], bold)
    v = refs["supply_v"]
    chosen_row = None
    for i, r in enumerate(rates, start=1):
        c_rate = cell(i, 0)
        ws.write(i, 0, r, style.input("Hz"))
        avg = "+".join(t.format(rate=c_rate, v=v, own=own, per=per) for t in terms) or "0"
        ws.write_formula(i, 1, f"={avg}", style.number("µA"))
        uncapped = f"IF({c_use}<=0,0,{c_use}*{MAH_TO_C}*{MICRO:.0f}/({cell(i, 1)}+{c_sd}))"
        life_s = (f"IF(AND({c_shelf}>0,{uncapped}>{c_shelf}*{SECONDS_PER_YEAR}),{c_shelf}*{SECONDS_PER_YEAR},"
                  f"{uncapped})")
        ws.write_formula(i, 2, f"={life_s}/{SECONDS_PER_DAY:g}", days_fmt)
        ws.write_formula(i, 3, f"={c_rate}*3600", style.number("Hz"))
        if r == rate:
            chosen_row = i
            ws.write(i, 4, "the estimate's rate (Summary rate_hz)", note)
    ws.write(len(rates) + 2, 0, f"{INPUT_LEGEND} The usable capacity is the Summary's (computed in Python at the "
             "estimated load), so far from the chosen rate the derating is approximate.", note)
    ws.write(len(rates) + 3, 0, f"At the chosen rate the average current equals Summary {avg_cell}.", note)
    chart = wb.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
    n = len(rates)
    chart.add_series({"name": "battery life", "categories": ["Life vs rate", 1, 3, n, 3],
                      "values": ["Life vs rate", 1, 2, n, 2]})
    if chosen_row is not None:
        chart.add_series({"name": "chosen rate", "categories": ["Life vs rate", chosen_row, 3, chosen_row, 3],
                          "values": ["Life vs rate", chosen_row, 2, chosen_row, 2],
                          "marker": {"type": "diamond", "size": 9}, "line": {"none": True}})
    chart.set_title({"name": "Battery life versus inference rate"})
    chart.set_x_axis({"name": "inferences per hour", "log_base": 10})
    chart.set_y_axis({"name": "battery life [days]", "log_base": 10})
    ws.insert_chart(1, 5, chart, {"x_scale": 1.5, "y_scale": 1.5})


def _clock_sheet(wb, search, bold, style, note) -> None:
    """The clock curve of ``--clock-mhz best`` (values computed in Python) and its chart."""
    ws = wb.add_worksheet("Clock")
    ws.set_column(0, 4, 22)
    cols = ["clock_hz", "wait_states", "latency_s", search.objective, "battery_life_days"]
    ws.write_row(0, 0, [header(c) for c in cols], bold)
    curve = search.curve[search.curve["feasible"]].reset_index(drop=True)
    for i, row in curve.iterrows():
        values = [row["clock_hz"], row["wait_states"], row["latency_s"], row["objective"], row["battery_life_days"]]
        for j, value in enumerate(values):
            ws.write(i + 1, j, shown(cols[j], value), style.number(shown_unit(cols[j])) if j != 1 else None)
    ws.write(len(curve) + 2, 0, f"chosen clock {search.clock_hz / 1e6:.4g} MHz ({search.objective} minimised)",
             bold)
    for k, line in enumerate(search.notes):
        ws.write(len(curve) + 3 + k, 0, line, note)
    chart = wb.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
    chart.add_series({"name": search.objective, "categories": ["Clock", 1, 0, len(curve), 0],
                      "values": ["Clock", 1, 3, len(curve), 3]})
    chart.set_title({"name": f"{search.objective} versus core clock"})
    chart.set_x_axis({"name": "clock [Hz]"})
    chart.set_y_axis({"name": header(search.objective)})
    chart.set_legend({"none": True})
    ws.insert_chart(1, 6, chart, {"x_scale": 1.5, "y_scale": 1.5})


def _flatten(mapping: dict, prefix: str = ""):
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, f"{name}.")
        elif isinstance(value, (list, tuple)):
            yield name, "; ".join(str(v) for v in value)
        else:
            yield name, value
