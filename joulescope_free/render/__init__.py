"""Rendering: terminal tables, JSON, CSV/XLSX export, plots and the HTML page of ``energy report``.

The features whose results are rendered here live above this package: ``jf.report(...)`` (the design-review page)
and ``jf.compare(...)`` are :mod:`joulescope_free.review`; this package only turns results into text, files and
pictures. (It was called ``joulescope_free.report`` before 0.2, which made ``jf.report`` mean two things.)"""
