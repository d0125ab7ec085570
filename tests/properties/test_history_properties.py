"""Properties of every valid history, drawn by casehistory.testing: replay, folds and money."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings

from casehistory import CaseDesk, CaseEvent, CaseView, RepairCoverage, SteppingClock
from casehistory.domain import events as ev
from casehistory.domain.ledger import LEDGER_COLUMNS
from casehistory.domain.state import CaseState, evolve, fold
from casehistory.testing import CaseHistory, CaseModel
from casehistory.testing._shown import as_shown
from casehistory.testing.strategies import CLOCK_START, CURRENCIES, case_histories
from casehistory.views.case import case_view
from casehistory.views.ledger import Ledger

# Ledger column -> the events that add to it, and the field holding the money.
MONEY_EVENTS: dict[str, tuple[type[CaseEvent], str]] = {
    "paid": (ev.PaymentRecorded, "amount"),
    "refunded": (ev.RefundIssued, "amount"),
    "credited": (ev.CreditIssued, "amount"),
    "goodwill": (ev.GoodwillGranted, "value"),
    "held": (ev.HoldPlaced, "amount"),
    "released": (ev.HoldReleased, "amount"),
}


def _goodwill_cover(event: CaseEvent) -> bool:
    """Rules 2: a repair covered by GOODWILL is goodwill given, its cost counted as such
    (every drawn history opens under rules 2)."""
    return type(event) is ev.RepairCompleted and event.covered_by is RepairCoverage.GOODWILL


def new_desk(location: str = ":memory:") -> CaseDesk:
    """A desk with the default policies, its clock after every drawn business time."""
    return CaseDesk.open(location, clock=SteppingClock(CLOCK_START))


def _sum(events: tuple[CaseEvent, ...], column: str, currency: str) -> Decimal:
    event_type, attribute = MONEY_EVENTS[column]
    given = [getattr(e, attribute) for e in events if type(e) is event_type]
    if column == "goodwill":
        given += [e.cost for e in events if _goodwill_cover(e)]  # type: ignore[attr-defined]
    return sum((money.amount for money in given if money.currency == currency), Decimal(0))


def _assert_state_matches(state: CaseState, model: CaseModel) -> None:
    """The fold agrees with the independent model the history was drawn from (the
    state holds each personal text sealed: compared as a view shows it)."""
    assert state.status is model.status
    assert state.department == model.department
    assert state.agent == model.agent
    assert state.fault is model.fault
    assert state.ledger.balances == model.ledger
    assert as_shown(state.holds) == model.holds
    assert as_shown(state.escalations) == model.escalations
    assert state.rmas == model.rmas
    assert state.refund_requested == model.refund_requested
    assert set(state.cancellations_requested) == model.cancellations
    assert [link.relation for link in state.links] == [link.relation for link in model.links]


def _assert_view_matches(view: CaseView, model: CaseModel) -> None:
    assert view.version == model.version
    assert view.status is model.status
    assert view.ledger == Ledger.of(model.ledger)
    assert view.open_holds == model.open_holds
    assert view.escalations == model.escalations
    assert view.rmas == tuple(model.rmas.values())


@given(case_histories())
def test_views_equal_a_fold_of_the_events(history: CaseHistory) -> None:
    desk = new_desk()

    case_id = history.apply(desk)

    events = desk.history(case_id)
    view = desk.case(case_id)
    assert view == case_view(events)
    assert desk._load(case_id).state == fold(events)
    _assert_view_matches(view, history.model)
    _assert_state_matches(fold(events), history.model)


@settings(max_examples=40, deadline=None)  # a SQLite file per example
@given(case_histories())
def test_replay_on_a_new_desk_gives_the_same_answers(history: CaseHistory) -> None:
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
        assert list(reopened.case_ids()) == ids
        assert ids[0] == case_id  # then its companion, opened by the first link
        assert len(ids) == (2 if history.links_other_case else 1)
        assert reopened._load(case_id).state == state
        reopened.close()


@given(case_histories(min_commands=5, max_commands=40))
def test_money_is_conserved_at_every_prefix(history: CaseHistory) -> None:
    desk = new_desk()
    case_id = history.apply(desk)
    events = desk.history(case_id)

    state = None
    for k, (event, model) in enumerate(zip(events, history.models(), strict=True), start=1):
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
        _assert_state_matches(state, model)
    assert state is not None
    _assert_view_matches(desk.case(case_id), history.model)
