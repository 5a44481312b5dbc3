"""Features above the estimate chain: several targets side by side (``compare``) and the design-review page
(``report``). They call the chain; the chain never imports them."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from . import chain
from .errors import UserError
from .failures import TargetFailure, estimate_or_failure
from .units import WARNING_SEPARATOR
from .usage.lifetime import _nansum

__all__ = ["compare", "report", "estimates", "life_curve", "COMPARE_COLUMNS"]

#: the columns ``compare`` puts first (the rest are the ``estimate`` summary keys)
COMPARE_COLUMNS = ["mcu", "runtime", "accelerator", "clock_hz", "latency_s", "energy_per_inference_j", "peak_ram_bytes",
                   "fits_ram", "flash_bytes", "fits_flash", "average_current_a", "battery_life_days",
                   "battery_life_low_days", "battery_life_high_days", "battery_life_limited_by"]
LIFE_CURVE_POINTS = 40


def mcu_list(mcu) -> list:
    """``"a,b" | ["a", "b,c"]`` -> ``["a", "b", "c"]`` (order kept, repeats dropped)."""
    items = [mcu] if isinstance(mcu, str) or not hasattr(mcu, "__iter__") else list(mcu)
    out = []
    for item in items:
        for name in (str(item).split(",") if isinstance(item, str) else [item]):
            name = name.strip() if isinstance(name, str) else name
            if name and name not in out:
                out.append(name)
    if not out:
        raise UserError("give at least one --mcu")
    return out


def estimates(model, mcu, **kw) -> list:
    """One :class:`~joulescope_free.api.Estimate` per target in ``mcu`` (list or comma-separated ids), or a
    :class:`~joulescope_free.failures.TargetFailure` saying why that target cannot be estimated as asked (a rate it
    cannot keep up with, a battery that cannot power it); ``kw`` are :func:`~joulescope_free.api.estimate`'s
    arguments (runtime, clock_mhz, supply_v, duty, profile, battery, ...)."""
    analysis = chain._analysis(model)  # analysed once for every target
    accelerators = _accelerators(kw.pop("accelerator", None))
    return [estimate_or_failure(analysis, m, accelerator=acc, **kw) for m in mcu_list(mcu) for acc in accelerators
            if acc != "npu" or len(accelerators) == 1 or _has_npu(m)]


def _accelerators(value) -> list:
    # ``accelerator`` as a list: None (each part's default), "npu", "none" or "npu,none" (a part with an NPU
    # twice, with and without it; parts without one once)
    if value is None:
        return [None]
    items = [a.strip() for a in (value.split(",") if isinstance(value, str) else value) if str(a).strip()]
    return list(dict.fromkeys(items)) or [None]


def _has_npu(mcu) -> bool:
    from .hardware.catalog import load_mcu
    from .hardware.npu import npu_of

    return npu_of(load_mcu(mcu)) is not None


def _sort_key(s):
    """Longest battery life first; without one, lowest average current, then lowest energy per inference."""
    def num(key, default):
        value = s.get(key)
        return default if value is None or value != value else float(value)

    return (-num("battery_life_days", -math.inf), num("average_current_a", math.inf),
            num("energy_per_inference_j", math.inf))


def compare_frame(results: list) -> pd.DataFrame:
    """The compare table of already computed estimates, sorted (see :func:`compare`); targets that could not be
    estimated (:class:`TargetFailure`) last, with why (``error``), the fix and the fastest rate they keep up with.
    ``warnings``: each target's warnings joined with ``' | '``; ``failed``: True on those rows."""
    failures = [r for r in results if isinstance(r, TargetFailure)]
    results = [r for r in results if not isinstance(r, TargetFailure)]
    rows = []
    for r in sorted(results, key=lambda r: _sort_key(r.summary)):
        row = {"mcu": r.target["mcu"], "runtime": r.target["runtime"],
               "accelerator": r.summary.get("accelerator", "none")}
        row.update({k: v for k, v in r.summary.items() if k not in row})
        row.update(warnings=WARNING_SEPARATOR.join(r.warnings), failed=False, error=None, fix=None)
        rows.append(row)
    for f in failures:
        rows.append(_failure_row(f, results))
    frame = pd.DataFrame(rows)
    first = [c for c in COMPARE_COLUMNS if c in frame.columns]
    return frame[first + [c for c in frame.columns if c not in first]].reset_index(drop=True)


def _failure_row(f: TargetFailure, estimated: list) -> dict:
    """The compare row of a target that could not be estimated: what exists of it (inference figures), why, the
    fix; for a rate it cannot keep up with, the targets of the comparison that do."""
    row = {"mcu": f.mcu, "runtime": f.target.get("runtime"), "clock_hz": f.target.get("clock_hz"),
           "supply_v": f.target.get("supply_v")}
    row.update({k: v for k, v in f.summary.items() if k not in row})
    fix = f.fix
    if f.kind == "too fast":
        faster = [r.target["mcu"] for r in estimated if r.summary.get("rate_hz") is not None]
        if faster:
            fix += f" (here {', '.join(faster)} keep{'s' if len(faster) == 1 else ''} up)"
    row.update(battery_life_limited_by="cannot keep up" if f.kind == "too fast" else "not estimated",
               warnings=WARNING_SEPARATOR.join(f.warnings), failed=True, error=f.reason, fix=fix or None,
               max_rate_hz=f.max_rate_hz, fix_clock_hz=f.fix_clock_hz)
    return row


def compare(model, mcu, **kw) -> pd.DataFrame:
    """One row per target, longest battery life first (without a battery: lowest average current, then lowest
    energy per inference). Columns: ``mcu``, ``runtime`` and every ``estimate`` summary key (units in the names),
    ``warnings``, and for a target that cannot be estimated as asked (``failed`` True, its row last) ``error`` (why),
    ``fix`` and ``max_rate_hz``. When no target can be estimated, a :class:`UserError` gives every reason.
    ``mcu``: ids (list or comma-separated); ``kw``: :func:`~joulescope_free.api.estimate`'s arguments."""
    results = estimates(model, mcu, **kw)
    _none_estimated(results)
    return compare_frame(results)


def _none_estimated(results: list) -> None:
    """Refuse a comparison in which no target could be estimated, with every target's reason."""
    if results and all(isinstance(r, TargetFailure) for r in results):
        raise UserError("no target could be estimated: " + "; ".join(
            f"{f.mcu}: {f.reason}" + (f" ({f.fix})" if f.fix else "") for f in results))


def life_curve(result, model, profile=None, battery=None, regulator=None, build=None, sleep=None,
               points: int = LIFE_CURVE_POINTS) -> pd.DataFrame | None:
    """Battery life [d] and average current [A] versus inference rate [Hz] for an estimate made with a duty cycle:
    from a hundredth of its rate (at most one a day) up to the fastest rate the inference keeps up with.
    ``profile``/``battery``/``regulator``/``build``/``sleep``: as given to ``estimate``. Columns: rate_hz,
    average_current_a, battery_life_days, sleep_share (fraction of the average current)."""
    s = result.summary
    rate = s.get("rate_hz")
    if rate is None or rate != rate:
        return None
    top = float(s.get("max_rate_hz") or rate)
    low = min(rate / 100, 1 / 86400.0)
    rates = np.unique(np.concatenate([np.geomspace(low, top * 0.999, points), [rate]]))
    analysis = chain._analysis(model)
    t = result.target
    clock_mhz = t["clock_hz"] / 1e6
    rows = []
    for r in rates:
        try:
            c = chain._chain(analysis, t["mcu"], t["runtime"], clock_mhz, t["supply_v"], float(r),
                           profile, battery, regulator, t.get("power_model"), build=build, sleep=sleep)
        except UserError:
            continue
        phases = c["phases"].plain_form() if c["phases"] is not None else None  # row dicts (no table needed)
        share = _nansum([r["share"] for r in phases if r["kind"] == "sleep"]) if phases is not None else math.nan
        rows.append({"rate_hz": float(r), "average_current_a": c["summary"].get("average_current_a"),
                     "battery_life_days": c["summary"].get("battery_life_days"), "sleep_share": share})
    return pd.DataFrame(rows, columns=["rate_hz", "average_current_a", "battery_life_days", "sleep_share"])


def report(model, mcu, output=None, force: bool = False, **kw):
    """The design-review page: one self-contained HTML file (inline SVG charts, no network) for one or more
    targets (``mcu``: list or comma-separated ids; ``kw``: :func:`~joulescope_free.api.estimate`'s arguments).
    Returns the HTML text, or writes it to ``output`` (``.html``) and returns the path."""
    from .render.html import render_report
    from .render.export import refuse_overwrite, write_text_safely

    if output is not None:
        output = Path(output)
        if output.suffix.lower() not in (".html", ".htm"):
            raise UserError(f"{output}: give a file name ending in .html")
        refuse_overwrite(output, force)
    everything = estimates(model, mcu, **kw)
    _none_estimated(everything)
    results = [r for r in everything if not isinstance(r, TargetFailure)]
    failures = [r for r in everything if isinstance(r, TargetFailure)]
    curves = [life_curve(r, model, **{k: kw.get(k) for k in ("profile", "battery", "regulator", "build", "sleep")})
              for r in results]
    html = render_report(results, curves, compare_frame(everything) if len(everything) > 1 else None,
                         failures=failures)
    if output is None:
        return html
    return write_text_safely(output, html)
