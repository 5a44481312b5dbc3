"""Where the shipped data files live: inside the wheel, or at the top of a source checkout."""
from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent
#: where a folder lives in a source checkout when it is not at the top level
_CHECKOUT = {"validation": "tests/data/mlperf_tiny"}


def data_dir(name: str) -> Path:
    """``data_dir("power_models")``, ``data_dir("profiles")`` or ``data_dir("validation")``.

    A built wheel carries them as ``joulescope_free/_data/<name>``; an editable install or a checkout
    reads the top-level folders of the repository.
    """
    for candidate in (_PKG / "_data" / name, _PKG.parent / _CHECKOUT.get(name, name)):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"data folder '{name}' not found next to {_PKG}")


def display_path(path) -> str:
    """A shipped data file as the repository names it (``tests/data/mlperf_tiny/x.csv`` in a checkout,
    ``validation/x.csv`` in a wheel), so no output shows where the package is installed; other paths unchanged."""
    path = Path(path)
    for root in (_PKG / "_data", _PKG.parent):
        try:
            return path.resolve().relative_to(root).as_posix()
        except ValueError:
            continue
    return str(path)
