"""desk.allowed: the edges (read-only desks, unknown and forged cases, bad arguments)
and what it must not do (record, move the clock, leave a dry run behind)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from casehistory import (
    Actor,
    Allowed,
    CaseDesk,
    CaseNotFound,
    Channel,
    Customer,
    Fault,
    InvalidInput,
    Money,
    Role,
    SteppingClock,
)
from casehistory.domain import rulebook
from casehistory.domain.case import Case
from casehistory.domain.declarations import Target
from casehistory.errors import RulesNewerThanDesk

AGENT = Actor("a.lee", Role.AGENT)
MONDAY = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _open(desk: CaseDesk) -> object:
    return desk.open_case(
        customer=Customer("C-1", "Dana Whitfield"),
        subject="a question",
        channel=Channel.EMAIL,
        by=AGENT,
        occurred_at=MONDAY,
    )


def _desk(location: str = ":memory:") -> CaseDesk:
    clock = SteppingClock(MONDAY + timedelta(hours=1), step=timedelta(minutes=1))
    return CaseDesk.open(location, clock=clock)


def _rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT * FROM stored_events ORDER BY rowid").fetchall()


def test_asking_records_nothing_and_reads_the_clock_once(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite"
    desk = _desk(str(path))
    case_id = _open(desk)
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=MONDAY)
    desk.record_payment(
        case_id, amount=Money("20.00", "USD"), reference="r", by=AGENT, occurred_at=MONDAY
    )
    rows = _rows(path)
    before = desk.clock.now()

    offered = desk.allowed(case_id, by=AGENT)

    assert desk.clock.now() - before == timedelta(minutes=2)  # allowed read it once
    assert _rows(path) == rows
    assert any(a.command == "add_note" for a in offered)
    # A dry run leaves nothing behind: the next command is saved as usual.
    desk.add_note(case_id, text="after asking", by=AGENT, occurred_at=MONDAY)
    assert len(_rows(path)) == len(rows) + 1


def test_a_closed_case_offers_a_reopen_only() -> None:
    desk = _desk()
    case_id = _open(desk)
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=MONDAY)
    desk.resolve_case(
        case_id, resolution="answered", fault=Fault.NONE, by=AGENT, occurred_at=MONDAY
    )
    desk.close_case(case_id, by=AGENT, occurred_at=MONDAY)
    assert desk.allowed(case_id, by=AGENT) == (Allowed("reopen_case", "CaseReopened"),)


def test_a_read_only_desk_offers_nothing(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite"
    with _desk(str(path)) as desk:
        case_id = _open(desk)
        assert desk.allowed(case_id, by=AGENT) != ()
    with CaseDesk.open(path, read_only=True) as reader:
        assert reader.allowed(case_id, by=AGENT) == ()


def test_a_case_below_the_floor_offers_nothing() -> None:
    desk = _desk()
    forged = Case.open(
        customer=Customer("C-9", "Forged"),
        subject="beneath the desk",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=MONDAY,
        recorded_at=MONDAY,
        rules=None,
    )
    desk._store.save(forged)
    assert desk.allowed(forged.id, by=AGENT) == ()


def test_a_case_held_to_newer_rules_offers_nothing() -> None:
    desk = _desk()
    with pytest.MonkeyPatch.context() as patch:  # what a newer release's desk records
        patch.setattr(rulebook, "RULES_VERSION", rulebook.RULES_VERSION + 1)
        newer = Case.open(
            customer=Customer("C-9", "Newer"),
            subject="opened by a newer release",
            channel=Channel.PHONE,
            by=AGENT,
            occurred_at=MONDAY,
            recorded_at=MONDAY,
            rules=rulebook.RULES_VERSION,
        )
    desk._store.save(newer)
    assert desk.allowed(newer.id, by=AGENT) == ()
    with pytest.raises(RulesNewerThanDesk):
        desk.add_note(newer.id, text="served?", by=AGENT, occurred_at=MONDAY)


def test_a_refund_below_a_cent_is_offered() -> None:
    """Money takes four decimal places: a refund of the 0.005 paid is accepted, so it is
    offered (a probe of 0.01, more than is refundable, missed it); the exact amount
    refundable is probed too."""
    desk = _desk()
    case_id = _open(desk)
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=MONDAY)
    desk.record_payment(
        case_id, amount=Money("0.005", "USD"), reference="r", by=AGENT, occurred_at=MONDAY
    )
    offered = {a.command for a in desk.allowed(case_id, by=AGENT, occurred_at=MONDAY)}
    assert "issue_refund" in offered
    desk.issue_refund(
        case_id, amount=Money("0.005", "USD"), reason="all of it", by=AGENT, occurred_at=MONDAY
    )
    offered = {a.command for a in desk.allowed(case_id, by=AGENT, occurred_at=MONDAY)}
    assert "issue_refund" not in offered  # nothing left to refund


def test_bad_questions_are_refused() -> None:
    desk = _desk()
    case_id = _open(desk)
    with pytest.raises(CaseNotFound):
        desk.allowed(uuid4(), by=AGENT)
    with pytest.raises(InvalidInput):
        desk.allowed(case_id, by="a.lee")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        desk.allowed(case_id, by=AGENT, occurred_at=datetime(2026, 11, 2))  # naive


def test_targets_name_the_parts_acted_on() -> None:
    desk = _desk()
    case_id = _open(desk)
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=MONDAY)
    for reference in ("H-1", "H-2"):
        desk.place_hold(
            case_id,
            amount=Money("10.00", "EUR"),
            account="acct",
            reference=reference,
            reason="disputed",
            by=AGENT,
            occurred_at=MONDAY,
        )
    desk.release_hold(
        case_id,
        reference="H-1",
        amount=Money("10.00", "EUR"),
        reason="ok",
        by=AGENT,
        occurred_at=MONDAY,
    )
    release = {a.command: a for a in desk.allowed(case_id, by=AGENT)}["release_hold"]
    assert release == Allowed("release_hold", "HoldReleased", Target.HOLD, ("H-2",))


def test_business_time_is_asked_about_too() -> None:
    """Before the case opened, nothing but a payment or a contact happened (rules 2)."""
    desk = _desk()
    case_id = _open(desk)
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=MONDAY)
    earlier = {
        a.command for a in desk.allowed(case_id, by=AGENT, occurred_at=MONDAY - timedelta(days=1))
    }
    assert earlier == {"log_contact", "record_payment"}


@pytest.mark.parametrize("where", ["memory", "sqlite", "postgres"])
def test_a_link_is_offered_once_there_is_another_case(
    where: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    location = {
        "memory": lambda: ":memory:",
        "sqlite": lambda: str(tmp_path / "cases.sqlite"),
        "postgres": lambda: request.getfixturevalue("postgres_url"),
    }[where]()
    with _desk(location) as desk:
        case_id = _open(desk)
        assert "link_cases" not in {a.command for a in desk.allowed(case_id, by=AGENT)}
        _open(desk)
        assert "link_cases" in {a.command for a in desk.allowed(case_id, by=AGENT)}
