"""Generate the tiny .tflite models the model-analysis tests use (run once; the outputs are committed).

    python tests/data/make_tiny_models.py        # needs tensorflow (the `tf` extra)

Each model exercises one or a few operators with shapes small enough to compute MACs by hand in
tests/test_model_ops.py. Weights are random (seeded): costs do not depend on their values.
"""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

HERE = Path(__file__).resolve().parent / "tiny"
K = tf.keras.layers
RNG = np.random.default_rng(0)


def _representative(shapes):
    def gen():
        for _ in range(8):
            yield [RNG.uniform(-1, 1, size=s).astype(np.float32) for s in shapes]

    return gen


def convert(converter, shapes, mode: str) -> bytes:
    """mode: int8 (full integer, int8 I/O), int16x8, float32, dynamic (dynamic-range / hybrid)."""
    if mode == "int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = _representative(shapes)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    elif mode == "int8_float_io":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = _representative(shapes)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    elif mode == "int16x8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = _representative(shapes)
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    elif mode == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return bytes(converter.convert())


def keras_model(input_shape, layers, batch=1):
    """A Keras 3 functional model (batch fixed to 1 so every shape is concrete)."""
    inp = tf.keras.Input(input_shape, batch_size=batch)
    x = inp
    for layer in layers:
        x = layer(x)
    return tf.keras.Model(inp, x)


def from_keras(model, mode="int8") -> bytes:
    shapes = [tuple(t.shape) for t in model.inputs]
    return convert(tf.lite.TFLiteConverter.from_keras_model(model), shapes, mode)


def from_function(fn, specs, mode="float32", extra_ops=None) -> bytes:
    """A TF 2.x tf.function converted through a concrete function (no Keras)."""
    concrete = tf.function(fn).get_concrete_function(*specs)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
    if extra_ops:
        converter.target_spec.supported_ops = extra_ops
        return bytes(converter.convert())
    return convert(converter, [tuple(s.shape) for s in specs], mode)


def handmade_lstm(steps=5, n_input=3, n_cell=4) -> bytes:
    """A float UNIDIRECTIONAL_SEQUENCE_LSTM written with TensorFlow's flatbuffer object API (Keras 3 lowers its
    LSTM layer to a WHILE loop instead). Input [1, steps, n_input] batch-major; no peephole, no projection."""
    from tensorflow.lite.python import schema_py_generated as fb

    model = fb.ModelT()
    model.version = 3
    model.buffers = [fb.BufferT()]
    sg = fb.SubGraphT()
    sg.tensors = []

    def tensor(name, shape, data=None, variable=False):
        t = fb.TensorT()
        t.name, t.shape, t.type = name.encode(), list(shape), fb.TensorType.FLOAT32
        t.buffer = 0
        t.isVariable = variable
        if data is not None:
            b = fb.BufferT()
            b.data = np.asarray(data, np.float32).tobytes()
            model.buffers.append(b)
            t.buffer = len(model.buffers) - 1
        sg.tensors.append(t)
        return len(sg.tensors) - 1

    x = tensor("input", [1, steps, n_input])
    w_in = [tensor(f"input_to_{g}", [n_cell, n_input], RNG.normal(size=(n_cell, n_input))) for g in "ifco"]
    w_rec = [tensor(f"recurrent_to_{g}", [n_cell, n_cell], RNG.normal(size=(n_cell, n_cell))) for g in "ifco"]
    bias = [tensor(f"bias_{g}", [n_cell], np.zeros(n_cell)) for g in "ifco"]
    h = tensor("output_state", [1, n_cell], variable=True)
    c = tensor("cell_state", [1, n_cell], variable=True)
    y = tensor("output", [1, steps, n_cell])
    op = fb.OperatorT()
    op.opcodeIndex = 0
    op.inputs = [x, *w_in, *w_rec, -1, -1, -1, *bias, -1, -1, h, c, -1, -1, -1, -1]
    op.outputs = [y]
    op.builtinOptionsType = fb.BuiltinOptions.UnidirectionalSequenceLSTMOptions
    opts = fb.UnidirectionalSequenceLSTMOptionsT()
    opts.fusedActivationFunction = fb.ActivationFunctionType.TANH
    opts.timeMajor = False
    op.builtinOptions = opts
    sg.operators = [op]
    sg.inputs, sg.outputs = [x], [y]
    code = fb.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = fb.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM
    code.version = 1
    model.operatorCodes = [code]
    model.subgraphs = [sg]
    import flatbuffers

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def build() -> dict[str, bytes]:
    tf.keras.utils.set_random_seed(0)
    out: dict[str, bytes] = {}
    # CONV_2D 3x3 same, 8x8x3 -> 8x8x4, and a strided valid one; + ADD + MAX_POOL_2D + AVERAGE_POOL_2D
    inp = tf.keras.Input((8, 8, 3), batch_size=1)
    a = K.Conv2D(4, 3, padding="same", activation="relu")(inp)
    b = K.Conv2D(4, 1)(inp)
    x = K.Add()([a, b])
    x = K.MaxPooling2D(2)(x)
    x = K.AveragePooling2D(2)(x)
    out["conv_add_pool_int8"] = from_keras(tf.keras.Model(inp, x))
    # grouped conv: 6x6x4 -> 6x6x8, 3x3, groups=2
    out["conv_grouped_float32"] = from_keras(keras_model((6, 6, 4), [K.Conv2D(8, 3, padding="same", groups=2)]),
                                             "float32")
    # DEPTHWISE_CONV_2D 3x3 stride 2, depth multiplier 2: 9x9x4 -> 4x4x8
    out["depthwise_int8"] = from_keras(keras_model((9, 9, 4), [K.DepthwiseConv2D(3, strides=2, depth_multiplier=2)]))
    # FULLY_CONNECTED 20 -> 10, then SOFTMAX
    out["fc_softmax_int8"] = from_keras(keras_model((20,), [K.Dense(10), K.Softmax()]))
    # 1-D convolution: 16 steps x 3 channels -> kernel 5, 6 filters (EXPAND_DIMS + CONV_2D + SQUEEZE/RESHAPE)
    out["conv1d_int8"] = from_keras(keras_model((16, 3), [K.Conv1D(6, 5, padding="valid")]))
    # TRANSPOSE_CONV: 4x4x3 -> 8x8x2, kernel 3, stride 2
    out["transpose_conv_int8"] = from_keras(keras_model((4, 4, 3), [K.Conv2DTranspose(2, 3, strides=2,
                                                                                       padding="same")]))
    # CONCATENATION, MUL, PAD, MEAN, LOGISTIC, TANH with float I/O (QUANTIZE/DEQUANTIZE at the edges)
    inp = tf.keras.Input((4, 4, 2), batch_size=1)
    c = K.Concatenate()([inp, inp * 0.5])
    m = K.Multiply()([c, c])
    p = K.ZeroPadding2D(1)(m)
    g = K.GlobalAveragePooling2D()(p)
    s = K.Activation("sigmoid")(g)
    t = K.Activation("tanh")(s)
    out["misc_int8_float_io"] = from_keras(tf.keras.Model(inp, t), "int8_float_io")
    # int16x8: a conv 6x6x2 -> 6x6x3 (3x3 same) and a dense
    out["conv_fc_int16x8"] = from_keras(keras_model((6, 6, 2), [K.Conv2D(3, 3, padding="same"), K.Flatten(),
                                                                K.Dense(5)]), "int16x8")
    # dynamic range (hybrid): dense 64 -> 32 (large enough for the converter to quantize the weights)
    out["fc_dynamic"] = from_keras(keras_model((64,), [K.Dense(32), K.Dense(16)]), "dynamic")
    # LSTM: 5 steps x 3 features -> 4 units; Keras 3 gives a WHILE loop, so also a fused op written by hand
    out["lstm_keras3_while_float32"] = from_keras(keras_model((5, 3), [K.LSTM(4)]), "float32")
    out["lstm_float32"] = handmade_lstm()
    # TF 2.x path (no Keras): BATCH_MATMUL of [1,3,4] x [1,4,5]
    out["batch_matmul_tf2_float32"] = from_function(
        lambda a, b: tf.matmul(a, b), [tf.TensorSpec([1, 3, 4], tf.float32), tf.TensorSpec([1, 4, 5], tf.float32)])
    # several subgraphs: a WHILE loop (cond and body become subgraphs 1 and 2)
    out["while_float32"] = from_function(
        lambda x: tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2.0), [tf.constant(0), x])[1],
        [tf.TensorSpec([1, 4], tf.float32)])
    # a Select-TF (Flex) op the cost model cannot know: matrix determinant, after a FULLY_CONNECTED
    out["flex_det_float32"] = from_function(
        lambda x: tf.linalg.det(tf.reshape(tf.matmul(x, tf.ones([4, 4])), [1, 2, 2])),
        [tf.TensorSpec([1, 4], tf.float32)],
        extra_ops=[tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS])
    return out


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    for name, data in build().items():
        (HERE / f"{name}.tflite").write_bytes(data)
        print(f"{name}.tflite  {len(data)} B")


if __name__ == "__main__":
    main()
