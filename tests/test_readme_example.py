"""The README shows what the current version prints: every block docs/regenerate.py maintains is compared, number by
number, with the live CLI output of its own command (widths and line wrapping do not matter, the figures do). When
this fails, run ``python docs/regenerate.py`` and commit the README (and docs/report-example.png)."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("regenerate", ROOT / "docs" / "regenerate.py")
regenerate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(regenerate)

BLOCKS = regenerate.blocks((ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_readme_has_the_worked_example_and_the_comparison():
    assert {name for name, _, _ in BLOCKS} >= {"worked-example", "compare-example"}


@pytest.mark.parametrize("name, command, body", BLOCKS, ids=[b[0] for b in BLOCKS])
def test_the_readme_block_shows_what_the_cli_prints(name, command, body):
    live = regenerate.run(command)
    shown, printed = regenerate.numbers(body), regenerate.numbers(live)
    assert printed, f"{command} printed no numbers:\n{live}"
    first = next((i for i, (a, b) in enumerate(zip(shown, printed)) if a != b), min(len(shown), len(printed)))
    assert shown == printed, (f"README block '{name}' has drifted from `{command}` at number {first}: README "
                              f"{shown[first:first + 5]}, CLI {printed[first:first + 5]}; run python docs/regenerate.py")


def test_a_drifted_number_is_caught():
    """The comparison itself can fail: one changed figure in a block is a difference."""
    name, command, body = BLOCKS[0]
    numbers = regenerate.numbers(body)
    changed = body.replace(numbers[3], numbers[3] + "1", 1)
    assert regenerate.numbers(changed) != numbers
