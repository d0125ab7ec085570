"""Properties of every valid history: replay, folds and money."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from histories import CURRENCIES, History, histories, new_desk
from hypothesis import given, settings

from casehistory import CaseEvent, CaseView
from casehistory.domain import events as ev
from casehistory.domain.ledger import LEDGER_COLUMNS
from casehistory.domain.state import CaseState, evolve, fold
from casehistory.views.case import case_view

# Ledger column -> the events that add to it, and the field holding the money.
MONEY_EVENTS: dict[str, tuple[type[CaseEvent], str]] = {
    "paid": (ev.PaymentRecorded, "amount"),
    "refunded": (ev.RefundIssued, "amount"),
    "credited": (ev.CreditIssued, "amount"),
    "goodwill": (ev.GoodwillGranted, "value"),
    "held": (ev.HoldPlaced, "amount"),
    "released": (ev.HoldReleased, "amount"),
}


def _sum(events: tuple[CaseEvent, ...], column: str, currency: str) -> Decimal:
    event_type, attribute = MONEY_EVENTS[column]
    return sum(
        (
            getattr(e, attribute).amount
            for e in events
            if type(e) is event_type and getattr(e, attribute).currency == currency
        ),
        Decimal(0),
    )


def _assert_matches_model(view: CaseView, state: CaseState, history: History) -> None:
    """The fold agrees with the independent model the history was drawn from."""
    model = history.model
    assert view.version == model.version
    assert view.status is model.status
    assert view.department == model.department
    assert state.refund_requested is not None if model.refund_requested else True
    for currency in CURRENCIES:
        balance = view.ledger.balance(currency)
        for column in LEDGER_COLUMNS:
            assert getattr(balance, column) == model.total(column, currency), (column, currency)
    assert {h.reference: h.outstanding for h in view.open_holds} == {
        ref: left for ref, left in model.holds.items() if left.amount > 0
    }
    assert [(e.to, e.requested_by, e.outcome.name) for e in view.escalations] == [
        (e["to"], e["requested_by"], e["outcome"]) for e in model.escalations
    ]
    assert {r.number: (r.stage, r.return_shipping_paid_by, r.inspection) for r in view.rmas} == {
        n: (r["stage"], r["payer"], r["inspection"]) for n, r in model.rmas.items()
    }


@given(histories())
def test_views_equal_a_fold_of_the_events(history: History) -> None:
    desk = new_desk()

    case_id = history.apply(desk)

    events = desk.history(case_id)
    view = desk.case(case_id)
    assert view == case_view(events)
    assert desk._load(case_id).state == fold(events)
    _assert_matches_model(view, fold(events), history)


@settings(max_examples=40)
@given(histories())
def test_replay_on_a_new_desk_gives_the_same_answers(history: History) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "cases.sqlite")
        desk = new_desk(path)
        case_id = history.apply(desk)
        view, trail, ids = desk.case(case_id), desk.trail(case_id), list(desk.case_ids())
        state = desk._load(case_id).state
        desk.close()

        reopened = new_desk(path)

        assert reopened.case(case_id) == view
        assert reopened.trail(case_id) == trail
        assert list(reopened.case_ids()) == ids == [history.other_case_id, case_id]
        assert reopened._load(case_id).state == state
        reopened.close()


@given(histories(min_steps=5, max_steps=40))
def test_money_is_conserved_at_every_prefix(history: History) -> None:
    desk = new_desk()
    case_id = history.apply(desk)
    events = desk.history(case_id)

    state = None
    for k, event in enumerate(events, start=1):
        state = evolve(state, event)
        for currency in CURRENCIES:
            balance = state.ledger.balance(currency)
            assert balance.paid - balance.refunded >= 0
            assert balance.held - balance.released >= 0
            for column in LEDGER_COLUMNS:
                assert getattr(balance, column) == _sum(events[:k], column, currency), column
        assert all(h.outstanding.amount >= 0 for h in state.holds.values())
        assert sum(h.released.amount for h in state.holds.values()) == sum(
            state.ledger.balance(c).released for c in CURRENCIES
        )
    assert state is not None
    _assert_matches_model(desk.case(case_id), state, history)
