"""The ESP-NN snapshot the two ESP-NN modules describe: ``lib_esp_nn_generic`` simulates its generic C kernels,
``esp_nn_readme`` writes its README tick tables into the same generic library's table. Both import this module;
it imports neither."""
from __future__ import annotations

COMMIT = "d45b843ca5f8"
#: the generic C kernels' library (``power_models/kernels/esp-nn-generic.toml``)
GENERIC_LIBRARY = "esp-nn-generic"
GENERIC_NAME = "ESP-NN generic C kernels (ESP32, ESP32-C3)"
GENERIC_SOURCE = (f"espressif/esp-nn commit {COMMIT} (2026-04-27, after v1.2.0; copy in shared/third_party/esp-nn): "
                  "src/*/*_ansi.c and *_opt.c, Apache-2.0")
