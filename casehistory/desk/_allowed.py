"""``desk.allowed``: the commands a case accepts now from an actor.

Computed by the commands themselves, never by a copy of their rules: each declared
command (:mod:`casehistory.domain.declarations`) is called through the desk's own
method, with the arguments of :mod:`casehistory.desk._probes`, in a *dry run*: the
desk's load-act-save runs the floor of rules, the aggregate's guards, policies and
limits as for any command, on a copy of the case loaded once, and then saves nothing.
A command is offered if one of its probes records its event; a targeted command (an
RMA step, a hold's release...) is offered with the targets that did.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from casehistory._sql import reading
from casehistory.desk._held_rules import HeldRules
from casehistory.desk._probes import PROBES, Situation
from casehistory.domain.case import Case
from casehistory.domain.declarations import COMMANDS, Target
from casehistory.domain.values import Actor, require_aware, require_instance
from casehistory.errors import CaseHistoryError, RulesBelowFloor, RulesNewerThanDesk
from casehistory.store import READ_ONLY

__all__ = ["Allowed", "AllowedCommands"]


@attrs.frozen
class Allowed:
    """A command that the case accepts now from the actor asked about."""

    command: str
    """The desk method, e.g. ``"issue_refund"``."""
    event: str
    """The event type it records, e.g. ``"RefundIssued"``."""
    target: Target | None = None
    """What kind of part of the case it acts on (None: the case as a whole)."""
    targets: tuple[str, ...] = ()
    """The parts it accepts now: RMA numbers, hold references, subscriptions, the
    pending escalation's number; empty for a command on the case as a whole."""


@attrs.define
class _DryRun:
    case_id: UUID
    case: Case
    now: datetime

    def fresh(self) -> Case:
        """A copy of the loaded case to act on: the state is immutable (each event
        replaces it), so a shallow copy with no pending events is a whole copy."""
        copy = object.__new__(Case)
        copy.__dict__.update(self.case.__dict__)
        copy.__dict__["_pending_events"] = []
        copy.__dict__.pop("snapshots_due", None)
        copy.commit_state_every = None  # a commitment decides nothing: not computed
        return copy


_DRY: ContextVar[_DryRun | None] = ContextVar("casehistory_dry_run", default=None)


class AllowedCommands(HeldRules):
    def allowed(
        self, case_id: UUID, *, by: Actor, occurred_at: datetime | None = None
    ) -> tuple[Allowed, ...]:
        """The commands case ``case_id`` accepts now from ``by``, in the order of the
        declarations: what a desk UI shows as buttons (docs/allowed.md).

        Each is tried through its own desk method, rules and all, with
        ``occurred_at`` (default: the desk's clock) as its business time, and nothing
        is saved. A command in the answer records its event for at least some
        arguments; one left out is refused whatever its arguments (within the
        probes' reach: docs/allowed.md says how far that is). A read-only desk, a case
        below its store's floor of rules and one held to rules newer than the desk's
        accept nothing. Raises :class:`CaseNotFound` for an unknown case."""
        require_instance(by, Actor, "by")
        if self._store.env.get(READ_ONLY):
            return ()
        if occurred_at is not None:
            require_aware(occurred_at, "occurred_at")
        case = self._load(case_id)
        # The clock after the load, as a command reads it: a case recorded on by another
        # writer in between would otherwise look as if its store time went backwards.
        now = self._now()
        at = now if occurred_at is None else occurred_at
        try:
            self._require_floor(case)
        except (RulesBelowFloor, RulesNewerThanDesk):
            return ()
        situation = Situation(case.state, by, at.date(), lambda: self._other_case(case_id))
        token = _DRY.set(_DryRun(case_id, case, now))
        try:
            return tuple(self._offered(case_id, by, at, situation))
        finally:
            _DRY.reset(token)

    def _offered(
        self, case_id: UUID, by: Actor, at: datetime, situation: Situation
    ) -> list[Allowed]:
        offered = []
        for name, declaration in COMMANDS.items():
            probes = PROBES.get(name)
            if probes is None:
                continue  # open_case: there is no case before it
            method: Callable[..., int] = getattr(self, name)
            targets: list[str] = []
            accepted = False
            for probe in probes(situation):
                if probe.target is not None and probe.target in targets:
                    continue
                if probe.target is None and accepted:
                    break
                try:
                    method(case_id, by=by, occurred_at=at, **probe.arguments)
                except CaseHistoryError:
                    continue
                accepted = True
                if probe.target is not None:
                    targets.append(probe.target)
            if accepted:
                event = declaration.event.__name__
                offered.append(Allowed(name, event, declaration.target, tuple(targets)))
        return offered

    def _run(self, case_id: UUID, act: Callable[[Case, datetime], None]) -> int:
        dry = _DRY.get()
        if dry is None or dry.case_id != case_id:
            return super()._run(case_id, act)
        self._store.require_writable()
        case = dry.fresh()
        act(case, dry.now)
        return case.version

    def _other_case(self, case_id: UUID) -> UUID | None:
        """Some case of the store other than ``case_id`` (a link needs one)."""
        recorder: Any = self._recorder
        with reading(recorder) as reader:
            if reader is None:
                head = recorder.max_notification_id() or 0
                for n in recorder.select_notifications(start=1, limit=max(head, 1)):
                    if n.originator_version == 1 and n.originator_id != case_id:
                        return UUID(str(n.originator_id))
                return None
            rows = reader.rows(
                "SELECT originator_id FROM {table} WHERE originator_version = 1 "
                "AND originator_id <> ? LIMIT 1",
                reader.case_id(case_id),
            )
        return UUID(str(rows[0][0])) if rows else None
