"""The ``energy estimate`` tables for people: target, per-inference figures, the layers that cost most, the duty
cycle (where the energy goes, battery life) and the assumptions behind the numbers."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..units import si_format


def _fmt_bytes(n) -> str:
    return f"{n / 1024:,.1f} KiB"


def render_estimate(result, console: Console | None = None, top: int = 8, max_assumptions: int = 12) -> None:
    console = console or Console()
    s, t = result.summary, result.target
    console.print(f"[bold]{Path(result.model['path']).name}[/] on {t['mcu_name']} ({t['mcu']}, {t['core']}), "
                  f"{t['runtime']}, {t['clock_hz'] / 1e6:g} MHz, {t['supply_v']:g} V", highlight=False)
    head = Table(show_header=False)
    head.add_column("quantity")
    head.add_column("value", justify="right")
    def band(key):
        value = s.get(key)
        return f"  (±{value:.0f} % p90, validated)" if value is not None and value == value else ""

    head.add_row("latency per inference", si_format(s["latency_s"], "s") + band("latency_error_pct"))
    head.add_row("energy per inference", si_format(s["energy_per_inference_j"], "J") + band("energy_error_pct"))
    head.add_row("current / power while inferring",
                 f"{si_format(s['inference_current_a'], 'A')} / {si_format(s['inference_power_w'], 'W')}")
    head.add_row("MACs", f"{int(s['macs']):,}")
    head.add_row("peak RAM (arena + runtime)",
                 f"{_fmt_bytes(s['peak_ram_bytes'])} of {_fmt_bytes(s['ram_available_bytes'])}"
                 + ("" if s["fits_ram"] else "  [bold red]does not fit[/]"))
    flash_of = _fmt_bytes(s["flash_available_bytes"]) if s["flash_available_bytes"] else "external flash"
    head.add_row("flash (weights + runtime)", f"{_fmt_bytes(s['flash_bytes'])} of {flash_of}"
                 + ("" if s["fits_flash"] else "  [bold red]does not fit[/]"))
    console.print(head)

    layers = result.layers
    total = float(layers["cycles"].sum()) or 1.0
    costly = layers.sort_values("cycles", ascending=False).head(top)
    lt = Table(title=f"costliest layers (of {len(layers)})", title_justify="left")
    for col, just in (("#", "right"), ("op", "left"), ("MACs", "right"), ("latency", "right"), ("share", "right"),
                      ("flash stall", "right")):
        lt.add_column(col, justify=just)
    for _, r in costly.iterrows():
        lt.add_row(str(r["index"]), str(r["op"]), f"{int(r['macs']):,}", si_format(r["latency_s"], "s"),
                   f"{r['cycles'] / total:.0%}", f"{r['memory_cycles'] / max(r['cycles'], 1):.0%}")
    console.print(lt)

    if len(result.phases):
        from .usage import render_duty

        render_duty(result, console)
    if result.assumptions:
        console.print(f"[bold]assumptions[/] ({len(result.assumptions)}; the full text is in --json)")
        for line in result.assumptions[:max_assumptions]:
            short = line if len(line) <= 150 else line[:147].rsplit(" ", 1)[0] + " ..."
            console.print(f"  - {short}", highlight=False)
        if len(result.assumptions) > max_assumptions:
            console.print(f"  ... and {len(result.assumptions) - max_assumptions} more (--json)", highlight=False)
    for line in result.warnings:
        console.print(f"[yellow]warning:[/] {line}", highlight=False)
