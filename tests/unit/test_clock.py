"""Clocks: the only source of the store's time, injected, deterministic, timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Clock,
    Customer,
    FixedClock,
    InvalidInput,
    Role,
    SteppingClock,
    SystemClock,
)

START = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
NAIVE = datetime(2026, 11, 1, 8, 0)


class TestFixedClock:
    def test_says_the_same_time_until_told_otherwise(self) -> None:
        clock = FixedClock(START)

        readings = [clock.now() for _ in range(3)]

        assert readings == [START, START, START]

    def test_advances_by_what_it_is_told(self) -> None:
        clock = FixedClock(START)

        clock.advance(timedelta(minutes=5))

        assert clock.now() == START + timedelta(minutes=5)

    def test_can_be_set_to_another_time(self) -> None:
        clock = FixedClock(START)

        clock.set(START - timedelta(days=1))

        assert clock.now() == START - timedelta(days=1)

    def test_refuses_a_naive_start(self) -> None:
        naive = NAIVE

        with pytest.raises(InvalidInput, match=r"FixedClock time must be a timezone-aware"):
            FixedClock(naive)

    def test_refuses_to_be_set_to_a_naive_time(self) -> None:
        clock = FixedClock(START)

        with pytest.raises(InvalidInput, match=r"timezone-aware"):
            clock.set(NAIVE)

        assert clock.now() == START


class TestSteppingClock:
    def test_moves_one_step_forward_every_time_it_is_read(self) -> None:
        clock = SteppingClock(START, step=timedelta(seconds=2))

        readings = [clock.now() for _ in range(3)]

        assert readings == [START, START + timedelta(seconds=2), START + timedelta(seconds=4)]

    def test_steps_one_second_by_default(self) -> None:
        clock = SteppingClock(START)

        clock.now()

        assert clock.now() == START + timedelta(seconds=1)

    @pytest.mark.parametrize("step", [timedelta(0), timedelta(seconds=-1)])
    def test_refuses_a_step_that_does_not_move_forward(self, step: timedelta) -> None:
        bad_step = step

        with pytest.raises(InvalidInput, match=r"step must be positive"):
            SteppingClock(START, step=bad_step)

    def test_refuses_a_naive_start(self) -> None:
        naive = NAIVE

        with pytest.raises(InvalidInput, match=r"SteppingClock start must be a timezone-aware"):
            SteppingClock(naive)

    def test_gives_each_recorded_event_its_own_store_time(self) -> None:
        desk = CaseDesk.open(":memory:", clock=SteppingClock(START))
        agent = Actor("a.lee", Role.AGENT)
        occurred = START - timedelta(days=3)
        case_id = desk.open_case(
            customer=Customer("c1", "Dana"),
            subject="failed part",
            channel=Channel.PHONE,
            by=agent,
            occurred_at=occurred,
        )

        desk.add_note(case_id, text="called back", by=agent, occurred_at=occurred)

        events = desk.history(case_id)
        assert [e.recorded_at for e in events] == [START, START + timedelta(seconds=1)]
        assert [e.occurred_at for e in events] == [occurred, occurred]


class TestClockProtocol:
    @pytest.mark.parametrize(
        "clock", [FixedClock(START), SteppingClock(START), SystemClock()], ids=repr
    )
    def test_every_clock_says_an_aware_time(self, clock: Clock) -> None:
        given = clock

        now = given.now()

        assert isinstance(given, Clock)
        assert now.utcoffset() is not None

    def test_a_desk_refuses_a_clock_without_now(self) -> None:
        not_a_clock = object()

        with pytest.raises(InvalidInput, match=r"clock must have a now\(\) method"):
            CaseDesk.open(":memory:", clock=not_a_clock)  # type: ignore[arg-type]
