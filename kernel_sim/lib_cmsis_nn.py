"""Registry entry: the two CMSIS-NN snapshots (see cmsis_nn.py), with the cores and builds each is simulated on."""
from cmsis_nn import CmsisNN

DSP_CORES = ("cortex-m4", "cortex-m7", "cortex-m33")

LIBRARIES = [
    CmsisNN("cmsis-nn-2020-09", "CMSIS-NN 2020-09 (TFLM 2.3.1)",
            "ARM-software/CMSIS_5 CMSIS/NN commit de5e18bae14c (2020-09-04), the kernels of tflm-cmsis-nn@2.3.1 "
            "(copy in shared/third_party/cmsis-nn-2020-09), Apache-2.0",
            modern=False, core_builds={**{core: ("O2",) for core in DSP_CORES}, "cortex-m4": ("O2", "Os")}),
    CmsisNN("cmsis-nn-v7.0.0", "CMSIS-NN v7.0.0",
            "ARM-software/CMSIS-NN tag v7.0.0 (copy in shared/third_party/cmsis-nn-v7.0.0), Apache-2.0",
            modern=True, core_builds={"cortex-m4": ("O2", "Os"), "cortex-m7": ("O2",), "cortex-m33": ("O2",),
                                      "cortex-m0plus": ("O2",), "cortex-m3": ("O2",)}),
]
