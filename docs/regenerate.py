"""Regenerate what the README shows from what the current version prints: every README block between
``<!-- regenerate: NAME -->`` and ``<!-- /regenerate -->`` (a fenced block whose first line is ``$ energy ...``) is
replaced by that command's live output, and ``docs/report-example.png`` is rendered again from ``energy report``.

    python docs/regenerate.py            # rewrite the README blocks and the picture
    python docs/regenerate.py --check    # exit 1 naming the blocks whose numbers differ from the CLI's (no writes)
    python docs/regenerate.py --no-png   # the README blocks only

The commands run at a fixed width (:data:`COLUMNS`) from the repository root, so the text does not depend on the
terminal. ``tests/test_readme_example.py`` compares the numbers of each block with the live CLI and fails on
drift. The picture needs headless Chromium (``apt-get install -y chromium``): it is skipped, with a note, without.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PNG = ROOT / "docs" / "report-example.png"
#: the width the README blocks are printed at
COLUMNS = 160
#: the design-review page the picture shows (the worked example, for two targets)
REPORT_ARGS = ["tests/data/mlperf_tiny/kws_ds_cnn_int8.tflite", "--mcu", "nrf52840,stm32l4r5", "--duty", "1/min",
               "--battery", "cr2032"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--hide-scrollbars", "--window-size=960,1800"]
BLOCK = re.compile(r"(<!-- regenerate: (?P<name>[\w-]+) -->\n```\n\$ (?P<command>[^\n]+)\n)(?P<body>.*?)(```\n<!-- /regenerate -->)",
                   re.DOTALL)
NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?")


def run(command: str) -> str:
    """The command's output (stdout, then stderr for a refused one) as a user at a COLUMNS-wide terminal sees it."""
    argv = shlex.split(command)
    if argv[0] == "energy":
        argv = [sys.executable, "-m", "joulescope_free.cli", *argv[1:]]
    env = {**os.environ, "COLUMNS": str(COLUMNS), "NO_COLOR": "1", "TERM": "dumb"}
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    text = done.stdout + done.stderr
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def blocks(text: str) -> list:
    """(name, command, body) of every regenerated block of the README text."""
    return [(m["name"], m["command"], m["body"]) for m in BLOCK.finditer(text)]


def numbers(text: str) -> list[str]:
    """The numbers of a text, in order (what must not drift; widths and wrapping do not change them)."""
    return NUMBER.findall(text)


def regenerate_readme(check: bool = False) -> list[str]:
    """Rewrite the README blocks (or, with ``check``, only list those whose numbers differ). Returns the names of
    the blocks that changed."""
    text = README.read_text(encoding="utf-8")
    changed = []

    def replace(m):
        live = run(m["command"])
        if numbers(live) != numbers(m["body"]) or live != m["body"]:
            changed.append(m["name"])
        return m.group(1) + live + m.group(5)

    new = BLOCK.sub(replace, text)
    if not check and new != text:
        README.write_text(new, encoding="utf-8")
    return changed


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def render_png() -> bool:
    """docs/report-example.png from ``energy report`` (the worked example, two targets), cropped to the page."""
    browser = chromium()
    if browser is None:
        print("no Chromium: docs/report-example.png not rendered (apt-get install -y chromium)", file=sys.stderr)
        return False
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "review.html"
        out = run(f"energy report {' '.join(REPORT_ARGS)} -o {page}")
        if not page.exists():
            raise SystemExit(f"energy report wrote no page: {out}")
        shot = Path(tmp) / "shot.png"
        subprocess.run([browser, *CHROMIUM_FLAGS, f"--screenshot={shot}", page.as_uri()], check=True,
                       capture_output=True, timeout=300)
        shutil.copyfile(shot, PNG)
    print(f"wrote {PNG.relative_to(ROOT)}")
    return True


def main(argv: list[str]) -> int:
    check = "--check" in argv
    changed = regenerate_readme(check=check)
    if check:
        for name in changed:
            print(f"README block '{name}' differs from what the CLI prints now: run python docs/regenerate.py")
        return 1 if changed else 0
    print(f"README: {len(changed)} block(s) rewritten" + (f" ({', '.join(changed)})" if changed else ""))
    if "--no-png" not in argv:
        render_png()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
