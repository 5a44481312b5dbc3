"""``energy validate``: every measurement against its prediction, and the error summary."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table


def render_validation(result, console: Console | None = None) -> None:
    console = console or Console()
    t = Table(title=f"measured vs predicted ({result.path})", title_justify="left")
    for col in ("mcu", "runtime", "model", "MHz", "latency ms", "pred ms", "err", "energy µJ", "pred µJ", "err"):
        t.add_column(col, justify="left" if col in ("mcu", "runtime", "model") else "right")
    skipped = []
    for r in result.rows.itertuples():
        if isinstance(r.skipped, str) and r.skipped:
            skipped.append(f"row {r.Index + 1} ({r.mcu}, {r.runtime}): {r.skipped}")
            continue
        has_e = r.energy_j == r.energy_j and r.predicted_energy_j == r.predicted_energy_j  # not NaN
        t.add_row(r.mcu_id, r.runtime_label, str(r.benchmark), f"{r.clock_hz / 1e6:g}",
                  f"{r.latency_s * 1e3:.4g}", f"{r.predicted_latency_s * 1e3:.4g}", f"{r.latency_error_pct:+.0f}%",
                  f"{r.energy_j * 1e6:.4g}" if has_e else "", f"{r.predicted_energy_j * 1e6:.4g}" if has_e else "",
                  f"{r.energy_error_pct:+.0f}%" if has_e else "")
    console.print(t)
    for line in skipped:
        console.print(f"[yellow]skipped[/] {line}", highlight=False)
    if "note" in result.rows:
        for i, note in result.rows["note"].items():
            if isinstance(note, str):
                console.print(f"[yellow]note[/] row {i + 1}: {note}", highlight=False)
    for name in ("latency", "energy"):
        st = result.summary.get(name)
        if isinstance(st, dict) and st["n"]:
            console.print(f"{name}: n={st['n']}  median |error| {st['median_abs_pct']:.1f} %  "
                          f"p90 {st['p90_abs_pct']:.1f} %  max {st['max_abs_pct']:.1f} %")
    render_band_coverage(result.summary.get("band_coverage") or {}, console)


def render_band_coverage(coverage: dict, console: Console) -> None:
    """How often the measurement fell inside the estimate's band, per basis and overall."""
    if not coverage:
        return
    t = Table(title="error bands: share of measurements inside their band (low to high)", title_justify="left")
    for col in ("basis", "latency rows", "held", "median high/low", "energy rows", "held", "median high/low"):
        t.add_column(col, justify="left" if col == "basis" else "right")

    def cells(entry, what):
        n = entry.get(f"{what}_n") or 0
        if not n:
            return ["0", "-", "-"]
        return [str(n), f"{entry[f'{what}_coverage'] * 100:.0f} %", f"{entry[f'{what}_median_high_low']:.2f}"]

    for basis, entry in coverage.items():
        if basis == "overall":
            continue
        t.add_row(basis, *cells(entry, "latency"), *cells(entry, "energy"))
    if "overall" in coverage:
        t.add_section()
        t.add_row("overall", *cells(coverage["overall"], "latency"), *cells(coverage["overall"], "energy"))
    console.print(t)
