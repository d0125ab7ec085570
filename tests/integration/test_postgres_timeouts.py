"""PostgreSQL sessions are bounded: a large insert completes (it hung in psycopg's
pipeline, holding the events table's lock), a writer waits for the table lock no longer
than ``lock_timeout`` and records nothing, a timed-out statement is StoreUnavailable at
once (not retried ten times), and the timeouts come from the URL."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Customer,
    InvalidInput,
    Role,
    StoreUnavailable,
)
from tests.integration.conftest import Database

pytestmark = pytest.mark.postgres

AGENT = Actor("a.lee", Role.AGENT)
WHEN = datetime(2026, 9, 14, 9, 0, tzinfo=UTC)
LARGEST_EVENT = 1024 * 1024
"""The largest event a desk records (1 MiB of canonical JSON, MAX_EVENT_BYTES)."""


def _open_case(desk: CaseDesk) -> UUID:
    return desk.open_case(
        customer=Customer("c1", "Dana"),
        subject="s",
        channel=Channel.EMAIL,
        by=AGENT,
        occurred_at=WHEN,
    )


def _row(size: int) -> StoredEvent:
    """A row of ``size`` bytes written below the desk's checks, straight to the recorder."""
    return StoredEvent(uuid4(), 1, "casehistory.domain.events:NoteAdded", b"N" * size)


@pytest.fixture
def table_lock(postgres_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A session of someone else's, ready to hold the events table's lock."""
    CaseDesk.open(postgres_url).close()  # the tables
    database = Database(postgres_url)
    database.conn.autocommit = False
    yield database.conn
    database.conn.rollback()
    database.conn.close()


def test_a_ten_megabyte_insert_completes(postgres_url: str) -> None:
    """The hang, in a process of its own with a hard timeout: 4 of 5 tries hung before."""
    script = (
        "import faulthandler, sys, uuid\n"
        "from eventsourcing.persistence import StoredEvent\n"
        "from casehistory import CaseDesk\n"
        "faulthandler.dump_traceback_later(50, exit=True)\n"
        "desk = CaseDesk.open(sys.argv[1])\n"
        "topic, state = 'casehistory.domain.events:NoteAdded', b'N' * 10_000_000\n"
        "for _ in range(3):\n"
        "    desk._recorder.insert_events([StoredEvent(uuid.uuid4(), 1, topic, state)])\n"
        "desk.close()\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, postgres_url],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("a 10 MB insert hung")
    assert done.returncode == 0, done.stderr[-2000:]
    assert Database(postgres_url).run("SELECT count(*) FROM {events}") == [(3,)]


def test_sessions_run_with_the_timeouts_of_the_url(postgres_url: str) -> None:
    settings = (
        "SELECT current_setting('statement_timeout') AS s, current_setting('lock_timeout') AS l, "
        "current_setting('idle_in_transaction_session_timeout') AS i"
    )
    with CaseDesk.open(postgres_url) as desk, desk._recorder.datastore.transaction() as cursor:
        cursor.execute(settings)
        assert list(cursor.fetchone().values()) == ["30s", "5s", "5s"]

    url = f"{postgres_url}&statement_timeout=7&lock_timeout=3&idle_in_transaction_session_timeout=9"
    with CaseDesk.open(url) as desk, desk._recorder.datastore.transaction() as cursor:
        cursor.execute(settings)
        assert list(cursor.fetchone().values()) == ["7s", "3s", "9s"]


@pytest.mark.parametrize(
    "query",
    [
        "statement_timeout=0",
        "lock_timeout=abc",
        "lock_timeout=1.5",
        "idle_in_transaction_session_timeout=-1",
        "statement_timeout=",
        "lock_timeout=\u0663",  # an Arabic-Indic digit: isdigit(), but no number to PostgreSQL
    ],
)
def test_a_bad_timeout_is_invalid_input(postgres_url: str, query: str) -> None:
    with pytest.raises(InvalidInput, match="must be a whole number of seconds >= 1"):
        CaseDesk.open(f"{postgres_url}&{query}")


def _timed(command: object) -> tuple[float, BaseException | None]:
    """Run ``command`` in a thread; its duration and what it raised (a deadline, so that a
    command that waits for ever fails the test instead of hanging it)."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            command()  # type: ignore[operator]
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=20)
    took = time.monotonic() - started
    if thread.is_alive():
        pytest.fail(f"the command was still waiting after {took:.0f} s")
    return took, outcome[0]


def test_a_writer_waits_for_the_table_lock_no_longer_than_the_lock_timeout(
    postgres_url: str, table_lock: psycopg.Connection[tuple[object, ...]]
) -> None:
    desk = CaseDesk.open(f"{postgres_url}&lock_timeout=1")
    case_id = _open_case(desk)
    events = Database(postgres_url).events
    table_lock.execute(f"LOCK TABLE {events} IN EXCLUSIVE MODE")  # a stuck writer

    took, raised = _timed(lambda: desk.add_note(case_id, text="waits", by=AGENT, occurred_at=WHEN))
    table_lock.rollback()

    assert isinstance(raised, StoreUnavailable), raised
    assert "lock timeout" in str(raised)
    assert took < 3, f"waited {took:.1f} s with lock_timeout=1"  # once, not ten times
    assert desk.case(case_id).version == 1  # nothing recorded
    desk.add_note(case_id, text="lock released", by=AGENT, occurred_at=WHEN)
    assert desk.case(case_id).version == 2
    desk.close()


def test_a_read_kept_waiting_is_store_unavailable_at_once(
    postgres_url: str, table_lock: psycopg.Connection[tuple[object, ...]]
) -> None:
    desk = CaseDesk.open(f"{postgres_url}&lock_timeout=1")
    case_id = _open_case(desk)
    events = Database(postgres_url).events
    table_lock.execute(f"LOCK TABLE {events} IN ACCESS EXCLUSIVE MODE")

    took, raised = _timed(lambda: desk.case(case_id))
    table_lock.rollback()

    assert isinstance(raised, StoreUnavailable), raised
    assert took < 3, f"waited {took:.1f} s with lock_timeout=1"
    assert desk.case(case_id).version == 1
    desk.close()


def test_the_largest_event_does_not_keep_another_writer_waiting(postgres_url: str) -> None:
    lock_timeout = 2
    url = f"{postgres_url}&lock_timeout={lock_timeout}"
    large, small = CaseDesk.open(url), CaseDesk.open(url)
    case_id = _open_case(small)
    waits: list[float] = []
    stop = threading.Event()

    def write_notes() -> None:
        while not stop.is_set():
            started = time.monotonic()
            small.add_note(case_id, text="meanwhile", by=AGENT, occurred_at=WHEN)
            waits.append(time.monotonic() - started)

    writer = threading.Thread(target=write_notes, daemon=True)
    writer.start()
    try:
        for _ in range(8):
            _, raised = _timed(lambda: large._recorder.insert_events([_row(LARGEST_EVENT)]))
            assert raised is None, raised
    finally:
        stop.set()
        writer.join(timeout=20)

    assert not writer.is_alive()
    assert waits, "the other writer recorded nothing"
    assert max(waits) < lock_timeout, f"the other writer waited {max(waits):.2f} s"
    assert small.case(case_id).version == 1 + len(waits)
    assert Database(postgres_url).run(
        "SELECT count(*) FROM {events} WHERE length(state) = ?", LARGEST_EVENT
    ) == [(8,)]
    large.close()
    small.close()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://postgres@127.0.0.1:1/test?connect_timeout=1", "Connection refused"),
        (
            "postgresql://no_such_role_x:s3cr3tpw@127.0.0.1:5432/test?connect_timeout=1",
            'role "no_such_role_x" does not exist',
        ),
        (
            "postgresql://postgres@127.0.0.1:5432/no_such_db_x?connect_timeout=1",
            'database "no_such_db_x" does not exist',
        ),
    ],
)
def test_a_failed_connection_says_why(postgres_url: str, url: str, reason: str) -> None:
    # The pool says only "couldn't get a connection after 1.00 sec". (postgres_url: the
    # server is up, so that it is the URL's host, role or database that fails.)
    with pytest.raises(StoreUnavailable) as failed:
        CaseDesk.open(url)
    assert reason in str(failed.value)
    assert "s3cr3tpw" not in str(failed.value)
