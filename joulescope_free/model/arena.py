"""Activation-memory (tensor arena) planning the way TensorFlow Lite Micro's ``GreedyMemoryPlanner`` does it.

Lifetimes follow TFLM's ``AllocationInfoBuilder``: the subgraph's inputs are created at step 0, operator ``i``
runs at step ``i + 1``; a tensor lives from the step that first writes it to the last step that reads it, and
the subgraph's outputs live to the end. Constant tensors (data in the file) and variable tensors (persistent,
in TFLM's arena tail) are not planned. Sizes are rounded up to 16 bytes; buffers are placed largest first at
the lowest offset that does not overlap any buffer alive at the same time. The head size is the highest end
offset, in bytes. Kernel scratch buffers are added for the reference kernels known to request them
(:data:`SCRATCH_RULES`); buffers of the other subgraphs (WHILE/IF bodies) are not planned.
"""
from __future__ import annotations

from dataclasses import dataclass

from typing import Callable

from .reader import Operator, Subgraph

ALIGNMENT_BYTES = 16
_ACC_BYTES = {"int8": 4, "int16": 8, "float32": 0}


def _transpose_conv_scratch(sg: Subgraph, op: Operator) -> list[int]:
    """TFLM's TRANSPOSE_CONV keeps one accumulator per output element (int32 for int8, int64 for int16)."""
    out = sg.tensors[op.outputs[0]]
    acc = _ACC_BYTES.get(out.dtype, 0)
    return [out.elements * acc] if acc else []


def _lstm_scratch(sg: Subgraph, op: Operator) -> list[int]:
    """TFLM's LSTM kernels keep four gate buffers of batch x n_cell (float32: 4 B, quantized: int16)."""
    x = sg.tensors[op.inputs[0]]
    w = sg.tensors[op.inputs[4]] if len(op.inputs) > 4 and op.inputs[4] >= 0 else None
    if w is None or not x.shape:
        return []
    batch = x.shape[0]
    if len(x.shape) >= 3:
        from tflite.UnidirectionalSequenceLSTMOptions import UnidirectionalSequenceLSTMOptions

        opts = op.options(UnidirectionalSequenceLSTMOptions)
        batch = x.shape[1] if opts is not None and opts.TimeMajor() else x.shape[0]
    size = 4 if x.dtype == "float32" else 2
    return [batch * w.shape[0] * size] * 4


#: operator name -> scratch buffer sizes (B) the TFLM reference kernel requests while it runs
SCRATCH_RULES: dict[str, Callable[[Subgraph, Operator], list[int]]] = {
    "TRANSPOSE_CONV": _transpose_conv_scratch,
    "UNIDIRECTIONAL_SEQUENCE_LSTM": _lstm_scratch,
}


def align_up(n: int, alignment: int = ALIGNMENT_BYTES) -> int:
    return (int(n) + alignment - 1) // alignment * alignment


@dataclass
class Buffer:
    """One planned buffer: the tensor, its aligned size in bytes, its lifetime in steps and its offset."""

    tensor: int
    size_bytes: int
    first_step: int
    last_step: int
    offset_bytes: int = -1

    def overlaps(self, first: int, last: int) -> bool:
        return not (last < self.first_step or first > self.last_step)


def lifetimes(subgraph: Subgraph) -> dict[int, tuple[int, int]]:
    """Tensor index -> (first step, last step) for every tensor that needs arena memory."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for t in subgraph.inputs:
        first.setdefault(t, 0)
        last[t] = 0
    for i, op in enumerate(subgraph.operators):
        step = i + 1
        for t in op.outputs:
            if t >= 0:
                first.setdefault(t, step)
        for t in op.inputs:
            if t >= 0:
                last[t] = step
    end = len(subgraph.operators)
    for t in subgraph.outputs:
        last[t] = end
    result = {}
    for t, f in first.items():
        tensor = subgraph.tensors[t]
        if tensor.constant or tensor.variable or tensor.nbytes == 0:
            continue
        result[t] = (f, max(last.get(t, f), f))
    return result


def plan(subgraph: Subgraph) -> list[Buffer]:
    """Place every non-constant tensor of ``subgraph``; returns buffers with their offsets."""
    spans = lifetimes(subgraph)
    buffers = [Buffer(t, align_up(subgraph.tensors[t].nbytes), f, l) for t, (f, l) in sorted(spans.items())]
    for i, op in enumerate(subgraph.operators):  # scratch buffers live while their operator runs (tensor -1)
        rule = SCRATCH_RULES.get(op.name)
        for size in (rule(subgraph, op) if rule else ()):
            if size > 0:
                buffers.append(Buffer(-1, align_up(size), i + 1, i + 1))
    # largest first; equal sizes: higher tensor index first (this reproduces tflite-micro's arena head exactly on
    # the MLPerf Tiny models, e.g. VWW 73728 B; the other tie order gives 64512 B there)
    order = sorted(range(len(buffers)), key=lambda i: (-buffers[i].size_bytes, -i))
    placed: list[Buffer] = []  # kept sorted by offset
    for i in order:
        b = buffers[i]
        candidate = 0
        for p in placed:
            if not p.overlaps(b.first_step, b.last_step):
                continue
            if p.offset_bytes - candidate >= b.size_bytes:
                break
            candidate = max(candidate, p.offset_bytes + p.size_bytes)
        b.offset_bytes = candidate
        placed.append(b)
        placed.sort(key=lambda p: p.offset_bytes)
    return buffers


def arena_bytes(subgraph: Subgraph) -> int:
    """The planned arena head in bytes (0 for a graph without activations)."""
    return max((b.offset_bytes + b.size_bytes for b in plan(subgraph)), default=0)
