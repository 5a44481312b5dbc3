// Bare-metal driver for the TFLite Micro reference float32 kernels and the hybrid (dynamic-range: int8 weights,
// float activations) reference kernels (header-only, tensorflow/lite/kernels/internal/reference). Written for this
// harness, like tflm_reference_driver.cc: bench_entry() runs ONE kernel call chosen by g_variant on the shapes the
// Python side (lib_tflm_float.py) writes into the mutable globals below. The float kernels are called as
// tensorflow/lite/micro/kernels/*.cc call them for float32 tensors (conv.cc -> reference_ops::Conv, depthwise_conv.cc
// -> reference_ops::DepthwiseConv, fully_connected.cc -> reference_ops::FullyConnected, add.cc -> reference_ops::Add
// (same shapes, no broadcast), pooling.cc -> reference_ops::AveragePool / MaxPool, softmax.cc ->
// reference_ops::Softmax float, dequantize.cc -> reference_ops::Dequantize<int8_t, float>), with no fused
// activation (float_activation_min/max = lowest/max, what CalculateActivationRange gives for kTfLiteActNone).
// Hybrid conv is TFLite's EvalHybridPerChannel sequence: tensor_utils::AsymmetricQuantizeFloats of the input (per
// batch) then reference_ops::HybridConvPerChannel.
#include <cstdint>
#include <limits>

#include "tensorflow/lite/kernels/internal/reference/add.h"
#include "tensorflow/lite/kernels/internal/reference/conv.h"
#include "tensorflow/lite/kernels/internal/reference/depthwiseconv_float.h"
#include "tensorflow/lite/kernels/internal/reference/dequantize.h"
#include "tensorflow/lite/kernels/internal/reference/fully_connected.h"
#include "tensorflow/lite/kernels/internal/reference/pooling.h"
#include "tensorflow/lite/kernels/internal/reference/portable_tensor_utils_impl.h"
#include "tensorflow/lite/kernels/internal/reference/softmax.h"

#include "tflm_reference_sizes.h"

#define BENCH_FLOATS (BENCH_ACT_BYTES / 2)

extern "C" {
// Variant: 0 conv, 1 depthwise, 2 fc, 3 add, 4 avgpool, 5 maxpool, 6 softmax, 7 dequantize, 8 hybrid conv
// (lib_tflm_float.py VARIANT_IDS), 9 expf (the softmax check's helper).
int32_t g_variant = 0;
// Shape (NHWC). fc: in_c = accumulation depth, out_c = output features, batch = rows. dequantize: out_c elements.
int32_t g_batch = 1, g_in_h = 1, g_in_w = 1, g_in_c = 1, g_out_h = 1, g_out_w = 1, g_out_c = 1;
int32_t g_k_h = 1, g_k_w = 1, g_stride_h = 1, g_stride_w = 1, g_pad_h = 0, g_pad_w = 0, g_depth_multiplier = 1;
float g_beta = 1.0f;                     // softmax
int32_t g_zero_point = 0;                // dequantize
double g_scale = 1.0;                    // dequantize (DequantizationParams.scale is a double)
float g_input[BENCH_FLOATS];
float g_input2[BENCH_FLOATS];
float g_filter[BENCH_WEIGHT_BYTES / 4];
float g_bias[BENCH_MAX_CHANNELS];
float g_channel_scales[BENCH_MAX_CHANNELS];  // hybrid: per-output-channel weight scales
int8_t g_filter_q[BENCH_WEIGHT_BYTES];       // hybrid conv weights, dequantize input
int8_t g_input_q[BENCH_FLOATS];              // hybrid: the quantised input (scratch, as TFLite's temporaries)
float g_scaling_factors[16];                 // hybrid: per-batch input scale (output of the quantisation)
int32_t g_input_offsets[16];                 // hybrid: per-batch input zero point
float g_output[BENCH_FLOATS];
void bench_entry(void);
}

namespace {

using tflite::RuntimeShape;

RuntimeShape shape4(int32_t n, int32_t h, int32_t w, int32_t c) {
  const int32_t dims[4] = {n, h, w, c};
  return RuntimeShape(4, dims);
}

RuntimeShape shape2(int32_t rows, int32_t cols) {
  const int32_t dims[2] = {rows, cols};
  return RuntimeShape(2, dims);
}

RuntimeShape shape1(int32_t n) { return RuntimeShape(1, &n); }

constexpr float kLowest = std::numeric_limits<float>::lowest();
constexpr float kMax = std::numeric_limits<float>::max();

template <typename Params>
Params conv_params() {
  Params p = {};
  p.padding_values.width = g_pad_w;
  p.padding_values.height = g_pad_h;
  p.stride_width = g_stride_w;
  p.stride_height = g_stride_h;
  p.dilation_width_factor = 1;
  p.dilation_height_factor = 1;
  p.float_activation_min = kLowest;
  p.float_activation_max = kMax;
  return p;
}

__attribute__((noinline)) void run_conv() {
  tflite::reference_ops::Conv(conv_params<tflite::ConvParams>(), shape4(g_batch, g_in_h, g_in_w, g_in_c), g_input,
                              shape4(g_out_c, g_k_h, g_k_w, g_in_c), g_filter, shape1(g_out_c), g_bias,
                              shape4(g_batch, g_out_h, g_out_w, g_out_c), g_output, RuntimeShape(), nullptr);
}

__attribute__((noinline)) void run_depthwise() {
  tflite::DepthwiseParams p = conv_params<tflite::DepthwiseParams>();
  p.depth_multiplier = g_depth_multiplier;
  tflite::reference_ops::DepthwiseConv(p, shape4(g_batch, g_in_h, g_in_w, g_in_c), g_input,
                                       shape4(1, g_k_h, g_k_w, g_out_c), g_filter, shape1(g_out_c), g_bias,
                                       shape4(g_batch, g_out_h, g_out_w, g_out_c), g_output);
}

__attribute__((noinline)) void run_fc() {
  tflite::FullyConnectedParams p = {};
  p.float_activation_min = kLowest;
  p.float_activation_max = kMax;
  tflite::reference_ops::FullyConnected(p, shape2(g_batch, g_in_c), g_input, shape2(g_out_c, g_in_c), g_filter,
                                        shape1(g_out_c), g_bias, shape2(g_batch, g_out_c), g_output);
}

__attribute__((noinline)) void run_add() {
  tflite::ArithmeticParams p = {};
  p.float_activation_min = kLowest;
  p.float_activation_max = kMax;
  const RuntimeShape s = shape4(g_batch, g_out_h, g_out_w, g_out_c);
  tflite::reference_ops::Add<float>(p, s, g_input, s, g_input2, s, g_output);
}

tflite::PoolParams pool_params() {
  tflite::PoolParams p = {};
  p.padding_values.width = g_pad_w;
  p.padding_values.height = g_pad_h;
  p.stride_height = g_stride_h;
  p.stride_width = g_stride_w;
  p.filter_height = g_k_h;
  p.filter_width = g_k_w;
  p.float_activation_min = kLowest;
  p.float_activation_max = kMax;
  return p;
}

__attribute__((noinline)) void run_avgpool() {
  tflite::reference_ops::AveragePool(pool_params(), shape4(g_batch, g_in_h, g_in_w, g_in_c), g_input,
                                     shape4(g_batch, g_out_h, g_out_w, g_out_c), g_output);
}

__attribute__((noinline)) void run_maxpool() {
  tflite::reference_ops::MaxPool(pool_params(), shape4(g_batch, g_in_h, g_in_w, g_in_c), g_input,
                                 shape4(g_batch, g_out_h, g_out_w, g_out_c), g_output);
}

__attribute__((noinline)) void run_softmax() {
  tflite::SoftmaxParams p = {};
  p.beta = g_beta;
  const RuntimeShape s = shape2(g_batch, g_out_c);
  tflite::reference_ops::Softmax(p, s, g_input, s, g_output);
}

__attribute__((noinline)) void run_dequantize() {
  tflite::DequantizationParams p = {};
  p.zero_point = g_zero_point;
  p.scale = g_scale;
  const RuntimeShape s = shape1(g_out_c);
  tflite::reference_ops::Dequantize<int8_t, float>(p, s, g_filter_q, s, g_output);
}

// Not a table variant: the libm expf the float softmax calls, element by element, so the numpy softmax can use the
// target's exp values (their last bit depends on the libm build) and check everything else bit for bit.
__attribute__((noinline)) void run_expf() {
  for (int32_t i = 0; i < g_out_c; ++i) g_output[i] = std::exp(g_input[i]);
}

__attribute__((noinline)) void run_hybrid_conv() {
  const int32_t per_batch = g_in_h * g_in_w * g_in_c;
  for (int32_t b = 0; b < g_batch; ++b) {
    tflite::tensor_utils::PortableAsymmetricQuantizeFloats(g_input + b * per_batch, per_batch,
                                                           g_input_q + b * per_batch, &g_scaling_factors[b],
                                                           &g_input_offsets[b]);
  }
  tflite::reference_ops::HybridConvPerChannel(
      conv_params<tflite::ConvParams>(), g_scaling_factors, shape4(g_batch, g_in_h, g_in_w, g_in_c), g_input_q,
      shape4(g_out_c, g_k_h, g_k_w, g_in_c), g_filter_q, shape1(g_out_c), g_bias,
      shape4(g_batch, g_out_h, g_out_w, g_out_c), g_output, RuntimeShape(), nullptr, g_channel_scales,
      g_input_offsets);
}

}  // namespace

extern "C" void bench_entry(void) {
  switch (g_variant) {
    case 0: run_conv(); break;
    case 1: run_depthwise(); break;
    case 2: run_fc(); break;
    case 3: run_add(); break;
    case 4: run_avgpool(); break;
    case 5: run_maxpool(); break;
    case 6: run_softmax(); break;
    case 7: run_dequantize(); break;
    case 8: run_hybrid_conv(); break;
    case 9: run_expf(); break;
    default: break;
  }
}
