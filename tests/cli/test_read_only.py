"""Auditors never write: ``verify``, ``show``, ``trail``, ``list``, ``export`` and
``checkpoint`` open the store read-only. A mistyped path is an error (exit 2) and no
file appears; a file that is not a casehistory store is refused (exit 1) and keeps its
bytes; a real store keeps its bytes too. Only ``stories`` (which records) writes.

The PostgreSQL half (no DDL on an empty schema, a SELECT-only login) is in
tests/integration/test_read_only_postgres.py.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
from click.testing import CliRunner

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Customer,
    NotACaseStore,
    Role,
    SteppingClock,
    StoreIsReadOnly,
    StoreNotFound,
    StoreUnavailable,
)
from casehistory.cli import main
from casehistory.stories import STORIES

SOME_CASE = str(UUID(int=7))


def auditor_verbs(out: Path) -> dict[str, list[str]]:
    """Every auditor's verb, with the simplest flags, writing its output under ``out``."""
    return {
        "verify": ["verify"],
        "show": ["show", SOME_CASE],
        "trail": ["trail", SOME_CASE],
        "list": ["list"],
        "export": ["export", "--format", "csv", "-o", str(out / "export.csv")],
        "checkpoint": ["checkpoint", "-o", str(out / "checkpoint.txt")],
    }


VERBS = list(auditor_verbs(Path()))


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"CASEHISTORY_DB": None})
    return result.exit_code, result.output


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def another_apps_database(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total TEXT)")
        conn.execute("INSERT INTO invoices (total) VALUES ('100.00')")
    conn.close()


def another_apps_wal_database(path: Path) -> None:
    another_apps_database(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()


def lookalike_tables(path: Path) -> None:
    """Tables named like a desk's, with other columns: still not a casehistory store."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE stored_events (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("CREATE TABLE stored_snapshots (id INTEGER PRIMARY KEY, body TEXT)")
    conn.close()


NOT_STORES: dict[str, Callable[[Path], object]] = {
    "another application's database": another_apps_database,
    "another application's WAL database": another_apps_wal_database,
    "tables named like a desk's": lookalike_tables,
    "an empty file": lambda path: path.write_bytes(b""),
    "a text file": lambda path: path.write_text("These are not the cases you want.\n" * 100),
    "random bytes": lambda path: path.write_bytes(bytes(range(256)) * 64),
}


def record_a_story(path: Path) -> None:
    desk = CaseDesk.open(path, clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
    try:
        STORIES[0].tell(desk)
    finally:
        desk.close()


class TestAMistypedPath:
    @pytest.mark.parametrize("verb", VERBS)
    def test_is_an_error_and_creates_no_file(self, verb: str, tmp_path: Path) -> None:
        store, out = tmp_path / "store", tmp_path / "out"
        store.mkdir()
        out.mkdir()
        mistyped = store / "csaes.sqlite"

        code, said = run(*auditor_verbs(out)[verb], "--db", str(mistyped))

        assert code == 2, said
        assert said.strip() == (
            f"Error: no store at {str(mistyped)!r}: the file does not exist, and a "
            "read-only desk never creates one; check the path"
        )
        assert files_in(store) == []  # not the file, nor a -wal or -shm beside it
        assert files_in(out) == []

    @pytest.mark.parametrize("verb", VERBS)
    def test_in_a_missing_folder_is_the_same_error(self, verb: str, tmp_path: Path) -> None:
        code, said = run(*auditor_verbs(tmp_path)[verb], "--db", str(tmp_path / "no" / "c.db"))

        assert code == 2
        assert said.startswith("Error: no store at ")
        assert len(said.strip().splitlines()) == 1
        assert files_in(tmp_path) == []

    def test_list_used_to_print_an_empty_store(self, tmp_path: Path) -> None:
        # Before: `list` on a typo printed an empty table and exited 0.
        code, said = run("list", "--db", str(tmp_path / "cases.sqllite"))

        assert (code, "Traceback" in said) == (2, False)
        assert not (tmp_path / "cases.sqllite").exists()


class TestAFileThatIsNotAStore:
    @pytest.mark.parametrize("kind", list(NOT_STORES))
    @pytest.mark.parametrize("verb", VERBS)
    def test_is_refused_and_keeps_its_bytes(self, verb: str, kind: str, tmp_path: Path) -> None:
        store, out = tmp_path / "store", tmp_path / "out"
        store.mkdir()
        out.mkdir()
        theirs = store / "theirs.db"
        NOT_STORES[kind](theirs)
        before, files_before = sha256(theirs), files_in(store)

        code, said = run(*auditor_verbs(out)[verb], "--db", str(theirs))

        assert code == 1, said
        assert said.startswith(f"Error: {str(theirs)!r} is not a casehistory store: ")
        assert len(said.strip().splitlines()) == 1
        assert sha256(theirs) == before
        assert files_in(store) == files_before
        assert files_in(out) == []

    def test_the_reason_is_named(self, tmp_path: Path) -> None:
        theirs = tmp_path / "theirs.db"
        another_apps_database(theirs)

        _, said = run("list", "--db", str(theirs))

        assert "it has no table stored_events (its tables: invoices)" in said

    def test_their_tables_are_not_given_ours(self, tmp_path: Path) -> None:
        theirs = tmp_path / "theirs.db"
        another_apps_database(theirs)

        run("verify", "--db", str(theirs))

        with sqlite3.connect(f"{theirs.as_uri()}?mode=ro", uri=True) as conn:
            tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            assert [name for (name,) in tables] == ["invoices"]
        conn.close()


class TestAStore:
    @pytest.mark.parametrize("verb", VERBS)
    def test_is_read_and_keeps_its_bytes(self, verb: str, tmp_path: Path) -> None:
        store = tmp_path / "cases.sqlite"
        record_a_story(store)
        with CaseDesk.open(store, read_only=True) as desk:
            [case_id] = [str(case_id) for case_id in desk.case_ids()]
        before = sha256(store)
        args = [case_id if arg == SOME_CASE else arg for arg in auditor_verbs(tmp_path)[verb]]

        code, said = run(*args, "--db", str(store))

        assert code == 0, said
        assert sha256(store) == before

    def test_in_rollback_journal_mode_is_read_and_stays_so(self, tmp_path: Path) -> None:
        # A copy made without WAL (a backup tool, sqlite3 .backup): reading it must not
        # switch it to WAL, which is a write.
        store = tmp_path / "cases.sqlite"
        record_a_story(store)
        conn = sqlite3.connect(store)
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.close()
        before = sha256(store)

        code, said = run("verify", "--db", str(store))

        assert code == 0, said
        assert sha256(store) == before
        assert files_in(tmp_path) == ["cases.sqlite"]

    def test_stories_still_records_into_a_new_store(self, tmp_path: Path) -> None:
        store = tmp_path / "new.sqlite"

        code, said = run("stories", "--db", str(store))

        assert code == 0, said
        assert run("verify", "--db", str(store))[0] == 0


class TestReadOnlyDesk:
    """The library's half: ``CaseDesk.open(location, read_only=True)``."""

    def test_refuses_every_command_and_records_nothing(self, tmp_path: Path) -> None:
        store = tmp_path / "cases.sqlite"
        record_a_story(store)
        before = sha256(store)
        later = SteppingClock(datetime(2027, 1, 1, tzinfo=UTC))
        desk = CaseDesk.open(store, read_only=True, clock=later)
        [case_id] = list(desk.case_ids())
        events = desk.history(case_id)

        # An agent tries to reopen the closed case on the auditor's desk - refused.
        with pytest.raises(StoreIsReadOnly, match="opened read-only"):
            desk.reopen_case(
                case_id,
                reason="auditors do not write",
                by=Actor("a.lee", Role.AGENT),
                occurred_at=datetime(2026, 11, 1, tzinfo=UTC),
            )
        with pytest.raises(StoreIsReadOnly):
            desk.open_case(
                customer=Customer("c.x", "X", "x@example.org"),
                subject="new",
                channel=Channel.PHONE,
                by=Actor("a.lee", Role.AGENT),
                occurred_at=datetime(2026, 11, 1, tzinfo=UTC),
            )

        assert desk.history(case_id) == events
        assert list(desk.case_ids()) == [case_id]
        desk.close()
        assert sha256(store) == before

    def test_refuses_before_any_rule_and_reads_no_clock(self, tmp_path: Path) -> None:
        # A command a writable desk would refuse by a rule (a closed case takes only a
        # reopen) is refused as read-only first: the reason is the desk, not the case.
        store = tmp_path / "cases.sqlite"
        record_a_story(store)
        clock = SteppingClock(datetime(2027, 1, 1, tzinfo=UTC))
        desk = CaseDesk.open(store, read_only=True, clock=clock)
        [case_id] = list(desk.case_ids())

        with pytest.raises(StoreIsReadOnly):
            desk.add_note(
                case_id,
                text="on a closed case",
                by=Actor("a.lee", Role.AGENT),
                occurred_at=datetime(2026, 11, 1, tzinfo=UTC),
            )

        assert clock.now() == datetime(2027, 1, 1, tzinfo=UTC)  # no step was taken
        desk.close()

    def test_errors_are_store_errors(self, tmp_path: Path) -> None:
        text = tmp_path / "notes.txt"
        text.write_text("not a store")

        with pytest.raises(StoreNotFound):
            CaseDesk.open(tmp_path / "missing.sqlite", read_only=True)
        with pytest.raises(NotACaseStore, match="not a SQLite database"):
            CaseDesk.open(text, read_only=True)
        with pytest.raises(StoreNotFound, match="':memory:' is a new, empty store"):
            CaseDesk.open(":memory:", read_only=True)

        assert issubclass(StoreNotFound, StoreUnavailable)
        assert issubclass(NotACaseStore, StoreUnavailable)
        assert files_in(tmp_path) == ["notes.txt"]

    def test_a_writable_desk_still_creates_a_new_store(self, tmp_path: Path) -> None:
        store = tmp_path / "new.sqlite"

        CaseDesk.open(store).close()

        assert store.exists()
        CaseDesk.open(store, read_only=True).close()
