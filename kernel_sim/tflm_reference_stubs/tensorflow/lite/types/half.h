// Stub for the TFLM header missing from the snapshot: the int8 reference kernels never use tflite::half,
// but kernels/internal/types.h names it (std::numeric_limits specialisation). Written for this harness.
#ifndef TENSORFLOW_LITE_TYPES_HALF_H_
#define TENSORFLOW_LITE_TYPES_HALF_H_
#include <cstdint>
namespace tflite {
class half {
 public:
  constexpr half() : bits_(0) {}
  explicit constexpr half(float) : bits_(0) {}
  static constexpr half from_bits(uint16_t bits) { return half(bits, 0); }
  static constexpr half smallest_normal() { return from_bits(0x0400); }
  static constexpr half max() { return from_bits(0x7bff); }
  static constexpr half min() { return from_bits(0xfbff); }
  static constexpr half epsilon() { return from_bits(0x1400); }
  constexpr uint16_t bits() const { return bits_; }
 private:
  constexpr half(uint16_t bits, int) : bits_(bits) {}
  uint16_t bits_;
};
}  // namespace tflite
#endif
