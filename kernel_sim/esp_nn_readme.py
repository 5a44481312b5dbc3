"""ESP-NN kernel costs on the ESP32-S3 (Xtensa LX7) from ESP-NN's own README tick table (not simulated).

ESP-NN's README ("Kernelwise performance on ESP32-S3 chip", 240 MHz, QPI PSRAM 80 MHz, 64 KB data cache) lists
per kernel the ticks of the ANSI C version and of the optimised (assembly) version at one stated shape. The
ticks are CPU clock cycles: the test app (test_app/main/main.c) brackets each call with
``esp_cpu_get_ccount()`` (the Xtensa CCOUNT register, one count per CPU clock) and prints the differences as
"cycles". They are measured with the data where the README's "Memory" column says: "External" rows (add, mul,
convolution, depthwise) keep their tensors in PSRAM behind the data cache, so they include cache misses and are
not zero-wait-state figures (the simulated tables are); "Internal" rows (pools, fully connected, softmax) use SRAM.

Shapes follow the README's "Data info" column, completed from the test that produced it
(tests/src/*_test.c): depthwise with padding uses the test's SAME-style output size ceil(in / stride);
convolution "filter(64x1x1x64)" is (out_c x k_h x k_w x in_c). The features are
``shape_features`` of that shape (nominal MACs, as the cycle model counts them).

Per variant: cycles/MAC (or per output for add/mul/softmax) at each stated shape; where a variant has several
shapes (all are MAC kernels), an NNLS fit (``fit.fit_cycles``) of ``cycles_per_mac`` and ``cycles_per_output``
(:data:`TWO_POINT_FEATURES`), not of ``cycles_per_call``: on the simulated ESP-NN generic kernels (riscv32,
results/esp-nn-generic.csv) the fixed cost sits in each output's requantisation, and a (calls, macs) fit over
the full grids misses by 17-29 % median (up to 58 %) where (macs, outputs) misses by 0.2-8 % median for conv
1x1, conv, depthwise, fully connected and the pools. Two shapes give an exact fit, which says nothing of its
error (the entry says so instead of quoting 0 %). The optimised rows go to ``esp-nn-esp32s3.toml``; the ANSI C
rows (one C function per operator) go to ``esp-nn-generic.toml`` with core ``xtensa-lx7``: the nearest published
measurement for the ESP32 (LX6), which has no kernels of its own in ESP-NN (by default it runs the generic
``*_opt`` conv/depthwise/softmax, which on riscv32 cost 0.54-0.62x their ANSI C versions, conv 1x1 to depthwise).
Build ``O2``: ESP-NN's CMakeLists.txt compiles the component with ``-O2`` whatever the project's optimisation.

Run: ``python kernel_sim/run.py --library esp-nn-generic`` (through ``EspNNGeneric.write_published``)
or ``python kernel_sim/esp_nn_readme.py`` alone.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fit  # noqa: E402
import grids  # noqa: E402
from esp_nn import COMMIT  # noqa: E402
from grids import conv_shape, depthwise_shape, eltwise_shape, fc_shape, pool_shape, softmax_shape  # noqa: E402

TWO_POINT_FEATURES = ("macs", "outputs")
CORE = "xtensa-lx7"
BUILD = "O2"
OPT_LIBRARY, OPT_NAME = "esp-nn-esp32s3", "ESP-NN (ESP32-S3 assembly kernels)"
OPT_SOURCE = (f"espressif/esp-nn commit {COMMIT} (copy in shared/third_party/esp-nn), README kernel-wise tick "
              "table for ESP32-S3, Apache-2.0. The S3 table is older than the kernels of this snapshot: it lists no "
              "row for kernels the P4 table has (hard_swish, mean), its 3x3x3 convolution row names an 8x8 input "
              "where today's test uses 10x10, and the snapshot's S3 dispatch has paths added since (the im2col "
              "first-layer convolution 'inspired by ESP32-P4', the 2026 C+SIMD 1x1 kernel for channels that are not "
              "a multiple of 8, the s16 3x3 depthwise 'ch<12 path' written for the person-detection model): those "
              "cost the row of the kernel they replaced (hardware/kernels.py FALLBACK)")
TICKS_NOTE = ("ticks = CPU clock cycles (esp_cpu_get_ccount, test_app/main/main.c); ESP32-S3 at 240 MHz, "
              "64 KB data cache")

#: The README's S3 row says input(8,8); the test that produced the table (tests/src/convolution_test.c case 2)
#: and the ESP32-P4 table's same row say input(10,10). 10x10 is taken: with it the row's ANSI C cost (19.8
#: cycles/MAC) matches the same C code simulated on riscv32 (19.9, esp_nn_crosscheck.py); 8x8 would make it 35.3.
CONV3X3_INFO = ("input(10,10), filter(64x3x3x3), pad(0,0), stride(1,1) [README S3 row says input(8,8), its test "
                "case and the P4 row use 10x10, taken here]")

# (README function column, kind, shape (grids.py), README data info, memory, ANSI ticks, opt ticks,
#  optimised variant id, optimised function and path)
ROWS = [
    ("elementwise_add", "add", eltwise_shape(1, 1, 1615), "size = 1615", "External", 281337, 74440,
     "add", "esp_nn_add_elementwise_s8_esp32s3"),
    ("elementwise_mul", "mul", eltwise_shape(1, 1, 1615), "size = 1615", "External", 122703, 35002,
     "mul", "esp_nn_mul_elementwise_s8_esp32s3"),
    ("convolution", "conv", conv_shape(10, 10, 64, 64, 1, 1),
     "input(10,10), filter(64x1x1x64), pad(0,0), stride(1,1)", "External", 4712500, 331008,
     "conv_1x1", "esp_nn_conv_s8_esp32s3 -> esp_nn_conv_s8_mult8_1x1_esp32s3 (1x1, pad 0, in_c % 8 == 0)"),
    ("convolution", "conv", conv_shape(8, 8, 16, 16, 1, 1),
     "input(8,8), filter(16x1x1x16), pad(0,0), stride(1,1)", "External", 312754, 39022,
     "conv_1x1", "esp_nn_conv_s8_esp32s3 -> esp_nn_conv_s8_mult8_1x1_esp32s3 (1x1, pad 0, in_c % 8 == 0)"),
    ("convolution", "conv", conv_shape(10, 10, 3, 64, 3, 3), CONV3X3_INFO, "External", 2193289, 394842,
     "conv", "esp_nn_conv_s8_esp32s3 -> esp_nn_conv_s8_filter_aligned_input_padded_esp32s3 (filter rows padded "
     "to 16 bytes); today's code takes esp_nn_conv_s8_im2col_s3 for this shape (k_w x in_c < 16 <= k_h x k_w x "
     "in_c), a path the table most likely predates (see the library source); the row serves both (conv_im2col falls "
     "back to it)"),
    ("depthwise conv", "depthwise", depthwise_shape(18, 18, 16, 3, 3),
     "input(18,18), pad(0,0), stride(1,1), filter: 1x3x3x16", "External", 1159831, 184176,
     "depthwise_3x3", "esp_nn_depthwise_conv_s8_esp32s3 -> esp_nn_depthwise_conv_s8_mult1_3x3_padded_esp32s3 "
     "(ch_mult 1, 3x3, pad 0, channels % 16 == 0)"),
    ("depthwise conv", "depthwise", {**depthwise_shape(12, 12, 4, 5, 5, 1, 1, ch_mult=8), "out_h": 12, "out_w": 12},
     "input(12,12), pad(1,1), stride(1,1), filter: 8x5x5x4", "External", 1671363, 372435,
     "depthwise", "esp_nn_depthwise_conv_s8_esp32s3 -> esp_nn_depthwise_conv_s16_mult8_esp32s3 (ch_mult % 8 == 0)"),
    ("max pool", "maxpool", pool_shape(16, 16, 16, 3, 3, 1, 1),
     "input(16,16), filter(1x3x3x16)", "Internal", 376294, 48069, "maxpool", "esp_nn_max_pool_s8_esp32s3"),
    ("avg pool", "avgpool", pool_shape(16, 16, 16, 3, 3, 1, 1),
     "input(16,16), filter(1x3x3x16)", "Internal", 427293, 118052, "avgpool", "esp_nn_avg_pool_s8_esp32s3"),
    ("fully connected", "fc", fc_shape(271, 3), "len: 271, ch = 3", "Internal", 8443, 1078,
     "fc", "esp_nn_fully_connected_s8_esp32s3"),
    ("softmax", "softmax", softmax_shape(8, 32), "h: 8, w: 32", "Internal", 15209, 11107,
     "softmax", "esp_nn_softmax_s8_esp32s3"),
]

ANSI_FUNCTIONS = {"add": "esp_nn_add_elementwise_s8_ansi", "mul": "esp_nn_mul_elementwise_s8_ansi",
                  "conv": "esp_nn_conv_s8_ansi", "depthwise": "esp_nn_depthwise_conv_s8_ansi",
                  "maxpool": "esp_nn_max_pool_s8_ansi", "avgpool": "esp_nn_avg_pool_s8_ansi",
                  "fc": "esp_nn_fully_connected_s8_ansi", "softmax": "esp_nn_softmax_s8_ansi"}


def _label(row) -> str:
    memory = ("External memory: tensors in PSRAM behind the data cache, cache misses included" if row[4] == "External"
              else "Internal memory: SRAM")
    return f"{row[0]}, {row[3]} ({memory})"


def _per_unit(rows: list, column: str) -> tuple:
    """(ticks, features, 'macs' or 'outputs', ticks per MAC or per output) of README rows in one column."""
    ticks = [r[5] if column == "ANSI C" else r[6] for r in rows]
    feats = [grids.features(r[1], r[2]) for r in rows]
    per = "macs" if feats[0]["macs"] else "outputs"
    return ticks, feats, per, [t / f[per] for t, f in zip(ticks, feats)]


def _entry(variant: str, function: str, rows: list, column: str) -> dict:
    """One table entry from the README rows of a variant; ``column`` is 'ANSI C' or 'Optimized'."""
    ticks, feats, per, ratios = _per_unit(rows, column)
    per_key = "cycles_per_mac" if per == "macs" else "cycles_per_output"
    entry = {"variant": variant, "core": CORE, "build": BUILD, "function": function,
             "source": f"esp-nn README tick table, commit {COMMIT}, ESP32-S3 '{column}' column, rows: "
                       + "; ".join(_label(r) for r in rows) + f"; {TICKS_NOTE}",
             "shapes": len(rows), "typical_shape": rows[0][3], f"typical_{per_key}": fit._sig(ratios[0], 4),
             f"stated_{per_key}": "; ".join(f"{fit._sig(x, 4)} at {r[3]}" for x, r in zip(ratios, rows))}
    if len(rows) > 1:
        result = fit.fit_cycles([{**f, "cycles": t} for f, t in zip(feats, ticks)], list(TWO_POINT_FEATURES))
        if len(rows) > len(result.coefficients):
            entry.update(fit_median_error_pct=round(result.median_error_pct, 2),
                         fit_max_error_pct=round(result.max_error_pct, 2))
        else:
            entry["fit"] = (f"exact through {len(rows)} shapes with {len(result.coefficients)} coefficients: "
                            "no error estimate")
        entry.update({fit.COEFFICIENT_KEYS[k]: fit._sig(v) for k, v in result.coefficients.items()})
    else:
        entry[per_key] = fit._sig(ratios[0], 4)
    return entry


def _groups() -> tuple:
    """README rows grouped: {(optimised variant, function): rows}, {kind (the ANSI C variant): rows}."""
    by_variant, by_kind = {}, {}
    for row in ROWS:
        by_variant.setdefault((row[7], row[8]), []).append(row)
        by_kind.setdefault(row[1], []).append(row)
    return by_variant, by_kind


def entries() -> tuple:
    """(optimised entries for esp-nn-esp32s3, ANSI C entries for esp-nn-generic on xtensa-lx7)."""
    by_variant, by_kind = _groups()
    return ([_entry(variant, function, rows, "Optimized") for (variant, function), rows in by_variant.items()],
            [_entry(kind, ANSI_FUNCTIONS[kind], rows, "ANSI C") for kind, rows in by_kind.items()])


def csv_rows(library: str, column: str) -> list:
    """The README rows as result-CSV rows (cycles = ticks; nothing simulated, so no instruction count)."""
    out = []
    for row in ROWS:
        variant, function = (row[7], row[8]) if column == "Optimized" else (row[1], ANSI_FUNCTIONS[row[1]])
        out.append({"library": library, "variant": variant, "function": function, "core": CORE, "build": BUILD,
                    **row[2], **grids.features(row[1], row[2]), "instructions": "",
                    "cycles": row[6] if column == "Optimized" else row[5],
                    "output_ok": f"published (README '{column}', {row[4]} memory)"})
    return out


def write(generic_library: str, generic_name: str, generic_source: str) -> list:
    """Write both tables and their CSV rows (merged with the generic library's simulated ones); the paths."""
    optimised, ansi = entries()
    return [fit.write_csv(OPT_LIBRARY, csv_rows(OPT_LIBRARY, "Optimized")),
            fit.write_table(OPT_LIBRARY, OPT_NAME, OPT_SOURCE, optimised),
            fit.write_csv(generic_library, csv_rows(generic_library, "ANSI C")),
            fit.write_table(generic_library, generic_name, generic_source, ansi)]


def print_table() -> None:
    by_variant, by_kind = _groups()
    optimised, ansi = entries()
    print(f"{'library':16} {'variant':14} {'cycles/MAC at the README shapes (per element: add/mul/softmax)':40} fit")
    for library, groups, column, group in ((OPT_LIBRARY, by_variant.values(), "Optimized", optimised),
                                           ("esp-nn-generic", by_kind.values(), "ANSI C", ansi)):
        for rows, e in zip(groups, group):
            stated = [fit._sig(x, 3) for x in _per_unit(rows, column)[3]]
            coefs = ", ".join(f"{k}={v}" for k, v in e.items() if k.startswith("cycles_per_"))
            err = f" (max err {e['fit_max_error_pct']} %)" if "fit_max_error_pct" in e else ""
            print(f"{library:16} {e['variant']:14} {str(stated):40} {coefs}{err}")


if __name__ == "__main__":
    import esp_nn

    for path in write(esp_nn.GENERIC_LIBRARY, esp_nn.GENERIC_NAME, esp_nn.GENERIC_SOURCE):
        print("wrote", path)
    print_table()
