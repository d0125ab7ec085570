"""Every script in examples/ runs as a newcomer runs it (``python examples/NAME.py``, from
the repository root, in a fresh process), and every story runs on its own
(``python -m casehistory.stories.NAME``), printing its trail and nothing on stderr."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from casehistory.stories import STORIES

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_there_are_examples() -> None:
    assert {p.name for p in EXAMPLES} >= {
        "stories.py",
        "auditor_round.py",
        "projection_property_test.py",
        "morning_report.py",
    }


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_every_example_runs_cleanly(script: Path) -> None:
    done = _run(str(script.relative_to(ROOT)))

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.strip()


def test_the_stories_example_prints_every_trail(tmp_path: Path) -> None:
    store = tmp_path / "cases.sqlite"
    done = _run(str(ROOT / "examples" / "stories.py"), str(store), cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    for story in STORIES:
        assert f"Story {story.number}: {story.title} (case " in done.stdout
    assert done.stdout.count("  v1 | occurred") == len(STORIES)
    assert store.exists()


def test_the_auditors_round_proves_the_bundle_and_catches_a_cut() -> None:
    done = _run("examples/auditor_round.py")

    assert "verify: 5 cases, 84 events, ok=True" in done.stdout
    assert "offline: ok=True proven=True whole store=True" in done.stdout
    assert "a case's last event dropped: ok=False" in done.stdout


def test_the_property_test_example_passes_on_drawn_histories() -> None:
    done = _run("examples/projection_property_test.py")

    assert "money_kept agrees with the ledger on 60 drawn case histories" in done.stdout


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.slug)
def test_each_story_runs_on_its_own(story: object) -> None:
    module = story.module  # type: ignore[attr-defined]
    done = _run("-m", module)

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no runpy warning: the package does not import it first
    assert done.stdout.startswith(f"Story {story.number}: ")  # type: ignore[attr-defined]
    assert "  v1 | occurred" in done.stdout


def test_the_morning_report_answers_each_question_from_the_catalog(tmp_path: Path) -> None:
    """Its answers are those of the cases themselves, and a second run on the same
    store (recording nothing) prints the same report but for its time."""
    store = tmp_path / "desk.sqlite"
    first = _run("examples/morning_report.py", str(store))
    again = _run("examples/morning_report.py", str(store))
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[1:] == again.stdout.splitlines()[1:]
    from casehistory import CaseDesk, Fault, Status

    with CaseDesk.open(store, read_only=True) as desk:
        views = [desk.case(case_id) for case_id in desk.case_ids()]
    working = {Status.NEW, Status.OPEN, Status.ESCALATED, Status.AWAITING_CUSTOMER}
    lines = first.stdout.splitlines()
    assert f"Open cases: {sum(v.status in working for v in views)} (oldest first)" in lines
    ours = sum(v.fault is Fault.OURS for v in views)
    assert f"Cases whose fault was ours: {ours}" in lines
    waiting = sum(v.status is Status.AWAITING_CUSTOMER for v in views)
    assert f"Awaiting the customer: {waiting}" in lines
