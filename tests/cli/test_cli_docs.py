"""docs/cli.md shows every command with its real output."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from transcript import PAGE, normalise, replay

RESULTS = replay(PAGE.read_text())


@pytest.mark.parametrize(
    ("command", "shown", "output"), RESULTS, ids=[command for command, _, _ in RESULTS]
)
def test_the_page_shows_the_real_output(command: str, shown: str, output: str) -> None:
    assert normalise(output) == normalise(shown), (
        f"docs/cli.md is out of date for `{command}`; "
        "run `python tests/cli/transcript.py --update` and review the diff"
    )


def test_the_page_has_examples_of_refusals_and_usage_errors() -> None:
    outputs = [output for _, _, output in RESULTS]

    assert any(o.startswith("Error: no case ") for o in outputs)
    assert any("is not a case id" in o for o in outputs)
