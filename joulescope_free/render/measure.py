"""Rich tables for ``energy measure`` and ``energy calibrate`` (units converted only here, for reading)."""
from __future__ import annotations

from pathlib import Path

from ..units import si_format

MAX_EVENT_ROWS = 12


def _console(console=None):
    from .usage import _console as console_for_people  # piped: not wrapped at 80 columns

    return console_for_people(console)


def render_measurement(m, console=None) -> None:
    """Summary of a :class:`~joulescope_free.measure.api.Measurement` and its first events."""
    from rich.table import Table

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
