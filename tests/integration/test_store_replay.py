"""A realistic case on a real store, read back by a new desk: the same answers."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from casehistory import CaseDesk, Money, Status
from casehistory.domain.state import fold

RealisticCase = Callable[[CaseDesk], tuple[UUID, UUID]]


def test_a_new_desk_on_the_same_store_gives_identical_views(
    open_desk: Callable[[], CaseDesk], realistic_case: RealisticCase
) -> None:
    desk = open_desk()
    case_id, related = realistic_case(desk)
    view, trail, history = desk.case(case_id), desk.trail(case_id), desk.history(case_id)

    reopened = open_desk()

    assert reopened.case(case_id) == view
    assert reopened.trail(case_id) == trail
    assert str(reopened.trail(case_id)) == str(trail)
    assert reopened.history(case_id) == history
    assert reopened.case(related) == desk.case(related)
    assert reopened._load(case_id).state == fold(history)
    # The story itself, as the new desk tells it.
    assert view.status is Status.CLOSED
    assert view.version == len(history) == 39
    usd = view.ledger.balance("USD")
    assert (usd.paid, usd.refunded, usd.credited) == tuple(
        Money(c, "USD") for c in ("89", "89", "75")
    )
    assert (usd.held, usd.released) == (Money("6012.50", "USD"), Money("6012.50", "USD"))
    assert view.open_holds == ()
    assert view.ledger.balance("EUR").goodwill == Money("19.99", "EUR")
    assert [e.outcome.name for e in view.escalations] == ["APPROVED", "DENIED"]


def test_case_ids_lists_exactly_the_cases_in_the_order_opened(
    open_desk: Callable[[], CaseDesk], realistic_case: RealisticCase
) -> None:
    desk = open_desk()
    assert list(desk.case_ids()) == []

    case_id, related = realistic_case(desk)
    third, related_to_third = realistic_case(desk)

    expected = [related, case_id, related_to_third, third]
    assert list(desk.case_ids()) == expected
    assert list(open_desk().case_ids()) == expected
