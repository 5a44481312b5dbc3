"""Fit the few free coefficients of the cycle and power models to the MLPerf Tiny calibration table.

Open-source runtimes (TFLM + CMSIS-NN, microTVM, ...) have no free cycle coefficient: their kernels were simulated
from the real code (power_models/kernels, kernel_sim). Closed runtimes (X-CUBE-AI, Plumerai, Bosch HALE)
are hung on that simulated baseline: on each core, their cost per kernel kind is a multiple of the simulated
CMSIS-NN cost. Free parameters, per closed runtime version:
  * ``conv_ratio`` and ``depthwise_ratio`` (the fully-connected ratio is one factor shared by all closed runtimes,
    pooling/element-wise/softmax keep ratio 1);
  * one ``core_factors`` entry per core class it was measured on, pulled toward 1 (a hierarchical prior): how much
    that core deviates from the runtime's common ratios. A core without measurements uses the common ratios; the
    spread of the factors is what leave-one-board-out validation (benchmarks/accuracy.py) turns into its band.
One parameter for the memory system: the code-fetch stall per flash wait state on parts without an instruction
cache that holds the kernels (hardware/cycles.py, fetch_stall_fraction), fitted with the microTVM + CMSIS-NN rows
(never with the tflm-cmsis-nn@2.3.1 rows: they prove the method, benchmarks/accuracy.py).
Plus ``activity`` per runtime version (inference current relative to the measured workload), from energy rows.
The fit minimises the squared log error of latency (soft-L1 loss) plus the priors.

    python benchmarks/fit_cycle_model.py [--data CSV] [--write]   # --write updates power_models/runtimes
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
from joulescope_free.hardware.cycles import (_fetch_stall_per_wait_state, cycle_arrays,  # noqa: E402
                                              fetch_stall_fraction, layer_arrays, total_cycles)
from joulescope_free.hardware.runtimes import load_core, load_runtime  # noqa: E402
from joulescope_free.validation import load_measurements  # noqa: E402

GROUPS = ("conv_ratio", "depthwise_ratio", "fc_ratio", "other_ratio")
#: (prior value, weight of its log residual): the fully-connected ratio, shared by the closed runtimes. A
#: batch-1 fully-connected layer uses each weight once: it is bound by streaming the weights in any runtime, so a
#: closed runtime's gain on convolutions (data reuse) does not carry over; the prior is the baseline itself
PRIOR_FC = (1.0, 0.5)
#: weight of the pull of each (runtime, core) factor toward 1 (log residual)
PRIOR_CORE = 1.0
#: the core whose simulated timing is the reference (validated by the open-source rows: factor 1)
REFERENCE_CORE = "cortex-m4"
#: weight of the pull of a core class's timing factor toward 1: faint, the rows of that core decide
PRIOR_TIMING = 0.05
#: weight of the pull of each version's conv and depthwise ratio toward the mean over the closed runtimes (log):
#: the closed runtimes share kernel ideas, so a kind of layer one version was not measured on is not free
PRIOR_SHARED = 0.3
#: weight of the pull of each version's depthwise ratio toward its conv ratio (log): models whose convolution and
#: depthwise shares are alike (KWS and VWW both spend about 3:1) cannot tell the two apart on their own
PRIOR_DW_CONV = 0.05
#: the rows that fit the fetch stall per wait state: an open-source runtime whose real kernels were simulated.
#: tflm-cmsis-nn@2.3.1 is left out on purpose: it is the proof of the method (predicted with nothing fitted to it);
#: microtvm@0.10 too: its simulated loops are representative, not TVM's own output
FETCH_FIT_RUNTIMES = ("microtvm-cmsis-nn@0.10",)
#: weight of a faint pull of every parameter toward its start: decides nothing where rows exist, keeps parameters
#: without rows (a model or board left out of a cross-validation fold) in place
ANCHOR = 0.01


def is_closed(runtime) -> bool:
    """A runtime whose cycles are ratios to a simulated baseline (its file names ``*_ratio`` figures)."""
    return bool(runtime.kernel_ratios)


class LatencyModel:
    """Latency of every row as a function of the free parameters:
    ``cycles = (1 + k x ws) x (factor(core) x sum_g ratio_g x S_g + C) + M + I`` where S_g is the simulated
    baseline cost of the layers of kind group g (closed runtimes; open ones have it all in C), C the rest of the
    compute (unsimulated layers, dispatch), k the fetch stall per flash wait state (ws: the part's wait states
    where no instruction cache holds the kernels, else 0), M the weights' flash wait states, I the per-inference
    overhead."""

    def __init__(self, rows):
        self.rows = rows.reset_index(drop=True)
        self.runtimes = {lab: load_runtime(lab) for lab in self.rows["runtime_label"].unique()}
        self.labels = sorted(lab for lab, rt in self.runtimes.items() if is_closed(rt))
        self.mcus = {m: load_mcu(m) for m in self.rows["mcu_id"].unique()}
        self.cores = self.rows["mcu_id"].map(lambda m: self.mcus[m].core)
        self.pairs = sorted(set(zip(self.rows["runtime_label"], self.cores)) & {(lab, c) for lab in self.labels
                                                                              for c in set(self.cores)})
        #: core classes whose simulated timing gets a measured factor (the reference core keeps 1)
        self.core_ids = sorted(set(self.cores) - {REFERENCE_CORE})
        arrays = {f: layer_arrays(_analysis(f).layers) for f in self.rows["model_path"].unique()}
        k_now = _fetch_stall_per_wait_state()
        self.parts = np.zeros((len(self.rows), len(GROUPS) + 4))  # S_conv, S_dw, S_fc, S_other, C, M, I, ws
        for i, r in enumerate(self.rows.itertuples()):
            rt, mcu = self.runtimes[r.runtime_label], self.mcus[r.mcu_id]
            core = dataclasses.replace(load_core(mcu.core), timing_factor=1.0)  # fitted here
            frac = fetch_stall_fraction(mcu, r.clock_hz)

            def compute_memory(ratios):
                probe = dataclasses.replace(rt, kernel_ratios=ratios, core_factors={}) if is_closed(rt) else rt
                c, m = cycle_arrays(arrays[r.model_path], probe, core, mcu, r.clock_hz)
                return c.sum(), m.sum() - c.sum() * frac

            rest, data_memory = compute_memory(dict.fromkeys(GROUPS, 0.0) if is_closed(rt) else None)
            if is_closed(rt):
                for k, g in enumerate(GROUPS):
                    self.parts[i, k] = compute_memory({**dict.fromkeys(GROUPS, 0.0), g: 1.0})[0] - rest
            self.parts[i, 4:] = rest, data_memory, total_cycles(np.zeros(1), np.zeros(1), rt, core), \
                frac / k_now if k_now else 0.0
        self.clock_hz = self.rows["clock_hz"].to_numpy()
        #: rows that pin the fetch stall: open-source runtimes whose real code was simulated, except the proof rows
        self.fetch_rows = self.rows["runtime_label"].isin(FETCH_FIT_RUNTIMES).to_numpy()

    # parameters (log scale): per closed label conv, dw; shared fc; the fetch stall; per core class timing factor;
    # per (label, core) factor
    def start(self) -> np.ndarray:
        p = np.zeros(2 * len(self.labels) + 2 + len(self.core_ids) + len(self.pairs))
        p[2 * len(self.labels) + 1] = math.log(0.05)
        return p

    def unpack(self, p) -> tuple[dict, dict, float, dict]:
        n, nc = len(self.labels), len(self.core_ids)
        fc = math.exp(p[2 * n])
        ratios = {lab: {"conv_ratio": math.exp(p[2 * i]), "depthwise_ratio": math.exp(p[2 * i + 1]),
                        "fc_ratio": fc, "other_ratio": 1.0} for i, lab in enumerate(self.labels)}
        timing = {c: math.exp(p[2 * n + 2 + j]) for j, c in enumerate(self.core_ids)}
        factors = {pair: math.exp(p[2 * n + 2 + nc + j]) for j, pair in enumerate(self.pairs)}
        return ratios, factors, math.exp(p[2 * n + 1]), timing

    def predict(self, p, mask=None) -> np.ndarray:
        ratios, factors, fetch, timing = self.unpack(p)
        compute = self.parts[:, 4].copy()
        for i, (lab, core) in enumerate(zip(self.rows["runtime_label"], self.cores)):
            t = timing.get(core, 1.0)
            if lab in ratios:
                r = ratios[lab]
                compute[i] += t * factors.get((lab, core), 1.0) * sum(r[g] * self.parts[i, k]
                                                                      for k, g in enumerate(GROUPS))
            else:  # an open runtime: its compute is nearly all simulated kernels
                compute[i] *= t
        cycles = compute * (1 + fetch * self.parts[:, 7]) + self.parts[:, 5] + self.parts[:, 6]
        lat = cycles / self.clock_hz
        return lat if mask is None else lat[mask]

    def priors(self, p) -> np.ndarray:
        n, nc = len(self.labels), len(self.core_ids)
        conv, dw = p[0:2 * n:2], p[1:2 * n:2]
        return np.concatenate([[(p[2 * n] - math.log(PRIOR_FC[0])) * PRIOR_FC[1]], p[2 * n + 2 + nc:] * PRIOR_CORE,
                               p[2 * n + 2:2 * n + 2 + nc] * PRIOR_TIMING,
                               (conv - conv.mean()) * PRIOR_SHARED, (dw - dw.mean()) * PRIOR_SHARED,
                               (dw - conv) * PRIOR_DW_CONV,
                               (p - self.start()) * ANCHOR])

    def fit(self, mask=None) -> np.ndarray:
        """Least squares in log space over the closed-runtime and fetch-stall rows where ``mask`` is true."""
        use = self.rows["runtime_label"].isin(self.labels).to_numpy() | self.fetch_rows
        if mask is not None:
            use &= np.asarray(mask)
        measured = np.log(self.rows["latency_s"].to_numpy()[use])
        res = least_squares(lambda p: np.concatenate([np.log(self.predict(p, use)) - measured, self.priors(p)]),
                            self.start(), loss="soft_l1", f_scale=0.1)
        return res.x


def set_figure(path: Path, table: str | None, key: str, value: float, note: str) -> None:
    """Replace (or add) ``key = { value = ..., derived = "..." }`` in ``[table]`` (None: the top level); a table
    that does not exist yet is appended at the end of the file."""
    text = path.read_text()
    line = f'{key} = {{ value = {value:.4g}, derived = "{note}" }}'
    if table is not None and f"[{table}]" not in text:
        path.write_text(text.rstrip("\n") + f"\n\n[{table}]\n{line}\n")
        return
    if table is None:
        start, end = 0, (text.find("\n[") + 1) or len(text)
    else:
        start = text.index(f"[{table}]") + len(f"[{table}]")
        nxt = text.find("\n[", start)
        end = len(text) if nxt < 0 else nxt
    first, *rest = text[start:end].split("\n")  # first: the rest of the header line ('' under a [table])
    block = [ln for ln in rest if not ln.startswith(f"{key} =")]
    while block and not block[-1].strip():
        block.pop()
    block = [first, *block, line] if table is not None else [ln for ln in [first, *block] if ln.strip()] + [line]
    path.write_text(text[:start] + "\n".join(block) + "\n" + ("\n" if table else "") + text[end:].lstrip("\n"))


#: X-CUBE-AI 9 has no row in the table: its keyword-spotting latency on NUCLEO-L4R5ZI at 120 MHz is quoted as about
#: 43 ms (caveats in tests/data/mlperf_tiny/mlperf_tiny_calibration.md); 9.0 is 8.1 with every kernel ratio scaled to reproduce it
XCUBE_9_KWS_S = 43e-3


def derive_xcube_9(folder: Path, ratios_81: dict, factors_81: dict) -> None:
    from scipy.optimize import brentq

    from joulescope_free.api import estimate

    kws = ROOT / "tests" / "data" / "mlperf_tiny" / "kws_ds_cnn_int8.tflite"
    base = dataclasses.replace(load_runtime("x-cube-ai@9.0"), core_factors=dict(factors_81))

    def latency(scale):
        rt = dataclasses.replace(base, kernel_ratios={k: v * scale for k, v in ratios_81.items() if k != "other_ratio"})
        return estimate(kws, "stm32l4r5", runtime=rt, clock_mhz=120).summary["latency_s"] - XCUBE_9_KWS_S

    scale = brentq(latency, 0.1, 2.0)
    path, table = folder / "x-cube-ai.toml", 'versions."9.0"'
    note = (f"derived: the fitted x-cube-ai@8.1 ratio x {scale:.3f}, the factor that brings the keyword-spotting "
            f"model on STM32L4R5 at 120 MHz to the about 43 ms quoted for X-CUBE-AI 9 (caveats in "
            f"tests/data/mlperf_tiny/mlperf_tiny_calibration.md); every kernel kind assumed to speed up alike")
    for key in ("conv_ratio", "depthwise_ratio", "fc_ratio"):
        set_figure(path, table, key, ratios_81[key] * scale, note)
    for core, f in factors_81.items():
        set_figure(path, f"{table}.core_factors", core, f, "derived: taken equal to the x-cube-ai@8.1 factor")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=None)
    ap.add_argument("--write", action="store_true", help="write the fitted values into power_models/runtimes")
    args = ap.parse_args()
    rows = load_measurements(args.data)
    rows = rows[rows["skipped"].isna()].reset_index(drop=True)  # rows the catalogs cannot place
    model = LatencyModel(rows)
    p = model.fit()
    ratios, factors, fetch, timing = model.unpack(p)
    err = np.abs(model.predict(p) / rows["latency_s"].to_numpy() - 1) * 100
    n_by = rows.groupby("runtime_label").size()
    print("# closed runtimes: cost per kernel kind as a multiple of the simulated baseline")
    for lab in model.labels:
        r = ratios[lab]
        cores = "  ".join(f"{c}={f:.3f}" for (l2, c), f in factors.items() if l2 == lab)
        print(f"[{lab}] n={n_by[lab]}  " + "  ".join(f"{k}={r[k]:.3f}" for k in GROUPS[:3]) + f"  core factors: {cores}")
    for lab, g in rows.assign(err=err).groupby("runtime_label"):
        print(f"{lab:26} n={len(g):3}  latency |error| median {g['err'].median():6.1f} %  max {g['err'].max():6.1f} %")
    for core, t in timing.items():
        print(f"{core}: real / simulated kernel cycles = {t:.3f}")
    print(f"fetch stall per flash wait state (no instruction cache): {fetch:.4f} of the executed cycles")
    print(f"all: latency |error| median {np.median(err):.1f} %  p90 {np.percentile(err, 90):.1f} %  max {err.max():.1f} %")

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
        folder = ROOT / "power_models" / "runtimes"
        for lab in model.labels:
            rid, version = lab.split("@")
            path, table = folder / f"{rid}.toml", f'versions."{version}"'
            base = load_runtime(lab).kernels
            note = (f"fitted by benchmarks/fit_cycle_model.py to {n_by[lab]} MLPerf Tiny latency rows of {lab} "
                    f"(tests/data/mlperf_tiny/mlperf_tiny_calibration.csv): cost relative to simulated {base} on the same core")
            for key in ("conv_ratio", "depthwise_ratio"):
                set_figure(path, table, key, ratios[lab][key], note)
            set_figure(path, table, "fc_ratio", ratios[lab]["fc_ratio"],
                       "fitted by benchmarks/fit_cycle_model.py: one fully-connected ratio shared by the closed "
                       "runtimes (prior 1: weight streaming bounds a batch-1 fully-connected layer in any runtime)")
            for (l2, core), f in factors.items():
                if l2 == lab:
                    n = int(((rows["runtime_label"] == lab) & (model.cores == core)).sum())
                    set_figure(path, f"{table}.core_factors", core, f,
                               f"fitted by benchmarks/fit_cycle_model.py to {n} latency rows of {lab} on {core} "
                               f"(prior 1): this core's deviation from the version's common ratios")
        for core, t in timing.items():
            n = int((model.cores == core).sum())
            set_figure(ROOT / "power_models" / "cores" / f"{core}.toml", None, "kernel_timing_factor", t,
                       f"fitted by benchmarks/fit_cycle_model.py to the {n} latency rows of this core class "
                       f"(closed runtimes, whose ratios are fitted with it): real over simulated kernel cycles, for "
                       f"what the instruction-timing model and the board's memory system leave out")
        derive_xcube_9(folder, ratios["x-cube-ai@8.1"], {c: f for (lab, c), f in factors.items()
                                                         if lab == "x-cube-ai@8.1"})
        n_fetch = int(model.fetch_rows.sum())
        set_figure(ROOT / "power_models" / "memory_system.toml", None, "fetch_stall_per_wait_state", fetch,
                   f"fitted by benchmarks/fit_cycle_model.py to the {n_fetch} latency rows of "
                   f"{', '.join(FETCH_FIT_RUNTIMES)} (NUCLEO-L4R5ZI, 120 MHz, 5 flash wait states, ART accelerator "
                   f"without an instruction cache that holds the kernels), together with the closed runtimes' "
                   f"ratios: executed cycles lost per cycle and per wait state")
        for lab in act.index:
            rid, version = lab.split("@")
            set_figure(folder / f"{rid}.toml", f'versions."{version}"', "activity", act[lab],
                       f"fitted by benchmarks/fit_cycle_model.py: mean inference current of "
                       f"{int((e['runtime_label'] == lab).sum())} MLPerf Tiny energy rows of {lab} over the part's "
                       f"measured workload current")
        print("written to power_models/runtimes")


if __name__ == "__main__":
    main()
