"""A SQLite store's name as the desk connects to it, and its switch to write-ahead
logging while other processes do the same.

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

__all__ = ["connection_uri", "in_memory", "switch_to_wal"]

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
