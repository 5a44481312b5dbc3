/* Representative microTVM "untuned" int8 kernels, written for this harness: NOT TVM output.
 *
 * They mirror the structure of the C that TVM's AOT executor generates for a QNN int8 model with the default
 * (untuned) TOPI schedules conv2d_nhwc / depthwise_conv2d_nhwc / dense on the C target:
 *   1. a reduction stage that writes an int32 workspace tensor, updating the workspace element in memory on every
 *      step, `ws[i] = ws[i] + ((int32_t)a) * ((int32_t)b)`; the input padding (qnn.conv2d pads with the input
 *      zero point) is an inlined select inside the reduction, as AutoInlineInjective leaves it;
 *   2. a separate fused elementwise loop: + folded per-channel constant (bias - input_zp x sum of weights),
 *      fixed_point_multiply (q_multiply_shift: one rounding, int64), + output zero point, clip, cast to int8.
 * Shapes and parameters are mutable globals written by microtvm.py, so nothing is specialised at compile time
 * (TVM specialises its loops to each layer's constant shape; that changes loop overhead a little, not the
 * per-MAC inner loop).
 */
#include <stdint.h>

#include "tflm_reference_sizes.h"

/* Variant: 0 conv, 1 depthwise, 2 fc (microtvm.py VARIANT_IDS). */
int32_t g_variant = 0;
int32_t g_batch = 1, g_in_h = 1, g_in_w = 1, g_in_c = 1, g_out_h = 1, g_out_w = 1, g_out_c = 1;
int32_t g_k_h = 1, g_k_w = 1, g_stride_h = 1, g_stride_w = 1, g_pad_h = 0, g_pad_w = 0;
int32_t g_input_zero_point = 0, g_output_zero_point = 0, g_act_min = -128, g_act_max = 127;
int32_t g_multipliers[BENCH_MAX_CHANNELS]; /* per output channel (fc: the same value in every entry) */
int32_t g_shifts[BENCH_MAX_CHANNELS];
int32_t g_bias[BENCH_MAX_CHANNELS]; /* folded: bias - input_zp x sum(weights of the channel) */
int8_t g_input[BENCH_ACT_BYTES];
int8_t g_filter[BENCH_WEIGHT_BYTES];
int8_t g_output[BENCH_ACT_BYTES];
int32_t g_workspace[BENCH_ACT_BYTES]; /* the int32 reduction tensor (TVM's global workspace) */

void bench_entry(void);

/* q_multiply_shift as TVM lowers fixed_point_multiply: (x * m + 2^(30 - s)) >> (31 - s), in int64. */
static inline int32_t q_multiply_shift(int32_t x, int32_t multiplier, int32_t shift) {
  const int32_t total = 31 - shift;
  return (int32_t)((((int64_t)x) * ((int64_t)multiplier) + (((int64_t)1) << (total - 1))) >> ((int64_t)total));
}

/* The fused elementwise stage (subtract/add, fixed_point_multiply, add, clip, cast). */
__attribute__((noinline)) static void requantize_stage(int32_t pixels, int32_t channels) {
  for (int32_t p = 0; p < pixels; ++p) {
    for (int32_t c = 0; c < channels; ++c) {
      int32_t v = q_multiply_shift(g_workspace[p * channels + c] + g_bias[c], g_multipliers[c], g_shifts[c]) +
                  g_output_zero_point;
      v = v < g_act_max ? v : g_act_max;
      v = v > g_act_min ? v : g_act_min;
      g_output[p * channels + c] = (int8_t)v;
    }
  }
}

__attribute__((noinline)) static void conv2d_nhwc(void) {
  for (int32_t n = 0; n < g_batch; ++n) {
    for (int32_t yy = 0; yy < g_out_h; ++yy) {
      for (int32_t xx = 0; xx < g_out_w; ++xx) {
        for (int32_t ff = 0; ff < g_out_c; ++ff) {
          const int32_t o = ((n * g_out_h + yy) * g_out_w + xx) * g_out_c + ff;
          g_workspace[o] = 0;
          for (int32_t ry = 0; ry < g_k_h; ++ry) {
            for (int32_t rx = 0; rx < g_k_w; ++rx) {
              for (int32_t rc = 0; rc < g_in_c; ++rc) {
                const int32_t iy = yy * g_stride_h + ry - g_pad_h, ix = xx * g_stride_w + rx - g_pad_w;
                g_workspace[o] = g_workspace[o] +
                    ((int32_t)(((0 <= iy) && (iy < g_in_h) && (0 <= ix) && (ix < g_in_w))
                                   ? g_input[((n * g_in_h + iy) * g_in_w + ix) * g_in_c + rc]
                                   : (int8_t)g_input_zero_point)) *
                    ((int32_t)g_filter[((ff * g_k_h + ry) * g_k_w + rx) * g_in_c + rc]);
              }
            }
          }
        }
      }
    }
  }
  requantize_stage(g_batch * g_out_h * g_out_w, g_out_c);
}

__attribute__((noinline)) static void depthwise_conv2d_nhwc(void) {
  for (int32_t n = 0; n < g_batch; ++n) {
    for (int32_t yy = 0; yy < g_out_h; ++yy) {
      for (int32_t xx = 0; xx < g_out_w; ++xx) {
        for (int32_t c = 0; c < g_out_c; ++c) {
          const int32_t o = ((n * g_out_h + yy) * g_out_w + xx) * g_out_c + c;
          g_workspace[o] = 0;
          for (int32_t ry = 0; ry < g_k_h; ++ry) {
            for (int32_t rx = 0; rx < g_k_w; ++rx) {
              const int32_t iy = yy * g_stride_h + ry - g_pad_h, ix = xx * g_stride_w + rx - g_pad_w;
              g_workspace[o] = g_workspace[o] +
                  ((int32_t)(((0 <= iy) && (iy < g_in_h) && (0 <= ix) && (ix < g_in_w))
                                 ? g_input[((n * g_in_h + iy) * g_in_w + ix) * g_in_c + c]
                                 : (int8_t)g_input_zero_point)) *
                  ((int32_t)g_filter[(ry * g_k_w + rx) * g_out_c + c]);
            }
          }
        }
      }
    }
  }
  requantize_stage(g_batch * g_out_h * g_out_w, g_out_c);
}

__attribute__((noinline)) static void dense(void) {
  for (int32_t i = 0; i < g_batch; ++i) {
    for (int32_t j = 0; j < g_out_c; ++j) {
      g_workspace[i * g_out_c + j] = 0;
      for (int32_t k = 0; k < g_in_c; ++k) {
        g_workspace[i * g_out_c + j] = g_workspace[i * g_out_c + j] +
            ((int32_t)g_input[i * g_in_c + k]) * ((int32_t)g_filter[j * g_in_c + k]);
      }
    }
  }
  requantize_stage(g_batch, g_out_c);
}

void bench_entry(void) {
  switch (g_variant) {
    case 0: conv2d_nhwc(); break;
    case 1: depthwise_conv2d_nhwc(); break;
    case 2: dense(); break;
    default: break;
  }
}
