"""Read a ``.tflite`` flatbuffer into plain Python objects (tensors, operators, subgraphs).

Uses the ``tflite`` flatbuffer-schema package for field access; every parse is guarded so that a file that is
not a TFLite model (empty, truncated, random bytes, zip, ONNX...) becomes one :class:`UserError` line.
Sizes are in bytes; shapes are lists of ints (unknown dimensions of -1 are read as 1 and reported).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Optional

from ..errors import UserError

TFLITE_IDENTIFIER = b"TFL3"

#: TensorType enum value -> (name, bits per element)
TENSOR_TYPES: dict[int, tuple[str, int]] = {
    0: ("float32", 32), 1: ("float16", 16), 2: ("int32", 32), 3: ("uint8", 8), 4: ("int64", 64),
    5: ("string", 8), 6: ("bool", 8), 7: ("int16", 16), 8: ("complex64", 64), 9: ("int8", 8),
    10: ("float64", 64), 11: ("complex128", 128), 12: ("uint64", 64), 13: ("resource", 0),
    14: ("variant", 0), 15: ("uint32", 32), 16: ("uint16", 16), 17: ("int4", 4), 18: ("bfloat16", 16),
}

#: dtype name -> numpy dtype string (for reading constant values)
_NUMPY_DTYPES = {"float32": "<f4", "float16": "<f2", "int32": "<i4", "uint8": "u1", "int64": "<i8",
                 "bool": "u1", "int16": "<i2", "int8": "i1", "float64": "<f8", "uint64": "<u8",
                 "uint32": "<u4", "uint16": "<u2"}


@dataclass
class Tensor:
    """One tensor of a subgraph. ``constant`` means it has data in the file (weights, biases, shapes)."""

    index: int
    name: str
    shape: list[int]
    dtype: str
    bits: int
    buffer: int
    constant: bool
    variable: bool
    quantized_per_channel: bool = False
    _data: Optional[memoryview] = field(default=None, repr=False)

    @property
    def elements(self) -> int:
        n = 1
        for d in self.shape:
            n *= max(int(d), 1)
        return n

    @property
    def nbytes(self) -> int:
        """Size in bytes (int4 packs two per byte, rounded up)."""
        return (self.elements * self.bits + 7) // 8

    def values(self):
        """The constant values as a numpy array (``None`` for activations or unknown dtypes)."""
        if self._data is None or self.dtype not in _NUMPY_DTYPES:
            return None
        import numpy as np

        arr = np.frombuffer(self._data, dtype=_NUMPY_DTYPES[self.dtype])
        return arr.reshape(self.shape) if arr.size == self.elements else arr


@dataclass
class Operator:
    """One operator: its name (builtin name or custom code), tensor indices (-1 = omitted), options table."""

    index: int
    name: str
    builtin: bool
    inputs: list[int]
    outputs: list[int]
    intermediates: list[int]
    options_table: Any = field(default=None, repr=False)

    def options(self, cls):
        """Decode the builtin options table as ``cls`` (e.g. ``tflite.Conv2DOptions``); ``None`` if absent."""
        if self.options_table is None:
            return None
        obj = cls()
        obj.Init(self.options_table.Bytes, self.options_table.Pos)
        return obj


@dataclass
class Subgraph:
    index: int
    name: str
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: list[int]
    outputs: list[int]


@dataclass
class TfliteModel:
    """A parsed model: subgraphs (0 is the main one), buffer sizes and the file size in bytes."""

    subgraphs: list[Subgraph]
    buffer_bytes: list[int]
    file_bytes: int
    version: int
    description: str
    warnings: list[str]

    @cached_property
    def constant_bytes(self) -> int:
        """All constant tensor bytes in the file, each buffer counted once (all subgraphs)."""
        used = {t.buffer for sg in self.subgraphs for t in sg.tensors if t.constant}
        return sum(self.buffer_bytes[b] for b in used)


def _builtin_names() -> dict[int, str]:
    from tflite.utils import BUILTIN_OPCODE2NAME

    return BUILTIN_OPCODE2NAME


def _vector_span(table, slot: int) -> tuple[int, int]:
    """(start, length) of a byte vector field in a flatbuffer table, (0, 0) if absent."""
    o = table.Offset(slot)
    if not o:
        return 0, 0
    return table.Vector(o), table.VectorLen(o)


def check_identifier(data: bytes, path: str) -> None:
    """Raise a one-line :class:`UserError` unless ``data`` looks like a TFLite flatbuffer."""
    if len(data) == 0:
        raise UserError(f"{path} is empty; give a .tflite model file")
    if data[:2] == b"PK":
        raise UserError(f"{path} is a zip archive, not a .tflite model (a .keras file needs the .keras suffix)")
    if len(data) < 8:
        raise UserError(f"{path} is too short ({len(data)} bytes) to be a .tflite model")
    if data[4:8] != TFLITE_IDENTIFIER:
        hint = ""
        if b"onnx" in data[:64].lower() or b"pytorch" in data[:64].lower():
            hint = " (it looks like ONNX; convert it to TFLite first)"
        elif data[:8] == b"\x89HDF\r\n\x1a\n":
            hint = " (it is HDF5; name it .h5 to convert a Keras model)"
        raise UserError(f"{path} is not a .tflite model: no 'TFL3' flatbuffer identifier at bytes 4..8{hint}")


def read_tflite(data: bytes, path: str = "<bytes>") -> TfliteModel:
    """Parse ``data`` (the whole .tflite file). Any structural problem is a :class:`UserError`."""
    check_identifier(data, path)
    try:
        return _parse(bytes(data), path)
    except UserError:
        raise
    except Exception as exc:  # the generated flatbuffer code raises anything on corrupt input
        raise UserError(f"{path} is not a valid .tflite model: the flatbuffer is truncated or corrupt "
                        f"({type(exc).__name__} while parsing)") from None


def _parse(data: bytes, path: str) -> TfliteModel:
    from tflite.Model import Model

    size = len(data)
    names = _builtin_names()
    model = Model.GetRootAs(data, 0)
    warnings: list[str] = []

    buffer_bytes: list[int] = []
    buffer_views: list[Optional[memoryview]] = []
    view = memoryview(data)
    for b in range(model.BuffersLength()):
        buf = model.Buffers(b)
        start, length = _vector_span(buf._tab, 4)
        if length:
            if start + length > size:
                raise UserError(f"{path} is truncated: buffer {b} ends at byte {start + length} of {size}")
            buffer_bytes.append(length)
            buffer_views.append(view[start:start + length])
            continue
        offset, bsize = buf.Offset(), buf.Size()
        if offset > 1 and bsize:  # large models keep buffers after the flatbuffer
            if offset + bsize > size:
                raise UserError(f"{path} is truncated: buffer {b} ends at byte {offset + bsize} of {size}")
            buffer_bytes.append(bsize)
            buffer_views.append(view[offset:offset + bsize])
        else:
            buffer_bytes.append(0)
            buffer_views.append(None)

    opcodes: list[tuple[str, bool]] = []
    for i in range(model.OperatorCodesLength()):
        oc = model.OperatorCodes(i)
        code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        if code == 32:  # CUSTOM: Flex (Select TF) ops and user kernels carry their own name
            custom = oc.CustomCode()
            opcodes.append(((custom or b"CUSTOM").decode("utf-8", "replace"), False))
        else:
            opcodes.append((names.get(code, f"BUILTIN_{code}"), True))

    subgraphs: list[Subgraph] = []
    for s in range(model.SubgraphsLength()):
        sg = model.Subgraphs(s)
        tensors: list[Tensor] = []
        unknown_dims = False
        for t in range(sg.TensorsLength()):
            tt = sg.Tensors(t)
            dtype, bits = TENSOR_TYPES.get(tt.Type(), (f"type{tt.Type()}", 8))
            shape = [int(d) for d in tt.ShapeAsNumpy()] if tt.ShapeLength() else []
            if any(d < 0 for d in shape):
                unknown_dims = True
                shape = [d if d >= 0 else 1 for d in shape]
            bidx = tt.Buffer()
            if bidx >= len(buffer_bytes):
                raise UserError(f"{path} is corrupt: tensor {t} refers to missing buffer {bidx}")
            constant = bidx > 0 and buffer_bytes[bidx] > 0
            q = tt.Quantization()
            per_channel = bool(q is not None and q.ScaleLength() > 1)
            name = (tt.Name() or b"").decode("utf-8", "replace")
            tensors.append(Tensor(t, name, shape, dtype, bits, bidx, constant, bool(tt.IsVariable()),
                                  per_channel, buffer_views[bidx] if constant else None))
        if unknown_dims:
            warnings.append(f"subgraph {s}: dynamic dimensions (-1) were taken as 1")
        ops: list[Operator] = []
        for o in range(sg.OperatorsLength()):
            op = sg.Operators(o)
            name, builtin = opcodes[op.OpcodeIndex()]
            ins = [int(i) for i in op.InputsAsNumpy()] if op.InputsLength() else []
            outs = [int(i) for i in op.OutputsAsNumpy()] if op.OutputsLength() else []
            inter = [int(i) for i in op.IntermediatesAsNumpy()] if op.IntermediatesLength() else []
            for i in ins + outs + inter:
                if i >= len(tensors):
                    raise UserError(f"{path} is corrupt: operator {o} refers to missing tensor {i}")
            ops.append(Operator(o, name, builtin, ins, outs, inter, op.BuiltinOptions()))
        sg_in = [int(i) for i in sg.InputsAsNumpy()] if sg.InputsLength() else []
        sg_out = [int(i) for i in sg.OutputsAsNumpy()] if sg.OutputsLength() else []
        subgraphs.append(Subgraph(s, (sg.Name() or b"").decode("utf-8", "replace"), tensors, ops, sg_in, sg_out))
    if not subgraphs:
        raise UserError(f"{path} has no subgraph; it is not a usable .tflite model")
    desc = (model.Description() or b"").decode("utf-8", "replace")
    return TfliteModel(subgraphs, buffer_bytes, size, int(model.Version()), desc, warnings)
