"""What the pytest plugin's fixtures build: the steerable clock, per-test SQLite files and
per-test PostgreSQL schemas.

Imported by the fixtures when a test first asks for one, never when pytest loads the
plugin, so that projects which do not use the fixtures pay nothing for them.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import NoReturn
from urllib.parse import parse_qsl, urlencode, urlsplit
from uuid import uuid4

import pytest

from casehistory.clock import SteppingClock, _later
from casehistory.domain.values import require_aware, require_instance
from casehistory.errors import InvalidInput

__all__ = [
    "DEFAULT_POSTGRES",
    "POSTGRES_ENV",
    "START_POSTGRES",
    "CaseClock",
    "is_postgres",
    "postgres_schema",
    "postgres_server",
    "problem_with_location",
    "public_url",
    "sqlite_file",
]

POSTGRES_ENV = "CASEHISTORY_TEST_POSTGRES"
"""The environment variable naming the PostgreSQL server of ``case_desk_postgres``."""

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
"""The server ``case_desk_postgres`` uses when neither the option nor the variable names one."""

START_POSTGRES = (
    "docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test postgres:16"
)
"""One way to start a server that :data:`DEFAULT_POSTGRES` reaches."""

_DEFAULT_CONNECT_TIMEOUT = 5
"""Seconds to wait for the server before calling it unreachable (as ``CaseDesk.open`` does)."""


class CaseClock(SteppingClock):
    """A :class:`~casehistory.SteppingClock` the test can move.

    Every reading is one ``step`` later than the one before; :meth:`advance` and
    :meth:`set` move the next reading, so a test can let days pass between commands.
    """

    def advance(self, by: timedelta) -> None:
        """Move the next reading forwards by ``by`` (a negative step is refused)."""
        require_instance(by, timedelta, "advance(by)")
        if by < timedelta(0):
            raise InvalidInput(f"advance moves forwards; got {by!r} (use set() to go back)")
        with self._lock:
            self._next = _later(self._next, by)

    def set(self, at: datetime) -> None:
        """Make ``at`` the next reading (forwards or backwards)."""
        at = require_aware(at, "CaseClock time")
        with self._lock:
            self._next = at

    def __repr__(self) -> str:
        return f"CaseClock(next={self._next.isoformat()}, step={self._step})"


# Locations ----------------------------------------------------------------------


def is_postgres(location: str) -> bool:
    """Whether ``location`` is a PostgreSQL URL."""
    return location.startswith(("postgresql://", "postgres://"))


def problem_with_location(location: str) -> str | None:
    """Why ``location`` cannot be a ``--casehistory-db`` value, or None when it can."""
    if location == ":memory:":
        return None
    if is_postgres(location):
        return _problem_with_server(location)
    if "://" in location:
        return (
            f"unsupported store URL {location!r}; "
            "use ':memory:', a SQLite path or a postgresql:// URL"
        )
    path = Path(location)
    if not path.is_dir() and not path.parent.is_dir():
        return f"folder {str(path.parent)!r} does not exist; create it first"
    return None


def _problem_with_server(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.path.lstrip("/"):
        return f"PostgreSQL URL {public_url(url)!r} names no database (postgresql://host/DBNAME)"
    query = dict(parse_qsl(parts.query))
    timeout = query.get("connect_timeout", str(_DEFAULT_CONNECT_TIMEOUT))
    if not timeout.isdigit() or int(timeout) < 1:
        return f"connect_timeout must be a whole number of seconds >= 1, got {timeout!r}"
    if "schema" in query:
        return (
            f"PostgreSQL URL {public_url(url)!r} names a schema; every test gets a schema "
            "of its own, so leave ?schema= out"
        )
    return None


def public_url(url: str) -> str:
    """``url`` without its password, fit for a message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username or ''}:***@{host}").geturl()


def sqlite_file(location: str, nodeid: str) -> Path:
    """The SQLite file of one test under a ``--casehistory-db`` SQLite ``location``.

    In an existing folder, ``<folder>/<test>.sqlite``; otherwise the location is a file
    name to vary: ``runs/cases.sqlite`` gives ``runs/cases-<test>.sqlite``. ``<test>`` is
    the test's node id made file-safe, with a short hash that keeps ids apart. A file
    left by an earlier run is removed first, so every test starts on an empty store.
    """
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_.")[:120]
    tag = hashlib.blake2s(nodeid.encode(), digest_size=4).hexdigest()
    path = Path(location)
    if path.is_dir():
        file = path / f"{slug}-{tag}.sqlite"
    else:
        file = path.with_name(f"{path.stem}-{slug}-{tag}{path.suffix or '.sqlite'}")
    for leftover in (file, *(Path(f"{file}{end}") for end in ("-wal", "-shm", "-journal"))):
        leftover.unlink(missing_ok=True)
    return file


# PostgreSQL ---------------------------------------------------------------------


def postgres_server(option: str | None) -> str:
    """The server of PostgreSQL desks: the option if it is a PostgreSQL URL, else the
    ``CASEHISTORY_TEST_POSTGRES`` variable, else :data:`DEFAULT_POSTGRES`."""
    if option is not None and is_postgres(option):
        return option
    server = os.environ.get(POSTGRES_ENV) or DEFAULT_POSTGRES
    problem = _problem_with_server(server) if is_postgres(server) else "not a postgresql:// URL"
    if problem:
        pytest.fail(f"{POSTGRES_ENV}={public_url(server)!r}: {problem}", pytrace=False)
    return server


@contextmanager
def postgres_schema(server: str, *, start_hint: str = START_POSTGRES) -> Iterator[str]:
    """Create a fresh, empty schema ``ch_<hex>`` in ``server``; yield ``server`` with
    ``?schema=`` naming it; drop it (CASCADE) on exit.

    When the server cannot be reached the test is skipped with a message that says how
    to start one (``start_hint``), or fails when the environment variable ``CI`` is
    ``true``: a CI run must not pass by skipping its PostgreSQL tests.
    """
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        _unreachable(
            f"cannot reach PostgreSQL at {public_url(server)}: psycopg is not installed",
            'install it with: pip install "casehistory[postgres]"',
        )
    schema = f"ch_{uuid4().hex}"
    query = parse_qsl(urlsplit(server).query)
    timeout = int(dict(query).get("connect_timeout", _DEFAULT_CONNECT_TIMEOUT))
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=timeout) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    except psycopg.OperationalError as error:
        _unreachable(
            f"PostgreSQL not reachable at {public_url(server)} ({_first_line(error)})",
            f"start a server ({start_hint}) or point --casehistory-db or {POSTGRES_ENV} at one",
        )
    try:
        yield urlsplit(server)._replace(query=urlencode([*query, ("schema", schema)])).geturl()
    finally:
        with psycopg.connect(server, autocommit=True, connect_timeout=timeout) as conn:
            drop = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
            conn.execute(drop.format(sql.Identifier(schema)))


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _unreachable(what: str, way_out: str) -> NoReturn:
    """Skip the test, or fail it under ``CI=true``."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what}; CI=true requires it: {way_out}", pytrace=False)
    pytest.skip(f"{what}; {way_out}")
