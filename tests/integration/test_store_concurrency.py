"""Two writers on one case: the second to save is refused, and nothing of it is recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

import pytest

from casehistory import Actor, CaseDesk, Channel, ConcurrentUpdate, Customer, Role, SteppingClock
from casehistory.domain.sealed import shown

AGENT = Actor("a.lee", Role.AGENT)
OTHER = Actor("b.ng", Role.AGENT)
WHEN = datetime(2026, 9, 14, 9, 0, tzinfo=UTC)


def _two_writers(open_desk: Callable[[], CaseDesk]) -> tuple[CaseDesk, CaseDesk, UUID]:
    """Two desks on one store, and a case at version 2 that both can see."""
    first, second = open_desk(), open_desk()
    case_id = first.open_case(
        customer=Customer("c1", "Dana"),
        subject="s",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=WHEN,
    )
    first.add_note(case_id, text="v2", by=AGENT, occurred_at=WHEN)
    return first, second, case_id


def test_the_second_writer_on_a_case_raises_concurrent_update(
    open_desk: Callable[[], CaseDesk], clock: SteppingClock
) -> None:
    first, second, case_id = _two_writers(open_desk)
    mine, theirs = first._load(case_id), second._load(case_id)
    mine.add_note(text="first", by=AGENT, occurred_at=WHEN, recorded_at=clock.now())
    theirs.add_note(text="second", by=OTHER, occurred_at=WHEN, recorded_at=clock.now())
    first._save(mine)

    # The other writer saves on top of a version it never saw - refused.
    with pytest.raises(ConcurrentUpdate, match=str(case_id)):
        second._save(theirs)

    history = second.history(case_id)
    # As the views show them: the desk sealed "v2"; the domain alone records as given.
    assert [shown(getattr(e, "text", None)) for e in history] == [None, "v2", "first"]
    assert first.case(case_id) == second.case(case_id)
    # Reloaded, the second writer's command goes through as the next version.
    second.add_note(case_id, text="second", by=OTHER, occurred_at=WHEN)
    assert first.case(case_id).version == 4


def test_the_concurrent_update_message_names_the_contested_version(
    open_desk: Callable[[], CaseDesk], clock: SteppingClock
) -> None:
    first, second, case_id = _two_writers(open_desk)
    mine, theirs = first._load(case_id), second._load(case_id)
    mine.add_note(text="first", by=AGENT, occurred_at=WHEN, recorded_at=clock.now())
    theirs.add_note(text="second", by=OTHER, occurred_at=WHEN, recorded_at=clock.now())
    first._save(mine)

    with pytest.raises(ConcurrentUpdate, match="another writer recorded version 3 first"):
        second._save(theirs)
