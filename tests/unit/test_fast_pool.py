"""The desk's SQLite pool (FastCheckoutPool) checks connections out and in as
eventsourcing's pool does: one writer at a time, waits and timeouts, a closed pool, a
foreign connection, a connection closed while in the pool."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from eventsourcing.persistence import (
    ConnectionNotFromPoolError,
    ConnectionPoolClosedError,
    ConnectionUnavailableError,
)
from eventsourcing.sqlite import SQLiteConnectionPool

from casehistory import CaseDesk
from casehistory.desk._connections import StatementCachingPool
from casehistory.desk._pool import FastCheckoutPool


def _pool(path: Path, **options: object) -> FastCheckoutPool:
    pool = FastCheckoutPool(db_name=str(path / "pool.sqlite"), **options)  # type: ignore[arg-type]
    pool._get_semaphore = threading.Lock()  # type: ignore[assignment]  # as the desk's
    return pool


def test_a_desk_on_a_file_uses_it(tmp_path: Path) -> None:
    desk = CaseDesk.open(str(tmp_path / "desk.sqlite"))
    pool = desk._store.recorder.datastore.pool  # type: ignore[attr-defined]
    assert type(pool) is StatementCachingPool
    assert isinstance(pool, FastCheckoutPool)


def test_one_writer_at_a_time_and_every_connection_returned(tmp_path: Path) -> None:
    pool = _pool(tmp_path, pool_size=3, max_overflow=2)
    writing = 0
    most = 0
    guard = threading.Lock()
    start = threading.Barrier(6)

    def work(is_writer: bool | None) -> None:
        nonlocal writing, most
        start.wait()
        for _ in range(300):
            connection = pool.get_connection(is_writer=is_writer)
            if is_writer:
                with guard:
                    writing += 1
                    most = max(most, writing)
            connection._sqlite_conn.execute("SELECT 1").fetchone()
            if is_writer:
                with guard:
                    writing -= 1
            pool.put_connection(connection)

    threads = [threading.Thread(target=work, args=(n % 2 == 0 or None,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1
    assert pool._num_writers == 0
    assert pool.num_in_use == 0
    assert not pool._writer_lock.locked()
    assert 1 <= pool.num_in_pool <= 3
    pool.close()


def test_a_second_writer_waits_and_times_out_as_eventsourcing_does(tmp_path: Path) -> None:
    pool = _pool(tmp_path)
    held = pool.get_connection(is_writer=True)
    with pytest.raises(ConnectionUnavailableError, match="writer"):
        pool.get_connection(timeout=0.01, is_writer=True)
    pool.put_connection(held)
    again = pool.get_connection(is_writer=True)  # the lock was given back
    assert again is held
    pool.put_connection(again)
    assert pool._num_writers == 0


def test_an_exhausted_pool_times_out_and_gives_its_writer_lock_back(tmp_path: Path) -> None:
    pool = _pool(tmp_path, pool_size=1, max_overflow=0)
    held = pool.get_connection()
    with pytest.raises(ConnectionUnavailableError):
        pool.get_connection(timeout=0.01, is_writer=True)
    assert not pool._writer_lock.locked()
    assert pool._num_writers == 0
    pool.put_connection(held)
    pool.put_connection(pool.get_connection(is_writer=True))


def test_a_connection_closed_in_the_pool_is_dropped_for_another(tmp_path: Path) -> None:
    pool = _pool(tmp_path)
    first = pool.get_connection()
    pool.put_connection(first)
    first.close()  # as the age timer closes it
    second = pool.get_connection(is_writer=True)
    assert second is not first
    assert not second.closed
    assert second._sqlite_conn.execute("SELECT 1").fetchone()[0] == 1
    pool.put_connection(second)
    assert pool.num_in_pool == 1


def test_a_closing_connection_is_closed_when_returned(tmp_path: Path) -> None:
    pool = _pool(tmp_path)
    connection = pool.get_connection()
    connection._closing.set()  # the age timer fired while it was in use
    pool.put_connection(connection)
    assert connection.closed
    assert pool.num_in_pool == 0


def test_foreign_connections_and_closed_pools_are_refused_alike(tmp_path: Path) -> None:
    pool = _pool(tmp_path)
    other = SQLiteConnectionPool(db_name=str(tmp_path / "other.sqlite"))
    foreign = other.get_connection()
    with pytest.raises(ConnectionNotFromPoolError):
        pool.put_connection(foreign)
    connection = pool.get_connection(is_writer=True)
    pool.close()
    with pytest.raises(ConnectionPoolClosedError):
        pool.put_connection(connection)
    with pytest.raises(ConnectionPoolClosedError):
        pool.get_connection()
    other.close()


def test_readers_counted_where_they_exclude_a_writer(tmp_path: Path) -> None:
    # An in-memory store's readers exclude a writer: eventsourcing's own steps.
    pool = FastCheckoutPool(db_name="file:fastpool?mode=memory&cache=shared")
    assert pool._mutually_exclusive_read_write
    reader = pool.get_connection(is_writer=False)
    assert pool._num_readers == 1
    with pytest.raises(ConnectionUnavailableError, match="reader"):
        pool.get_connection(timeout=0.01, is_writer=True)
    pool.put_connection(reader)
    assert pool._num_readers == 0
    pool.put_connection(pool.get_connection(is_writer=True))
    pool.close()
