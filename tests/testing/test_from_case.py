"""From a stored case to a regression test (issue 14, part 5): CaseHistory.from_case and
testcase_source, checked by running what they print."""

from __future__ import annotations

import inspect
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casehistory import (
    Actor,
    CaseDesk,
    CaseNotFound,
    ErasureGround,
    InvalidInput,
    LinkKind,
    Money,
    Role,
    SteppingClock,
)
from casehistory.domain.declarations import COMMANDS, command_arguments
from casehistory.stories import STORIES
from casehistory.testing import OTHER_CASE, CaseHistory, Command, testcase_source
from casehistory.testing._commands import companion_id
from casehistory.testing._from_case import COMPARED, RebuiltHistory
from casehistory.testing.strategies import CLOCK_START, case_histories
from casehistory.views import view_as_dict

PRIVACY = Actor("p.osei", Role.PRIVACY_OFFICER)


def answers(desk: CaseDesk, case_id: UUID) -> tuple[dict[str, Any], list[Any], list[str]]:
    """What a regression test compares: the view's COMPARED fields, the status changes
    without their store times, the trail's lines."""
    view = view_as_dict(desk.case(case_id))
    changes = [(c["status"], c["occurred_at"]) for c in view["status_changes"]]
    return {n: view[n] for n in COMPARED}, changes, [line.what for line in desk.trail(case_id)]


def run_pytest(folder: Path) -> subprocess.CompletedProcess[str]:
    """pytest on ``folder`` in a fresh process, outside this project's configuration."""
    (folder / "pytest.ini").write_text("[pytest]\n")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def exec_test(text: str) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(text, "<printed test>", "exec"), namespace)
    namespace["test_stored_case"]()


def without_defaults(command: Command) -> Command:
    """``command`` with the arguments at their declared default left out."""
    defaults = {
        p.name: p.default
        for p in command_arguments(COMMANDS[command.method])
        if p.default is not inspect.Parameter.empty
    }
    kept = {k: v for k, v in command.kwargs.items() if k not in defaults or v != defaults[k]}
    return Command(command.method, kept)


def recorded(history: CaseHistory, desk: CaseDesk, case_id: UUID) -> list[Command]:
    """The drawn commands as the store must give them back: the companion by its id."""
    other = companion_id(case_id)
    return [
        without_defaults(
            Command(c.method, {k: other if v is OTHER_CASE else v for k, v in c.kwargs.items()})
        )
        for c in history.commands
    ]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    history=case_histories(max_commands=30),
    forget=st.booleans(),
    ground=st.sampled_from(ErasureGround),
)
def test_a_stored_history_prints_a_test_that_passes_and_rebuilds_it(
    history: CaseHistory, forget: bool, ground: ErasureGround
) -> None:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))
    case_id = history.apply(desk)
    if forget:
        desk.forget_customer(history.opening["customer"].id, ground=ground, by=PRIVACY)

    rebuilt = CaseHistory.from_case(desk, case_id)

    assert isinstance(rebuilt, RebuiltHistory)
    assert rebuilt.case_id == case_id
    if not forget:  # the vocabulary gives back every drawn argument, renames included
        assert list(rebuilt.commands) == recorded(history, desk, case_id)
        assert rebuilt.opening == history.opening
    assert set(rebuilt.others) == ({companion_id(case_id)} if history.links_other_case else set())
    assert (rebuilt.forgetting is not None) is forget
    assert rebuilt.model.status == desk.case(case_id).status
    assert rebuilt.model.version == desk.case(case_id).version
    assert rebuilt.model.forgotten is forget
    # Made again on another desk, the case answers as the stored one.
    other_desk = CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START + timedelta(days=9)))
    assert rebuilt.apply(other_desk) == case_id
    assert answers(other_desk, case_id) == answers(desk, case_id)
    # The printed module passes in a process of its own.
    text = testcase_source(desk, case_id)
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "test_stored.py").write_text(text, encoding="utf-8")
        result = run_pytest(Path(folder))
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n{text}"
    assert "1 passed" in result.stdout
    if forget:
        assert "desk.forget_customer(" in text


@pytest.fixture(scope="module")
def told() -> tuple[CaseDesk, list[UUID]]:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
    return desk, [story.tell(desk) for story in STORIES]


@pytest.mark.parametrize("number", [story.number for story in STORIES])
def test_each_story_round_trips(told: tuple[CaseDesk, list[UUID]], number: int) -> None:
    desk, cases = told
    case_id = cases[number - 1]
    rebuilt = CaseHistory.from_case(desk, case_id)
    assert len(rebuilt.commands) + 1 == desk.case(case_id).version

    other = CaseDesk.open(":memory:", clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
    rebuilt.apply(other)

    assert answers(other, case_id) == answers(desk, case_id)
    exec_test(testcase_source(desk, case_id))


def test_the_stories_printed_pass_under_pytest_and_a_changed_answer_fails(
    told: tuple[CaseDesk, list[UUID]], tmp_path: Path
) -> None:
    desk, cases = told
    for number, case_id in enumerate(cases, 1):
        (tmp_path / f"test_story_{number}.py").write_text(testcase_source(desk, case_id))
    printed = testcase_source(desk, cases[3])
    assert "'status': 'RESOLVED'" in printed
    (tmp_path / "test_changed.py").write_text(
        printed.replace("'status': 'RESOLVED'", "'status': 'CLOSED'", 1)
    )

    result = run_pytest(tmp_path)

    assert "1 failed, 5 passed" in result.stdout, result.stdout + result.stderr
    assert "FAILED test_changed.py::test_stored_case" in result.stdout


def test_a_forgotten_customers_case_round_trips_with_erased_texts() -> None:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
    case_id, unrelated = STORIES[3].tell(desk), STORIES[0].tell(desk)
    customer = desk.case(case_id).customer
    desk.forget_customer(customer.id, ground=ErasureGround.CONSENT_WITHDRAWN, by=PRIVACY)
    # After the erasure, commands without personal text still record.
    later = datetime(2026, 10, 20, 12, tzinfo=UTC)
    agent = Actor("jordan.reyes", Role.AGENT)
    desk.link_cases(
        case_id, other_case_id=unrelated, relation=LinkKind.RELATED, by=agent, occurred_at=later
    )
    desk.record_payment(
        case_id, amount=Money("1.00", "USD"), reference="R-1", by=agent, occurred_at=later
    )

    rebuilt = CaseHistory.from_case(desk, case_id)
    text = testcase_source(desk, case_id)

    assert rebuilt.opening["customer"].name == "[erased]"
    assert rebuilt.opening["subject"] == "[erased]"
    assert rebuilt.forgetting is not None
    assert rebuilt.forgetting["customer_id"] == customer.id
    assert [c.method for c in rebuilt.commands[rebuilt.forgotten_after :]] == [
        "link_cases",
        "record_payment",
    ]
    assert "Marisol" not in text
    assert "chairs delivered" not in text
    assert text.count("[erased]") > 10
    calls = [line.strip() for line in text.splitlines() if line.strip().startswith("desk.")]
    assert calls[-3:] == ["desk.forget_customer(", "desk.link_cases(", "desk.record_payment("]
    assert "case_2 = desk.open_case(" in text  # the linked story, opened before the link
    exec_test(text)
    other = CaseDesk.open(":memory:", clock=SteppingClock(datetime(2026, 11, 2, tzinfo=UTC)))
    rebuilt.apply(other)
    assert answers(other, case_id) == answers(desk, case_id)
    assert other.case(case_id).customer.name == "[erased]"


def test_a_link_to_a_case_deleted_beneath_the_desk_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite"
    with CaseDesk.open(path, clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC))) as desk:
        case_id, target = STORIES[1].tell(desk), STORIES[2].tell(desk)
        agent = Actor("a.lee", Role.AGENT)
        desk.link_cases(
            case_id,
            other_case_id=target,
            relation=LinkKind.DUPLICATE_OF,
            by=agent,
            occurred_at=datetime(2026, 10, 1, tzinfo=UTC),
        )
    with sqlite3.connect(path) as connection:  # an attack on the store, not through a desk
        connection.execute("DELETE FROM stored_events WHERE originator_id = ?", (target.hex,))
        deleted = connection.total_changes
    assert deleted > 0

    with (
        CaseDesk.open(path, read_only=True) as desk,
        pytest.raises(CaseNotFound, match=f"links to case {target}, which is not in"),
    ):
        CaseHistory.from_case(desk, case_id)


def test_an_id_that_is_no_case_is_refused(told: tuple[CaseDesk, list[UUID]]) -> None:
    desk, _ = told
    with pytest.raises(CaseNotFound):
        testcase_source(desk, UUID(int=0))
    with pytest.raises(InvalidInput):
        CaseHistory.from_case(desk, "'; DROP TABLE stored_events; --")  # type: ignore[arg-type]
