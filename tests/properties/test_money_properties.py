"""Ledger arithmetic is exact: a refund of exactly what was paid is always possible, and
never more than that."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Customer,
    InvalidInput,
    Money,
    RefundExceedsPaid,
    Role,
    SteppingClock,
)
from casehistory.testing.strategies import CLOCK_START, money

SUPERVISOR = Actor("s.kim", Role.SUPERVISOR)


def new_desk() -> CaseDesk:
    return CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))


WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _paid(desk: CaseDesk, *payments: Money) -> UUID:
    case_id = desk.open_case(
        customer=Customer("c1", "Dana"),
        subject="money",
        channel=Channel.PHONE,
        by=SUPERVISOR,
        occurred_at=WHEN,
    )
    desk.assign_agent(case_id, agent=SUPERVISOR, by=SUPERVISOR, occurred_at=WHEN)
    for amount in payments:
        desk.record_payment(case_id, amount=amount, reference="p", by=SUPERVISOR, occurred_at=WHEN)
    return case_id


# Amounts of everyday size: up to 12 digits before the point, exactly 4 after.
everyday = money("EUR", min_value=Decimal("0.0001"), max_value=Decimal("999999999999"), places=4)


@given(st.lists(everyday, min_size=1, max_size=6))
def test_refunding_exactly_what_was_paid_leaves_nothing_refundable(payments: list[Money]) -> None:
    desk = new_desk()
    case_id = _paid(desk, *payments)
    paid = sum((payment.amount for payment in payments), Decimal(0))

    desk.issue_refund(
        case_id, amount=Money(paid, "EUR"), reason="all", by=SUPERVISOR, occurred_at=WHEN
    )

    balance = desk.case(case_id).ledger.balance("EUR")
    assert balance.paid == balance.refunded == Money(paid, "EUR")
    assert balance.refundable == Money("0", "EUR")
    with pytest.raises(RefundExceedsPaid):
        desk.issue_refund(
            case_id,
            amount=Money("0.0001", "EUR"),
            reason="one more",
            by=SUPERVISOR,
            occurred_at=WHEN,
        )


@pytest.mark.parametrize(
    "amount", ["12345678901234567890123456789.60", "1000000000000000", "0.00001", "-1E+15"]
)
def test_amounts_that_ledger_totals_could_not_keep_exact_are_refused(amount: str) -> None:
    with pytest.raises(InvalidInput, match="at most 4 decimal places and stay below 10\\*\\*15"):
        Money(amount, "USD")
