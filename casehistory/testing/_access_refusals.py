"""Commands refused for who sends them, when, or in which status; and the error each raises.

Each builder takes the model of the case and the business time of the command, and
returns a command that breaks its rule and no rule the desk checks before it (the desk
checks, in order: the times, the actor's rights, a closed case, the command's own
rules, then the lifecycle table). The rules about money, holds and returns are in
:mod:`casehistory.testing._fact_refusals`; the table of all of them, in
:mod:`casehistory.testing._refusals`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from casehistory.domain.lifecycle import Status
from casehistory.domain.values import Actor, Role
from casehistory.errors import (
    CaseAlreadyExists,
    CaseHistoryError,
    CaseIsClosed,
    CaseNotFound,
    EscalationAlreadyPending,
    EscalationNotPending,
    InvalidInput,
    NotAuthorised,
    OccurredInFuture,
    SelfApprovalForbidden,
    TransitionNotAllowed,
)
from casehistory.testing._commands import Command
from casehistory.testing._model import CaseModel
from casehistory.testing._rules import APPROVERS, ASSIGNABLE, CAST, COMMENDATION_SOURCES, RIGHTS
from casehistory.testing._steps import Step, command, draw_free, draw_in, draw_opening, one_of
from casehistory.testing._values import CLOCK_START
from casehistory.testing._vocabulary import STEP_OF, STEPS

__all__ = [
    "AGENT",
    "SUPERVISOR",
    "Refusal",
    "bad_time",
    "by_someone_refused",
    "by_the_table",
    "case_exists",
    "closed",
    "decided_again",
    "forbidden",
    "odd_people",
    "own_escalation",
    "second_escalation",
    "unknown_case",
    "wrong_approver",
    "wrong_approvers",
]

Refusal = tuple[Command, type[CaseHistoryError]]
"""A command the desk must refuse, and the exact error class it must raise."""

_BY_ROLE = {role: next(a for a in CAST if a.role is role) for role in Role}
AGENT, SUPERVISOR = _BY_ROLE[Role.AGENT], _BY_ROLE[Role.SUPERVISOR]
_NOT_PERMITTED = [  # (step, actor): a staff or vendor role the rights table leaves out
    (step, actor)
    for step in STEPS
    for actor in CAST
    if actor.role not in RIGHTS[step.event] | {Role.AUDITOR, Role.CUSTOMER}
]
_ANY_BUT_INBOUND = [s for s in STEPS if s.key != "ContactLogged (inbound)"]
_WHO = st.sampled_from(["auditor", "customer", "role"])
_ANY_STEP = st.sampled_from(STEPS)
_ANY_BUT_INBOUND_STEP = st.sampled_from(_ANY_BUT_INBOUND)
_NOT_PERMITTED_STEP = st.sampled_from(_NOT_PERMITTED)
_DAYS_LATE = st.integers(400, 4000)


def by_someone_refused(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    who = draw(_WHO)
    if who == "auditor":
        step, actor = draw(_ANY_STEP), _BY_ROLE[Role.AUDITOR]
    elif who == "customer":
        step, actor = draw(_ANY_BUT_INBOUND_STEP), _BY_ROLE[Role.CUSTOMER]
    else:
        step, actor = draw(_NOT_PERMITTED_STEP)
    return draw_free(draw, step, by=actor, occurred_at=when), NotAuthorised


def bad_time(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    step = draw(_ANY_STEP)
    if draw(st.booleans()):
        late = CLOCK_START + timedelta(days=draw(_DAYS_LATE))
        return draw_free(draw, step, occurred_at=late), OccurredInFuture
    naive = when.astimezone(UTC).replace(tzinfo=None)
    return draw_free(draw, step, occurred_at=naive), InvalidInput


def forbidden(m: CaseModel) -> list[Step]:
    """The steps the model is ready for but the table does not allow now."""
    return [s for s in STEPS if not m.allows(s.key) and (s.ready is None or s.ready(m))]


def by_the_table(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    step = one_of(draw, forbidden(m))
    expected: type[CaseHistoryError] = TransitionNotAllowed
    if m.status is Status.CLOSED:
        expected = CaseIsClosed
    elif step.key == "EscalationRequested" and m.pending_escalation is not None:
        expected = EscalationAlreadyPending  # one at a time is checked before the table
    if step.key == "CasesLinked":  # only refused when closed: before the target is looked up
        return draw_free(draw, step, occurred_at=when), expected
    return draw_in(draw, step, m, when), expected


_NOT_A_REOPEN = [s for s in STEPS if s.key != "CaseReopened"]


def closed(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    step = one_of(draw, _NOT_A_REOPEN)
    return draw_free(draw, step, by=SUPERVISOR, occurred_at=when), CaseIsClosed


def second_escalation(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    step = STEP_OF["EscalationRequested"]
    return draw_free(draw, step, occurred_at=when), EscalationAlreadyPending


def own_escalation(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    pending = m.pending_escalation
    assert pending is not None
    method = one_of(draw, ["approve_escalation", "deny_escalation"])
    event = "EscalationApproved" if method == "approve_escalation" else "EscalationDenied"
    by = pending.requested_by
    error = SelfApprovalForbidden if by.role in RIGHTS[event] else NotAuthorised
    kwargs = {"number": pending.number, "reason": "r", "by": by, "occurred_at": when}
    return command(method, kwargs), error


def wrong_approvers(m: CaseModel) -> list[Actor]:
    """People with the right to decide escalations, but not this one, and not who asked."""
    pending = m.pending_escalation
    if pending is None:
        return []
    return [
        a
        for a in CAST
        if a.role in RIGHTS["EscalationApproved"]
        and a.role not in APPROVERS[pending.to]
        and a.id != pending.requested_by.id
    ]


def wrong_approver(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    by = one_of(draw, wrong_approvers(m))
    assert m.pending_escalation is not None
    kwargs = {"number": m.pending_escalation.number, "reason": "r", "by": by, "occurred_at": when}
    return command("approve_escalation", kwargs), NotAuthorised


def decided_again(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    """A decision of an escalation already decided, or of one never requested, while none
    is pending (by a supervisor, whom the table lets decide)."""
    number = m.escalations[-1].number if m.escalations else 1
    kwargs = {"number": number, "reason": "r", "by": SUPERVISOR, "occurred_at": when}
    return command("approve_escalation", kwargs), EscalationNotPending


_NO_PRAISE = [a for a in CAST if a.role not in COMMENDATION_SOURCES]
_NOT_ASSIGNABLE = [a for a in CAST if a.role not in ASSIGNABLE]


def odd_people(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    if draw(st.booleans()):  # praise from someone who cannot give it
        source = one_of(draw, _NO_PRAISE)
        step = STEP_OF["CommendationRecorded"]
        return draw_free(draw, step, source=source, by=SUPERVISOR, occurred_at=when), (
            NotAuthorised
        )
    agent = one_of(draw, _NOT_ASSIGNABLE)
    return command("assign_agent", {"agent": agent, "by": SUPERVISOR, "occurred_at": when}), (
        NotAuthorised
    )


def unknown_case(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    step = STEP_OF["CasesLinked"]
    return draw_free(draw, step, by=SUPERVISOR, occurred_at=when), CaseNotFound


def case_exists(draw: st.DrawFn, m: CaseModel, when: datetime) -> Refusal:
    """Open a case with the id of this one (importing it twice, say)."""
    return Command("open_case", draw_opening(draw, when)), CaseAlreadyExists
