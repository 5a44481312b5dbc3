"""numpy int8 references for the TFLite Micro reference kernels (and the microTVM-style loops), written from the
TFLite quantisation spec and gemmlowp's fixed-point definitions, independently of the C code they check.

Conventions follow the TFLite params structs: ``*_offset`` is minus the zero point; per-channel ``multipliers`` are
Q31 in [2^30, 2^31) and ``shifts`` are left shifts (negative = right). Arrays are NHWC; everything is computed in
int64 so nothing wraps silently.
"""
from __future__ import annotations

import numpy as np

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def _trunc_div(num, den):
    """C integer division (rounds toward zero)."""
    num = np.asarray(num, dtype=np.int64)
    q = np.abs(num) // den
    return np.where(num < 0, -q, q)


def saturating_rounding_doubling_high_mul(a, b):
    """gemmlowp::SaturatingRoundingDoublingHighMul for int32."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    out = _trunc_div(ab + nudge, 1 << 31)
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, out)


def rounding_divide_by_pot(x, exponent):
    """gemmlowp::RoundingDivideByPOT: round half away from zero."""
    x, exponent = np.asarray(x, dtype=np.int64), np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def requantize_double(acc, multiplier, shift):
    """TFLite's MultiplyByQuantizedMultiplier (the default double-rounding build, TFLITE_SINGLE_ROUNDING unset)."""
    shift = np.asarray(shift, dtype=np.int64)
    left, right = np.maximum(shift, 0), np.maximum(-shift, 0)
    scaled = np.asarray(acc, dtype=np.int64) * (np.int64(1) << left)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(scaled, multiplier), right)


def requantize_single(acc, multiplier, shift):
    """One rounding step, (acc * multiplier + 2^(30 - shift)) >> (31 - shift): TVM's q_multiply_shift."""
    total = 31 - np.asarray(shift, dtype=np.int64)
    prod = np.asarray(acc, dtype=np.int64) * np.asarray(multiplier, dtype=np.int64)
    return (prod + (np.int64(1) << (total - 1))) >> total


def _finish(acc, multipliers, shifts, output_offset, act_min, act_max, requantize):
    out = requantize(acc, multipliers, shifts) + output_offset
    return np.clip(out, act_min, act_max).astype(np.int8)


def _windows(x, input_offset, k_h, k_w, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    """(batch, out_h, out_w, k_h, k_w, c) windows of x + input_offset, zero where the window leaves the image
    (TFLite skips those taps, which is the same as adding zero)."""
    n, in_h, in_w, c = x.shape
    shifted = x.astype(np.int64) + input_offset
    need_h = (out_h - 1) * stride_h + k_h
    need_w = (out_w - 1) * stride_w + k_w
    padded = np.zeros((n, max(need_h, pad_h + in_h), max(need_w, pad_w + in_w), c), dtype=np.int64)
    padded[:, pad_h:pad_h + in_h, pad_w:pad_w + in_w, :] = shifted
    win = np.lib.stride_tricks.sliding_window_view(padded, (k_h, k_w), axis=(1, 2))  # n, H', W', c, k_h, k_w
    win = win[:, ::stride_h, ::stride_w][:, :out_h, :out_w]
    return np.moveaxis(win, 3, -1)  # n, out_h, out_w, k_h, k_w, c


def conv(x, w, bias, *, input_offset, output_offset, multipliers, shifts, stride=(1, 1), pad=(0, 0),
         out_hw=None, act=(-128, 127), requantize=requantize_double):
    """int8 conv: x (n, h, w, c_in), w (c_out, k_h, k_w, c_in), per-channel requantisation."""
    c_out, k_h, k_w, _ = w.shape
    out_h, out_w = out_hw
    win = _windows(x, input_offset, k_h, k_w, stride[0], stride[1], pad[0], pad[1], out_h, out_w)
    acc = np.einsum("nyxijc,oijc->nyxo", win, w.astype(np.int64)) + bias.astype(np.int64)
    return _finish(acc, multipliers, shifts, output_offset, act[0], act[1], requantize)


def depthwise(x, w, bias, *, input_offset, output_offset, multipliers, shifts, depth_multiplier=1,
              stride=(1, 1), pad=(0, 0), out_hw=None, act=(-128, 127), requantize=requantize_double):
    """int8 depthwise conv: x (n, h, w, c_in), w (1, k_h, k_w, c_in * depth_multiplier); output channel
    ic * depth_multiplier + m reads input channel ic."""
    _, k_h, k_w, c_out = w.shape
    out_h, out_w = out_hw
    win = _windows(x, input_offset, k_h, k_w, stride[0], stride[1], pad[0], pad[1], out_h, out_w)
    win = np.repeat(win, depth_multiplier, axis=-1)  # channel ic*m + j <- ic
    acc = np.einsum("nyxijc,ijc->nyxc", win, w[0].astype(np.int64)) + bias.astype(np.int64)
    return _finish(acc, multipliers, shifts, output_offset, act[0], act[1], requantize)


def fully_connected(x, w, bias, *, input_offset, weights_offset, output_offset, multiplier, shift,
                    act=(-128, 127), requantize=requantize_double):
    """int8 fully connected, per-tensor: x (rows, depth), w (out, depth)."""
    acc = (x.astype(np.int64) + input_offset) @ (w.astype(np.int64) + weights_offset).T + bias.astype(np.int64)
    return _finish(acc, multiplier, shift, output_offset, act[0], act[1], requantize)


def add(a, b, *, input1_offset, input2_offset, output_offset, left_shift, input1_multiplier, input1_shift,
        input2_multiplier, input2_shift, output_multiplier, output_shift, act=(-128, 127)):
    """TFLite int8 ADD: both inputs rescaled to a common scale (shifts <= 0), summed, requantised."""
    def scaled(v, offset, mult, sh):
        shifted = (v.astype(np.int64) + offset) * (1 << left_shift)
        return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, mult), -sh)

    raw = scaled(a, input1_offset, input1_multiplier, input1_shift) + \
        scaled(b, input2_offset, input2_multiplier, input2_shift)
    out = rounding_divide_by_pot(saturating_rounding_doubling_high_mul(raw, output_multiplier), -output_shift)
    return np.clip(out + output_offset, act[0], act[1]).astype(np.int8)


def mul(a, b, *, input1_offset, input2_offset, output_offset, output_multiplier, output_shift, act=(-128, 127)):
    """TFLite int8 MUL."""
    prod = (a.astype(np.int64) + input1_offset) * (b.astype(np.int64) + input2_offset)
    return _finish(prod, output_multiplier, output_shift, output_offset, act[0], act[1], requantize_double)


def _pool_windows(x, k_h, k_w, stride, pad, out_hw, fill):
    """Pooling windows with out-of-image taps set to ``fill`` and the count of in-image taps."""
    n, in_h, in_w, c = x.shape
    out_h, out_w = out_hw
    need_h, need_w = (out_h - 1) * stride[0] + k_h, (out_w - 1) * stride[1] + k_w
    shape = (n, max(need_h, pad[0] + in_h), max(need_w, pad[1] + in_w), c)
    padded = np.full(shape, fill, dtype=np.int64)
    inside = np.zeros(shape, dtype=np.int64)
    padded[:, pad[0]:pad[0] + in_h, pad[1]:pad[1] + in_w, :] = x
    inside[:, pad[0]:pad[0] + in_h, pad[1]:pad[1] + in_w, :] = 1

    def view(a):
        w = np.lib.stride_tricks.sliding_window_view(a, (k_h, k_w), axis=(1, 2))
        return w[:, ::stride[0], ::stride[1]][:, :out_h, :out_w]  # n, out_h, out_w, c, k_h, k_w
    return view(padded), view(inside).sum(axis=(-1, -2))


def avgpool(x, *, k_h, k_w, stride=(1, 1), pad=(0, 0), out_hw=None, act=(-128, 127)):
    """TFLite int8 AVERAGE_POOL_2D: mean of the in-image taps, rounded half away from zero."""
    win, count = _pool_windows(x, k_h, k_w, stride, pad, out_hw, 0)
    acc = win.sum(axis=(-1, -2))
    out = np.where(acc > 0, _trunc_div(acc + count // 2, count), _trunc_div(acc - count // 2, count))
    return np.clip(out, act[0], act[1]).astype(np.int8)


def maxpool(x, *, k_h, k_w, stride=(1, 1), pad=(0, 0), out_hw=None, act=(-128, 127)):
    """TFLite int8 MAX_POOL_2D over the in-image taps."""
    win, _ = _pool_windows(x, k_h, k_w, stride, pad, out_hw, -(1 << 20))
    return np.clip(win.max(axis=(-1, -2)), act[0], act[1]).astype(np.int8)


# --------------------------------------------------------------------------------------------- softmax
# gemmlowp fixed point (fixedpoint/fixedpoint.h), scalar: a Qm.n value is its int32 raw; Q0 * Qk -> SRDHM of raws.
def _srdhm(a: int, b: int) -> int:
    return int(saturating_rounding_doubling_high_mul(a, b))


def _rdbpot(x: int, exponent: int) -> int:
    return int(rounding_divide_by_pot(x, exponent))


def _saturating_shift_left(x: int, exponent: int) -> int:
    threshold = (1 << (31 - exponent)) - 1
    return INT32_MAX if x > threshold else INT32_MIN if x < -threshold else x << exponent


def _exp_on_interval_quarter(a: int) -> int:
    """exp(a) for a in [-1/4, 0), Q0.31 in and out (Taylor series around -1/8)."""
    x = a + (1 << 28)
    x2 = _srdhm(x, x)
    x3 = _srdhm(x2, x)
    x4 = _srdhm(x2, x2)
    poly = _rdbpot(_srdhm(_rdbpot(x4, 2) + x3, 715827883) + x2, 1)
    return 1895147668 + _srdhm(1895147668, x + poly)


def exp_on_negative_values_q5(a: int) -> int:
    """gemmlowp::exp_on_negative_values for a Q5.26 input (the softmax's scaled difference): Q0.31 result."""
    if a == 0:
        return INT32_MAX
    quarter = 1 << 24
    a_mod = (a & (quarter - 1)) - quarter
    result = _exp_on_interval_quarter(_saturating_shift_left(a_mod, 5))
    remainder = a_mod - a
    for exponent, multiplier in ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
                                 (2, 39332535), (3, 720401), (4, 242)):
        if remainder & (1 << (26 + exponent)):
            result = _srdhm(result, multiplier)
    return result


def _one_over_one_plus_x(a: int) -> int:
    """gemmlowp::one_over_one_plus_x_for_x_in_0_1 (Newton-Raphson, Q0.31 in and out)."""
    total = a + INT32_MAX
    half_denominator = int(_trunc_div(total + (1 if total >= 0 else -1), 2))
    x = 1515870810 + _srdhm(half_denominator, -1010580540)  # Q2.29
    for _ in range(3):
        one_minus = (1 << 29) - _srdhm(half_denominator, x)
        x = x + _saturating_shift_left(_srdhm(x, one_minus), 2)
    return _saturating_shift_left(x, 1)


def softmax(x, *, input_multiplier, input_left_shift, diff_min):
    """TFLite int8 -> int8 SOFTMAX over the last axis (output zero point -128, scale 1/256)."""
    x = np.asarray(x, dtype=np.int64)
    out = np.full(x.shape, -128, dtype=np.int8)
    for row, values in zip(out.reshape(-1, x.shape[-1]), x.reshape(-1, x.shape[-1])):
        diffs = [int(v) - int(values.max()) for v in values]
        exps = [exp_on_negative_values_q5(_srdhm(d * (1 << input_left_shift), input_multiplier))
                if d >= diff_min else None for d in diffs]
        sum_of_exps = sum(_rdbpot(e, 12) for e in exps if e is not None)  # Q12.19
        headroom_plus_one = 32 - int(sum_of_exps).bit_length()
        num_bits_over_unit = 12 - headroom_plus_one
        shifted = ((sum_of_exps << headroom_plus_one) - (1 << 31)) & 0xFFFFFFFF
        scale = _one_over_one_plus_x(shifted - (1 << 32) if shifted >= 1 << 31 else shifted)
        exponent = num_bits_over_unit + 31 - 8
        for c, e in enumerate(exps):
            if e is not None:
                row[c] = min(max(_rdbpot(_srdhm(scale, e), exponent) - 128, -128), 127)
    return out
