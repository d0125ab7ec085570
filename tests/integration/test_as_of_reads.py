"""As-of reads on SQLite and PostgreSQL: plain SQL on one connection, the same answers.

A desk on a SQL store reads the rows of an answer with its own queries (``_Rows``: the
version, topic and state of the rows it needs, on one connection) instead of
eventsourcing's ``select_events``. These tests hold it to the definition (the fold of
the events recorded by ``known_at`` that occurred by ``as_of``), to the answers of a
desk reading every row through the recorders (``RecorderDesk``, as every read went
before), and to the same outcome when rows were changed behind the desk's back.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casehistory import (
    Actor,
    CaseDesk,
    CaseEvent,
    CaseHistoryError,
    CaseNotFound,
    Channel,
    Customer,
    Role,
    SnapshotIgnored,
    SteppingClock,
    StoreUnavailable,
)
from casehistory.desk import SNAPSHOT_INTERVAL, _queries
from casehistory.desk._as_of import stored_time
from casehistory.desk._case_rows import _Rows, _snapshot_table
from casehistory.domain import state as domain_state
from casehistory.domain.case import Case
from casehistory.domain.state import OCCURRED_RUN
from casehistory.testing import CaseHistory
from casehistory.testing.strategies import CLOCK_START, case_histories
from casehistory.views import CaseView, case_view
from tests.integration._sealed import flip_box

AGENT = Actor("a.lee", Role.AGENT)
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ONE_SECOND = timedelta(seconds=1)


class RecorderDesk(CaseDesk):
    """A desk that reads every row through eventsourcing's recorders (a transaction and
    a ``StoredEvent`` per read), as all reads did before: the reference."""

    @contextmanager
    def _rows(self) -> Iterator[_Rows]:
        yield _Rows(self._store.recorder, self._snapshot_rows)


def desk_class(base: type[CaseDesk], snapshot_every: int) -> type[CaseDesk]:
    class Desk(base):  # type: ignore[valid-type,misc]
        snapshotting_intervals: ClassVar[dict[Any, int]] = {Case: snapshot_every}

    return Desk


def expected(
    events: Sequence[CaseEvent], as_of: datetime | None, known_at: datetime | None
) -> CaseView | None:
    """The definition: None where the case did not exist yet."""
    chosen = tuple(
        e
        for e in events
        if (known_at is None or e.timestamp <= known_at)
        and (as_of is None or e.occurred_at <= as_of)
    )
    if not chosen or chosen[0].originator_version != 1:
        return None
    return case_view(chosen)


def answer(
    desk: CaseDesk, case_id: UUID, as_of: datetime | None, known_at: datetime | None
) -> CaseView | None:
    try:
        return desk.case(case_id, as_of=as_of, known_at=known_at)
    except CaseNotFound:
        return None


def outcome(call: Callable[[], CaseView]) -> tuple[Any, ...]:
    """What a query gives: the view with its versions, or the error's type and
    message; and the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            view = call()
            result: tuple[Any, ...] = (view, [e.originator_version for e in view.events])
        except (CaseHistoryError, RuntimeError) as error:  # RuntimeError: a view's events
            result = (type(error).__name__, str(error))  # read later are not all there
    return (*result, [(w.category.__name__, str(w.message)) for w in caught])


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


class _Counted:
    """A ``_Rows`` that counts the rows it returns."""

    def __init__(self, rows: _Rows, counts: dict[str, int]) -> None:
        self._inner, self._counts = rows, counts

    def snapshot(self, *args: Any) -> Any:
        found = self._inner.snapshot(*args)
        self._counts["snapshots"] += found is not None
        return found

    def events(self, *args: Any) -> Any:
        found = self._inner.events(*args)
        self._counts["events"] += len(found)
        return found

    def last(self, *args: Any) -> Any:
        found = self._inner.last(*args)
        self._counts["events"] += found is not None
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@contextmanager
def counting_rows(desk: CaseDesk) -> Iterator[dict[str, int]]:
    """Count the stored events and snapshots the desk's answers read inside the block,
    and whether they read them with SQL."""
    counts = {"events": 0, "snapshots": 0, "sql": 0}
    original = desk._rows

    @contextmanager
    def rows() -> Iterator[Any]:
        with original() as inner:
            counts["sql"] += inner.reader is not None
            yield _Counted(inner, counts)

    desk._rows = rows  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        del desk._rows


@contextmanager
def counting_folds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The versions of the events folded inside the block, by any read."""
    folded: list[int] = []
    original = domain_state.evolve

    def evolve(state: Any, event: CaseEvent) -> Any:
        folded.append(event.originator_version)
        return original(state, event)

    with monkeypatch.context() as patched:
        patched.setattr(domain_state, "evolve", evolve)
        patched.setattr(_queries, "evolve", evolve)
        yield folded


# Answers -----------------------------------------------------------------------------

long_histories = case_histories(
    min_commands=SNAPSHOT_INTERVAL, max_commands=2 * SNAPSHOT_INTERVAL + 10
)


def near(times: Sequence[datetime]) -> st.SearchStrategy[datetime]:
    """One of ``times``, or a second before or after one: the edges of every answer."""
    return st.builds(
        lambda at, shift: at + shift * ONE_SECOND, st.sampled_from(times), st.integers(-1, 1)
    )


@pytest.mark.parametrize("snapshot_every", [7, SNAPSHOT_INTERVAL])
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(long_histories, st.data())
def test_sql_reads_answer_the_definition_and_as_the_recorders_do(
    store: str, snapshot_every: int, history: CaseHistory, data: st.DataObject
) -> None:
    # Each example records a new case in the test's store (other cases stay beside it).
    sql_desk = desk_class(CaseDesk, snapshot_every).open(store, clock=SteppingClock(CLOCK_START))
    recorder_desk = desk_class(RecorderDesk, snapshot_every).open(store)
    try:
        case_id = history.apply(sql_desk)
        events = sql_desk.history(case_id)

        for _ in range(6):
            as_of = data.draw(st.none() | near([e.occurred_at for e in events]), label="as_of")
            known_at = data.draw(st.none() | near([e.timestamp for e in events]), label="known")

            with counting_rows(sql_desk) as reads:
                view = answer(sql_desk, case_id, as_of, known_at)
            want = expected(events, as_of, known_at)
            assert view == want
            assert view == answer(recorder_desk, case_id, as_of, known_at)
            assert reads["sql"] == 1  # one connection, plain SQL
            if view is not None and want is not None:
                assert [e.originator_version for e in view.events] == [
                    e.originator_version for e in want.events
                ]
                assert view.last_recorded_at == want.events[-1].timestamp
    finally:
        sql_desk.close()
        recorder_desk.close()


class TestWhatALongCaseReads:
    """A case of 1,025 events (snapshots every 50, the head 25 past the last), late
    entries at 523 (occurred at minute 10) and 707 (at minute 400)."""

    SIZE = 1_025
    LATE: ClassVar = {523: MONDAY + timedelta(minutes=10), 707: MONDAY + timedelta(minutes=400)}

    @pytest.fixture
    def case(self, open_desk: Callable[[], CaseDesk]) -> tuple[CaseDesk, UUID]:
        desk = open_desk()
        return desk, long_case(desk, self.SIZE, self.LATE)

    def test_the_present_reads_the_last_snapshot_and_the_events_after_it(
        self, case: tuple[CaseDesk, UUID]
    ) -> None:
        desk, case_id = case

        with counting_rows(desk) as reads:
            view = desk.case(case_id)

        assert view.version == self.SIZE
        assert reads == {"events": 25, "snapshots": 1, "sql": 1}

    @pytest.mark.parametrize(
        ("minutes", "runs", "snapshots", "folded"),
        [
            # The snapshot at 300 holds all before; the run of the late 523 (folded).
            (300, 1, 2, [523]),
            # The run of 333 (301-333 folded), the run of the late 523.
            (333, 2, 2, [*range(301, 334), 523]),
            # The run of 420 (401-420), the runs of the late 523 and 707.
            (420, 3, 2, [*range(401, 421), 523, 707]),
            # The last snapshot holds all before: of the events after it, those by then.
            (1_010, 0, 1, list(range(1_001, 1_011))),
        ],
    )
    def test_as_of_reads_the_runs_that_hold_events_of_then_and_folds_only_those(
        self,
        case: tuple[CaseDesk, UUID],
        monkeypatch: pytest.MonkeyPatch,
        minutes: int,
        runs: int,
        snapshots: int,
        folded: list[int],
    ) -> None:
        desk, case_id = case
        as_of = MONDAY + timedelta(minutes=minutes)
        desk.case(case_id, as_of=as_of)  # the desk has checked the snapshots it reads

        with counting_rows(desk) as reads, counting_folds(monkeypatch) as folds:
            view = desk.case(case_id, as_of=as_of)

        assert view == expected(desk.history(case_id), as_of, None)
        # The last snapshot and the 25 events after it (kept, folded only when the
        # answer holds them), the snapshot below the moment, the runs read.
        assert reads == {"events": 25 + OCCURRED_RUN * runs, "snapshots": snapshots, "sql": 1}
        assert folds == folded
        assert not view.events.is_read

    def test_known_at_reads_a_binary_search_and_then_a_snapshot(
        self, case: tuple[CaseDesk, UUID]
    ) -> None:
        desk, case_id = case
        recorded = desk.history(case_id)[599].timestamp

        with counting_rows(desk) as reads:
            view = desk.case(case_id, known_at=recorded)

        assert view.version == 600
        assert reads["events"] <= 2 + 11  # the last, the first, log2(1,025) probes
        assert reads["snapshots"] == 1
        assert reads["sql"] == 1


# Rows changed behind the desk's back: the outcome the recorders give -----------------


def _run(sql: str, *params: Any) -> Callable[[Any, UUID], None]:
    """A change with SQL: ``params`` around the case id, which comes second to last."""
    return lambda db, case_id: db.run(sql, *params[:-1], case_id, params[-1]) and None


def _forge_snapshot(db: Any, case_id: UUID) -> None:
    """The customer's name changed in the snapshot at 300."""
    where = " WHERE originator_id = ? AND originator_version = 300"
    [(state,)] = db.run("SELECT state FROM {snapshots}" + where, case_id)
    forged = flip_box(bytes(state))  # a byte of the customer's sealed name changed
    db.run("UPDATE {snapshots} SET state = ?" + where, forged, case_id)


VERSION = " WHERE originator_id = ? AND originator_version = ?"
TAMPERINGS: dict[str, Callable[[Any, UUID], None]] = {
    # A run an as-of answer reads (the late entry 523 occurred at minute 10).
    "a type that is no case event, in a run read": _run(
        "UPDATE {events} SET topic = ?" + VERSION, "os:system", 523
    ),
    "bytes that are no JSON, in a run read": _run(
        "UPDATE {events} SET state = ?" + VERSION, b"\xff not json", 510
    ),
    "bytes that are no JSON, after the last snapshot": _run(
        "UPDATE {events} SET state = ?" + VERSION, b"\xff not json", 610
    ),
    "a deleted event, probed by a binary search": _run("DELETE FROM {events}" + VERSION, 310),
    "a forged snapshot below the moments asked": _forge_snapshot,
    "a snapshot moved to a version that commits to none": _run(
        "UPDATE {snapshots} SET originator_version = ?" + VERSION, 251, 250
    ),
}


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_changed_rows_give_the_outcome_the_recorders_give(
    store: str, raw_sql: Any, tampering: str
) -> None:
    # A case of 620 events, snapshots every 50, with a late entry at 523.
    writer = CaseDesk.open(store, clock=SteppingClock(CLOCK_START))
    case_id = long_case(writer, 620, {523: MONDAY + timedelta(minutes=10)})
    events = writer.history(case_id)
    writer.close()
    TAMPERINGS[tampering](raw_sql, case_id)
    queries: dict[str, Callable[[CaseDesk], CaseView]] = {
        "case()": lambda d: d.case(case_id),
        **{
            f"as_of minute {m}": (
                lambda d, m=m: d.case(case_id, as_of=MONDAY + timedelta(minutes=m))
            )
            for m in (5, 320, 560, 615)
        },
        **{
            f"known_at v{v}": (lambda d, v=v: d.case(case_id, known_at=events[v - 1].timestamp))
            for v in (40, 260, 320, 615)
        },
    }

    outcomes, logs = [], []
    for desk_type in (CaseDesk, RecorderDesk):
        desk = desk_type.open(store)
        try:
            outcomes.append(
                {name: outcome(lambda q=q, d=desk: q(d)) for name, q in queries.items()}
            )
            log = desk.snapshot_log
            logs.append((log.used, log.ignored, log.unbound))
        finally:
            desk.close()

    sql_reads, recorder_reads = outcomes
    assert sql_reads == recorder_reads
    assert logs[0] == logs[1]
    # And the change is seen: some answer raised or warned, or a snapshot went unused.
    assert any(isinstance(o[0], str) or o[-1] for o in sql_reads.values()) or logs[0][2]


def test_an_unreadable_event_after_the_last_snapshot_is_reported_even_unfolded(
    open_desk: Callable[[], CaseDesk], raw_sql: Any
) -> None:
    # An as-of answer from the last snapshot's index folds none of the events after
    # the snapshot, but still decodes them, as loading the head did: a changed row
    # there is reported, never passed over.
    desk = open_desk()
    case_id = long_case(desk, 120, {})
    raw_sql.set_state(case_id, 110, b'{"timestamp": 1}')

    with pytest.raises(StoreUnavailable, match=rf"version 110 of case {case_id}.*verify"):
        desk.case(case_id, as_of=MONDAY + timedelta(minutes=30))


def test_a_forged_snapshot_below_the_moment_is_ignored_and_changes_no_answer(
    open_desk: Callable[[], CaseDesk], raw_sql: Any
) -> None:
    desk = open_desk()
    case_id = long_case(desk, 160, {})
    as_of = MONDAY + timedelta(minutes=75)  # the answer starts at the snapshot at 50
    honest = desk.case(case_id, as_of=as_of)
    [(state,)] = raw_sql.run(
        "SELECT state FROM {snapshots} WHERE originator_id = ? AND originator_version = 50",
        case_id,
    )
    raw_sql.run(
        "UPDATE {snapshots} SET state = ? WHERE originator_id = ? AND originator_version = 50",
        flip_box(bytes(state)),  # a byte of the customer's sealed name changed
        case_id,
    )
    fresh = open_desk()

    with pytest.warns(SnapshotIgnored, match=f"case {case_id} at version 50"):
        view = fresh.case(case_id, as_of=as_of)

    assert view == honest
    assert view.customer.name == "Dana Smith"
    assert (fresh.snapshot_log.ignored, fresh.snapshot_log.used) == (1, 1)


# Where the snapshots table is, for SQL on the events table's connection ---------------


class _Recorder:
    def __init__(self, name: str, datastore: object) -> None:
        self.events_table_name, self.datastore = name, datastore


class _Postgres:
    schema = "ch_1"


def test_the_snapshots_table_is_named_for_the_events_connection_or_not_at_all() -> None:
    sqlite, postgres = object(), _Postgres()

    assert _snapshot_table(_Recorder("stored_events", sqlite), None) == ""
    assert (
        _snapshot_table(_Recorder("stored_events", sqlite), _Recorder("stored_snapshots", sqlite))
        == '"stored_snapshots"'
    )
    assert (
        _snapshot_table(_Recorder("e", postgres), _Recorder("casedesk_snapshots", postgres))
        == '{schema}."casedesk_snapshots"'
    )
    # Another database, a name SQL would need quoting for, or no SQL: the recorders read.
    assert _snapshot_table(_Recorder("e", sqlite), _Recorder("s", object())) is None
    assert _snapshot_table(_Recorder("e", sqlite), _Recorder('s"; DROP', sqlite)) is None
    assert _snapshot_table(_Recorder("e", sqlite), _Recorder("s{table}", sqlite)) is None
    assert _snapshot_table(object(), None) is None


# Peeking at a stored time without decoding ------------------------------------------

_PIECES = [
    b'{"occurred_at":{"_type_":"datetime_iso","_data_":"2026-03-02T09:00:00+00:00"}}',
    b'"occurred_at":{"_type_":"datetime_iso","_data_":"',
    b'"timestamp":{"_type_":"datetime_iso","_data_":"',
    b"2026-03-02T09:00:00+00:00",
    b"2026-03-02T09:00:00",
    b'"',
    b"{",
    b"}",
    b",",
    b"x",
    b"\xff",
]


def _counted_time(state: bytes, name: str) -> datetime | None:
    """The peek as it was first written (bytes.count, then index): the reference; a
    time without its offset is no answer (the event is decoded, and refused)."""
    moment = _counted(state, name)
    return moment if moment is None or moment.utcoffset() is not None else None


def _counted(state: bytes, name: str) -> datetime | None:
    marker = b'"' + name.encode() + b'":{"_type_":"datetime_iso","_data_":"'
    if state.count(marker) == 1:
        start = state.index(marker) + len(marker)
        try:
            return datetime.fromisoformat(state[start : state.find(b'"', start)].decode())
        except (UnicodeDecodeError, ValueError):
            return None
    try:
        field = orjson.loads(state)[name]
        if field["_type_"] != "datetime_iso":
            return None
        return datetime.fromisoformat(field["_data_"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


@given(st.lists(st.sampled_from(_PIECES), max_size=12).map(b"".join))
def test_a_peeked_time_is_the_one_counting_the_marker_finds(state: bytes) -> None:
    for name in ("occurred_at", "timestamp"):
        assert stored_time(state, name) == _counted_time(state, name)
