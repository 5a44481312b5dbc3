// The TFLite Micro interpreter's per-invoke and per-operator work, for the cycle model's overhead figures.
//
// NOT compiled from TFLM's framework: the shared snapshot holds only tensorflow/lite/micro/kernels/cmsis_nn/, not
// micro_interpreter.cc, micro_interpreter_graph.cc, micro_interpreter_context.cc, kernels/kernel_util.cc or the
// flatbuffers headers. This file transcribes what those upstream files do on the Invoke() path (names kept), using
// the snapshot's real TfLiteContext / TfLiteNode / TfLiteEvalTensor / TfLiteIntArray (tensorflow/lite/core/c/
// common.h) and tflite::RuntimeShape (kernels/internal/runtime_shape.h):
//
//   MicroInterpreter::Invoke()            initialisation and tensors-allocated checks, graph_.InvokeSubgraph(0)
//   MicroInterpreterGraph::InvokeSubgraph  NumSubgraphOperators(model_, idx) (flatbuffer table/vtable reads), then per
//                                          operator: node and registration from the allocations, ScopedMicroProfiler
//                                          (OpNameFromRegistration, null profiler), registration->invoke(context,
//                                          node), allocator_->ResetTempAllocations() (virtual), status check
//   an operator's Eval                     as micro/kernels/cmsis_nn/conv.cc Eval (in the snapshot) up to the kernel
//                                          call: GetEvalInput x3 / GetEvalOutput (context->GetEvalTensor function
//                                          pointer -> MicroContext virtual -> allocations[subgraph].tensors[idx]),
//                                          type checks, ConvParamsQuantized, GetTensorShape x4 (out of line, returns a
//                                          RuntimeShape by value), GetTensorData, then the kernel call (an empty
//                                          noinline stub here: the kernel's own cycles are the kernel tables')
//   a 1-in/1-out operator's Eval           GetEvalInput/GetEvalOutput, type check, two GetTensorShape, kernel call
//
// bench_setup() builds a graph of g_n_ops operators (g_op_kind 0 conv-like, 1 one-in-one-out); bench_entry() builds
// the same graph and runs Invoke(): the difference of the two is the interpreter's cycles (interpreter_overhead.py).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

#include "tensorflow/lite/core/c/common.h"
#include "tensorflow/lite/kernels/internal/runtime_shape.h"
#include "tensorflow/lite/kernels/internal/types.h"

extern "C" {
int32_t g_n_ops = 1;
int32_t g_op_kind = 0;
int32_t g_direct = 0;  // 1: no interpreter, the operators' Eval called in a plain loop (see RunDirect)
int32_t g_status = -1;
void bench_setup(void);
void bench_entry(void);
}

namespace tflite {

// ------------------------------------------------------------------------------------------ flatbuffers (minimal)
// flatbuffers::Table::GetPointer / GetOptionalFieldOffset and Vector::size / Get, as the generated schema code calls
// them for model->subgraphs()->Get(i)->operators()->size(); ReadScalar is a plain aligned load on little-endian
// targets, as in flatbuffers/base.h.
template <typename T>
inline T ReadScalar(const void* p) { return *reinterpret_cast<const T*>(p); }
struct FbTable {
  const uint8_t* data_;
  const uint8_t* GetVTable() const { return data_ - ReadScalar<int32_t>(data_); }
  uint16_t GetOptionalFieldOffset(uint16_t field) const {
    const uint8_t* vtable = GetVTable();
    const uint16_t vtsize = ReadScalar<uint16_t>(vtable);
    return field < vtsize ? ReadScalar<uint16_t>(vtable + field) : 0;
  }
  const uint8_t* GetPointer(uint16_t field) const {
    const uint16_t field_offset = GetOptionalFieldOffset(field);
    const uint8_t* p = data_ + field_offset;
    if (!field_offset) return nullptr;
    return p + ReadScalar<uint32_t>(p);
  }
};
inline uint32_t VectorSize(const uint8_t* v) { return ReadScalar<uint32_t>(v); }
inline const uint8_t* VectorGetTable(const uint8_t* v, uint32_t i) {
  if (i >= VectorSize(v)) return nullptr;  // FLATBUFFERS_ASSERT
  const uint8_t* p = v + 4 + 4 * i;
  return p + ReadScalar<uint32_t>(p);
}
constexpr uint16_t kModelSubgraphsField = 8;      // Model: version(4), operator_codes(6), subgraphs(8)
constexpr uint16_t kSubGraphOperatorsField = 10;  // SubGraph: tensors(4), inputs(6), outputs(8), operators(10)

__attribute__((noinline)) uint32_t NumSubgraphOperators(const uint8_t* model, int subgraph_idx) {
  FbTable m{model};
  const uint8_t* subgraphs = m.GetPointer(kModelSubgraphsField);
  FbTable subgraph{VectorGetTable(subgraphs, subgraph_idx)};
  const uint8_t* operators = subgraph.GetPointer(kSubGraphOperatorsField);
  return operators != nullptr ? VectorSize(operators) : 0;
}

// ------------------------------------------------------------------------------------------ interpreter types
struct TFLMRegistration {
  void* (*init)(TfLiteContext* context, const char* buffer, size_t length);
  void (*free)(TfLiteContext* context, void* buffer);
  TfLiteStatus (*prepare)(TfLiteContext* context, TfLiteNode* node);
  TfLiteStatus (*invoke)(TfLiteContext* context, TfLiteNode* node);
  void (*reset)(TfLiteContext* context, void* buffer);
  int32_t builtin_code;
  const char* custom_name;
};
struct NodeAndRegistration {
  TfLiteNode node;
  const TFLMRegistration* registration;
};
struct SubgraphAllocations {
  NodeAndRegistration* node_and_registrations;
  TfLiteEvalTensor* tensors;
};

class MicroProfilerInterface {
 public:
  virtual uint32_t BeginEvent(const char* tag) = 0;
  virtual void EndEvent(uint32_t event_handle) = 0;
};
class ScopedMicroProfiler {
 public:
  explicit ScopedMicroProfiler(const char* tag, MicroProfilerInterface* profiler) : profiler_(profiler) {
    if (profiler_ != nullptr) event_handle_ = profiler_->BeginEvent(tag);
  }
  ~ScopedMicroProfiler() {
    if (profiler_ != nullptr) profiler_->EndEvent(event_handle_);
  }
 private:
  uint32_t event_handle_ = 0;
  MicroProfilerInterface* profiler_ = nullptr;
};

// EnumNameBuiltinOperator (schema_generated.h): a range check and a table read.
const char* const kOpNames[] = {"ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "", "",
                                "", "", "FULLY_CONNECTED"};
constexpr int32_t kBuiltinCustom = 32;
__attribute__((noinline)) const char* EnumNameBuiltinOperator(int32_t e) {
  if (e < 0 || e > 9) return "";
  return kOpNames[e];
}
const char* OpNameFromRegistration(const TFLMRegistration* registration) {
  if (registration->builtin_code == kBuiltinCustom) return registration->custom_name;
  return EnumNameBuiltinOperator(registration->builtin_code);
}

class SingleArenaBufferAllocator {  // (upstream's virtual destructor left out: never called on Invoke's path,
 public:                           // and its deleting variant would need operator delete on the RISC-V build)
  virtual TfLiteStatus ResetTempAllocations();
  bool IsAllTempDeallocated();
  uint8_t* head_ = nullptr;
  uint8_t* temp_ = nullptr;
  size_t temp_buffer_count_ = 0;
  uintptr_t temp_buffer_ptr_check_sum_ = 0;
};
__attribute__((noinline)) bool SingleArenaBufferAllocator::IsAllTempDeallocated() {
  if (temp_buffer_count_ != 0 || temp_buffer_ptr_check_sum_ != 0) return false;  // (MicroPrintf on failure)
  return true;
}
__attribute__((noinline)) TfLiteStatus SingleArenaBufferAllocator::ResetTempAllocations() {
  if (!IsAllTempDeallocated()) return kTfLiteError;
  temp_ = head_;
  return kTfLiteOk;
}
class MicroAllocator {
 public:
  __attribute__((noinline)) TfLiteStatus ResetTempAllocations() {
    return non_persistent_buffer_allocator_->ResetTempAllocations();
  }
  SingleArenaBufferAllocator* non_persistent_buffer_allocator_ = nullptr;
};

class MicroInterpreterGraph {
 public:
  TfLiteStatus InvokeSubgraph(int subgraph_idx);
  SubgraphAllocations* GetAllocations() { return subgraph_allocations_; }
  int GetCurrentSubgraphIndex() { return current_subgraph_index_; }
  const uint8_t* model_ = nullptr;
  SubgraphAllocations* subgraph_allocations_ = nullptr;
  MicroAllocator* allocator_ = nullptr;
  TfLiteContext* context_ = nullptr;
  int current_subgraph_index_ = 0;
  int num_subgraphs_ = 1;
};

__attribute__((noinline)) TfLiteStatus MicroInterpreterGraph::InvokeSubgraph(int subgraph_idx) {
  int previous_subgraph_idx = current_subgraph_index_;
  current_subgraph_index_ = subgraph_idx;
  if (subgraph_idx >= num_subgraphs_) return kTfLiteError;
  uint32_t operators_size = NumSubgraphOperators(model_, subgraph_idx);
  for (size_t i = 0; i < operators_size; ++i) {
    TfLiteNode* node = &(subgraph_allocations_[subgraph_idx].node_and_registrations[i].node);
    const TFLMRegistration* registration = subgraph_allocations_[subgraph_idx].node_and_registrations[i].registration;
    ScopedMicroProfiler scoped_profiler(OpNameFromRegistration(registration),
                                        reinterpret_cast<MicroProfilerInterface*>(context_->profiler));
    TfLiteStatus invoke_status = registration->invoke(context_, node);
    allocator_->ResetTempAllocations();
    if (invoke_status == kTfLiteError) return kTfLiteError;
    if (invoke_status != kTfLiteOk) return invoke_status;
  }
  current_subgraph_index_ = previous_subgraph_idx;
  return kTfLiteOk;
}

class MicroContext {
 public:
  virtual TfLiteEvalTensor* GetEvalTensor(int tensor_idx) = 0;
};
class MicroInterpreterContext : public MicroContext {
 public:
  explicit MicroInterpreterContext(MicroInterpreterGraph* graph) : graph_(*graph) {}
  __attribute__((noinline)) TfLiteEvalTensor* GetEvalTensor(int tensor_idx) override {
    return &graph_.GetAllocations()[graph_.GetCurrentSubgraphIndex()].tensors[tensor_idx];
  }
  MicroInterpreterGraph& graph_;
};
TfLiteEvalTensor* MicroContextGetEvalTensor(const struct TfLiteContext* context, int tensor_idx) {
  return reinterpret_cast<MicroContext*>(context->impl_)->GetEvalTensor(tensor_idx);
}

class MicroInterpreter {
 public:
  __attribute__((noinline)) TfLiteStatus Invoke() {
    if (initialization_status_ != kTfLiteOk) return kTfLiteError;  // (MicroPrintf on failure)
    if (!tensors_allocated_) return kTfLiteError;                  // (AllocateTensors() the first time)
    return graph_->InvokeSubgraph(0);
  }
  TfLiteStatus initialization_status_ = kTfLiteOk;
  bool tensors_allocated_ = true;
  MicroInterpreterGraph* graph_ = nullptr;
};

// ------------------------------------------------------------------------------------------ kernel_util
namespace micro {
__attribute__((noinline)) TfLiteEvalTensor* GetMutableEvalInput(const TfLiteContext* context, const TfLiteNode* node,
                                                               int index) {
  if (index < 0 || index >= node->inputs->size) return nullptr;
  int tensor_index = node->inputs->data[index];
  if (tensor_index < 0) return nullptr;
  return context->GetEvalTensor(context, node->inputs->data[index]);
}
inline const TfLiteEvalTensor* GetEvalInput(const TfLiteContext* context, const TfLiteNode* node, int index) {
  return GetMutableEvalInput(context, node, index);
}
__attribute__((noinline)) TfLiteEvalTensor* GetEvalOutput(const TfLiteContext* context, const TfLiteNode* node,
                                                         int index) {
  return context->GetEvalTensor(context, node->outputs->data[index]);
}
__attribute__((noinline)) const RuntimeShape GetTensorShape(const TfLiteEvalTensor* tensor) {
  if (tensor == nullptr || tensor->dims == nullptr) return RuntimeShape();
  TfLiteIntArray* dims = tensor->dims;
  const int dims_size = dims->size;
  const int32_t* dims_data = reinterpret_cast<const int32_t*>(dims->data);
  return RuntimeShape(dims_size, dims_data);
}
template <typename T>
const T* GetTensorData(const TfLiteEvalTensor* tensor) { return reinterpret_cast<const T*>(tensor->data.raw); }
template <typename T>
T* GetMutableTensorData(TfLiteEvalTensor* tensor) { return reinterpret_cast<T*>(tensor->data.raw); }
template <typename T>
const T* GetOptionalTensorData(const TfLiteEvalTensor* tensor) {
  return tensor == nullptr ? nullptr : reinterpret_cast<const T*>(tensor->data.raw);
}
}  // namespace micro

// ------------------------------------------------------------------------------------------ two operators' Eval
struct TfLiteConvParamsT {  // TfLiteConvParams (builtin_op_data.h)
  int padding, stride_width, stride_height, activation, dilation_width_factor, dilation_height_factor;
};
struct TfLitePaddingValuesT {  // TfLitePaddingValues (builtin_op_data.h)
  int width, height, width_offset, height_offset;
};
struct OpDataConv {  // micro/kernels/conv.h
  TfLitePaddingValuesT padding;
  int32_t input_zero_point, filter_zero_point, output_zero_point;
  int32_t output_multiplier, output_shift;
  int32_t* per_channel_output_multiplier;
  int32_t* per_channel_output_shift;
  int32_t output_activation_min, output_activation_max;
  int filter_buffer_index;
};

ConvParams ConvParamsQuantized(const TfLiteConvParamsT& params, const OpDataConv& data) {
  ConvParams op_params;
  op_params.input_offset = -data.input_zero_point;
  op_params.weights_offset = -data.filter_zero_point;
  op_params.output_offset = data.output_zero_point;
  op_params.output_multiplier = data.output_multiplier;
  op_params.output_shift = -data.output_shift;
  op_params.padding_type = params.padding == 1 ? PaddingType::kSame : PaddingType::kValid;
  op_params.padding_values.height = data.padding.height;
  op_params.padding_values.width = data.padding.width;
  op_params.stride_height = params.stride_height;
  op_params.stride_width = params.stride_width;
  op_params.dilation_height_factor = params.dilation_height_factor;
  op_params.dilation_width_factor = params.dilation_width_factor;
  op_params.quantized_activation_min = data.output_activation_min;
  op_params.quantized_activation_max = data.output_activation_max;
  return op_params;
}

// The kernel itself is costed by the kernel tables: an opaque empty call with the kernel's signature.
__attribute__((noinline)) void ConvKernelStub(const ConvParams& params, const int32_t* multiplier,
                                              const int32_t* shift, const RuntimeShape& input_shape,
                                              const int8_t* input, const RuntimeShape& filter_shape,
                                              const int8_t* filter, const RuntimeShape& bias_shape,
                                              const int32_t* bias, const RuntimeShape& output_shape,
                                              int8_t* output) {
  __asm__ volatile("" : : "r"(&params), "r"(multiplier), "r"(shift), "r"(&input_shape), "r"(input),
                   "r"(&filter_shape), "r"(filter), "r"(&bias_shape), "r"(bias), "r"(&output_shape), "r"(output)
                   : "memory");
}
__attribute__((noinline)) void SimpleKernelStub(const RuntimeShape& input_shape, const int8_t* input,
                                                const RuntimeShape& output_shape, int8_t* output) {
  __asm__ volatile("" : : "r"(&input_shape), "r"(input), "r"(&output_shape), "r"(output) : "memory");
}

TfLiteStatus ConvEval(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteEvalTensor* input = micro::GetEvalInput(context, node, 0);
  const TfLiteEvalTensor* filter = micro::GetEvalInput(context, node, 1);
  const TfLiteEvalTensor* bias = (node->inputs->size == 3) ? micro::GetEvalInput(context, node, 2) : nullptr;
  TfLiteEvalTensor* output = micro::GetEvalOutput(context, node, 0);
  const auto& params = *(reinterpret_cast<TfLiteConvParamsT*>(node->builtin_data));
  const OpDataConv& data = *(static_cast<const OpDataConv*>(node->user_data));
  if (input->type != output->type) return kTfLiteError;  // TF_LITE_ENSURE_EQ
  if (!(input->type == filter->type || (input->type == kTfLiteInt16 && filter->type == kTfLiteInt8) ||
        (input->type == kTfLiteInt8 && filter->type == kTfLiteInt4)))
    return kTfLiteError;  // TF_LITE_ENSURE_MSG "Hybrid models are not supported on TFLite Micro."
  switch (input->type) {
    case kTfLiteInt8: {
      switch (filter->type) {
        case kTfLiteInt8:
          ConvKernelStub(ConvParamsQuantized(params, data), data.per_channel_output_multiplier,
                         data.per_channel_output_shift, micro::GetTensorShape(input),
                         micro::GetTensorData<int8_t>(input), micro::GetTensorShape(filter),
                         micro::GetTensorData<int8_t>(filter), micro::GetTensorShape(bias),
                         micro::GetOptionalTensorData<int32_t>(bias), micro::GetTensorShape(output),
                         micro::GetMutableTensorData<int8_t>(output));
          break;
        default:
          return kTfLiteError;
      }
      break;
    }
    default:
      return kTfLiteError;
  }
  return kTfLiteOk;
}

TfLiteStatus SimpleEval(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteEvalTensor* input = micro::GetEvalInput(context, node, 0);
  TfLiteEvalTensor* output = micro::GetEvalOutput(context, node, 0);
  if (input->type != output->type) return kTfLiteError;
  switch (input->type) {
    case kTfLiteInt8:
      SimpleKernelStub(micro::GetTensorShape(input), micro::GetTensorData<int8_t>(input),
                       micro::GetTensorShape(output), micro::GetMutableTensorData<int8_t>(output));
      break;
    default:
      return kTfLiteError;
  }
  return kTfLiteOk;
}

// ------------------------------------------------------------------------------------------ the graph (setup)
constexpr int kMaxOps = 64;
uint8_t g_model[64 + 8 * kMaxOps] __attribute__((aligned(4)));
NodeAndRegistration g_nodes[kMaxOps];
int g_io[kMaxOps][6];  // per node: inputs {size, a, b, c}, outputs {size, d}
TfLiteEvalTensor g_tensors[4 * kMaxOps + 1];
int g_dims[2][5] = {{4, 1, 16, 16, 8}, {1, 8, 0, 0, 0}};
int8_t g_data[64];
int32_t g_mult[8], g_shift[8];
TfLiteConvParamsT g_conv_params = {1, 1, 1, 0, 1, 1};
OpDataConv g_conv_data;
const TFLMRegistration g_conv_registration = {nullptr, nullptr, nullptr, ConvEval, nullptr, 3, nullptr};
const TFLMRegistration g_simple_registration = {nullptr, nullptr, nullptr, SimpleEval, nullptr, 1, nullptr};
SubgraphAllocations g_allocations;
TfLiteContext g_context;
// the harness runs no C++ static constructors (nor atexit): objects with virtual functions live in raw storage and
// are built in place by Setup()
alignas(8) uint8_t g_arena_storage[sizeof(SingleArenaBufferAllocator)];
alignas(8) uint8_t g_allocator_storage[sizeof(MicroAllocator)];
alignas(8) uint8_t g_graph_storage[sizeof(MicroInterpreterGraph)];
alignas(8) uint8_t g_micro_context_storage[sizeof(MicroInterpreterContext)];
alignas(8) uint8_t g_interpreter_storage[sizeof(MicroInterpreter)];
MicroInterpreter* g_interpreter = nullptr;

void put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
void put16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }

__attribute__((noinline)) void Setup() {
  const int n = g_n_ops < kMaxOps ? g_n_ops : kMaxOps;
  // flatbuffer: [0] vtable of Model {vtsize 10, tblsize 8, f4 0, f6 0, f8 4}; [12] Model table {soffset 12,
  // subgraphs uoffset}; [20] vtable of SubGraph {12, 8, 0, 0, 0, 4}; [32] SubGraph table {soffset 12, operators};
  // [40] subgraphs vector {1, uoffset -> SubGraph}; [48] operators vector {n, ...}
  uint8_t* b = g_model;
  put16(b + 0, 10); put16(b + 2, 8); put16(b + 4, 0); put16(b + 6, 0); put16(b + 8, 4);
  put32(b + 12, 12); put32(b + 16, 40 - 16);
  put16(b + 20, 12); put16(b + 22, 8); put16(b + 24, 0); put16(b + 26, 0); put16(b + 28, 0); put16(b + 30, 4);
  put32(b + 32, 12); put32(b + 36, 48 - 36);
  put32(b + 40, 1); put32(b + 44, 32 - 44);
  put32(b + 48, n);
  const bool conv = g_op_kind == 0;
  for (int i = 0; i < n; ++i) {
    TfLiteNode& node = g_nodes[i].node;
    int* io = g_io[i];
    io[0] = conv ? 3 : 1; io[1] = 4 * i; io[2] = 4 * i + 1; io[3] = 4 * i + 2;
    io[4] = 1; io[5] = 4 * i + 3;
    node.inputs = reinterpret_cast<TfLiteIntArray*>(&io[0]);
    node.outputs = reinterpret_cast<TfLiteIntArray*>(&io[4]);
    node.builtin_data = &g_conv_params;
    node.user_data = &g_conv_data;
    g_nodes[i].registration = conv ? &g_conv_registration : &g_simple_registration;
    for (int t = 0; t < 4; ++t) {
      TfLiteEvalTensor& tensor = g_tensors[4 * i + t];
      tensor.data.raw = reinterpret_cast<char*>(g_data);
      tensor.dims = reinterpret_cast<TfLiteIntArray*>(t == 2 ? g_dims[1] : g_dims[0]);
      tensor.type = t == 2 ? kTfLiteInt32 : kTfLiteInt8;
    }
  }
  auto* arena = new (g_arena_storage) SingleArenaBufferAllocator();
  auto* allocator = new (g_allocator_storage) MicroAllocator();
  auto* graph = new (g_graph_storage) MicroInterpreterGraph();
  auto* micro_context = new (g_micro_context_storage) MicroInterpreterContext(graph);
  g_interpreter = new (g_interpreter_storage) MicroInterpreter();
  g_conv_data.per_channel_output_multiplier = g_mult;
  g_conv_data.per_channel_output_shift = g_shift;
  g_allocations.node_and_registrations = g_nodes;
  g_allocations.tensors = g_tensors;
  allocator->non_persistent_buffer_allocator_ = arena;
  g_context.impl_ = micro_context;
  g_context.GetEvalTensor = MicroContextGetEvalTensor;
  g_context.profiler = nullptr;
  graph->model_ = g_model + 12;  // the Model table (tflite::GetModel resolves the root offset once)
  graph->subgraph_allocations_ = &g_allocations;
  graph->allocator_ = allocator;
  graph->context_ = &g_context;
  g_interpreter->graph_ = graph;
}

}  // namespace tflite

extern "C" void bench_setup(void) { tflite::Setup(); }

namespace tflite {
// Generated code that keeps TFLM's kernels but drops the interpreter (what Edge Impulse's EON compiler emits, as far
// as its published output shows: a static node array and a loop calling each registration's invoke): the Eval
// prologues remain, the InvokeSubgraph work (flatbuffer count, profiler scope, temp-allocation reset) goes.
__attribute__((noinline)) TfLiteStatus RunDirect(int n) {
  for (int i = 0; i < n; ++i) {
    TfLiteStatus status = g_nodes[i].registration->invoke(&g_context, &g_nodes[i].node);
    if (status != kTfLiteOk) return status;
  }
  return kTfLiteOk;
}
}  // namespace tflite

extern "C" void bench_entry(void) {
  tflite::Setup();
  g_status = g_direct ? tflite::RunDirect(g_n_ops < tflite::kMaxOps ? g_n_ops : tflite::kMaxOps)
                      : tflite::g_interpreter->Invoke();
}
