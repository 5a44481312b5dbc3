/* Bare-metal driver for the ESP-NN s8 kernels (espressif/esp-nn, generic C).
 *
 * Same globals (bench_globals.h) and entry points as cmsis_nn_driver.c, so cmsis_nn._case fills them and
 * checks the output. bench_<variant>() makes ONE kernel call the way
 * esp-tflite-micro's kernels do (per-channel requantisation for conv/depthwise, per-tensor for fully connected,
 * add and mul, the fully-connected kernel once per batch row); outputs land in output_buf, status is set to 0.
 *
 * bench_<kind>() calls what ESP-NN dispatches by default on chips without assembly kernels (ESP32, ESP32-C3):
 * include/esp_nn_generic_opt.h, selected by CONFIG_NN_OPTIMIZED (the Kconfig default), maps conv, depthwise and
 * softmax to the *_opt versions and everything else to *_ansi. bench_<kind>_ansi() calls the *_ansi reference
 * versions that CONFIG_NN_ANSI_C selects (include/esp_nn_ansi_c.h). */
#include <stdint.h>
#include <stddef.h>

#include "esp_nn_ansi_headers.h"

#include "bench_globals.h"

int32_t scratch_buf[MAX_OUTPUT / 4]; /* softmax_opt: one row of exponentials, 4 bytes per column */

static data_dims_t input_dims, filter_dims, output_dims;
static quant_data_t quant;

static void set_dims(void)
{
    input_dims = (data_dims_t){in_w, in_h, in_c, batch};
    filter_dims = (data_dims_t){k_w, k_h, in_c, out_c};
    output_dims = (data_dims_t){out_w, out_h, out_c, batch};
    quant = (quant_data_t){shift_buf, mult_buf};
}

typedef void conv_fn(const data_dims_t *, const int8_t *, const data_dims_t *, const int8_t *, const int32_t *,
                     const data_dims_t *, int8_t *, const conv_params_t *, const quant_data_t *);
typedef void dw_fn(const data_dims_t *, const int8_t *, const data_dims_t *, const int8_t *, const int32_t *,
                   const data_dims_t *, int8_t *, const dw_conv_params_t *, const quant_data_t *);
typedef void softmax_fn(const int8_t *, int32_t, int32_t, int32_t, int32_t, int32_t, int8_t *);

static void run_conv(conv_fn *fn)
{
    set_dims();
    const conv_params_t p = {input_offset, output_offset, {stride_w, stride_h}, {pad_w, pad_h}, {1, 1},
                             {act_min, act_max}};
    fn(&input_dims, input_buf, &filter_dims, filter_buf, bias_buf, &output_dims, output_buf, &p, &quant);
    status = 0;
}

static void run_depthwise(dw_fn *fn)
{
    set_dims();
    filter_dims.channels = 0; /* as esp-tflite-micro and ESP-NN's tests pass it */
    const dw_conv_params_t p = {input_offset, output_offset, ch_mult, {stride_w, stride_h}, {pad_w, pad_h}, {1, 1},
                                {act_min, act_max}};
    fn(&input_dims, input_buf, &filter_dims, filter_buf, bias_buf, &output_dims, output_buf, &p, &quant);
    status = 0;
}

static void run_softmax(softmax_fn *fn)
{
    fn(input_buf, sm_rows, sm_cols, out_mult, out_shift, sm_diff_min, output_buf);
    status = 0;
}

void bench_conv(void) { run_conv(esp_nn_conv_s8_opt); }
void bench_conv_1x1(void) { run_conv(esp_nn_conv_s8_opt); } /* esp_nn_conv_s8_opt takes its 1x1 path itself */
void bench_conv_ansi(void) { run_conv(esp_nn_conv_s8_ansi); }
void bench_depthwise(void) { run_depthwise(esp_nn_depthwise_conv_s8_opt); }
void bench_depthwise_ansi(void) { run_depthwise(esp_nn_depthwise_conv_s8_ansi); }

void bench_fc(void)
{
    for (int32_t row = 0; row < batch; row++) {
        esp_nn_fully_connected_s8_ansi(input_buf + row * in_c, input_offset, (uint16_t)in_c, filter_buf,
                                       filter_offset, bias_buf, output_buf + row * out_c, (uint16_t)out_c,
                                       output_offset, out_shift, out_mult, act_min, act_max);
    }
    status = 0;
}

void bench_add(void)
{
    esp_nn_add_elementwise_s8_ansi(input_buf, input2_buf, in1_offset, in2_offset, in1_mult, in2_mult, in1_shift,
                                   in2_shift, left_shift, output_buf, output_offset, out_mult, out_shift, act_min,
                                   act_max, batch * out_h * out_w * out_c);
    status = 0;
}

void bench_mul(void)
{
    esp_nn_mul_elementwise_s8_ansi(input_buf, input2_buf, in1_offset, in2_offset, output_buf, output_offset,
                                   out_mult, out_shift, act_min, act_max, batch * out_h * out_w * out_c);
    status = 0;
}

typedef void pool_fn(const int8_t *, uint16_t, uint16_t, int8_t *, uint16_t, uint16_t, uint16_t, uint16_t,
                     uint16_t, uint16_t, uint16_t, uint16_t, int32_t, int32_t, uint16_t);

static void run_pool(pool_fn *fn)
{
    fn(input_buf, in_w, in_h, output_buf, out_w, out_h, stride_w, stride_h, k_w, k_h, pad_w, pad_h, act_min, act_max,
       in_c);
    status = 0;
}

void bench_avgpool(void) { run_pool(esp_nn_avg_pool_s8_ansi); }
void bench_maxpool(void) { run_pool(esp_nn_max_pool_s8_ansi); }

void bench_softmax(void)
{
    esp_nn_set_softmax_scratch_buf_opt(scratch_buf);
    run_softmax(esp_nn_softmax_s8_opt);
}

void bench_softmax_ansi(void) { run_softmax(esp_nn_softmax_s8_ansi); }
