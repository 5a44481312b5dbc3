"""Targets that cannot be estimated as asked, for the features that compare several (``compare``, ``report``): one
part that cannot keep up with the rate, or that the battery cannot power, becomes a row that says why, the fastest
rate it keeps up with and the fix, instead of stopping the comparison.

A RAM or flash that does not fit is not a failure: the estimate says so (``fits_ram``/``fits_flash``), a verdict.
This module sits above the chain (it calls :func:`chain.estimate`); the chain never imports it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import chain
from .errors import RateTooFast, UnknownName, UserError

#: bisection steps of the clock that keeps up (the clock range / 2**n: well under 1 % of it)
CLOCK_STEPS = 12
#: the keys of ``estimate`` that set the duty cycle and its battery, dropped for the inference-only figures
DUTY_KEYS = ("duty", "profile", "battery", "regulator", "sleep")


@dataclass
class TargetFailure:
    """A target that could not be estimated as asked: ``kind`` is ``"too fast"`` (the rate cannot be kept up with)
    or ``"refused"`` (the chain's own error, e.g. a battery that cannot power the part); ``reason`` its one line;
    ``fix`` what would work ('' when the reason says it); ``max_rate_hz`` [Hz] the fastest rate it keeps up with;
    ``summary`` the inference figures that do exist (latency, energy, RAM fit: a rate too fast for the part does
    not make them wrong), ``target`` the part as asked (runtime, clock, supply resolved where they can be)."""

    mcu: str
    kind: str
    reason: str
    fix: str = ""
    max_rate_hz: float | None = None
    fix_clock_hz: float | None = None
    summary: dict = field(default_factory=dict)
    target: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"mcu": self.mcu, "failed": True, "failure": self.kind, "error": self.reason, "fix": self.fix,
                "max_rate_hz": self.max_rate_hz, "fix_clock_hz": self.fix_clock_hz, "target": self.target,
                "summary": self.summary, "warnings": self.warnings}


def estimate_or_failure(analysis, mcu, **kw):
    """:func:`chain.estimate` of one target, or a :class:`TargetFailure` saying why it cannot be made. A name that
    does not exist (a misspelt MCU, runtime, battery) and a duty that cannot be read stay errors: bad input."""
    duty = kw.get("duty")
    if isinstance(duty, str):
        from .usage.duty import parse_rate

        parse_rate(duty)  # the same for every target: a typo, not a property of this one
    if isinstance(mcu, str):
        from .hardware.catalog import load_mcu

        load_mcu(mcu)  # a misspelt part is bad input (with suggestions), not a row
    try:
        return chain.estimate(analysis, mcu=mcu, **kw)
    except RateTooFast as exc:
        return _too_fast(analysis, mcu, exc, kw)
    except UnknownName:
        raise
    except UserError as exc:
        return TargetFailure(mcu=str(getattr(mcu, "id", mcu)), kind="refused", reason=str(exc),
                             target=_target(mcu, kw))


def _target(mcu, kw) -> dict:
    """The target as asked, resolved where it can be (runtime, clock, supply)."""
    try:
        part, rt, _, clock_hz, supply_v = chain._resolve_target(mcu, kw.get("runtime"), _clock(kw), kw.get("supply_v"),
                                                                kw.get("build"))
    except UserError:
        return {"mcu": str(getattr(mcu, "id", mcu)), "runtime": kw.get("runtime"), "clock_hz": None,
                "supply_v": kw.get("supply_v")}
    return {"mcu": part.id, "mcu_name": part.name, "core": part.core, "runtime": rt.label, "clock_hz": clock_hz,
            "supply_v": supply_v if supply_v is not None else part.supply_default_v}


def _clock(kw):
    clock = kw.get("clock_mhz")
    return None if isinstance(clock, str) and clock.strip().lower() == "best" else clock


def _too_fast(analysis, mcu, exc: RateTooFast, kw) -> TargetFailure:
    """The failure of a rate the inference cannot keep up with: the inference figures at the asked clock, and the
    lowest clock of the part that would keep up (found by bisection over the chain), if any does."""
    from .units import si_format
    from .usage.duty import format_rate, rate_text

    inference_kw = {k: v for k, v in kw.items() if k not in DUTY_KEYS}
    if _clock(kw) is None:
        inference_kw.pop("clock_mhz", None)
    try:
        alone = chain.estimate(analysis, mcu=mcu, **inference_kw)
        summary, target, warnings = dict(alone.summary), dict(alone.target), list(alone.warnings)
    except UserError:
        summary, target, warnings = {}, _target(mcu, kw), []
    summary["max_rate_hz"] = exc.max_rate_hz
    mcu_id = target.get("mcu", str(mcu))
    reason = (f"cannot keep up with {format_rate(exc.rate_hz)}: each inference needs "
              f"{si_format(exc.per_inference_s, 's')} (wake-up + inference); the fastest rate it keeps up with is "
              f"{rate_text(exc.max_rate_hz)}")
    fix_hz, fix = _clock_fix(analysis, mcu, kw, target.get("clock_hz"))
    if fix_hz is not None:
        fix = f"run it at {fix_hz / 1e6:.4g} MHz or faster (--clock-mhz {math.ceil(fix_hz / 1e5) / 10:g}) or use a faster part"
    return TargetFailure(mcu=mcu_id, kind="too fast", reason=reason, fix=fix or "use a faster part or a lower rate",
                         max_rate_hz=exc.max_rate_hz, fix_clock_hz=fix_hz, summary=summary, target=target,
                         warnings=warnings)


def _clock_fix(analysis, mcu, kw, clock_hz) -> tuple:
    """(the lowest clock [Hz] at which the part keeps up with the rate, or None; a sentence when none does)."""
    from .hardware.catalog import load_mcu

    try:
        part = mcu if hasattr(mcu, "max_clock_hz") else load_mcu(str(mcu))
    except UserError:
        return None, ""
    top = float(part.max_clock_hz)
    if part.fixed_clock or clock_hz is None or clock_hz >= top * (1 - 1e-9):
        return None, (f"the {part.id} is at its {top / 1e6:g} MHz maximum clock: use a faster part or a lower rate"
                      if not part.fixed_clock else
                      f"the {part.id} runs at {top / 1e6:g} MHz only: use a faster part or a lower rate")

    def keeps_up(hz: float) -> bool:
        try:
            chain.estimate(analysis, mcu=mcu, **dict(kw, clock_mhz=hz / 1e6))
            return True
        except RateTooFast:
            return False
        except UserError:
            return False

    if not keeps_up(top):
        return None, f"not even at its {top / 1e6:g} MHz maximum clock: use a faster part or a lower rate"
    low, high = float(clock_hz), top
    for _ in range(CLOCK_STEPS):
        mid = (low + high) / 2
        if keeps_up(mid):
            high = mid
        else:
            low = mid
    return high, ""
