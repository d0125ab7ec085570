"""A SQLite file checked before eventsourcing opens it.

eventsourcing opens whatever file it is given: it sets the journal mode (a write),
creates its tables next to another application's, and reads a table of another shape
until a row does not fit (``IndexError``, ``no such column``). These checks look at the
file first, with a connection that cannot write, and say what is wrong in one line:
another application's file is :class:`NotACaseStore`, a file or folder this user may
not write is :class:`StoreIsReadOnly` for a writable desk, and a store a read-only
desk could not read is :class:`StoreUnavailable`. They wait for another connection's
lock as long as the store's connections do (``timeout``: the lock timeout), and look
for a WAL beside the file SQLite uses, a symlink's target.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from casehistory.errors import NotACaseStore, StoreIsReadOnly, StoreNotFound, StoreUnavailable

__all__ = ["check_readable_store", "check_writable_store"]

_TABLES = ("stored_events", "stored_snapshots")
_COLUMNS = (
    ("originator_id", "TEXT", 1),
    ("originator_version", "INTEGER", 2),
    ("topic", "TEXT", 0),
    ("state", "BLOB", 0),
)
"""The tables eventsourcing makes for a desk in a SQLite file: (name, type, key position)."""

_READ_ONLY_ERRORS = ("SQLITE_READONLY", "SQLITE_CANTOPEN")


def _no_file(path: Path) -> str:
    return (
        f"no store at {str(path)!r}: the file does not exist, and a read-only desk never "
        "creates one; check the path"
    )


def _not_a_store(path: Path, why: str) -> NotACaseStore:
    return NotACaseStore(
        f"{str(path)!r} is not a casehistory store: {why} (rule: a reader opens only a "
        "store that a desk wrote, and changes nothing else); check the path"
    )


def _require_regular(path: Path, found: os.stat_result) -> None:
    """A store is a regular file: opening a named pipe to read its header would wait
    for a writer for ever, and a device or socket is no database."""
    if not stat.S_ISREG(found.st_mode):
        raise StoreUnavailable(
            f"cannot open the store SQLite {path}: it is not a regular file (a named pipe, "
            "a device or a socket); give the path of a store file"
        )


def _checking_uri(path: Path) -> tuple[str, str]:
    """The ``mode=ro`` URI of ``path`` (a regular file), and the URI to check it with."""
    real = path.resolve()  # SQLite keeps the WAL beside a symlink's target
    uri = f"{real.as_uri()}?mode=ro"
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except OSError as error:
        raise StoreUnavailable(f"cannot read the store SQLite {path}: {error.strerror}") from None
    if header[18:20] == b"\x02\x02" and not Path(f"{real}-wal").exists():
        # A WAL file with no WAL beside it is all in the file; mode=ro would still
        # create -wal and -shm files next to what may be another application's file.
        return uri, f"{real.as_uri()}?immutable=1"
    return uri, uri


def _problem(path: Path, check: str, *, writable: bool, timeout: float) -> str:
    """Why the file is not a casehistory store ('' when it is one, or may become one)."""
    try:
        conn = sqlite3.connect(check, uri=True, isolation_level=None, timeout=timeout)
        try:
            tables = sorted(
                name
                for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            )
            shapes = {
                # table is one of our two constant names, never input
                table: tuple(
                    (name, kind.upper(), key)
                    for _, name, kind, _, _, key in conn.execute(f"PRAGMA table_info({table})")
                )
                for table in _TABLES
                if table in tables
            }
        finally:
            conn.close()
    except sqlite3.Error as error:
        if writable and getattr(error, "sqlite_errorname", "") == "SQLITE_READONLY_ROLLBACK":
            # A writer killed mid-transaction left a hot journal, which only a connection
            # that may write rolls back (as SQLite does on any writer's first read): the
            # file is then as its last commit left it, and is checked again.
            return _problem(path, _writable_uri(path), writable=True, timeout=timeout)
        if getattr(error, "sqlite_errorname", "") == "SQLITE_NOTADB":
            if writable:
                raise StoreUnavailable(
                    f"cannot open the store SQLite {path}: file is not a database"
                ) from None
            raise _not_a_store(path, "the file is not a SQLite database") from None
        raise StoreUnavailable(f"cannot open the store SQLite {path}: {error}") from None
    if not tables:
        return "" if writable else "the database has no tables"
    if writable and not shapes:
        return f"it has tables, none of them a desk's (its tables: {', '.join(tables)})"
    for table in _TABLES:
        if table not in shapes:
            if writable:  # a desk that never snapshots makes no snapshots table
                continue
            return f"it has no table {table} (its tables: {', '.join(tables)})"
        if shapes[table] != _COLUMNS:
            names = ", ".join(name for name, _, _ in shapes[table])
            return f"table {table} has the columns ({names}), not the ones a desk makes"
    return ""


def _writable_uri(path: Path) -> str:
    return f"{path.resolve().as_uri()}?mode=rw"  # never creates the file


def check_readable_store(path: Path, *, timeout: float) -> str:
    """The read-only URI of the casehistory store at ``path``, checked with a read-only
    connection before eventsourcing (which would set the journal mode) sees the file;
    ``timeout``: seconds to wait for another connection's lock."""
    if not path.exists():
        raise StoreNotFound(_no_file(path))
    _require_regular(path, path.stat())
    uri, check = _checking_uri(path)
    why = _problem(path, check, writable=False, timeout=timeout)
    if why:
        raise _not_a_store(path, why)
    if check != uri:
        _probe(path, uri, timeout)
    return uri


def _probe(path: Path, uri: str, timeout: float) -> None:
    """Read the store as the desk will: a WAL store needs a ``-shm`` file beside it,
    which a reader cannot make in a folder it may not write to."""
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=timeout)
        try:
            conn.execute("SELECT count(*) FROM stored_events WHERE rowid < 0").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as error:
        if getattr(error, "sqlite_errorname", "").startswith(_READ_ONLY_ERRORS):
            raise StoreUnavailable(
                f"cannot read the store SQLite {path}: a store in WAL mode is read with a "
                f"{path.name}-shm file beside it, and this user may not create one in "
                f"{str(path.parent)!r}; copy the store into a folder this user may write to"
            ) from None
        raise StoreUnavailable(f"cannot read the store SQLite {path}: {error}") from None


def check_writable_store(path: Path, *, timeout: float) -> None:
    """Refuse, before eventsourcing opens it, a file that a writable desk must not
    write: another application's database, or one this user may not write to;
    ``timeout``: seconds to wait for another connection's lock."""
    folder = path.parent
    exists = path.exists()
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreIsReadOnly(
            f"cannot open the store SQLite {path} for writing: this user may not write to "
            f"the folder {str(folder)!r}, where SQLite keeps the store's journal; open it "
            "with read_only=True to read it"
        )
    if not exists:
        return
    found = path.stat()
    _require_regular(path, found)
    if found.st_nlink > 1:
        # SQLite names the WAL after the path: desks writing through two names of one
        # file keep two WALs, and one's checkpoint overwrites the other's events.
        raise StoreUnavailable(
            f"cannot open the store SQLite {path} for writing: the file has "
            f"{found.st_nlink} names (hard links), and SQLite keeps a write-ahead log per "
            "name, so desks writing through two of them would lose events (rule: a store "
            "is written through one name); remove the other names, or copy the store "
            "with SQLite's online backup (docs/operations.md), or open it read_only=True"
        )
    if found.st_size == 0:
        return
    if not os.access(path, os.R_OK | os.W_OK):
        raise StoreIsReadOnly(
            f"cannot open the store SQLite {path} for writing: this user may not write to "
            "the file; open it with read_only=True to read it"
        )
    _, check = _checking_uri(path)
    why = _problem(path, check, writable=True, timeout=timeout)
    if why:
        raise NotACaseStore(
            f"{str(path)!r} is not a casehistory store: {why} (rule: a desk writes only "
            "to a store that a desk made, and changes nothing else); check the path"
        )
