"""Every value goes into the store and comes back the same: events read back are the events
written, down to the types (enum members, Decimal exponents, dates, instants and UTC offsets).

Times are compared as instants with their offsets, not with ``==``: a ZoneInfo time in a DST
fold never equals its fixed-offset copy (PEP 495), though the store keeps it exactly."""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from casehistory import (
    Actor,
    CaseDesk,
    CaseEvent,
    Channel,
    Customer,
    EntitlementKind,
    EscalationTarget,
    Fault,
    GoodwillKind,
    Money,
    Product,
    Role,
    SteppingClock,
)
from casehistory.desk._base import _project
from casehistory.domain.state import fold
from casehistory.testing import CaseHistory
from casehistory.testing.strategies import CLOCK_START, case_histories


def identical(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down: enum members not strings, Decimals
    with the same digits and exponent, datetimes at the same instant and UTC offset,
    tuples not lists."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Decimal):
        return a.as_tuple() == b.as_tuple()
    if isinstance(a, datetime):
        # The same instant at the same UTC offset. Not ``==``: by PEP 495 an ambiguous local
        # time (a DST fold) in one zone never equals a datetime in another tzinfo, and the
        # store gives back a fixed-offset datetime for any zone.
        return a.utcoffset() == b.utcoffset() and a.astimezone(UTC) == b.astimezone(UTC)
    if attrs.has(type(a)):
        return all(identical(getattr(a, f.name), getattr(b, f.name)) for f in attrs.fields(type(a)))
    if dataclasses.is_dataclass(a):
        return all(identical(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(identical(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


texts = st.text(min_size=1, max_size=12).filter(str.strip)


class RecordingDesk(CaseDesk):
    """A desk that keeps the events it wrote, as they were before the store saw them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.written: list[CaseEvent] = []
        super().__init__(*args, **kwargs)

    def _save(self, case: Any) -> None:
        pending = list(case.pending_events)
        super()._save(case)
        self.written.extend(pending)


def _through_a_file(apply: Any) -> tuple[list[CaseEvent], dict[Any, tuple[CaseEvent, ...]], Any]:
    """Apply to a desk on a new SQLite file; read everything back with a new desk."""
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "cases.sqlite")
        desk = RecordingDesk.open(path, clock=SteppingClock(CLOCK_START))
        case_id = apply(desk)
        desk._store.take_snapshot(case_id, projector_func=_project)
        desk.close()
        reader = CaseDesk.open(path, clock=SteppingClock(CLOCK_START))
        read = {i: reader.history(i) for i in reader.case_ids()}
        snapshot = list(reader._store.snapshots.get(case_id))[-1].mutate(None)
        reader.close()
    return desk.written, read, (case_id, snapshot)


def _assert_read_back(written: list[CaseEvent], read: dict[Any, tuple[CaseEvent, ...]]) -> None:
    assert sum(len(events) for events in read.values()) == len(written)
    for case_id, events in read.items():
        mine = [e for e in written if e.originator_id == case_id]
        assert len(events) == len(mine)
        for back, sent in zip(events, mine, strict=True):
            assert identical(back, sent), (back, sent)


@settings(max_examples=30, deadline=None)  # a SQLite file per example
@given(case_histories(min_commands=3))
def test_events_read_back_are_the_events_written(history: CaseHistory) -> None:
    written, read, (case_id, snapshot) = _through_a_file(history.apply)

    _assert_read_back(written, read)
    assert identical(snapshot.state, fold(read[case_id]))


# Wide values: any positive Decimal, any ISO-shaped currency code, any time zone.
amounts = st.decimals(
    min_value=Decimal("1E-4"),
    max_value=Decimal("999999999999999.9999"),
    places=4,
    allow_nan=False,
    allow_infinity=False,
)
wide_money = st.builds(Money, amounts, st.from_regex(r"[A-Z]{3}", fullmatch=True))
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2026, 10, 30),
    timezones=st.timezones(),
    allow_imaginary=False,
)
days = st.dates(date(2000, 1, 1), date(2030, 12, 31))
wide_products = st.builds(
    Product,
    sku=texts,
    name=texts,
    purchased_on=days,
    price=wide_money,
    serial=st.none() | texts,
    order_id=st.none() | texts,
    delivered_on=st.none() | days,
)
staff = st.builds(Actor, texts, st.sampled_from([Role.SUPERVISOR, Role.MANAGER]))
_ASKER = Actor("a.asker", Role.AGENT)
_APPROVER = Actor("m.approver", Role.MANAGER)


@settings(max_examples=40, deadline=None)  # a SQLite file per example
@given(
    product=wide_products,
    customer=st.builds(Customer, texts, texts, st.none() | texts),
    by=staff,
    when=st.lists(moments, min_size=10, max_size=10),
    money=st.lists(wide_money, min_size=5, max_size=5),
    effective_on=days,
    kind=st.sampled_from(GoodwillKind),
)
def test_every_value_type_round_trips_through_a_file(
    product: Product,
    customer: Customer,
    by: Actor,
    when: list[datetime],
    money: list[Money],
    effective_on: date,
    kind: GoodwillKind,
) -> None:
    def apply(desk: CaseDesk) -> Any:
        t = iter(when)
        opened = min(when)  # rules 2: nothing but a payment or a contact precedes it
        case_id = desk.open_case(
            customer=customer,
            subject="wide values",
            channel=Channel.WALK_IN,
            by=by,
            occurred_at=opened,
            product=product,
        )
        desk.assign_agent(case_id, agent=by, by=by, occurred_at=next(t))
        desk.check_entitlement(case_id, kind=EntitlementKind.WARRANTY, by=by, occurred_at=next(t))
        desk.record_payment(case_id, amount=money[0], reference="p", by=by, occurred_at=next(t))
        desk.place_hold(
            case_id,
            amount=money[1],
            account="acct",
            reference="H-1",
            reason="r",
            by=by,
            occurred_at=next(t),
        )
        desk.grant_goodwill(
            case_id, kind=kind, amount=money[2], reason="r", by=by, occurred_at=next(t)
        )
        # Rules 2: a credit above the issuer's role limit needs a manager's approval.
        desk.request_escalation(
            case_id, to=EscalationTarget.MANAGER, reason="r", by=_ASKER, occurred_at=opened
        )
        desk.approve_escalation(case_id, number=1, reason="r", by=_APPROVER, occurred_at=opened)
        desk.issue_credit(case_id, amount=money[3], reason="r", by=by, occurred_at=next(t))
        desk.request_refund(case_id, amount=money[4], reason="r", by=by, occurred_at=next(t))
        desk.request_cancellation(case_id, subscription="s", reason="r", by=by, occurred_at=next(t))
        desk.complete_cancellation(
            case_id, subscription="s", effective_on=effective_on, by=by, occurred_at=next(t)
        )
        desk.resolve_case(case_id, resolution="r", fault=Fault.VENDOR, by=by, occurred_at=when[0])
        return case_id

    written, read, (case_id, snapshot) = _through_a_file(apply)

    _assert_read_back(written, read)
    assert identical(snapshot.state, fold(read[case_id]))
