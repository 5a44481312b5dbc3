"""Does memory traffic add to the inference current? The power model's workload factor against a per-byte term.

For every MLPerf Tiny energy row of the shipped table: the measured inference current (energy / latency / supply),
the power model's current (the part's datasheet run current at the clock and supply, its voltage range, x the
part's workload factor x the runtime's activity), and the bytes the layers move per second (weights read from
flash, activations read and written), from the model analysis and the measured latency.

It fits ``log(measured / model) = a + b x log(bytes per second)`` within each part (the part's own factor absorbs
``a``) and prints ``b`` with its standard error, then the leave-one-part-out energy error with and without the
per-byte term. A per-byte term is worth its parameter only if ``b`` is clearly positive (more traffic, more
current) and the held-out error falls.

    python benchmarks/fit_power_model.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import joulescope_free as jf  # noqa: E402
from joulescope_free.api import _analysis  # noqa: E402
from joulescope_free.hardware.power import workload_factors  # noqa: E402


def main() -> None:
    result = jf.validate()
    rows = result.rows[result.rows["skipped"].isna() & result.rows["energy_j"].notna()].reset_index(drop=True)
    measured = (rows["energy_j"] / rows["latency_s"] / rows["supply_v"]).to_numpy()
    model = (rows["predicted_energy_j"] / rows["predicted_latency_s"] / rows["supply_v"]).to_numpy()
    traffic = np.array([(s["weights_bytes"] + s["bytes_read"] + s["bytes_written"]) / lat for s, lat in
                        zip((_analysis(p).summary for p in rows["model_path"]), rows["latency_s"])])
    parts = rows["mcu_id"].to_numpy()
    y, x = np.log(measured / model), np.log(traffic)
    # within-part slope: demean both by part
    yd, xd = y.copy(), x.copy()
    for p in set(parts):
        m = parts == p
        yd[m] -= yd[m].mean()
        xd[m] -= xd[m].mean()
    b = float(xd @ yd / (xd @ xd))
    resid = yd - b * xd
    se = float(np.sqrt(resid @ resid / (len(y) - len(set(parts)) - 1) / (xd @ xd)))
    print(f"{len(rows)} energy rows on {', '.join(sorted(set(parts)))}")
    print(f"within-part slope of log(measured/model current) on log(bytes per second): b = {b:+.3f} +- {se:.3f}")
    print("  (b > 0 would mean more memory traffic draws more current; per part the current rises and falls by:")
    for p in sorted(set(parts)):
        m = parts == p
        lo, hi = np.argmin(traffic[m]), np.argmax(traffic[m])
        print(f"   {p:10} {traffic[m][lo] / 1e6:8.2f} MB/s -> {measured[m][lo] * 1e3:6.2f} mA,"
              f" {traffic[m][hi] / 1e6:8.2f} MB/s -> {measured[m][hi] * 1e3:6.2f} mA)")

    factors = workload_factors()
    print("\nleave-one-part-out energy error (median |predicted/measured - 1|):")
    for label, slope in (("workload factor only", 0.0), ("with the per-byte term", b)):
        errs = []
        for p, f in factors.items():
            m = parts == p
            others = np.exp(np.mean([np.log(v) for k, v in factors.items() if k != p]))
            pred = model[m] * others / f * np.exp(slope * (x[m] - x[parts != p].mean()))
            errs += list(np.abs(pred / measured[m] - 1))
        print(f"  {label:24} {np.median(errs) * 100:5.1f} %  (p90 {np.quantile(errs, 0.9) * 100:5.1f} %)")


if __name__ == "__main__":
    main()
