/* The globals a bench driver shares with the Python side (cmsis_nn._case writes them by symbol name; the
 * simulator reads output_buf and status back). Mutable, never constants, so the compiler cannot specialise a
 * kernel for one shape. Included by exactly one file per ELF (cmsis_nn_driver.c, esp_nn_driver.c); a driver
 * may set the buffer sizes before including it. */
#ifndef BENCH_GLOBALS_H
#define BENCH_GLOBALS_H

#include <stdint.h>

#ifndef MAX_INPUT
#define MAX_INPUT (32 * 1024)
#endif
#ifndef MAX_FILTER
#define MAX_FILTER (48 * 1024)
#endif
#ifndef MAX_OUTPUT
#define MAX_OUTPUT (32 * 1024)
#endif
#ifndef MAX_CHANNELS
#define MAX_CHANNELS 1024
#endif

int32_t batch = 1, in_h = 1, in_w = 1, in_c = 1, out_h = 1, out_w = 1, out_c = 1, k_h = 1, k_w = 1;
int32_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, ch_mult = 1;
int32_t input_offset = 0, filter_offset = 0, output_offset = 0, act_min = -128, act_max = 127;
/* per-tensor requantisation (fc, mul, add output); softmax: input multiplier and left shift */
int32_t out_mult = 1 << 30, out_shift = 0;
/* add: input rescaling */
int32_t in1_offset = 0, in1_mult = 1 << 30, in1_shift = 0, in2_offset = 0, in2_mult = 1 << 30, in2_shift = 0;
int32_t left_shift = 20;
/* softmax */
int32_t sm_rows = 1, sm_cols = 1, sm_diff_min = -128;

int8_t input_buf[MAX_INPUT] __attribute__((aligned(8)));
int8_t input2_buf[MAX_INPUT] __attribute__((aligned(8)));
int8_t filter_buf[MAX_FILTER] __attribute__((aligned(8)));
int32_t bias_buf[MAX_CHANNELS];
int32_t mult_buf[MAX_CHANNELS];
int32_t shift_buf[MAX_CHANNELS];
int8_t output_buf[MAX_OUTPUT] __attribute__((aligned(8)));
int32_t status = 12345;

#endif
