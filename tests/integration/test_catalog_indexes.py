"""A rebuild drops the catalog's secondary indexes and builds them once at its end:
checked from the database's own list of indexes. A rebuild killed mid-way leaves them
dropped, and whichever writer next moves the catalog off position 0 (a rebuild, or
the batches) builds them again in that very transaction; on PostgreSQL a login that
may write rows but not change the tables rebuilds with the indexes kept."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlsplit
from uuid import uuid4

import pytest

from casehistory import CaseDesk
from casehistory.catalog._schema import index_names
from tests.integration.test_catalog_rebuild import by_case, everything, kill_mid_rebuild, tell
from tests.integration.test_read_only_postgres import connect, schema_of


def indexes(desk: CaseDesk) -> set[str]:
    """The catalog's secondary indexes the database holds now."""
    db = desk.catalog._db
    with db.transaction(write=False) as run:
        if db.sqlite:
            rows = run(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'catalog%' "
                "AND sql IS NOT NULL",
                (),
            )
        else:
            rows = run("SELECT indexname FROM pg_indexes WHERE schemaname = ?", [db.schema])
    return {name for (name,) in rows} & set(index_names(db.sqlite))


def all_indexes(desk: CaseDesk) -> set[str]:
    return set(index_names(desk.catalog._db.sqlite))


def test_a_catalog_has_every_index_and_a_rebuild_leaves_every_one(
    open_desk: Callable[[], CaseDesk],
) -> None:
    desk = open_desk()
    tell(desk, 1)
    desk.catalog.wait()  # made, and caught up
    assert indexes(desk) == all_indexes(desk)
    by_case(desk)
    assert indexes(desk) == all_indexes(desk)


@pytest.mark.parametrize("then", ["rebuild", "batches"])
def test_a_rebuild_killed_mid_way_leaves_the_next_writer_to_build_them(
    store: str, open_desk: Callable[[], CaseDesk], then: str
) -> None:
    desk = open_desk()
    tell(desk, 4)
    whole = by_case(desk)
    kill_mid_rebuild(store)
    assert indexes(desk) == set(), "the rebuild built its indexes before its end"
    status = desk.catalog.status()
    assert status.position == 0
    if then == "rebuild":
        assert by_case(desk) == whole
    else:  # the batches: what `wait` and a follower taking over do
        desk.catalog._projection.catch_up(batch=7, overtake=True)
        assert desk.catalog.status().behind == 0
    assert indexes(desk) == all_indexes(desk)


@pytest.fixture
def writer_url(postgres_url: str) -> Iterator[str]:
    """The test schema with a catalog (made by its owner), and a URL logging in as a
    role that may read and write its rows but owns nothing: no DROP, no CREATE."""
    from psycopg import sql

    owner = CaseDesk.open(postgres_url)  # the owner makes the tables, catalog too
    try:
        tell(owner, 1)
        owner.catalog.wait()
    finally:
        owner.close()
    role = f"ch_writer_{uuid4().hex[:12]}"
    parts = urlsplit(postgres_url)
    schema = sql.Identifier(schema_of(postgres_url))
    who = sql.Identifier(role)
    with connect(postgres_url) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(who))
        conn.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(parts.path.lstrip("/")), who
            )
        )
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, who))
        conn.execute(
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(
                schema, who
            )
        )
        conn.execute(
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, who)
        )
    netloc = f"{role}@{parts.hostname or '127.0.0.1'}:{parts.port or 5432}"
    try:
        yield parts._replace(netloc=netloc).geturl()
    finally:
        with connect(postgres_url) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(who))
            conn.execute(sql.SQL("DROP ROLE {}").format(who))


@pytest.mark.postgres
def test_a_login_that_may_not_change_the_tables_rebuilds_with_the_indexes_kept(
    postgres_url: str, writer_url: str
) -> None:
    owner = CaseDesk.open(postgres_url)
    try:
        whole = by_case(owner)
        writer = CaseDesk.open(writer_url)
        try:
            assert writer.catalog.rebuild() == writer.catalog.status().head
        finally:
            writer.close()
        assert indexes(owner) == all_indexes(owner)
        assert everything(owner) == whole
    finally:
        owner.close()
