"""The state of a case, and the one fold that derives it from events.

:func:`evolve` is the single place where an event changes what a case is. The
aggregate uses it to decide commands; the views use it to answer queries; so the
two can never disagree. It is pure and never refuses: rules are checked before an
event exists, and history is folded as it was accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, cast
from uuid import UUID

import attrs

from casehistory.domain import events as ev
from casehistory.domain._changes import CHANGES, reaches_customer
from casehistory.domain._state_parts import (
    CaseLink,
    Escalation,
    EscalationOutcome,
    Rma,
    RmaStage,
    StatusChange,
)
from casehistory.domain.chain import SINCE, SPARSE
from casehistory.domain.ledger import Hold, Ledger
from casehistory.domain.lifecycle import Status, next_status
from casehistory.domain.policies import PolicyDecision
from casehistory.domain.sealed import Text
from casehistory.domain.sla import SlaTerms
from casehistory.domain.values import (
    Actor,
    Channel,
    Customer,
    EscalationTarget,
    Fault,
    Money,
    Product,
)

__all__ = [
    "OCCURRED_RUN",
    "STATE_FORMAT",
    "StatusChange",
    "CaseLink",
    "CaseState",
    "Escalation",
    "EscalationOutcome",
    "Folding",
    "Rma",
    "RmaStage",
    "evolve",
    "fold",
    "reaches_customer",
]


def _escalations(value: Iterable[Escalation]) -> tuple[Escalation, ...]:
    return tuple(value)  # JSON gives lists back; state keeps tuples


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(value)))  # a set, stored as a sorted JSON list


def _links(value: Iterable[CaseLink]) -> tuple[CaseLink, ...]:
    return tuple(value)


def _status_changes(value: Iterable[Iterable[Any]]) -> tuple[StatusChange, ...]:
    if isinstance(value, tuple) and all(type(item) is StatusChange for item in value[-1:]):
        return value  # see _spans
    return tuple(StatusChange(*item) for item in value)


STATE_FORMAT = 3
"""The format of :class:`CaseState`: 1 up to 0.1.x, 2 from 0.2.0, which added
``statuses``, ``first_response_at``, ``first_response_recorded_at`` and ``sla``; 3 from
0.3.0, which added ``rules`` (committed to by cases held to rules 2 and later). A field's
``metadata[SINCE]`` names the format
that added it; a state commitment of format N covers the fields of formats up to N."""

OCCURRED_RUN = 50
"""Versions per run of :attr:`CaseState.occurred_runs`: 1-50, 51-100, ... The same
length as the desk's snapshot interval, so that each run starts at a snapshot."""

_Span = tuple[datetime, datetime]


def _spans(value: Iterable[Iterable[datetime]]) -> tuple[_Span, ...]:
    # A tuple passes through as is (a snapshot's decoding goes through __init__);
    # only JSON's lists of lists are converted.
    if isinstance(value, tuple):
        return value
    return tuple((low, high) for low, high in value)


def _indexed(runs: tuple[_Span, ...], version: int, occurred_at: datetime) -> tuple[_Span, ...]:
    """``runs`` with the event at ``version`` counted in its run."""
    run = (version - 1) // OCCURRED_RUN
    if run == len(runs):
        return (*runs, (occurred_at, occurred_at))
    if run != len(runs) - 1:
        # A gap: this fold skipped versions (an as-of answer folds a selection, and a
        # snapshot taken before the index existed has none). The index stays short,
        # and a short index is never read: the desk checks its length first.
        return runs
    low, high = runs[-1]
    if low <= occurred_at <= high:
        return runs
    return (*runs[:-1], (min(low, occurred_at), max(high, occurred_at)))


@attrs.frozen
class CaseState:
    """Everything the rules and the views need to know about a case."""

    case_id: UUID
    status: Status
    customer: Customer
    subject: Text
    channel: Channel
    product: Product | None
    opened_at: datetime
    agent: Actor | None = None
    department: str = "Customer Service"
    fault: Fault = Fault.UNDETERMINED
    known_issue: str | None = None
    resolution: Text | None = None
    ledger: Ledger = attrs.Factory(Ledger)
    holds: dict[str, Hold] = attrs.Factory(dict)
    escalations: tuple[Escalation, ...] = attrs.field(default=(), converter=_escalations)
    rmas: dict[str, Rma] = attrs.Factory(dict)
    decisions: dict[str, PolicyDecision] = attrs.Factory(dict)
    refund_requested: Money | None = None
    cancellations_requested: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    cancelled_subscription: str | None = None
    links: tuple[CaseLink, ...] = attrs.field(default=(), converter=_links)
    digest: str | None = None
    """The digest of the last event: the next one is chained to it."""
    occurred_runs: tuple[_Span, ...] = attrs.field(default=(), converter=_spans)
    """The earliest and latest business time (``occurred_at``) of each run of
    :data:`OCCURRED_RUN` versions, oldest run first: the index that lets an as-of
    query skip, from a snapshot, every run without an event that occurred by then."""
    # Fields added in state format 2 (0.2.0): an older snapshot lacks them, and the
    # commitment of an event recorded before them does not cover them (see
    # chain.state_commitment and STATE_FORMAT).
    statuses: tuple[StatusChange, ...] = attrs.field(
        default=(), converter=_status_changes, metadata={SINCE: 2}
    )
    """Each status the case took, with the business time of the event that set it, in
    the order of recording: the case's first status, then one entry per change."""
    first_response_at: datetime | None = attrs.field(default=None, metadata={SINCE: 2})
    """The earliest business time of a contact in which staff reached the customer
    (:func:`reaches_customer`), or None."""
    first_response_recorded_at: datetime | None = attrs.field(default=None, metadata={SINCE: 2})
    """The store time of that contact."""
    sla: SlaTerms | None = attrs.field(default=None, metadata={SINCE: 2})
    """The SLA terms the case opened under (None: opened before they were recorded)."""
    # Added in state format 3: a commitment of a case held to rules 1 leaves it out
    # (rulebook.commitment_format), so that commitments recorded before it still verify.
    rules: int = attrs.field(default=1, metadata={SINCE: 3})
    """The rules version the case is held to (:mod:`casehistory.domain.rulebook`)."""
    overnight_upgrades: int = attrs.field(default=0, metadata={SINCE: 3})
    """Overnight upgrades granted as goodwill (FREE_SHIPPING_UPGRADE) and not yet used
    by an OVERNIGHT replacement shipped at the company's cost: one grant, one shipment."""
    # Added with sealing (0.4.0): a commitment covers it only once it is set (SPARSE),
    # so that the commitments recorded before it still verify.
    forgotten: bool = attrs.field(default=False, metadata={SPARSE: True})
    """Whether the customer was forgotten: their key destroyed, no personal text since."""

    @property
    def pending_escalation(self) -> Escalation | None:
        last = self.escalations[-1] if self.escalations else None
        return last if last and last.outcome is EscalationOutcome.PENDING else None

    @property
    def open_holds(self) -> tuple[Hold, ...]:
        return tuple(h for h in self.holds.values() if h.outstanding.amount > 0)

    def approved_escalation_to(self, *targets: EscalationTarget) -> Escalation | None:
        for escalation in reversed(self.escalations):
            if escalation.outcome is EscalationOutcome.APPROVED and escalation.to in targets:
                return escalation
        return None


def evolve(state: CaseState | None, event: ev.CaseEvent) -> CaseState:
    """Return the state after ``event``: the one definition of what each event means."""
    if isinstance(event, ev.CaseOpened):
        status = next_status(None, event.lifecycle_key)
        return CaseState(
            case_id=event.originator_id,
            status=status,
            customer=event.customer,
            subject=event.subject,
            channel=event.channel,
            product=event.product,
            opened_at=event.occurred_at,
            digest=event.digest,
            occurred_runs=_indexed((), event.originator_version, event.occurred_at),
            statuses=(StatusChange(status, event.occurred_at, event.timestamp),),
            sla=event.sla,
            rules=event.rules,
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} cannot start a case; CaseOpened must come first")
    new: CaseState = _to_state(state)
    _apply(new, event)
    return new


_NAMES = tuple(field.name for field in attrs.fields(CaseState))
_NEW = object.__new__
_SET = object.__setattr__
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    field.name: cast(Callable[[Any], Any], field.converter)
    for field in attrs.fields(CaseState)
    if field.converter is not None
}


def _apply(target: Any, event: ev.CaseEvent) -> None:
    """Change ``target`` (a new copy of the state before ``event``, or a fold's scratch
    copy: only its fields are read and set) into the state after it, field by field:
    the fields the event's kind changes (:data:`~casehistory.domain._changes.CHANGES`,
    each through its field's converter, all computed from the state before the event),
    then status, digest and the index of business times. What ``attrs.evolve`` would
    give, at a fraction of its cost: the step every event of every fold takes (the
    unchanged fields were copied as they are, their converters having run when they
    were set)."""
    change = CHANGES.get(type(event))
    if change is not None:
        for name, value in change(target, event).items():
            convert = _CONVERTERS.get(name)
            _SET(target, name, value if convert is None else convert(value))
    status = next_status(target.status, event.lifecycle_key)
    if status is not target.status:
        # A tuple of StatusChange: what its converter returns as it is.
        _SET(
            target,
            "statuses",
            (*target.statuses, StatusChange(status, event.occurred_at, event.timestamp)),
        )
        _SET(target, "status", status)
    _SET(target, "digest", event.digest)
    # A tuple of pairs: what its converter (_spans) returns as it is.
    _SET(
        target,
        "occurred_runs",
        _indexed(target.occurred_runs, event.originator_version, event.occurred_at),
    )


class _Scratch:
    """A state's fields, settable: the state of a fold between two events."""

    __slots__ = _NAMES


def _copier(kind: type[Any]) -> Callable[[Any], Any]:
    """A new ``kind`` with the fields of a state, set without ``__init__``, one statement
    a field, through its slot's own setter: generated once (as attrs generates its
    methods), since a loop over thirty names, or ``object.__setattr__`` finding each
    slot by name, costs half as much again, and every command copies its state once."""
    lines = ["def _copied(source):", "    new = _NEW(kind)"]
    lines += [f"    _{i}(new, source.{name})" for i, name in enumerate(_NAMES)]
    scope: dict[str, Any] = {"_NEW": _NEW, "kind": kind}
    scope.update({f"_{i}": kind.__dict__[name].__set__ for i, name in enumerate(_NAMES)})
    exec("\n".join([*lines, "    return new"]), scope)  # the state's own attrs fields
    return cast(Callable[[Any], Any], scope["_copied"])


_to_state, _to_scratch = _copier(CaseState), _copier(_Scratch)
"""A new CaseState, or a fold's scratch, with the fields of a state (or a scratch)."""


def fold(events: Iterable[ev.CaseEvent], state: CaseState | None = None) -> CaseState:
    """Fold ``events`` into a state, starting from ``state`` (or from nothing)."""
    folding = Folding(state)
    for event in events:
        folding.add(event)
    return folding.state


class Folding:
    """A fold under way, one event at a time: the same states as :func:`evolve`, at a
    fraction of its cost on long folds, since the state is kept in a scratch copy that
    each event changes in place (its changed fields only, through their converters) and
    made a frozen :class:`CaseState` only when asked for."""

    __slots__ = ("_frozen", "_work")

    def __init__(self, state: CaseState | None = None) -> None:
        self._frozen = state
        self._work: Any = None

    def add(self, event: ev.CaseEvent) -> None:
        """Fold ``event`` in."""
        work = self._work
        if work is None:
            state = self._frozen
            if state is None or isinstance(event, ev.CaseOpened):
                self._frozen = evolve(state, event)
                return
            work = self._work = _to_scratch(state)
        elif isinstance(event, ev.CaseOpened):  # starts a case over, as evolve does
            self._work, self._frozen = None, evolve(self.state, event)
            return
        _apply(work, event)
        self._frozen = None

    @property
    def ledger(self) -> Ledger | None:
        """The ledger as folded so far (None before CaseOpened)."""
        if self._work is not None:
            return cast(Ledger, self._work.ledger)
        return None if self._frozen is None else self._frozen.ledger

    @property
    def state(self) -> CaseState:
        """The state folded so far (``ValueError`` before any event)."""
        if self._frozen is None:
            if self._work is None:
                raise ValueError("no events to fold: a case starts with CaseOpened")
            self._frozen = cast(CaseState, _to_state(self._work))
        return self._frozen
