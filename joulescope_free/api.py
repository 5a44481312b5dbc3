"""The public API: ``analyze``, ``estimate`` and ``sweep`` (pandas objects throughout).

The estimate chain itself (model analysis -> cycles -> power -> duty cycle -> battery) is
:mod:`joulescope_free.chain`; ``estimate`` and ``Estimate`` are re-exported from it. Features that call the chain
(calibration, validation, comparisons) import :mod:`joulescope_free.chain`, never this module.
"""
from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd

from .chain import Estimate, InferenceCost, _analysis, _chain, estimate
from .errors import UserError

__all__ = ["analyze", "estimate", "sweep", "Estimate", "InferenceCost"]


# ------------------------------------------------------------------------------------------------ analysis
def analyze(model) -> pd.DataFrame:
    """The layer table of a model (one row per operator). ``.attrs`` carries ``summary``, ``warnings``, ``model``."""
    result = _analysis(model)
    layers = result.layers.copy()
    layers.attrs = {"summary": dict(result.summary), "warnings": list(result.warnings),
                    "model": result.to_dict()["model"], "analysis": result}
    return layers


# ------------------------------------------------------------------------------------------------ sweep
def _as_list(value) -> list:
    if value is None:
        return [None]
    if isinstance(value, (str, bytes, Path, int, float, dict)):
        return [value]
    return list(value) or [None]


SWEEP_COLUMNS = ["model", "model_path", "mcu", "runtime", "clock_hz", "supply_v", "duty", "battery", "latency_s",
                 "energy_per_inference_j", "inference_power_w", "peak_ram_bytes", "fits_ram", "fits_flash",
                 "average_current_a", "battery_life_days", "battery_life_months", "battery_life_limited_by", "rate_hz",
                 "sleep_mode",
                 # the error band (validation.band_summary)
                 "estimate_basis", "latency_low_s", "latency_high_s", "energy_low_j", "energy_high_j",
                 "average_current_low_a", "average_current_high_a", "battery_life_low_days", "battery_life_high_days",
                 "error"]


def sweep(models, mcu, runtime=None, clock_mhz=None, supply_v=None, duty=None, battery=None, profile=None,
          errors: str = "record", client=None) -> pd.DataFrame:
    """One row per combination of the given lists (each model analysed once).

    A combination that is invalid (a runtime that does not run on that core, a clock above the part's maximum)
    gives a row whose ``error`` column says why, unless ``errors="raise"``. ``client``: a
    ``dask.distributed.Client`` (``[dask]`` extra): each model is analysed, and its rows computed, on the cluster.
    """
    model_list = _as_list(models)
    if client is not None:
        from .sweep import sweep_on_cluster

        return sweep_on_cluster(model_list, client, mcu=mcu, runtime=runtime, clock_mhz=clock_mhz,
                                supply_v=supply_v, duty=duty, battery=battery, profile=profile, errors=errors)
    analyses = {i: _analysis(m) for i, m in enumerate(model_list)}
    rows, cache = [], {}
    for (mi, m), part, rt, clk, sv, dt, bt, pf in itertools.product(
            enumerate(model_list), _as_list(mcu), _as_list(runtime), _as_list(clock_mhz), _as_list(supply_v),
            _as_list(duty), _as_list(battery), _as_list(profile)):
        path = analyses[mi].path if not isinstance(m, (bytes, bytearray)) else None
        row = {"model": Path(path).name if path else "<bytes>", "model_path": path, "mcu": getattr(part, "id", part),
               "runtime": rt, "duty": dt, "battery": bt if not isinstance(bt, dict) else "inline", "error": None}
        try:
            r = _chain(analyses[mi], part, runtime=rt, clock_mhz=clk, supply_v=sv, duty=dt, battery=bt, profile=pf,
                       detail=False, cache=cache)
        except UserError as exc:
            if errors == "raise":
                raise
            row["error"] = str(exc)
            rows.append(row)
            continue
        s, target = r["summary"], r["target"]
        row.update({k: s[k] for k in SWEEP_COLUMNS if k in s})
        row.update({"runtime": target["runtime"], "clock_hz": target["clock_hz"], "supply_v": target["supply_v"],
                    "error": None})
        if bt is None and s.get("battery_id"):
            row["battery"] = s["battery_id"]  # the default (or the profile's) battery
        rows.append(row)
    frame = pd.DataFrame(rows, columns=SWEEP_COLUMNS)
    frame["rate_hz"] = frame["rate_hz"].astype(float)
    frame["error"] = frame["error"].astype(object).where(frame["error"].notna(), None)
    return frame
