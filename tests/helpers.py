"""What the test files share: the CLI run in this process, and the kernel simulator found (or the test skipped,
naming what to install)."""
from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from joulescope_free.cli import main

HARNESS = Path(__file__).resolve().parents[1] / "kernel_sim"


def run_cli(capsys, *argv) -> tuple:
    """(exit status, stdout, stderr) of ``energy ARGV...`` run in this process."""
    with pytest.raises(SystemExit) as exc:
        main(list(map(str, argv)))
    out, err = capsys.readouterr()
    return exc.value.code or 0, out, err


def cli_ok(*argv) -> None:
    """Run ``energy ARGV...`` in this process and require exit status 0 (its output stays for ``capsys``)."""
    try:
        main(list(map(str, argv)))
    except SystemExit as exc:
        assert exc.code in (0, None), exc.code


def refused(capsys, *argv) -> str:
    """The one-line error of ``energy ARGV...`` refused as bad input (exit status 2, no traceback), stripped."""
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and "Traceback" not in err, err
    err = err.strip()
    assert len(err.splitlines()) == 1, err
    return err


def kernel_harness(compiler: str, install: str) -> None:
    """Skip the test, saying what to install, where the ``[kernels]`` extra or the cross ``compiler`` is missing
    (``install``: the Debian packages that bring it); else put kernel_sim/ on ``sys.path``."""
    missing = [m for m in ("unicorn", "capstone", "elftools") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: pip install -e '.[kernels]' to test the kernel simulator")
    if shutil.which(compiler) is None:
        pytest.skip(f"{compiler} not installed: apt-get install {install}")
    if str(HARNESS) not in sys.path:
        sys.path.insert(0, str(HARNESS))
