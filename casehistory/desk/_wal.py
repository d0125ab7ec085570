"""Switching a new SQLite file to write-ahead logging while other processes do the same.

eventsourcing switches each new connection's file to WAL with one ``PRAGMA
journal_mode=WAL``. The switch needs the file to itself; when another connection holds
the write lock, SQLite answers ``SQLITE_BUSY`` at once, without calling its busy handler
(waiting there could deadlock: the switch already holds a read lock). So when several
processes make one new store together, an open now and then failed with "database is
locked" though the lock timeout had 30 seconds left (tests/integration/
test_concurrent_opens.py: 14 of 1,600 opens).
"""

from __future__ import annotations

import sqlite3
import time

__all__ = ["switch_to_wal"]


def switch_to_wal(connection: sqlite3.Connection, timeout: float) -> bool:
    """Put ``connection``'s file in WAL mode unless it is already; True if this call
    switched it. A busy answer is waited out as SQLite waits for any lock: ``BEGIN
    IMMEDIATE`` (which calls the busy handler, holding no lock yet) then ``ROLLBACK``,
    and the mode is asked again (the other connection may have switched it), until
    ``timeout`` seconds have passed; then the busy error is raised as it was."""
    deadline = time.monotonic() + timeout
    while True:
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
        if str(mode).lower() == "wal":
            return False
        try:
            connection.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as error:
            if not _busy(error) or time.monotonic() >= deadline:
                raise
        else:
            return True
        connection.execute("BEGIN IMMEDIATE")  # waits for the writer, up to the timeout
        connection.execute("ROLLBACK")


def _busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY
