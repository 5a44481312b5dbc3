"""The public API: ``analyze``, ``estimate`` and ``sweep`` (pandas objects throughout).

The estimate chain itself (model analysis -> cycles -> power -> duty cycle -> battery) is
:mod:`joulescope_free.chain`; ``estimate`` and ``Estimate`` are re-exported from it, ``sweep`` from
:mod:`joulescope_free.sweeps` (vectorised blocks, model folders, Dask). Features that call the chain
(calibration, validation, comparisons) import :mod:`joulescope_free.chain`, never this module.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .chain import Estimate, InferenceCost, _analysis, estimate
from .sweeps import SWEEP_COLUMNS, sweep

if TYPE_CHECKING:  # an estimate imports no pandas until its tables are read (cold start of the CLI)
    import pandas as pd

__all__ = ["analyze", "estimate", "sweep", "Estimate", "InferenceCost", "SWEEP_COLUMNS"]


# ------------------------------------------------------------------------------------------------ analysis
def analyze(model) -> pd.DataFrame:
    """The layer table of a model (one row per operator). ``.attrs`` carries ``summary``, ``warnings``, ``model``."""
    result = _analysis(model)
    layers = result.layers.copy()
    layers.attrs = {"summary": dict(result.summary), "warnings": list(result.warnings),
                    "model": result.to_dict()["model"], "analysis": result}
    return layers
