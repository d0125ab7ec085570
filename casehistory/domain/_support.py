"""What every command of the Case aggregate does first: validate, authorise, check the table."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from casehistory.domain import rights
from casehistory.domain._event_shapes import _DIRECT, _ENVELOPE_FIELDS, _OPTIONAL
from casehistory.domain._personal import require_not_erased, seal_fields
from casehistory.domain.binding import policy_digests
from casehistory.domain.chain import STATE_COMMITMENT, chained_bytes, state_commitment
from casehistory.domain.commands import COMMAND_FINGERPRINT, COMMAND_ID, CommandId
from casehistory.domain.events import CaseEvent
from casehistory.domain.lifecycle import CLOSED_ACCEPTS, TRANSITIONS, Status
from casehistory.domain.limits import BEFORE_OPENING
from casehistory.domain.policies import Policies, PolicyDecision
from casehistory.domain.rulebook import commitment_format
from casehistory.domain.state import CaseState, evolve
from casehistory.domain.values import (
    MAX_EVENT_BYTES,
    Actor,
    Direction,
    EntitlementKind,
    Money,
    as_stored,
    require_aware,
    require_instance,
)
from casehistory.errors import (
    CaseIsClosed,
    InvalidInput,
    OccurredInFuture,
    OccurredTooEarly,
    StoreTimeWentBackwards,
    TransitionNotAllowed,
)


def require_times(occurred_at: object, recorded_at: object) -> None:
    """Both times aware, and nothing recorded before it happened."""
    occurred = require_aware(occurred_at, "occurred_at")
    recorded = require_aware(recorded_at, "recorded_at (the desk's clock)")
    if occurred > recorded:
        raise OccurredInFuture(
            f"occurred_at {occurred.isoformat()} is later than the store's time "
            f"{recorded.isoformat()} (rule: an event is recorded after it happened); "
            "check the business time, or the desk's clock"
        )


def command_fields(command: CommandId | None) -> dict[str, Any]:
    """The extra fields an event of ``command`` carries (none without a command id)."""
    if command is None:
        return {}
    return {COMMAND_ID: command.id, COMMAND_FINGERPRINT: command.fingerprint}


def event_digest(
    case_id: UUID,
    version: int,
    event: type[CaseEvent],
    previous: str | None,
    recorded_at: datetime,
    by: Actor,
    occurred_at: datetime,
    fields: dict[str, Any],
) -> str:
    """The digest of an event about to be triggered, once it is known to be within
    :data:`~casehistory.domain.values.MAX_EVENT_BYTES`."""
    body = chained_bytes(case_id, version, event, previous, recorded_at, by, occurred_at, fields)
    if len(body) > MAX_EVENT_BYTES:
        raise InvalidInput(
            f"{event.__name__} on case {case_id} would be {len(body):,} bytes (rule: an "
            f"event holds at most {MAX_EVENT_BYTES:,} bytes of canonical JSON); record "
            "less in one command"
        )
    return hashlib.sha256(body).hexdigest()


def require_money(value: object, name: str) -> Money:
    return require_instance(value, Money, name).require_positive(name)


def require_transition(case_id: UUID, status: Status, key: str) -> None:
    """Raise :class:`TransitionNotAllowed` unless the lifecycle table allows ``key``."""
    row = TRANSITIONS[key]
    if status in row:
        return
    allowed = ", ".join(sorted(s.name for s in row if s is not None)) or "no status"
    raise TransitionNotAllowed(
        f"{key} is not allowed on case {case_id} in status {status.name} (rule: "
        f"lifecycle table: {key} is allowed in {allowed})"
    )


_NEW = object.__new__
_ASSIGN = object.__setattr__
_TRIGGER = Aggregate.trigger_event


class CommandSupport:
    """Guards and recording shared by the command mixins of :class:`Case`."""

    if TYPE_CHECKING:  # provided by eventsourcing's Aggregate at run time
        state: CaseState

        @property
        def id(self) -> UUID: ...

        version: int

        modified_on: datetime

        created_on: datetime

        def trigger_event(self, event_class: Any, **kwargs: Any) -> None: ...

        @property
        def pending_events(self) -> list[Any]: ...

        Snapshot: Any

    def _guard(
        self,
        event: type[CaseEvent],
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
        *,
        direction: Direction | None = None,
    ) -> None:
        """Validate the times and actor, check the rights, and refuse on a closed case."""
        require_times(occurred_at, recorded_at)
        actor = by if type(by) is Actor else require_instance(by, Actor, "by")
        rights.require_right(event.__name__, actor, self.id, direction)
        if recorded_at < self.modified_on:
            raise StoreTimeWentBackwards(
                f"the desk's clock says {recorded_at.isoformat()}, earlier than the last event "
                f"of case {self.id} ({self.modified_on.isoformat()}) (rule: store time never "
                "goes backwards on a case); fix the desk's clock"
            )
        if self.state.status is Status.CLOSED and event.__name__ not in CLOSED_ACCEPTS:
            raise CaseIsClosed(
                f"case {self.id} is CLOSED and cannot take {event.__name__} (rule: a closed "
                "case accepts nothing but a reopen); reopen it first"
            )
        opened_at = self.state.opened_at
        if (
            occurred_at < opened_at
            and self.state.rules >= 2
            and event.__name__ not in BEFORE_OPENING
        ):
            raise OccurredTooEarly(
                f"{event.__name__} on case {self.id} occurred at {occurred_at.isoformat()}, "
                f"before the case opened at {opened_at.isoformat()} (rule: business time: "
                "only a payment or a contact may precede its case's opening); check the "
                "business time"
            )

    def _time_check(
        self, event: type[CaseEvent], policies: Policies, occurred_at: datetime
    ) -> PolicyDecision | None:
        """The business-time decision of a payment or a contact dated before the case's
        opening (None when it is not, or the case is held to rules 1): refused with
        :class:`OccurredTooEarly` when it is earlier than the policy allows."""
        state = self.state
        if state.rules < 2 or occurred_at >= state.opened_at:
            return None
        decision = policies.business_time.decide(event.__name__, occurred_at, state.opened_at)
        if not decision.entitled:
            raise OccurredTooEarly(
                f"{event.__name__} on case {self.id} is dated too early: {decision.outcome} "
                f"({decision.facts}) (rule: business time: a payment or a contact only "
                "so far before the opening); check the business time"
            )
        return decision

    def _goodwill_limits(
        self, policies: Policies, by: Actor, what: str, value: Money
    ) -> dict[str, Any]:
        """The goodwill decisions of ``value`` given by ``by``: the limit of one grant and,
        under rules 2, the case's total; refused above either below SUPERVISOR."""
        limit_check = policies.goodwill_limit.decide(value)
        rights.require_within_limit(limit_check, by, what, value, self.id)
        if self.state.rules < 2:
            return {"limit_check": limit_check}
        before = Money(self.state.ledger.balance(value.currency).goodwill, value.currency)
        case_check = policies.case_goodwill_limit.decide(before, value)
        rights.require_within_case_limit(case_check, by, what, value, self.id)
        return {"limit_check": limit_check, "case_limit_check": case_check}

    def _decision(
        self, kind: EntitlementKind, policies: Policies, on: datetime
    ) -> PolicyDecision | None:
        """The decision of ``kind`` for a command on day ``on``.

        A decision recorded for that same day is relied on, never recomputed (it may be
        under an older policy version); on any other day the policy decides afresh, since
        a window open in January is shut in June. Without a product there is nothing to
        decide from: None."""
        recorded = self.state.decisions.get(kind.name)
        if (
            recorded is not None
            and recorded.compared.get("checked_on") == on.date().isoformat()
            # Rules 2 records each decision with its policy's digest: a decision under a
            # version this desk no longer holds (digest unknown here) is decided afresh.
            and (self.state.rules < 2 or policies.digest_for(recorded) is not None)
        ):
            return recorded
        if self.state.product is None:
            return None
        return policies.entitlement(kind, self.state.product, on.date())

    def _approved_exception(self) -> bool:
        return self.state.approved_escalation_to(*rights.EXCEPTION_APPROVERS) is not None

    def _record(
        self,
        event: type[CaseEvent],
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
        *,
        key: str | None = None,
        policies: Policies | None = None,
        **fields: Any,
    ) -> None:
        """Check the lifecycle table, then trigger the event (committing to the state
        after it where the desk will snapshot the case). On a case held to rules 2, the
        decisions among ``fields`` are recorded with the digests of their policies'
        parameters, as ``policies`` (the desk's, or a replay's record) answer them."""
        case_id, state, own = self.id, self.state, self.__dict__
        occurred_at, recorded_at = as_stored(occurred_at), as_stored(recorded_at)
        require_transition(case_id, state.status, key or event.__name__)
        require_not_erased(case_id, state.forgotten, event, fields)
        seal_fields(event, fields, own.get("sealer"))
        if policies is not None and state.rules >= 2:
            decisions = [value for value in fields.values() if isinstance(value, PolicyDecision)]
            if decisions:
                fields["policy_digests"] = policy_digests(decisions, policies.digest_for)
        version = self.version + 1
        every = getattr(self, "commit_state_every", None)
        command = own.get("command")
        extras = {} if command is None else command_fields(command)
        if every and version % every == 0:
            extras[STATE_COMMITMENT] = self._commitment(
                event, version, by, occurred_at, recorded_at, fields
            )
        digest = event_digest(
            case_id,
            version,
            event,
            state.digest,
            recorded_at,
            by,
            occurred_at,
            {**fields, **extras} if extras else fields,  # only read
        )
        if not self._trigger(event, version, recorded_at, by, occurred_at, digest, fields, extras):
            self.trigger_event(
                event,
                timestamp=recorded_at,
                by=by,
                occurred_at=occurred_at,
                digest=digest,
                **fields,
            )
            # Not declared fields of any event (events before them have none, and their
            # digests must stay as they were): extra attributes, stored with the others
            # and covered by the digest like them.
            recorded = self.pending_events[-1]
            for name in _OPTIONAL.get(event, ()):
                if name not in fields:
                    # A field added later, left out as events before it have none (their
                    # digests must stay as they were): the class default answers.
                    recorded.__dict__.pop(name, None)
            for name, value in extras.items():
                object.__setattr__(recorded, name, value)
        if STATE_COMMITMENT in extras:
            # The state it commits to, for the desk to snapshot once the event is saved.
            self.__dict__.setdefault("snapshots_due", []).append(self.Snapshot.take(self))

    def _trigger(
        self,
        event: type[CaseEvent],
        version: int,
        recorded_at: datetime,
        by: Actor,
        occurred_at: datetime,
        digest: str,
        fields: dict[str, Any],
        extras: dict[str, Any],
    ) -> bool:
        """What ``trigger_event`` and the fixing of its event in :meth:`_record` do, in
        one step (every command's): the event's ``__dict__`` as its ``__init__`` would
        set it (envelope, then payload in field order), less the defaulted fields not
        given, plus ``extras``; then ``mutate``'s steps. False, having done nothing,
        wherever that is not exactly the same (an aggregate or event class of its own,
        an id that is no UUID, a field missing or unknown): ``trigger_event`` then runs,
        and raises what it raises."""
        shape = _DIRECT.get(event)
        case_id = self.id
        if (
            shape is None
            or recorded_at is None  # trigger_event asks the class for a time: refused
            or type(case_id) is not UUID
            or getattr(type(self), "trigger_event", None) is not _TRIGGER
            or getattr(type(self), "TOPIC", None)
        ):
            return False
        values = {
            "originator_id": case_id,
            "originator_version": version,
            "timestamp": recorded_at,
            "by": by,
            "occurred_at": occurred_at,
            "digest": digest,
        }
        names, optional = shape
        for name in names:
            if name in fields:
                values[name] = fields[name]
            elif name not in optional:
                return False  # __init__ raises TypeError: trigger_event says it
        if len(values) != len(_ENVELOPE_FIELDS) + len(fields):
            return False  # a keyword __init__ does not take, or an envelope field again
        values.update(extras)
        recorded: Any = _NEW(event)
        _ASSIGN(recorded, "__dict__", values)
        recorded.apply(self)  # mutate's steps: its checks hold by construction
        self.version = version
        self.modified_on = recorded_at
        self.pending_events.append(recorded)
        return True

    def _commitment(
        self,
        event: type[CaseEvent],
        version: int,
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
        fields: dict[str, Any],
    ) -> str:
        """The commitment to the state after ``event``: folded from a provisional copy
        of it (the digest, which the state's commitment leaves out, is not known yet)."""
        provisional = event(  # type: ignore[call-arg]
            originator_id=self.id,
            originator_version=version,
            timestamp=recorded_at,
            by=by,
            occurred_at=occurred_at,
            digest="",
            **fields,
        )
        after = evolve(self.state, provisional)
        return state_commitment(
            after, self.created_on, recorded_at, state_format=commitment_format(after.rules)
        )
