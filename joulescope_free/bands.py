"""Error bands: how far a real outcome may lie from an estimate, and what the estimate rests on.

Every estimate has a *basis* (``calibrated``, ``measured``, ``simulated``, ``extrapolated``: :func:`estimate_basis`)
and a band of multipliers on its latency and energy from power_models/error_bands.toml (:func:`find_band`: the
entry naming the runtime version and core, else the basis-wide one); an estimate with nothing measured or
simulated on its own core class behind it (:func:`no_data_reason`) gets the widest band (:func:`widest_band`).
:func:`band_from_ratios` makes a band from validation ratios measured / predicted and :func:`write_bands` writes
the file (``benchmarks/accuracy.py --write-bands``). The chain calls :func:`band_summary`; ``validation.band_coverage`` checks the bands on a table.
README "Error bands".
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .datafile import toml_value
from .errors import UserError
from .paths import data_dir

#: what an estimate's band rests on, most trusted first
BASES = ("calibrated", "measured", "simulated", "extrapolated")
FACTORS = ("latency_low", "latency_high", "energy_low", "energy_high")
BANDS_FILE = "error_bands.toml"


@dataclass(frozen=True)
class Band:
    """Multipliers on an estimate that bracket about ``coverage`` of real outcomes: the measured latency (energy)
    lies between ``latency_low`` and ``latency_high`` (``energy_*``) times the estimate. ``notes``: each factor's
    ``derived`` text."""

    basis: str
    latency_low: float
    latency_high: float
    energy_low: float
    energy_high: float
    coverage: float
    runtime: str | None = None
    cores: tuple = ()
    notes: tuple = ()
    placeholder: bool = False     # a figure is marked ``derived = "placeholder ..."``: not yet validated
    scope: str = ""               # "no data": the band of an estimate with nothing measured or simulated on its
                                  # core class behind it (:func:`widest_band`); "unmeasured kernels": of kernels no
                                  # board measured (a stand-in loop, float32 layers); never picked by :func:`find_band`


def band_from_ratios(ratios, coverage: float = 0.8, floor: tuple | None = None) -> tuple[float, float]:
    """(low, high) multipliers from validation ratios r = measured / predicted, aiming to hold ``coverage`` of new
    outcomes.

    In log r, the band is the wider, on each side, of (a) the normal prediction interval for one new outcome,
    mean -/+ t(q, n - 1) * sd * sqrt(1 + 1/n) with q = (1 + coverage) / 2 and sd with n - 1 degrees of freedom
    (exact for lognormal ratios at any n >= 2, so small samples are widened by Student's t: 1.64 sd x 1.12 for
    4 rows against 1.28 sd for many), and (b) the empirical (1 -/+ coverage) / 2 quantiles (numpy's linear
    interpolation), which follow a skewed tail. The band always contains 1.0 and is never narrower than
    ``floor`` = (low, high) when given (e.g. the basis-wide band for an entry of few rows). Non-positive or
    non-finite ratios are ignored; fewer than two usable ratios need a ``floor``, which is then returned
    (stretched to hold them).
    """
    from scipy.special import stdtrit  # the t quantile of scipy.stats.t.ppf, without importing scipy.stats (cold start)

    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be between 0 and 1, got {coverage}")
    r = np.asarray(list(ratios), dtype=float)
    logs = np.log(r[np.isfinite(r) & (r > 0)])
    n = logs.size
    if n >= 2:
        upper = (1 + coverage) / 2
        half = float(stdtrit(n - 1, upper)) * float(np.std(logs, ddof=1)) * math.sqrt(1 + 1 / n)
        q_lo, q_hi = np.quantile(logs, [1 - upper, upper])
        lo, hi = min(logs.mean() - half, q_lo), max(logs.mean() + half, q_hi)
    elif floor is None:
        raise ValueError(f"a band needs at least two ratios (or a floor), got {n}")
    else:
        lo = hi = float(logs[0]) if n else 0.0
    if floor is not None:
        lo, hi = min(lo, math.log(floor[0])), max(hi, math.log(floor[1]))
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    return math.exp(lo), math.exp(hi)


def combine_bands(first: tuple, second: tuple) -> tuple[float, float]:
    """The band of a product of two independent errors (latency x current = energy): each side's log half-width
    is the quadrature sum of the two."""
    lo = math.hypot(math.log(first[0]), math.log(second[0]))
    hi = math.hypot(math.log(first[1]), math.log(second[1]))
    return math.exp(-lo), math.exp(hi)


def current_band(coverage: float = 0.8) -> tuple[float, float]:
    """The power model's band on the inference current of a part without its own measurement: where a new part's
    workload factor may lie around the geometric mean of the measured parts' factors (the default factor), i.e.
    :func:`band_from_ratios` of each measured factor over that mean. Its prediction interval (Student's t, the
    sqrt(1 + 1/n) term) is the leave-one-part-out interval: ratios to the mean of the *other* parts would count the
    new part's own uncertainty twice."""
    from .hardware.power import default_workload_factor, workload_factors

    mean = default_workload_factor()[0]
    return band_from_ratios([v / mean for v in workload_factors().values()], coverage)


#: what the stored current band says about its origin (written with the band file, read by estimates)
CURRENT_BAND_NOTE = ("the power model's current band (bands.current_band: leave-one-part-out workload factors of "
                     "the measured parts), stored when the file was written")


def write_bands(entries, path, coverage: float = 0.8, header: str = "") -> Path:
    """Write a band file. ``entries``: dicts with ``basis``, optional ``runtime`` (id@version) and ``cores``, and
    each of :data:`FACTORS` as ``(value, derived text)``; ``coverage``: the share of outcomes the bands aim to
    hold; ``header``: comment lines saying how the file was made. The power model's :func:`current_band` is
    stored with them (``current_low``/``current_high``), so that estimates read it instead of computing it.
    Returns the path."""
    path = Path(path)
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines += ["", f"coverage = {{ value = {coverage!r}, derived = \"share of real outcomes each band aims to hold "
              f"(quantiles {(1 - coverage) / 2:g} to {(1 + coverage) / 2:g} of log(measured/predicted))\" }}"]
    lines += [f"current_{end} = {{ value = {float(f'{value:.4g}')!r}, derived = {toml_value(CURRENT_BAND_NOTE)} }}"
              for end, value in zip(("low", "high"), current_band(coverage))]
    for i, entry in enumerate(entries):
        if entry.get("basis") not in BASES:
            raise ValueError(f"band {i + 1}: basis must be one of {', '.join(BASES)}, got {entry.get('basis')!r}")
        lines += ["", "[[band]]", f"basis = {toml_value(entry['basis'])}"]
        for key in ("runtime", "cores", "scope"):
            if entry.get(key):
                lines.append(f"{key} = {toml_value(sorted(entry[key]) if key == 'cores' else entry[key])}")
        low, high = {}, {}
        for name in FACTORS:
            value, how = entry[name]
            if not (value > 0 and math.isfinite(value)) or not str(how).strip():
                raise ValueError(f"band {i + 1} {name}: needs a positive value and a derived text, got {entry[name]!r}")
            (low if name.endswith("low") else high)[name] = value
            lines.append(f"{name} = {{ value = {float(f'{value:.4g}')!r}, derived = {toml_value(str(how))} }}")
        if any(v > 1 for v in low.values()) or any(v < 1 for v in high.values()):
            raise ValueError(f"band {i + 1}: low factors must be <= 1 and high factors >= 1 (the band holds 1.0)")
    path.write_text("\n".join(lines).lstrip("\n") + "\n", encoding="utf-8")
    _bands.cache_clear()
    _current_band.cache_clear()
    _BASIS_CACHE.clear()
    return path


@lru_cache(maxsize=None)
def _bands(path: str | None = None) -> tuple:
    """The band file as :class:`Band` entries (default: power_models/error_bands.toml)."""
    from .datafile import as_figure, load_toml

    path = Path(path) if path else data_dir("power_models") / BANDS_FILE
    tree = load_toml(path)
    coverage = float(as_figure(tree["coverage"], f"{path} coverage").value) if "coverage" in tree else 0.8
    out = []
    for i, entry in enumerate(tree.get("band", [])):
        where = f"{path} band {i + 1}"
        if entry.get("basis") not in BASES:
            raise UserError(f"{where}: basis must be one of {', '.join(BASES)}, got {entry.get('basis')!r} "
                            f"(write the file with joulescope_free.validation.write_bands)")
        missing = [k for k in FACTORS if k not in entry]
        if missing:
            raise UserError(f"{where}: missing {', '.join(missing)}")
        figures = {k: as_figure(entry[k], f"{where} {k}") for k in FACTORS}
        out.append(Band(basis=entry["basis"], coverage=coverage, runtime=entry.get("runtime"),
                        cores=tuple(entry.get("cores", ())), scope=str(entry.get("scope", "")),
                        notes=tuple(f.note for f in figures.values()),
                        placeholder=any(f.note.startswith("placeholder") for f in figures.values()),
                        **{k: float(f.value) for k, f in figures.items()}))
    return tuple(out)


def find_band(basis: str, runtime_label: str | None = None, core: str | None = None, path=None) -> Band | None:
    """The most specific band of ``basis`` that fits: an entry naming this runtime version and core, else one
    naming either, else the basis-wide entry (neither); None when the file has no entry for the basis."""
    best, best_rank = None, -1
    for band in _bands(str(path) if path else None):
        if band.scope or band.basis != basis or (band.runtime and band.runtime != runtime_label) or \
                (band.cores and core not in band.cores):
            continue
        rank = 2 * bool(band.runtime) + bool(band.cores)
        if rank > best_rank:
            best, best_rank = band, rank
    return best


def estimate_basis(runtime, core: str, calibrated: bool = False) -> tuple[str, str]:
    """(basis, what it means for this estimate): ``calibrated`` with a power model from ``energy calibrate``;
    ``measured`` where the band file has measured rows of this runtime version on this core class (not for a
    release estimated with a neighbour's figures); else the cycle model's own basis, ``simulated`` (the runtime's
    kernels were simulated for this core) or ``extrapolated``."""
    if calibrated:
        return "calibrated", "latency and current scaled to a measurement of this board by energy calibrate"
    band = find_band("measured", runtime.label, core)
    if band is not None and band.runtime and not runtime.version_note:
        return "measured", f"{runtime.label} on {core} is in the validation table"
    from .hardware.kernels import kernel_core, modelled_basis
    from .hardware.runtimes import load_core

    if runtime.representative_kernels:
        return "extrapolated", (f"{runtime.label}'s kernel table is a representative loop nest written for the "
                                f"kernel simulator, not the runtime's own code")
    if modelled_basis(runtime, load_core(core)) == "simulated":
        return "simulated", f"{runtime.kernels_for(core)} kernels simulated for {core}"
    unmeasured = runtime.version_note.split(";")[0] if runtime.version_note else \
        f"{runtime.label} is not measured on {core}"
    table_core = kernel_core(runtime, load_core(core))
    if runtime.kernel_ratios:
        return "extrapolated", (f"{unmeasured}: a closed runtime, costed as ratios to the simulated "
                                f"{runtime.kernels} kernels")
    if table_core:
        return "extrapolated", f"{unmeasured} and its kernels were simulated for {table_core} only (stand-in core)"
    return "extrapolated", f"{unmeasured} and has no simulated kernels: the cycle model's per-MAC estimates"


def no_data_reason(runtime, core: str) -> str:
    """Why nothing measured or simulated for this very core class stands behind ``runtime`` on ``core`` ('' when
    something does): no kernel table for the core or a stand-in, a stand-in core's tables, or a closed runtime never
    measured on this core class. Such an estimate gets the widest band (:func:`widest_band`), never a refusal."""
    from .hardware.kernels import kernel_core
    from .hardware.runtimes import load_core

    core_class = load_core(core)
    table_core = kernel_core(runtime, core_class)
    if runtime.representative_kernels:
        return (f"nothing of {runtime.label}'s own code was simulated or measured (its kernel table is a "
                f"representative loop)")
    if not table_core:
        return f"no kernel table of {runtime.label} for {core} or a stand-in core"
    if table_core != core:
        return f"{runtime.kernels_for(core)} kernels simulated only for {table_core}, standing in for {core}"
    if runtime.kernel_ratios and core not in runtime.core_factors:
        return f"{runtime.label} (closed) was never measured on {core}"
    return ""


def widest_band(path=None, scope: str = "no data") -> Band | None:
    """The band of an estimate with no data behind it for its core class: the file's ``scope = "no data"`` entry
    (written by benchmarks/accuracy.py from the held-out errors of such estimates), else the envelope of every band
    in the file (lowest low, highest high factors). ``scope = "unmeasured kernels"``: the entry of an estimate whose
    kernels no board measured (falling back to the "no data" one)."""
    entries = _bands(str(path) if path else None)
    if not entries:
        return None
    for wanted in dict.fromkeys((scope, "no data")):
        own = [b for b in entries if b.scope == wanted]
        if own:
            return own[0]
    lows = {k: min(getattr(b, k) for b in entries) for k in FACTORS if k.endswith("low")}
    highs = {k: max(getattr(b, k) for b in entries) for k in FACTORS if k.endswith("high")}
    return Band(basis="extrapolated", coverage=entries[0].coverage, **lows, **highs,
                notes=("envelope of every band in " + BANDS_FILE,) * 4,
                placeholder=any(b.placeholder for b in entries))


_BASIS_CACHE: dict = {}
_DUTY_KEYS = (("average_current_a", "average_current_low_a", "average_current_high_a"),
              ("battery_life_days", "battery_life_low_days", "battery_life_high_days"))


def _basis_band(runtime, core: str, calibrated: bool, unknown_target: str = "", unvalidated: str = "") -> tuple:
    """(Band or None, the summary keys that do not depend on the estimate, the assumption line), once per
    runtime, core, calibration, ``unknown_target`` (why the target itself is unknown, e.g. a typical part above
    its own clock: the widest band, basis extrapolated) and ``unvalidated`` (why the kernels that dominate this
    model were never measured on any board, e.g. float32 layers: the band of kernels no board measured, as a runtime
    whose kernel table is a stand-in loop gets)."""
    key = (runtime.label, runtime.kernels, runtime.build, runtime.version_note, core, calibrated, unknown_target,
           unvalidated)
    if key not in _BASIS_CACHE:
        basis, why = estimate_basis(runtime, core, calibrated)
        if unknown_target and not calibrated:
            basis = "extrapolated"
        if unvalidated and basis == "measured":
            basis, why = "extrapolated", f"{why}, but not for this model"
            unknown_target = "; ".join(x for x in (unknown_target, unvalidated) if x)
        band = find_band(basis, runtime.label, core)
        if unvalidated and basis == "simulated":
            band = widest_band(scope="unmeasured kernels")
            why = f"{why}; {unvalidated}: the band of kernels no board measured"
        no_data = no_data_reason(runtime, core) if basis == "extrapolated" else ""
        no_data = "; ".join(x for x in (no_data, unknown_target if not calibrated else "") if x)
        if no_data:
            scope = "unmeasured kernels" if runtime.representative_kernels or unvalidated else "no data"
            band, why = widest_band(scope=scope), f"{why}; {no_data}: the widest band"
        fixed = {"estimate_basis": basis, "estimate_basis_note": why, "band_interval": None, "band_validated": None}
        if band is None:
            note = f"no error band: {BANDS_FILE} has no entry for basis {basis} ({why})"
        else:
            fixed.update(band_interval=band.coverage, band_validated=not band.placeholder)
            scope = f"{band.runtime} on {', '.join(band.cores)}" if band.runtime else f"every {basis} estimate"
            if no_data or band.scope:
                what = {"no data": "the held-out errors of estimates without data on their core class",
                        "unmeasured kernels": "the held-out errors of estimates without data on their core "
                                              "class, widened by how far runtimes' own code lies from the "
                                              "simulated kernels"}.get(band.scope, "the envelope of every band")
                scope = f"any estimate: {what}" + (f" (no data for {runtime.label} on {core})" if no_data else "")
            validated = "a PLACEHOLDER band, not yet validated" if band.placeholder else \
                f"from the validation of {scope}"
            note = (f"error band ({band.coverage * 100:.0f} % interval), basis {basis}: {why}; latency "
                    f"x{band.latency_low:.2f}-{band.latency_high:.2f}, energy x{band.energy_low:.2f}-"
                    f"{band.energy_high:.2f}, {validated} ({BANDS_FILE})")
        _BASIS_CACHE[key] = band, fixed, note
    return _BASIS_CACHE[key]


@dataclass(frozen=True)
class EstimateBand:
    """An estimate's band: ``summary`` (estimate_basis, estimate_basis_note, band_interval, band_validated,
    latency_low_s, latency_high_s, energy_low_j, energy_high_j), the assumption line, and the inference at each end
    of the band (``low``, ``high``: (latency_s, energy_j)) for the duty stage."""

    summary: dict
    note: str
    low: object = None
    high: object = None

    def duty(self, duty_result) -> dict:
        """The duty cycle's band: ``average_current_low_a``/``high_a`` and ``battery_life_low_days``/``high_days``,
        the smallest and largest of the estimate and the duty stage re-evaluated around the inference at each end
        of the band (same strategy and rate). Mostly the low life comes with the high energy, but not always: a
        faster inference at the same energy sleeps longer. None where there is no band or battery, and the whole
        figure when the slow end cannot keep up with the rate."""
        out = {}
        rescale = getattr(duty_result, "rescale", None)
        ends = (rescale(*self.low), rescale(*self.high)) if self.low is not None and rescale is not None else None
        for key, low_key, high_key in _DUTY_KEYS:
            nominal = duty_result.summary.get(key)
            values = (nominal, ends[0][key], ends[1][key]) if ends else (None,)
            known = None not in values
            out[low_key], out[high_key] = (min(values), max(values)) if known else (None, None)
        return out


@lru_cache(maxsize=None)
def _current_band() -> tuple[float, float]:
    """The current band stored in the band file (no SciPy at estimate time), else computed."""
    from .datafile import as_figure, load_toml

    path = data_dir("power_models") / BANDS_FILE
    tree = load_toml(path)
    if "current_low" in tree and "current_high" in tree:
        return tuple(float(as_figure(tree[k], f"{path} {k}").value) for k in ("current_low", "current_high"))
    return current_band()


def band_summary(runtime, core: str, cost, calibrated: bool = False, current_measured: bool = True,
                 unknown_target: str = "", unvalidated: str = "", low_reach: tuple = (1.0, "")) -> EstimateBand:
    """The band of one estimate. ``cost``: the chain's InferenceCost (latency_s, energy_j, supply_v, ...).
    ``current_measured``: False for a part whose inference current is the power model's default workload factor
    rather than its own measurement; its energy band is then widened by the power model's current band (the
    validation rows behind the energy bands were all measured on parts with their own factor). ``unknown_target``:
    why the target's memory system is unknown (a typical part above its own clock): the widest band.
    ``unvalidated``: why the model's dominant kernels were never measured on a board (see :func:`_basis_band`).
    ``low_reach``: (ratio < 1, why): the latency and energy the estimate would have under the other answer to an
    unknown figure that dominates it (an instruction cache in front of serial flash): the band's low end reaches
    down to it."""
    band, fixed, note = _basis_band(runtime, core, calibrated, unknown_target, unvalidated)
    if band is None:
        return EstimateBand({**fixed, "latency_low_s": None, "latency_high_s": None, "energy_low_j": None,
                             "energy_high_j": None}, note)
    energy = (band.energy_low, band.energy_high)
    if not (current_measured or calibrated):
        energy = combine_bands(energy, _current_band())
        note += (f"; energy widened to x{energy[0]:.2f}-{energy[1]:.2f} for the part's unmeasured inference current "
                 f"(current band x{_current_band()[0]:.2f}-{_current_band()[1]:.2f})")
    reach, why = low_reach if not calibrated else (1.0, "")  # a calibration measured the board's memory
    if reach < 1.0:
        note += f"; low end reaches x{reach:.2f} of the estimate: {why}"
    low = (cost.latency_s * min(band.latency_low, reach), cost.energy_j * min(energy[0], reach))
    high = (cost.latency_s * band.latency_high, cost.energy_j * energy[1])
    return EstimateBand({**fixed, "latency_low_s": low[0], "latency_high_s": high[0], "energy_low_j": low[1],
                         "energy_high_j": high[1]}, note, low, high)
