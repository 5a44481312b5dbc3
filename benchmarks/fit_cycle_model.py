"""Fit the few free coefficients of the cycle and power models to the MLPerf Tiny calibration table.

Free parameters (everything else is fixed by kernel structure or datasheets, see power_models/):
  * per runtime version (2): cycles per MAC of dense and of depthwise convolution on the reference core
    (Cortex-M4); and ``activity`` (inference current relative to the measured workload), from the energy rows;
  * shared by all runtimes (2): fully connected cost as a multiple of the convolution cost, and the per-output
    requantization cycles;
  * per core class with data (2): ``speed`` of Cortex-M7 and Cortex-M33 relative to Cortex-M4.
The fit minimises the squared log error of latency (robust soft-L1 loss) plus weak priors that keep the shared
ratios near their kernel-structure values (FC 1.5x conv, 20 cycles per output, depthwise 3x conv), so that a
model unlike the four in the table is not predicted from unidentified coefficients. With 4 models per runtime,
3 free coefficients each fit the table but generalise badly (leave-one-model-out median error 44 %); this
form gives 8 % (benchmarks/accuracy.py).

    python benchmarks/fit_cycle_model.py [--data CSV] [--write]   # --write updates the data files
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
#: (prior value, weight of its log residual) for the shared ratios and each runtime's depthwise/conv ratio
PRIOR_FC_RATIO = (1.5, 0.5)
PRIOR_REQUANT = (20.0, 0.2)
PRIOR_DW_RATIO = (3.0, 0.1)
#: weight of a faint pull of every coefficient toward its starting value: it decides nothing where rows exist
#: but keeps coefficients without rows (a core or runtime version left out of a cross-validation fold) in place
ANCHOR = 0.01


class LatencyModel:
    """The cycle model with its free coefficients exposed as one parameter vector (log scale)."""

    def __init__(self, rows):
        self.rows = rows
        self.labels = sorted(rows["runtime_label"].unique())
        self.arrays = {f: layer_arrays(_analysis(f).layers) for f in rows["model_path"].unique()}
        self.mcus = {m: load_mcu(m) for m in rows["mcu_id"].unique()}
        self.base = {lab: load_runtime(lab) for lab in self.labels}

    def start(self, core_speeds=(0.6, 0.9)) -> np.ndarray:
        n = len(self.labels)
        return np.concatenate([np.log([2.0, 6.0] * n), np.log([PRIOR_FC_RATIO[0], PRIOR_REQUANT[0]]),
                               np.log(core_speeds)])

    def unpack(self, p):
        n = len(self.labels)
        fc_ratio, requant = np.exp(p[2 * n:2 * n + 2])
        rts = {}
        for i, lab in enumerate(self.labels):
            conv, dw = np.exp(p[2 * i:2 * i + 2])
            coeffs = dict(self.base[lab].coefficients)
            coeffs.update(conv_cycles_per_mac=conv, depthwise_cycles_per_mac=dw, fc_cycles_per_mac=conv * fc_ratio,
                          requant_cycles_per_output=requant)
            rts[lab] = dataclasses.replace(self.base[lab], coefficients=coeffs)
        return rts, dict(zip(FITTED_CORES, np.exp(p[2 * n + 2:]))), (fc_ratio, requant)

    def priors(self, p, start) -> np.ndarray:
        n = len(self.labels)
        out = [(p[2 * n] - np.log(PRIOR_FC_RATIO[0])) * PRIOR_FC_RATIO[1],
               (p[2 * n + 1] - np.log(PRIOR_REQUANT[0])) * PRIOR_REQUANT[1]]
        out += [(p[2 * i + 1] - p[2 * i] - np.log(PRIOR_DW_RATIO[0])) * PRIOR_DW_RATIO[1] for i in range(n)]
        return np.concatenate([out, (p - start) * ANCHOR])

    def predict(self, p, rows=None) -> np.ndarray:
        rows = self.rows if rows is None else rows
        rts, speeds, _ = self.unpack(p)
        out = []
        for r in rows.itertuples():
            mcu = self.mcus[r.mcu_id]
            core = load_core(mcu.core)
            if core.id in speeds:
                core = dataclasses.replace(core, speed=speeds[core.id])
            _, cycles = inference_cycles(self.arrays[r.model_path], rts[r.runtime_label], core, mcu, r.clock_hz)
            out.append(cycles / r.clock_hz)
        return np.array(out)

    def fit(self, mask=None, core_speeds=(0.6, 0.9)) -> np.ndarray:
        """Least squares in log space over the rows where ``mask`` is true (all rows by default). A core class
        with no rows in the mask keeps its starting ``core_speeds`` value."""
        rows = self.rows if mask is None else self.rows[mask]
        measured = rows["latency_s"].to_numpy()
        start = self.start(core_speeds)
        res = least_squares(lambda p: np.concatenate([np.log(self.predict(p, rows)) - np.log(measured),
                                                      self.priors(p, start)]),
                            start, loss="soft_l1", f_scale=0.1)
        return res.x


def set_figure(path: Path, table: str | None, key: str, value: float, note: str) -> None:
    """Replace (or add) ``key = { value = ..., derived = "..." }`` in ``[table]`` (None: the top level)."""
    text = path.read_text()
    line = f'{key} = {{ value = {value:.4g}, derived = "{note}" }}'
    if table is None:
        start, end = 0, (text.find("\n[") + 1) or len(text)
    else:
        start = text.index(f"[{table}]") + len(f"[{table}]")
        nxt = text.find("\n[", start)
        end = len(text) if nxt < 0 else nxt
    block = [ln for ln in text[start:end].split("\n") if not ln.startswith(f"{key} =")]
    while block and not block[-1].strip():
        block.pop()
    block.append(line)
    path.write_text(text[:start] + "\n".join(block) + "\n" + ("\n" if table else "") + text[end:].lstrip("\n"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=None)
    ap.add_argument("--write", action="store_true", help="write the fitted values into power_models/")
    args = ap.parse_args()
    rows = load_measurements(args.data)
    rows = rows[rows["skipped"].isna()].reset_index(drop=True)  # rows the catalogs cannot place
    model = LatencyModel(rows)
    p = model.fit()
    rts, speeds, (fc_ratio, requant) = model.unpack(p)
    err = np.abs(model.predict(p) / rows["latency_s"].to_numpy() - 1) * 100
    n_by = rows.groupby("runtime_label").size()
    print("# runtime versions (reference-core cycles per MAC)")
    for lab in model.labels:
        c = rts[lab].coefficients
        print(f"[{lab}]  n={n_by[lab]}  " + "  ".join(f"{k}={c[k]:.3f}" for k in FREE))
    print(f"shared: fc = {fc_ratio:.3f} x conv, requant = {requant:.2f} cycles per output")
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

    if args.write:
        folder = ROOT / "power_models"
        src = "MLPerf Tiny latency rows"
        for lab in model.labels:
            rid, version = lab.split("@")
            c = rts[lab].coefficients
            note = f"fitted by benchmarks/fit_cycle_model.py to {n_by[lab]} {src} of {lab} (calibration/mlperf_tiny_calibration.csv)"
            for key in ("conv_cycles_per_mac", "depthwise_cycles_per_mac"):
                set_figure(folder / "runtimes" / f"{rid}.toml", f'versions."{version}"', key, c[key], note)
            set_figure(folder / "runtimes" / f"{rid}.toml", f'versions."{version}"', "fc_cycles_per_mac",
                       c["fc_cycles_per_mac"], f"fitted by benchmarks/fit_cycle_model.py: the shared FC/conv ratio "
                       f"{fc_ratio:.3f} x this version's convolution cost")
            if lab in act.index:
                set_figure(folder / "runtimes" / f"{rid}.toml", f'versions."{version}"', "activity", act[lab],
                           f"fitted by benchmarks/fit_cycle_model.py: mean inference current of "
                           f"{int((e['runtime_label'] == lab).sum())} MLPerf Tiny energy rows of {lab} over the "
                           f"part's measured workload current")
        set_figure(folder / "runtimes" / "_defaults.toml", None, "requant_cycles_per_output", requant,
                   "fitted by benchmarks/fit_cycle_model.py to all 104 MLPerf Tiny latency rows (prior 20: a "
                   "32x32 multiply, rounding shift, offset, saturate and store per output, CMSIS-NN arm_nn_requantize)")
        for core, sp in speeds.items():
            set_figure(folder / "cores" / f"{core}.toml", None, "speed", sp,
                       f"fitted by benchmarks/fit_cycle_model.py: cycles relative to Cortex-M4 for the same runtime "
                       f"and model, {int((rows['mcu_id'].map(lambda m: model.mcus[m].core) == core).sum())} rows")
        print("written to power_models/")


if __name__ == "__main__":
    main()
