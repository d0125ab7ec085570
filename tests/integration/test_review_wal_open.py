"""The opening of SQLite stores attacked from outside, as a second process or a hostile
operator would: a new file whose lock another process holds past the lock timeout,
readers and writers on it during the switch to WAL, processes killed while making a
store, stores left in rollback-journal mode by other tools (one with a hot journal),
an outside switch back out of WAL, read-only desks beside a switch, threads of one
process making one store, ``:memory:``, symbolic and hard links, named pipes, folders
where SQLite keeps a journal, names a URI would read otherwise, and a change of folder.

The review found eight defects, each a test here that failed before its fix: a hot
journal left by a killed writer, the checks before an open waiting 5 s instead of the
store's lock timeout, a reader through a symlink missing the WAL, ``file:`` names read
as URIs, paths holding ``:memory:`` taken for in-memory stores, a relative path after a
change of folder, desks writing through two hard links of one file, and a read-only
open of a named pipe that never ended."""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any, cast

import pytest

import casehistory.store
from casehistory import (
    CaseDesk,
    CaseHistoryError,
    NotACaseStore,
    StoreNotFound,
    StoreUnavailable,
)
from casehistory.stories import STORIES

DEADLINE = 30.0
"""Seconds any wait of these tests may take before it is a failure (none takes one)."""

_fork = multiprocessing.get_context("fork")

_WRITER = ("BEGIN IMMEDIATE",)
_READER = ("BEGIN", "SELECT count(*) FROM sqlite_master")
_EXCLUSIVE = ("BEGIN EXCLUSIVE",)
_LOCKS = pytest.mark.parametrize(
    "statements", [_WRITER, _READER, _EXCLUSIVE], ids=["writer", "reader", "exclusive"]
)


def _hold(path: str, statements: tuple[str, ...], held: Event, release: Event) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    for statement in statements:
        connection.execute(statement).fetchall()
    held.set()
    release.wait(DEADLINE)
    connection.close()  # rolls back what it holds


@contextmanager
def _held_by_another_process(path: Path, statements: tuple[str, ...]) -> Iterator[Event]:
    """Another process holds what ``statements`` take on ``path`` until the block ends
    or the yielded event is set."""
    held, release = _fork.Event(), _fork.Event()
    process = _fork.Process(target=_hold, args=(str(path), statements, held, release))
    process.start()
    try:
        assert held.wait(DEADLINE), "the other process never took its lock"
        yield release
    finally:
        release.set()
        process.join(DEADLINE)
        if process.is_alive():
            process.kill()
            process.join(DEADLINE)


def _descriptors(path: Path) -> list[str]:
    """The files of this process open on ``path`` (its journal, WAL and shm included)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the listing's own descriptor, closed since
            continue
        if target.startswith(str(path)):
            found.append(target)
    return found


def _journal_mode(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return str(connection.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        connection.close()


def _switch(path: Path, mode: str) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        assert connection.execute(f"PRAGMA journal_mode={mode}").fetchone()[0] == mode.lower()
        # A write, so that TRUNCATE and PERSIST leave their journal file behind.
        connection.execute("PRAGMA user_version=7")
    finally:
        connection.close()


def _digest(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def _store(path: Path) -> Any:
    """A store at ``path`` holding one told story; its case id."""
    with CaseDesk.open(path) as desk:
        return STORIES[0].tell(desk)


def _in_thread(open_desk: Callable[[], CaseDesk]) -> tuple[threading.Thread, list[object]]:
    """``open_desk()`` run in a thread; its outcome (a desk or an error) lands in the
    list."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(open_desk())
        except Exception as error:  # the test looks at it
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _the_desk(outcome: list[object]) -> CaseDesk:
    """The desk a thread of :func:`_in_thread` opened (the test fails on anything else)."""
    assert len(outcome) == 1, outcome
    assert isinstance(outcome[0], CaseDesk), outcome
    return outcome[0]


def _close_all(outcome: list[object]) -> None:
    for found in outcome:
        if isinstance(found, CaseDesk):
            found.close()


@pytest.fixture
def short_lock_timeout(monkeypatch: pytest.MonkeyPatch) -> float:
    """``CaseDesk.open`` with a one-second lock timeout (30 s in the library)."""
    monkeypatch.setattr(casehistory.store, "SQLITE_LOCK_TIMEOUT", "1")
    return 1.0


# A new file whose lock another process holds.


@_LOCKS
def test_a_new_file_locked_past_the_lock_timeout_fails_the_open_in_that_time_leaving_nothing(
    sqlite_path: Path, statements: tuple[str, ...], short_lock_timeout: float
) -> None:
    with _held_by_another_process(sqlite_path, statements):
        started, cpu = time.monotonic(), time.thread_time()
        with pytest.raises(StoreUnavailable, match="database is locked"):
            CaseDesk.open(sqlite_path)
        took, spent = time.monotonic() - started, time.thread_time() - cpu

        # The lock timeout, waited (not spun: SQLite's busy handler sleeps), then given up.
        assert short_lock_timeout * 0.9 <= took < short_lock_timeout * 3
        assert spent < 0.5 * took
        # Not a connection, nor a journal, left open in this process.
        assert _descriptors(sqlite_path) == []

    # Nor a lock: another connection takes the file's exclusive lock at once.
    outside = sqlite3.connect(sqlite_path, isolation_level=None, timeout=0)
    outside.execute("BEGIN EXCLUSIVE")
    outside.execute("ROLLBACK")
    outside.close()
    with CaseDesk.open(sqlite_path) as desk:
        assert list(desk.case_ids()) == []
    assert _journal_mode(sqlite_path) == "wal"


@_LOCKS
def test_a_new_file_locked_for_a_while_is_waited_for_and_made_a_store(
    sqlite_path: Path, statements: tuple[str, ...]
) -> None:
    with _held_by_another_process(sqlite_path, statements) as release:
        opener, outcome = _in_thread(lambda: CaseDesk.open(sqlite_path))
        opener.join(0.3)
        assert opener.is_alive(), f"the open did not wait for the lock: {outcome}"
        release.set()
        opener.join(DEADLINE)

    try:
        assert list(_the_desk(outcome).case_ids()) == []
        assert _journal_mode(sqlite_path) == "wal"
    finally:
        _close_all(outcome)


def test_a_store_made_while_another_process_commits_in_a_tight_loop_opens(
    sqlite_path: Path,
) -> None:
    """The switch waits out a writer that lets go of its lock only between commits:
    thousands of them in a tight loop (SQLite's busy wait is not fair: a writer that
    never pauses can keep a waiter out for longer than any timeout, so the writer here
    stops after ``_COMMITS``; before, the open failed at once, "database is locked",
    about one time in six)."""
    busy = _fork.Event()
    churner = _fork.Process(target=_churn, args=(str(sqlite_path), busy))
    churner.start()
    try:
        assert busy.wait(DEADLINE)
        with CaseDesk.open(sqlite_path) as desk:
            case_id = STORIES[0].tell(desk)
    finally:
        churner.join(DEADLINE)
    assert churner.exitcode == 0
    with CaseDesk.open(sqlite_path, read_only=True) as reader:
        assert list(reader.case_ids()) == [case_id]
    assert _journal_mode(sqlite_path) == "wal"


_COMMITS = 3000


def _churn(path: str, busy: Event) -> None:
    # Empty transactions: the file stays empty (a new store), its write lock taken and
    # given back as fast as one process can. SQLite answers this writer busy too, now
    # and then (the desk holds the lock): it goes on.
    connection = sqlite3.connect(path, isolation_level=None, timeout=DEADLINE)
    for _ in range(_COMMITS):
        with suppress(sqlite3.OperationalError):
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("COMMIT")
        busy.set()
    connection.close()


def test_eight_threads_of_one_process_make_one_new_store_at_once(tmp_path: Path) -> None:
    failures: list[BaseException] = []
    for n in range(5):
        path = tmp_path / f"store-{n}.sqlite"
        barrier = threading.Barrier(8)

        def opener(path: Path = path, barrier: threading.Barrier = barrier) -> None:
            barrier.wait(DEADLINE)
            try:
                with CaseDesk.open(path) as desk:
                    list(desk.case_ids())
            except BaseException as error:  # every kind counts
                failures.append(error)

        threads = [threading.Thread(target=opener) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(DEADLINE)
        assert _journal_mode(path) == "wal"
    assert failures == []


# Processes killed while making a store.


def _open_and_report(path: str, opening: Event) -> None:
    opening.set()
    CaseDesk.open(path).close()


def _lock_and_report(path: str, opening: Event) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")  # the file made, its lock held, not yet WAL
    opening.set()
    threading.Event().wait(DEADLINE)  # until killed


@pytest.mark.parametrize(
    ("maker", "locked"),
    [(_open_and_report, _WRITER), (_lock_and_report, ())],
    ids=["killed-while-its-open-waits-to-switch", "killed-holding-the-new-files-lock"],
)
def test_a_process_killed_while_making_a_store_leaves_a_file_the_next_open_makes_one(
    sqlite_path: Path, maker: Callable[[str, Event], None], locked: tuple[str, ...]
) -> None:
    # Another process holds the lock (or, with no statement, only opens the file).
    with _held_by_another_process(sqlite_path, locked):
        opening = _fork.Event()
        victim = _fork.Process(target=maker, args=(str(sqlite_path), opening))
        victim.start()
        assert opening.wait(DEADLINE)
        victim.join(0.3)
        assert victim.is_alive()  # waiting for the lock, or holding it
        victim.kill()
        victim.join(DEADLINE)

    with CaseDesk.open(sqlite_path) as desk:
        case_id = STORIES[0].tell(desk)
    with CaseDesk.open(sqlite_path, read_only=True) as reader:
        assert list(reader.case_ids()) == [case_id]
    assert _journal_mode(sqlite_path) == "wal"


def _make_stores(folder: str, made: Any) -> None:
    for n in itertools.count():
        made.put(n)
        CaseDesk.open(os.path.join(folder, f"store-{n}.sqlite")).close()


@pytest.mark.parametrize("killed_at", [1, 3, 6])
def test_a_process_killed_at_any_point_of_making_stores_leaves_files_desks_open(
    tmp_path: Path, killed_at: int
) -> None:
    made = _fork.Queue()
    maker = _fork.Process(target=_make_stores, args=(str(tmp_path), made))
    maker.start()
    try:
        while made.get(timeout=DEADLINE) < killed_at:
            pass
    finally:
        maker.kill()  # somewhere inside the open of store-<killed_at>
        maker.join(DEADLINE)

    stores = sorted(tmp_path.glob("store-*.sqlite"))
    assert len(stores) >= killed_at
    for path in stores:
        with CaseDesk.open(path) as desk:
            assert list(desk.case_ids()) == []
            assert _journal_mode(path) == "wal"


# Files left in rollback-journal mode by other tools.


@pytest.mark.parametrize("mode", ["DELETE", "TRUNCATE", "PERSIST"])
def test_a_store_left_in_rollback_journal_mode_opens_with_its_cases_and_is_wal_again(
    sqlite_path: Path, mode: str
) -> None:
    case_id = _store(sqlite_path)
    _switch(sqlite_path, mode)

    with CaseDesk.open(sqlite_path) as desk:
        assert list(desk.case_ids()) == [case_id]
        assert _journal_mode(sqlite_path) == "wal"
        STORIES[1].tell(desk)
    assert _journal_mode(sqlite_path) == "wal"


@pytest.mark.parametrize("mode", ["DELETE", "TRUNCATE", "PERSIST"])
def test_an_empty_database_left_in_rollback_journal_mode_is_made_a_store(
    sqlite_path: Path, mode: str
) -> None:
    _switch(sqlite_path, mode)
    assert sqlite_path.stat().st_size > 0

    with CaseDesk.open(sqlite_path) as desk:
        case_id = STORIES[0].tell(desk)
    with CaseDesk.open(sqlite_path, read_only=True) as reader:
        assert list(reader.case_ids()) == [case_id]
    assert _journal_mode(sqlite_path) == "wal"


@pytest.mark.parametrize("mode", ["DELETE", "TRUNCATE", "PERSIST"])
@pytest.mark.parametrize("read_only", [False, True])
def test_another_applications_file_in_rollback_journal_mode_is_refused_unchanged(
    tmp_path: Path, mode: str, read_only: bool
) -> None:
    path = tmp_path / "accounts.sqlite"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute(f"PRAGMA journal_mode={mode}")
    other.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT)")
    other.execute("INSERT INTO accounts (owner) VALUES ('dana')")
    other.close()
    before = {found.name: _digest(found) for found in tmp_path.iterdir()}

    with pytest.raises(NotACaseStore, match="is not a casehistory store"):
        CaseDesk.open(path, read_only=read_only)

    assert {found.name: _digest(found) for found in tmp_path.iterdir()} == before


def _killed_when_ready(target: Callable[[str, Event], None], path: Path) -> None:
    """Run ``target(path, ready)`` in another process and SIGKILL it once it is ready."""
    ready = _fork.Event()
    process = _fork.Process(target=target, args=(str(path), ready))
    process.start()
    try:
        assert ready.wait(DEADLINE)
    finally:
        process.kill()
        process.join(DEADLINE)


def _write_and_wait(path: str, ready: Event) -> None:
    """Another tool writing to the store in rollback-journal mode, its page cache small
    enough that the file holds pages of the transaction: killed, it leaves a hot journal."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA cache_size=10")
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("CREATE TABLE scratch (blob BLOB)")
    connection.executemany("INSERT INTO scratch VALUES (randomblob(1000))", [()] * 300)
    ready.set()
    threading.Event().wait(DEADLINE)  # until killed


def _hot_journal(path: Path) -> None:
    """Leave ``path`` (a store in rollback-journal mode) with the hot journal of a writer
    killed in the middle of its transaction."""
    _switch(path, "DELETE")
    _killed_when_ready(_write_and_wait, path)
    assert Path(f"{path}-journal").stat().st_size > 0


def test_a_store_with_a_hot_journal_from_a_killed_writer_opens_and_rolls_it_back(
    sqlite_path: Path,
) -> None:
    case_id = _store(sqlite_path)
    _hot_journal(sqlite_path)

    with CaseDesk.open(sqlite_path) as desk:
        assert list(desk.case_ids()) == [case_id]
    assert _journal_mode(sqlite_path) == "wal"


def test_a_reader_refuses_a_store_with_a_hot_journal_and_leaves_both_files_as_they_are(
    sqlite_path: Path,
) -> None:
    """A read-only desk cannot roll the journal back (that is a write): it says the store
    is unavailable and changes neither file."""
    _store(sqlite_path)
    _hot_journal(sqlite_path)
    journal = Path(f"{sqlite_path}-journal")
    before = (_digest(sqlite_path), _digest(journal))

    with pytest.raises(StoreUnavailable, match="cannot open the store"):
        CaseDesk.open(sqlite_path, read_only=True)

    assert (_digest(sqlite_path), _digest(journal)) == before


def test_a_writer_killed_inside_its_transaction_in_wal_mode_leaves_a_store_that_opens(
    sqlite_path: Path,
) -> None:
    case_id = _store(sqlite_path)
    _killed_when_ready(_write_and_wait, sqlite_path)
    assert Path(f"{sqlite_path}-wal").stat().st_size > 0  # its uncommitted frames

    # A reader first (it cannot write: the WAL is recovered without a write), then a desk.
    with CaseDesk.open(sqlite_path, read_only=True) as reader:
        assert list(reader.case_ids()) == [case_id]
    with CaseDesk.open(sqlite_path) as desk:
        second = STORIES[1].tell(desk)
        assert set(desk.case_ids()) == {case_id, second}
    with sqlite3.connect(sqlite_path) as check:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_an_existing_store_locked_past_the_lock_timeout_fails_the_open_leaving_nothing(
    sqlite_path: Path, short_lock_timeout: float
) -> None:
    """Every writable open takes the store's write lock (it claims the desk's policies:
    docs/policies.md): a lock held past the timeout fails it, cleanly."""
    case_id = _store(sqlite_path)
    with _held_by_another_process(sqlite_path, _WRITER):
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="database is locked"):
            CaseDesk.open(sqlite_path)
        assert time.monotonic() - started < short_lock_timeout * 3
        assert _descriptors(sqlite_path) == []
        # A reader is not held up by the writer.
        with CaseDesk.open(sqlite_path, read_only=True) as reader:
            assert list(reader.case_ids()) == [case_id]

    with CaseDesk.open(sqlite_path) as desk:
        assert list(desk.case_ids()) == [case_id]


@pytest.mark.parametrize(
    ("mode", "beside"),
    [("WAL", "-wal"), ("WAL", "-shm"), ("DELETE", "-journal"), ("DELETE", "-wal")],
)
@pytest.mark.parametrize("read_only", [False, True])
def test_a_folder_where_sqlite_keeps_a_journal_fails_the_open_at_once_or_is_not_needed(
    sqlite_path: Path, mode: str, beside: str, read_only: bool
) -> None:
    """A hostile operator's folder named as the store's WAL, shm or journal: the open
    ends at once, refused (StoreUnavailable) or, when it needs no such file, reading."""
    case_id = _store(sqlite_path)
    if mode != "WAL":
        _switch(sqlite_path, mode)
    Path(f"{sqlite_path}{beside}").mkdir()
    started = time.monotonic()

    with suppress(StoreUnavailable), CaseDesk.open(sqlite_path, read_only=read_only) as desk:
        assert list(desk.case_ids()) == [case_id]

    assert time.monotonic() - started < 2.0
    assert _descriptors(sqlite_path) == []


def _record_and_wait(path: str, ready: Event) -> None:
    desk = CaseDesk.open(path)
    STORIES[1].tell(desk)
    ready.set()
    threading.Event().wait(DEADLINE)  # until killed, the desk open


@pytest.mark.parametrize("read_only", [False, True])
def test_a_desk_killed_open_and_its_shm_overwritten_leave_a_store_that_opens_whole(
    sqlite_path: Path, read_only: bool
) -> None:
    first = _store(sqlite_path)
    _killed_when_ready(_record_and_wait, sqlite_path)
    shm = Path(f"{sqlite_path}-shm")
    assert shm.exists()
    shm.write_bytes(os.urandom(shm.stat().st_size or 32768))  # the WAL index: garbage

    with CaseDesk.open(sqlite_path, read_only=read_only) as desk:
        cases = set(desk.case_ids())
    assert first in cases
    assert len(cases) == 2  # the killed desk's case was committed: kept


def test_the_checks_before_an_open_wait_for_a_lock_as_long_as_the_store_lock_timeout(
    sqlite_path: Path,
) -> None:
    case_id = _store(sqlite_path)
    _switch(sqlite_path, "DELETE")
    waited = 5.5  # past sqlite3's 5 s, well inside the store's 30 s
    with _held_by_another_process(sqlite_path, _EXCLUSIVE) as release:
        writer, wrote = _in_thread(lambda: CaseDesk.open(sqlite_path))
        reader, read = _in_thread(lambda: CaseDesk.open(sqlite_path, read_only=True))
        try:
            until = time.monotonic() + waited
            writer.join(max(0.0, until - time.monotonic()))
            reader.join(max(0.0, until - time.monotonic()))
            assert (writer.is_alive(), reader.is_alive()) == (True, True), (wrote, read)
        finally:
            release.set()
            writer.join(DEADLINE)
            reader.join(DEADLINE)
            outcomes = wrote + read
            _close_all(outcomes)
    assert [type(found) for found in outcomes] == [CaseDesk, CaseDesk], outcomes
    with CaseDesk.open(sqlite_path, read_only=True) as check:
        assert list(check.case_ids()) == [case_id]


# An open store, and another connection that would take it out of WAL.


def _try_to_leave_wal(path: str, answers: Any) -> None:
    connection = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        answers.put(connection.execute("PRAGMA journal_mode=DELETE").fetchone()[0])
    except sqlite3.OperationalError as error:
        answers.put(str(error))
    finally:
        connection.close()


def test_another_process_cannot_take_an_open_store_out_of_wal_and_the_next_open_puts_it_back(
    sqlite_path: Path,
) -> None:
    answers = _fork.Queue()
    with CaseDesk.open(sqlite_path) as desk:
        first = STORIES[0].tell(desk)
        other = _fork.Process(target=_try_to_leave_wal, args=(str(sqlite_path), answers))
        other.start()
        other.join(DEADLINE)

        # Refused while the desk holds the store open; the desk goes on recording.
        assert answers.get(timeout=DEADLINE) == "database is locked"
        assert _journal_mode(sqlite_path) == "wal"
        second = STORIES[1].tell(desk)

    # Closed, the store may be taken out of WAL; the next desk switches it back.
    _switch(sqlite_path, "DELETE")
    with CaseDesk.open(sqlite_path) as desk:
        assert set(desk.case_ids()) == {first, second}
        assert _journal_mode(sqlite_path) == "wal"


# Read-only desks beside a switch, and beside a store being made.


def test_readers_of_a_rollback_journal_store_read_on_while_a_writer_switches_it_to_wal(
    sqlite_path: Path,
) -> None:
    first = _store(sqlite_path)
    _switch(sqlite_path, "DELETE")
    reader = CaseDesk.open(sqlite_path, read_only=True)
    try:
        assert list(reader.case_ids()) == [first]
        assert _journal_mode(sqlite_path) == "delete"  # a reader does not switch it

        # A writer opens while another process holds the write lock: it waits; a second
        # reader opens meanwhile and reads what is committed.
        with _held_by_another_process(sqlite_path, _WRITER) as release:
            opener, outcome = _in_thread(lambda: CaseDesk.open(sqlite_path))
            opener.join(0.3)
            assert opener.is_alive(), outcome
            with CaseDesk.open(sqlite_path, read_only=True) as second_reader:
                assert list(second_reader.case_ids()) == [first]
            release.set()
            opener.join(DEADLINE)
        with _the_desk(outcome) as writer:
            assert _journal_mode(sqlite_path) == "wal"
            second = STORIES[1].tell(writer)
            assert set(reader.case_ids()) == {first, second}
        # The writer gone (its WAL checkpointed and removed), the reader reads on.
        assert set(reader.case_ids()) == {first, second}
    finally:
        reader.close()


def _make_uncommitted(path: str, mode: str, held: Event, release: Event) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(f"PRAGMA journal_mode={mode}")
    connection.execute("BEGIN IMMEDIATE")
    connection.execute(
        "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
        "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
    )
    held.set()
    release.wait(DEADLINE)
    connection.close()


@pytest.mark.parametrize("mode", ["DELETE", "WAL"])
def test_a_reader_of_a_store_still_being_made_is_told_at_once_it_is_not_a_store_yet(
    sqlite_path: Path, mode: str
) -> None:
    held, release = _fork.Event(), _fork.Event()
    maker = _fork.Process(target=_make_uncommitted, args=(str(sqlite_path), mode, held, release))
    maker.start()
    try:
        assert held.wait(DEADLINE)
        started = time.monotonic()

        with pytest.raises(NotACaseStore, match="the database has no tables"):
            CaseDesk.open(sqlite_path, read_only=True)

        assert time.monotonic() - started < 2.0  # no wait on the maker's lock
        assert _descriptors(sqlite_path) == []
    finally:
        release.set()
        maker.join(DEADLINE)


# ``:memory:``, and paths SQLite reads differently from the file system.


def test_memory_stores_are_each_their_own_and_leave_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    with CaseDesk.open(":memory:") as one, CaseDesk.open(":memory:") as other:
        case_id = STORIES[0].tell(one)
        assert list(one.case_ids()) == [case_id]
        assert list(other.case_ids()) == []
    with pytest.raises(StoreNotFound, match="new, empty store each time"):
        CaseDesk.open(":memory:", read_only=True)

    assert list(tmp_path.iterdir()) == []


def _tell_second_story(path: str, told: Any) -> None:
    with CaseDesk.open(path) as desk:
        told.put(STORIES[1].tell(desk))


def test_desks_through_a_symlink_and_through_its_target_share_one_store(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "links").mkdir()
    target = tmp_path / "data" / "cases.sqlite"
    link = tmp_path / "links" / "cases.sqlite"
    link.symlink_to(target)  # dangling: the first open makes the target

    with CaseDesk.open(link) as desk:
        first = STORIES[0].tell(desk)
        # Another process writes through the target while this desk is open.
        told = _fork.Queue()
        other = _fork.Process(target=_tell_second_story, args=(str(target), told))
        other.start()
        second = told.get(timeout=DEADLINE)
        other.join(DEADLINE)
        assert set(desk.case_ids()) == {first, second}
        # One WAL, beside the target: none beside the link that a second writer
        # could miss.
        assert sorted(found.name for found in link.parent.iterdir()) == ["cases.sqlite"]
        assert Path(f"{target}-wal").exists()

    assert _journal_mode(target) == "wal"
    with CaseDesk.open(link, read_only=True) as reader:
        assert set(reader.case_ids()) == {first, second}


@pytest.mark.parametrize("read_only", [False, True])
def test_a_symlink_loop_or_a_link_into_no_folder_is_a_clear_error_and_makes_nothing(
    tmp_path: Path, read_only: bool
) -> None:
    (tmp_path / "loop-a").symlink_to(tmp_path / "loop-b")
    (tmp_path / "loop-b").symlink_to(tmp_path / "loop-a")
    (tmp_path / "far").symlink_to(tmp_path / "no-such-folder" / "cases.sqlite")
    expected = StoreNotFound if read_only else StoreUnavailable

    for name in ("loop-a", "far"):
        with pytest.raises(expected, match=name):
            CaseDesk.open(tmp_path / name, read_only=read_only)

    assert sorted(found.name for found in tmp_path.iterdir()) == ["far", "loop-a", "loop-b"]


def test_a_reader_through_a_symlink_reads_a_store_whose_tables_are_still_in_its_wal(
    tmp_path: Path,
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "links").mkdir()
    target = tmp_path / "data" / "cases.sqlite"
    link = tmp_path / "links" / "cases.sqlite"
    link.symlink_to(target)

    with CaseDesk.open(target) as writer:
        case_id = STORIES[0].tell(writer)
        assert Path(f"{target}-wal").stat().st_size > 0  # not checkpointed yet

        with CaseDesk.open(link, read_only=True) as reader:
            assert list(reader.case_ids()) == [case_id]


@pytest.mark.parametrize(
    "name",
    [
        "cases ?#%25&mode=ro.sqlite",
        "dir?x=1#y/cases%20.sqlite",
        "mode=ro?cache=shared.sqlite",
        "caseś ünï.sqlite",
    ],
)
def test_a_store_name_with_a_uris_special_characters_names_the_file_desks_use(
    tmp_path: Path, name: str
) -> None:
    """What a URI would read as a query, a fragment or an escape is part of the file's
    name, for a writer and for a reader (whose path is turned into a URI)."""
    path = tmp_path / name
    path.parent.mkdir(exist_ok=True)

    with CaseDesk.open(path) as desk:
        case_id = STORIES[0].tell(desk)
    with CaseDesk.open(path, read_only=True) as reader:
        assert list(reader.case_ids()) == [case_id]
    with CaseDesk.open(path) as desk:
        assert list(desk.case_ids()) == [case_id]

    assert _journal_mode(path) == "wal"
    made = sorted(str(found.relative_to(tmp_path)) for found in tmp_path.rglob("*"))
    assert [found for found in made if found.endswith(".sqlite")] == [name]


def test_a_path_that_reads_as_a_sqlite_uri_never_writes_another_applications_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    other = sqlite3.connect("accounts.sqlite")
    other.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT)")
    other.commit()
    other.close()
    before = _digest(tmp_path / "accounts.sqlite")
    with pytest.raises(NotACaseStore):
        CaseDesk.open("accounts.sqlite")

    with suppress(CaseHistoryError):  # refused: as good as a file literally named so
        CaseDesk.open("file:accounts.sqlite").close()

    assert _digest(tmp_path / "accounts.sqlite") == before
    assert sorted(found.name for found in tmp_path.iterdir() if "-" not in found.name) in (
        ["accounts.sqlite"],
        ["accounts.sqlite", "file:accounts.sqlite"],
    )


@pytest.mark.parametrize("name", ["cases:memory:.sqlite", "mode=memory/cases.sqlite"])
def test_a_store_file_whose_path_names_memory_is_switched_to_wal(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.parent.mkdir(exist_ok=True)

    with CaseDesk.open(path) as desk:
        STORIES[0].tell(desk)
        assert path.exists()

        assert _journal_mode(path) == "wal"


def _tell_and_wait(path: str, told: Any, go: Event) -> None:
    with CaseDesk.open(path) as desk:
        told.put(STORIES[1].tell(desk))
        go.wait(DEADLINE)


def test_desks_through_two_hard_links_of_one_store_lose_no_case(tmp_path: Path) -> None:
    """SQLite names the WAL after the path: desks writing through two names of one file
    would keep two WALs, and one's checkpoint would drop the other's events (a case was
    lost before). A writable open of a file with a second name is refused; reading it
    is not."""
    path, other_name = tmp_path / "cases.sqlite", tmp_path / "copy.sqlite"
    first = _store(path)
    os.link(path, other_name)
    told, go = _fork.Queue(), _fork.Event()
    other = _fork.Process(target=_tell_and_wait, args=(str(other_name), told, go))
    other.start()
    try:
        with pytest.raises(StoreUnavailable, match="2 names"):
            CaseDesk.open(path)
    finally:
        go.set()
        other.join(DEADLINE)
    assert other.exitcode != 0  # its desk was refused too
    assert told.empty()

    with CaseDesk.open(path, read_only=True) as reader:
        assert list(reader.case_ids()) == [first]
    other_name.unlink()
    with CaseDesk.open(path) as desk:
        assert list(desk.case_ids()) == [first]


def _open_read_only(path: str) -> None:
    with suppress(CaseHistoryError):
        CaseDesk.open(path, read_only=True).close()


def test_a_read_only_open_of_a_named_pipe_ends(tmp_path: Path) -> None:
    pipe = tmp_path / "cases.sqlite"
    os.mkfifo(pipe)
    opener = _fork.Process(target=_open_read_only, args=(str(pipe),))
    opener.start()
    opener.join(2.0)
    hung = opener.is_alive()
    if hung:
        opener.kill()
        opener.join(DEADLINE)

    assert not hung


def test_a_writable_open_of_a_named_pipe_is_a_clear_error_at_once(tmp_path: Path) -> None:
    pipe = tmp_path / "cases.sqlite"
    os.mkfifo(pipe)
    outcome = _fork.Queue()
    opener = _fork.Process(target=_open_writable, args=(str(pipe), outcome))
    opener.start()
    try:
        assert outcome.get(timeout=5.0) == "StoreUnavailable"
    finally:
        opener.join(2.0)
        if opener.is_alive():
            opener.kill()
            opener.join(DEADLINE)


def _open_writable(path: str, outcome: Any) -> None:
    try:
        CaseDesk.open(path).close()
        outcome.put("opened")
    except CaseHistoryError as error:
        outcome.put(type(error).__name__)


def test_a_desk_opened_by_a_relative_path_keeps_to_its_store_after_a_change_of_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "here").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    with CaseDesk.open("cases.sqlite") as desk:
        case_id = STORIES[0].tell(desk)
        monkeypatch.chdir(tmp_path / "elsewhere")

        # Another thread of the process is reading: the desk needs a second connection.
        pool = cast(Any, desk._store.recorder).datastore.pool
        reading = pool.get_connection(is_writer=False)
        try:
            assert list(desk.case_ids()) == [case_id]
        finally:
            pool.put_connection(reading)

    assert list((tmp_path / "elsewhere").iterdir()) == []
