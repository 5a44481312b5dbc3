"""Stage 6: measured traces in (readers, events, api), calibrated power models out (calibrate).

``joulescope_free.measure`` is this package *and* the function: once the package is imported it shadows the
lazy ``jf.measure`` attribute, so the module itself is callable and forwards to :func:`.api.measure`.
"""
from __future__ import annotations

import sys
import types


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        """``jf.measure(path, *, supply_v=None, marker=None, threshold_a=None, ...)`` -> Measurement."""
        from .api import measure

        return measure(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
