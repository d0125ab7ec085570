"""Fixtures shared by every test folder, on top of casehistory's own pytest plugin
(:mod:`casehistory.testing.plugin`: ``case_clock``, ``case_desk``, ``case_desk_sqlite``,
``case_desk_postgres`` and ``--casehistory-db``), which the suite uses as a user would.

- ``clock``: the plugin's ``case_clock``, a :class:`~casehistory.SteppingClock` from
  2026-11-01 00:00 UTC, one second per reading, so every recorded time is known in advance.
- ``sqlite_path``: a fresh SQLite file path (not yet created) in the test's tmp_path.
- ``postgres_url``: a ``postgresql://...?schema=ch_<hex>`` URL naming a brand-new, empty
  schema, dropped (CASCADE) after the test, made by the plugin's helper. The server is
  ``--casehistory-db`` when that is a PostgreSQL URL, else the environment variable
  ``CASEHISTORY_TEST_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432/test``).
  When the server is unreachable the test is skipped, unless ``CI=true``, where it fails.
  Tests using it or ``case_desk_postgres`` are marked ``postgres`` (added automatically
  below if forgotten), so ``pytest -m "not postgres"`` runs without a server.

Desks are opened with an explicit location (``CaseDesk.open(url_or_path, clock=clock)``);
``CaseDesk.construct_env`` ignores ``os.environ`` on purpose, so no ``CASEDESK_*``
variable can point a test at another store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from casehistory import SteppingClock
from casehistory.testing._plugin_support import postgres_schema, postgres_server

START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
"""How this project's development machines start their PostgreSQL server."""

POSTGRES_FIXTURES = ("postgres_url", "case_desk_postgres")


@pytest.fixture
def clock(case_clock: SteppingClock) -> SteppingClock:
    """Store time from 2026-11-01 00:00 UTC, one second further at every reading."""
    return case_clock


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    """A SQLite file path in this test's own tmp_path; the desk creates the file."""
    return tmp_path / "cases.sqlite"


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL to a fresh, empty schema in the test database, dropped afterwards."""
    server = postgres_server(request.config.getoption("--casehistory-db"))
    with postgres_schema(server, start_hint=START_POSTGRES) as url:
        yield url


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs the PostgreSQL server as ``postgres``, if it was forgotten."""
    for item in items:
        if any(name in POSTGRES_FIXTURES for name in getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)
