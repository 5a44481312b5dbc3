"""Registry entry: ESP-NN's generic C kernels on the ESP32-C3 core (RV32IMC, core id ``riscv32``), simulated.

What runs: ESP-NN's Kconfig default (CONFIG_NN_OPTIMIZED) on a chip without assembly kernels (ESP32, ESP32-C3,
include/esp_nn.h -> include/esp_nn_generic_opt.h) calls ``esp_nn_conv_s8_opt``, ``esp_nn_depthwise_conv_s8_opt``
and ``esp_nn_softmax_s8_opt`` (src/*/*_opt.c) and the ANSI C versions of fully connected, add, mul and the pools.
Those are the variants ``conv``, ``depthwise``, ``fc``, ``add``, ``mul``, ``avgpool``, ``maxpool``, ``softmax``.
``conv_1x1`` is ``esp_nn_conv_s8_opt``'s own 1x1 path (any stride; it ignores padding), where ``variant_of``
sends ESP-NN's unpadded 1x1 convolutions; ``conv`` is its general path, fitted over the TFLM grid's kxk and 1xn
layers. ``depthwise`` is the channel-multiplier-1 path (``depthwise_3x3`` falls back to it).
``conv_ansi``, ``depthwise_ansi`` and ``softmax_ansi`` are the reference versions that CONFIG_NN_ANSI_C selects
(not the default; kept to compare with the README's "ANSI C" ticks on the ESP32-S3, which esp_nn_readme.py writes
into the same table for core ``xtensa-lx7``).

The ESP32 (Xtensa LX6) has no kernels of its own in ESP-NN: CMakeLists.txt adds assembly only for
CONFIG_IDF_TARGET_ESP32S3 / ESP32P4, and esp_nn.h sends every other target to the generic code above.

Builds: ``O2`` (ESP-NN's CMakeLists.txt compiles the component with ``-O2`` whatever the project's optimisation
level, so this is what ESP-IDF users get) and ``Os`` (for builds outside ESP-IDF's CMake). Grids: the TFLM
reference module's, without its 1x1 convolutions (``conv_1x1`` has its own grid) and channel multipliers > 1.
Globals, random cases and the bit-exact numpy check are ``cmsis_nn``'s (the driver ``esp_nn_driver.c`` shares
``bench_globals.h`` and the entry points): ESP-NN reproduces TFLite's quantised arithmetic.
"""
from __future__ import annotations

import esp_nn
import sim
import sim_riscv
from cmsis_nn import THIRD_PARTY, CmsisNN
from lib_tflm_reference import VARIANTS as TFLM_VARIANTS
from grids import conv_shape

ESP_NN = THIRD_PARTY / "esp-nn"
LIBRARY, NAME, SOURCE = esp_nn.GENERIC_LIBRARY, esp_nn.GENERIC_NAME, esp_nn.GENERIC_SOURCE
KERNEL_SOURCES = ["convolution/esp_nn_conv_ansi.c", "convolution/esp_nn_conv_opt.c",
                  "convolution/esp_nn_depthwise_conv_ansi.c", "convolution/esp_nn_depthwise_conv_opt.c",
                  "fully_connected/esp_nn_fully_connected_ansi.c", "basic_math/esp_nn_add_ansi.c",
                  "basic_math/esp_nn_mul_ansi.c", "pooling/esp_nn_avg_pool_ansi.c",
                  "pooling/esp_nn_max_pool_ansi.c", "softmax/esp_nn_softmax_ansi.c", "softmax/esp_nn_softmax_opt.c"]

CONV_FEATURES = ["calls", "macs", "outputs", "pixels", "patch", "tail"]
DW_FEATURES = ["calls", "macs", "outputs", "pixels", "tail"]
FUNCTIONS = {"conv": "esp_nn_conv_s8_opt",
             "depthwise": "esp_nn_depthwise_conv_s8_opt (channel multiplier 1: esp_nn_depthwise_conv_s8_ch_mult_1)",
             "fc": "esp_nn_fully_connected_s8_ansi", "add": "esp_nn_add_elementwise_s8_ansi",
             "mul": "esp_nn_mul_elementwise_s8_ansi", "avgpool": "esp_nn_avg_pool_s8_ansi",
             "maxpool": "esp_nn_max_pool_s8_ansi", "softmax": "esp_nn_softmax_s8_opt"}
CONV_1X1_GRID = [conv_shape(12, 12, 16, 16, 1, 1), conv_shape(8, 8, 32, 32, 1, 1), conv_shape(16, 16, 8, 24, 1, 1),
                 conv_shape(6, 6, 64, 16, 1, 1), conv_shape(10, 10, 3, 8, 1, 1), conv_shape(4, 4, 128, 64, 1, 1),
                 conv_shape(16, 16, 16, 32, 1, 1, 2), conv_shape(9, 9, 13, 10, 1, 1), conv_shape(5, 5, 96, 24, 1, 1),
                 conv_shape(20, 20, 4, 12, 1, 1)]


def _variants() -> dict:
    out = {}
    for variant, spec in TFLM_VARIANTS.items():
        features = CONV_FEATURES if variant == "conv" else DW_FEATURES if variant == "depthwise" else spec["features"]
        out[variant] = {**spec, "function": FUNCTIONS[variant], "features": features}
    # 1x1 convolutions without padding take esp_nn_conv_s8_opt's own 1x1 path: variant conv_1x1 (variant_of)
    out["conv"]["grid"] = [s for s in out["conv"]["grid"]
                           if (s["k_h"], s["k_w"], s["pad_h"], s["pad_w"]) != (1, 1, 0, 0)]
    # channel multiplier 1 only: esp_nn_depthwise_conv_s8_opt sends ch_mult > 1 (rare in models) to another loop
    out["depthwise"]["grid"] = [s for s in out["depthwise"]["grid"] if s["ch_mult"] == 1]
    out["conv_1x1"] = {"kind": "conv", "function": "esp_nn_conv_s8_opt (1x1 path: esp_nn_conv_s8_1x1)",
                       "features": ["calls", "macs", "outputs", "pixels", "tail"], "grid": CONV_1X1_GRID,
                       "typical": CONV_1X1_GRID[0]}
    for kind, function in (("conv", "esp_nn_conv_s8_ansi"), ("depthwise", "esp_nn_depthwise_conv_s8_ansi"),
                           ("softmax", "esp_nn_softmax_s8_ansi")):
        out[f"{kind}_ansi"] = {**out[kind], "function": f"{function} (CONFIG_NN_ANSI_C, not the default)"}
    return out


class EspNNGeneric(CmsisNN):
    """ESP-NN generic C on riscv32: CmsisNN's case generation and check, RISC-V build (sim_riscv)."""

    def __init__(self):
        super().__init__(LIBRARY, NAME, SOURCE, modern=True, core_builds={sim_riscv.CORE: ("O2", "Os")})
        self.VARIANTS = _variants()

    def sources(self) -> list:
        if not ESP_NN.is_dir():
            raise FileNotFoundError(f"{ESP_NN} not found: set KERNELS_THIRD_PARTY to the third_party snapshots")
        return [sim.HERE / "esp_nn_driver.c"] + [ESP_NN / "src" / name for name in KERNEL_SOURCES]

    def elf(self, core, build):
        key = (core, build)
        if key not in self._elves:
            include = [ESP_NN / "include", ESP_NN / "src" / "common", ESP_NN / "src" / "softmax"]
            self._elves[key] = sim_riscv.build(self.sources(), build, include_dirs=include)
        return self._elves[key]

    def simulated(self, variant, core, build) -> str:
        flags = " ".join(sim_riscv.compile_flags(build))
        return (f"{self.VARIANTS[variant]['function']}, ESP-NN commit d45b843ca5f8, {sim_riscv.compiler_version()} "
                f"{flags} + picolibc, unicorn 2.1.4 basic-block counts x {sim_riscv.TIMING_SOURCE}; outputs checked "
                "bit for bit against numpy")

    def write_published(self) -> list:
        """The ESP32-S3 README tick rows: esp-nn-esp32s3 and this library's xtensa-lx7 ANSI C rows."""
        import esp_nn_readme

        return esp_nn_readme.write(LIBRARY, NAME, SOURCE)


LIBRARIES = [EspNNGeneric()]
