"""What the tests of the desk's write path share: an agent, a business time, a clock
that runs a hook when a command reads it, desks on one SQLite file, and a case opened
and assigned."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from casehistory import Actor, CaseDesk, Channel, Customer, Role, SteppingClock

AGENT = Actor("a.lee", Role.AGENT)
AT = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


class HookedClock(SteppingClock):
    """A stepping clock that runs ``hook`` (once) when a command reads the time: after
    the command's load, before its rules and its save."""

    def __init__(self) -> None:
        super().__init__(datetime(2026, 11, 1, tzinfo=UTC), timedelta(seconds=1))
        self.hook: Callable[[], object] | None = None

    def now(self) -> datetime:
        hook, self.hook = self.hook, None
        if hook is not None:
            hook()
        return super().now()


@pytest.fixture
def desks(sqlite_path: Path) -> Iterator[Callable[..., CaseDesk]]:
    """Desks on the test's SQLite file (``cache``: the desk's aggregate cache), closed
    after the test."""
    opened: list[CaseDesk] = []

    def desks(cache: int = 0, clock: SteppingClock | None = None) -> CaseDesk:
        opened.append(CaseDesk.open(sqlite_path, clock=clock or HookedClock(), cache=cache))
        return opened[-1]

    yield desks
    for desk in opened:
        desk.close()


def open_case(desk: CaseDesk, customer: Customer) -> UUID:
    case_id = desk.open_case(
        customer=customer, subject="printer jams", channel=Channel.PHONE, by=AGENT, occurred_at=AT
    )
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=AT)
    return case_id


def note(desk: CaseDesk, case_id: UUID, text: str, **asked: Any) -> int:
    return desk.add_note(case_id, text=text, by=AGENT, occurred_at=AT, **asked)
