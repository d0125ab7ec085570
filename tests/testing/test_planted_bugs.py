"""Proof that the toolkit finds bugs: each test plants one realistic bug in the library
(undone by ``monkeypatch``), runs the shipped :class:`CaseDeskMachine` with default-ish
settings, and checks that it fails for the right reason with a counterexample of a
handful of commands.

The counterexample is read from the notes Hypothesis adds to the error: one
``state.<rule>(...)`` line per step of the machine (opening the first case included).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import attrs
import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from casehistory.domain import _support, lifecycle, rights
from casehistory.domain import events as ev
from casehistory.domain import state as fold_module
from casehistory.domain.ledger import Ledger
from casehistory.domain.lifecycle import Status
from casehistory.domain.policies import Policies
from casehistory.errors import NotAuthorised, TransitionNotAllowed
from casehistory.testing.machine import CaseDeskMachine

PLANTED = settings(
    max_examples=500,
    stateful_step_count=8,
    deadline=None,
    database=None,
    derandomize=True,  # the same counterexample every run
    report_multiple_bugs=False,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],  # no slow "explain" phase
)

HANDFUL = 8
"""The most steps a shrunk counterexample may take, opening the case included."""

_STEP = re.compile(r"^state\.(open_first_case|open_case|accepted_command|refused_command)\(", re.M)


class OneCase(CaseDeskMachine):
    """The shipped machine on one case at a time: every step works on the case in question."""

    max_cases = 1


def counterexample(machine: type[CaseDeskMachine] = OneCase) -> tuple[str, list[str]]:
    """Run ``machine``; return the error's message and the rules of the shrunk example."""
    with pytest.raises(Exception) as failure:  # noqa: PT011  (any failure, checked below)
        run_state_machine_as_test(machine, settings=PLANTED)
    notes = "\n".join(getattr(failure.value, "__notes__", []))
    steps = _STEP.findall(notes)
    assert steps, f"no counterexample reported: {failure.value!r}\n{notes}"
    assert len(steps) <= HANDFUL, f"{len(steps)} steps:\n{notes}"
    print(f"{len(steps)} steps: {steps}")  # shown with pytest -s
    return f"{type(failure.value).__name__}: {failure.value}", steps


def _patch_table(monkeypatch: pytest.MonkeyPatch, key: str, row: dict[Any, Status]) -> None:
    table = MappingProxyType({**lifecycle.TRANSITIONS, key: row})
    # The table is read where it is defined (next_status) and where it was imported.
    monkeypatch.setattr(lifecycle, "TRANSITIONS", table)
    monkeypatch.setattr(_support, "TRANSITIONS", table)


def _patch_fold(
    monkeypatch: pytest.MonkeyPatch, event: type[ev.CaseEvent], change: Callable[[Any, Any], Any]
) -> None:
    monkeypatch.setitem(fold_module._CHANGES, event, change)


def test_a_refund_above_what_was_paid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Ledger, "require_refundable", lambda self, amount, case_id: None)
    message, steps = counterexample()
    assert steps[-1] == "refused_command"
    assert "must raise RefundExceedsPaid" in message


def test_a_transition_row_leading_to_the_wrong_status(monkeypatch: pytest.MonkeyPatch) -> None:
    # Denying an escalation leaves the case ESCALATED instead of putting it back to OPEN.
    _patch_table(monkeypatch, "EscalationDenied", {Status.ESCALATED: Status.ESCALATED})
    message, steps = counterexample()
    assert steps[-1] == "accepted_command"
    assert "ESCALATED; the table leads to OPEN" in message


def test_a_transition_table_missing_a_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    # A closed case can no longer be reopened.
    _patch_table(monkeypatch, "CaseReopened", {Status.RESOLVED: Status.OPEN})
    message, steps = counterexample()
    assert steps[-1] == "accepted_command"
    assert message.startswith(TransitionNotAllowed.__name__)
    assert "CaseReopened is not allowed" in message


def test_a_view_counting_a_released_hold_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    released = fold_module._CHANGES[ev.HoldReleased]

    def twice(state: Any, event: Any) -> Any:
        return released(
            attrs.evolve(state, ledger=state.ledger.add("released", event.amount)), event
        )

    _patch_fold(monkeypatch, ev.HoldReleased, twice)
    message, steps = counterexample()
    assert steps[-1] == "accepted_command"
    assert "released > held" in message or "ledger differs" in message


def test_an_agent_deciding_their_own_escalation(monkeypatch: pytest.MonkeyPatch) -> None:
    def roles_only(actor: Any, target: Any, requested_by: Any, number: int, case_id: Any) -> None:
        if actor.role not in rights.APPROVERS[target]:  # forgot: "never the requester"
            raise NotAuthorised(f"{actor} may not decide escalation #{number}")

    monkeypatch.setattr(rights, "require_approver", roles_only)
    message, steps = counterexample()
    assert steps[-1] == "refused_command"
    assert "must raise SelfApprovalForbidden" in message


def test_a_policy_recomputed_on_replay(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fold decides the entitlement again, on the day the event was stored, instead of
    # keeping the decision recorded in the event.
    def recomputed(state: Any, event: Any) -> Any:
        decision = Policies().entitlement(
            event.decision.kind, state.product, event.timestamp.date()
        )
        return attrs.evolve(state, decisions={**state.decisions, decision.kind.name: decision})

    _patch_fold(monkeypatch, ev.EntitlementChecked, recomputed)
    message, steps = counterexample()
    assert steps[-1] == "accepted_command"
    assert "decision was not recorded" in message
