// Stub for ruy's profiler (TFLM builds it as a no-op too): ScopeLabel does nothing. Written for this harness.
#ifndef RUY_PROFILER_INSTRUMENTATION_H_
#define RUY_PROFILER_INSTRUMENTATION_H_
namespace ruy { namespace profiler {
class ScopeLabel {
 public:
  template <typename... Args> explicit ScopeLabel(Args...) {}
};
}}  // namespace ruy::profiler
#endif
