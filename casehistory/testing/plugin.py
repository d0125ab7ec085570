"""pytest fixtures for code built on casehistory: desks on each store, and a clock to steer.

Installed with ``pip install "casehistory[testing]"`` and registered through the
``pytest11`` entry point, so the fixtures are there in every test, with no import and no
``conftest.py`` entry:

``case_clock``
    A :class:`CaseClock`: a :class:`~casehistory.SteppingClock` from
    :data:`CASE_CLOCK_START` (2026-11-01 00:00 UTC), one :data:`CASE_CLOCK_STEP` (one
    second) further at every reading, that the test moves with ``advance(by)`` and
    ``set(at)``. Commands are refused when they say they happened after the store's
    time, so give them ``occurred_at`` values before the clock (or ``set`` it).
``case_desk``
    A :class:`~casehistory.CaseDesk` on an empty in-memory store, on ``case_clock``.
``case_desk_sqlite``
    A desk on a new SQLite file, ``tmp_path / "cases.sqlite"``, on ``case_clock``.
``case_desk_postgres``
    A desk on a schema of its own, ``ch_<hex>``, created empty for the test in the
    PostgreSQL server named by ``--casehistory-db`` (when that is a PostgreSQL URL), else
    by the variable ``CASEHISTORY_TEST_POSTGRES``, else
    ``postgresql://postgres@127.0.0.1:5432/test``; the schema is dropped (CASCADE) after
    the test. With no server there, the test is skipped with a message saying how to
    start one, or fails when ``CI=true``, so that CI never passes by skipping.
    Needs the ``postgres`` extra.

Every desk is closed after its test. A test asking for two fixtures gets them on the
same ``case_clock``.

``--casehistory-db URL`` points the desk fixtures at another store; ``case_clock`` never
changes, and each test still starts on an empty store of its own:

- ``:memory:`` (the default): as above.
- A SQLite path: ``case_desk`` *is* ``case_desk_sqlite`` (the same desk), and that desk's
  file is kept for inspection rather than made in ``tmp_path``: ``<folder>/<test>.sqlite``
  when the path is an existing folder, else ``runs/cases.sqlite`` gives
  ``runs/cases-<test>.sqlite``, where ``<test>`` is the test's node id made file-safe plus
  a short hash. A file left by an earlier run is deleted before the test.
  ``case_desk_postgres`` is unchanged.
- A PostgreSQL URL (``postgresql://user@host:port/db``, no ``?schema=``; extra
  parameters such as ``connect_timeout=N`` are kept): ``case_desk`` *is*
  ``case_desk_postgres``, which uses this server, with a schema of its own per test,
  dropped after it; skipped, or failing under ``CI=true``, as above.
  ``case_desk_sqlite`` is unchanged.

Anything else is a usage error before any test runs. Prefer ``--casehistory-db=PATH``
(with ``=``): pytest chooses its rootdir before it knows plugin options, and may take a
separate path argument for a test path.

pytest loads this plugin in every run of a project that has casehistory installed, so
loading it imports only pytest and the standard library (beyond the ``casehistory``
package, which Python imports first); the desk, the stores and their drivers are imported
by the fixtures, when a test first asks for one.

Example, in a test file of a project that installed ``casehistory[testing]``::

    def test_a_case_opened_today_is_new(case_desk, case_clock):
        case_id = case_desk.open_case(
            customer=Customer("c.dana", "Dana Whitfield", "dana@example.org"),
            subject="laptop will not boot",
            channel=Channel.PHONE,
            by=Actor("a.lee", Role.AGENT),
            occurred_at=case_clock.now(),
        )

        assert case_desk.case(case_id).status is Status.NEW
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from casehistory.desk import CaseDesk
    from casehistory.testing._plugin_support import CaseClock

__all__ = ["CASE_CLOCK_START", "CASE_CLOCK_STEP", "OPTION", "CaseClock"]

CASE_CLOCK_START = datetime(2026, 11, 1, tzinfo=UTC)
"""The first reading of ``case_clock``: 2026-11-01 00:00 UTC."""

CASE_CLOCK_STEP = timedelta(seconds=1)
"""How far ``case_clock`` moves at every reading."""

OPTION = "--casehistory-db"
"""The command-line option that points the desk fixtures at a store."""


def __getattr__(name: str) -> Any:
    # CaseClock is a SteppingClock: importing it imports casehistory's clock, so it is
    # imported when first used (``from casehistory.testing.plugin import CaseClock``).
    if name == "CaseClock":
        from casehistory.testing._plugin_support import CaseClock

        return CaseClock
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Hooks ----------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("casehistory", "casehistory desk fixtures")
    group.addoption(
        OPTION,
        metavar="URL",
        default=None,
        help=(
            "Store of the case_desk fixture: ':memory:' (default), a SQLite path (a file "
            "per test, kept) or a postgresql:// URL (a schema per test, dropped). "
            "Example: --casehistory-db postgresql://postgres@127.0.0.1:5432/test"
        ),
    )


def pytest_configure(config: pytest.Config) -> None:
    location = config.getoption(OPTION, default=None)
    if location is None:
        return
    from casehistory.testing._plugin_support import problem_with_location

    problem = problem_with_location(str(location))
    if problem:
        raise pytest.UsageError(f"{OPTION} {location}: {problem}")
    if _kind(str(location)) == "sqlite":  # a test that changes directory changes nothing
        location = Path(location).resolve()
    config.stash[_LOCATION] = str(location)


def pytest_report_header(config: pytest.Config) -> str | None:
    location = _location(config)
    if location is None:
        return None
    from casehistory.testing._plugin_support import public_url

    return f"casehistory: case_desk on {public_url(location)}"


_LOCATION = pytest.StashKey[str]()
"""The checked ``--casehistory-db`` value (a SQLite path made absolute)."""


def _location(config: pytest.Config) -> str | None:
    return config.stash.get(_LOCATION, None)


def _kind(location: str | None) -> str:
    if location is None or location == ":memory:":
        return "memory"
    return "postgres" if location.startswith(("postgresql://", "postgres://")) else "sqlite"


# Fixtures -------------------------------------------------------------------------


@pytest.fixture
def case_clock() -> CaseClock:
    """The store's clock: from 2026-11-01 00:00 UTC, one second further at every reading;
    move it with ``case_clock.advance(timedelta(days=3))`` or ``case_clock.set(when)``."""
    from casehistory.testing._plugin_support import CaseClock

    return CaseClock(CASE_CLOCK_START, step=CASE_CLOCK_STEP)


@pytest.fixture
def case_desk(request: pytest.FixtureRequest, case_clock: CaseClock) -> Iterator[CaseDesk]:
    """A desk on an empty in-memory store, on ``case_clock``; closed after the test.

    With ``--casehistory-db`` naming a SQLite path or a PostgreSQL URL, this is the
    ``case_desk_sqlite`` or ``case_desk_postgres`` desk instead.
    """
    kind = _kind(_location(request.config))
    if kind != "memory":
        yield request.getfixturevalue(f"case_desk_{kind}")
        return
    from casehistory.desk import CaseDesk

    desk = CaseDesk.open(":memory:", clock=case_clock)
    yield desk
    desk.close()


@pytest.fixture
def case_desk_sqlite(
    request: pytest.FixtureRequest, tmp_path: Path, case_clock: CaseClock
) -> Iterator[CaseDesk]:
    """A desk on a new SQLite file, ``tmp_path / "cases.sqlite"``, on ``case_clock``;
    closed after the test. With ``--casehistory-db`` naming a SQLite path, the file is
    made there instead, one per test, and kept."""
    from casehistory.desk import CaseDesk
    from casehistory.testing._plugin_support import sqlite_file

    location = _location(request.config)
    if location is not None and _kind(location) == "sqlite":
        path = sqlite_file(location, request.node.nodeid)
    else:
        path = tmp_path / "cases.sqlite"
    desk = CaseDesk.open(path, clock=case_clock)
    yield desk
    desk.close()


@pytest.fixture
def case_desk_postgres(request: pytest.FixtureRequest, case_clock: CaseClock) -> Iterator[CaseDesk]:
    """A desk on a fresh schema of its own in the test PostgreSQL server, on
    ``case_clock``; closed, and the schema dropped, after the test.

    The server is ``--casehistory-db`` when that is a PostgreSQL URL, else
    ``$CASEHISTORY_TEST_POSTGRES``, else ``postgresql://postgres@127.0.0.1:5432/test``.
    Skipped when the server cannot be reached (failing instead under ``CI=true``).
    """
    from casehistory.desk import CaseDesk
    from casehistory.testing._plugin_support import postgres_schema, postgres_server

    with postgres_schema(postgres_server(_location(request.config))) as url:
        desk = CaseDesk.open(url, clock=case_clock)
        try:
            yield desk
        finally:
            desk.close()
