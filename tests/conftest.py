"""Fixtures shared by every test folder.

- ``clock``: a :class:`~casehistory.SteppingClock` from 2026-11-01 00:00 UTC, one second
  per reading, so every recorded time is known in advance.
- ``sqlite_path``: a fresh SQLite file path (not yet created) in the test's tmp_path.
- ``postgres_url``: a ``postgresql://...?schema=ch_<hex>`` URL naming a brand-new, empty
  schema, dropped (CASCADE) after the test. The server comes from the environment
  variable ``CASEHISTORY_TEST_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432/test``).
  When the server is unreachable the test is skipped, unless ``CI=true``, where it fails.
  Tests using it are marked ``postgres`` (added automatically below if forgotten), so
  ``pytest -m "not postgres"`` runs without a server.

Desks are opened with an explicit location (``CaseDesk.open(url_or_path, clock=clock)``);
``CaseDesk.construct_env`` ignores ``os.environ`` on purpose, so no ``CASEDESK_*``
variable can point a test at another store.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from casehistory import SteppingClock

POSTGRES_ENV = "CASEHISTORY_TEST_POSTGRES"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


@pytest.fixture
def clock() -> SteppingClock:
    """Store time from 2026-11-01 00:00 UTC, one second further at every reading."""
    return SteppingClock(datetime(2026, 11, 1, tzinfo=UTC), step=timedelta(seconds=1))


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    """A SQLite file path in this test's own tmp_path; the desk creates the file."""
    return tmp_path / "cases.sqlite"


def _unreachable(base: str, error: Exception) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(
            f"PostgreSQL not reachable at {base} ({error}); CI=true requires it. "
            f"Set {POSTGRES_ENV} or start it with: {START_POSTGRES}",
            pytrace=False,
        )
    pytest.skip(f"PostgreSQL not reachable at {base}; start it with: {START_POSTGRES}")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a fresh, empty schema in the test database, dropped afterwards."""
    base = os.environ.get(POSTGRES_ENV, DEFAULT_POSTGRES)
    schema = f"ch_{uuid4().hex}"
    try:
        import psycopg
        from psycopg import sql
    except ImportError as error:  # the [postgres] extra is not installed
        _unreachable(base, error)
    try:
        with psycopg.connect(base, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    except psycopg.OperationalError as error:
        _unreachable(base, error)
    try:
        yield f"{base}{'&' if '?' in base else '?'}schema={schema}"
    finally:
        with psycopg.connect(base, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses ``postgres_url`` as ``postgres``, in case it was forgotten."""
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
