"""Fit the few free coefficients of the cycle and power models to the MLPerf Tiny calibration table.

Free parameters (everything else is fixed by kernel structure or datasheets, see power_models/):
  * per runtime version: cycles per MAC of dense convolution, depthwise convolution and fully connected layers
    on the reference core (Cortex-M4), and ``activity`` (inference current relative to the measured workload);
  * per core class with data: ``speed`` of Cortex-M7 and Cortex-M33 relative to Cortex-M4.
The fit minimises the squared log error of latency (robust soft-L1 loss). It prints the values that
power_models/runtimes/*.toml and power_models/cores/*.toml carry, and the errors it reaches.

    python benchmarks/fit_cycle_model.py [--data tests/data/mlperf_tiny/mlperf_tiny_calibration.csv]
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from joulescope_free.api import _analysis  # noqa: E402
from joulescope_free.hardware.catalog import load_mcu  # noqa: E402
from joulescope_free.hardware.cycles import inference_cycles, layer_arrays  # noqa: E402
from joulescope_free.hardware.runtimes import load_core, load_runtime  # noqa: E402
from joulescope_free.validation import load_measurements  # noqa: E402

from joulescope_free.hardware.runtimes import FREE_COEFFICIENTS as FREE  # noqa: E402
FITTED_CORES = ("cortex-m7", "cortex-m33")


class LatencyModel:
    """The cycle model with its free coefficients exposed as one parameter vector (log scale)."""

    def __init__(self, rows):
        self.rows = rows
        self.labels = sorted(rows["runtime_label"].unique())
        self.arrays = {f: layer_arrays(_analysis(f).layers) for f in rows["model_path"].unique()}
        self.mcus = {m: load_mcu(m) for m in rows["mcu_id"].unique()}
        self.base = {lab: load_runtime(lab) for lab in self.labels}

    def start(self) -> np.ndarray:
        return np.concatenate([np.log([2.0, 10.0, 3.0] * len(self.labels)), np.log([0.6, 0.9])])

    def unpack(self, p):
        rts = {}
        for i, lab in enumerate(self.labels):
            coeffs = dict(self.base[lab].coefficients)
            coeffs.update(dict(zip(FREE, np.exp(p[3 * i:3 * i + 3]))))
            rts[lab] = dataclasses.replace(self.base[lab], coefficients=coeffs)
        return rts, dict(zip(FITTED_CORES, np.exp(p[3 * len(self.labels):])))

    def predict(self, p, rows=None) -> np.ndarray:
        rows = self.rows if rows is None else rows
        rts, speeds = self.unpack(p)
        out = []
        for r in rows.itertuples():
            mcu = self.mcus[r.mcu_id]
            core = load_core(mcu.core)
            if core.id in speeds:
                core = dataclasses.replace(core, speed=speeds[core.id])
            _, cycles = inference_cycles(self.arrays[r.model_path], rts[r.runtime_label], core, mcu, r.clock_hz)
            out.append(cycles / r.clock_hz)
        return np.array(out)

    def fit(self, mask=None) -> np.ndarray:
        """Least squares in log space over the rows where ``mask`` is true (all rows by default)."""
        rows = self.rows if mask is None else self.rows[mask]
        measured = rows["latency_s"].to_numpy()
        res = least_squares(lambda p: np.log(self.predict(p, rows)) - np.log(measured), self.start(),
                            loss="soft_l1", f_scale=0.1)
        return res.x


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=None)
    args = ap.parse_args()
    rows = load_measurements(args.data)
    model = LatencyModel(rows)
    p = model.fit()
    rts, speeds = model.unpack(p)
    err = np.abs(model.predict(p) / rows["latency_s"].to_numpy() - 1) * 100
    n_by = rows.groupby("runtime_label").size()
    print("# runtime versions (reference-core cycles per MAC)")
    for lab in model.labels:
        c = rts[lab].coefficients
        print(f"[{lab}]  n={n_by[lab]}  " + "  ".join(f"{k}={c[k]:.3f}" for k in FREE))
    for core, sp in speeds.items():
        print(f"{core}: speed = {sp:.3f}")
    print(f"latency |error| median {np.median(err):.1f} %  p90 {np.percentile(err, 90):.1f} %  max {err.max():.1f} %")

    # activity: measured inference current over (datasheet current x the part's measured workload factor)
    from joulescope_free.hardware.power import datasheet_run_current_a, workload_factors

    e = rows.dropna(subset=["energy_j"]).copy()
    e["current_a"] = e["energy_j"] / e["latency_s"] / e["supply_v"]
    wf = workload_factors()
    e["model_a"] = [datasheet_run_current_a(model.mcus[m], f, v) * wf.get(m, math.nan)
                    for m, f, v in zip(e["mcu_id"], e["clock_hz"], e["supply_v"])]
    act = np.exp(np.log(e["current_a"] / e["model_a"]).groupby(e["runtime_label"]).mean())
    print("# activity (inference current relative to the measured workload factor)")
    for lab, a in act.items():
        print(f"[{lab}]  activity={a:.3f}  n={int((e['runtime_label'] == lab).sum())}")


if __name__ == "__main__":
    main()
