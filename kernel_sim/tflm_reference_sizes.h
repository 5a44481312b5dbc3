/* Buffer sizes shared by tflm_reference_driver.cc and microtvm_driver.c (the grids in lib_tflm_reference.py fit
 * in them; sim.run refuses data that does not). */
#ifndef TFLM_REFERENCE_SIZES_H_
#define TFLM_REFERENCE_SIZES_H_
#define BENCH_ACT_BYTES 32768
#define BENCH_WEIGHT_BYTES 40960
#define BENCH_MAX_CHANNELS 512
#endif
