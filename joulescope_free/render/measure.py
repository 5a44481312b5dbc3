"""Rich tables for ``energy measure`` and ``energy calibrate`` (units converted only here, for reading)."""
from __future__ import annotations

from pathlib import Path

from ..units import si_format

MAX_EVENT_ROWS = 12


def _console(console=None):
    from .usage import _console as console_for_people  # piped: not wrapped at 80 columns

    return console_for_people(console)


def measurement_table(m):
    """The DataFrame ``energy measure --csv`` writes: the events, or one row per EnergyRunner run."""
    if hasattr(m, "runs"):
        return m.runs
    if hasattr(m, "windows"):
        from ..measure.eembc import run_row

        import pandas as pd

        return pd.DataFrame([{"run": str(m.path), **run_row(m)}])
    return m.events


def _pct(value) -> str:
    return "-" if value is None or value != value else f"{100 * value:+.3f} %"


def render_run(m, console=None) -> None:
    """An EnergyRunner run: each window measured beside the figures results.txt states, and the summary."""
    from rich.table import Table

    console = _console(console)
    s = m.summary
    title = " / ".join(str(x) for x in (s.get("submitter"), s.get("system"), s.get("benchmark")) if x) or m.path.name
    t = Table(title=f"{title} (EEMBC EnergyRunner, {s['sample_rate_hz']:g} Hz)")
    for col in ("window", "start", "length", "inf.", "energy", "power", "J / inf.", "stated", "diff."):
        t.add_column(col, justify="right")
    for w in m.windows.to_dict("records"):
        t.add_row(str(w["window"]), f"{w['start_s']:.3f} s", f"{w['duration_s']:.3f} s", str(w["n_inferences"]),
                  si_format(w["energy_j"], "J"), si_format(w["average_power_w"], "W"),
                  si_format(w["energy_per_inference_j"], "J", 4), si_format(w.get("stated_energy_per_inference_j"), "J", 4),
                  _pct(w.get("energy_difference")))
    console.print(t)
    head = Table(show_header=False)
    head.add_column("figure")
    head.add_column("value", justify="right")
    head.add_row("energy per inference (median)", si_format(s["energy_per_inference_j"], "J", 4))
    head.add_row("stated median", f"{si_format(s['stated_energy_per_inference_j'], 'J', 4)} "
                 f"({_pct(s['energy_per_inference_difference'])})")
    head.add_row("average power", f"{si_format(s['average_power_w'], 'W')} (stated {si_format(s['stated_power_w'], 'W')})")
    head.add_row("inference duration (window / inferences)", si_format(s["inference_duration_s"], "s"))
    head.add_row("inferences", f"{s['n_inferences']} in {s['n_windows']} windows")
    if s.get("inference_current_a") is not None:
        head.add_row("inference current", f"{si_format(s['inference_current_a'], 'A')} at {s['supply_v']:g} V")
    console.print(head)
    for note in m.notes:
        console.print(f"note: {note}", highlight=False)


def render_run_table(table, console=None) -> None:
    """Many EnergyRunner runs, one row each."""
    from rich.table import Table

    console = _console(console)
    t = Table(title=f"EEMBC EnergyRunner runs under {table.path}")
    for col in ("submitter", "system", "benchmark", "inferences", "J / inference", "stated", "diff.", "power"):
        t.add_column(col, justify="right" if col not in ("submitter", "system", "benchmark") else "left")
    for r in table.runs.to_dict("records"):
        if r.get("error") == r.get("error") and r.get("error"):
            t.add_row(r["run"], "", "", "", f"error: {r['error']}", "", "", "")
            continue
        t.add_row(str(r["submitter"] or ""), str(r["system"] or ""), str(r["benchmark"] or ""),
                  f"{r['n_windows']} x {r['inferences_per_window']}", si_format(r["energy_per_inference_j"], "J", 4),
                  si_format(r["stated_energy_per_inference_j"], "J", 4), _pct(r["energy_per_inference_difference"]),
                  si_format(r["average_power_w"], "W"))
    console.print(t)
    for note in table.notes:
        console.print(f"note: {note}", highlight=False)


def render_measurement(m, console=None) -> None:
    """Summary of a :class:`~joulescope_free.measure.api.Measurement` and its first events (EnergyRunner runs
    and tables of runs are passed on to :func:`render_run` / :func:`render_run_table`)."""
    from rich.table import Table

    if hasattr(m, "runs"):
        return render_run_table(m, console)
    if hasattr(m, "windows"):
        return render_run(m, console)
    console = _console(console)
    s = m.summary
    how = f"marker {s['marker']} high" if s.get("marker") else f"current above {si_format(s['threshold_a'], 'A')}"
    table = Table(title=f"{Path(m.path).name} ({m.format})", show_header=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("events", f"{s['n_events']}"),
        ("detected by", how),
        ("event duration (median)", si_format(s["event_duration_s"], "s")),
        ("event energy (median)", si_format(s["event_energy_j"], "J")),
        ("event charge (median)", si_format(s["event_charge_c"], "C")),
        ("event current (median)", si_format(s["event_current_a"], "A")),
        ("peak current", si_format(s["peak_current_a"], "A")),
        ("baseline current (mean outside events)", si_format(s["baseline_current_a"], "A")),
        ("sleep floor", si_format(s.get("floor_current_a"), "A")),
        ("average current", si_format(s["average_current_a"], "A")),
        ("trace duration", si_format(s["duration_s"], "s")),
        ("supply", si_format(s["supply_v"], "V")),
        ("sample rate", si_format(s["sample_rate_hz"], "Hz")),
        ("samples", f"{s['n_samples']:,}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    events = m.events
    if len(events):
        ev = Table(title=f"events (first {min(len(events), MAX_EVENT_ROWS)} of {len(events)})")
        for col in ("start", "duration", "charge", "energy", "peak current"):
            ev.add_column(col, justify="right")
        for row in events.head(MAX_EVENT_ROWS).itertuples(index=False):
            ev.add_row(f"{row.start_s:.6g} s", si_format(row.duration_s, "s"), si_format(row.charge_c, "C"),
                       si_format(row.energy_j, "J"), si_format(row.peak_current_a, "A"))
        console.print(ev)
    for note in m.notes:
        console.print(f"note: {note}")


def render_calibration(result, console=None) -> None:
    """The fitted scales, the sleep current and each trace's measured vs predicted figures."""
    from rich.table import Table

    console = _console(console)
    c = result.calibration
    head = Table(title=f"calibration: {c.mcu}, {c.runtime or 'default runtime'}", show_header=False)
    head.add_column("figure")
    head.add_column("value", justify="right")
    head.add_row("latency scale (measured / predicted)", f"{c.latency_scale:.4g}")
    head.add_row("current scale (measured / predicted)", f"{c.current_scale:.4g}")
    head.add_row("sleep current", si_format(c.sleep_current_a, "A") if c.sleep_current_a is not None else
                 "not measured (no idle time)")
    head.add_row("written to", str(result.path))
    console.print(head)
    t = Table(title="traces: measured / predicted")
    for col, justify in (("trace", "left"), ("model", "left"), ("events", "right"), ("duration", "right"),
                         ("energy", "right"), ("residual", "right")):
        t.add_column(col, justify=justify)
    for r in result.traces.to_dict("records"):
        t.add_row(Path(r["path"]).name, Path(r["model"]).stem, str(r["n_events"]),
                  f"{si_format(r['event_duration_s'], 's')} / {si_format(r['predicted_latency_s'], 's')}",
                  f"{si_format(r['event_energy_j'], 'J')} / {si_format(r['predicted_energy_j'], 'J')}",
                  f"{r['energy_residual']:+.1%}")
    console.print(t)
    for note in c.notes:
        if note.startswith("warning: "):
            console.print(f"[yellow]warning:[/] {note[len('warning: '):]}", highlight=False)
        else:
            console.print(f"note: {note}", highlight=False)
