"""Event detection on streamed chunks: baseline statistics, the burst threshold, a chunk-border-safe state
machine, and a decimated min/max envelope for plots. All state is O(events + histogram bins), never O(samples).

Conventions: an event is a maximal run of samples that are *active* (current above the threshold with
hysteresis, or a digital marker high). Its ``duration_s`` is the sum of the samples' ``dt_s``, ``charge_c`` =
sum(current_a * dt_s) [C], ``energy_j`` = sum(power_w * dt_s) [J], ``peak_current_a`` the largest sample [A].
Events cut by the start or the end of the recording are left out (they are partial).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

EVENT_COLUMNS = ["start_s", "duration_s", "charge_c", "energy_j", "peak_current_a"]

# ------------------------------------------------------------------------------------------ baseline
_ASINH_SCALE_A = 1e-9           # linear below ~1 nA, logarithmic above: handles negative offsets too
_BINS_PER_UNIT = 2000           # 1/2000 in asinh units = 0.05 % relative resolution above ~10 nA
_LIMIT = float(np.arcsinh(100.0 / _ASINH_SCALE_A))  # +-100 A
NOISE_SIGMAS = 8.0              # entry threshold at least this many noise sigmas above the baseline level


class CurrentHistogram:
    """Streaming histogram of ``asinh(current_a / 1 nA)``: percentiles of any length of trace in ~0.7 MB."""

    def __init__(self):
        self.n_bins = int(2 * _LIMIT * _BINS_PER_UNIT)
        self.counts = np.zeros(self.n_bins, dtype=np.int64)

    def add(self, current_a: np.ndarray) -> None:
        """Count the samples of one chunk (float32 arithmetic: ~3 ns per sample)."""
        x = np.multiply(current_a, 1.0 / _ASINH_SCALE_A, dtype=np.float32, casting="unsafe")
        np.arcsinh(x, out=x)
        np.add(x, np.float32(_LIMIT), out=x)
        np.multiply(x, np.float32(_BINS_PER_UNIT), out=x)
        np.clip(x, 0, self.n_bins - 1, out=x)
        self.counts += np.bincount(x.astype(np.intp), minlength=self.n_bins)

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def _value(self, bin_position: float) -> float:
        return float(np.sinh(bin_position / _BINS_PER_UNIT - _LIMIT) * _ASINH_SCALE_A)

    def percentile(self, q: float, above_a: Optional[float] = None) -> float:
        """The ``q``-th percentile [A] (0..100), optionally of the samples above ``above_a`` only."""
        counts = self.counts
        if above_a is not None:
            start = self._bin(above_a) + 1
            counts = counts.copy()
            counts[:start] = 0
        cum = np.cumsum(counts)
        total = cum[-1]
        if total == 0:
            return float("nan")
        k = int(np.searchsorted(cum, q / 100.0 * total, side="left"))
        return self._value(min(k, self.n_bins - 1) + 0.5)

    def count_above(self, current_a: float) -> int:
        return int(self.counts[self._bin(current_a) + 1:].sum())

    def _bin(self, current_a: float) -> int:
        return int(np.clip((np.arcsinh(current_a / _ASINH_SCALE_A) + _LIMIT) * _BINS_PER_UNIT, 0, self.n_bins - 1))


@dataclass(frozen=True)
class Thresholds:
    """Burst detection levels [A]: enter an event above ``enter_a``, leave it below ``exit_a``."""

    enter_a: float
    exit_a: float
    level_a: float = float("nan")        # the sleep level (robust, from the lower tail)
    noise_a: float = float("nan")        # noise sigma of the sleep level
    active_a: float = float("nan")       # median of the samples clearly above the sleep level
    clear_a: float = float("nan")        # "clearly above" boundary


def auto_thresholds(hist: CurrentHistogram) -> Thresholds:
    """Thresholds from the baseline: level and noise from the lower tail, which bursts cannot contaminate.

    For Gaussian noise, p10 = mu - 1.2816 sigma and p1 = mu - 2.3263 sigma, so sigma = (p10 - p1) / 1.0447.
    Samples above mu + max(8 sigma, 0.5 |mu|, 1 nA) are clearly active; the entry threshold is the geometric
    mean of the level and their median (so 5 uA sleep and 12 mA bursts split at ~245 uA), never below that
    boundary; the exit threshold is the geometric mean of the level and the entry threshold.
    """
    p1, p10 = hist.percentile(1.0), hist.percentile(10.0)
    sigma = max((p10 - p1) / 1.0447, 0.0)
    level = p10 + 1.2816 * sigma
    floor = 1e-9
    clear = level + max(NOISE_SIGMAS * sigma, 0.5 * abs(level), floor)
    if hist.count_above(clear) == 0:
        return Thresholds(clear, clear, level, sigma, float("nan"), clear)
    active = hist.percentile(50.0, above_a=clear)
    base = max(level, floor)
    enter = max(float(np.sqrt(base * active)), clear)
    exit_ = max(float(np.sqrt(base * enter)), level + max(0.5 * NOISE_SIGMAS * sigma, 0.25 * abs(level), floor / 2))
    return Thresholds(enter, min(exit_, enter), level, sigma, active, clear)


# ------------------------------------------------------------------------------------------ detector
def hysteresis(current_a: np.ndarray, enter_a: float, exit_a: float, state: bool) -> np.ndarray:
    """Active mask with hysteresis, vectorised; ``state`` is the state before the first sample.

    Samples above ``enter_a`` are active, below ``exit_a`` idle; a run of samples in between keeps the state
    of the sample before the run (or ``state`` for a run at the start of the chunk).
    """
    above = current_a > enter_a
    if enter_a == exit_a:
        return above
    band = ~above
    band &= current_a >= exit_a
    where = np.flatnonzero(band)
    if where.size:
        first = np.diff(where, prepend=-2) != 1          # first sample of each run inside the band
        starts = where[first]
        run_state = np.where(starts > 0, above[np.maximum(starts - 1, 0)], bool(state))
        above[where] = run_state[np.cumsum(first) - 1]
    return above


@dataclass
class _Open:
    start_s: float
    duration_s: float
    charge_c: float
    energy_j: float
    peak_current_a: float
    from_start: bool


@dataclass
class EventDetector:
    """Streaming run finder: feed chunks in order; events spanning chunk borders are joined."""

    columns: dict = field(default_factory=lambda: {c: [] for c in EVENT_COLUMNS})
    open: Optional[_Open] = None
    state: bool = False
    started: bool = False
    dropped_edges: int = 0
    total_duration_s: float = 0.0
    total_charge_c: float = 0.0
    total_energy_j: float = 0.0
    idle_duration_s: float = 0.0
    idle_charge_c: float = 0.0
    n_samples: int = 0

    def feed(self, times, dt_s, current_a, power_w, active) -> None:
        """Add one chunk: ``times(index) -> s`` (or a time array), dt [s] (scalar or array), current [A],
        power [W] and the active mask."""
        if isinstance(times, np.ndarray):
            times = times.__getitem__
        n = current_a.size
        if n == 0:
            return
        dt = np.broadcast_to(np.asarray(dt_s, dtype=np.float64), (n,))
        q = current_a * dt
        e = power_w * dt
        self.n_samples += n
        self.total_duration_s += float(dt.sum())
        self.total_charge_c += float(q.sum())
        self.total_energy_j += float(e.sum())
        active = np.asarray(active, dtype=bool)
        starts = np.concatenate([[0], np.flatnonzero(active[1:] != active[:-1]) + 1])
        run_active = active[starts]
        run_q = np.add.reduceat(q, starts)
        run_e = np.add.reduceat(e, starts)
        run_t = np.add.reduceat(dt, starts)
        run_peak = np.maximum.reduceat(current_a, starts)
        run_start_s = times(starts)
        self.idle_duration_s += float(run_t[~run_active].sum())
        self.idle_charge_c += float(run_q[~run_active].sum())
        first_in_file = not self.started
        self.started = True
        n_runs = starts.size
        lo = 0
        if run_active[0]:
            if self.open is not None:  # continues the event open at the end of the previous chunk
                o = self.open
                o.duration_s += run_t[0]
                o.charge_c += run_q[0]
                o.energy_j += run_e[0]
                o.peak_current_a = max(o.peak_current_a, run_peak[0])
            else:
                self.open = _Open(run_start_s[0], run_t[0], run_q[0], run_e[0], run_peak[0], first_in_file)
            if n_runs > 1:
                self._close()
            lo = 1
        elif self.open is not None:
            self._close()
        hi = n_runs
        tail_open = bool(run_active[-1]) and n_runs > 1
        if tail_open:
            hi = n_runs - 1
        sel = np.flatnonzero(run_active[lo:hi]) + lo
        if sel.size:
            self.columns["start_s"].append(run_start_s[sel])
            self.columns["duration_s"].append(run_t[sel])
            self.columns["charge_c"].append(run_q[sel])
            self.columns["energy_j"].append(run_e[sel])
            self.columns["peak_current_a"].append(run_peak[sel])
        if tail_open:
            k = n_runs - 1
            self.open = _Open(run_start_s[k], run_t[k], run_q[k], run_e[k], run_peak[k], False)
        self.state = bool(active[-1])

    def _close(self) -> None:
        o, self.open = self.open, None
        if o.from_start:
            self.dropped_edges += 1
            return
        for name in EVENT_COLUMNS:
            self.columns[name].append(np.array([getattr(o, name)], dtype=np.float64))

    def finish(self):
        """Events as a DataFrame (the event still open at the end of the file is dropped as partial)."""
        import pandas as pd

        if self.open is not None:
            self.open = None
            self.dropped_edges += 1
        data = {c: (np.concatenate(v).astype(np.float64) if v else np.zeros(0)) for c, v in self.columns.items()}
        return pd.DataFrame(data, columns=EVENT_COLUMNS)


# ------------------------------------------------------------------------------------------ envelope
class Envelope:
    """Min/max envelope of the current with at most ``2 * target`` buckets, for any length of trace.

    Buckets hold ``size`` samples; when there are too many, neighbours merge and ``size`` doubles. The bucket
    being filled is kept as a summary (start time, min, max, count), so no samples are carried over.
    """

    def __init__(self, target: int = 2000):
        self.target = int(target)
        self.size = 1                      # samples per bucket
        self.count = 0                     # complete buckets stored
        self.t: list = []
        self.lo: list = []
        self.hi: list = []
        self._open = None                  # [start_s, min, max, n] of the bucket being filled

    def add(self, times, current_a: np.ndarray) -> None:
        """Add a chunk: ``times(index) -> s`` (or a time array) and its current [A]."""
        if isinstance(times, np.ndarray):
            times = times.__getitem__
        i = current_a
        pos = 0
        if self._open is not None:
            need = self.size - self._open[3]
            head = i[:need]
            if head.size:
                self._open[1] = min(self._open[1], float(head.min()))
                self._open[2] = max(self._open[2], float(head.max()))
                self._open[3] += head.size
            pos = head.size
            if self._open[3] >= self.size:
                self._push(np.array([self._open[0]]), np.array([self._open[1]]), np.array([self._open[2]]))
                self._open = None
            else:
                return
        rest = i.size - pos
        while self.count + rest // self.size > 2 * self.target:
            self._merge()
        n_full = rest // self.size
        if n_full:
            block = i[pos:pos + n_full * self.size].reshape(n_full, self.size)
            starts = pos + np.arange(n_full) * self.size
            self._push(times(starts), block.min(axis=1), block.max(axis=1))
        tail = i[pos + n_full * self.size:]
        if tail.size:
            k = pos + n_full * self.size
            self._open = [float(times(np.array([k]))[0]), float(tail.min()), float(tail.max()), int(tail.size)]

    def _push(self, t, lo, hi) -> None:
        self.t.append(np.asarray(t, dtype=np.float64))
        self.lo.append(lo)
        self.hi.append(hi)
        self.count += len(t)
        if self.count > 2 * self.target:
            self._merge()

    def _merge(self) -> None:
        t, lo, hi = self._arrays()
        n = t.size // 2 * 2
        self.t = [np.concatenate([t[:n:2], t[n:]])]
        self.lo = [np.concatenate([np.minimum(lo[:n:2], lo[1:n:2]), lo[n:]])]
        self.hi = [np.concatenate([np.maximum(hi[:n:2], hi[1:n:2]), hi[n:]])]
        self.count = self.t[0].size
        self.size *= 2

    def _arrays(self):
        cat = lambda parts: np.concatenate(parts) if parts else np.zeros(0)  # noqa: E731
        return cat(self.t), cat(self.lo), cat(self.hi)

    def result(self) -> dict:
        """``{"time_s", "min_current_a", "max_current_a", "samples_per_point"}`` as numpy arrays."""
        t, lo, hi = self._arrays()
        if self._open is not None:
            t, lo, hi = np.append(t, self._open[0]), np.append(lo, self._open[1]), np.append(hi, self._open[2])
        return {"time_s": t, "min_current_a": lo, "max_current_a": hi, "samples_per_point": self.size}
