"""The setup the personal-data tests share: a desk on a clock of 2026-11-02, a case of a
named customer with personal texts (its subject and a note), and their erasure."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from casehistory import Actor, CaseDesk, Channel, Customer, ErasureGround, Role, SteppingClock

AGENT = Actor("a.lee", Role.AGENT)
DPO = Actor("p.osei", Role.PRIVACY_OFFICER)
T = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def desk(path: Path | str = ":memory:", hour: int = 9) -> CaseDesk:
    return CaseDesk.open(str(path), clock=SteppingClock(datetime(2026, 11, 2, hour, tzinfo=UTC)))


def case(desk: CaseDesk, customer: str = "C-1", name: str = "Zebedee Quux") -> UUID:
    case_id = desk.open_case(
        customer=Customer(customer, name, f"{customer}@example.org"),
        subject=f"{name}'s kettle leaks",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=T,
    )
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=T)
    desk.add_note(case_id, text=f"{name} lives upstairs", by=AGENT, occurred_at=T)
    return case_id


def forget(desk: CaseDesk, customer: str = "C-1") -> object:
    return desk.forget_customer(customer, ground=ErasureGround.OBJECTION, by=DPO)
