"""Stage 1 of the pipeline: what a model asks of a microcontroller, operator by operator.

``analyze_path("model.tflite")`` (or a Keras ``.keras``/``.h5``/SavedModel with the ``tf`` extra) returns a
:class:`ModelAnalysis`: one row per operator of the main subgraph in execution order, and a summary.
The MAC convention is in :mod:`joulescope_free.model.handlers`; the arena planner in
:mod:`joulescope_free.model.arena`.

Layer columns (the JSON ``layers`` keys, in this order; bytes in B, counts without unit):
``index, op, kind, input_shapes, output_shapes, dtype, act_dtype, weight_dtype, macs, elements, weights_bytes,
input_bytes, output_bytes, bytes_read, bytes_written, kernel_h, kernel_w, in_channels, out_channels,
stride_h, stride_w, supported``.
``input_shapes`` lists the activation (non-constant) inputs; ``weights_bytes`` the constant inputs (weights,
biases, shape/axis tensors) the layer reads; ``bytes_read = input_bytes + weights_bytes``;
``bytes_written = output_bytes`` plus any variable (state) tensor the operator updates in place.

Summary (``summary`` keys): ``macs, weights_bytes`` (every constant buffer in the file once), ``arena_bytes``
(TFLM greedy plan), ``runtime_overhead_bytes`` (estimated TFLM arena tail), ``peak_ram_bytes`` (= arena +
overhead), ``variable_bytes`` (variable tensors: state kept between inferences), ``graph_bytes`` (the rest of the flatbuffer), ``code_bytes`` (estimated runtime + kernel code),
``flash_bytes`` (= weights + graph + code), ``n_layers, n_subgraphs, n_unsupported, bytes_read,
bytes_written, tensor_type`` (``int8``, ``int16x8``, ``float32``, ``hybrid`` or ``mixed``).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..errors import UserError
from . import arena
from .handlers import HANDLERS, OpContext
from .reader import Subgraph, TfliteModel, read_tflite

LAYER_COLUMNS = ("index", "op", "kind", "input_shapes", "output_shapes", "dtype", "act_dtype", "weight_dtype",
                 "macs", "elements", "weights_bytes", "input_bytes", "output_bytes", "bytes_read",
                 "bytes_written", "kernel_h", "kernel_w", "in_channels", "out_channels", "stride_h", "stride_w",
                 "supported")

#: Kinds whose activation and weight dtypes define the model's tensor type.
CONTROL_FLOW_OPS = ("WHILE", "IF", "CALL_ONCE", "CALL")
COMPUTE_KINDS = ("conv", "depthwise", "fc", "matmul", "transpose_conv", "rnn")

# ---- runtime overhead: TFLM's arena tail (persistent allocations), an estimate. The per-item sizes are the
# ---- struct sizes tflite-micro's RecordingMicroAllocator reports on a 64-bit host (TfLiteEvalTensor 24 B,
# ---- NodeAndRegistration 64 B); per-channel quantization data is 2 x int32 per output channel; the op-data
# ---- and fixed terms were fitted to the tails it reports for the five int8 MLPerf Tiny models (all within 4 %).
# ---- On a 32-bit MCU the structs are smaller, so this errs high there.
EVAL_TENSOR_BYTES = 24
NODE_BYTES = 64
PER_CHANNEL_BYTES = 8
OP_DATA_BYTES = 100
FIXED_TAIL_BYTES = 832
# ---- code size: a stated order-of-magnitude assumption, not measured (TFLM core + one kernel per op type).
CODE_BASE_BYTES = 20 * 1024
CODE_PER_KERNEL_BYTES = 3 * 1024

ASSUMPTIONS = [
    "arena_bytes: TFLM GreedyMemoryPlanner replayed (16-byte alignment, lifetimes first write..last read); "
    "kernel scratch buffers and offline-planned offsets are not modelled",
    f"runtime_overhead_bytes: estimated TFLM arena tail = {EVAL_TENSOR_BYTES} B per tensor + {NODE_BYTES} B per "
    f"operator + {OP_DATA_BYTES} B op data per operator + {PER_CHANNEL_BYTES} B per output channel of "
    f"per-channel quantized layers + {FIXED_TAIL_BYTES} B; stack, interpreter object and application buffers "
    "are not included",
    f"code_bytes: rough assumption {CODE_BASE_BYTES // 1024} KiB runtime + {CODE_PER_KERNEL_BYTES // 1024} KiB "
    "per distinct operator kernel (not measured; depends on compiler, flags and kernel library)",
    "macs: one multiply-accumulate = 1 MAC (convention in joulescope_free.model.handlers)",
]


@dataclass
class ModelAnalysis:
    """The result of analysing one model. ``layers`` is a pandas DataFrame (built on first access)."""

    path: str
    sha256: str
    tensor_type: str
    inputs: list[dict]
    outputs: list[dict]
    summary: dict
    records: list[dict] = field(repr=False)
    warnings: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=lambda: list(ASSUMPTIONS))
    _frame: Any = field(default=None, repr=False)

    @property
    def layers(self):
        """One row per operator (columns :data:`LAYER_COLUMNS`)."""
        if self._frame is None:
            import pandas as pd

            self._frame = pd.DataFrame.from_records(self.records, columns=list(LAYER_COLUMNS))
        return self._frame

    def to_dict(self) -> dict:
        return {
            "model": {"path": self.path, "sha256": self.sha256, "tensor_type": self.tensor_type,
                      "inputs": self.inputs, "outputs": self.outputs},
            "summary": dict(self.summary),
            "layers": [dict(r) for r in self.records],
            "warnings": list(self.warnings),
            "assumptions": list(self.assumptions),
        }

    def to_json(self, indent: Optional[int] = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)


# --------------------------------------------------------------------------------------------- entry points
def analyze_path(path, keep_tflite=None) -> ModelAnalysis:
    """Analyse a ``.tflite`` file, or convert a Keras model (``.keras``, ``.h5``, SavedModel folder) first.

    ``keep_tflite``: where to save the converted ``.tflite`` (Keras input only; never overwrites a folder).
    """
    p = Path(path)
    from .keras import is_keras_input

    if is_keras_input(p):
        from .keras import convert_keras

        keep = Path(keep_tflite) if keep_tflite is not None else None
        if keep is not None and keep.is_file():  # any existing file is the user's, even an empty one
            existing = keep.read_bytes()
        else:
            existing = None
        data, notes = convert_keras(p)
        if keep is not None and existing != data:
            if existing is not None:
                raise UserError(f"{keep} already exists and differs from the converted model; "
                                "give a new --keep-tflite name (nothing was overwritten)")
            from ..render.export import write_bytes_safely

            write_bytes_safely(keep, data)
        result = analyze_bytes(data, str(p))
        result.warnings[:0] = notes
        return result
    if not p.exists():
        raise UserError(f"file not found: {p}")
    if p.is_dir():
        raise UserError(f"{p} is a directory; give a .tflite file (or a SavedModel folder with saved_model.pb)")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {p}: {exc.strerror or exc}") from None
    result = analyze_bytes(data, str(p))
    if keep_tflite is not None:
        result.warnings.append("--keep-tflite ignored: the input is already a .tflite file")
    return result


def analyze_bytes(data: bytes, path: str = "<bytes>") -> ModelAnalysis:
    """Analyse the bytes of a ``.tflite`` model; ``path`` is only used in messages and the result."""
    model = read_tflite(data, path)
    sha = hashlib.sha256(data).hexdigest()
    return _analyze(model, path, sha)


# --------------------------------------------------------------------------------------------- the work
def _tensor_info(t) -> dict:
    return {"name": t.name, "shape": list(t.shape), "dtype": t.dtype}


def _layer(sg: Subgraph, op) -> tuple[dict, Optional[str]]:
    """One layer record and, for an operator without a cost handler, the reason."""
    tensors = sg.tensors
    ins = [tensors[i] if i >= 0 else None for i in op.inputs]
    outs = [tensors[i] for i in op.outputs if i >= 0]
    acts = [t for t in ins if t is not None and not t.constant]
    consts = [t for t in ins if t is not None and t.constant]
    variables = [t for t in acts if t.variable]
    problem = None
    handler = HANDLERS.get(op.name) if op.builtin else None
    cost: dict = {}
    if handler is None:
        problem = "no cost handler"
    else:
        try:
            cost = handler(OpContext(op, ins, outs)) or {}
        except Exception as exc:  # a malformed operator must not stop the analysis
            problem = f"its cost handler failed ({type(exc).__name__}: {exc})"
            cost = {}
    supported = problem is None
    weight_index = cost.get("weight_index")
    weight = ins[weight_index] if weight_index is not None and weight_index < len(ins) else None
    act_dtype = acts[0].dtype if acts else (outs[0].dtype if outs else "")
    input_bytes = sum(t.nbytes for t in acts)
    weights_bytes = sum(t.nbytes for t in consts)
    output_bytes = sum(t.nbytes for t in outs)
    record = {
        "index": op.index,
        "op": op.name,
        "kind": cost.get("kind", "unsupported") if supported else "unsupported",
        "input_shapes": [list(t.shape) for t in acts],
        "output_shapes": [list(t.shape) for t in outs],
        "dtype": act_dtype,
        "act_dtype": act_dtype,
        "weight_dtype": weight.dtype if weight is not None else "",
        "macs": int(cost.get("macs", 0)),
        "elements": int(sum(t.elements for t in outs)),
        "weights_bytes": int(weights_bytes),
        "input_bytes": int(input_bytes),
        "output_bytes": int(output_bytes),
        "bytes_read": int(input_bytes + weights_bytes),
        "bytes_written": int(output_bytes + sum(t.nbytes for t in variables)),
        "kernel_h": int(cost.get("kernel_h") or 0),
        "kernel_w": int(cost.get("kernel_w") or 0),
        "in_channels": int(cost.get("in_channels") or 0),
        "out_channels": int(cost.get("out_channels") or 0),
        "stride_h": int(cost.get("stride_h") or 0),
        "stride_w": int(cost.get("stride_w") or 0),
        "supported": supported,
        "_per_channel": bool(weight is not None and weight.quantized_per_channel),
    }
    return record, problem


def tensor_type_of(records: list[dict]) -> str:
    """``int8``, ``int16x8``, ``float32``, ``hybrid`` (float activations, int8 weights) or ``mixed``."""
    compute = [r for r in records if r["kind"] in COMPUTE_KINDS]
    if not compute:
        compute = [r for r in records if r["kind"] not in ("reshape", "quantize", "unsupported")] or records
    acts = {r["act_dtype"] for r in compute if r["act_dtype"]}
    weights = {r["weight_dtype"] for r in compute if r["weight_dtype"]}
    int8 = {"int8", "uint8"}
    if acts and acts <= int8 and weights <= int8:
        return "int8"
    if acts == {"int16"} and weights <= {"int8"}:
        return "int16x8"
    if acts == {"float32"}:
        if weights & {"int8", "uint8", "int4"}:
            return "hybrid"
        if weights <= {"float32", "float16"}:
            return "float32"
    return "mixed"


def _runtime_overhead_bytes(sg: Subgraph, records: list[dict]) -> int:
    channels = sum(r["out_channels"] for r in records if r["_per_channel"])
    n_ops = len(sg.operators)
    return (EVAL_TENSOR_BYTES * len(sg.tensors) + (NODE_BYTES + OP_DATA_BYTES) * n_ops
            + PER_CHANNEL_BYTES * channels + FIXED_TAIL_BYTES)


def _analyze(model: TfliteModel, path: str, sha: str) -> ModelAnalysis:
    sg = model.subgraphs[0]
    warnings = list(model.warnings)
    if len(model.subgraphs) > 1:
        warnings.append(f"the model has {len(model.subgraphs)} subgraphs; analysed the main one (subgraph 0) only; "
                        "operators inside the other subgraphs (IF/WHILE bodies, ...) are not counted")
    records: list[dict] = []
    problems: dict[str, list[int]] = {}
    reasons: dict[str, str] = {}
    for op in sg.operators:
        record, problem = _layer(sg, op)
        records.append(record)
        if problem:
            problems.setdefault(op.name, []).append(op.index)
            reasons[op.name] = problem
    control = [r for r in records if r["op"] in CONTROL_FLOW_OPS]
    if control:
        where = ", ".join(f"{r['op']} at index {r['index']}" for r in control[:4])
        warnings.append(f"control-flow operator(s) {where}: the cost of the subgraphs they run is not included "
                        "(Keras 3 lowers LSTM/GRU layers to WHILE loops; unroll them or use a fused LSTM op)")
    for name, idx in problems.items():
        what = "a Select-TF (Flex) op" if name.startswith("Flex") else ("a custom op" if name not in HANDLERS else "")
        where = ", ".join(str(i) for i in idx[:8]) + (" ..." if len(idx) > 8 else "")
        warnings.append(f"unsupported operator {name}{' (' + what + ')' if what else ''}: {reasons[name]}; "
                        f"{len(idx)} layer(s) at index {where} counted with 0 MACs and marked supported=false")

    tensor_type = tensor_type_of(records)
    if tensor_type == "hybrid":
        warnings.append("hybrid (dynamic-range) model: float activations with int8 weights; TensorFlow Lite "
                        "Micro does not run hybrid kernels, convert with full-integer quantization for MCUs")
    if any(r["act_dtype"] == "uint8" for r in records):
        warnings.append("uint8 (legacy asymmetric) quantization found; counted as int8")

    arena_bytes = arena.arena_bytes(sg)
    overhead = _runtime_overhead_bytes(sg, records)
    weights_bytes = model.constant_bytes
    graph_bytes = max(model.file_bytes - weights_bytes, 0)
    kernels = {r["op"] for r in records}
    code_bytes = CODE_BASE_BYTES + CODE_PER_KERNEL_BYTES * len(kernels)
    for r in records:
        del r["_per_channel"]
    summary = {
        "macs": sum(r["macs"] for r in records),
        "weights_bytes": int(weights_bytes),
        "arena_bytes": int(arena_bytes),
        "runtime_overhead_bytes": int(overhead),
        "peak_ram_bytes": int(arena_bytes + overhead),
        "variable_bytes": int(sum(t.nbytes for t in sg.tensors if t.variable)),  # state kept between inferences
        "graph_bytes": int(graph_bytes),
        "code_bytes": int(code_bytes),
        "flash_bytes": int(weights_bytes + graph_bytes + code_bytes),
        "n_layers": len(records),
        "n_subgraphs": len(model.subgraphs),
        "n_unsupported": sum(1 for r in records if not r["supported"]),
        "bytes_read": sum(r["bytes_read"] for r in records),
        "bytes_written": sum(r["bytes_written"] for r in records),
        "tensor_type": tensor_type,
    }
    inputs = [_tensor_info(sg.tensors[i]) for i in sg.inputs]
    outputs = [_tensor_info(sg.tensors[i]) for i in sg.outputs]
    return ModelAnalysis(path, sha, tensor_type, inputs, outputs, summary, records, warnings)
