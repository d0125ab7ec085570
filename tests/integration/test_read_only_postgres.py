"""Auditors never write, on PostgreSQL: the auditor's verbs issue no DDL on an empty
schema, and a login with only CONNECT, USAGE and SELECT rights (made here, dropped
after) runs every one of them on a store a writer recorded, and cannot record.

The grants are the ones docs/operations.md ("Read-only access") gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID, uuid4

import pytest
from click.testing import CliRunner

from casehistory import (
    Actor,
    CaseDesk,
    Role,
    SteppingClock,
    StoreIsReadOnly,
    StoreNotFound,
    StoreUnavailable,
)
from casehistory.cli import main
from casehistory.stories import STORIES

pytestmark = pytest.mark.postgres


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"CASEHISTORY_DB": None})
    return result.exit_code, result.output


def connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(urlsplit(url)._replace(query="").geturl(), autocommit=True)


def schema_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["schema"][0]


def objects_in(url: str) -> list[tuple[str, str]]:
    """Every table, sequence, index, type and function in the URL's schema."""
    with connect(url) as conn:
        rows = conn.execute(
            "SELECT 'relation', table_name::text FROM information_schema.tables "
            "WHERE table_schema = %(s)s "
            "UNION ALL SELECT 'class', c.relname::text FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(s)s "
            "UNION ALL SELECT 'type', t.typname::text FROM pg_type t "
            "JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = %(s)s "
            "UNION ALL SELECT 'function', p.proname::text FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %(s)s",
            {"s": schema_of(url)},
        ).fetchall()
    return sorted(rows)


def event_count(url: str) -> int:
    with connect(url) as conn:
        [(count,)] = conn.execute(
            f'SELECT count(*) FROM "{schema_of(url)}".casedesk_events'
        ).fetchall()
    return int(count)


def verbs(case_id: str, out: Path) -> dict[str, list[str]]:
    return {
        "verify": ["verify"],
        "show": ["show", case_id],
        "trail": ["trail", case_id],
        "list": ["list"],
        "export": ["export", "--format", "csv", "-o", str(out / "export.csv")],
        "checkpoint": ["checkpoint", "-o", str(out / "checkpoint.txt")],
    }


VERBS = list(verbs("", Path()))


@pytest.fixture
def recorded(postgres_url: str) -> str:
    """The test schema, holding the first story, recorded by the superuser (the writer)."""
    desk = CaseDesk.open(postgres_url, clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
    try:
        STORIES[0].tell(desk)
    finally:
        desk.close()
    return postgres_url


@pytest.fixture
def auditor_url(recorded: str) -> Iterator[str]:
    """A URL logging in as a new role with only CONNECT, USAGE and SELECT; dropped after."""
    from psycopg import sql

    role = f"ch_auditor_{uuid4().hex[:12]}"
    parts = urlsplit(recorded)
    database = parts.path.lstrip("/")
    grants = [
        sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(database), sql.Identifier(role)
        ),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
            sql.Identifier(schema_of(recorded)), sql.Identifier(role)
        ),
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
            sql.Identifier(schema_of(recorded)), sql.Identifier(role)
        ),
    ]
    with connect(recorded) as conn:
        for statement in grants:
            conn.execute(statement)
    netloc = f"{role}@{parts.hostname or '127.0.0.1'}:{parts.port or 5432}"
    try:
        yield parts._replace(netloc=netloc).geturl()
    finally:
        with connect(recorded) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def the_case(url: str) -> str:
    with CaseDesk.open(url, read_only=True) as desk:
        [case_id] = list(desk.case_ids())
    return str(case_id)


class TestAnEmptySchema:
    @pytest.mark.parametrize("verb", VERBS)
    def test_is_an_error_and_gets_no_tables(
        self, verb: str, postgres_url: str, tmp_path: Path
    ) -> None:
        assert objects_in(postgres_url) == []

        code, said = run(*verbs(str(uuid4()), tmp_path)[verb], "--db", postgres_url)

        assert code == 2, said
        assert said.startswith("Error: no store at PostgreSQL ")
        assert f"schema {schema_of(postgres_url)!r} has no table casedesk_events" in said
        assert len(said.strip().splitlines()) == 1
        assert objects_in(postgres_url) == []
        assert list(tmp_path.iterdir()) == []

    def test_a_missing_schema_is_named(self, postgres_url: str) -> None:
        url = postgres_url.replace(schema_of(postgres_url), "no_such_schema")

        with pytest.raises(StoreNotFound, match="there is no schema 'no_such_schema'"):
            CaseDesk.open(url, read_only=True)


class TestASelectOnlyLogin:
    @pytest.mark.parametrize("verb", VERBS)
    def test_runs_every_auditor_verb(
        self, verb: str, recorded: str, auditor_url: str, tmp_path: Path
    ) -> None:
        before = (objects_in(recorded), event_count(recorded))

        code, said = run(*verbs(the_case(recorded), tmp_path)[verb], "--db", auditor_url)

        assert code == 0, said
        assert (objects_in(recorded), event_count(recorded)) == before

    def test_cannot_record(self, recorded: str, auditor_url: str) -> None:
        case_id = the_case(recorded)
        count = event_count(recorded)
        later = SteppingClock(datetime(2027, 1, 1, tzinfo=UTC))
        agent = Actor("a.lee", Role.AGENT)

        # The auditor's login opens a desk for writing - the server refuses it.
        with pytest.raises(StoreUnavailable, match="permission denied"):
            CaseDesk.open(auditor_url, clock=later)
        # Opened read-only, the desk refuses the command itself.
        desk = CaseDesk.open(auditor_url, read_only=True, clock=later)
        with pytest.raises(StoreIsReadOnly):
            desk.reopen_case(
                UUID(case_id),
                reason="no",
                by=agent,
                occurred_at=datetime(2026, 12, 1, tzinfo=UTC),
            )
        desk.close()

        assert event_count(recorded) == count
        assert the_case(recorded) == case_id

    def test_without_select_is_told_which_grant_is_missing(
        self, recorded: str, auditor_url: str
    ) -> None:
        from psycopg import sql

        role = urlsplit(auditor_url).username
        with connect(recorded) as conn:
            conn.execute(
                sql.SQL("REVOKE SELECT ON ALL TABLES IN SCHEMA {} FROM {}").format(
                    sql.Identifier(schema_of(recorded)), sql.Identifier(str(role))
                )
            )

        code, said = run("list", "--db", auditor_url)

        assert code == 1
        assert "this login may not read" in said
        assert "grant it SELECT" in said

    def test_without_select_on_the_table_of_policies_is_told_so(
        self, recorded: str, auditor_url: str
    ) -> None:
        from psycopg import sql

        role = urlsplit(auditor_url).username
        with connect(recorded) as conn:
            conn.execute(
                sql.SQL("REVOKE SELECT ON {}.casedesk_policies FROM {}").format(
                    sql.Identifier(schema_of(recorded)), sql.Identifier(str(role))
                )
            )

        code, said = run("list", "--db", auditor_url)

        assert code == 1
        assert f"may not read {schema_of(recorded)}.casedesk_policies" in said
        assert "grant it SELECT" in said


class TestALoginWithoutTheKeys:
    """Data minimisation: an auditor granted the events but not the keys verifies the
    whole store and reads no personal text (docs/data-protection.md)."""

    def test_verifies_and_sees_every_personal_text_sealed(
        self, recorded: str, auditor_url: str
    ) -> None:
        from psycopg import sql

        role = urlsplit(auditor_url).username
        with connect(recorded) as conn:
            conn.execute(
                sql.SQL("REVOKE SELECT ON {}.casedesk_keys FROM {}").format(
                    sql.Identifier(schema_of(recorded)), sql.Identifier(str(role))
                )
            )
        case_id = the_case(recorded)

        code, said = run("verify", "--db", auditor_url)
        assert code == 0, said
        with CaseDesk.open(auditor_url, read_only=True) as desk:
            view = desk.case(UUID(case_id))
        with CaseDesk.open(recorded, read_only=True) as owner:
            readable = owner.case(UUID(case_id))

        assert (view.customer.name, view.subject) == ("[sealed]", "[sealed]")
        assert readable.subject not in ("[sealed]", "[erased]")
        assert (view.status, view.ledger, view.digest) == (
            readable.status,
            readable.ledger,
            readable.digest,
        )
