"""The Case aggregate: one method per command, each a guard and then one event.

Commands never write state directly: they check the rules, then trigger one event,
and :func:`casehistory.domain.state.evolve` (through ``_evolve``) turns the event
into state. The commands are grouped in mixins by area: lifecycle and contact here,
service work in ``_service``, returns in ``_rma``, money and account in ``_money``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, Snapshot

from casehistory.domain import events as ev
from casehistory.domain import rights
from casehistory.domain._money import MoneyCommands
from casehistory.domain._personal import require_forgettable, seal_fields
from casehistory.domain._rma import RmaCommands
from casehistory.domain._service import ServiceCommands
from casehistory.domain._support import (
    CommandSupport,
    command_fields,
    event_digest,
    require_times,
)
from casehistory.domain.commands import CommandId
from casehistory.domain.policies import Policies
from casehistory.domain.rulebook import RULES_VERSION, require_rules_version
from casehistory.domain.sealed import Sealer
from casehistory.domain.sla import SlaTerms
from casehistory.domain.state import CaseState, evolve
from casehistory.domain.values import (
    Actor,
    Channel,
    ComplaintCategory,
    Customer,
    Demeanour,
    Direction,
    ErasureGround,
    Fault,
    LinkKind,
    Product,
    as_stored,
    require_instance,
    require_text,
)
from casehistory.errors import InvalidInput

__all__ = ["Case", "CaseSnapshot"]


class CaseSnapshot(Snapshot):
    """A snapshot stamped with the case's last store time, never the wall clock."""

    @classmethod
    def take(cls, aggregate: Any) -> CaseSnapshot:
        state = dict(vars(aggregate))
        for private in ("_id", "_version", "_pending_events"):
            state.pop(private)
        # The desk's setting and the desk's to-do list, not the case's state.
        state.pop("commit_state_every", None)
        state.pop("snapshots_due", None)
        state.pop("command", None)
        state.pop("sealer", None)
        return cls(
            originator_id=aggregate.id,
            originator_version=aggregate.version,
            timestamp=aggregate.modified_on,
            topic="casehistory.domain.case:Case",
            state=state,
        )


class _LifecycleCommands(CommandSupport):
    def assign_agent(
        self, *, agent: Actor, by: Actor, occurred_at: datetime, recorded_at: datetime
    ) -> None:
        self._guard(ev.AgentAssigned, by, occurred_at, recorded_at)
        require_instance(agent, Actor, "agent")
        rights.require_assignable(agent, self.id)
        self._record(ev.AgentAssigned, by, occurred_at, recorded_at, agent=agent)

    def transfer_case(
        self,
        *,
        to_department: str,
        reason: str,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(ev.CaseTransferred, by, occurred_at, recorded_at)
        require_text(to_department, "to_department")
        require_text(reason, "reason")
        if to_department == self.state.department:
            raise InvalidInput(
                f"case {self.id} is already with {to_department!r}; transfer it elsewhere"
            )
        self._record(
            ev.CaseTransferred,
            by,
            occurred_at,
            recorded_at,
            from_department=self.state.department,
            to_department=to_department,
            reason=reason,
        )

    def resolve_case(
        self,
        *,
        resolution: str,
        fault: Fault,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(ev.CaseResolved, by, occurred_at, recorded_at)
        require_text(resolution, "resolution")
        require_instance(fault, Fault, "fault")
        self._record(
            ev.CaseResolved, by, occurred_at, recorded_at, resolution=resolution, fault=fault
        )

    def close_case(self, *, by: Actor, occurred_at: datetime, recorded_at: datetime) -> None:
        self._guard(ev.CaseClosed, by, occurred_at, recorded_at)
        self._record(ev.CaseClosed, by, occurred_at, recorded_at)

    def reopen_case(
        self, *, reason: str, by: Actor, occurred_at: datetime, recorded_at: datetime
    ) -> None:
        self._guard(ev.CaseReopened, by, occurred_at, recorded_at)
        require_text(reason, "reason")
        self._record(ev.CaseReopened, by, occurred_at, recorded_at, reason=reason)

    def forget_customer(
        self, *, ground: ErasureGround, by: Actor, occurred_at: datetime, recorded_at: datetime
    ) -> None:
        """Record that the case's customer is forgotten (their key is destroyed by the
        desk): refused where a personal text was recorded unsealed, or already erased."""
        self._guard(ev.CustomerForgotten, by, occurred_at, recorded_at)
        require_instance(ground, ErasureGround, "ground")
        state = self.state
        require_forgettable(self.id, state.customer, state.forgotten)
        self._record(ev.CustomerForgotten, by, occurred_at, recorded_at, ground=ground)

    def link_cases(
        self,
        *,
        other_case_id: UUID,
        relation: LinkKind,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(ev.CasesLinked, by, occurred_at, recorded_at)
        require_instance(relation, LinkKind, "relation")
        if not isinstance(other_case_id, UUID) or other_case_id == self.id:
            raise InvalidInput(
                f"a case links to another case's UUID, got {other_case_id!r} on case {self.id}"
            )
        self._record(
            ev.CasesLinked,
            by,
            occurred_at,
            recorded_at,
            other_case_id=other_case_id,
            relation=relation,
        )


class _ContactCommands(CommandSupport):
    def log_contact(
        self,
        *,
        channel: Channel,
        direction: Direction,
        summary: str,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
        demeanour: Demeanour | None = None,
        awaiting_reply: bool = False,
        policies: Policies | None = None,
    ) -> None:
        event = ev.ContactLogged
        self._guard(
            event,
            by,
            occurred_at,
            recorded_at,
            direction=direction if isinstance(direction, Direction) else None,
        )
        require_instance(direction, Direction, "direction")
        require_instance(channel, Channel, "channel")
        if demeanour is not None:
            require_instance(demeanour, Demeanour, "demeanour")
        if awaiting_reply and direction is Direction.INBOUND:
            raise InvalidInput("awaiting_reply applies to outbound contacts only")
        require_text(summary, "summary")
        extra: dict[str, Any] = {}
        if self.state.rules >= 2:
            rights.require_the_customer(by, self.state.customer.id, "its source", self.id)
            if policies is not None:
                time_check = self._time_check(event, policies, occurred_at)
                if time_check is not None:
                    extra["time_check"] = time_check
        self._record(
            event,
            by,
            occurred_at,
            recorded_at,
            policies=policies,
            key=ev.contact_lifecycle_key(direction, bool(awaiting_reply)),
            **extra,
            channel=channel,
            direction=direction,
            summary=summary,
            demeanour=demeanour,
            awaiting_reply=bool(awaiting_reply),
        )

    def add_note(
        self, *, text: str, by: Actor, occurred_at: datetime, recorded_at: datetime
    ) -> None:
        self._guard(ev.NoteAdded, by, occurred_at, recorded_at)
        require_text(text, "text")
        self._record(ev.NoteAdded, by, occurred_at, recorded_at, text=text)

    def record_complaint(
        self,
        *,
        category: ComplaintCategory,
        details: str,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(ev.ComplaintRecorded, by, occurred_at, recorded_at)
        require_instance(category, ComplaintCategory, "category")
        require_text(details, "details")
        self._record(
            ev.ComplaintRecorded, by, occurred_at, recorded_at, category=category, details=details
        )

    def record_commendation(
        self,
        *,
        agent: Actor,
        source: Actor,
        text: str,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
    ) -> None:
        self._guard(ev.CommendationRecorded, by, occurred_at, recorded_at)
        require_instance(agent, Actor, "agent")
        rights.require_praisable(agent, self.id)
        require_text(text, "text")
        require_instance(source, Actor, "source")
        rights.require_commendation_source(source, self.id)
        if self.state.rules >= 2:
            rights.require_not_self_commended(agent, by, source, self.id)
            rights.require_the_customer(
                source, self.state.customer.id, "a commendation's source", self.id
            )
        self._record(
            ev.CommendationRecorded,
            by,
            occurred_at,
            recorded_at,
            # The record keeps the id alone, as it always has (stored records are forever):
            # the role decides only who may be praised (see declarations, for replay).
            agent_id=agent.id,
            source=source,
            text=text,
        )


class Case(
    _LifecycleCommands, _ContactCommands, ServiceCommands, RmaCommands, MoneyCommands, Aggregate
):
    """One customer's problem, from first contact to close, as a stream of events."""

    Snapshot = CaseSnapshot

    commit_state_every: int | None = None
    """Commit to the state after every event whose version is a multiple of this (the
    desk sets its snapshot interval here): see
    :func:`~casehistory.domain.chain.state_commitment`."""

    def __init__(self) -> None:
        # State arrives through _evolve(CaseOpened) right after construction.
        pass

    def _evolve(self, event: ev.CaseEvent) -> None:
        self.state: CaseState = evolve(getattr(self, "state", None), event)

    @classmethod
    def open(
        cls,
        *,
        customer: Customer,
        subject: str,
        channel: Channel,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
        product: Product | None = None,
        case_id: UUID | None = None,
        command: CommandId | None = None,
        sla: SlaTerms | None = None,
        rules: int | None = RULES_VERSION,
        sealer: Sealer | None = None,
    ) -> Case:
        """Open a new case. Its status is NEW until an agent is assigned. A ``command``
        id is recorded on the opening (:mod:`casehistory.domain.commands`), and so are
        the ``sla`` terms in force (:mod:`casehistory.domain.sla`), and the ``rules``
        version the case is held to (:mod:`casehistory.domain.rulebook`; None records
        none, as before 0.3.0, and holds the case to rules 1). A desk's ``sealer``
        seals the customer's name and contact details and the subject
        (:mod:`casehistory.domain.sealed`); without one they are recorded as given."""
        require_times(occurred_at, recorded_at)
        occurred_at, recorded_at = as_stored(occurred_at), as_stored(recorded_at)
        rights.require_right("CaseOpened", require_instance(by, Actor, "by"), None)
        require_instance(customer, Customer, "customer")
        if product is not None:
            require_instance(product, Product, "product")
        if case_id is not None:
            require_instance(case_id, UUID, "case_id")
        require_text(subject, "subject")
        require_instance(channel, Channel, "channel")
        case_id = case_id or uuid4()
        fields: dict[str, Any] = {
            "customer": customer,
            "subject": subject,
            "channel": channel,
            "product": product,
        }
        seal_fields(ev.CaseOpened, fields, sealer)
        if sla is not None:
            fields["sla"] = require_instance(sla, SlaTerms, "sla")
        if rules is not None:
            fields["rules"] = require_rules_version(rules)
        extras = command_fields(command)
        digest = event_digest(
            case_id, 1, ev.CaseOpened, None, recorded_at, by, occurred_at, {**fields, **extras}
        )
        case = cls._create(
            ev.CaseOpened,
            id=case_id,
            timestamp=recorded_at,
            by=by,
            occurred_at=occurred_at,
            digest=digest,
            **fields,
        )
        opened = case.pending_events[-1]
        if sla is None:
            # Recorded as a record before SLA terms existed: no key (the class default
            # answers None), so that its digest and a replay's agree.
            opened.__dict__.pop("sla", None)
        if rules is None:  # likewise: a record from before the rules version
            opened.__dict__.pop("rules", None)
        for name, value in extras.items():  # as _record does: see there
            object.__setattr__(opened, name, value)
        return case
