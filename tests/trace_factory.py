"""Generated power traces with a known truth, written in every format ``energy measure`` reads.

Default truth: sleep 5 uA, bursts of 12 mA lasting 80 ms once per second (first at 0.5 s), supply 3.0 V,
Gaussian noise, and a marker D0 high from 5 ms before to 5 ms after each burst. Energy of one burst is
12e-3 A * 0.08 s * 3.0 V = 2.88 mJ (the baseline under it adds 5e-6 * 0.08 * 3 = 1.2 uJ, noise averages out).

Run ``python3 tests/trace_factory.py`` to rewrite the tiny checked-in examples in tests/data/traces/.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Truth:
    sample_rate_hz: float = 10_000.0
    duration_s: float = 5.5
    baseline_a: float = 5e-6
    burst_a: float = 12e-3
    burst_s: float = 0.08
    period_s: float = 1.0
    first_s: float = 0.5
    supply_v: float = 3.0
    noise_a: float = 0.3e-6            # sigma on the baseline
    burst_noise_a: float = 50e-6       # sigma on the burst
    marker_pad_s: float = 0.005        # marker rises this long before, falls this long after each burst

    @property
    def n_bursts(self) -> int:
        return int(np.floor((self.duration_s - self.first_s - self.burst_s - self.marker_pad_s) / self.period_s)) + 1

    @property
    def burst_energy_j(self) -> float:
        return self.burst_a * self.burst_s * self.supply_v

    @property
    def marker_energy_j(self) -> float:
        return (self.burst_a * self.burst_s + self.baseline_a * 2 * self.marker_pad_s) * self.supply_v


def signals(truth: Truth = Truth(), seed: int = 1):
    """``(time_s, current_a, voltage_v, marker)`` arrays sampled at ``truth.sample_rate_hz``."""
    rng = np.random.default_rng(seed)
    fs = truth.sample_rate_hz
    n = int(round(truth.duration_s * fs))
    t = np.arange(n) / fs
    burst = np.zeros(n, dtype=bool)
    marker = np.zeros(n, dtype=bool)
    length, pad = int(round(truth.burst_s * fs)), int(round(truth.marker_pad_s * fs))
    for k in range(truth.n_bursts):
        start = int(round((truth.first_s + k * truth.period_s) * fs))
        burst[start:start + length] = True
        marker[start - pad:start + length + pad] = True
    current = np.where(burst, truth.burst_a, truth.baseline_a)
    current = current + np.where(burst, truth.burst_noise_a, truth.noise_a) * rng.standard_normal(n)
    voltage = truth.supply_v + 1e-3 * rng.standard_normal(n)
    return t, current, voltage, marker


def write_generic_csv(path, truth=Truth(), header=("time_s", "current_a", "voltage_v"), scales=(1, 1, 1),
                      with_voltage=True, seed=1):
    t, i, v, _ = signals(truth, seed)
    cols = [t / scales[0], i / scales[1]] + ([v / scales[2]] if with_voltage else [])
    names = list(header[:len(cols)])
    _write(path, names, cols, ["%.7f", "%.6e", "%.5f"][:len(cols)])
    return truth


def write_ppk2_csv(path, truth=Truth(), seed=1, packed=True):
    """nRF Connect Power Profiler export: Timestamp(ms),Current(uA),D0-D7 (bit string, D0 first)."""
    t, i, _, marker = signals(truth, seed)
    lines = []
    if packed:
        bits = np.where(marker, "10000000", "00000000")
        lines.append("Timestamp(ms),Current(uA),D0-D7")
        body = [f"{a:.3f},{b:.4f},{c}" for a, b, c in zip(t * 1e3, i * 1e6, bits)]
    else:
        lines.append("Timestamp(ms),Current(uA)," + ",".join(f"D{k}" for k in range(8)))
        body = [f"{a:.3f},{b:.4f},{int(c)},0,0,0,0,0,0,0" for a, b, c in zip(t * 1e3, i * 1e6, marker)]
    Path(path).write_text("\n".join(lines + body) + "\n")
    return truth


def write_otii_csv(path, truth=Truth(), seed=1, channel="current"):
    """Otii 3 'Export to CSV': one file per channel (``current``, ``voltage``, ``gpi1``) or ``combined``."""
    t, i, v, marker = signals(truth, seed)
    if channel == "current":
        _write(path, ["Timestamp (s)", "Main current (A)"], [t, i], ["%.6f", "%.6e"])
    elif channel == "voltage":
        _write(path, ["Timestamp (s)", "Main voltage (V)"], [t, v], ["%.6f", "%.5f"])
    elif channel == "gpi1":
        _write(path, ["Timestamp (s)", "GPI1"], [t, marker.astype(int)], ["%.6f", "%d"])
    else:
        _write(path, ["Timestamp (s)", "Main current (A)", "Main voltage (V)", "GPI1"],
               [t, i, v, marker.astype(int)], ["%.6f", "%.6e", "%.5f", "%d"])
    return truth


def write_jls(path, truth=Truth(), seed=1, with_voltage=True, power=False, block=1 << 16, first_sample_id=0,
              current_units="A", current_per_unit=1.0):
    """Joulescope-style .jls: signals current [A], voltage [V] (or power [W]) and gpi[0], f32 / u1.
    ``first_sample_id`` > 0 writes a file whose signals carry a sample_id_offset, as long recordings do;
    ``current_units`` / ``current_per_unit`` [A] write the current in other units (``"mA"``, 1e-3)."""
    from pyjls import DataType, SignalType, Writer

    t, i, v, marker = signals(truth, seed)
    fs = int(truth.sample_rate_hz)
    with Writer(str(path)) as w:
        w.source_def(source_id=1, name="JS220", vendor="Jetperch", model="JS220", version="1.0", serial_number="000")
        w.signal_def(signal_id=1, source_id=1, signal_type=SignalType.FSR, data_type=DataType.F32,
                     sample_rate=fs, name="current", units=current_units)
        if with_voltage:
            w.signal_def(signal_id=2, source_id=1, signal_type=SignalType.FSR, data_type=DataType.F32,
                         sample_rate=fs, name="power" if power else "voltage", units="W" if power else "V")
        w.signal_def(signal_id=3, source_id=1, signal_type=SignalType.FSR, data_type=DataType.U1,
                     sample_rate=fs, name="gpi[0]", units="")
        for s in range(0, t.size, block):
            e = min(t.size, s + block)
            k = s + first_sample_id
            w.fsr_f32(1, k, (i[s:e] / current_per_unit).astype(np.float32))
            if with_voltage:
                w.fsr_f32(2, k, (i[s:e] * v[s:e] if power else v[s:e]).astype(np.float32))
            w.fsr(3, k, np.packbits(marker[s:e].astype(np.uint8), bitorder="little"))
    return truth


def write_long_jls(path, n_samples: int, sample_rate_hz: int = 1_000_000, period_s: float = 1.0,
                   burst_s: float = 0.08, baseline_a: float = 5e-6, burst_a: float = 12e-3, block=1 << 22,
                   voltage: bool = False):
    """A long current-only .jls written block by block (bounded memory): bursts every ``period_s``."""
    from pyjls import DataType, SignalType, Writer

    rng = np.random.default_rng(0)
    noise = (0.3e-6 * rng.standard_normal(block)).astype(np.float32)
    with Writer(str(path)) as w:
        w.source_def(source_id=1, name="JS220", vendor="Jetperch", model="JS220", version="1.0", serial_number="0")
        w.signal_def(signal_id=1, source_id=1, signal_type=SignalType.FSR, data_type=DataType.F32,
                     sample_rate=sample_rate_hz, name="current", units="A")
        if voltage:
            w.signal_def(signal_id=2, source_id=1, signal_type=SignalType.FSR, data_type=DataType.F32,
                         sample_rate=sample_rate_hz, name="voltage", units="V")
        for s in range(0, n_samples, block):
            n = min(block, n_samples - s)
            x = _burst_block(s, n, sample_rate_hz, period_s, burst_s, baseline_a, burst_a) + noise[:n]
            w.fsr_f32(1, s, x)
            if voltage:
                w.fsr_f32(2, s, np.full(n, 3.0, dtype=np.float32))
    return int(np.ceil(n_samples / sample_rate_hz / period_s - 0.5))


def write_long_csv(path, n_samples: int, sample_rate_hz: int = 10_000, period_s: float = 1.0, burst_s: float = 0.08,
                   baseline_a: float = 5e-6, burst_a: float = 12e-3, block=1 << 20):
    """A long time_s,current_a CSV written block by block."""
    with open(path, "w") as fh:
        fh.write("time_s,current_a\n")
        for s in range(0, n_samples, block):
            n = min(block, n_samples - s)
            x = _burst_block(s, n, sample_rate_hz, period_s, burst_s, baseline_a, burst_a)
            t = (s + np.arange(n)) / sample_rate_hz
            np.savetxt(fh, np.column_stack([t, x]), fmt=["%.6f", "%.4e"], delimiter=",")


def _burst_block(start, n, fs, period_s, burst_s, baseline_a, burst_a):
    """Bursts start at 0.5 * period_s, then every period_s."""
    idx = start + np.arange(n, dtype=np.int64)
    period = int(round(period_s * fs))
    within = (idx - period // 2) % period
    on = (idx >= period // 2) & (within < int(round(burst_s * fs)))
    return np.where(on, burst_a, baseline_a).astype(np.float32)


def _write(path, names, cols, fmts):
    np.savetxt(path, np.column_stack(cols), fmt=fmts, delimiter=",", header=",".join(names), comments="")


if __name__ == "__main__":  # rewrite the small checked-in examples
    out = Path(__file__).parent / "data" / "traces"
    out.mkdir(parents=True, exist_ok=True)
    small = Truth(sample_rate_hz=2000.0, duration_s=3.5)
    write_jls(out / "bursts.jls", small)
    write_ppk2_csv(out / "ppk2_export.csv", small)
    write_otii_csv(out / "otii_main_current.csv", small, channel="current")
    write_generic_csv(out / "generic_units.csv", small, header=("Time (s)", "Current (mA)", "Voltage (mV)"),
                      scales=(1, 1e-3, 1e-3))
    print("wrote", ", ".join(sorted(p.name for p in out.iterdir())))
