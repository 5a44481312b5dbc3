"""``energy compare`` tables, and the clock curve ``--clock-mhz best`` prints."""
from __future__ import annotations

from ..units import plain_number, si_format

#: the compare table's columns: (key, header, formatter of the value); "band" is battery_life_low/high_days
COLUMNS = (
    ("mcu", "target", str),
    ("runtime", "runtime", str),
    ("accelerator", "NPU", lambda v: "yes" if v == "npu" else "no"),  # a part with an NPU may be shown both ways
    ("clock_hz", "clock", lambda v: f"{v / 1e6:g} MHz"),
    ("latency_s", "latency", lambda v: si_format(v, "s")),
    ("energy_per_inference_j", "energy", lambda v: si_format(v, "J")),
    ("fits_ram", "RAM", lambda v: "fits" if v else "NO"),
    ("fits_flash", "flash", lambda v: "fits" if v else "NO"),
    ("average_current_a", "avg current", lambda v: si_format(v, "A")),
    ("battery_life_days", "life [d]", lambda v: f"{v:,.1f}"),
    ("band", "band [d]", None),
    ("battery_life_limited_by", "limited by", str),
    ("notes", "notes", None),
)
TEXT_COLUMNS = ("mcu", "runtime", "accelerator", "battery_life_limited_by", "notes")


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def table_cells(frame):
    """The compare table as text: (headers, rows), each row a list of (key, text, number or None) per column
    (the number is the JSON value behind the text, None for text and flags)."""
    cols = [c for c in COLUMNS if c[0] in frame.columns or c[0] in ("band", "notes")]
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for key, _, fmt in cols:
            if key == "band":
                lo, hi = row.get("battery_life_low_days"), row.get("battery_life_high_days")
                cells.append((key, "-" if _missing(lo) or _missing(hi) else
                              f"{plain_number(lo, 3)} to {plain_number(hi, 3)}", None))
                continue
            if key == "notes":
                cells.append((key, _notes(row), None))
                continue
            v = row[key]
            number = None if _missing(v) or key in TEXT_COLUMNS or key.startswith("fits_") else float(v)
            cells.append((key, "-" if _missing(v) else fmt(v), number))
        rows.append(cells)
    return [label for _, label, _ in cols], rows


def _notes(row) -> str:
    """The notes cell: 'not estimated' for a failed target, else how many warnings it carries."""
    if bool(row.get("failed")) and row.get("failed") == row.get("failed"):
        return "see below"
    n = len(_warnings(row))
    return f"{n} warning{'s' if n != 1 else ''}" if n else ""


def _warnings(row) -> list:
    from ..units import WARNING_SEPARATOR

    text = row.get("warnings")
    return [] if _missing(text) or not text else str(text).split(WARNING_SEPARATOR)


def failure_lines(frame) -> list:
    """One line per target that could not be estimated: why and the fix."""
    out = []
    for _, row in frame.iterrows():
        if "failed" in frame.columns and bool(row.get("failed")) and row.get("failed") == row.get("failed"):
            fix = row.get("fix")
            out.append(f"{row['mcu']}: not estimated: {row.get('error')}" + ("" if _missing(fix) or not fix
                                                                             else f"; fix: {fix}"))
    return out


def warning_lines(frame) -> list:
    """``(mcu, warning)`` for every warning of every target, in the table's order."""
    return [(row["mcu"], w) for _, row in frame.iterrows() for w in _warnings(row)]


def render_compare(frame, console=None) -> None:
    """One row per target, in the frame's order (longest battery life first; targets not estimated last), then
    why each failed target was not estimated and every target's warnings."""
    from rich.markup import escape
    from rich.table import Table

    from .usage import _console

    console = _console(console)
    table = Table(title="Targets, longest battery life first", title_justify="left")
    headers, rows = table_cells(frame)
    keys = [k for k, _, _ in rows[0]] if rows else []
    for key, label in zip(keys, headers):
        table.add_column(escape(label), justify="left" if key in TEXT_COLUMNS else "right")  # "[d]" is no markup
    for cells in rows:
        table.add_row(*(text for _, text, _ in cells))
    console.print(table)
    for line in failure_lines(frame):
        console.print(f"[red]{line.split(':', 1)[0]}:[/]{line.split(':', 1)[1]}", highlight=False)
    for mcu, line in warning_lines(frame):
        console.print(f"[yellow]warning[/] ({mcu}): {line}", highlight=False)


def render_clock_search(search, console=None) -> None:
    """The clock curve of ``--clock-mhz best``: clock, wait states, latency, the minimised quantity."""
    from rich.table import Table

    from .usage import _console

    console = _console(console)
    unit = "J" if search.objective.endswith("_j") else "A"
    table = Table(title=f"Clock search: {search.objective} by clock (chosen {search.clock_hz / 1e6:.4g} MHz)",
                  title_justify="left")
    for col in ("clock", "wait states", "latency", search.objective, "battery life [d]"):
        table.add_column(col, justify="right")
    for _, r in search.curve.iterrows():
        mark = " <" if abs(r["clock_hz"] - search.clock_hz) < 1e-3 * search.clock_hz else ""
        table.add_row(f"{r['clock_hz'] / 1e6:.4g} MHz{mark}", str(r["wait_states"]),
                      si_format(r["latency_s"], "s") if r["feasible"] else "too slow",
                      si_format(r["objective"], unit), "-" if _missing(r["battery_life_days"])
                      else f"{r['battery_life_days']:,.1f}")
    console.print(table)
    for note in search.notes:
        console.print(f"  {note}", highlight=False)
