"""Values of every type come back from the store as they went in: Money with its exact
Decimal, dates, enum members (never bare strings), policy decisions, products, actors."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs

from casehistory import (
    ERASED,
    Actor,
    CaseDesk,
    CaseEvent,
    Channel,
    Customer,
    EntitlementKind,
    ErasureGround,
    EscalationTarget,
    GoodwillKind,
    Money,
    PolicyDecision,
    Product,
    Role,
    Sealed,
    SteppingClock,
)
from casehistory.domain import events as ev
from casehistory.domain.sealed import SEALED

RealisticCase = Callable[[CaseDesk], Any]


def _types(value: Any, path: str = "event") -> list[tuple[str, type]]:
    """Every (path, type) in a value, all the way down."""
    found = [(path, type(value))]
    if isinstance(value, Decimal):
        found.append((path + ".exponent", type(value.as_tuple().exponent)))
        found.append((path + f".digits={value.as_tuple()}", tuple))
    if isinstance(value, datetime):
        found.append((path + f".utcoffset={value.utcoffset()}", timedelta))
    fields: list[str] = []
    if attrs.has(type(value)):
        fields = [f.name for f in attrs.fields(type(value))]
    elif dataclasses.is_dataclass(value):
        fields = [f.name for f in dataclasses.fields(value)]
    for name in fields:
        found += _types(getattr(value, name), f"{path}.{name}")
    if isinstance(value, dict):
        for key, item in value.items():
            found += _types(item, f"{path}[{key!r}]")
    return found


class RecordingDesk(CaseDesk):
    """A desk that keeps the events it wrote, as they were before the store saw them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.written: list[CaseEvent] = []
        super().__init__(*args, **kwargs)

    def _save(self, case: Any) -> None:
        pending = list(case.pending_events)
        super()._save(case)
        self.written.extend(pending)


def test_every_event_reads_back_equal_and_of_the_same_types(
    store: str,
    clock: SteppingClock,
    open_desk: Callable[[], CaseDesk],
    realistic_case: RealisticCase,
) -> None:
    writer = RecordingDesk.open(store, clock=clock)
    try:
        realistic_case(writer)
        texts = {_at(e): _shown(e) for e in writer.written}  # shown while the key exists
        reader = open_desk()
        read = [e for case_id in reader.case_ids() for e in reader.history(case_id)]
        assert {_at(e): _shown(e) for e in read} == texts
        # Then the customer (of both cases) is forgotten: CustomerForgotten on each.
        writer.forget_customer(
            "c.dana",
            ground=ErasureGround.CONSENT_WITHDRAWN,
            by=Actor("p.osei", Role.PRIVACY_OFFICER),
        )
    finally:
        writer.close()

    order = list(reader.case_ids())
    read = [e for case_id in order for e in reader.history(case_id)]
    written = sorted(
        writer.written, key=lambda e: (order.index(e.originator_id), e.originator_version)
    )

    assert read == written
    for back, sent in zip(read, written, strict=True):
        assert _types(back) == _types(sent)
        # Each personal text reads back as the box it was written as, now erased.
        for name, value in _personal(back).items():
            assert isinstance(value, Sealed), name
            assert value.box == _personal(sent)[name].box
            assert str(value) == ERASED, name
    assert {type(e) for e in read} >= set(ev.EVENT_TYPES) - {ev.RefundDenied, ev.RmaRejected}
    assert sum(type(e) is ev.CustomerForgotten for e in read) == 2
    # What was written held every personal text sealed, and showed each as its text.
    assert all(isinstance(v, Sealed) for e in written for v in _personal(e).values())
    assert texts[_at(read[0])] == {
        "customer.name": "Dana Whitfield",
        "customer.email": "dana@example.org",
        "subject": "order went wrong",
    }
    assert not {ERASED, SEALED} & {t for fields in texts.values() for t in fields.values()}


def _at(event: CaseEvent) -> tuple[Any, int]:
    return event.originator_id, event.originator_version


def _shown(event: CaseEvent) -> dict[str, str]:
    """The personal fields of ``event`` as a view shows them."""
    return {name: str(value) for name, value in _personal(event).items()}


def _personal(event: CaseEvent) -> dict[str, Any]:
    """The personal fields of ``event`` (a customer's name and email among them)."""
    found: dict[str, Any] = {}
    for name in ev.PERSONAL.get(type(event), ()):
        value = getattr(event, name)
        if isinstance(value, Customer):
            found.update(
                {f"{name}.{part}": getattr(value, part) for part in ev.PERSONAL_CUSTOMER_FIELDS}
            )
        else:
            found[name] = value
    return {k: v for k, v in found.items() if v is not None}


def test_each_value_type_comes_back_as_itself(
    store: str, clock: SteppingClock, open_desk: Callable[[], CaseDesk]
) -> None:
    desk = open_desk()
    supervisor = Actor("s.kim", Role.SUPERVISOR)
    when = datetime(2026, 9, 14, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    product = Product(
        sku="PSU-650",
        name="PSU 650W",
        purchased_on=date(2026, 1, 20),
        price=Money("129.00", "USD"),
        serial=None,
        order_id="O1",
        delivered_on=date(2026, 1, 24),
    )
    case_id = desk.open_case(
        customer=Customer("c1", "Dana", None),
        subject="values",
        channel=Channel.LETTER,
        by=supervisor,
        occurred_at=when,
        product=product,
    )
    desk.assign_agent(case_id, agent=supervisor, by=supervisor, occurred_at=when)
    desk.check_entitlement(
        case_id, kind=EntitlementKind.RETURN_WINDOW, by=supervisor, occurred_at=when
    )
    desk.record_payment(
        case_id,
        amount=Money(Decimal("1E+3"), "JPY"),
        reference="p",
        by=supervisor,
        occurred_at=when,
    )
    desk.grant_goodwill(
        case_id,
        kind=GoodwillKind.FREE_SHIPPING_UPGRADE,
        amount=Money("0.10", "EUR"),
        reason="r",
        by=supervisor,
        occurred_at=when,
    )
    desk.request_escalation(
        case_id, to=EscalationTarget.LEGAL, reason="r", by=supervisor, occurred_at=when
    )
    desk.request_cancellation(
        case_id, subscription="s", reason="r", by=supervisor, occurred_at=when
    )
    desk.complete_cancellation(
        case_id, subscription="s", effective_on=date(2026, 12, 31), by=supervisor, occurred_at=when
    )

    opened, assigned, checked, paid, goodwill, escalated, _, cancelled = open_desk().history(
        case_id
    )

    assert type(opened.product) is Product
    assert opened.product == product
    assert type(opened.product.delivered_on) is date
    assert opened.product.delivered_on == date(2026, 1, 24)
    assert type(opened.product.purchased_on) is date
    assert opened.product.serial is None
    assert opened.customer.email is None
    assert opened.channel is Channel.LETTER
    assert opened.by.role is Role.SUPERVISOR
    assert type(opened.by) is Actor
    assert assigned.agent == supervisor
    assert opened.occurred_at == when
    assert opened.occurred_at.utcoffset() == timedelta(hours=-5)
    assert opened.recorded_at == datetime(2026, 11, 1, tzinfo=UTC)
    decision = checked.decision
    assert type(decision) is PolicyDecision
    assert decision.kind is EntitlementKind.RETURN_WINDOW
    assert decision.compared["counted_from"] == "2026-01-24"
    assert decision.outcome == "OUTSIDE"
    assert decision.entitled is False
    assert decision.version == 1
    assert type(paid.amount.amount) is Decimal
    assert str(paid.amount.amount) == "1E+3"
    assert paid.amount == Money("1000", "JPY")
    assert goodwill.kind is GoodwillKind.FREE_SHIPPING_UPGRADE
    assert str(goodwill.value.amount) == "0.10"
    assert type(goodwill.cutoff_check) is PolicyDecision
    assert goodwill.limit_check.kind is EntitlementKind.GOODWILL_LIMIT
    assert escalated.to is EscalationTarget.LEGAL
    assert type(cancelled.effective_on) is date
    assert cancelled.effective_on == date(2026, 12, 31)
