"""Forgetting a customer, read from the bytes of the store (issue 13).

After ``desk.forget_customer``, no byte of the customer's texts may remain anywhere in
the store: not in the events or snapshots (sealed, their key destroyed), not in the
catalog's rows or its full-text index (written erased, the index merged), not in the
SQLite WAL (checkpointed and truncated), not in PostgreSQL's rows. These tests read
the files (SQLite) and every table of the schema (PostgreSQL) as someone with a copy
of the disk would, not through the desk.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import pytest

from casehistory import (
    ERASED,
    Actor,
    CaseDesk,
    Channel,
    ComplaintCategory,
    Customer,
    Direction,
    ErasureGround,
    EscalationTarget,
    Fault,
    Money,
    Role,
    SteppingClock,
)
from casehistory.audit.rules import verify_rules
from casehistory.audit.scan import scan_log
from casehistory.audit.store_checks import check_store, make_checkpoint
from casehistory.catalog import _parallel, follow

AGENT = Actor("a.lee", Role.AGENT)
SUPERVISOR = Actor("s.kim", Role.SUPERVISOR)
MANAGER = Actor("m.ortiz", Role.MANAGER)
OFFICER = Actor("p.osei", Role.PRIVACY_OFFICER)
T0 = datetime(2026, 9, 14, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

FORGOTTEN = Customer("C-77", "Quaxolotl Brindlewick", "zorbenfeld@example.org")
KEPT = Customer("C-78", "Hermione Vantablack", "hermione@example.org")

# One distinctive word in each personal text of the forgotten customer (none of them
# in any other text, any name of a table or column, or the other customer's texts).
WORDS = {
    "name": "Quaxolotl",
    "surname": "Brindlewick",
    "email": "zorbenfeld",
    "subject": "Snarfwidget",
    "second subject": "Klompendrake",
    "contact": "Plovdivian",
    "note": "Grumpkinfold",
    "transfer": "Wibblethorpe",
    "escalation": "Trundlemoss",
    "denial": "Ploofenshire",
    "account": "Glimmerquist",
    "hold": "Fezzlebrook",
    "release": "Mizzenquill",
    "refund": "Yarrowvex",
    "complaint": "Krumholtzer",
    "resolution": "Obblestrand",
}
KEPT_WORD = "Vantablack"


def _record(desk: CaseDesk, customer: Customer, word: str | None = None) -> list[UUID]:
    """Two cases of ``customer``: one short, one with every kind of personal text and
    more than 50 events (snapshots). ``word(kind)`` is the distinctive text of each."""

    def w(kind: str) -> str:
        return WORDS[kind] if word is None else f"{word} {kind}"

    at = iter(T0 + timedelta(minutes=n) for n in range(10_000))
    short = desk.open_case(
        customer=customer,
        subject=f"{w('second subject')} order lost",
        channel=Channel.EMAIL,
        by=AGENT,
        occurred_at=next(at),
    )
    case_id = desk.open_case(
        customer=customer,
        subject=f"{w('subject')} kettle leaks",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=next(at),
    )
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=next(at))
    desk.log_contact(
        case_id,
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        summary=f"called from {w('contact')} office",
        by=AGENT,
        occurred_at=next(at),
    )
    for n in range(55):  # past the snapshot interval
        desk.add_note(case_id, text=f"{w('note')} remark {n}", by=AGENT, occurred_at=next(at))
    desk.record_payment(
        case_id, amount=Money("89.00", "USD"), reference="INV-1", by=AGENT, occurred_at=next(at)
    )
    desk.place_hold(
        case_id,
        amount=Money("50.00", "USD"),
        account=f"{w('account')} checking 4411",
        reference="HOLD-1",
        reason=f"{w('hold')} billing error",
        by=AGENT,
        occurred_at=next(at),
    )
    desk.transfer_case(
        case_id,
        to_department="Billing",
        reason=f"{w('transfer')} hold",
        by=AGENT,
        occurred_at=next(at),
    )
    desk.release_hold(
        case_id,
        reference="HOLD-1",
        amount=Money("50.00", "USD"),
        reason=f"{w('release')} settled",
        by=SUPERVISOR,
        occurred_at=next(at),
    )
    desk.request_escalation(
        case_id,
        to=EscalationTarget.MANAGER,
        reason=f"{w('escalation')} angry",
        by=AGENT,
        occurred_at=next(at),
    )
    desk.deny_escalation(
        case_id, number=1, reason=f"{w('denial')} no", by=MANAGER, occurred_at=next(at)
    )
    desk.request_refund(
        case_id,
        amount=Money("9.00", "USD"),
        reason=f"{w('refund')} fee",
        by=AGENT,
        occurred_at=next(at),
    )
    desk.record_complaint(
        case_id,
        category=ComplaintCategory.BILLING,
        details=f"{w('complaint')} rude",
        by=AGENT,
        occurred_at=next(at),
    )
    desk.resolve_case(
        case_id,
        resolution=f"{w('resolution')} fixed",
        fault=Fault.VENDOR,
        by=MANAGER,
        occurred_at=next(at),
    )
    return [short, case_id]


def _forget(desk: CaseDesk) -> None:
    erasure = desk.forget_customer(FORGOTTEN.id, ground=ErasureGround.CONSENT_WITHDRAWN, by=OFFICER)
    assert erasure.key_destroyed
    assert len(erasure.recorded) == 2


# SQLite: the bytes of every file ---------------------------------------------------------


def _files(directory: Path) -> dict[str, bytes]:
    """Every file of the store's directory (the database, its -wal and -shm, any other)."""
    return {path.name: path.read_bytes() for path in directory.iterdir() if path.is_file()}


def _left(directory: Path, needles: dict[str, bytes]) -> list[str]:
    """Which needles some file still holds (case-insensitively; also the last 6
    characters of each word, which FTS5 keeps where a term shares its start with the
    term before it)."""
    found = []
    for name, data in _files(directory).items():
        lowered = data.lower()
        for what, needle in needles.items():
            pieces = {needle.lower(), needle.lower()[-6:]} if what != "key" else {needle}
            if any(piece in (data if what == "key" else lowered) for piece in pieces):
                found.append(f"{what} in {name}")
    return found


def _needles(key: bytes | None = None) -> dict[str, bytes]:
    needles = {kind: word.encode() for kind, word in WORDS.items()}
    if key is not None:
        needles["key"] = key
    return needles


def _key_of(path: Path, customer_id: str) -> bytes:
    with closing(sqlite3.connect(path)) as db:
        (key,) = db.execute(
            "SELECT key FROM casedesk_keys WHERE customer_id = ?", (customer_id,)
        ).fetchone()
    assert len(key) == 32
    return bytes(key)


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[tuple[CaseDesk, Path, list[UUID], list[UUID]]]:
    """A SQLite store in a directory of its own: both customers' cases, the catalog
    built (a rebuild, then followed as more is recorded)."""
    directory = tmp_path / "store"
    directory.mkdir()
    path = directory / "cases.sqlite"
    desk = CaseDesk.open(str(path), clock=SteppingClock(NOW, timedelta(seconds=1)))
    try:
        forgotten = _record(desk, FORGOTTEN)
        desk.catalog.rebuild()
        kept = _record(desk, KEPT, word=KEPT_WORD)
        desk.add_note(forgotten[0], text="Grumpkinfold again", by=AGENT, occurred_at=T0)
        desk.catalog.wait()  # followed: the rows of the forgotten customer updated
        yield desk, path, forgotten, kept
    finally:
        desk.close()


def test_no_byte_of_a_forgotten_customer_is_left_in_the_sqlite_files(
    recorded: tuple[CaseDesk, Path, list[UUID], list[UUID]],
) -> None:
    desk, path, forgotten, kept = recorded
    assert len(desk.history(forgotten[1])) > 50
    with closing(sqlite3.connect(path)) as db:
        snapshots = db.execute("SELECT count(*) FROM stored_snapshots").fetchone()[0]
    assert snapshots >= 1
    key = _key_of(path, FORGOTTEN.id)
    kept_key = _key_of(path, KEPT.id)
    # Before: the catalog's rows and search hold the name and subjects (the check sees them).
    assert desk.catalog.cases(text="Quaxolotl").rows
    before = _left(path.parent, _needles(key))
    assert any(hit.startswith("name in") for hit in before), before
    assert any(hit.startswith("key in") for hit in before), before
    checkpoint, verification = make_checkpoint(desk)
    assert checkpoint is not None
    assert verification.ok
    stats_before = desk.catalog.stats()

    _forget(desk)

    assert _left(path.parent, _needles(key)) == []
    assert _left(path.parent, {"kept key": kept_key}) != []  # the others' keys stay
    # The other customer reads as written, through the desk and the catalog.
    assert desk.case(kept[1]).customer.name == KEPT.name
    assert [row.case_id for row in desk.catalog.cases(text=KEPT_WORD).rows] == kept
    # The catalog shows the forgotten cases erased, finds nothing by their words,
    # and still counts them.
    for case_id in forgotten:
        row = desk.catalog.case(case_id)
        assert row is not None
        assert (row.customer_name, row.subject) == (ERASED, ERASED)
        assert row.customer_id == FORGOTTEN.id
    for word in ("Quaxolotl", "Brindlewick", "Snarfwidget", "Klompendrake"):
        assert desk.catalog.cases(text=word).rows == ()
    assert desk.catalog.count(customer=FORGOTTEN.id) == 2
    stats_after = desk.catalog.stats()
    assert stats_after.cases == stats_before.cases == 4
    assert stats_after.by_status == stats_before.by_status
    # Every chain, the rules and the checkpoint taken before still hold.
    assert scan_log(desk).ok
    assert verify_rules(desk).ok
    checked = check_store(desk, [checkpoint])
    assert checked.ok, checked
    # Closed, the store leaves nothing either (the WAL folded back, the files as left).
    desk.close()
    assert _left(path.parent, _needles(key)) == []


def test_a_rebuild_after_the_erasure_leaves_nothing_either(
    recorded: tuple[CaseDesk, Path, list[UUID], list[UUID]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk, path, forgotten, _ = recorded
    key = _key_of(path, FORGOTTEN.id)
    _forget(desk)
    # Rebuilt in two processes (the worker folds ranges of cases: its rows erased too).
    monkeypatch.setattr(_parallel, "PARALLEL_EVENTS", 1)
    desk.catalog.rebuild()
    assert _left(path.parent, _needles(key)) == []
    assert desk.catalog.cases(text="Quaxolotl").rows == ()
    row = desk.catalog.case(forgotten[1])
    assert row is not None
    assert row.customer_name == ERASED
    assert desk.catalog.count() == 4


def test_an_erasure_projected_by_a_follower_leaves_nothing(
    recorded: tuple[CaseDesk, Path, list[UUID], list[UUID]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The desk that forgets leaves the catalog to the follower (as one that never reads
    the catalog would, were it not for forget_customer's own catch-up)."""
    desk, path, _forgotten, _ = recorded
    key = _key_of(path, FORGOTTEN.id)
    monkeypatch.setattr(type(desk), "_erase_catalog", lambda self: None)
    _forget(desk)
    assert desk.catalog.status().behind == 2
    left = _left(path.parent, _needles(key))
    assert any(hit.startswith("name in") for hit in left), left  # the rows, not yet erased
    follower = CaseDesk.open(str(path))
    try:
        progress = follow(follower, threading.Event(), once=True)
        assert progress.applied == 2
    finally:
        follower.close()
    assert _left(path.parent, _needles(key)) == []
    assert desk.catalog.cases(text="Brindlewick").rows == ()


def test_forgetting_without_a_catalog_creates_none(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite"
    desk = CaseDesk.open(str(path), clock=SteppingClock(NOW, timedelta(seconds=1)))
    try:
        _record(desk, FORGOTTEN)
        key = _key_of(path, FORGOTTEN.id)
        _forget(desk)
        with closing(sqlite3.connect(path)) as db:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        assert not any(name.startswith("catalog") for name in tables)
        assert _left(tmp_path, _needles(key)) == []
    finally:
        desk.close()


# PostgreSQL: every row of every table of the schema -------------------------------------


def _schema_rows(url: str) -> dict[str, list[str]]:
    """Every table of the store's schema, each row as the text PostgreSQL gives it."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    schema = parse_qs(parts.query)["schema"][0]
    with psycopg.connect(parts._replace(query="").geturl()) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            ).fetchall()
        ]
        rows = {}
        for table in tables:
            found = conn.execute(
                sql.SQL("SELECT t::text FROM {}.{} t").format(
                    sql.Identifier(schema), sql.Identifier(table)
                )
            ).fetchall()
            rows[table] = [text for (text,) in found]
    return rows


def _held(rows: dict[str, list[str]], words: list[str]) -> list[str]:
    return [
        f"{word} in {table}"
        for table, texts in rows.items()
        for text in texts
        for word in words
        if word.lower() in text.lower()
    ]


@pytest.mark.postgres
def test_no_row_of_the_postgres_schema_holds_a_forgotten_customer(postgres_url: str) -> None:
    desk = CaseDesk.open(postgres_url, clock=SteppingClock(NOW, timedelta(seconds=1)))
    try:
        forgotten = _record(desk, FORGOTTEN)
        desk.catalog.rebuild()
        kept = _record(desk, KEPT, word=KEPT_WORD)
        desk.add_note(forgotten[0], text="Grumpkinfold again", by=AGENT, occurred_at=T0)
        desk.catalog.wait()
        words = list(WORDS.values())
        before = _held(_schema_rows(postgres_url), words)
        assert "Quaxolotl in catalog_cases" in before  # the check sees the rows
        checkpoint, _ = make_checkpoint(desk)
        assert checkpoint is not None

        _forget(desk)

        rows = _schema_rows(postgres_url)
        assert "casedesk_keys" in rows
        assert "catalog_cases" in rows
        assert _held(rows, words) == []
        assert _held(rows, [KEPT_WORD]) != []  # the other customer's rows as they were
        assert desk.case(kept[1]).customer.name == KEPT.name
        assert desk.catalog.cases(text="Quaxolotl").rows == ()
        row = desk.catalog.case(forgotten[1])
        assert row is not None
        assert (row.customer_name, row.subject) == (ERASED, ERASED)
        assert desk.catalog.stats().cases == 4
        assert verify_rules(desk).ok
        assert check_store(desk, [checkpoint]).ok
    finally:
        desk.close()


def test_a_rebuild_by_another_desk_replaces_rows_that_were_never_erased(
    recorded: tuple[CaseDesk, Path, list[UUID], list[UUID]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The catalog still holds the texts (the erasure recorded, not projected), and a
    desk that never destroyed a key (so never turned secure_delete on for its
    connection) rebuilds it: the rows it deletes leave no copy in free pages."""
    desk, path, _forgotten, _ = recorded
    key = _key_of(path, FORGOTTEN.id)
    monkeypatch.setattr(type(desk), "_erase_catalog", lambda self: None)
    _forget(desk)
    assert _left(path.parent, _needles(key)) != []
    other = CaseDesk.open(str(path))
    try:
        other.catalog.rebuild()
        assert other.catalog.cases(text="Quaxolotl").rows == ()
    finally:
        other.close()
    assert _left(path.parent, _needles(key)) == []


def test_the_catalog_writes_with_secure_delete_on(tmp_path: Path) -> None:
    """This build of SQLite may zero deleted content by default (SQLITE_SECURE_DELETE);
    others do not: the catalog turns it on for its writes whatever the connection had."""
    desk = CaseDesk.open(str(tmp_path / "cases.sqlite"))
    try:
        desk.catalog.catch_up()
        datastore = desk._recorder.datastore
        with datastore.get_connection(commit=True) as connection:
            connection.cursor().execute("PRAGMA secure_delete = OFF")
        db = desk.catalog._projection.db
        with db.transaction(write=False) as run:
            assert run("PRAGMA secure_delete", ()) == [(0,)]  # the pool's one connection
        with db.transaction(write=True) as run:
            assert run("PRAGMA secure_delete", ()) == [(1,)]
    finally:
        desk.close()


@pytest.mark.postgres
def test_the_destroyed_key_leaves_the_postgres_pages_too(postgres_url: str) -> None:
    """A deleted row lives on in its page (a dead tuple) until VACUUM: the key store
    vacuums its table after destroying a key. Read with pageinspect, as an attacker with
    the data files would."""
    import psycopg

    parts = urlsplit(postgres_url)
    schema = parse_qs(parts.query)["schema"][0]
    server = parts._replace(query="").geturl()
    desk = CaseDesk.open(postgres_url, clock=SteppingClock(NOW, timedelta(seconds=1)))
    try:
        _record(desk, FORGOTTEN)
        _record(desk, KEPT, word=KEPT_WORD)  # a key that stays: the table keeps a page
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
            [(key,)] = conn.execute(
                f'SELECT key FROM "{schema}".casedesk_keys WHERE customer_id = %s',
                (FORGOTTEN.id,),
            ).fetchall()

        def pages() -> bytes:
            with psycopg.connect(server, autocommit=True) as conn:
                [(blocks,)] = conn.execute(
                    "SELECT pg_relation_size(%s) / current_setting('block_size')::int",
                    (f'"{schema}".casedesk_keys',),
                ).fetchall()
                return b"".join(
                    bytes(page)
                    for block in range(int(blocks))
                    for (page,) in conn.execute(
                        "SELECT get_raw_page(%s, %s)", (f'"{schema}".casedesk_keys', block)
                    ).fetchall()
                )

        assert bytes(key) in pages()  # the check can see a key on its page

        _forget(desk)

        assert bytes(key) not in pages()
    finally:
        desk.close()


@pytest.mark.parametrize("where", ["sqlite", "postgres"])
def test_a_customer_id_holding_a_nul_has_its_key_and_can_be_forgotten(
    where: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """An id a 0.1.0 store kept in its JSON: PostgreSQL's text refuses the NUL, so the key
    table holds such an id escaped (and an id that looks escaped, too)."""
    location = (
        str(tmp_path / "cases.sqlite")
        if where == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    desk = CaseDesk.open(location, clock=SteppingClock(NOW, timedelta(seconds=1)))
    try:
        odd = [Customer("C\x00-1", "Nul Person"), Customer("hex:43", "Looks Escaped")]
        cases = [
            desk.open_case(
                customer=customer,
                subject=f"{customer.name} asks",
                channel=Channel.PHONE,
                by=AGENT,
                occurred_at=T0,
            )
            for customer in [*odd, Customer("C", "Plain C")]
        ]
        assert [desk.case(c).customer.name for c in cases] == [
            "Nul Person",
            "Looks Escaped",
            "Plain C",
        ]
        desk.forget_customer("C\x00-1", ground=ErasureGround.OBJECTION, by=OFFICER)
        assert [desk.case(c).customer.name for c in cases] == [ERASED, "Looks Escaped", "Plain C"]
    finally:
        desk.close()
