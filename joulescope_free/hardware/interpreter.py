"""Runtime cycles outside the kernels: the interpreter's per-inference and per-operator work.

A runtime whose ``interpreter`` is ``"tflm"`` (TFLM with its reference, CMSIS-NN, ESP-NN or NMSIS-NN kernels) costs
its dispatch from ``power_models/interpreters/tflm.toml``: cycles of TFLM's Invoke() path per core, simulated by
``kernel_sim/interpreter_overhead.py`` (the loop over operators, the Eval prologue's tensor look-ups, shape and
parameter set-up; kernels excluded). Operators with weights pay the ``conv`` figure (three inputs, one output), the
others the ``simple`` one (one input, one output). A core the table does not list uses its ``kernel_proxy``, else the
cortex-m4 figures (control code, not SIMD: the core's ``speed`` does not apply), stated in the assumptions.

Every other runtime keeps its own ``layer_overhead_cycles`` and ``invoke_overhead_cycles`` (cycles on the reference
Cortex-M4, scaled by the core's ``speed``), as the cycle model always did.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..datafile import load_toml
from ..errors import UserError
from ..paths import data_dir

#: layer kinds (the analysis ``kind`` column) that read weights: they pay the ``conv`` per-operator figure
WEIGHTED_KINDS = ("conv", "transpose_conv", "depthwise", "fc", "matmul", "rnn")
FALLBACK_CORE = "cortex-m4"


@dataclass(frozen=True)
class InterpreterOverhead:
    interpreter: str
    core: str                     # the core whose simulation the figures are
    per_invoke_cycles: float
    per_weighted_operator_cycles: float
    per_other_operator_cycles: float
    provenance: str


@lru_cache(maxsize=None)
def _table(interpreter: str) -> dict:
    """core -> {operator kind -> (per_invoke, per_operator, provenance)} of one interpreter file ({} if none)."""
    path = data_dir("power_models") / "interpreters" / f"{interpreter}.toml"
    if not path.is_file():
        return {}
    out: dict = {}
    for i, entry in enumerate(load_toml(path).get("overhead", [])):
        try:
            out.setdefault(str(entry["core"]), {})[str(entry["operator"])] = (
                float(entry["per_invoke_cycles"]), float(entry["per_operator_cycles"]), str(entry["simulated"]))
        except KeyError as exc:
            raise UserError(f"{path} overhead {i + 1}: missing {exc.args[0]}") from None
    return out


def interpreter_overhead(runtime, core) -> InterpreterOverhead | None:
    """The simulated interpreter figures for ``runtime`` on ``core`` (a CoreClass), or None where the runtime has no
    interpreter table (its coefficients apply)."""
    table = _table(runtime.interpreter) if runtime.interpreter else {}
    if not table:
        return None
    for candidate in (core.id, core.kernel_proxy, FALLBACK_CORE):
        if candidate in table and {"conv", "simple"} <= set(table[candidate]):
            conv, simple = table[candidate]["conv"], table[candidate]["simple"]
            return InterpreterOverhead(runtime.interpreter, candidate, conv[0], conv[1], simple[1], conv[2])
    return None


def overhead_cycles(runtime, core, kinds) -> tuple:
    """(per-layer dispatch cycles as an array over ``kinds``, per-inference cycles) on ``core``."""
    kinds = np.asarray(kinds, dtype=str)
    figures = interpreter_overhead(runtime, core)
    if figures is None:
        c = runtime.coefficients
        return (np.full(len(kinds), c["layer_overhead_cycles"] * core.speed),
                c["invoke_overhead_cycles"] * core.speed)
    weighted = np.isin(kinds, WEIGHTED_KINDS)
    per_layer = np.where(weighted, figures.per_weighted_operator_cycles, figures.per_other_operator_cycles)
    return per_layer.astype(float), figures.per_invoke_cycles


def overhead_notes(runtime, core) -> list:
    """Assumption lines saying where the dispatch overhead comes from."""
    figures = interpreter_overhead(runtime, core)
    if figures is None:
        return []
    where = core.id if figures.core == core.id else f"{figures.core}, standing in for {core.id}"
    return [f"interpreter ({figures.interpreter}): {figures.per_invoke_cycles:.0f} cycles per inference, "
            f"{figures.per_weighted_operator_cycles:.0f} per operator with weights and "
            f"{figures.per_other_operator_cycles:.0f} per other operator, simulated on {where} from a transcription "
            f"of TFLM's Invoke() path (power_models/interpreters/{figures.interpreter}.toml)"]
