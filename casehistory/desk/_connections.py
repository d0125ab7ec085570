"""The desk's SQLite connections: the pool that makes them, the name it connects to,
and the switch to write-ahead logging while other processes make the same store.

eventsourcing switches each new connection's file to WAL with one ``PRAGMA
journal_mode=WAL``. The switch needs the file to itself; when another connection holds
the write lock, SQLite answers ``SQLITE_BUSY`` at once, without calling its busy handler
(waiting there could deadlock: the switch already holds a read lock). So when several
processes make one new store together, an open now and then failed with "database is
locked" though the lock timeout had 30 seconds left (tests/integration/
test_concurrent_opens.py: 14 of 1,600 opens).

eventsourcing connects with ``uri=True`` to the name it is given: a path that begins
with ``file:`` would be read as a URI (another file, or ``?mode=memory``), and any name
holding ``:memory:`` or ``mode=memory`` was taken for an in-memory store. The desk
connects to a path by its ``file:`` URI, every special character escaped.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from eventsourcing.persistence import InterfaceError
from eventsourcing.sqlite import SQLITE3_DEFAULT_LOCK_TIMEOUT, SQLiteConnection

from casehistory.desk._pool import FastCheckoutPool

__all__ = ["StatementCachingPool", "connection_uri", "in_memory", "switch_to_wal"]

MEMORY = ":memory:"


def connection_uri(name: str) -> str:
    """The URI to connect to store ``name`` with: a path as its ``file:`` URI; a URI
    (what a read-only desk is given), ``:memory:`` and ``""`` (a temporary file) as
    they are."""
    if name in (MEMORY, "") or name.startswith("file:"):
        return name
    return Path(name).absolute().as_uri()


def in_memory(name: str) -> bool:
    """Whether store ``name`` is an in-memory database as SQLite reads it."""
    if not name.startswith("file:"):
        return name == MEMORY
    parts = urlsplit(name)
    return parts.path == MEMORY or "memory" in parse_qs(parts.query).get("mode", ())


def switch_to_wal(connection: sqlite3.Connection, timeout: float) -> bool:
    """Put ``connection``'s file in WAL mode unless it is already; True if this call
    switched it. A busy answer is waited out as SQLite waits for any lock: ``BEGIN
    IMMEDIATE`` (which calls the busy handler, holding no lock yet) then ``ROLLBACK``,
    and the mode is asked again (the other connection may have switched it), until
    ``timeout`` seconds have passed (the connection's own busy timeout, which is restored
    after); then the busy error is raised as it was. ``BEGIN IMMEDIATE`` itself now and
    then answers busy at once too (2 in 2,000 against a process that takes and gives
    back the write lock in a tight loop): it is asked again like the switch."""
    deadline = time.monotonic() + timeout
    try:
        while True:
            (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() == "wal":
                return False
            try:
                connection.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as error:
                left = _left(error, deadline)
            else:
                return True
            # Waits for the writer, no longer than the time left of the whole timeout.
            connection.execute(f"PRAGMA busy_timeout = {max(1, int(left * 1000))}")
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                _left(error, deadline)
            else:
                connection.execute("ROLLBACK")
    finally:
        connection.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")


def _left(error: sqlite3.OperationalError, deadline: float) -> float:
    """Seconds left before ``deadline`` to ask again after a busy ``error``; any other
    error, or a busy one after the deadline, is raised."""
    left = deadline - time.monotonic()
    if not _busy(error) or left <= 0:
        raise error
    return left


def _busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


class StatementCachingPool(FastCheckoutPool):
    """eventsourcing's pool of SQLite connections, each keeping 128 prepared statements.

    eventsourcing 9.5 opens its connections with ``cached_statements=True``, a cache of
    one statement, so every command prepared its SQL again (a BEGIN, the statements of
    a load, an INSERT whose table has an index on an expression): about a tenth of a
    command on one cached case. The connection is otherwise made as
    eventsourcing makes it (``SQLiteConnectionPool._create_connection``), except that
    the switch to WAL waits out another process's lock (:func:`switch_to_wal`), and
    the store's name is read as SQLite reads it (:func:`connection_uri`, :func:`in_memory`)."""

    def set_memory_mode(self) -> None:
        """Whether the store is in memory, from the name as SQLite reads it.
        eventsourcing takes any name holding ``:memory:`` or ``mode=memory`` for an
        in-memory store: a file so named, or in a folder so named, was never switched
        to WAL, and its readers excluded its writer."""
        self.is_sqlite_memory_mode = in_memory(self.db_name)
        self._mutually_exclusive_read_write = self.is_sqlite_memory_mode

    def _create_connection(self) -> SQLiteConnection:
        timeout = self.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT
        try:
            connection = sqlite3.connect(
                database=connection_uri(self.db_name),
                uri=True,
                check_same_thread=False,
                isolation_level=None,  # autocommit: eventsourcing issues BEGIN itself
                cached_statements=128,
                timeout=timeout,
            )
        except (sqlite3.Error, TypeError) as error:
            raise InterfaceError(error) from error
        if not self.is_sqlite_memory_mode and not self.is_journal_mode_wal:
            try:
                if switch_to_wal(connection, timeout):
                    self.journal_mode_was_changed_to_wal = True
            except BaseException:
                connection.close()
                raise
            self.is_journal_mode_wal = True
        connection.row_factory = sqlite3.Row
        return SQLiteConnection(sqlite_conn=connection, max_age=self.max_age)
