"""What every command of the Case aggregate does first: validate, authorise, check the table."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from casehistory.domain import rights
from casehistory.domain.events import CaseEvent
from casehistory.domain.lifecycle import TRANSITIONS, Status
from casehistory.domain.state import CaseState
from casehistory.domain.values import Actor, Direction, Money, require_aware
from casehistory.errors import CaseIsClosed, InvalidInput, OccurredInFuture, TransitionNotAllowed


def _require_actor(by: object) -> Actor:
    if not isinstance(by, Actor):
        raise InvalidInput(f"by must be an Actor, got {by!r}")
    return by


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


def require_money(value: object, name: str) -> Money:
    if not isinstance(value, Money):
        raise InvalidInput(f"{name} must be Money, got {value!r}")
    return value.require_positive(name)


def require_transition(case_id: UUID, status: Status, key: str) -> None:
    """Raise unless the lifecycle table allows ``key`` in ``status``."""
    row = TRANSITIONS[key]
    if status in row:
        return
    allowed = ", ".join(sorted(s.name for s in row if s is not None)) or "no status"
    if status is Status.CLOSED:
        raise CaseIsClosed(
            f"case {case_id} is CLOSED and cannot take {key} (rule: a closed case "
            "accepts nothing but a reopen); reopen it first"
        )
    raise TransitionNotAllowed(
        f"{key} is not allowed on case {case_id} in status {status.name} (rule: "
        f"lifecycle table: {key} is allowed in {allowed})"
    )


class CommandSupport:
    """Guards and recording shared by the command mixins of :class:`Case`."""

    if TYPE_CHECKING:  # provided by eventsourcing's Aggregate at run time
        state: CaseState

        @property
        def id(self) -> UUID: ...

        def trigger_event(self, event_class: Any, **kwargs: Any) -> None: ...

    def _guard(
        self,
        event: type[CaseEvent],
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
        *,
        key: str | None = None,
        direction: Direction | None = None,
    ) -> None:
        """Validate the times and actor, check the rights, and refuse on a closed case."""
        require_times(occurred_at, recorded_at)
        rights.require_right(event.__name__, _require_actor(by), self.id, direction)
        key = key or event.__name__
        if self.state.status is Status.CLOSED:
            require_transition(self.id, self.state.status, key)

    def _record(
        self,
        event: type[CaseEvent],
        by: Actor,
        occurred_at: datetime,
        recorded_at: datetime,
        *,
        key: str | None = None,
        **fields: Any,
    ) -> None:
        """Check the lifecycle table, then trigger the event."""
        require_transition(self.id, self.state.status, key or event.__name__)
        self.trigger_event(event, timestamp=recorded_at, by=by, occurred_at=occurred_at, **fields)
