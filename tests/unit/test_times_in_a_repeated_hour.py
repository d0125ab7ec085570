"""Times in the hour that repeats when clocks go back, given in a named zone.

Python never finds such a datetime (a ``ZoneInfo`` one in the fold) equal to a datetime
in another zone, even at the same instant (PEP 495). The store keeps every time at its
fixed UTC offset, so a desk that kept the time as given answered one view from memory
and another, unequal, from the store: ``desk.case(id) != case_view(desk.history(id))``
until the case was read again from its bytes. A desk keeps each time as the store gives
it back, whatever it was given."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest

from casehistory import Actor, CaseDesk, Channel, Customer, FixedClock, Role, SteppingClock
from casehistory.domain.case import Case
from casehistory.views import case_view

BERLIN = ZoneInfo("Europe/Berlin")
# 02:10 on 25 October 2026 happens twice in Berlin: first at +02:00, then (fold=1) +01:00.
FIRST = datetime(2026, 10, 25, 2, 10, 22, tzinfo=BERLIN)
SECOND = FIRST.replace(fold=1)
AGENT = Actor("a.lee", Role.AGENT)


class _SnapshotEvery2(CaseDesk):
    snapshotting_intervals: ClassVar[dict[type[Case], int]] = {Case: 2}  # remembered, too


@pytest.mark.parametrize("at", [FIRST, SECOND], ids=["first", "repeated"])
def test_business_times_in_the_fold_read_the_same_from_memory_and_from_the_store(
    at: datetime,
) -> None:
    desk = _SnapshotEvery2.open(":memory:", clock=FixedClock(datetime(2026, 11, 1, tzinfo=UTC)))
    case = desk.open_case(
        customer=Customer("C-3", "Ann"), subject="s", channel=Channel.CHAT, by=AGENT, occurred_at=at
    )
    desk.assign_agent(case, agent=AGENT, by=AGENT, occurred_at=at)
    # A minute later in UTC: wall-clock arithmetic on a ZoneInfo time drops its fold.
    desk.add_note(case, text="n", by=AGENT, occurred_at=at.astimezone(UTC) + timedelta(minutes=1))
    stored = case_view(desk.history(case))
    assert desk.case(case) == stored
    desk.snapshot_log.forget()
    assert desk.case(case) == stored
    # The instant is the one given, at the offset it had (compared in UTC: a time in
    # the fold equals none in another zone).
    assert stored.opened_at.astimezone(UTC) == at.astimezone(UTC)
    assert stored.opened_at.utcoffset() == at.utcoffset()
    assert type(stored.opened_at.tzinfo) is timezone


def test_a_clock_reading_in_the_fold_is_kept_as_the_store_gives_it_back() -> None:
    desk = CaseDesk.open(":memory:", clock=FixedClock(SECOND))
    case = desk.open_case(
        customer=Customer("C-3", "Ann"),
        subject="s",
        channel=Channel.CHAT,
        by=AGENT,
        occurred_at=SECOND - timedelta(hours=1),
    )
    desk.assign_agent(case, agent=AGENT, by=AGENT, occurred_at=SECOND)
    assert desk.case(case) == case_view(desk.history(case))
    assert desk.case(case).last_recorded_at.astimezone(UTC) == SECOND.astimezone(UTC)
    assert desk.case(case).last_recorded_at.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize("kind", ["stepping", "fixed"])
def test_a_clock_in_a_named_zone_steps_through_the_repeated_hour_in_real_time(kind: str) -> None:
    start = datetime(2026, 10, 25, 1, 30, tzinfo=BERLIN)  # 23:30 UTC the day before
    step = timedelta(minutes=30)
    if kind == "stepping":
        clock: SteppingClock | FixedClock = SteppingClock(start, step)
        readings = [clock.now() for _ in range(5)]
    else:
        fixed = FixedClock(start)
        readings = []
        for _ in range(5):
            readings.append(fixed.now())
            fixed.advance(step)
    in_utc = [reading.astimezone(UTC) for reading in readings]
    assert [b - a for a, b in itertools.pairwise(in_utc)] == [step] * 4
    assert [r.strftime("%H:%M") for r in readings] == ["01:30", "02:00", "02:30", "02:00", "02:30"]
    desk = CaseDesk.open(":memory:", clock=SteppingClock(start, step))
    case = desk.open_case(
        customer=Customer("C-3", "Ann"),
        subject="s",
        channel=Channel.CHAT,
        by=AGENT,
        occurred_at=start,
    )
    for minutes in range(4):  # no StoreTimeWentBackwards across the fold
        desk.add_note(case, text=f"n{minutes}", by=AGENT, occurred_at=start)
    assert desk.case(case).version == 5
