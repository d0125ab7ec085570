"""A third party's property test: a projection of our own, built from the events of
case histories, checked against casehistory's own ledger over histories Hypothesis draws.

Run:  python examples/projection_property_test.py
  or  pytest examples/projection_property_test.py

The projection is the code under test: money kept per currency (paid, less refunded),
read from a case's events by their classes (``casehistory.events``). Each history is
recorded on a fresh desk (``history.apply``) and read back with ``desk.history``, so the
test runs our code on histories the desk accepted, rules and all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

from hypothesis import given, settings

from casehistory import CaseDesk, SteppingClock
from casehistory.events import CaseEvent, PaymentRecorded, RefundIssued
from casehistory.testing import CaseHistory
from casehistory.testing.strategies import CLOCK_START, case_histories


def money_kept(events: Iterable[CaseEvent]) -> dict[str, Decimal]:
    """Our projection: per currency, what was paid less what was refunded (nonzero only)."""
    kept: Counter[str] = Counter()
    for event in events:
        if isinstance(event, PaymentRecorded):
            kept[event.amount.currency] += event.amount.amount
        elif isinstance(event, RefundIssued):
            kept[event.amount.currency] -= event.amount.amount
    return {currency: amount for currency, amount in kept.items() if amount}


@settings(max_examples=60, deadline=None, database=None)
@given(case_histories(max_commands=15))
def test_money_kept_agrees_with_the_ledger(history: CaseHistory) -> None:
    with CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START)) as desk:
        case_id = history.apply(desk)
        events = desk.history(case_id)
        ledger = desk.case(case_id).ledger.balances
    kept = {c: (b.paid - b.refunded).amount for c, b in ledger.items()}
    expected = {c: amount for c, amount in kept.items() if amount}
    assert money_kept(events) == expected


if __name__ == "__main__":
    test_money_kept_agrees_with_the_ledger()
    print("money_kept agrees with the ledger on 60 drawn case histories")
