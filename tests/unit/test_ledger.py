"""The money ledger of a case: refunds never exceed payments, releases never exceed holds."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from uuid import UUID

import pytest

from casehistory import (
    CaseDesk,
    CurrencyMismatch,
    HoldNotFound,
    InvalidInput,
    Money,
    NoRefundRequested,
    RefundExceedsPaid,
    ReleaseExceedsHold,
)


def _load_builders() -> ModuleType:
    name = "casehistory_unit_builders"
    if name not in sys.modules:
        path = Path(__file__).with_name("_builders.py")
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


_b = _load_builders()
AGENT, T, memory_desk, open_assigned_case = _b.AGENT, _b.T, _b.memory_desk, _b.open_assigned_case
eur, usd, pay, refund, place_hold, release = (
    _b.eur,
    _b.usd,
    _b.pay,
    _b.refund,
    _b.place_hold,
    _b.release,
)
event_count, last_event = _b.event_count, _b.last_event


def _request(desk: CaseDesk, case_id: UUID, amount: Money) -> None:
    desk.request_refund(case_id, amount=amount, reason="changed mind", by=AGENT, occurred_at=T)


def _deny(desk: CaseDesk, case_id: UUID) -> None:
    desk.deny_refund(case_id, reason="no refund owed", by=AGENT, occurred_at=T)


class TestIssueRefund:
    def test_cannot_refund_more_than_was_paid(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        pay(desk, case_id, eur("100.00"))
        before = event_count(desk, case_id)

        with pytest.raises(
            RefundExceedsPaid,
            match=r"refund of 100\.01 EUR exceeds the 100\.00 EUR still refundable .* "
            r"\(rule: refunds never exceed payments, per currency\); issue at most 100\.00 EUR",
        ):
            refund(desk, case_id, eur("100.01"))

        assert event_count(desk, case_id) == before

    def test_can_refund_exactly_what_was_paid(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        pay(desk, case_id, eur("100.00"))

        refund(desk, case_id, eur("100.00"))

        assert desk.case(case_id).ledger.balance("EUR").refundable == eur("0.00")

    def test_partial_refunds_add_up_against_the_payments(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        pay(desk, case_id, eur("100.00"))
        refund(desk, case_id, eur("60.00"))

        with pytest.raises(RefundExceedsPaid, match=r"exceeds the 40\.00 EUR still refundable"):
            refund(desk, case_id, eur("40.01"))

        refund(desk, case_id, eur("40.00"))
        assert desk.case(case_id).ledger.balance("EUR").refunded == Money("100.00", "EUR")

    def test_cannot_refund_when_nothing_was_paid(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        with pytest.raises(RefundExceedsPaid, match=r"record a payment first"):
            refund(desk, case_id, eur("0.01"))

        assert desk.case(case_id).ledger.currencies == ()

    def test_paying_in_euros_does_not_allow_a_refund_in_dollars(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        pay(desk, case_id, eur("100.00"))
        before = event_count(desk, case_id)

        with pytest.raises(
            RefundExceedsPaid,
            match=r"refund of 10\.00 USD exceeds the 0\.00 USD still refundable .*per currency",
        ):
            refund(desk, case_id, usd("10.00"))

        assert event_count(desk, case_id) == before

    def test_payments_in_two_currencies_are_refundable_separately(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        pay(desk, case_id, eur("100.00"))
        pay(desk, case_id, usd("30.00"))

        refund(desk, case_id, usd("30.00"))

        ledger = desk.case(case_id).ledger
        assert ledger.balance("USD").refundable == usd("0.00")
        assert ledger.balance("EUR").refundable == eur("100.00")

    @pytest.mark.parametrize("amount", ["0", "-5.00"])
    def test_a_refund_must_be_more_than_zero(self, amount: str) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        pay(desk, case_id, eur("100.00"))

        with pytest.raises(InvalidInput, match=r"amount must be more than zero"):
            refund(desk, case_id, eur(amount))

        assert desk.case(case_id).ledger.balance("EUR").refunded == Money("0.00", "EUR")


class TestReleaseHold:
    def test_cannot_release_under_a_hold_that_was_never_placed(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        place_hold(desk, case_id, usd("6000.00"), "HOLD-1")
        before = event_count(desk, case_id)

        with pytest.raises(
            HoldNotFound,
            match=r"has no hold 'HOLD-9' \(holds: HOLD-1\) \(rule: a release names a placed "
            r"hold\); check the reference",
        ):
            release(desk, case_id, usd("10.00"), "HOLD-9")

        assert event_count(desk, case_id) == before

    def test_cannot_release_more_than_is_held(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        place_hold(desk, case_id, usd("6000.00"))
        before = event_count(desk, case_id)

        with pytest.raises(
            ReleaseExceedsHold,
            match=r"release of 6,000\.01 USD exceeds the 6,000\.00 USD still held under 'HOLD-1' "
            r".*\(rule: releases never exceed holds",
        ):
            release(desk, case_id, usd("6000.01"))

        assert event_count(desk, case_id) == before

    def test_partial_releases_add_up_against_the_hold(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        place_hold(desk, case_id, usd("6000.00"))
        release(desk, case_id, usd("4000.00"))
        release(desk, case_id, usd("2000.00"))

        with pytest.raises(ReleaseExceedsHold, match=r"exceeds the 0\.00 USD still held"):
            release(desk, case_id, usd("0.01"))

        view = desk.case(case_id)
        assert view.open_holds == ()
        assert view.ledger.balance("USD").released == Money("6000.00", "USD")

    def test_a_release_counts_only_against_its_own_hold(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        place_hold(desk, case_id, usd("100.00"), "HOLD-1")
        place_hold(desk, case_id, usd("100.00"), "HOLD-2")

        with pytest.raises(ReleaseExceedsHold, match=r"still held under 'HOLD-1'"):
            release(desk, case_id, usd("150.00"), "HOLD-1")

        assert len(desk.case(case_id).open_holds) == 2

    def test_releasing_another_currency_than_the_hold_is_refused(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        place_hold(desk, case_id, usd("6000.00"))
        before = event_count(desk, case_id)

        with pytest.raises(CurrencyMismatch, match=r"rule: no arithmetic across currencies"):
            release(desk, case_id, eur("10.00"))

        assert event_count(desk, case_id) == before

    def test_a_hold_reference_is_used_once(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        place_hold(desk, case_id, usd("100.00"))

        with pytest.raises(InvalidInput, match=r"hold 'HOLD-1' already exists"):
            place_hold(desk, case_id, usd("5.00"))

        assert desk.case(case_id).ledger.balance("USD").held == Money("100.00", "USD")


class TestDenyRefund:
    def test_cannot_deny_a_refund_nobody_requested(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        before = event_count(desk, case_id)

        with pytest.raises(
            NoRefundRequested,
            match=r"no pending refund request to deny \(rule: a denial answers a request\)",
        ):
            _deny(desk, case_id)

        assert event_count(desk, case_id) == before

    def test_denies_a_pending_request_without_moving_money(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        pay(desk, case_id, eur("100.00"))
        _request(desk, case_id, eur("100.00"))

        _deny(desk, case_id)

        assert type(last_event(desk, case_id)).__name__ == "RefundDenied"
        assert desk.case(case_id).ledger.balance("EUR").refunded == Money("0.00", "EUR")

    def test_cannot_deny_the_same_request_twice(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        _request(desk, case_id, eur("100.00"))
        _deny(desk, case_id)

        with pytest.raises(NoRefundRequested, match=r"rule: a denial answers a request"):
            _deny(desk, case_id)

    def test_cannot_deny_a_request_already_answered_by_a_refund(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        pay(desk, case_id, eur("100.00"))
        _request(desk, case_id, eur("100.00"))
        refund(desk, case_id, eur("100.00"))

        with pytest.raises(NoRefundRequested, match=r"rule: a denial answers a request"):
            _deny(desk, case_id)


def test_a_balance_is_its_currency_then_the_ledger_columns_in_order() -> None:
    # Ledger.add makes a Balance positionally, in this order: a field added to Balance
    # must go into LEDGER_COLUMNS too, or this fails.
    import attrs

    from casehistory.domain.ledger import LEDGER_COLUMNS, Balance

    assert tuple(field.name for field in attrs.fields(Balance)) == ("currency", *LEDGER_COLUMNS)


@pytest.mark.parametrize("column", ["paid", "refunded", "credited", "goodwill", "held", "released"])
def test_adding_to_a_column_changes_that_column_alone(column: str) -> None:
    from decimal import Decimal

    from casehistory.domain.ledger import LEDGER_COLUMNS, Ledger

    start = Ledger()
    for n, name in enumerate(LEDGER_COLUMNS):
        start = start.add(name, Money(Decimal(n + 1), "EUR"))
    after = start.add(column, Money(Decimal("0.25"), "EUR"))
    for n, name in enumerate(LEDGER_COLUMNS):
        expected = Decimal(n + 1) + (Decimal("0.25") if name == column else 0)
        assert getattr(after.balance("EUR"), name) == expected
    assert after.balance("EUR").currency == "EUR"
