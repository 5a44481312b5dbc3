"""``energy measure --plot``: the current envelope with the events shaded, the baseline and the summary."""
from __future__ import annotations

import io
from pathlib import Path

from ..errors import UserError
from .export import _check_target, write_bytes_safely
from ..units import si_format

MAX_SHADED = 2000   # beyond this many events, shading is merged per envelope bucket


def check_plot_target(path) -> Path:
    """The PNG path to write, checked before a long measurement: a .png (or no suffix) in an existing folder."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ""):
        raise UserError(f"--plot {path}: give a .png file name")
    path = path.with_suffix(".png") if path.suffix == "" else path
    return _check_target(path)


LOG_SPAN = 100.0    # a current range wider than this (max / floor) is drawn on a log axis


def current_axis(min_current_a, max_current_a, baseline_a=None) -> tuple[str, float | None]:
    """("log", floor in A) when the trace spans more than :data:`LOG_SPAN` x from its floor (the smallest
    positive current, or the baseline) to its peak, so a µA sleep floor stays visible under mA bursts;
    else ("linear", None)."""
    import numpy as np

    lo = np.asarray(min_current_a, dtype=float)
    hi = np.asarray(max_current_a, dtype=float)
    positive = lo[np.isfinite(lo) & (lo > 0)]
    candidates = [float(positive.min())] if positive.size else []
    if baseline_a is not None and np.isfinite(baseline_a) and baseline_a > 0:
        candidates.append(float(baseline_a))
    top = float(np.nanmax(hi)) if hi.size else float("nan")
    if not candidates or not np.isfinite(top) or top <= 0:
        return "linear", None
    floor = min(candidates)
    return ("log", floor) if top / floor > LOG_SPAN else ("linear", None)


def plot_measurement(m, path) -> Path:
    """Write a PNG of ``m`` (a Measurement) to ``path`` atomically; returns the path."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure  # no pyplot: no global backend state, Agg only

    path = check_plot_target(path)
    env = m.envelope
    t = np.asarray(env.get("time_s", []))
    lo = np.asarray(env.get("min_current_a", []))
    hi = np.asarray(env.get("max_current_a", []))
    s = m.summary
    fig = Figure(figsize=(11, 4.8), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    scale, floor = current_axis(lo, hi, s.get("baseline_current_a"))
    if scale == "log":  # a µA floor under mA bursts: log axis, samples at or below zero drawn at the floor
        lo, hi = np.maximum(lo, floor), np.maximum(hi, floor)
        ax.set_yscale("log")
        ax.set_ylim(floor * 1e3 / 2, None)
    if t.size:
        if env.get("samples_per_point", 1) > 1:
            ax.fill_between(t, lo * 1e3, hi * 1e3, step="post", color="tab:blue", linewidth=0.6,
                            label=f"current (min/max per {env['samples_per_point']} samples)")
        else:
            ax.plot(t, hi * 1e3, color="tab:blue", linewidth=0.8, label="current")
    events = m.events
    starts = events["start_s"].to_numpy()
    ends = starts + events["duration_s"].to_numpy()
    if len(starts) > MAX_SHADED:  # merge neighbours so the file stays small
        gap = (t[-1] - t[0]) / 4000 if t.size > 1 else 0
        keep = np.concatenate([[True], starts[1:] - ends[:-1] > gap])
        idx = np.flatnonzero(keep)
        starts, ends = starts[idx], np.maximum.reduceat(ends, idx)
    for k, (a, b) in enumerate(zip(starts, ends)):
        ax.axvspan(a, b, color="tab:orange", alpha=0.25, linewidth=0, label="events" if k == 0 else None)
    ax.axhline(s["baseline_current_a"] * 1e3, color="tab:green", linestyle="--", linewidth=1,
               label=f"baseline {si_format(s['baseline_current_a'], 'A')}")
    if s.get("threshold_a") is not None:
        ax.axhline(s["threshold_a"] * 1e3, color="tab:red", linestyle=":", linewidth=1,
                   label=f"threshold {si_format(s['threshold_a'], 'A')}")
    ax.set_xlabel("time [s]")
    ax.set_ylabel("current [mA]")
    ax.set_title(f"{Path(m.path).name} ({m.format})")
    text = "\n".join([
        f"events: {s['n_events']}",
        f"duration (median): {si_format(s['event_duration_s'], 's')}",
        f"energy (median): {si_format(s['event_energy_j'], 'J')}",
        f"baseline: {si_format(s['baseline_current_a'], 'A')}",
        f"average: {si_format(s['average_current_a'], 'A')}",
        f"supply: {si_format(s['supply_v'], 'V')}",
    ])
    ax.text(0.995, 0.97, text, transform=ax.transAxes, ha="right", va="top", fontsize=8, family="monospace",
            bbox=dict(boxstyle="round", facecolor="white", alpha=0.85))
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return write_bytes_safely(path, buf.getvalue())
