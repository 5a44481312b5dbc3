"""Layer shapes for the kernel grids: constructors, their features and a readable label.

A shape is a flat dict (the shape columns of ``results/<library>.csv``): ``batch, in_h, in_w, in_c, out_h,
out_w, out_c, k_h, k_w, stride_h, stride_w, pad_h, pad_w, ch_mult``. Output sizes follow the usual
``(in + 2 pad - k) // stride + 1`` (leading padding ``pad``, as CMSIS-NN and TFLite use it).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from joulescope_free.hardware.kernels import shape_features  # noqa: E402

SHAPE_COLUMNS = ("batch", "in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "k_h", "k_w", "stride_h", "stride_w",
                 "pad_h", "pad_w", "ch_mult")


def out_size(size: int, k: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - k) // stride + 1


def _shape(in_h, in_w, in_c, out_h, out_w, out_c, k_h=1, k_w=1, stride=1, pad=0, batch=1, ch_mult=1) -> dict:
    stride_h, stride_w = stride if isinstance(stride, tuple) else (stride, stride)
    pad_h, pad_w = pad if isinstance(pad, tuple) else (pad, pad)
    return {"batch": batch, "in_h": in_h, "in_w": in_w, "in_c": in_c, "out_h": out_h, "out_w": out_w,
            "out_c": out_c, "k_h": k_h, "k_w": k_w, "stride_h": stride_h, "stride_w": stride_w, "pad_h": pad_h,
            "pad_w": pad_w, "ch_mult": ch_mult}


def conv_shape(in_h, in_w, in_c, out_c, k_h, k_w, stride=1, pad=0, batch=1) -> dict:
    """``stride``/``pad``: an int or an (h, w) pair."""
    s = _shape(in_h, in_w, in_c, 0, 0, out_c, k_h, k_w, stride, pad, batch)
    s["out_h"] = out_size(in_h, k_h, s["stride_h"], s["pad_h"])
    s["out_w"] = out_size(in_w, k_w, s["stride_w"], s["pad_w"])
    return s


def depthwise_shape(in_h, in_w, in_c, k_h, k_w, stride=1, pad=0, ch_mult=1) -> dict:
    s = conv_shape(in_h, in_w, in_c, in_c * ch_mult, k_h, k_w, stride, pad)
    s["ch_mult"] = ch_mult
    return s


def fc_shape(in_c, out_c, batch=1) -> dict:
    return _shape(1, 1, in_c, 1, 1, out_c, batch=batch)


def eltwise_shape(h, w, c) -> dict:
    return _shape(h, w, c, h, w, c)


def pool_shape(in_h, in_w, c, k_h, k_w, stride, pad=0) -> dict:
    return conv_shape(in_h, in_w, c, c, k_h, k_w, stride, pad)


def softmax_shape(rows, cols) -> dict:
    return _shape(1, 1, cols, 1, 1, cols, batch=rows)


def features(kind: str, shape: dict) -> dict:
    """The features of :func:`joulescope_free.hardware.kernels.shape_features` for this shape."""
    return shape_features(kind, shape["in_h"], shape["in_w"], shape["in_c"], shape["out_h"], shape["out_w"],
                          shape["out_c"], shape["k_h"], shape["k_w"], batch=shape["batch"])


def label(kind: str, shape: dict) -> str:
    """e.g. ``in 16x16x16, out 16x16x16, 3x3, stride 1, pad 1``."""
    if kind == "fc":
        return f"{shape['batch']} x {shape['in_c']} -> {shape['out_c']}"
    if kind in ("add", "mul"):
        return f"{shape['in_h']}x{shape['in_w']}x{shape['in_c']}"
    if kind == "softmax":
        return f"{shape['batch']} rows x {shape['in_c']}"
    text = (f"in {shape['in_h']}x{shape['in_w']}x{shape['in_c']}, out {shape['out_h']}x{shape['out_w']}x"
            f"{shape['out_c']}, {shape['k_h']}x{shape['k_w']}")
    stride = shape["stride_h"] if shape["stride_h"] == shape["stride_w"] else f"{shape['stride_h']}x{shape['stride_w']}"
    pad = shape["pad_h"] if shape["pad_h"] == shape["pad_w"] else f"{shape['pad_h']}x{shape['pad_w']}"
    text += f", stride {stride}, pad {pad}"
    if shape.get("ch_mult", 1) > 1:
        text += f", ch_mult {shape['ch_mult']}"
    return text
