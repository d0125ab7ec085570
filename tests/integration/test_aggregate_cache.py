"""A desk opened with ``cache=N`` keeps hot cases in eventsourcing's aggregate cache,
fast-forwarded from the store before every command: it must decide exactly as a desk
without the cache, whoever else writes the case, and a command that fails or is refused
must leave the cached case exactly as it was."""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from casehistory import (
    Actor,
    CaseDesk,
    CaseIsClosed,
    Channel,
    ConcurrentUpdate,
    Customer,
    Fault,
    InvalidInput,
    Money,
    RefundExceedsPaid,
    Role,
    SteppingClock,
)
from casehistory.audit.scan import scan_log
from casehistory.domain.chain import state_commitment

AGENT = Actor("a.lee", Role.AGENT)
SUPERVISOR = Actor("s.kim", Role.SUPERVISOR)
AT = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
CUSTOMER = Customer("c-1", "Dana Smith")


@pytest.fixture
def cached_desk(store: str, clock: SteppingClock) -> Iterator[Callable[..., CaseDesk]]:
    """``cached_desk(cache=N)``: desks on the test's store, closed after the test."""
    desks: list[CaseDesk] = []

    def cached_desk(cache: int = 8) -> CaseDesk:
        desks.append(CaseDesk.open(store, clock=clock, cache=cache))
        return desks[-1]

    yield cached_desk
    for desk in desks:
        desk.close()


def _open(desk: CaseDesk) -> UUID:
    case_id = desk.open_case(
        customer=CUSTOMER, subject="printer jams", channel=Channel.PHONE, by=AGENT, occurred_at=AT
    )
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=AT)
    return case_id


def _cached(desk: CaseDesk, case_id: UUID) -> Any:
    """The entry itself (not the copy a load is given)."""
    assert desk._cache is not None
    return desk._cache._cache.get(case_id)[0]


def _as_stored(store: str, clock: SteppingClock, case_id: UUID) -> Any:
    with CaseDesk.open(store, clock=clock) as fresh:  # no cache: the store's answer
        return fresh._load(case_id)


def test_two_cached_desks_writing_one_case_in_turn_lose_and_refuse_nothing(
    cached_desk: Callable[..., CaseDesk], store: str, clock: SteppingClock
) -> None:
    # Each desk acts on a case the other changed since it cached it: without the
    # fast-forward, every second command would meet the other's version (refused as
    # ConcurrentUpdate) or chain to a digest that is no longer the last.
    first, second = cached_desk(), cached_desk()
    case_id = _open(first)
    for turn in range(120):  # past two snapshots, written by either desk
        desk = (first, second)[turn % 2]
        if turn % 3 == 0:
            desk.record_payment(
                case_id,
                amount=Money("10.00", "USD"),
                reference=f"p{turn}",
                by=AGENT,
                occurred_at=AT,
            )
        else:
            desk.add_note(case_id, text=f"turn {turn}", by=AGENT, occurred_at=AT)
    expected = _as_stored(store, clock, case_id)
    assert expected.version == 122
    payments = [e for e in first.history(case_id) if type(e).__name__ == "PaymentRecorded"]
    assert len(payments) == 40
    for desk in (first, second):
        assert desk._load(case_id).state == expected.state
        assert _cached(desk, case_id).version in (121, 122)  # its own last, or the other's
    assert not scan_log(first).findings  # one unbroken chain, whoever wrote each event


def test_the_store_is_read_only_when_another_connection_recorded_since(
    sqlite_path: Path, clock: SteppingClock
) -> None:
    # On SQLite a desk asks PRAGMA data_version before reading rows: its own commands
    # change nothing there, another desk's (another connection's) commit does.
    with (
        CaseDesk.open(sqlite_path, clock=clock, cache=4) as first,
        CaseDesk.open(sqlite_path, clock=clock, cache=4) as second,
    ):
        assert first._cache is not None
        case_id = _open(first)
        for n in range(5):
            first.add_note(case_id, text=f"n{n}", by=AGENT, occurred_at=AT)
        assert (first._cache.reads, first._cache.unchanged) == (1, 5)
        second.add_note(case_id, text="from the second desk", by=AGENT, occurred_at=AT)
        first.add_note(case_id, text="sees it", by=AGENT, occurred_at=AT)
        assert (first._cache.reads, first._cache.unchanged) == (2, 5)
        assert first._load(case_id).version == 9
        assert first._load(case_id).state == second._load(case_id).state


def test_a_cached_case_is_decided_on_as_the_store_holds_it_now(
    cached_desk: Callable[..., CaseDesk],
) -> None:
    first, second = cached_desk(), cached_desk()
    case_id = _open(first)
    first.add_note(case_id, text="cached while open", by=AGENT, occurred_at=AT)
    second.resolve_case(case_id, resolution="fixed", fault=Fault.OURS, by=AGENT, occurred_at=AT)
    second.close_case(case_id, by=AGENT, occurred_at=AT)
    with pytest.raises(CaseIsClosed):  # not accepted on the open case first cached
        first.add_note(case_id, text="too late", by=AGENT, occurred_at=AT)
    second.reopen_case(case_id, reason="again", by=SUPERVISOR, occurred_at=AT)
    assert first.add_note(case_id, text="now", by=AGENT, occurred_at=AT) == 7


def test_a_refused_or_failed_command_leaves_the_cached_case_exactly_as_it_was(
    cached_desk: Callable[..., CaseDesk], store: str, clock: SteppingClock, monkeypatch: Any
) -> None:
    desk = cached_desk()
    case_id = _open(desk)
    desk.record_payment(
        case_id, amount=Money("20.00", "USD"), reference="o-1", by=AGENT, occurred_at=AT
    )
    entry = _cached(desk, case_id)
    before = (entry.version, entry.modified_on, entry.state, dict(vars(entry)))
    commitment = state_commitment(entry.state, entry.created_on, entry.modified_on)

    refusals: list[Callable[[], object]] = [
        lambda: desk.issue_refund(
            case_id, amount=Money("25.00", "USD"), reason="r", by=SUPERVISOR, occurred_at=AT
        ),
        lambda: desk.add_note(case_id, text="", by=AGENT, occurred_at=AT),
        lambda: desk.add_note(case_id, text="x" * 200_000, by=AGENT, occurred_at=AT),
        lambda: desk.add_note(case_id, text="n", by=AGENT, occurred_at=AT, expected_version=1),
    ]
    for refused in refusals:
        with pytest.raises((RefundExceedsPaid, InvalidInput, ConcurrentUpdate)):
            refused()

    # A command whose event was triggered on the copy, then not recorded.
    def failing_save(*_: object, **__: object) -> None:
        raise IntegrityError("another writer came first")

    monkeypatch.setattr(desk._store, "save", failing_save)
    with pytest.raises(ConcurrentUpdate):
        desk.record_payment(
            case_id, amount=Money("5.00", "USD"), reference="o-2", by=AGENT, occurred_at=AT
        )
    monkeypatch.undo()

    assert _cached(desk, case_id) is entry
    assert (entry.version, entry.modified_on, entry.state, dict(vars(entry))) == before
    assert entry.pending_events == []
    assert "command" not in vars(entry)
    assert "snapshots_due" not in vars(entry)
    assert state_commitment(entry.state, entry.created_on, entry.modified_on) == commitment
    # And the next command goes on from the version the store holds.
    assert desk.add_note(case_id, text="next", by=AGENT, occurred_at=AT) == 4
    assert desk._load(case_id).state == _as_stored(store, clock, case_id).state


def test_a_cached_command_id_is_not_carried_to_the_next_command(
    cached_desk: Callable[..., CaseDesk],
) -> None:
    desk = cached_desk()
    case_id = _open(desk)
    desk.add_note(case_id, text="once", by=AGENT, occurred_at=AT, command_id="c-1")
    desk.add_note(case_id, text="plain", by=AGENT, occurred_at=AT)
    stored = desk.history(case_id)
    assert [vars(e).get("command_id") for e in stored[-2:]] == ["c-1", None]
    # A repeat is still recognised, from the store, on a cached case.
    assert desk.add_note(case_id, text="once", by=AGENT, occurred_at=AT, command_id="c-1") == 3


def test_a_store_that_no_longer_holds_the_cached_version_is_read_again(
    sqlite_path: Path, clock: SteppingClock
) -> None:
    # A store restored from an older copy under a running desk: the cached version is
    # gone, so the desk loads the case as the store holds it and records after that,
    # rather than after the version it remembered (which would leave a gap).
    with CaseDesk.open(sqlite_path, clock=clock, cache=4) as desk:
        case_id = _open(desk)
        for n in range(3):
            desk.add_note(case_id, text=f"n{n}", by=AGENT, occurred_at=AT)
        with sqlite3.connect(sqlite_path) as conn:
            conn.execute("DELETE FROM stored_events WHERE originator_version > 3")
        assert desk.add_note(case_id, text="after the restore", by=AGENT, occurred_at=AT) == 4
        assert [e.originator_version for e in desk.history(case_id)] == [1, 2, 3, 4]


@pytest.mark.parametrize("size", [-1, True, "8", 2.0, 10**7])
def test_the_cache_size_is_a_whole_number_of_cases(size: Any) -> None:
    with pytest.raises(InvalidInput, match="cache must be"):
        CaseDesk.open(":memory:", cache=size)


def test_the_cache_is_off_by_default_and_named_in_the_settings() -> None:
    with CaseDesk.open(":memory:") as plain:
        assert plain._cache is None
        assert "AGGREGATE_CACHE_MAXSIZE" not in plain.env
    with CaseDesk.open(":memory:", cache=16) as cached:
        assert cached.env["AGGREGATE_CACHE_MAXSIZE"] == "16"
        assert cached.env["AGGREGATE_CACHE_FASTFORWARD"] == "y"
        assert cached.env["AGGREGATE_CACHE_FASTFORWARD_SKIPPING"] == "n"
        case_id = _open(cached)  # the in-process store fast-forwards as well
        assert cached.add_note(case_id, text="n", by=AGENT, occurred_at=AT) == 3


# Two processes --------------------------------------------------------------------------

_PROCESSES = multiprocessing.get_context("spawn")


def _writer(path: str, case_id: str, orders: Connection) -> None:
    """Open a cached desk and add a note each time the test says so; answer the version
    (or the error) on the same pipe."""
    with CaseDesk.open(path, cache=4) as desk:
        while (turn := orders.recv()) is not None:
            try:
                orders.send(
                    desk.add_note(UUID(case_id), text=f"turn {turn}", by=AGENT, occurred_at=AT)
                )
            except Exception as error:  # reported to the test, which fails on it
                orders.send(f"{type(error).__name__}: {error}")


def test_two_processes_with_cached_desks_write_one_case_in_turn(sqlite_path: Path) -> None:
    with CaseDesk.open(sqlite_path) as desk:
        case_id = _open(desk)
    pipes, workers = [], []
    for _ in range(2):
        mine, theirs = _PROCESSES.Pipe()
        worker = _PROCESSES.Process(target=_writer, args=(str(sqlite_path), str(case_id), theirs))
        worker.start()
        pipes.append(mine)
        workers.append(worker)
    try:
        answers = []
        for turn in range(60):
            pipe = pipes[turn % 2]
            pipe.send(turn)
            assert pipe.poll(60), "a writer did not answer"
            answers.append(pipe.recv())
    finally:
        for pipe in pipes:
            pipe.send(None)
        for worker in workers:
            worker.join(60)
    assert answers == list(range(3, 63))  # every command accepted, each at the next version
    with CaseDesk.open(sqlite_path) as desk:
        assert len(desk.history(case_id)) == 62
        assert not scan_log(desk).findings
