"""The energy-optimal clock (``--clock-mhz best``): the core clock that minimises the average battery current for
the given duty cycle (or the energy per inference without one).

A faster clock races to sleep (less time at the fixed run current and less sleep time lost), a slower one draws
less dynamic current and needs fewer flash wait states; the wake-up runs at the clocked run current and a
switcher's efficiency changes with the load. None of that is modelled here: ``evaluate(clock_hz)`` runs the estimate
chain at one clock and this module only searches. The objective is smooth between flash wait-state steps, so each
step's interval is searched with a bounded scalar minimiser (scipy) and the best interval wins; the curve shown to
people is a geometric grid plus the wait-state edges.

Search range: ``[max_clock_hz / 32, max_clock_hz]``, the whole range the catalog's run-current model covers (every
part has a fixed run current: its own voltage ranges, or its headline split by ``power_models/run_current.toml``), cut
at every voltage-range and wait-state edge (``Mcu.clock_edges``): a clock runs in the lowest range that allows it, so
the current steps down at a range edge, and each smooth piece is searched on its own. A part marked ``fixed_clock``
in the catalog runs at its one clock: it is used and the result says so.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from ..deferred import built_on_read, frame_from_rows, plain_value
from ..units import si_format

if TYPE_CHECKING:
    import pandas as pd

GRID_POINTS = 25
DEFAULT_FLOOR = 1 / 32
OBJECTIVE_LABELS = {"average_current_a": "average current", "energy_per_inference_j": "energy per inference"}
CURVE_COLUMNS = ["clock_hz", "objective", "latency_s", "energy_per_inference_j", "average_current_a",
                 "battery_life_days", "wait_states", "feasible"]


@dataclass
class ClockSearch:
    """The chosen clock, what was minimised, the curve over the searched range, and why."""

    clock_hz: float
    objective: str                 # "average_current_a" (with a duty cycle) or "energy_per_inference_j"
    fixed: bool                    # the part has a fixed clock: nothing was searched
    low_clock_hz: float
    high_clock_hz: float
    curve: pd.DataFrame = built_on_read()  # CURVE_COLUMNS, one row per clock evaluated; made on first read
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"clock_hz": self.clock_hz, "objective": self.objective, "fixed": self.fixed,
                "low_clock_hz": self.low_clock_hz, "high_clock_hz": self.high_clock_hz,
                "curve": plain_value(self, "curve"), "notes": list(self.notes)}


def search_range(part) -> tuple[float, float]:
    """(low, high) clock in Hz searched for ``part``."""
    high = float(part.max_clock_hz)
    if getattr(part, "fixed_clock", False):
        return high, high
    return high * DEFAULT_FLOOR, high


def optimal_clock(evaluate: Callable[[float], dict], part, objective: str = "average_current_a") -> ClockSearch:
    """Minimise ``evaluate(clock_hz)[objective]`` over the part's clock range.

    ``evaluate`` returns the estimate summary (a dict with ``objective``, ``latency_s``, ...) at a clock, or raises
    :class:`~joulescope_free.errors.UserError` when the clock is infeasible (too slow for the rate); such clocks
    are skipped and marked ``feasible = False`` in the curve."""
    from ..errors import UserError

    low, high = search_range(part)
    label = OBJECTIVE_LABELS.get(objective, objective)
    if low >= high:  # a fixed clock
        curve = frame_from_rows([_row(high, evaluate(high), objective, part)], CURVE_COLUMNS)
        return ClockSearch(high, objective, True, high, high, curve,
                           [f"{part.id} has a fixed clock ({high / 1e6:g} MHz): nothing to optimise"])

    memo: dict = {}

    def value(clock_hz: float) -> float:
        key = round(float(clock_hz), 3)
        if key not in memo:
            try:
                memo[key] = evaluate(float(clock_hz))
            except UserError:
                memo[key] = None
        s = memo[key]
        return math.inf if s is None or s.get(objective) is None else float(s[objective])

    from scipy.optimize import minimize_scalar

    # voltage-range and wait-state edges cut the range into smooth pieces
    edges = sorted({low, high, *(hz for hz in part.clock_edges() if low < hz < high)})
    candidates = list(edges)
    for a, b in zip(edges[:-1], edges[1:]):
        # each step runs up to its edge: search just inside it, in log(clock) (the curve spans decades)
        lo, hi = math.log(a * (1 + 1e-6)), math.log(b)
        with np.errstate(invalid="ignore"):  # infeasible clocks are inf: inf - inf inside Brent's step is no news
            res = minimize_scalar(lambda x: value(math.exp(x)), bounds=(lo, hi), method="bounded",
                                  options={"xatol": 1e-5})
        candidates.append(float(math.exp(res.x)))
    grid = np.geomspace(low, high, GRID_POINTS)
    for f in grid:
        value(f)
    best = min(candidates + list(grid), key=lambda f: (value(f), -f))  # ties: the faster clock
    if math.isinf(value(best)):
        raise UserError(f"no clock between {low / 1e6:g} and {high / 1e6:g} MHz on {part.id} keeps up with the "
                        f"duty cycle; lower the rate")
    clocks = sorted({round(float(f), 3) for f in list(grid) + edges + [best]})
    curve = frame_from_rows([_row(f, memo.get(f), objective, part) for f in clocks], CURVE_COLUMNS)
    notes = [f"clock searched from {low / 1e6:.4g} to {high / 1e6:.4g} MHz for the lowest {label}: "
             f"{best / 1e6:.4g} MHz ({si_format(value(best), _unit(objective))}; at the maximum "
             f"{si_format(value(high), _unit(objective))})"]
    if part.run_ranges:
        notes.append(f"{best / 1e6:.4g} MHz runs in {part.run_range(best).name}, the lowest of the part's voltage "
                     f"ranges that allows it ({', '.join(f'{r.name} <= {r.max_clock_hz / 1e6:g} MHz' for r in part.run_ranges)})")
    if best <= low * (1 + 1e-6):
        notes.append("the best clock is the lowest searched: the true optimum may be lower still")
    return ClockSearch(best, objective, False, low, high, curve, notes)


def _unit(objective: str) -> str:
    return "J" if objective.endswith("_j") else "A"


def _row(clock_hz, s, objective, part) -> dict:
    s = s or {}
    return {"clock_hz": clock_hz, "objective": s.get(objective), "latency_s": s.get("latency_s"),
            "energy_per_inference_j": s.get("energy_per_inference_j"),
            "average_current_a": s.get("average_current_a"), "battery_life_days": s.get("battery_life_days"),
            "wait_states": part.wait_states(clock_hz), "feasible": bool(s)}
