/* Bare-metal driver for the CMSIS-NN s8 kernels (both snapshots: -DCMSIS_NN_V7 for v7.0.0, else 2020-09).
 *
 * Shapes and quantisation parameters are mutable globals written by the simulator before each call (never
 * constants, so the compiler cannot specialise the kernel). Each bench_<variant>() fills the cmsis_nn_* structs
 * and calls the function the library's wrapper (arm_convolve_wrapper_s8 / arm_depthwise_conv_wrapper_s8) selects
 * for that variant, directly. Outputs land in output_buf; the status in status. */
#include <stdint.h>
#include <stddef.h>
#include "arm_nnfunctions.h"

#define MAX_INPUT (96 * 1024)
#define MAX_FILTER (96 * 1024)
#define MAX_OUTPUT (96 * 1024)
#define MAX_CHANNELS 1024
#define MAX_SCRATCH (64 * 1024)

#include "bench_globals.h"  /* shapes, quantisation, buffers, status: shared with esp_nn_driver.c */

int8_t scratch_buf[MAX_SCRATCH] __attribute__((aligned(8)));

static cmsis_nn_context ctx;
static cmsis_nn_dims input_dims, filter_dims, bias_dims, output_dims;
static cmsis_nn_per_channel_quant_params pc_quant;

static void set_dims(void)
{
    ctx.buf = scratch_buf;
    ctx.size = MAX_SCRATCH;
    input_dims.n = batch; input_dims.h = in_h; input_dims.w = in_w; input_dims.c = in_c;
    output_dims.n = batch; output_dims.h = out_h; output_dims.w = out_w; output_dims.c = out_c;
    filter_dims.n = out_c; filter_dims.h = k_h; filter_dims.w = k_w; filter_dims.c = in_c;
    bias_dims.n = 1; bias_dims.h = 1; bias_dims.w = 1; bias_dims.c = out_c;
    pc_quant.multiplier = mult_buf;
    pc_quant.shift = shift_buf;
}

static cmsis_nn_conv_params conv_params(void)
{
    cmsis_nn_conv_params p;
    p.input_offset = input_offset; p.output_offset = output_offset;
    p.stride.h = stride_h; p.stride.w = stride_w; p.padding.h = pad_h; p.padding.w = pad_w;
    p.dilation.h = 1; p.dilation.w = 1;
    p.activation.min = act_min; p.activation.max = act_max;
    return p;
}

static cmsis_nn_dw_conv_params dw_params(void)
{
    cmsis_nn_dw_conv_params p;
    p.input_offset = input_offset; p.output_offset = output_offset; p.ch_mult = ch_mult;
    p.stride.h = stride_h; p.stride.w = stride_w; p.padding.h = pad_h; p.padding.w = pad_w;
    p.dilation.h = 1; p.dilation.w = 1;
    p.activation.min = act_min; p.activation.max = act_max;
    return p;
}

static cmsis_nn_pool_params pool_params(void)
{
    cmsis_nn_pool_params p;
    p.stride.h = stride_h; p.stride.w = stride_w; p.padding.h = pad_h; p.padding.w = pad_w;
    p.activation.min = act_min; p.activation.max = act_max;
    return p;
}

#ifdef CMSIS_NN_V7
typedef arm_cmsis_nn_status nn_status;
#else
typedef arm_status nn_status;
#endif
typedef nn_status (*conv_fn)(const cmsis_nn_context *, const cmsis_nn_conv_params *,
                             const cmsis_nn_per_channel_quant_params *, const cmsis_nn_dims *, const int8_t *,
                             const cmsis_nn_dims *, const int8_t *, const cmsis_nn_dims *, const int32_t *,
                             const cmsis_nn_dims *, int8_t *);
typedef nn_status (*dw_fn)(const cmsis_nn_context *, const cmsis_nn_dw_conv_params *,
                           const cmsis_nn_per_channel_quant_params *, const cmsis_nn_dims *, const int8_t *,
                           const cmsis_nn_dims *, const int8_t *, const cmsis_nn_dims *, const int32_t *,
                           const cmsis_nn_dims *, int8_t *);

#define CONV_ARGS &ctx, &p, &pc_quant, &input_dims, input_buf, &filter_dims, filter_buf, &bias_dims, bias_buf

static void run_conv(conv_fn fn)
{
    set_dims();
    cmsis_nn_conv_params p = conv_params();
    status = fn(CONV_ARGS, &output_dims, output_buf);
}

static void run_depthwise(dw_fn fn)
{
    set_dims();
    filter_dims.n = 1; filter_dims.c = out_c;
    cmsis_nn_dw_conv_params p = dw_params();
    status = fn(CONV_ARGS, &output_dims, output_buf);
}

void bench_conv(void)
{
    set_dims();
    cmsis_nn_conv_params p = conv_params();
#ifdef CMSIS_NN_V7
    status = arm_convolve_s8(CONV_ARGS, NULL, &output_dims, output_buf);
#else
    status = arm_convolve_s8(CONV_ARGS, &output_dims, output_buf);
#endif
}

void bench_conv_1x1(void) { run_conv(arm_convolve_1x1_s8_fast); }
#ifdef CMSIS_NN_V7
void bench_conv_1x1_strided(void) { run_conv(arm_convolve_1x1_s8); }
#endif
void bench_conv_1xn(void) { run_conv(arm_convolve_1_x_n_s8); }
void bench_depthwise(void) { run_depthwise(arm_depthwise_conv_s8); }
void bench_depthwise_opt(void) { run_depthwise(arm_depthwise_conv_s8_opt); }
void bench_depthwise_3x3(void) { run_depthwise(arm_depthwise_conv_3x3_s8); }

void bench_fc(void)
{
    set_dims();
    /* fc: input_dims.n = rows; filter_dims.n = accumulation depth (in_c); output_dims.c = out_c */
    input_dims.h = 1; input_dims.w = 1;
    filter_dims.n = in_c; filter_dims.h = 1; filter_dims.w = 1; filter_dims.c = out_c;
    output_dims.h = 1; output_dims.w = 1;
    cmsis_nn_fc_params p;
    p.input_offset = input_offset; p.filter_offset = filter_offset; p.output_offset = output_offset;
    p.activation.min = act_min; p.activation.max = act_max;
    cmsis_nn_per_tensor_quant_params q;
    q.multiplier = out_mult; q.shift = out_shift;
    status = arm_fully_connected_s8(&ctx, &p, &q, &input_dims, input_buf, &filter_dims, filter_buf, &bias_dims,
                                    bias_buf, &output_dims, output_buf);
}

void bench_add(void)
{
    status = arm_elementwise_add_s8(input_buf, input2_buf, in1_offset, in1_mult, in1_shift, in2_offset, in2_mult,
                                    in2_shift, left_shift, output_buf, output_offset, out_mult, out_shift, act_min,
                                    act_max, batch * out_h * out_w * out_c);
}

void bench_mul(void)
{
    status = arm_elementwise_mul_s8(input_buf, input2_buf, in1_offset, in2_offset, output_buf, output_offset,
                                    out_mult, out_shift, act_min, act_max, batch * out_h * out_w * out_c);
}

void bench_avgpool(void)
{
    set_dims();
    filter_dims.n = 1; filter_dims.c = 1;
    cmsis_nn_pool_params p = pool_params();
    status = arm_avgpool_s8(&ctx, &p, &input_dims, input_buf, &filter_dims, &output_dims, output_buf);
}

void bench_maxpool(void)
{
    set_dims();
    filter_dims.n = 1; filter_dims.c = 1;
    cmsis_nn_pool_params p = pool_params();
    status = arm_max_pool_s8(&ctx, &p, &input_dims, input_buf, &filter_dims, &output_dims, output_buf);
}

void bench_softmax(void)
{
    arm_softmax_s8(input_buf, sm_rows, sm_cols, out_mult, out_shift, sm_diff_min, output_buf);
    status = 0;
}
