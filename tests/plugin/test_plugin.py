"""The pytest plugin, used as a third party uses it: ``pytester`` writes a test file that
asks for the fixtures by name, runs pytest on it, and each test reads the outcome."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import hypothesis  # noqa: F401  (imported once: see below)
import pytest

from casehistory.testing._plugin_support import postgres_server

# pytester's in-process runs forget every module a run imports, so import here, once, what
# they would import again each time: Hypothesis (its pytest plugin's summary would import
# it again at the end of every run: a second a run) and psycopg (a re-imported psycopg has
# new exception classes, which its compiled part, imported only once, never raises).
with contextlib.suppress(ImportError):  # without the postgres extra, those tests skip
    import psycopg
# And the desk: a re-imported casehistory.domain.case has a new CaseSnapshot class, which
# eventsourcing's topic cache refuses (TopicError) next to the first run's.
import casehistory.desk  # noqa: F401

pytest_plugins = ["pytester"]

USES_THE_DESK = """
from datetime import UTC, datetime, timedelta

import pytest

from casehistory import Actor, Channel, Customer, InvalidInput, Role, Status
from casehistory.testing.plugin import CASE_CLOCK_START, CaseClock


def open_a_case(desk):
    return desk.open_case(
        customer=Customer("c.dana", "Dana Whitfield", "dana@example.org"),
        subject="laptop will not boot",
        channel=Channel.PHONE,
        by=Actor("a.lee", Role.AGENT),
        occurred_at=datetime(2026, 10, 1, tzinfo=UTC),
    )
"""
"""The start of every user test file: imports and a builder."""

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/test?connect_timeout=1"
"""A server that refuses at once: nothing listens on port 1."""


def user_tests(pytester: pytest.Pytester, body: str) -> Path:
    """Write the user's test file: the common start, then ``body``."""
    return pytester.makepyfile(test_user=USES_THE_DESK + textwrap.dedent(body))


@pytest.fixture
def server(request: pytest.FixtureRequest, postgres_url: str) -> str:
    """The test PostgreSQL server (``postgres_url`` skips, or fails, if it is not there)."""
    return postgres_server(request.config.getoption("--casehistory-db"))


def schemas_left(server: str, names: list[str]) -> list[str]:
    with psycopg.connect(server, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name = ANY(%s)",
            (names,),
        ).fetchall()
    return [name for (name,) in rows]


class TestInstallingThePlugin:
    def test_pytest_finds_it_through_the_pytest11_entry_point(self) -> None:
        found = {ep.name: ep.value for ep in entry_points(group="pytest11")}

        assert found.get("casehistory") == "casehistory.testing.plugin"

    def test_a_new_pytest_process_offers_the_fixtures_with_no_configuration(
        self, pytester: pytest.Pytester
    ) -> None:
        user_tests(
            pytester,
            """
            def test_opens_a_case(case_desk):
                case_id = open_a_case(case_desk)

                assert case_desk.case(case_id).subject == "laptop will not boot"
            """,
        )

        result = pytester.runpytest_subprocess()

        result.assert_outcomes(passed=1)

    def test_loading_it_imports_nothing_beyond_casehistory_itself(self) -> None:
        # pytest loads every pytest11 plugin in every run; a project that has casehistory
        # installed but does not use the fixtures must not pay for the desk's stores,
        # psycopg or Hypothesis. (Python imports the parent package first, so
        # ``import casehistory`` is the floor.)
        script = (
            "import sys, pytest, casehistory; before = set(sys.modules); "
            "import casehistory.testing.plugin; print(sorted(set(sys.modules) - before))"
        )

        run = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )

        assert run.stdout.strip() == "['casehistory.testing', 'casehistory.testing.plugin']"

    def test_the_example_in_the_plugin_docstring_runs(self, pytester: pytest.Pytester) -> None:
        from casehistory.testing import plugin

        example = textwrap.dedent((plugin.__doc__ or "").split("::\n", 1)[1])
        user_tests(pytester, example)

        pytester.runpytest().assert_outcomes(passed=1)

    def test_help_lists_the_option_with_an_example(self, pytester: pytest.Pytester) -> None:
        result = pytester.runpytest("--help")

        text = " ".join(result.stdout.str().split())
        assert "--casehistory-db=URL Store of the case_desk fixture" in text
        assert "Example: --casehistory-db postgresql://" in text


class TestCaseClock:
    def test_starts_at_the_documented_instant_a_second_per_reading(
        self, pytester: pytest.Pytester
    ) -> None:
        user_tests(
            pytester,
            """
            def test_clock(case_clock):
                assert isinstance(case_clock, CaseClock)
                assert CASE_CLOCK_START == datetime(2026, 11, 1, tzinfo=UTC)
                assert [case_clock.now() for _ in range(2)] == [
                    CASE_CLOCK_START,
                    CASE_CLOCK_START + timedelta(seconds=1),
                ]
            """,
        )

        pytester.runpytest().assert_outcomes(passed=1)

    def test_the_test_moves_it_with_advance_and_set(self, pytester: pytest.Pytester) -> None:
        user_tests(
            pytester,
            """
            def test_advance(case_clock):
                case_clock.advance(timedelta(days=3))

                assert case_clock.now() == CASE_CLOCK_START + timedelta(days=3)

            def test_set_goes_anywhere(case_clock):
                case_clock.set(datetime(2020, 1, 1, tzinfo=UTC))

                assert case_clock.now() == datetime(2020, 1, 1, tzinfo=UTC)

            def test_advance_never_goes_back(case_clock):
                with pytest.raises(InvalidInput, match="use set"):
                    case_clock.advance(timedelta(seconds=-1))

                assert case_clock.now() == CASE_CLOCK_START
            """,
        )

        pytester.runpytest().assert_outcomes(passed=3)


class TestCaseDesk:
    def test_is_an_empty_in_memory_desk_on_case_clock_closed_after_the_test(
        self, pytester: pytest.Pytester
    ) -> None:
        user_tests(
            pytester,
            """
            DESKS = []

            def test_records_at_the_clock_time(case_desk, case_clock):
                case_id = open_a_case(case_desk)

                assert case_desk.clock is case_clock
                assert case_desk.case(case_id).last_recorded_at == CASE_CLOCK_START
                assert case_desk.env.get("PERSISTENCE_MODULE") == "eventsourcing.popo"
                DESKS.append(case_desk)

            def test_the_next_test_has_a_new_empty_desk(case_desk):
                assert DESKS[0].closed
                assert case_desk is not DESKS[0]
                assert list(case_desk.case_ids()) == []
            """,
        )

        pytester.runpytest().assert_outcomes(passed=2)


class TestCaseDeskSqlite:
    def test_is_a_desk_on_a_new_file_in_tmp_path_closed_after_the_test(
        self, pytester: pytest.Pytester
    ) -> None:
        user_tests(
            pytester,
            """
            DESKS = []

            def test_records_in_a_file(case_desk_sqlite, case_clock, tmp_path):
                case_id = open_a_case(case_desk_sqlite)

                assert case_desk_sqlite.clock is case_clock
                assert case_desk_sqlite.env.get("SQLITE_DBNAME") == str(tmp_path / "cases.sqlite")
                assert (tmp_path / "cases.sqlite").stat().st_size > 0
                DESKS.append(case_desk_sqlite)

            def test_the_next_test_has_a_new_empty_desk(case_desk_sqlite, case_desk):
                assert DESKS[0].closed
                assert list(case_desk_sqlite.case_ids()) == []
                assert case_desk is not case_desk_sqlite  # case_desk stays in memory
            """,
        )

        pytester.runpytest().assert_outcomes(passed=2)


class TestCaseDeskPostgres:
    def test_is_a_desk_on_a_schema_of_its_own_dropped_after_the_test(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, server: str
    ) -> None:
        monkeypatch.setenv("CASEHISTORY_TEST_POSTGRES", server)
        user_tests(
            pytester,
            """
            from pathlib import Path

            def test_records_in_its_schema(case_desk_postgres, case_clock):
                case_id = open_a_case(case_desk_postgres)

                assert case_desk_postgres.clock is case_clock
                assert case_desk_postgres.case(case_id).last_recorded_at == CASE_CLOCK_START
                Path("schemas.txt").open("a").write(
                    case_desk_postgres.env.get("POSTGRES_SCHEMA") + "\\n"
                )

            def test_the_next_test_has_an_empty_schema(case_desk_postgres):
                assert list(case_desk_postgres.case_ids()) == []
                Path("schemas.txt").open("a").write(
                    case_desk_postgres.env.get("POSTGRES_SCHEMA") + "\\n"
                )
            """,
        )

        pytester.runpytest().assert_outcomes(passed=2)

        schemas = (pytester.path / "schemas.txt").read_text().split()
        assert len(set(schemas)) == 2
        assert all(name.startswith("ch_") for name in schemas)
        assert schemas_left(server, schemas) == []

    def test_is_skipped_saying_how_to_start_a_server_when_none_answers(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("CI", raising=False)
        monkeypatch.setenv("CASEHISTORY_TEST_POSTGRES", UNREACHABLE)
        user_tests(pytester, "def test_needs_a_server(case_desk_postgres): pass")

        result = pytester.runpytest("-rs")

        result.assert_outcomes(skipped=1)
        result.stdout.fnmatch_lines(
            [
                "SKIPPED*PostgreSQL not reachable at "
                "postgresql://postgres@127.0.0.1:1/test?connect_timeout=1 (*",
            ]
        )
        assert "start a server (docker run -d -p 5432:5432" in result.stdout.str()
        assert "point --casehistory-db or CASEHISTORY_TEST_POSTGRES at one" in (result.stdout.str())

    def test_fails_under_ci_when_no_server_answers(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CI", "true")
        monkeypatch.setenv("CASEHISTORY_TEST_POSTGRES", UNREACHABLE)
        user_tests(pytester, "def test_needs_a_server(case_desk_postgres): pass")

        result = pytester.runpytest()

        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(["*PostgreSQL not reachable at *; CI=true requires it: *"])

    def test_messages_never_show_the_password(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("CI", raising=False)
        monkeypatch.setenv(
            "CASEHISTORY_TEST_POSTGRES", UNREACHABLE.replace("postgres@", "postgres:hunter2@")
        )
        user_tests(pytester, "def test_needs_a_server(case_desk_postgres): pass")

        result = pytester.runpytest("-rs")

        result.assert_outcomes(skipped=1)
        assert "postgresql://postgres:***@127.0.0.1:1/test" in result.stdout.str()
        assert "hunter2" not in result.stdout.str()


class TestCasehistoryDbOption:
    ALL_DESKS = """
    def test_case_desk_is_the_sqlite_desk(case_desk, case_desk_sqlite):
        assert case_desk is case_desk_sqlite

    def test_starts_empty_and_records(case_desk):
        assert list(case_desk.case_ids()) == []

        open_a_case(case_desk)
    """

    def test_by_default_case_desk_is_in_memory(self, pytester: pytest.Pytester) -> None:
        user_tests(
            pytester,
            """
            def test_memory(case_desk):
                assert case_desk.env.get("PERSISTENCE_MODULE") == "eventsourcing.popo"
            """,
        )

        pytester.runpytest("--casehistory-db", ":memory:").assert_outcomes(passed=1)

    def test_a_sqlite_path_gives_each_test_its_own_kept_file_named_after_it(
        self, pytester: pytest.Pytester, tmp_path: Path
    ) -> None:
        user_tests(pytester, self.ALL_DESKS)
        location = tmp_path / "runs" / "cases.sqlite"
        location.parent.mkdir()

        first = pytester.runpytest("--casehistory-db", str(location))
        again = pytester.runpytest("--casehistory-db", str(location))  # earlier files: removed

        first.assert_outcomes(passed=2)
        again.assert_outcomes(passed=2)
        files = sorted(path.name for path in location.parent.glob("*.sqlite"))
        assert len(files) == 2
        assert files[1].startswith("cases-test_user.py_test_starts_empty_and_records-")
        first.stdout.fnmatch_lines([f"casehistory: case_desk on {location}"])

    def test_an_existing_folder_holds_a_file_per_test(
        self, pytester: pytest.Pytester, tmp_path: Path
    ) -> None:
        user_tests(pytester, self.ALL_DESKS)

        result = pytester.runpytest(f"--casehistory-db={tmp_path}")

        result.assert_outcomes(passed=2)
        assert len(list(tmp_path.glob("test_user.py_*.sqlite"))) == 2

    def test_a_relative_path_is_read_from_where_pytest_started(
        self, pytester: pytest.Pytester
    ) -> None:
        user_tests(
            pytester,
            """
            @pytest.fixture(autouse=True)
            def elsewhere(tmp_path, monkeypatch):
                monkeypatch.chdir(tmp_path)

            def test_records(case_desk):
                open_a_case(case_desk)
            """,
        )
        (pytester.path / "runs").mkdir()

        result = pytester.runpytest("--casehistory-db=runs/cases.sqlite")

        result.assert_outcomes(passed=1)
        assert len(list((pytester.path / "runs").glob("cases-*.sqlite"))) == 1

    def test_a_postgresql_url_gives_case_desk_a_schema_per_test_dropped_after(
        self, pytester: pytest.Pytester, server: str
    ) -> None:
        user_tests(
            pytester,
            """
            from pathlib import Path

            def test_case_desk_is_the_postgres_desk(case_desk, case_desk_postgres):
                assert case_desk is case_desk_postgres
                open_a_case(case_desk)
                Path("schemas.txt").open("a").write(case_desk.env.get("POSTGRES_SCHEMA") + "\\n")

            def test_starts_empty(case_desk):
                assert list(case_desk.case_ids()) == []
                Path("schemas.txt").open("a").write(case_desk.env.get("POSTGRES_SCHEMA") + "\\n")
            """,
        )

        result = pytester.runpytest("--casehistory-db", server)

        result.assert_outcomes(passed=2)
        schemas = (pytester.path / "schemas.txt").read_text().split()
        assert len(set(schemas)) == 2
        assert schemas_left(server, schemas) == []

    def test_an_unreachable_postgresql_url_skips_the_desk_tests(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("CI", raising=False)
        user_tests(
            pytester,
            """
            def test_needs_a_desk(case_desk): pass

            def test_needs_only_the_clock(case_clock): pass
            """,
        )

        result = pytester.runpytest("--casehistory-db", UNREACHABLE, "-rs")

        result.assert_outcomes(passed=1, skipped=1)
        result.stdout.fnmatch_lines(["SKIPPED*PostgreSQL not reachable at *127.0.0.1:1*"])

    @pytest.mark.parametrize(
        ("location", "problem"),
        [
            ("mysql://root@db/test", "unsupported store URL 'mysql://root@db/test'"),
            ("postgresql://u@h/test?schema=mine", "every test gets a schema of its own"),
            ("postgresql://u@h:5432", "names no database"),
            ("postgresql://u@h/test?connect_timeout=0", "connect_timeout must be a whole"),
            ("no/such/folder/cases.sqlite", "folder 'no/such/folder' does not exist"),
        ],
    )
    def test_an_unusable_location_is_a_usage_error_before_any_test_runs(
        self, pytester: pytest.Pytester, location: str, problem: str
    ) -> None:
        user_tests(pytester, "def test_never_runs(case_desk): pass")

        result = pytester.runpytest("--casehistory-db", location)

        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines([f"*--casehistory-db {location}: *{problem}*"])
