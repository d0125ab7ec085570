"""One store per test, on SQLite and on PostgreSQL: ``store`` is a location for
``CaseDesk.open``; ``open_desk()`` opens desks on it (closed after the test);
``snapshot_rows(case_id)`` reads the snapshot table (SQLite ``stored_snapshots``,
PostgreSQL ``<schema>.casedesk_snapshots``) without going through a desk."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import pytest

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    ComplaintCategory,
    Customer,
    Demeanour,
    Direction,
    Disposition,
    EntitlementKind,
    EscalationTarget,
    Fault,
    GoodwillKind,
    InspectionOutcome,
    LinkKind,
    Money,
    Payer,
    Product,
    RepairCoverage,
    Role,
    ServiceLevel,
    SteppingClock,
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> str:
    """A fresh SQLite file path, or a URL to a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_path"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def open_desk(store: str, clock: SteppingClock) -> Iterator[Callable[[], CaseDesk]]:
    """Open desks on the test's store, sharing the test's clock; all closed at the end."""
    desks: list[CaseDesk] = []

    def open_desk() -> CaseDesk:
        desks.append(CaseDesk.open(store, clock=clock))
        return desks[-1]

    yield open_desk
    for desk in desks:
        desk.close()


@pytest.fixture
def snapshot_rows(store: str) -> Callable[[UUID], list[int]]:
    """``snapshot_rows(case_id)``: the versions of a case's rows in the snapshots table."""
    return lambda case_id: _snapshot_versions(store, case_id)


def _snapshot_versions(store: str, case_id: UUID) -> list[int]:
    if not store.startswith("postgresql://"):
        with sqlite3.connect(store) as conn:
            rows = conn.execute(
                "SELECT originator_version FROM stored_snapshots WHERE originator_id IN (?, ?) "
                "ORDER BY originator_version",
                (case_id.hex, str(case_id)),  # eventsourcing 9.5 writes the hex form
            ).fetchall()
        return [version for (version,) in rows]
    import psycopg
    from psycopg import sql

    parts = urlsplit(store)
    schema = parse_qs(parts.query)["schema"][0]
    with psycopg.connect(parts._replace(query="").geturl()) as conn:
        rows = conn.execute(
            sql.SQL(
                "SELECT originator_version FROM {}.casedesk_snapshots "
                "WHERE originator_id = %s ORDER BY originator_version"
            ).format(sql.Identifier(schema)),
            (case_id,),
        ).fetchall()
    return [version for (version,) in rows]


@pytest.fixture
def realistic_case() -> Callable[[CaseDesk], tuple[UUID, UUID]]:
    """``realistic_case(desk)`` records a long, realistic case (and an earlier related one)
    through most commands; returns ``(case_id, related_case_id)``."""
    return _realistic_case


def _realistic_case(desk: CaseDesk) -> tuple[UUID, UUID]:
    agent = Actor("a.lee", Role.AGENT)
    supervisor = Actor("s.kim", Role.SUPERVISOR)
    manager = Actor("m.ortiz", Role.MANAGER)
    vendor = Actor("v.acme", Role.VENDOR)
    customer = Actor("c.dana", Role.CUSTOMER)
    day = datetime(2026, 9, 14, 9, 0, tzinfo=UTC)

    def at(hours: float) -> datetime:
        return day + timedelta(hours=hours)

    dana = Customer("c.dana", "Dana Whitfield", "dana@example.org")
    laptop = Product(
        sku="LT-14",
        name="Laptop 14",
        purchased_on=date(2025, 6, 2),
        price=Money("1299.00", "USD"),
        serial="SN-8841",
        order_id="O-5521",
        delivered_on=date(2025, 6, 5),
    )
    related = desk.open_case(
        customer=dana,
        subject="order went wrong",
        channel=Channel.PHONE,
        by=agent,
        occurred_at=at(-500),
    )
    case_id = desk.open_case(
        customer=dana,
        subject="laptop drive failed",
        channel=Channel.WALK_IN,
        by=agent,
        occurred_at=at(0),
        product=laptop,
    )
    # The walk-in: assigned, a calm contact, the store's diagnosis.
    desk.assign_agent(case_id, agent=agent, by=agent, occurred_at=at(0.1))
    desk.log_contact(
        case_id,
        channel=Channel.WALK_IN,
        direction=Direction.INBOUND,
        summary="drive clicks",
        demeanour=Demeanour.POLITE,
        by=customer,
        occurred_at=at(0.2),
    )
    desk.link_cases(
        case_id, other_case_id=related, relation=LinkKind.RELATED, by=agent, occurred_at=at(0.3)
    )
    desk.check_entitlement(case_id, kind=EntitlementKind.WARRANTY, by=agent, occurred_at=at(0.4))
    desk.check_entitlement(
        case_id, kind=EntitlementKind.RETURN_WINDOW, by=agent, occurred_at=at(0.4)
    )
    desk.record_diagnosis(
        case_id,
        symptom="no boot",
        finding="drive failure",
        root_cause="firmware fault",
        fault=Fault.VENDOR,
        known_issue="KI-2291",
        by=agent,
        occurred_at=at(0.5),
    )
    # Out of warranty: escalated to the vendor through a supervisor, approved.
    desk.request_escalation(
        case_id,
        to=EscalationTarget.VENDOR,
        reason="known issue, out of warranty",
        by=agent,
        occurred_at=at(1),
    )
    desk.add_note(case_id, text="vendor contacted", by=supervisor, occurred_at=at(1.5))
    desk.approve_escalation(
        case_id, number=1, reason="known issue programme", by=vendor, occurred_at=at(2)
    )
    # The laptop is taken in, repaired under the vendor's programme, returned.
    desk.issue_rma(
        case_id,
        rma_number="RMA-77",
        items="laptop",
        reason="drive replacement",
        disposition=Disposition.REPAIR,
        by=agent,
        occurred_at=at(2.5),
    )
    desk.receive_return(
        case_id, rma_number="RMA-77", by=agent, occurred_at=at(2.6), condition="boxed"
    )
    desk.complete_inspection(
        case_id,
        rma_number="RMA-77",
        outcome=InspectionOutcome.AS_DESCRIBED,
        findings="as said",
        by=vendor,
        occurred_at=at(24),
    )
    desk.complete_repair(
        case_id,
        rma_number="RMA-77",
        work_done="drive replaced",
        covered_by=RepairCoverage.VENDOR,
        by=vendor,
        occurred_at=at(48),
        cost=Money("0.01", "USD"),
    )
    desk.ship_replacement(
        case_id,
        rma_number="RMA-77",
        service_level=ServiceLevel.EXPRESS,
        tracking="1Z999",
        paid_by=Payer.COMPANY,
        by=agent,
        occurred_at=at(49),
    )
    desk.close_rma(case_id, rma_number="RMA-77", by=agent, occurred_at=at(50), note="returned")
    # Billing: paid, a hold placed in error, transferred, released in two parts, credit.
    desk.record_payment(
        case_id, amount=Money("89.00", "USD"), reference="INV-1", by=agent, occurred_at=at(51)
    )
    desk.place_hold(
        case_id,
        amount=Money("6012.50", "USD"),
        account="checking ...4411",
        reference="HOLD-1",
        reason="billing error",
        by=agent,
        occurred_at=at(52),
    )
    desk.transfer_case(
        case_id, to_department="Purchasing", reason="billing hold", by=agent, occurred_at=at(52.5)
    )
    desk.log_contact(
        case_id,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        summary="hold explained",
        demeanour=Demeanour.POLITE,
        by=agent,
        occurred_at=at(53),
        awaiting_reply=True,
    )
    desk.log_contact(
        case_id,
        channel=Channel.EMAIL,
        direction=Direction.INBOUND,
        summary="thanks",
        demeanour=Demeanour.CALM,
        by=customer,
        occurred_at=at(54),
    )
    desk.release_hold(
        case_id,
        reference="HOLD-1",
        amount=Money("6000.00", "USD"),
        reason="part",
        by=supervisor,
        occurred_at=at(55),
    )
    desk.release_hold(
        case_id,
        reference="HOLD-1",
        amount=Money("12.50", "USD"),
        reason="rest",
        by=supervisor,
        occurred_at=at(55.5),
    )
    desk.issue_credit(
        case_id, amount=Money("75.00", "USD"), reason="apology", by=supervisor, occurred_at=at(56)
    )
    desk.grant_goodwill(
        case_id,
        kind=GoodwillKind.FREE_SOFTWARE,
        amount=Money("19.99", "EUR"),
        reason="antivirus",
        by=agent,
        occurred_at=at(56.5),
    )
    desk.request_refund(
        case_id, amount=Money("89.00", "USD"), reason="fee", by=agent, occurred_at=at(57)
    )
    desk.issue_refund(
        case_id, amount=Money("89.00", "USD"), reason="exception", by=manager, occurred_at=at(58)
    )
    desk.record_complaint(
        case_id, category=ComplaintCategory.BILLING, details="hold", by=agent, occurred_at=at(59)
    )
    desk.request_cancellation(
        case_id, subscription="care plan", reason="unhappy", by=agent, occurred_at=at(60)
    )
    desk.complete_cancellation(
        case_id,
        subscription="care plan",
        effective_on=date(2026, 10, 1),
        by=agent,
        occurred_at=at(61),
    )
    desk.record_remediation(case_id, action="BIOS updated", by=agent, occurred_at=at(62))
    desk.resolve_case(
        case_id, resolution="repaired by vendor", fault=Fault.VENDOR, by=agent, occurred_at=at(63)
    )
    desk.record_commendation(
        case_id,
        agent=agent,
        source=supervisor,
        text="patient",
        by=supervisor,
        occurred_at=at(64),
    )
    desk.close_case(case_id, by=agent, occurred_at=at(65))
    # A month later it fails again: reopened, escalated, denied, resolved, closed.
    desk.reopen_case(case_id, reason="fails again", by=agent, occurred_at=at(700))
    desk.request_escalation(
        case_id, to=EscalationTarget.MANAGER, reason="lemon?", by=supervisor, occurred_at=at(701)
    )
    desk.deny_escalation(case_id, number=2, reason="one failure", by=manager, occurred_at=at(702))
    desk.resolve_case(
        case_id, resolution="advice given", fault=Fault.NONE, by=agent, occurred_at=at(703)
    )
    desk.close_case(case_id, by=agent, occurred_at=at(704))
    return case_id, related


@pytest.fixture
def raw_sql(store: str) -> Iterator[Database]:
    """Raw SQL on the test store's event table, as someone with database access would."""
    database = Database(store)
    yield database
    database.conn.close()


class Database:
    """Raw SQL on the store's event table, in either dialect: ``{events}`` names the
    table, ``?`` marks a parameter, case ids are passed as UUIDs."""

    def __init__(self, store: str) -> None:
        self.postgres = store.startswith("postgresql://")
        if self.postgres:
            import psycopg

            parts = urlsplit(store)
            schema = parse_qs(parts.query)["schema"][0]
            self.conn: Any = psycopg.connect(parts._replace(query="").geturl(), autocommit=True)
            self.events = f'"{schema}".casedesk_events'
            self.snapshots = f'"{schema}".casedesk_snapshots'
        else:
            self.conn = sqlite3.connect(store, isolation_level=None)
            self.events = "stored_events"
            self.snapshots = "stored_snapshots"

    def _params(self, params: tuple[Any, ...]) -> tuple[Any, ...]:
        # eventsourcing 9.5 writes SQLite ids in hex; PostgreSQL has a uuid column.
        return tuple(p.hex if isinstance(p, UUID) and not self.postgres else p for p in params)

    def run(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        sql = sql.format(events=self.events, snapshots=self.snapshots)
        if self.postgres:
            sql = sql.replace("?", "%s")
        cursor = self.conn.execute(sql, self._params(params))
        return list(cursor.fetchall()) if cursor.description else []

    def state(self, case_id: UUID, version: int) -> bytes:
        [(state,)] = self.run(
            "SELECT state FROM {events} WHERE originator_id = ? AND originator_version = ?",
            case_id,
            version,
        )
        return bytes(state)

    def set_state(self, case_id: UUID, version: int, state: bytes) -> None:
        self.run(
            "UPDATE {events} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            state,
            case_id,
            version,
        )

    def renumber(self, case_id: UUID, version: int, to: int) -> None:
        self.run(
            "UPDATE {events} SET originator_version = ? "
            "WHERE originator_id = ? AND originator_version = ?",
            to,
            case_id,
            version,
        )

    def last_version(self, case_id: UUID) -> int:
        [(last,)] = self.run(
            "SELECT max(originator_version) FROM {events} WHERE originator_id = ?", case_id
        )
        return int(last)
