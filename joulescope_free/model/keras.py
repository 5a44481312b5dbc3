"""Keras models (``.keras``, ``.h5``/``.hdf5``, SavedModel folders) -> int8 ``.tflite`` through TensorFlow.

Needs the ``tf`` extra (``pip install 'joulescope-free[tf]'``); TensorFlow is imported here only, and only when
a Keras model is given. The model is quantized post-training to full int8 with synthetic calibration data
(uniform random inputs): operator costs do not depend on weight values, but the resulting accuracy and
quantization ranges are meaningless. Results are cached by the input's SHA-256 in
``$XDG_CACHE_HOME/joulescope_free`` (default ``~/.cache/joulescope_free``).
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from pathlib import Path

from ..errors import UserError

KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")
INSTALL_HINT = "pip install 'joulescope-free[tf]'"
CALIBRATION_SAMPLES = 8
CACHE_VERSION = "1"  # bump when the conversion recipe changes


def is_keras_input(path: Path) -> bool:
    """True for a ``.keras``/``.h5`` path or a SavedModel folder (holding ``saved_model.pb``)."""
    path = Path(path)
    if path.suffix.lower() in KERAS_SUFFIXES:
        return True
    return path.is_dir() and (path / "saved_model.pb").is_file()


def cache_dir() -> Path:
    """The user cache folder for converted models (honours ``XDG_CACHE_HOME``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "joulescope_free"


def _fingerprint(path: Path) -> str:
    """SHA-256 over the file, or over every file (relative name + bytes) of a SavedModel folder."""
    h = hashlib.sha256(CACHE_VERSION.encode())
    if path.is_dir():
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(str(f.relative_to(path)).encode())
            h.update(f.read_bytes())
    else:
        h.update(path.read_bytes())
    return h.hexdigest()


def convert_keras(path: Path) -> tuple[bytes, list[str]]:
    """The int8 ``.tflite`` bytes for a Keras model and the notes to add to the warnings."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"file not found: {path}")
    if path.is_file() and path.stat().st_size == 0:
        raise UserError(f"{path} is empty; give a saved Keras model")
    note = ("converted from Keras to int8 TFLite by post-training quantization with synthetic calibration data "
            "(uniform random inputs): costs do not depend on weight values, accuracy is not meaningful")
    key = _fingerprint(path)
    cached = cache_dir() / f"{key}.tflite"
    if cached.is_file() and cached.stat().st_size > 8:
        return cached.read_bytes(), [note, f"conversion reused from the cache: {cached}"]
    data = _convert(path)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        from ..render.export import write_bytes_safely

        write_bytes_safely(cached, data)
    except (OSError, UserError):
        pass  # a read-only cache is not an error
    return data, [note]


def _import_tf():
    try:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf
    except ImportError:
        raise UserError(f"analysing a Keras model needs TensorFlow: {INSTALL_HINT}") from None
    return tf


def _load(tf, path: Path):
    try:
        if path.is_dir():
            return None, tf.saved_model.load(str(path))
        return tf.keras.models.load_model(str(path), compile=False), None
    except Exception as exc:
        msg = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise UserError(f"cannot load Keras model {path}: {msg}") from None


def _input_specs(tf, keras_model, saved):
    if keras_model is not None:
        return [(tuple(1 if d is None else int(d) for d in t.shape), tf.as_dtype(t.dtype)) for t in keras_model.inputs]
    fn = saved.signatures.get("serving_default") if hasattr(saved, "signatures") else None
    if fn is None:
        raise UserError("the SavedModel has no 'serving_default' signature to convert")
    specs = fn.structured_input_signature[1]
    return [(tuple(1 if d is None else int(d) for d in s.shape), tf.as_dtype(s.dtype)) for s in specs.values()]


@contextlib.contextmanager
def _stdout_to_stderr():
    """Send what is printed to stdout, from Python and from native code (file descriptor 1), to stderr, so
    ``--json`` output stays the only thing on stdout."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real stdout (some notebooks): Python-level redirection only
        with contextlib.redirect_stdout(sys.stderr):
            yield
        return
    try:
        os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _convert(path: Path) -> bytes:
    tf = _import_tf()
    import numpy as np

    keras_model, saved = _load(tf, path)
    specs = _input_specs(tf, keras_model, saved)
    rng = np.random.default_rng(0)

    def representative():
        for _ in range(CALIBRATION_SAMPLES):
            yield [rng.uniform(-1.0, 1.0, size=shape).astype(dtype.as_numpy_dtype) for shape, dtype in specs]

    try:
        if keras_model is not None:
            if any(d is None for t in keras_model.inputs for d in t.shape[1:]):
                raise UserError(f"{path}: inputs with unknown dimensions besides the batch cannot be costed")
            converter = tf.lite.TFLiteConverter.from_keras_model(keras_model)
        else:
            converter = tf.lite.TFLiteConverter.from_saved_model(str(path))
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
        with _stdout_to_stderr():  # the converter prints its log ("Saved artifact at ...") to stdout
            return bytes(converter.convert())
    except UserError:
        raise
    except Exception as exc:
        msg = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise UserError(f"TensorFlow could not convert {path} to int8 TFLite: {msg}") from None
