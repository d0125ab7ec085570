"""The catalog on SQLite and PostgreSQL, tried from outside: its rows against each
case's own view, exactly once through failures mid-batch and racing catch-ups, a
read-only reader that never writes, hostile search text and cursors, paging while
writers run."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Customer,
    InvalidInput,
    Money,
    Role,
    Status,
    StoreIsReadOnly,
    StoreUnavailable,
)
from casehistory.catalog import CaseRow
from casehistory.catalog import _projection as projection
from casehistory.domain.ledger import LEDGER_COLUMNS
from casehistory.stories import STORIES

AGENT = Actor("a.lee", Role.AGENT)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def stories(desk: CaseDesk) -> list[UUID]:
    return [story.tell(desk) for story in STORIES]


def dump(desk: CaseDesk) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the catalog's tables, in a stable order, as an outsider reads them."""
    db = desk.catalog._db
    tables = {
        "cases": "SELECT * FROM {p}catalog_cases ORDER BY case_id",
        "money": "SELECT * FROM {p}catalog_money ORDER BY case_id, currency",
        "ledger": 'SELECT * FROM {p}catalog_ledger ORDER BY case_id, version, "column", currency',
        "position": "SELECT name, position FROM {p}catalog_position",
    }
    with db.transaction(write=False) as run:
        return {name: run(query, ()) for name, query in tables.items()}


def assert_row_is_the_view(row: CaseRow, desk: CaseDesk) -> None:
    view = desk.case(row.case_id)
    assert row.version == view.version
    assert (row.status, row.fault, row.channel) == (
        view.status.name,
        view.fault.name,
        view.channel.name,
    )
    assert (row.customer_id, row.customer_name, row.subject) == (
        view.customer.id,
        view.customer.name,
        view.subject,
    )
    assert row.agent_id == (view.agent.id if view.agent else None)
    assert row.department == view.department
    assert row.opened_at == view.opened_at
    assert row.first_response_at == view.first_response_at
    assert row.resolved_at == view.resolved_at
    assert row.closed_at == view.closed_at
    assert row.last_recorded_at == view.last_recorded_at
    assert row.open_holds == len(view.open_holds)
    pending = [e for e in view.escalations if e.outcome.name == "PENDING"]
    assert row.pending_escalation == (pending[-1].to.name if pending else None)
    money = {m.currency: m for m in row.money}
    assert set(money) == set(view.ledger.currencies)
    for currency in view.ledger.currencies:
        balance = view.ledger.balance(currency)
        for column in LEDGER_COLUMNS:
            assert getattr(money[currency], column) == getattr(balance, column).amount
        assert money[currency].refundable == balance.refundable.amount


def test_every_row_is_its_case_view(open_desk: Callable[[], CaseDesk]) -> None:
    desk = open_desk()
    case_ids = stories(desk)
    page = desk.catalog.cases(limit=10)
    assert sorted(row.case_id for row in page.rows) == sorted(case_ids)
    assert page.cursor is None
    assert page.behind == 0
    for row in page.rows:
        assert_row_is_the_view(row, desk)
    assert desk.catalog.count() == 5
    assert desk.catalog.count(status=Status.CLOSED) == 3


def test_a_failure_mid_batch_leaves_nothing_and_is_caught_up_exactly_once(
    open_desk: Callable[[], CaseDesk], monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = open_desk()
    stories(desk)
    calls = 0
    original = projection._insert

    def fail_on_the_third(*args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise StoreUnavailable("the disk went away mid-batch")
        original(*args)

    monkeypatch.setattr(projection, "_insert", fail_on_the_third)
    catalog = desk.catalog
    catalog._projection.create()
    with pytest.raises(StoreUnavailable, match="mid-batch"):
        catalog._projection.catch_up(batch=30)
    # The failed batch left no row and did not move the position: the catalog is
    # exactly what folding the log up to its position gives.
    monkeypatch.setattr(projection, "_insert", original)
    failed = dump(desk)
    position = failed["position"][0][1]
    assert position % 30 == 0
    assert position < 84
    catalog._projection.reset()
    catalog._projection.catch_up(until=position, batch=30)
    assert dump(desk) == failed
    # And catching up from there gives what a rebuild gives.
    catalog.catch_up()
    after_crash = dump(desk)
    catalog.rebuild()
    assert dump(desk) == after_crash


def test_racing_catch_ups_apply_every_event_once(open_desk: Callable[[], CaseDesk]) -> None:
    writer = open_desk()
    stories(writer)
    readers = [open_desk() for _ in range(3)]
    errors: list[BaseException] = []

    def catch_up(desk: CaseDesk) -> None:
        try:
            desk.catalog._projection.create()
            desk.catalog._projection.catch_up(batch=7)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=catch_up, args=(d,)) for d in readers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    raced = dump(writer)
    writer.catalog.rebuild()
    assert dump(writer) == raced


def test_a_read_only_reader_never_writes_and_says_how_far_behind(
    store: str, open_desk: Callable[[], CaseDesk]
) -> None:
    desk = open_desk()
    stories(desk)
    reader = CaseDesk.open(store, read_only=True)
    try:
        page = reader.catalog.cases()
        assert page.rows == ()
        assert page.status.exists is False
        assert page.behind == 84
        with pytest.raises(StoreIsReadOnly):
            reader.catalog.catch_up()
        resolved = desk.catalog.cases(status=Status.RESOLVED).rows[0]  # brought up to date
        desk.add_note(
            resolved.case_id, text="later", by=AGENT, occurred_at=resolved.last_activity_at
        )
        page = reader.catalog.cases()
        assert len(page.rows) == 5
        assert page.behind == 1
    finally:
        reader.close()


def test_read_your_writes(open_desk: Callable[[], CaseDesk]) -> None:
    desk = open_desk()
    case_id = desk.open_case(
        customer=Customer("C-9", "Ana"),
        subject="Late",
        channel=Channel.CHAT,
        by=AGENT,
        occurred_at=T0,
    )
    assert desk.last_position is not None
    status = desk.catalog.wait()
    assert status.position >= desk.last_position
    assert desk.catalog.case(case_id) is not None


@pytest.mark.parametrize(
    "text",
    ['"', "' OR 1=1 --", "NEAR(a b)", "subject:laptop", "*", "laptop)", "lap\x00top", "ноутбук"],
)
def test_hostile_search_text_is_a_search_or_a_clear_error(
    open_desk: Callable[[], CaseDesk], text: str
) -> None:
    desk = open_desk()
    stories(desk)
    if not any(ch.isalnum() for ch in text):
        with pytest.raises(InvalidInput, match="no word"):
            desk.catalog.count(text=text)
        return
    assert 0 <= desk.catalog.count(text=text) <= 5


def test_search_finds_words_of_the_subject_and_the_name(open_desk: Callable[[], CaseDesk]) -> None:
    desk = open_desk()
    stories(desk)
    assert [r.customer_name for r in desk.catalog.cases(text="laptop").rows] == ["Harold Jennings"]
    assert desk.catalog.count(text="Hollis") == 1
    assert desk.catalog.count(text="hollis rocks nothing") == 0


@pytest.mark.parametrize("cursor", ["", "x", "e30", "W10", "A" * 1000, '["-opened","x","y"]'])
def test_a_forged_cursor_is_refused(open_desk: Callable[[], CaseDesk], cursor: str) -> None:
    desk = open_desk()
    stories(desk)
    with pytest.raises(InvalidInput, match="cursor"):
        desk.catalog.cases(after=cursor)


def test_paging_never_skips_nor_repeats_while_writers_run(
    open_desk: Callable[[], CaseDesk],
) -> None:
    desk = open_desk()
    writer = open_desk()
    opened = [
        writer.open_case(
            customer=Customer(f"C-{n}", "Kim"),
            subject="paging",
            channel=Channel.EMAIL,
            by=AGENT,
            occurred_at=T0 + timedelta(minutes=n),
        )
        for n in range(25)
    ]
    seen: list[UUID] = []
    page = desk.catalog.cases(limit=4, customer=None)
    while True:
        seen.extend(row.case_id for row in page.rows)
        # Writers open cases later than every page and change old ones between pages.
        writer.open_case(
            customer=Customer("C-new", "Lee"),
            subject="paging",
            channel=Channel.EMAIL,
            by=AGENT,
            occurred_at=T0 + timedelta(days=1, minutes=len(seen)),
        )
        writer.add_note(
            opened[len(seen) % 25], text="touch", by=AGENT, occurred_at=T0 + timedelta(hours=1)
        )
        if page.cursor is None:
            break
        page = desk.catalog.cases(limit=4, after=page.cursor)
    assert len(seen) == len(set(seen))
    assert set(opened) <= set(seen)


def test_money_is_exact(open_desk: Callable[[], CaseDesk]) -> None:
    desk = open_desk()
    case_id = desk.open_case(
        customer=Customer("C-1", "Dana"),
        subject="m",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=T0,
    )
    for _ in range(3):
        desk.record_payment(
            case_id, amount=Money("0.1", "USD"), reference="r", by=AGENT, occurred_at=T0
        )
    row = desk.catalog.case(case_id)
    assert row is not None
    assert row.money[0].paid == Decimal("0.3")


def test_sla_filters_judge_breaches_as_of_the_desk_clock(store: str) -> None:
    from casehistory import Direction, FixedClock

    friday = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    monday = datetime(2026, 3, 9, tzinfo=UTC)

    def opened(desk: CaseDesk, name: str) -> UUID:
        return desk.open_case(
            customer=Customer(name, name),
            subject="sla",
            channel=Channel.EMAIL,
            by=AGENT,
            occurred_at=friday,
        )

    with CaseDesk.open(store, clock=FixedClock(monday + timedelta(hours=13))) as desk:
        silent, answered = opened(desk, "silent"), opened(desk, "answered")
        desk.assign_agent(answered, agent=AGENT, by=AGENT, occurred_at=friday)
        desk.log_contact(
            answered,
            channel=Channel.EMAIL,
            direction=Direction.OUTBOUND,
            summary="on it",
            by=AGENT,
            occurred_at=friday + timedelta(minutes=30),
        )
        row = desk.catalog.case(silent)
        assert row is not None
        assert row.first_response_due_at == monday + timedelta(hours=12)
        assert row.first_response_breached is False  # as of its last activity, Friday
        # As of the desk's now (Monday 13:00), the silent case is breached.
        assert [r.case_id for r in desk.catalog.cases(sla_breached=True).rows] == [silent]
        assert [r.case_id for r in desk.catalog.cases(sla_breached=False).rows] == [answered]
        due = desk.catalog.cases(due_before=monday + timedelta(hours=12)).rows
        assert [r.case_id for r in due] == [silent]
    with CaseDesk.open(store, clock=FixedClock(monday + timedelta(hours=11))) as desk:
        assert desk.catalog.count(sla_breached=True) == 0
        with pytest.raises(InvalidInput, match="sla_breached"):
            desk.catalog.count(sla_breached="yes")


def test_a_catalog_of_another_layout_is_rebuilt_by_a_writer_and_none_to_a_reader(
    store: str, open_desk: Callable[[], CaseDesk]
) -> None:
    desk = open_desk()
    stories(desk)
    desk.catalog.cases()
    with desk.catalog._db.transaction(write=True) as run:
        run("UPDATE {p}catalog_position SET schema_version = 1", ())
        run("ALTER TABLE {p}catalog_cases DROP COLUMN resolution_breached", ())
    reader = CaseDesk.open(store, read_only=True)
    try:
        page = reader.catalog.cases(status=Status.CLOSED)
        assert page.rows == ()
        assert page.status.exists is False
        assert page.behind == 84
    finally:
        reader.close()
    writer = open_desk()
    assert writer.catalog.count(status=Status.CLOSED) == 3
