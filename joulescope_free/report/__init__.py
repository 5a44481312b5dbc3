"""Rendering: tables, JSON, CSV/XLSX export, plots and the HTML design review.

``jf.report(...)`` is the design-review function (:func:`joulescope_free.review.report`), and this package is
``joulescope_free.report``: once the package is imported, Python binds ``jf.report`` to it, so the package itself
is callable and forwards to that function."""
from __future__ import annotations

import sys
import types


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        from ..review import report

        return report(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
