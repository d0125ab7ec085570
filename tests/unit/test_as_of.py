"""Bi-temporal queries: desk.case(id, as_of=business time, known_at=store time)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

import attrs
import pytest

from casehistory import (
    Actor,
    CaseDesk,
    CaseNotFound,
    Channel,
    Customer,
    FixedClock,
    InvalidInput,
    Money,
    RmaStage,
    Role,
    Status,
    SteppingClock,
    StoreUnavailable,
)
from casehistory.desk import SNAPSHOT_INTERVAL
from casehistory.domain import events as ev
from casehistory.domain.state import OCCURRED_RUN, evolve, fold
from casehistory.stories import late_return
from casehistory.stories.late_return import BOOKED_IN, FRIDAY_NOON, RETURN_ARRIVED
from casehistory.views import case_view

AGENT = Actor("a.lee", Role.AGENT)
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def story_desk(location: str = ":memory:") -> tuple[CaseDesk, UUID]:
    """A desk holding the late-return story (store times set by the story)."""
    desk = CaseDesk.open(location, clock=FixedClock(datetime(2026, 3, 1, tzinfo=UTC)))
    return desk, late_return.tell(desk)


@contextmanager
def counting_reads(desk: CaseDesk) -> Iterator[dict[str, int]]:
    """Count the stored events and snapshots the desk reads inside the block."""
    counts = {"events": 0, "snapshots": 0}
    assert desk._store.snapshots is not None
    patched: list[Any] = []
    for name, recorder in (
        ("events", desk._store.events.recorder),
        ("snapshots", desk._store.snapshots.recorder),
    ):
        original: Callable[..., Any] = recorder.select_events

        def select_events(
            *args: Any, _original: Any = original, _name: str = name, **kw: Any
        ) -> Any:
            rows = _original(*args, **kw)
            counts[_name] += len(rows)
            return rows

        recorder.select_events = select_events  # type: ignore[method-assign]
        patched.append(recorder)
    try:
        yield counts
    finally:
        for recorder in patched:
            del recorder.select_events


def long_case(desk: CaseDesk, size: int, late: dict[int, datetime]) -> UUID:
    """A case of ``size`` events whose business times rise a minute per version, except
    at the versions in ``late``: entries that occurred at the time given there."""
    case_id = desk.open_case(
        customer=Customer("c-1", "Dana Smith"),
        subject="a long case",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=MONDAY,
    )
    version = 1
    while version < size:
        case = desk._load(case_id)
        for _ in range(min(500, size - version)):
            version += 1
            case.add_note(
                text=f"note {version}",
                by=AGENT,
                occurred_at=late.get(version, MONDAY + timedelta(minutes=version)),
                recorded_at=desk.clock.now(),
            )
        desk._save(case)
    return case_id


class TestKnownAt:
    def test_the_answer_is_the_fold_of_the_events_recorded_by_then(self) -> None:
        desk, case_id = story_desk()
        events = desk.history(case_id)

        view = desk.case(case_id, known_at=FRIDAY_NOON)

        known = tuple(e for e in events if e.timestamp <= FRIDAY_NOON)
        assert view == case_view(known)
        assert (view.version, view.status) == (9, Status.AWAITING_RETURN)
        assert view.events == known

    def test_an_event_recorded_exactly_at_known_at_is_known(self) -> None:
        desk, case_id = story_desk()

        view = desk.case(case_id, known_at=BOOKED_IN)

        assert view.version == 10
        assert view.rmas[0].stage is RmaStage.RECEIVED

    def test_a_time_after_the_last_recording_gives_the_case_as_it_stands(self) -> None:
        desk, case_id = story_desk()

        view = desk.case(case_id, known_at=datetime(2030, 1, 1, tzinfo=UTC))

        assert view == desk.case(case_id)
        assert view.status is Status.CLOSED

    def test_before_the_case_was_recorded_it_did_not_exist_yet(self) -> None:
        desk, case_id = story_desk()

        with pytest.raises(CaseNotFound, match=r"was not recorded yet at 2026-03-02T09:01:00"):
            desk.case(case_id, known_at=datetime(2026, 3, 2, 9, 1, tzinfo=UTC))

    def test_events_recorded_at_one_store_time_are_known_together(self) -> None:
        clock = FixedClock(datetime(2026, 11, 1, tzinfo=UTC))
        desk = CaseDesk.open(":memory:", clock=clock)
        case_id = long_case(desk, 5, {})
        clock.advance(timedelta(hours=1))
        desk.add_note(case_id, text="later", by=AGENT, occurred_at=MONDAY)

        view = desk.case(case_id, known_at=datetime(2026, 11, 1, tzinfo=UTC))

        assert view.version == 5


class TestAsOf:
    def test_a_late_entry_shows_only_when_known_at_is_after_its_recording(self) -> None:
        desk, case_id = story_desk()

        # On Friday the desk did not know that the parcel had arrived on Thursday.
        then = desk.case(case_id, as_of=FRIDAY_NOON, known_at=FRIDAY_NOON)
        # Since Monday it knows.
        now = desk.case(case_id, as_of=FRIDAY_NOON)
        just_before = desk.case(
            case_id, as_of=FRIDAY_NOON, known_at=BOOKED_IN - timedelta(microseconds=1)
        )

        assert (then.status, then.rmas[0].stage) == (Status.AWAITING_RETURN, RmaStage.ISSUED)
        assert (now.status, now.rmas[0].stage) == (Status.IN_SERVICE, RmaStage.RECEIVED)
        assert just_before == then
        assert [type(e) for e in now.events][-1] is ev.ReturnReceived

    def test_the_answer_is_the_fold_of_the_events_that_occurred_by_then_in_version_order(
        self,
    ) -> None:
        desk, case_id = story_desk()
        events = desk.history(case_id)

        view = desk.case(case_id, as_of=RETURN_ARRIVED)

        occurred = tuple(e for e in events if e.occurred_at <= RETURN_ARRIVED)
        assert view == case_view(occurred)
        assert [e.originator_version for e in view.events] == [1, 2, 3, 4, 5, 6, 7, 10]
        assert (view.version, view.last_recorded_at) == (10, BOOKED_IN)

    def test_a_payment_made_before_the_case_was_opened_counts_once_it_is_open(self) -> None:
        desk, case_id = story_desk()

        view = desk.case(case_id, as_of=MONDAY)

        assert view.version == 4  # opened, assigned (09:00) and the payment of 20 February
        assert view.ledger.balance("USD").paid == Money("349.00", "USD")

    def test_before_the_case_was_opened_it_did_not_exist_yet(self) -> None:
        desk, case_id = story_desk()

        with pytest.raises(CaseNotFound, match=r"was not open yet at 2026-02-25.*opened at"):
            desk.case(case_id, as_of=datetime(2026, 2, 25, tzinfo=UTC))

    def test_times_in_other_zones_compare_as_instants(self) -> None:
        desk, case_id = story_desk()
        friday_noon_in_new_york = FRIDAY_NOON.astimezone(
            datetime.fromisoformat("2026-03-06T07:00:00-05:00").tzinfo
        )

        view = desk.case(case_id, as_of=friday_noon_in_new_york, known_at=friday_noon_in_new_york)

        assert view == desk.case(case_id, as_of=FRIDAY_NOON, known_at=FRIDAY_NOON)

    def test_trail_selects_the_same_events(self) -> None:
        desk, case_id = story_desk()

        lines = desk.trail(case_id, as_of=FRIDAY_NOON, known_at=FRIDAY_NOON)

        assert [line.version for line in lines] == list(range(1, 10))


class TestPeekedTimes:
    """An as-of read skips events by peeking at their stored business time; a text that
    spells a time field cannot make it skip an event that occurred by then, or keep one
    that did not."""

    FORGED = '"occurred_at":{"_type_":"datetime_iso","_data_":"%s"}'

    def test_a_note_spelling_another_time_is_judged_by_its_own(self) -> None:
        desk = CaseDesk.open(":memory:", clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
        early, late = MONDAY - timedelta(days=30), MONDAY + timedelta(days=30)
        case_id = long_case(desk, 120, {})
        # Run 3 (versions 101-150) holds two notes that lie about their times.
        desk.add_note(case_id, text=self.FORGED % early.isoformat(), by=AGENT, occurred_at=late)
        desk.add_note(case_id, text=self.FORGED % late.isoformat(), by=AGENT, occurred_at=MONDAY)
        history = desk.history(case_id)

        for minutes in (0, 60, 119, 200):
            as_of = MONDAY + timedelta(minutes=minutes)
            wanted = case_view(e for e in history if e.occurred_at <= as_of)
            assert desk.case(case_id, as_of=as_of) == wanted

    def test_a_time_field_nested_in_a_record_is_not_taken_for_the_events(self) -> None:
        from casehistory.desk._queries import _stored_time

        own, nested = "2026-03-02T09:00:00+00:00", "1999-01-01T00:00:00+00:00"
        field = '"occurred_at":{"_type_":"datetime_iso","_data_":"%s"}'
        state = ("{" + '"payload":{' + field % nested + "}," + field % own + "}").encode()

        assert _stored_time(state, "occurred_at") == datetime.fromisoformat(own)


class TestInput:
    @pytest.mark.parametrize("name", ["as_of", "known_at"])
    def test_a_naive_time_is_refused(self, name: str) -> None:
        desk, case_id = story_desk()

        with pytest.raises(InvalidInput, match=f"{name} must be a timezone-aware datetime"):
            desk.case(case_id, **{name: datetime(2026, 3, 6, 12, 0)})

    def test_a_date_is_refused(self) -> None:
        desk, case_id = story_desk()

        with pytest.raises(InvalidInput, match="as_of must be a timezone-aware datetime"):
            desk.case(case_id, as_of=FRIDAY_NOON.date())  # type: ignore[arg-type]

    def test_an_unknown_case_is_not_found_at_any_time(self) -> None:
        desk, _ = story_desk()

        with pytest.raises(CaseNotFound, match="no case"):
            desk.case(UUID(int=7), as_of=FRIDAY_NOON, known_at=FRIDAY_NOON)


class TestTheFoldIsTotal:
    """Business times can contradict the order of recording; the fold never refuses."""

    def test_a_return_received_before_its_rma_was_issued_changes_only_the_digest(
        self,
    ) -> None:
        desk, case_id = story_desk()
        without_rma = tuple(e for e in desk.history(case_id) if not isinstance(e, ev.RmaIssued))
        received = without_rma[8]
        before = fold(without_rma[:8])

        after = evolve(before, received)

        assert isinstance(received, ev.ReturnReceived)
        assert (after.status, after.rmas) == (Status.OPEN, {})
        assert attrs.evolve(after, digest=None, occurred_runs=()) == attrs.evolve(
            before, digest=None, occurred_runs=()
        )
        assert after.digest == received.digest

    def test_a_release_of_a_hold_placed_later_changes_only_the_digest(self) -> None:
        desk = CaseDesk.open(":memory:", clock=FixedClock(datetime(2026, 11, 1, tzinfo=UTC)))
        case_id = long_case(desk, 2, {})
        desk.place_hold(
            case_id,
            amount=Money("60.00", "USD"),
            account="card ending 0005",
            reference="H-1",
            reason="authorisation",
            by=AGENT,
            occurred_at=MONDAY + timedelta(days=2),
        )
        desk.release_hold(
            case_id,
            reference="H-1",
            amount=Money("60.00", "USD"),
            reason="voided",
            by=AGENT,
            occurred_at=MONDAY + timedelta(days=1),  # typed with the wrong day
        )

        view = desk.case(case_id, as_of=MONDAY + timedelta(days=1))

        assert view.version == 4
        assert view.ledger.balances == {}
        assert view.open_holds == ()

    def test_every_selection_that_keeps_the_opening_folds(self) -> None:
        desk, case_id = story_desk()
        opened, *rest = desk.history(case_id)

        for i, j in itertools.combinations(range(len(rest)), 2):
            kept = [e for k, e in enumerate(rest) if k not in (i, j)]

            assert fold([opened, *kept]).case_id == case_id


class TestReads:
    """A snapshot serves an as-of answer: a long case is not read in full."""

    SIZE = 10_000
    STARTED = datetime(2026, 11, 1, tzinfo=UTC)  # version v is recorded v - 1 seconds later
    LATE: ClassVar = {
        5_230: MONDAY + timedelta(minutes=10),
        7_010: MONDAY + timedelta(minutes=4_000),
    }

    @pytest.fixture(scope="class")
    @classmethod
    def desk_and_case(cls) -> tuple[CaseDesk, UUID]:
        desk = CaseDesk.open(":memory:", clock=SteppingClock(cls.STARTED))
        return desk, long_case(desk, cls.SIZE, cls.LATE)

    def test_the_present_reads_the_last_snapshot_and_nothing_more(
        self, desk_and_case: tuple[CaseDesk, UUID]
    ) -> None:
        desk, case_id = desk_and_case

        with counting_reads(desk) as reads:
            view = desk.case(case_id)

        assert view.version == self.SIZE
        assert reads == {"events": 0, "snapshots": 1}

    def test_known_at_reads_a_binary_search_and_then_a_snapshot(
        self, desk_and_case: tuple[CaseDesk, UUID]
    ) -> None:
        desk, case_id = desk_and_case

        with counting_reads(desk) as reads:
            view = desk.case(case_id, known_at=self.STARTED + timedelta(seconds=4_999))

        assert view.version == 5_000
        assert view.last_recorded_at == self.STARTED + timedelta(seconds=4_999)
        assert reads["events"] <= 2 + 14  # the last, the first, then log2(10,000)
        assert reads["snapshots"] == 1

    @pytest.mark.parametrize(
        ("minutes", "runs"),
        [
            (3_333, 2),  # the run of version 3,333, and the run of the late 5,230
            (6_000, 1),  # a snapshot at 6,000 holds all before; then the run of the late 7,010
            (9_000, 0),  # the snapshot at 9,000, and no late entry after it
            (9_010, 1),  # the run of version 9,010
        ],
    )
    def test_as_of_reads_the_runs_that_hold_events_of_then_after_a_snapshot(
        self, desk_and_case: tuple[CaseDesk, UUID], minutes: int, runs: int
    ) -> None:
        desk, case_id = desk_and_case
        as_of = MONDAY + timedelta(minutes=minutes)

        with counting_reads(desk) as reads:
            view = desk.case(case_id, as_of=as_of)

        expected = tuple(e for e in desk.history(case_id) if e.occurred_at <= as_of)
        assert view == case_view(expected)
        assert reads == {"events": OCCURRED_RUN * runs, "snapshots": 2}
        assert not view.events.is_read

    def test_the_events_of_an_answer_are_read_on_first_use_and_once(
        self, desk_and_case: tuple[CaseDesk, UUID]
    ) -> None:
        desk, case_id = desk_and_case
        view = desk.case(case_id, as_of=MONDAY + timedelta(minutes=200))

        with counting_reads(desk) as reads:
            last = view.events[-1]
            every = list(view.events)

        assert len(every) == len(view.events) == 201  # versions 1-200, then the late 5,230
        assert last is every[-1]
        assert last.originator_version == 5_230
        assert reads == {"events": 200, "snapshots": 0}


class TestSnapshotsOlderThanTheIndex:
    def test_a_case_whose_snapshot_has_no_index_is_read_in_full_and_answers_the_same(
        self,
    ) -> None:
        desk = CaseDesk.open(":memory:", clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
        size = 2 * SNAPSHOT_INTERVAL + 7
        case_id = long_case(desk, size, {60: MONDAY})
        as_of = MONDAY + timedelta(minutes=30)
        expected = desk.case(case_id, as_of=as_of)
        # As a snapshot taken before the index existed would be: a state without it.
        case = desk._load(case_id)
        case.state = attrs.evolve(case.state, occurred_runs=())
        assert desk._store.snapshots is not None
        desk._store.snapshots.put([case.Snapshot.take(case)])

        with counting_reads(desk) as reads:
            view = desk.case(case_id, as_of=as_of)

        assert view == expected
        assert reads == {"events": size, "snapshots": 1}


class TestViewsOutliveTheirDesk:
    def test_views_compare_without_reading_the_store(self, tmp_path: Path) -> None:
        desk, case_id = story_desk(str(tmp_path / "cases.sqlite"))
        view = desk.case(case_id, as_of=FRIDAY_NOON)
        same = desk.case(case_id, as_of=FRIDAY_NOON)
        desk.close()

        assert view == same
        assert view.status is Status.IN_SERVICE

    def test_the_events_of_a_case_without_snapshot_are_all_in_the_view(
        self, tmp_path: Path
    ) -> None:
        desk, case_id = story_desk(str(tmp_path / "cases.sqlite"))
        view = desk.case(case_id, as_of=FRIDAY_NOON)
        desk.close()

        assert view.events.is_read
        assert [e.originator_version for e in view.events] == list(range(1, 11))

    def test_events_before_a_snapshot_not_read_before_the_desk_closed_cannot_be_read_after(
        self, tmp_path: Path
    ) -> None:
        desk = CaseDesk.open(
            tmp_path / "cases.sqlite", clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC))
        )
        case_id = long_case(desk, SNAPSHOT_INTERVAL + 3, {})
        view = desk.case(case_id)
        desk.close()

        assert len(view.events) == SNAPSHOT_INTERVAL + 3
        with pytest.raises(StoreUnavailable, match=r"read view\.events before closing the desk"):
            view.events[-1]
