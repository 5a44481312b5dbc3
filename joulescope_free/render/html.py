"""``energy report``: one self-contained HTML page for a design review (inline SVG charts drawn with matplotlib,
no script, no network; it opens from a USB stick).

Sections: a summary card per target (latency, energy, average current, battery life with its band, RAM/flash fit,
what moves the answer most); where the energy goes (per phase, per operator type); current versus time over one
period on log axes; battery life versus inference rate (chosen rate, shelf-life cap, the rate where sleep stops
dominating); the clock curve when the clock was chosen with ``best``; with several targets one table and one
chart side by side; the assumptions and warnings.

Every figure is a ``<figure class="chart" id="chart-...">`` with its title in ``<figcaption>``; every number on a
card is a ``<span class="value" data-key="summary key" data-value="the JSON value">`` so a test or a reader can
check the page against ``--json``.
"""
from __future__ import annotations

import html
import io
import math
from pathlib import Path

import numpy as np

from ..units import DAYS_PER_YEAR, days_text, si_format
from ..usage.duty import rate_text
from .usage import life_text

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1180px;color:#222;
 padding:0 16px}
h1{font-size:1.5em;margin-bottom:4px}h2{border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}
.sub{color:#666;margin-top:0}.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #ccd;border-radius:8px;padding:12px 16px;min-width:300px;flex:1;background:#fafbff}
.card h3{margin:0 0 8px 0}.card table{border-collapse:collapse;width:100%}
.card td{padding:2px 4px;vertical-align:top}.card td:first-child{color:#555}
.value{font-weight:600}.band{color:#666;font-size:.9em}.bad{color:#b00;font-weight:600}.ok{color:#070}
figure.chart{margin:16px 0;border:1px solid #eee;padding:8px}figcaption{font-weight:600;margin-bottom:4px}
figure.chart svg{max-width:100%;height:auto}
table.grid{border-collapse:collapse;font-size:.92em}table.grid th,table.grid td{border:1px solid #ddd;padding:3px 8px}
table.grid th{background:#f3f3f3}td.num{text-align:right}ul.notes li{margin:2px 0}.warn{color:#8a5a00}
"""
PHASE_COLORS = {"sleep": "#3c9d3c", "inference": "#d9534f", "wake-up": "#f0ad4e", "regulator": "#777777",
                "always-on": "#5bc0de"}
OTHER_COLORS = ["#337ab7", "#9b59b6", "#16a085", "#c0392b", "#2c3e50", "#d35400", "#7f8c8d"]


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _num(value):
    """A JSON-ready number (None for missing/NaN)."""
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def _value(key: str, value, text: str) -> str:
    v = _num(value)
    data = "" if v is None else f' data-value="{v!r}"'
    return f'<span class="value" data-key="{_esc(key)}"{data}>{_esc(text)}</span>'


# ------------------------------------------------------------------------------------------------ charts
def _figure(width=10.0, height=4.0):
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure  # no pyplot: no global state

    fig = Figure(figsize=(width, height), dpi=96)
    FigureCanvasSVG(fig)
    return fig


def _svg(fig) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "joulescope_free"}):
        fig.tight_layout()
        fig.savefig(buf, format="svg")
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype: inline SVG


def _chart(chart_id: str, title: str, fig, note: str = "") -> str:
    extra = f'<div class="sub">{_esc(note)}</div>' if note else ""
    return (f'<figure class="chart" id="{_esc(chart_id)}"><figcaption>{_esc(title)}</figcaption>{extra}'
            f"{_svg(fig)}</figure>")


def _phase_color(kind: str, name: str, k: int) -> str:
    return PHASE_COLORS.get(kind) or OTHER_COLORS[k % len(OTHER_COLORS)]


def phases_chart(results) -> str:
    """One stacked bar per target: each phase's share of the average current (A from the battery)."""
    fig = _figure(10, 1.2 + 0.7 * len(results))
    ax = fig.subplots()
    labels, seen = [], set()
    for y, r in enumerate(results):
        left, k = 0.0, 0
        for _, ph in r.phases.iterrows():
            value = _num(ph["average_current_a"]) or 0.0
            label = str(ph["name"])
            color = _phase_color(str(ph["kind"]), label, k)
            k += str(ph["kind"]) not in PHASE_COLORS
            ax.barh(y, value * 1e6, left=left * 1e6, color=color, edgecolor="white",
                    label=label if label not in seen else None)
            seen.add(label)
            left += value
        labels.append(r.target["mcu"])
    ax.set_yticks(range(len(results)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("average current from the battery [µA]")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)  # beside the bars
    ax.grid(axis="x", alpha=0.3)
    return _chart("chart-phases", "Where the energy goes: average current per phase", fig,
                  "each bar sums to the target's average current")


def layers_chart(r, idx: int) -> str:
    """Latency and energy per operator type (sums over the layers of that type)."""
    by_op = r.layers.groupby("op")[["latency_s", "energy_j"]].sum().sort_values("energy_j")
    fig = _figure(10, 1.0 + 0.32 * len(by_op))
    ax1, ax2 = fig.subplots(1, 2, sharey=True)
    ax1.barh(by_op.index, by_op["latency_s"] * 1e3, color="#337ab7")
    ax1.set_xlabel("latency [ms]")
    ax2.barh(by_op.index, by_op["energy_j"] * 1e6, color="#d9534f")
    ax2.set_xlabel("energy [µJ]")
    for ax in (ax1, ax2):
        ax.grid(axis="x", alpha=0.3)
    return _chart(f"chart-layers-{idx}", f"{r.target['mcu']}: latency and energy per operator type", fig,
                  f"{len(r.layers)} layers, grouped by operator")


def current_profile(phases):
    """(segments, always-on current): per-period segments ``(name, start_s, duration_s, current_a)`` in time order:
    the per-inference phases, the phases with their own rate (shown once), then sleep for the rest."""
    always = float(sum(_num(c) or 0.0 for c in phases.loc[phases["kind"] == "always-on", "current_a"]))
    order = [p for _, p in phases.iterrows() if p["kind"] not in ("sleep", "regulator", "always-on")]
    order.sort(key=lambda p: not bool(p["per_inference"]))
    segs, t = [], 0.0
    for p in order:
        d = _num(p["duration_s"]) or 0.0
        if d > 0 and _num(p["current_a"]) is not None:
            name = str(p["name"]) + ("" if bool(p["per_inference"]) else " (own rate, shown once)")
            segs.append((name, t, d, (_num(p["current_a"]) or 0.0) + always))
            t += d
    for _, p in phases[phases["kind"] == "sleep"].iterrows():
        d = _num(p["duration_s"]) or 0.0
        segs.append(("sleep", t, d, (_num(p["current_a"]) or 0.0) + always))
        t += d
    return segs, always


def current_chart(r, idx: int) -> str:
    """Current versus time over one period: log current, symmetric-log time (the wake-up and the inference are
    milliseconds in a period of seconds to hours)."""
    segs, always = current_profile(r.phases)
    drawn = {s[0].split(" (own rate")[0] for s in segs}
    hidden = [str(n) for n, k in zip(r.phases["name"], r.phases["kind"])
              if str(n) not in drawn and k not in ("regulator", "always-on")]
    fig = _figure(10, 3.6)
    ax = fig.subplots()
    for k, (name, start, dur, cur) in enumerate(segs):
        color = _phase_color("sleep" if name == "sleep" else name.split(" ")[0], name, k)
        ax.fill_between([start, start + dur], [cur * 1e3] * 2, 1e-9, step="post", color=color, alpha=0.75,
                        label=f"{name} {si_format(cur, 'A')} for {si_format(dur, 's')}")
    period = _num(r.summary.get("period_s")) or sum(s[2] for s in segs)
    shortest = min((s[2] for s in segs if s[2] > 0), default=period)
    ax.set_xscale("symlog", linthresh=shortest)
    ax.set_yscale("log")
    currents = [s[3] for s in segs if s[3] > 0]
    if currents:
        ax.set_ylim(min(currents) * 1e3 / 3, max(currents) * 1e3 * 3)
    ax.set_xlim(0, period)
    if always:
        ax.axhline(always * 1e3, color="#5bc0de", linestyle=":", label=f"always-on {si_format(always, 'A')}")
    ax.set_xlabel("time since the wake-up [s] (linear up to the shortest phase, then log)")
    ax.set_ylabel("current [mA]")
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(alpha=0.3, which="both")
    note = "supply current at the MCU; log current axis"
    if hidden:
        note += f"; given as energy only, not drawn: {', '.join(hidden)} (see the phase chart)"
    return _chart(f"chart-current-{idx}", f"{r.target['mcu']}: current versus time over one period "
                  f"({si_format(period, 's')})", fig, note)


def life_chart(r, curve, idx: int, crossover_hz) -> str:
    """Battery life versus inference rate (log-log) with the chosen rate, the shelf-life cap and the sleep
    crossover."""
    fig = _figure(10, 3.8)
    ax = fig.subplots()
    s = r.summary
    days = curve["battery_life_days"].astype(float)
    ax.plot(curve["rate_hz"] * 3600, days, color="#337ab7", label="battery life")
    rate = _num(s.get("rate_hz"))
    life = _num(s.get("battery_life_days"))
    ax.plot([rate * 3600], [life], "o", color="#d9534f", label=f"chosen: {rate_text(rate)}, {days_text(life)}")
    shelf = (r.battery or {}).get("shelf_life_years")
    if shelf:
        ax.axhline(shelf * DAYS_PER_YEAR, color="#777", linestyle="--", label=f"shelf-life cap {shelf:g} years")
    if crossover_hz:
        ax.axvline(crossover_hz * 3600, color="#3c9d3c", linestyle=":",
                   label=f"sleep under half the budget above {rate_text(crossover_hz)}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("inferences per hour")
    ax.set_ylabel("battery life [days]")
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(alpha=0.3, which="both")
    name = (r.battery or {}).get("name") or s.get("battery_id")
    return _chart(f"chart-life-{idx}", f"{r.target['mcu']}: battery life versus inference rate", fig,
                  f"on {name}; the curve reruns the duty and battery model at each rate")


def clock_chart(r, idx: int) -> str:
    from ..hardware.clock import OBJECTIVE_LABELS

    cs = r.clock_search
    curve = cs.curve[cs.curve["feasible"]]
    if len(curve) < 2:  # a fixed-clock part (or one clock that keeps up): a sentence, not a chart of one dot
        return (f'<section class="chart" id="chart-clock-{idx}"><h3>{_esc(r.target["mcu"])}: the clock</h3>'
                f'<p>{_esc("; ".join(cs.notes) or f"runs at {cs.clock_hz / 1e6:g} MHz only")}</p></section>')
    fig = _figure(10, 3.4)
    ax = fig.subplots()
    unit, scale = ("µA", 1e6) if cs.objective == "average_current_a" else ("µJ", 1e6)
    ax.plot(curve["clock_hz"] / 1e6, curve["objective"].astype(float) * scale, ".-", color="#337ab7")
    best = cs.curve.loc[(cs.curve["clock_hz"] - cs.clock_hz).abs().idxmin()]
    ax.plot([cs.clock_hz / 1e6], [float(best["objective"]) * scale], "o", color="#d9534f",
            label=f"chosen {cs.clock_hz / 1e6:.4g} MHz")
    ax.set_xlabel("core clock [MHz]")
    ax.set_ylabel(f"{OBJECTIVE_LABELS.get(cs.objective, cs.objective)} [{unit}]")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _chart(f"chart-clock-{idx}", f"{r.target['mcu']}: the energy-optimal clock", fig, "; ".join(cs.notes))


def targets_chart(results) -> str:
    """Several targets side by side: latency, energy per inference, and battery life (or average current)."""
    names = [r.target["mcu"] for r in results]
    panels = [("latency [ms]", "latency_s", 1e3), ("energy per inference [µJ]", "energy_per_inference_j", 1e6)]
    if all(_num(r.summary.get("battery_life_days")) is not None for r in results):
        panels.append(("battery life [days]", "battery_life_days", 1.0))
    elif all(_num(r.summary.get("average_current_a")) is not None for r in results):
        panels.append(("average current [µA]", "average_current_a", 1e6))
    fig = _figure(11, 0.9 + 0.45 * len(results))
    axes = fig.subplots(1, len(panels), sharey=True)
    for ax, (label, key, scale) in zip(np.atleast_1d(axes), panels):
        values = [(_num(r.summary.get(key)) or 0.0) * scale for r in results]
        ax.barh(names, values, color="#337ab7")
        ax.set_xlabel(label)
        ax.grid(axis="x", alpha=0.3)
    np.atleast_1d(axes)[0].invert_yaxis()
    return _chart("chart-targets", "The targets side by side", fig)


# ------------------------------------------------------------------------------------------------ HTML parts
def _band_text(s, key_low, key_high, fmt) -> str:
    lo, hi = _num(s.get(key_low)), _num(s.get(key_high))
    if lo is None or hi is None:
        return ""
    return (f' <span class="band">({_value(key_low, lo, fmt(lo))} to {_value(key_high, hi, fmt(hi))}'
            f'{", " + _esc(s.get("estimate_basis")) if s.get("estimate_basis") else ""})</span>')


def card(r) -> str:
    s, t = r.summary, r.target
    kib = lambda n: f"{n / 1024:,.1f} KiB"  # noqa: E731
    rows = [
        ("latency per inference", _value("latency_s", s["latency_s"], si_format(s["latency_s"], "s"))
         + _band_text(s, "latency_low_s", "latency_high_s", lambda v: si_format(v, "s"))),
        ("energy per inference", _value("energy_per_inference_j", s["energy_per_inference_j"],
                                        si_format(s["energy_per_inference_j"], "J"))
         + _band_text(s, "energy_low_j", "energy_high_j", lambda v: si_format(v, "J"))),
    ]
    from .estimate import npu_line

    if npu_line(s):
        rows.append(("accelerator", _esc(npu_line(s))))
    if _num(s.get("average_current_a")) is not None:
        rows.append(("average current", _value("average_current_a", s["average_current_a"],
                                               si_format(s["average_current_a"], "A"))
                     + f' <span class="band">at {_esc(_rate(s))}</span>'))
    days = _num(s.get("battery_life_days"))
    if days is not None:
        rows.append(("battery life", _value("battery_life_days", days, life_text(days))
                     + _band_text(s, "battery_life_low_days", "battery_life_high_days", days_text)
                     + f' <span class="band">limited by {_esc(s.get("battery_life_limited_by"))}</span>'))
    fit = lambda ok: '<span class="ok">fits</span>' if ok else '<span class="bad">does not fit</span>'  # noqa
    flash_of = kib(s["flash_available_bytes"]) if s.get("flash_available_bytes") else "external flash"
    rows.append(("peak RAM", _value("peak_ram_bytes", s["peak_ram_bytes"], kib(s["peak_ram_bytes"]))
                 + f" of {kib(s['ram_available_bytes'])} " + fit(bool(s["fits_ram"]))))
    rows.append(("flash", _value("flash_bytes", s["flash_bytes"], kib(s["flash_bytes"])) + f" of {flash_of} "
                 + fit(bool(s["fits_flash"]))))
    clock = _value("clock_hz", t["clock_hz"], f"{t['clock_hz'] / 1e6:g} MHz")
    drivers = "".join(f"<li>{_esc(d)}</li>" for d in (r.drivers or [])[:3])
    body = "".join(f"<tr><td>{_esc(k)}</td><td>{v}</td></tr>" for k, v in rows)
    tag = "-cpu" if s.get("accelerator") == "none" else ""  # a part shown with and without its NPU: two cards
    return (f'<div class="card" id="card-{_esc(t["mcu"])}{tag}"><h3>{_esc(t["mcu_name"])} ({_esc(t["mcu"])})</h3>'
            f'<div class="sub">{_esc(t["core"])}, {_esc(t["runtime"])}, '
            f'{clock}, {t["supply_v"]:g} V</div>'
            f"<table>{body}</table>"
            + (f"<div>what moves the answer most:<ol>{drivers}</ol></div>" if drivers else "")
            + _card_warnings(r.warnings) + "</div>")


def _card_warnings(warnings) -> str:
    """The target's warnings on its card (they travel with the estimate: the notes section repeats them)."""
    if not warnings:
        return ""
    items = "".join(f'<li class="warn">{_esc(w)}</li>' for w in warnings)
    return f'<div class="card-warnings">warnings:<ul class="notes">{items}</ul></div>'


def failure_card(f) -> str:
    """The card of a target that could not be estimated as asked: why, the fastest rate it keeps up with, the fix,
    and the inference figures that do exist."""
    t, s = f.target, f.summary
    rows = [("not estimated", f'<span class="bad">{_esc(f.reason)}</span>')]
    if f.fix:
        rows.append(("fix", _esc(f.fix)))
    if _num(f.max_rate_hz) is not None:
        from ..usage.duty import rate_text

        rows.append(("fastest rate it keeps up with", _value("max_rate_hz", f.max_rate_hz, rate_text(f.max_rate_hz))))
    if _num(s.get("latency_s")) is not None:
        rows.append(("latency per inference", _value("latency_s", s["latency_s"], si_format(s["latency_s"], "s"))))
        rows.append(("energy per inference", _value("energy_per_inference_j", s["energy_per_inference_j"],
                                                    si_format(s["energy_per_inference_j"], "J"))))
    body = "".join(f"<tr><td>{_esc(k)}</td><td>{v}</td></tr>" for k, v in rows)
    name = t.get("mcu_name") or f.mcu
    return (f'<div class="card failed" id="card-{_esc(f.mcu)}"><h3>{_esc(name)} ({_esc(f.mcu)})</h3>'
            f"<table>{body}</table>" + _card_warnings(f.warnings) + "</div>")


def _rate(s) -> str:
    from ..usage.duty import format_rate

    return format_rate(s.get("rate_hz"))


def compare_table(frame) -> str:
    from .compare import table_cells

    headers, rows = table_cells(frame)
    head = "".join(f"<th>{_esc(label)}</th>" for label in headers)
    body = []
    for row in rows:
        cells = []
        for key, text, number in row:
            data = f' data-key="{key}"' + (f' data-value="{number!r}"' if number is not None else "")
            cells.append(f'<td class="{"num" if number is not None else ""}"{data}>{_esc(text)}</td>')
        body.append(f'<tr data-mcu="{_esc(row[0][1])}">{"".join(cells)}</tr>')
    return f'<table class="grid" id="compare-table"><tr>{head}</tr>{"".join(body)}</table>'


def notes(r) -> str:
    warn = "".join(f'<li class="warn">warning: {_esc(w)}</li>' for w in r.warnings)
    assume = "".join(f"<li>{_esc(a)}</li>" for a in r.assumptions)
    return (f'<section class="notes" id="notes-{_esc(r.target["mcu"])}"><h3>{_esc(r.target["mcu"])}: '
            f"{len(r.warnings)} warnings, {len(r.assumptions)} assumptions</h3>"
            f'<ul class="notes">{warn}{assume}</ul></section>')


def render_report(results, curves, frame=None, failures=()) -> str:
    """The page for ``results`` (Estimates), ``curves`` (battery life vs rate per result, or None), with several
    targets the compare ``frame``, and the ``failures`` (targets not estimated: a card each saying why)."""
    from .. import __version__
    from ..usage.lifetime import sleep_crossover_hz

    model = Path(results[0].model.get("path", "model")).name
    parts = [f"<h1>Design review: {_esc(model)}</h1>",
             f'<p class="sub">{len(results)} target(s); made by joulescope_free {__version__} '
             "(estimates from datasheet figures and a cycle model, not measurements; see the assumptions)</p>",
             '<h2 id="summary">Summary</h2><div class="cards">' + "".join(card(r) for r in results)
             + "".join(failure_card(f) for f in failures) + "</div>"]
    if frame is not None:
        parts += ['<h2 id="targets">The targets side by side</h2>', compare_table(frame), targets_chart(results)]
    with_duty = [r for r in results if len(r.phases)]
    parts.append('<h2 id="energy">Where the energy goes</h2>')
    if with_duty:
        parts.append(phases_chart(with_duty))
    for i, r in enumerate(results):
        parts.append(layers_chart(r, i))
    if with_duty:
        parts.append('<h2 id="current">Current over one period</h2>')
        parts += [current_chart(r, i) for i, r in enumerate(results) if len(r.phases)]
    lives = [(i, r, c) for i, (r, c) in enumerate(zip(results, curves))
             if c is not None and len(c) and _num(r.summary.get("battery_life_days")) is not None]
    if lives:
        parts.append('<h2 id="life">Battery life versus rate</h2>')
        parts += [life_chart(r, c, i, sleep_crossover_hz(c)) for i, r, c in lives]
    searched = [(i, r) for i, r in enumerate(results) if getattr(r, "clock_search", None) is not None]
    if searched:
        parts.append('<h2 id="clock">The energy-optimal clock</h2>')
        parts += [clock_chart(r, i) for i, r in searched]
    parts.append('<h2 id="assumptions">Assumptions and warnings</h2>')
    parts += [notes(r) for r in results]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Design review: {_esc(model)}</title><style>{CSS}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")
