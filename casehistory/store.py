"""Where a desk keeps its events: the settings of a store location.

``CaseDesk.open`` accepts ``":memory:"`` (eventsourcing's in-process store), a
SQLite file path (the default embedded store), or a ``postgresql://`` URL; the parts
live in small modules, re-exported here:

- :mod:`casehistory._locations`: a location checked and parsed, and described
  without its password (:func:`describe_store`, :func:`redact`);
- :mod:`casehistory._sqlite_checks`: a SQLite file looked at before eventsourcing
  opens it;
- :mod:`casehistory._postgres`: PostgreSQL sessions with timeouts, set up once;
- :mod:`casehistory._transcodings`: the JSON transcodings of the domain's values.

A store opened read-only (what auditors' commands do) is checked before
eventsourcing touches it: a missing file is :class:`StoreNotFound` (no file is
created), a file that is not a casehistory store is :class:`NotACaseStore` (and
left byte for byte as it was), no table is ever created, and the SQLite file is
opened with ``mode=ro`` so that not even the journal mode can change.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from casehistory._locations import (
    MEMORY,
    POSTGRES_SCHEMES,
    describe_store,
    location_text,
    postgres_env,
    redact,
)
from casehistory._sqlite_checks import check_readable_store, check_writable_store
from casehistory._transcodings import register_value_transcodings
from casehistory.errors import InvalidInput, StoreNotFound, StoreUnavailable

__all__ = [
    "MEMORY",
    "READ_ONLY",
    "register_value_transcodings",
    "store_env",
    "describe_store",
    "prepare_read_only",
    "redact",
]

READ_ONLY = "READ_ONLY"
"""The key of :func:`store_env`'s settings that marks a store opened read-only."""


def store_env(location: str | os.PathLike[str], *, read_only: bool = False) -> dict[str, str]:
    """The eventsourcing settings for a store location.

    PostgreSQL URLs take ``?schema=NAME`` (the schema must exist) and timeouts in
    whole seconds: ``connect_timeout`` (default 5), ``statement_timeout`` (30),
    ``lock_timeout`` (5) and ``idle_in_transaction_session_timeout`` (5). A location
    that is not a ``str`` or a path, holds a NUL byte or does not parse is
    :class:`InvalidInput`, whose message never holds the URL's password. With
    ``read_only``, no table is created, and a SQLite file must already be a
    casehistory store (checked here, read-only, before eventsourcing opens it): else
    :class:`StoreNotFound` or :class:`NotACaseStore`.

    >>> store_env("cases.sqlite")["PERSISTENCE_MODULE"]
    'eventsourcing.sqlite'
    >>> store_env("postgresql://postgres@127.0.0.1:5432/test?schema=desk1")["POSTGRES_SCHEMA"]
    'desk1'
    """
    text = location_text(location)
    if text == MEMORY:
        if read_only:
            raise StoreNotFound(
                "':memory:' is a new, empty store each time it is opened, so a read-only "
                "desk would find nothing in it; give the file path or URL of a store"
            )
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if text.startswith(POSTGRES_SCHEMES):
        env = postgres_env(text)
        if read_only:  # the tables are checked once connected: prepare_read_only
            env.update({"CREATE_TABLE": "n", READ_ONLY: "y"})
        return env
    if "://" in text:
        raise InvalidInput(
            f"unsupported store URL {redact(text)!r}; use ':memory:', a SQLite file path "
            "or postgresql://"
        )
    path = Path(text)
    try:
        is_dir, folder_exists = path.is_dir(), path.parent.exists()
    except OSError as error:  # a folder on the way this user may not enter
        raise StoreUnavailable(f"cannot open the store SQLite {text}: {error.strerror}") from None
    if is_dir:
        raise InvalidInput(f"{text!r} is a directory; give a SQLite file path inside it")
    if not folder_exists:
        if read_only:
            raise StoreNotFound(
                f"no store at {str(path)!r}: the file does not exist, and a read-only desk "
                "never creates one; check the path"
            )
        raise InvalidInput(f"folder {str(path.parent)!r} does not exist; create it first")
    timeout = float(SQLITE_LOCK_TIMEOUT)
    if not read_only:
        check_writable_store(path, timeout=timeout)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            # Absolute: a relative path that begins with "file:" would be read as a URI
            # (another file), and a process that changes its folder later would open
            # its next connections elsewhere. The desk connects to it by a URI
            # (desk/_connections.py), whatever characters the path holds.
            "SQLITE_DBNAME": str(path.absolute()),
            "SQLITE_LOCK_TIMEOUT": SQLITE_LOCK_TIMEOUT,
        }
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": check_readable_store(path, timeout=timeout),
        "SQLITE_LOCK_TIMEOUT": SQLITE_LOCK_TIMEOUT,
        "CREATE_TABLE": "n",
        READ_ONLY: "y",
    }


SQLITE_LOCK_TIMEOUT = "30"
"""Seconds a connection to a SQLite file waits for another's lock before the store is
unavailable (eventsourcing's default, 5, was seen to expire while eight processes made
one new store at once on a machine busy with disk writes)."""


def prepare_read_only(factory: Any, location: str | os.PathLike[str]) -> None:
    """Finish opening a store read-only, once eventsourcing's ``factory`` is made.

    SQLite: stop eventsourcing from setting the journal mode (a write) on the
    ``mode=ro`` connections. PostgreSQL: check, with this login, that the schema
    holds the desk's tables and that the login may read them (eventsourcing made no
    table: ``CREATE_TABLE`` is off), else :class:`StoreNotFound` or
    :class:`StoreUnavailable`.
    """
    datastore = factory.datastore
    pool: Any = getattr(datastore, "pool", None)
    if hasattr(pool, "is_journal_mode_wal"):
        pool.is_journal_mode_wal = True  # a WAL file reads as one; any other stays as it is
        return
    if hasattr(datastore, "schema"):
        from casehistory._postgres import check_read_only_store

        check_read_only_store(datastore, describe_store(location))
