"""Breaks found by an adversarial review of issue 10 (hostile input and operations),
each a test that failed before its fix:

- a store re-encoded the way the docs say still verifies (``json.dumps`` spacing, a
  PostgreSQL ``jsonb`` round trip) hides every recorded command id from the desk, so a
  repeated delivery is recorded a second time, and ``verify`` still passes;
- an argument with no canonical JSON (a lone surrogate, an integer beyond 2**53 - 1)
  given with ``command_id`` escapes as ``rfc8785``'s ``CanonicalizationError``;
- ``Money`` keeps a ``Decimal`` subclass, which no command can store;
- a desk's ``Policies`` are not checked at ``CaseDesk.open``: a ``policy_id`` that is
  no text is recorded into events the desk's own ``verify`` flags, and bad versions or
  windows escape as ``rfc8785`` and ``OverflowError`` errors from commands.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from casehistory import (
    MAX_TEXT_BYTES,
    Actor,
    CaseDesk,
    Channel,
    Customer,
    FixedClock,
    InvalidInput,
    Money,
    Product,
    Role,
)
from casehistory.audit.verify import verify_cases
from casehistory.domain.policies import Policies, ReturnWindowPolicy

AGENT = Actor("a.lee", Role.AGENT)
WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PRODUCT = Product("SKU-1", "Kettle", date(2026, 2, 20), Money("40.00", "EUR"))


def _case(desk: CaseDesk, *, product: Product | None = None) -> Any:
    return desk.open_case(
        customer=Customer("c-1", "Dana"),
        subject="kettle leaks",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=WHEN,
        product=product,
    )


def test_a_repeat_on_a_re_encoded_store_is_still_recorded_once(
    open_desk: Callable[[], CaseDesk], raw_sql: Any
) -> None:
    desk = open_desk()
    case_id = _case(desk)
    first = desk.add_note(
        case_id, text="refund agreed", by=AGENT, occurred_at=WHEN, command_id="hook-1"
    )
    # What a DBA's migration through jsonb (or any JSON tool) writes back: the same JSON,
    # ", " and ": " between items. The digests cover the content, so the store verifies.
    for version in (1, first):
        state = json.loads(raw_sql.state(case_id, version))
        raw_sql.set_state(case_id, version, json.dumps(state).encode())
    assert verify_cases(desk, [case_id]).ok

    again = desk.add_note(
        case_id, text="refund agreed", by=AGENT, occurred_at=WHEN, command_id="hook-1"
    )

    assert again == first
    assert desk.case(case_id).version == first  # recorded once


@pytest.mark.parametrize("text", ["lone \ud800 surrogate", 2**64], ids=["surrogate", "big-int"])
def test_an_argument_with_no_canonical_form_and_a_command_id_is_invalid_input(
    text: object,
) -> None:
    with CaseDesk.open(":memory:", clock=FixedClock(WHEN)) as desk:
        case_id = _case(desk)
        with pytest.raises(InvalidInput):
            desk.add_note(case_id, text=text, by=AGENT, occurred_at=WHEN, command_id="n-1")  # type: ignore[arg-type]
        assert desk.case(case_id).version == 1


class _Amount(Decimal):
    """A Decimal subclass, as some integrations wrap amounts."""


def test_money_from_a_decimal_subclass_is_recorded_as_a_decimal() -> None:
    try:
        amount = Money(_Amount("49.00"), "EUR")
    except InvalidInput:
        return  # refused by name: as good as a plain Decimal
    assert type(amount.amount) is Decimal
    with CaseDesk.open(":memory:", clock=FixedClock(WHEN)) as desk:
        case_id = _case(desk)
        version = desk.record_payment(
            case_id, amount=amount, reference="PSP-1", by=AGENT, occurred_at=WHEN
        )
        assert version == 2


@pytest.mark.parametrize(
    "settings",
    [
        {"policy_id": 42},
        {"policy_id": None},
        {"policy_id": "lone \ud800"},
        {"policy_id": "P" * (MAX_TEXT_BYTES + 1)},
        {"version": "1"},
        {"version": 2**60},
        {"days": 3_000_000},
    ],
    ids=["id-int", "id-none", "id-surrogate", "id-too-long", "version-str", "version-huge", "days"],
)
def test_a_policy_no_command_could_record_is_refused_at_open(settings: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        CaseDesk.open(":memory:", policies=Policies(return_window=ReturnWindowPolicy(**settings)))


def test_a_policy_whose_id_is_no_text_is_refused_before_any_desk_has_it() -> None:
    # A desk opened with it recorded EntitlementChecked events its own verify flagged.
    with pytest.raises(InvalidInput, match="policy_id must be a non-empty string"):
        ReturnWindowPolicy(policy_id=42)  # type: ignore[arg-type]
