"""Make the generated model zoo of the sweep benchmarks (needs the ``tf`` extra): small int8 CNNs in width x depth
x resolution variants, each converted once to a fully int8 ``.tflite`` and cached outside the repository.

    python benchmarks/make_zoo.py [--count 1000] [--out ~/.cache/joulescope_free/zoo] [--jobs 2]

A model is ``depth`` blocks of (3x3 conv, stride 2 on every other block, ReLU) with ``width`` x 1..2 channels on
a ``resolution`` x ``resolution`` x 1 input, then global average pooling and a 10-way dense layer; weights are
random (the cost model reads shapes, not values). Files are named ``w{width}_d{depth}_r{resolution}.tflite``;
existing files are kept, so an interrupted run resumes. The variants are taken in a fixed order of a shuffled
grid, so ``--count 100`` gives a spread of sizes, not the 100 smallest.
"""
from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

DEFAULT_OUT = Path.home() / ".cache" / "joulescope_free" / "zoo"
WIDTHS = (4, 6, 8, 10, 12, 16, 20, 24, 28, 32)
DEPTHS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
RESOLUTIONS = (16, 20, 24, 28, 32, 40, 48, 56, 64, 72)


def variants(count: int) -> list[tuple[int, int, int]]:
    grid = list(itertools.product(WIDTHS, DEPTHS, RESOLUTIONS))
    random.Random(13).shuffle(grid)
    return grid[:count]


def make_one(args) -> str:
    """Build, quantise and write one variant (in a worker process: TensorFlow is imported there)."""
    (width, depth, resolution), out = args
    path = Path(out) / f"w{width}_d{depth}_r{resolution}.tflite"
    if path.is_file():
        return f"kept {path.name}"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf

    inp = tf.keras.Input((resolution, resolution, 1))
    x = inp
    for i in range(depth):
        stride = 2 if i % 2 == 0 and x.shape[1] >= 4 else 1
        x = tf.keras.layers.Conv2D(width * (1 + i // 4), 3, strides=stride, padding="same", activation="relu")(x)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    model = tf.keras.Model(inp, tf.keras.layers.Dense(10)(x))
    rng = np.random.default_rng(width * 10_000 + depth * 100 + resolution)

    def representative():
        for _ in range(4):
            yield [rng.random((1, resolution, resolution, 1), dtype=np.float32)]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = conv.inference_output_type = tf.int8
    data = conv.convert()
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return f"made {path.name} ({len(data)} B)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="number of variants (at most 1000)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (each imports TensorFlow once)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    todo = [(v, str(args.out)) for v in variants(args.count)]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for i, line in enumerate(pool.map(make_one, todo, chunksize=8), 1):
            if i % 50 == 0 or i == len(todo):
                print(f"{i}/{len(todo)} {line}", flush=True)
    print(f"{len(list(args.out.glob('*.tflite')))} models in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
