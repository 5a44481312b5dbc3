/* Empty stand-in for CMSIS-DSP arm_common_tables.h (not used by the s8 kernels). */
