// Stub for TFLM's micro_log.h: logging compiled out (bare-metal simulation has no output). Written for this harness.
#ifndef TENSORFLOW_LITE_MICRO_MICRO_LOG_H_
#define TENSORFLOW_LITE_MICRO_MICRO_LOG_H_
#define MicroPrintf(...) ((void)0)
#endif
