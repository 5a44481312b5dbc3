"""Keras input: conversion to int8 TFLite through TensorFlow, the cache, --keep-tflite, and the no-TF message."""
import sys

import pytest

from joulescope_free.errors import UserError
from joulescope_free.model.analysis import analyze_path


def test_without_tensorflow_one_line_install_hint(tmp_path, monkeypatch):
    model = tmp_path / "m.keras"
    model.write_bytes(b"PK\x03\x04 not really a keras file")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # makes `import tensorflow` raise ImportError
    with pytest.raises(UserError, match=r"pip install 'joulescope-free\[tf\]'"):
        analyze_path(model)


def test_missing_keras_file(tmp_path):
    with pytest.raises(UserError, match="not found"):
        analyze_path(tmp_path / "absent.keras")


@pytest.fixture(scope="module")
def keras_file(tmp_path_factory):
    tf = pytest.importorskip("tensorflow")
    folder = tmp_path_factory.mktemp("keras")
    inp = tf.keras.Input((10, 10, 2))
    x = tf.keras.layers.Conv2D(4, 3)(inp)  # valid: 8x8x4 outputs x 3*3*2 taps
    x = tf.keras.layers.Flatten()(x)
    x = tf.keras.layers.Dense(3)(x)  # 3 outputs x 256 inputs
    model = tf.keras.Model(inp, x)
    path = folder / "tiny.keras"
    model.save(path)
    return path


def test_keras_model_converted_and_cached(keras_file, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    kept = tmp_path / "kept.tflite"
    r = analyze_path(keras_file, keep_tflite=kept)
    assert r.summary["macs"] == 8 * 8 * 4 * 3 * 3 * 2 + 3 * 256
    assert r.tensor_type == "int8"
    assert any("synthetic calibration" in w for w in r.warnings)
    assert kept.read_bytes()[4:8] == b"TFL3"
    cached = list((tmp_path / "cache" / "joulescope_free").glob("*.tflite"))
    assert len(cached) == 1 and cached[0].read_bytes() == kept.read_bytes()
    again = analyze_path(keras_file)
    assert any("cache" in w for w in again.warnings) and again.summary["macs"] == r.summary["macs"]


def test_broken_keras_file_is_user_error(tmp_path, monkeypatch):
    pytest.importorskip("tensorflow")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    bad = tmp_path / "broken.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(UserError, match="cannot load Keras model"):
        analyze_path(bad)


def test_h5_and_savedmodel_folder(keras_file, tmp_path, monkeypatch):
    tf = pytest.importorskip("tensorflow")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    model = tf.keras.models.load_model(keras_file)
    h5 = tmp_path / "tiny.h5"
    model.save(h5)
    saved = tmp_path / "saved"
    model.export(saved)  # a TF SavedModel folder (saved_model.pb + variables/)
    expected = 8 * 8 * 4 * 3 * 3 * 2 + 3 * 256
    assert analyze_path(h5).summary["macs"] == expected
    assert analyze_path(saved).summary["macs"] == expected


def test_keep_tflite_never_overwrites_another_file(keras_file, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    precious = tmp_path / "precious.tflite"
    precious.write_bytes(b"user data")
    with pytest.raises(UserError, match="already exists"):
        analyze_path(keras_file, keep_tflite=precious)
    assert precious.read_bytes() == b"user data"
