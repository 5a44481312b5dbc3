/* Stub for the one header of the TFLite C API the shared snapshot lacks (upstream
 * tensorflow/compiler/mlir/lite/core/c/tflite_types.h, Apache-2.0): the TfLiteType and TfLiteDimensionType enums
 * with upstream's values, what tensorflow/lite/core/c/common.h needs from it for tflm_interpreter_driver.cc. */
#ifndef TENSORFLOW_COMPILER_MLIR_LITE_CORE_C_TFLITE_TYPES_H_
#define TENSORFLOW_COMPILER_MLIR_LITE_CORE_C_TFLITE_TYPES_H_
typedef enum {
  kTfLiteNoType = 0, kTfLiteFloat32 = 1, kTfLiteInt32 = 2, kTfLiteUInt8 = 3, kTfLiteInt64 = 4, kTfLiteString = 5,
  kTfLiteBool = 6, kTfLiteInt16 = 7, kTfLiteComplex64 = 8, kTfLiteInt8 = 9, kTfLiteFloat16 = 10,
  kTfLiteFloat64 = 11, kTfLiteComplex128 = 12, kTfLiteUInt64 = 13, kTfLiteResource = 14, kTfLiteVariant = 15,
  kTfLiteUInt32 = 16, kTfLiteUInt16 = 17, kTfLiteInt4 = 18, kTfLiteBFloat16 = 19,
} TfLiteType;
typedef enum TfLiteDimensionType {
  kTfLiteDimDense = 0,
  kTfLiteDimSparseCSR = 1,
} TfLiteDimensionType;
typedef struct TfLiteQuantizationParams {
  float scale;
  int32_t zero_point;
} TfLiteQuantizationParams;
#endif
