"""The ``energy estimate`` tables for people: target, per-inference figures, the layers that cost most, the duty
cycle (where the energy goes, battery life) and the assumptions behind the numbers."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..bands import BANDS_FILE
from ..deferred import plain_value, table_rows
from ..units import days_band_text, si_band, si_format


def _fmt_bytes(n) -> str:
    return f"{n / 1024:,.1f} KiB"


def band_line(s) -> str:
    """What the (low-high) figures mean: the interval and the basis, named once."""
    basis, note = s.get("estimate_basis"), s.get("estimate_basis_note")
    if s.get("band_interval") is None:
        return f"band: none ({BANDS_FILE} has no {basis} entry), basis {basis} ({note})"
    return (f"band: {s['band_interval'] * 100:.0f} % interval, basis {basis} ({note})"
            + ("" if s.get("band_validated") else "; placeholder band, not yet validated"))


def npu_line(s) -> str:
    """Where the inference ran on a part with an NPU: the share of layers and of time on the NPU ('' elsewhere)."""
    if s.get("accelerator") == "none":
        return "CPU only (--accelerator none): the part's NPU is not used"
    if s.get("accelerator") != "npu":
        return ""
    text = (f"{int(s['npu_layers'])} of {round(int(s['npu_layers']) / s['npu_layer_share']) if s['npu_layer_share'] else 0}"
            f" layers ({s['npu_layer_share']:.0%}) and {s['npu_time_share']:.0%} of the time on the {s['npu']} at "
            f"{s['npu_clock_hz'] / 1e6:g} MHz; the rest on the host")
    return text + ("" if s.get("fits_npu", True) else " (the model does not fit the NPU)")


def duty_band_line(s) -> str:
    """The duty cycle's band: average current and battery life over the band ('' without a band or a rate). A
    life is in hours when the estimate's is under two days, as the battery line prints it."""
    if s.get("band_interval") is None or s.get("average_current_a") is None:
        return ""
    head = f"band ({s['band_interval'] * 100:.0f} %): "
    if s.get("average_current_low_a") is None:  # the slow end of the band cannot keep up with the rate
        return head + (f"at the slow end ({si_format(s['latency_high_s'], 's')} per inference) the inference cannot "
                       f"keep up with this rate: no average current or battery life band")
    text = "average current " + si_band(s["average_current_a"], s["average_current_low_a"],
                                        s["average_current_high_a"], "A")
    days = s.get("battery_life_days")
    if s.get("battery_life_low_days") is not None:
        text += ", battery life " + days_band_text(days, s["battery_life_low_days"], s["battery_life_high_days"])
    return head + text


def render_estimate(result, console: Console | None = None, top: int = 8, max_assumptions: int = 12) -> None:
    from .usage import _console

    console = _console(console)  # piped: not wrapped at 80 columns
    s, t = plain_value(result, "summary"), result.target  # plain rows: printing makes no pandas objects
    console.print(f"[bold]{Path(result.model['path']).name}[/] on {t['mcu_name']} ({t['mcu']}, {t['core']}), "
                  f"{t['runtime']}, {t['clock_hz'] / 1e6:g} MHz, {t['supply_v']:g} V", highlight=False)
    head = Table(show_header=False)
    head.add_column("quantity")
    head.add_column("value", justify="right")
    head.add_row("latency per inference", si_band(s["latency_s"], s.get("latency_low_s"), s.get("latency_high_s"), "s"))
    head.add_row("energy per inference",
                 si_band(s["energy_per_inference_j"], s.get("energy_low_j"), s.get("energy_high_j"), "J"))
    head.add_row("current / power while inferring",
                 f"{si_format(s['inference_current_a'], 'A')} / {si_format(s['inference_power_w'], 'W')}")
    head.add_row("MACs", f"{int(s['macs']):,}")
    if npu_line(s):
        head.add_row("accelerator", npu_line(s))
    head.add_row("peak RAM (arena + runtime)",
                 f"{_fmt_bytes(s['peak_ram_bytes'])} of {_fmt_bytes(s['ram_available_bytes'])}"
                 + ("" if s["fits_ram"] else "  [bold red]does not fit[/]"))
    flash_of = _fmt_bytes(s["flash_available_bytes"]) if s["flash_available_bytes"] else "external flash"
    head.add_row("flash (weights + runtime)", f"{_fmt_bytes(s['flash_bytes'])} of {flash_of}"
                 + ("" if s["fits_flash"] else "  [bold red]does not fit[/]"))
    console.print(head)
    console.print(band_line(s), highlight=False, markup=False)

    layers = table_rows(result, "layers")
    total = float(sum(r["latency_s"] for r in layers)) or 1.0  # by time: NPU layers have no host cycles
    costly = sorted(layers, key=lambda r: -r["latency_s"])[:top]
    on_npu = any("runs_on" in r for r in layers)
    lt = Table(title=f"costliest layers (of {len(layers)})", title_justify="left")
    for col, just in (("#", "right"), ("op", "left"), ("MACs", "right"), ("latency", "right"), ("share", "right"),
                      ("flash stall", "right")) + ((("runs on", "left"),) if on_npu else ()):
        lt.add_column(col, justify=just)
    for r in costly:
        lt.add_row(str(r["index"]), str(r["op"]), f"{int(r['macs']):,}", si_format(r["latency_s"], "s"),
                   f"{r['latency_s'] / total:.0%}", f"{r['memory_cycles'] / max(r['cycles'], 1):.0%}",
                   *((str(r.get("runs_on", "")),) if on_npu else ()))
    console.print(lt)

    if table_rows(result, "phases"):
        from .usage import render_duty

        render_duty(result, console)
        duty_band = duty_band_line(s)
        if duty_band:
            console.print(duty_band, highlight=False, markup=False)
    if result.assumptions:
        console.print(f"[bold]assumptions[/] ({len(result.assumptions)}; the full text is in --json)")
        for line in result.assumptions[:max_assumptions]:
            short = line if len(line) <= 150 else line[:147].rsplit(" ", 1)[0] + " ..."
            console.print(f"  - {short}", highlight=False)
        if len(result.assumptions) > max_assumptions:
            console.print(f"  ... and {len(result.assumptions) - max_assumptions} more (--json)", highlight=False)
    for line in result.warnings:
        console.print(f"[yellow]warning:[/] {line}", highlight=False)
