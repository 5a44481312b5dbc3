"""joulescope_free: what a quantized neural network costs on a microcontroller, before you own a power meter.

Public API (pandas objects throughout)::

    import joulescope_free as jf
    jf.analyze("model.tflite")                      # layer DataFrame (.attrs has the summary)
    r = jf.estimate("model.tflite", mcu="nrf52840", duty="1/min", battery="cr2032")
    r.summary, r.layers, r.phases
    jf.sweep("model.tflite", mcu=[...], duty=[...], battery=[...])
    jf.compare("model.tflite", mcu=["nrf52840", "stm32l4r5"], duty="1/s")   # one row per target, longest life first
    jf.report("model.tflite", mcu=["nrf52840"], duty="1/min", output="review.html")  # offline HTML with charts
    jf.measure("trace.jls"), jf.calibrate([...], models=[...], mcu=..., output=...)
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["analyze", "estimate", "sweep", "compare", "report", "measure", "calibrate", "validate", "UserError", "__version__"]

from .errors import UserError


def __dir__():  # the lazy names too, so dir(jf) and tab completion show the public API
    return sorted(set(globals()) | set(__all__))


def __getattr__(name):  # lazy: `import joulescope_free` stays cheap for the CLI
    if name in ("analyze", "estimate", "sweep"):
        from . import api

        return getattr(api, name)
    if name in ("compare", "report"):
        from . import review

        return getattr(review, name)
    if name == "measure":
        from .measure.api import measure

        return measure
    if name == "calibrate":
        from .measure.calibrate import calibrate

        return calibrate
    if name == "validate":
        from .validation import validate

        return validate
    raise AttributeError(name)
