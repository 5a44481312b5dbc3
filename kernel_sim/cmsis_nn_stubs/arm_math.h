/* Minimal stand-in for CMSIS-DSP's arm_math.h (CMSIS 5, 2020), which the 2020-09 CMSIS-NN snapshot includes
 * for its types and the DSP-extension switch. Only what CMSIS-NN uses: the q types, arm_status and __SIMD32.
 * The intrinsics (__SMLAD, __SXTB16, ...) come from CMSIS 6's cmsis_compiler.h. */
#ifndef ARM_MATH_H_STUB
#define ARM_MATH_H_STUB
#include <stdint.h>
#include <string.h>
#include <limits.h>
#include "cmsis_compiler.h"

#if (defined(__ARM_FEATURE_DSP) && (__ARM_FEATURE_DSP == 1)) && !defined(ARM_MATH_DSP)
#define ARM_MATH_DSP 1
#endif
#if defined(__ARM_ARCH_6M__) && !defined(ARM_MATH_CM0_FAMILY)
#define ARM_MATH_CM0_FAMILY 1
#endif

typedef int8_t q7_t;
typedef int16_t q15_t;
typedef int32_t q31_t;
typedef int64_t q63_t;
typedef float float32_t;
typedef double float64_t;

typedef enum {
    ARM_MATH_SUCCESS = 0,
    ARM_MATH_ARGUMENT_ERROR = -1,
    ARM_MATH_LENGTH_ERROR = -2,
    ARM_MATH_SIZE_MISMATCH = -3,
    ARM_MATH_NANINF = -4,
    ARM_MATH_SINGULAR = -5,
    ARM_MATH_TEST_FAILURE = -6
} arm_status;

#define Q31_MAX ((q31_t)(0x7FFFFFFFL))
#define Q15_MAX ((q15_t)(0x7FFF))
#define Q7_MAX ((q7_t)(0x7F))
#define Q31_MIN ((q31_t)(0x80000000L))
#define Q15_MIN ((q15_t)(0x8000))
#define Q7_MIN ((q7_t)(0x80))

#define __SIMD32_TYPE int32_t
#define __SIMD32(addr) (*(__SIMD32_TYPE **)&(addr))
#define __SIMD32_CONST(addr) ((__SIMD32_TYPE *)(addr))
#define _SIMD32_OFFSET(addr) (*(__SIMD32_TYPE *)(addr))
#define __SIMD64(addr) (*(int64_t **)&(addr))

/* As in CMSIS 5.7 arm_math.h (little endian, unaligned access allowed on Armv7-M/v8-M mainline). */
#define __PACKq7(v0, v1, v2, v3) ((((int32_t)(v0) << 0) & (int32_t)0x000000FF) | \
                                  (((int32_t)(v1) << 8) & (int32_t)0x0000FF00) | \
                                  (((int32_t)(v2) << 16) & (int32_t)0x00FF0000) | \
                                  (((int32_t)(v3) << 24) & (int32_t)0xFF000000))

__STATIC_FORCEINLINE void write_q15x2_ia(q15_t **pQ15, q31_t value)
{
    q31_t val = value;
    memcpy(*pQ15, &val, 4);
    *pQ15 += 2;
}

__STATIC_FORCEINLINE void write_q7x4_ia(q7_t **pQ7, q31_t value)
{
    q31_t val = value;
    memcpy(*pQ7, &val, 4);
    *pQ7 += 4;
}

#endif
