"""Drawn histories are valid by construction, reach the whole vocabulary, shrink to short
scripts, and extend one command at a time for many cases at once; invalid commands
raise exactly the error drawn with them."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from casehistory import (
    EVENT_TYPES,
    TRANSITIONS,
    CaseDesk,
    CaseHistoryError,
    Policies,
    Status,
    SteppingClock,
    errors,
)
from casehistory.domain import rights
from casehistory.domain.declarations import CUSTOMER_COMMANDS
from casehistory.domain.events import PERSONAL
from casehistory.testing import CaseHistory, CaseModel, Command
from casehistory.testing import _rules as spec
from casehistory.testing._raw import Reader, decoder
from casehistory.testing._values import text_of
from casehistory.testing._vocabulary import STEPS
from casehistory.testing.strategies import (
    CLOCK_START,
    case_histories,
    invalid_commands,
    next_command,
    next_invalid_command,
    products,
)
from casehistory.views.ledger import Ledger

SAMPLE = settings(
    max_examples=300,
    database=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)
"""300 draws, the same on every run."""


def new_desk() -> CaseDesk:
    return CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))


def event_distribution(examples: int = 300) -> Counter[str]:
    """How often each event type appears in ``examples`` default histories."""
    seen: Counter[str] = Counter()

    @settings(SAMPLE, max_examples=examples)
    @given(case_histories())
    def draw(history: CaseHistory) -> None:
        seen["CaseOpened"] += 1
        seen.update(command.event for command in history.commands)

    draw()
    return seen


@pytest.mark.usefixtures("same_search_whatever_is_imported")
def test_every_event_type_is_reached_in_300_histories() -> None:
    # Derandomized, but what Hypothesis draws also depends on the constants of the
    # modules loaded before: pinned, so the suite and this file alone draw the same.
    seen = event_distribution(300)

    print("\nevents in 300 histories:", ", ".join(f"{e} {n}" for e, n in seen.most_common()))
    # A command that acts on every case of a customer (forget_customer) is the desk's,
    # not one case's: the toolkit never draws it, and draws every event of the others.
    customer_wide = {d.event.__name__ for d in CUSTOMER_COMMANDS.values()}
    assert customer_wide == {"CustomerForgotten"}
    missing = [e.__name__ for e in EVENT_TYPES if not seen[e.__name__]]
    assert sorted(missing) == sorted(customer_wide)


FIND = settings(
    database=None, derandomize=True, max_examples=1000, phases=[Phase.generate, Phase.shrink]
)
"""Search until found, then shrink: as Hypothesis reports a failing example."""


@pytest.mark.usefixtures("same_search_whatever_is_imported")
class TestShrinking:
    def test_a_history_with_a_refund_shrinks_to_the_commands_it_needs(self) -> None:
        found = find(
            case_histories(max_commands=20),
            lambda h: any(c.method == "issue_refund" for c in h.commands),
            settings=FIND,
        )

        # A refund needs an assigned case and a payment before it. The shrinker may stop
        # at a local minimum with a command or two it could not delete (which ones
        # depends on the search), never at a long history.
        methods = [c.method for c in found.commands]
        assert {"assign_agent", "issue_refund", "record_payment"} <= set(methods)
        assert methods.index("record_payment") < methods.index("issue_refund")
        assert len(methods) <= 5, methods

    def test_a_history_with_a_released_hold_shrinks_to_placing_and_releasing_it(self) -> None:
        found = find(
            case_histories(max_commands=20),
            lambda h: any(c.method == "release_hold" for c in h.commands),
            settings=FIND,
        )

        assert [c.method for c in found.commands] == ["place_hold", "release_hold"]
        assert repr(found.commands[0]).startswith("desk.place_hold(case, amount=Money('0.01', ")


class TestTheModelsRulesAreTheLibrarys:
    """The model keeps its own copy of the rules, so that a bug in the library's tables
    disagrees with it; while the library is right, the two copies are equal."""

    def test_the_lifecycle_table(self) -> None:
        assert {k: dict(row) for k, row in spec.LIFECYCLE.items()} == {
            k: dict(row) for k, row in TRANSITIONS.items()
        }

    def test_the_rights_and_approvers(self) -> None:
        assert dict(spec.RIGHTS) == dict(rights.RIGHTS)
        assert dict(spec.APPROVERS) == dict(rights.APPROVERS)
        assert spec.SUPERVISORS == rights.SUPERVISOR_OR_ABOVE
        assert spec.COMMENDATION_SOURCES == rights.COMMENDATION_SOURCES

    def test_the_personal_fields(self) -> None:
        assert dict(spec.PERSONAL) == {e.__name__: frozenset(f) for e, f in PERSONAL.items()}

    def test_the_default_policies(self) -> None:
        policies = Policies()

        assert policies.return_window.days == spec.RETURN_WINDOW_DAYS
        assert policies.warranty.days == spec.WARRANTY_DAYS
        assert policies.goodwill_limit.limit == spec.GOODWILL_LIMIT


class TestOneCommandAtATime:
    @settings(max_examples=25, deadline=None)
    @given(st.lists(st.none() | products(), min_size=3, max_size=3), st.data())
    def test_many_cases_extended_step_by_step_agree_with_their_models(
        self, products_: list[Any], data: st.DataObject
    ) -> None:
        desk = new_desk()
        opening = data.draw(case_histories(max_commands=0)).opening
        openings = [{**opening, "product": p} for p in products_]
        ids = [desk.open_case(**each) for each in openings]
        models = {
            case_id: CaseModel.of_opening(each, [i for i in ids if i != case_id])
            for case_id, each in zip(ids, openings, strict=True)
        }

        for _ in range(data.draw(st.integers(10, 40), label="steps")):
            case_id = data.draw(st.sampled_from(ids), label="case")
            if data.draw(st.booleans(), label="refused"):
                command, error = data.draw(next_invalid_command(models[case_id]))
                with pytest.raises(error):
                    command.apply(desk, case_id)
            else:
                command = data.draw(next_command(models[case_id]))
                command.apply(desk, case_id)
                models[case_id] = models[case_id].after(command)

        for case_id, model in models.items():
            view = desk.case(case_id)
            assert (view.version, view.status) == (model.version, model.status)
            assert view.ledger == Ledger.of(model.ledger)
            assert view.links == model.links

    def test_drawing_does_not_change_the_model(self) -> None:
        model = CaseModel()

        @given(next_command(model))
        def draw(command: Command) -> None:
            assert model == CaseModel()

        draw()

    def test_the_model_refuses_what_the_table_refuses(self) -> None:
        close = Command("close_case", {"by": spec.CAST[0], "occurred_at": CLOCK_START})

        with pytest.raises(ValueError, match="CaseClosed is not allowed in NEW"):
            CaseModel().after(close)

    @pytest.mark.parametrize("model", [None, "NEW", Status.NEW])
    def test_a_model_is_required(self, model: Any) -> None:
        with pytest.raises(InvalidArgument):
            next_command(model)
        with pytest.raises(InvalidArgument):
            next_invalid_command(model)


RULE_ERRORS = {
    errors.NotAuthorised,
    errors.SelfApprovalForbidden,
    errors.GoodwillAboveLimit,
    errors.PolicyExceptionRequired,
    errors.InvalidInput,
    errors.OccurredInFuture,
    errors.TransitionNotAllowed,
    errors.CaseIsClosed,
    errors.EscalationAlreadyPending,
    errors.EscalationNotPending,
    errors.RefundExceedsPaid,
    errors.ReleaseExceedsHold,
    errors.CurrencyMismatch,
    errors.HoldNotFound,
    errors.NoRefundRequested,
    errors.RmaNotFound,
    errors.RmaOutOfOrder,
    errors.RepairNotCovered,
    errors.CancellationNotRequested,
    errors.ProductRequired,
    errors.CaseNotFound,
    errors.CaseAlreadyExists,
}
"""Every error a rule raises for a command on an existing case, with the desk's clock
steady. Not drawn: StoreTimeWentBackwards and ConcurrentUpdate need a clock turned back or
a second writer (CaseDeskMachine makes both, see test_machine.py); StoreUnavailable a
broken store (tests/unit/test_refusals_record_nothing.py)."""


class TestInvalidCommands:
    def test_every_rule_error_is_drawn(self) -> None:
        # After every command of 300 histories: the states where a rule can be broken
        # (a closed case, a pending escalation, a return in service) come and go.
        drawn: set[type[CaseHistoryError]] = set()

        @settings(SAMPLE, max_examples=300)
        @given(case_histories(), st.data())
        def draw(history: CaseHistory, data: st.DataObject) -> None:
            for model in history.models():
                drawn.add(data.draw(next_invalid_command(model))[1])

        draw()

        assert sorted(e.__name__ for e in RULE_ERRORS - drawn) == []
        assert drawn <= RULE_ERRORS

    @settings(max_examples=150, deadline=None)
    @given(invalid_commands())
    def test_the_desk_raises_exactly_the_error_drawn(
        self, case: tuple[CaseHistory, Command, type[CaseHistoryError]]
    ) -> None:
        history, command, expected = case
        desk = new_desk()
        case_id = history.apply(desk)

        with pytest.raises(CaseHistoryError) as refused:
            command.apply(desk, case_id)

        assert type(refused.value) is expected
        assert len(desk.history(case_id)) == history.model.version


class TestRawRows:
    """Histories are drawn a fixed row of choices per command (casehistory.testing._raw):
    every argument must decode from the row, or the command takes extra choices and the
    shrinker's edits of one command move the ones after it."""

    def test_every_argument_a_step_draws_decodes_from_one_number(self) -> None:
        undecodable = [
            f"{step.key}.{name}"
            for step in STEPS
            for name, strategy in [*step.args.items(), ("by", step.by)]
            if decoder(strategy) is None and not (step.narrow and name == "other_case_id")
        ]

        assert undecodable == []

    def test_no_history_draws_beyond_its_rows(self, monkeypatch: pytest.MonkeyPatch) -> None:
        beyond: list[int] = []
        drawn = Reader.__call__

        def counting(self: Reader, strategy: Any) -> Any:
            value = drawn(self, strategy)
            beyond.append(self.extra)
            return value

        monkeypatch.setattr(Reader, "__call__", counting)

        @SAMPLE
        @given(case_histories(), st.data())
        def draw(history: CaseHistory, data: st.DataObject) -> None:
            data.draw(next_command(history.model))

        draw()

        assert beyond
        assert not any(beyond)

    def test_a_text_of_zero_is_the_simplest_and_none_is_blank(self) -> None:
        texts = [text_of(n) for n in range(5000)]

        assert texts[0] == "0"
        assert all(t.strip() for t in texts)
        assert all(1 <= len(t) <= 13 for t in texts)
        assert not any("\ud800" <= c <= "\udfff" for t in texts for c in t)
        assert len(set(texts)) > 4500  # one-character texts repeat
