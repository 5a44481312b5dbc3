// Bare-metal driver for the TFLite Micro reference int8 kernels (header-only, tensorflow/lite/kernels/internal/
// reference). Written for this harness: bench_entry() runs ONE kernel call, chosen by g_variant, on the shapes and
// quantisation parameters the Python side writes into the mutable globals below (mutable so the compiler cannot
// specialise the kernel for one shape). Each kernel is called exactly as tensorflow/lite/micro/kernels/*.cc calls it
// for int8 tensors (conv.cc -> ConvPerChannel, depthwise_conv.cc -> DepthwiseConvPerChannel, fully_connected.cc ->
// FullyConnected (per-tensor), add.cc -> Add, mul.cc -> Mul, pooling.cc -> AveragePool / MaxPool, softmax.cc ->
// reference_ops::Softmax<int8_t, int8_t>).
#include <cstdint>

#include "tensorflow/lite/kernels/internal/reference/integer_ops/add.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/conv.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/fully_connected.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/mul.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/pooling.h"
#include "tensorflow/lite/kernels/internal/reference/softmax.h"

#include "tflm_reference_sizes.h"

extern "C" {
// Variant: 0 conv, 1 depthwise, 2 fc, 3 add, 4 mul, 5 avgpool, 6 maxpool, 7 softmax (tflm_reference.py VARIANT_IDS).
int32_t g_variant = 0;
// Shape (NHWC). fc: in_c = accumulation depth, out_c = output features, batch = rows.
int32_t g_batch = 1, g_in_h = 1, g_in_w = 1, g_in_c = 1, g_out_h = 1, g_out_w = 1, g_out_c = 1;
int32_t g_k_h = 1, g_k_w = 1, g_stride_h = 1, g_stride_w = 1, g_pad_h = 0, g_pad_w = 0, g_depth_multiplier = 1;
// Quantisation: offsets are minus the zero points, as in the TFLite params structs.
int32_t g_input_offset = 0, g_input2_offset = 0, g_weights_offset = 0, g_output_offset = 0;
int32_t g_act_min = -128, g_act_max = 127;
int32_t g_output_multiplier = 1 << 30, g_output_shift = 0;  // per-tensor (fc, add, mul)
int32_t g_left_shift = 0, g_input1_multiplier = 1 << 30, g_input1_shift = 0;  // add
int32_t g_input2_multiplier = 1 << 30, g_input2_shift = 0;
int32_t g_input_multiplier = 1 << 30, g_input_left_shift = 0, g_diff_min = -128;  // softmax
int32_t g_multipliers[BENCH_MAX_CHANNELS];  // per-channel (conv, depthwise)
int32_t g_shifts[BENCH_MAX_CHANNELS];
int32_t g_bias[BENCH_MAX_CHANNELS];
int8_t g_input[BENCH_ACT_BYTES];
int8_t g_input2[BENCH_ACT_BYTES];
int8_t g_filter[BENCH_WEIGHT_BYTES];
int8_t g_output[BENCH_ACT_BYTES];
void bench_entry(void);
}

namespace {

using tflite::RuntimeShape;

// Built from a dims array, as TFLM's micro::GetTensorShape does.
RuntimeShape shape4(int32_t n, int32_t h, int32_t w, int32_t c) {
  const int32_t dims[4] = {n, h, w, c};
  return RuntimeShape(4, dims);
}

RuntimeShape shape2(int32_t rows, int32_t cols) {
  const int32_t dims[2] = {rows, cols};
  return RuntimeShape(2, dims);
}

RuntimeShape shape1(int32_t n) { return RuntimeShape(1, &n); }

// The fields ConvParams and DepthwiseParams share, as TFLM's conv/depthwise Prepare fills them.
template <typename Params>
Params conv_params() {
  Params p = {};
  p.padding_values.width = g_pad_w;
  p.padding_values.height = g_pad_h;
  p.stride_width = g_stride_w;
  p.stride_height = g_stride_h;
  p.dilation_width_factor = 1;
  p.dilation_height_factor = 1;
  p.input_offset = g_input_offset;
  p.output_offset = g_output_offset;
  p.quantized_activation_min = g_act_min;
  p.quantized_activation_max = g_act_max;
  return p;
}

__attribute__((noinline)) void run_conv() {
  tflite::reference_integer_ops::ConvPerChannel(
      conv_params<tflite::ConvParams>(), g_multipliers, g_shifts, shape4(g_batch, g_in_h, g_in_w, g_in_c), g_input,
      shape4(g_out_c, g_k_h, g_k_w, g_in_c), g_filter, shape1(g_out_c), g_bias,
      shape4(g_batch, g_out_h, g_out_w, g_out_c), g_output);
}

__attribute__((noinline)) void run_depthwise() {
  tflite::DepthwiseParams p = conv_params<tflite::DepthwiseParams>();
  p.depth_multiplier = g_depth_multiplier;
  tflite::reference_integer_ops::DepthwiseConvPerChannel(
      p, g_multipliers, g_shifts, shape4(g_batch, g_in_h, g_in_w, g_in_c), g_input,
      shape4(1, g_k_h, g_k_w, g_out_c), g_filter, shape1(g_out_c), g_bias,
      shape4(g_batch, g_out_h, g_out_w, g_out_c), g_output);
}

__attribute__((noinline)) void run_fc() {
  tflite::FullyConnectedParams p = {};
  p.input_offset = g_input_offset;
  p.weights_offset = g_weights_offset;
  p.output_offset = g_output_offset;
  p.output_multiplier = g_output_multiplier;
  p.output_shift = g_output_shift;
  p.quantized_activation_min = g_act_min;
  p.quantized_activation_max = g_act_max;
  tflite::reference_integer_ops::FullyConnected(
      p, shape2(g_batch, g_in_c), g_input, shape2(g_out_c, g_in_c), g_filter,
      shape1(g_out_c), g_bias, shape2(g_batch, g_out_c), g_output);
}

tflite::ArithmeticParams arithmetic_params() {
  tflite::ArithmeticParams p = {};
  p.input1_offset = g_input_offset;
  p.input2_offset = g_input2_offset;
  p.output_offset = g_output_offset;
  p.output_multiplier = g_output_multiplier;
  p.output_shift = g_output_shift;
  p.left_shift = g_left_shift;
  p.input1_multiplier = g_input1_multiplier;
  p.input1_shift = g_input1_shift;
  p.input2_multiplier = g_input2_multiplier;
  p.input2_shift = g_input2_shift;
  p.quantized_activation_min = g_act_min;
  p.quantized_activation_max = g_act_max;
  return p;
}

__attribute__((noinline)) void run_add() {
  const RuntimeShape s = shape4(g_batch, g_out_h, g_out_w, g_out_c);
  tflite::reference_integer_ops::Add(arithmetic_params(), s, g_input, s, g_input2, s, g_output);
}

__attribute__((noinline)) void run_mul() {
  const RuntimeShape s = shape4(g_batch, g_out_h, g_out_w, g_out_c);
  tflite::reference_integer_ops::Mul(arithmetic_params(), s, g_input, s, g_input2, s, g_output);
}

tflite::PoolParams pool_params() {
  tflite::PoolParams p = {};
  p.padding_values.width = g_pad_w;
  p.padding_values.height = g_pad_h;
  p.stride_height = g_stride_h;
  p.stride_width = g_stride_w;
  p.filter_height = g_k_h;
  p.filter_width = g_k_w;
  p.quantized_activation_min = g_act_min;
  p.quantized_activation_max = g_act_max;
  return p;
}

__attribute__((noinline)) void run_avgpool() {
  tflite::reference_integer_ops::AveragePool(pool_params(), shape4(g_batch, g_in_h, g_in_w, g_in_c), g_input,
                                             shape4(g_batch, g_out_h, g_out_w, g_out_c), g_output);
}

__attribute__((noinline)) void run_maxpool() {
  tflite::reference_integer_ops::MaxPool(pool_params(), shape4(g_batch, g_in_h, g_in_w, g_in_c), g_input,
                                         shape4(g_batch, g_out_h, g_out_w, g_out_c), g_output);
}

__attribute__((noinline)) void run_softmax() {
  tflite::SoftmaxParams p = {};
  p.input_multiplier = g_input_multiplier;
  p.input_left_shift = g_input_left_shift;
  p.diff_min = g_diff_min;
  const RuntimeShape s = shape2(g_batch, g_out_c);
  tflite::reference_ops::Softmax<int8_t, int8_t>(p, s, g_input, s, g_output);
}

}  // namespace

extern "C" void bench_entry(void) {
  switch (g_variant) {
    case 0: run_conv(); break;
    case 1: run_depthwise(); break;
    case 2: run_fc(); break;
    case 3: run_add(); break;
    case 4: run_mul(); break;
    case 5: run_avgpool(); break;
    case 6: run_maxpool(); break;
    case 7: run_softmax(); break;
    default: break;
  }
}
