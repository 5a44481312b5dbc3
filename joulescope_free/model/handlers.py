"""Per-operator cost handlers, keyed by the TFLite builtin operator name.

MAC convention (one multiply-accumulate = 1 MAC; biases, requantization and fused activations are not MACs):

==============================  ==========================================================================
operator                        MACs
==============================  ==========================================================================
CONV_2D                         output elements x KH x KW x Cin / groups   (groups = Cin / filter depth)
CONV_3D                         output elements x KD x KH x KW x Cin
DEPTHWISE_CONV_2D               output elements x KH x KW
FULLY_CONNECTED                 output elements x input features
TRANSPOSE_CONV                  input pixels (N x H_in x W_in) x KH x KW x Cin x Cout
BATCH_MATMUL                    output elements x K (the contracted dimension)
RNN / UNIDIRECTIONAL_SEQ._RNN   steps x batch x (units x n_input + units x units)
SVDF                            batch x (filters x n_input + filters x memory_size)
LSTM / UNIDIRECTIONAL_SEQ._LSTM steps x batch x (the gate matmuls: every input-to-gate [n_cell x n_input] and
BIDIRECTIONAL_SEQUENCE_LSTM     recurrent-to-gate [n_cell x n_output] matrix present, the projection
BIDIRECTIONAL_SEQUENCE_RNN      [n_output x n_cell] if present, plus n_cell per peephole vector); both
                                directions for the bidirectional ops
everything else                 0 MACs; their ``elements`` (output elements produced) feed the cycle model
==============================  ==========================================================================

A handler receives an :class:`OpContext` and returns a dict with ``kind`` and, where they apply, ``macs``,
``kernel_h``, ``kernel_w``, ``in_channels``, ``out_channels``, ``stride_h``, ``stride_w``, ``weight_index``
(which input is the weight tensor). Operators without a handler are *unsupported*: still listed, flagged
``supported = False`` and named in the warnings, never silently zero.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from .reader import Operator, Tensor

#: The kinds the cycle model knows.
KINDS = ("conv", "depthwise", "fc", "matmul", "transpose_conv", "rnn", "elementwise", "pool", "activation",
         "softmax", "data", "reshape", "quantize", "other", "unsupported")


@dataclass
class OpContext:
    """What a handler sees: the operator, its input/output tensors (``None`` for omitted optional inputs)."""

    op: Operator
    inputs: list[Optional[Tensor]]
    outputs: list[Tensor]

    def input(self, i: int) -> Optional[Tensor]:
        return self.inputs[i] if i < len(self.inputs) else None

    @property
    def out(self) -> Tensor:
        return self.outputs[0]

    @property
    def out_elements(self) -> int:
        return sum(t.elements for t in self.outputs)

    def options(self, cls):
        return self.op.options(cls)


Handler = Callable[[OpContext], dict]
HANDLERS: dict[str, Handler] = {}


def register(*names: str):
    """Decorator: ``@register("CONV_2D")`` puts the function in :data:`HANDLERS` under each name."""

    def deco(fn: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = fn
        return fn

    return deco


def _last(shape: list[int], default: int = 0) -> int:
    return int(shape[-1]) if shape else default


# --------------------------------------------------------------------------------------------- factories
def zero_mac_family(kind: str, names: tuple[str, ...]) -> Handler:
    """Register ops that do no multiply-accumulates (their cost is per output element)."""

    def handler(ctx: OpContext) -> dict:
        return {"kind": kind, "macs": 0, "out_channels": _last(ctx.out.shape) if ctx.outputs else 0}

    handler.__name__ = f"{kind}_handler"
    return register(*names)(handler)


ELEMENTWISE_BINARY = ("ADD", "SUB", "MUL", "DIV", "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE", "POW", "FLOOR_DIV",
                      "FLOOR_MOD", "ADD_N", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL", "EQUAL", "NOT_EQUAL",
                      "LOGICAL_AND", "LOGICAL_OR", "SELECT", "SELECT_V2", "ATAN2", "RIGHT_SHIFT", "BITWISE_XOR")
ELEMENTWISE_UNARY = ("ABS", "NEG", "SQRT", "RSQRT", "SQUARE", "EXP", "LOG", "SIN", "COS", "FLOOR", "CEIL", "ROUND",
                     "SIGN", "LOGICAL_NOT", "CAST")
ACTIVATIONS = ("RELU", "RELU6", "RELU_N1_TO_1", "RELU_0_TO_1", "LOGISTIC", "TANH", "HARD_SWISH", "LEAKY_RELU",
               "PRELU", "ELU", "GELU")
DATA_MOVES = ("CONCATENATION", "PAD", "PADV2", "MIRROR_PAD", "TRANSPOSE", "GATHER", "GATHER_ND", "SLICE",
              "STRIDED_SLICE", "SPLIT", "SPLIT_V", "PACK", "UNPACK", "TILE", "BROADCAST_TO", "DEPTH_TO_SPACE",
              "SPACE_TO_DEPTH", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "REVERSE_V2", "FILL", "ZEROS_LIKE",
              "ONE_HOT", "EMBEDDING_LOOKUP", "RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR", "DYNAMIC_UPDATE_SLICE")
FREE_RESHAPES = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")
QUANTIZE_OPS = ("QUANTIZE", "DEQUANTIZE")
OTHER_OPS = ("ARG_MAX", "ARG_MIN", "L2_NORMALIZATION", "LOCAL_RESPONSE_NORMALIZATION", "CUMSUM", "SHAPE", "RANK",
             "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE", "IF", "WHILE", "CALL",
             "BROADCAST_ARGS")
SOFTMAXES = ("SOFTMAX", "LOG_SOFTMAX")
REDUCTIONS = ("MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "REDUCE_ANY", "REDUCE_ALL")

zero_mac_family("elementwise", ELEMENTWISE_BINARY + ELEMENTWISE_UNARY)
zero_mac_family("activation", ACTIVATIONS)
zero_mac_family("data", DATA_MOVES)
zero_mac_family("reshape", FREE_RESHAPES)
zero_mac_family("quantize", QUANTIZE_OPS)
zero_mac_family("other", OTHER_OPS)
zero_mac_family("softmax", SOFTMAXES)


# --------------------------------------------------------------------------------------------- pools
@register("AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D")
def pool2d(ctx: OpContext) -> dict:
    from tflite.Pool2DOptions import Pool2DOptions

    o = ctx.options(Pool2DOptions)
    return {"kind": "pool", "macs": 0, "kernel_h": o.FilterHeight() if o else 0, "kernel_w": o.FilterWidth() if o else 0,
            "stride_h": o.StrideH() if o else 0, "stride_w": o.StrideW() if o else 0,
            "in_channels": _last(ctx.inputs[0].shape), "out_channels": _last(ctx.out.shape)}


@register(*REDUCTIONS)
def reduction(ctx: OpContext) -> dict:
    """Reductions (MEAN = global average pooling in most models): the kernel is the reduced extent."""
    data, axes_t = ctx.input(0), ctx.input(1)
    kernel_h = kernel_w = 1
    axes = axes_t.values() if axes_t is not None else None
    if data is not None and axes is not None and len(data.shape):
        rank = len(data.shape)
        reduced = sorted({int(a) % rank for a in axes.reshape(-1)})
        extents = [data.shape[a] for a in reduced]
        if len(extents) >= 2:
            kernel_h, kernel_w = extents[0], 1
            for e in extents[1:]:
                kernel_w *= e
        elif extents:
            kernel_w = extents[0]
    return {"kind": "pool", "macs": 0, "kernel_h": kernel_h, "kernel_w": kernel_w,
            "in_channels": _last(data.shape) if data is not None else 0, "out_channels": _last(ctx.out.shape)}


# --------------------------------------------------------------------------------------------- convolutions
@register("CONV_2D")
def conv2d(ctx: OpContext) -> dict:
    from tflite.Conv2DOptions import Conv2DOptions

    x, w = ctx.inputs[0], ctx.inputs[1]
    cout, kh, kw, cin_per_group = w.shape  # OHWI
    o = ctx.options(Conv2DOptions)
    return {"kind": "conv", "macs": ctx.out.elements * kh * kw * cin_per_group, "kernel_h": kh, "kernel_w": kw,
            "in_channels": _last(x.shape), "out_channels": cout, "stride_h": o.StrideH() if o else 1,
            "stride_w": o.StrideW() if o else 1, "weight_index": 1}


@register("CONV_3D")
def conv3d(ctx: OpContext) -> dict:
    from tflite.Conv3DOptions import Conv3DOptions

    w = ctx.inputs[1]
    kd, kh, kw, cin, cout = w.shape  # DHWIO
    o = ctx.options(Conv3DOptions)
    return {"kind": "conv", "macs": ctx.out.elements * kd * kh * kw * cin, "kernel_h": kh, "kernel_w": kw * kd,
            "in_channels": cin, "out_channels": cout, "stride_h": o.StrideH() if o else 1,
            "stride_w": o.StrideW() if o else 1, "weight_index": 1}


@register("DEPTHWISE_CONV_2D")
def depthwise(ctx: OpContext) -> dict:
    from tflite.DepthwiseConv2DOptions import DepthwiseConv2DOptions

    x, w = ctx.inputs[0], ctx.inputs[1]
    _, kh, kw, cout = w.shape  # 1HWO
    o = ctx.options(DepthwiseConv2DOptions)
    return {"kind": "depthwise", "macs": ctx.out.elements * kh * kw, "kernel_h": kh, "kernel_w": kw,
            "in_channels": _last(x.shape), "out_channels": cout, "stride_h": o.StrideH() if o else 1,
            "stride_w": o.StrideW() if o else 1, "weight_index": 1}


@register("TRANSPOSE_CONV")
def transpose_conv(ctx: OpContext) -> dict:
    from tflite.TransposeConvOptions import TransposeConvOptions

    w, x = ctx.inputs[1], ctx.inputs[2]  # inputs: output_shape, weights (OHWI), input, [bias]
    cout, kh, kw, cin = w.shape
    pixels = x.elements // max(_last(x.shape, 1), 1)
    o = ctx.options(TransposeConvOptions)
    return {"kind": "transpose_conv", "macs": pixels * kh * kw * cin * cout, "kernel_h": kh, "kernel_w": kw,
            "in_channels": cin, "out_channels": cout, "stride_h": o.StrideH() if o else 1,
            "stride_w": o.StrideW() if o else 1, "weight_index": 1}


# --------------------------------------------------------------------------------------------- matmuls
@register("FULLY_CONNECTED")
def fully_connected(ctx: OpContext) -> dict:
    w = ctx.inputs[1]
    cout, cin = w.shape[0], w.shape[-1]
    return {"kind": "fc", "macs": ctx.out.elements * cin, "kernel_h": 1, "kernel_w": 1, "in_channels": cin,
            "out_channels": cout, "weight_index": 1}


@register("BATCH_MATMUL")
def batch_matmul(ctx: OpContext) -> dict:
    from tflite.BatchMatMulOptions import BatchMatMulOptions

    x, y = ctx.inputs[0], ctx.inputs[1]
    o = ctx.options(BatchMatMulOptions)
    adj_x = bool(o.AdjX()) if o else False
    k = x.shape[-2] if adj_x else x.shape[-1]
    return {"kind": "matmul", "macs": ctx.out.elements * k, "kernel_h": 1, "kernel_w": 1, "in_channels": k,
            "out_channels": _last(ctx.out.shape), "weight_index": 1 if y.constant else None}


# --------------------------------------------------------------------------------------------- recurrent
def _matrix_elements(ctx: OpContext, indices) -> int:
    total = 0
    for i in indices:
        t = ctx.input(i)
        if t is not None and len(t.shape) == 2:
            total += t.shape[0] * t.shape[1]
    return total


def _vector_elements(ctx: OpContext, indices) -> int:
    return sum(ctx.input(i).elements for i in indices if ctx.input(i) is not None)


def _steps_batch(ctx: OpContext, time_major: bool = False, sequence: bool = True) -> tuple[int, int]:
    x = ctx.inputs[0]
    if not sequence or len(x.shape) < 3:
        return 1, (x.shape[0] if x.shape else 1)
    return (x.shape[0], x.shape[1]) if time_major else (x.shape[1], x.shape[0])


def _time_major(ctx: OpContext, cls_name: str) -> bool:
    import importlib

    cls = getattr(importlib.import_module(f"tflite.{cls_name}"), cls_name)
    o = ctx.options(cls)
    return bool(o.TimeMajor()) if o is not None and hasattr(o, "TimeMajor") else False


def _rnn_result(ctx: OpContext, macs: int, cell: int) -> dict:
    return {"kind": "rnn", "macs": int(macs), "kernel_h": 1, "kernel_w": 1, "in_channels": _last(ctx.inputs[0].shape),
            "out_channels": cell, "weight_index": 1}


@register("LSTM", "UNIDIRECTIONAL_SEQUENCE_LSTM")
def lstm(ctx: OpContext) -> dict:
    """Inputs 1-4 input-to-gate, 5-8 recurrent-to-gate, 9-11 peepholes, 16 projection (TFLite LSTM layout)."""
    seq = ctx.op.name == "UNIDIRECTIONAL_SEQUENCE_LSTM"
    steps, batch = _steps_batch(ctx, _time_major(ctx, "UnidirectionalSequenceLSTMOptions") if seq else False, seq)
    per_step = _matrix_elements(ctx, (1, 2, 3, 4, 5, 6, 7, 8, 16)) + _vector_elements(ctx, (9, 10, 11))
    cell = ctx.input(4).shape[0] if ctx.input(4) is not None else 0
    return _rnn_result(ctx, steps * batch * per_step, cell)


@register("BIDIRECTIONAL_SEQUENCE_LSTM")
def bidirectional_lstm(ctx: OpContext) -> dict:
    """Forward weights at inputs 1-8 (+9-11 peepholes, 16 projection), backward at 18-25 (+26-28, 33)."""
    steps, batch = _steps_batch(ctx, _time_major(ctx, "BidirectionalSequenceLSTMOptions"))
    per_step = (_matrix_elements(ctx, (1, 2, 3, 4, 5, 6, 7, 8, 16, 18, 19, 20, 21, 22, 23, 24, 25, 33))
                + _vector_elements(ctx, (9, 10, 11, 26, 27, 28)))
    cell = ctx.input(4).shape[0] if ctx.input(4) is not None else 0
    return _rnn_result(ctx, steps * batch * per_step, cell)


@register("RNN", "UNIDIRECTIONAL_SEQUENCE_RNN")
def rnn(ctx: OpContext) -> dict:
    """Inputs: x, weights [units, n_input], recurrent weights [units, units], bias, hidden state."""
    seq = ctx.op.name == "UNIDIRECTIONAL_SEQUENCE_RNN"
    steps, batch = _steps_batch(ctx, _time_major(ctx, "SequenceRNNOptions") if seq else False, seq)
    return _rnn_result(ctx, steps * batch * _matrix_elements(ctx, (1, 2)), ctx.inputs[1].shape[0])


@register("BIDIRECTIONAL_SEQUENCE_RNN")
def bidirectional_rnn(ctx: OpContext) -> dict:
    """Forward weights/recurrent weights at inputs 1, 2; backward at 5, 6."""
    steps, batch = _steps_batch(ctx, _time_major(ctx, "BidirectionalSequenceRNNOptions"))
    return _rnn_result(ctx, steps * batch * _matrix_elements(ctx, (1, 2, 5, 6)), ctx.inputs[1].shape[0])


@register("SVDF")
def svdf(ctx: OpContext) -> dict:
    """Inputs: x [batch, n_input], feature weights [filters, n_input], time weights [filters, memory], ..."""
    batch = ctx.inputs[0].shape[0] if ctx.inputs[0].shape else 1
    return _rnn_result(ctx, batch * _matrix_elements(ctx, (1, 2)), ctx.inputs[1].shape[0])
