"""Print a :class:`~joulescope_free.model.analysis.ModelAnalysis` as rich tables (layers, summary, warnings)."""
from __future__ import annotations


def _count(n: int) -> str:
    """``2656768 -> '2.66 M'`` (plain below 10 000)."""
    if n < 10_000:
        return f"{n:,}"
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= scale:
            return f"{n / scale:.3g} {prefix}"
    return str(n)


def _bytes(n: int) -> str:
    """Bytes with binary prefixes: ``73728 -> '72.0 KiB'``."""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 1024 / 1024:.2f} MiB"


def _shape(shapes) -> str:
    return " ".join("x".join(str(d) for d in s) for s in shapes) or "-"


def render_analysis(result, console=None) -> None:
    """Write the layer table, the summary and the warnings to stdout (or ``console``)."""
    from rich.console import Console
    from rich.table import Table

    if console is None:
        probe = Console()
        console = Console(width=max(probe.width, 132)) if not probe.is_terminal else probe
    table = Table(title=f"{result.path}  ({result.tensor_type})", title_justify="left")
    for col, justify in (("#", "right"), ("op", "left"), ("input", "left"), ("output", "left"), ("dtype", "left"),
                         ("MACs", "right"), ("elements", "right"), ("weights", "right"), ("read", "right"),
                         ("written", "right")):
        table.add_column(col, justify=justify, no_wrap=col in ("op", "MACs"))
    for r in result.records:
        op = r["op"] if r["supported"] else f"[red]{r['op']} (unsupported)[/red]"
        dtype = r["act_dtype"] + (f"/{r['weight_dtype']}" if r["weight_dtype"] and r["weight_dtype"] != r["act_dtype"] else "")
        table.add_row(str(r["index"]), op, _shape(r["input_shapes"]), _shape(r["output_shapes"]), dtype,
                      _count(r["macs"]) if r["macs"] else "-", _count(r["elements"]), _bytes(r["weights_bytes"]),
                      _bytes(r["bytes_read"]), _bytes(r["bytes_written"]))
    console.print(table)

    s = result.summary
    summary = Table(show_header=False, box=None, padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    summary.add_column(style="dim")
    rows = [
        ("MACs", f"{s['macs']:,}", "one multiply-accumulate = 1 MAC"),
        ("layers", str(s["n_layers"]), f"{s['n_unsupported']} unsupported" if s["n_unsupported"] else ""),
        ("tensor type", s["tensor_type"], ""),
        ("weights", _bytes(s["weights_bytes"]), "constant tensors, each buffer once"),
        ("arena", _bytes(s["arena_bytes"]), "TFLM greedy plan of activations"),
        ("peak RAM", _bytes(s["peak_ram_bytes"]), f"arena + ~{_bytes(s['runtime_overhead_bytes'])} runtime (estimate)"),
        ("flash", _bytes(s["flash_bytes"]),
         f"weights + {_bytes(s['graph_bytes'])} graph + ~{_bytes(s['code_bytes'])} code (estimate)"),
        ("bytes read / written", f"{_bytes(s['bytes_read'])} / {_bytes(s['bytes_written'])}", "per inference"),
    ]
    for row in rows:
        summary.add_row(*row)
    console.print(summary)
    for w in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
