"""The application service core: store, clock, policies, load/save and queries."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Self, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    PersistenceError,
)
from eventsourcing.utils import Environment, EnvType, get_topic

from casehistory.clock import Clock, SystemClock
from casehistory.domain.case import Case
from casehistory.domain.events import CaseEvent, CaseOpened
from casehistory.domain.policies import Policies
from casehistory.domain.values import require_instance
from casehistory.errors import (
    CaseAlreadyExists,
    CaseNotFound,
    ConcurrentUpdate,
    InvalidInput,
    StoreUnavailable,
)
from casehistory.store import describe_store, register_value_transcodings, store_env
from casehistory.views import CaseView, Trail, case_view, trail

_STORE_FAILURES = (PersistenceError, sqlite3.Error)
"""What a store raises when it cannot be used (IntegrityError, a version clash, is one)."""

SNAPSHOT_INTERVAL = 50
"""Snapshot every 50 events of a case.

Most cases hold 10-40 events and never pay for a snapshot; a long-lived case is
loaded from its last snapshot plus at most 49 events, so command latency stays
flat however long a case grows (see docs/design.md and benchmarks/)."""


def _project(aggregate: Any, events: Iterable[Any]) -> Any:
    # A plain loop: eventsourcing's default projector spends most of a replay on a
    # runtime Protocol isinstance check per event.
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class DeskBase(Application[UUID]):
    name = "CaseDesk"
    snapshotting_intervals: ClassVar[dict[Any, int]] = {Case: SNAPSHOT_INTERVAL}
    snapshotting_projectors: ClassVar[dict[Any, Any]] = {Case: _project}

    def __init__(
        self,
        env: EnvType | None = None,
        *,
        clock: Clock | None = None,
        policies: Policies | None = None,
    ) -> None:
        if clock is not None and not callable(getattr(clock, "now", None)):
            raise InvalidInput(f"clock must have a now() method, got {clock!r}")
        if policies is not None and not isinstance(policies, Policies):
            raise InvalidInput(f"policies must be a Policies, got {policies!r}")
        self.clock: Clock = clock or SystemClock()
        self.policies: Policies = policies or Policies()
        super().__init__(env)

    @classmethod
    def open(
        cls,
        location: str | Path = ":memory:",
        *,
        clock: Clock | None = None,
        policies: Policies | None = None,
    ) -> Self:
        """Open a desk on ``":memory:"``, a SQLite file path or a ``postgresql://`` URL."""
        env = store_env(location)
        try:
            return cls(env, clock=clock, policies=policies)
        except _STORE_FAILURES as error:
            raise StoreUnavailable(
                f"cannot open the store {describe_store(location)}: {error}".strip()
            ) from None

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only what open() was given: a stray CASEDESK_* variable in os.environ must
        # never point a desk (or a test) at another store.
        settings = dict(type(self).env)
        settings["IS_SNAPSHOTTING_ENABLED"] = "y"
        settings.update(env or {})
        return Environment(name, settings)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_value_transcodings(transcoder)

    # Commands ----------------------------------------------------------------

    def _now(self) -> datetime:
        return self.clock.now()

    def _load(self, case_id: UUID) -> Case:
        require_instance(case_id, UUID, "case_id")
        try:
            case: Case = self.repository.get(case_id, projector_func=_project)
        except AggregateNotFoundError:
            raise CaseNotFound(f"no case {case_id} in this store") from None
        except _STORE_FAILURES as error:
            raise StoreUnavailable(f"cannot read case {case_id} from the store: {error}") from None
        return case

    def _save(self, case: Case) -> None:
        first = case.version - len(case.pending_events) + 1  # save() empties pending_events
        try:
            self.save(case)
        except _STORE_FAILURES as error:
            if not isinstance(error, IntegrityError):
                raise StoreUnavailable(f"cannot record on case {case.id}: {error}") from None
            if first == Case.INITIAL_VERSION:
                raise CaseAlreadyExists(
                    f"case {case.id} already exists; open the new case without case_id, "
                    "or with an id of its own"
                ) from None
            raise ConcurrentUpdate(
                f"case {case.id} changed while this command ran (another writer recorded "
                f"version {first} first); reload the case and retry the command"
            ) from None

    def _run(self, case_id: UUID, act: Callable[[Case, datetime], None]) -> None:
        """Load, act, save: the whole of every command."""
        case = self._load(case_id)
        act(case, self._now())
        self._save(case)

    # Queries -----------------------------------------------------------------

    def history(self, case_id: UUID) -> tuple[CaseEvent, ...]:
        """Every event of a case, oldest first, as stored."""
        require_instance(case_id, UUID, "case_id")
        try:
            events = tuple(self.events.get(case_id))
        except _STORE_FAILURES as error:
            raise StoreUnavailable(f"cannot read case {case_id} from the store: {error}") from None
        if not events:
            raise CaseNotFound(f"no case {case_id} in this store")
        return events  # type: ignore[return-value]

    def _require_exists(self, case_id: UUID) -> None:
        """Raise :class:`CaseNotFound` unless the case exists (reads one event, not all)."""
        require_instance(case_id, UUID, "case_id")
        if not list(self.events.get(case_id, limit=1)):
            raise CaseNotFound(f"no case {case_id} in this store")

    def case(self, case_id: UUID) -> CaseView:
        """The case as a frozen view: status, fault, ledger, holds, escalations, RMAs, events."""
        return case_view(self.history(case_id))

    def trail(self, case_id: UUID) -> Trail:
        """The audit trail: one line per event, with versions, both times, actor and money."""
        return trail(self.history(case_id))

    def case_ids(self) -> Iterator[UUID]:
        """The id of every case in the store, in the order the cases were opened."""
        topic = get_topic(CaseOpened)
        start = 1
        while True:
            page = self.recorder.select_notifications(start, 500, topics=[topic])
            for notification in page:
                yield cast(UUID, notification.originator_id)
            if len(page) < 500:
                return
            start = page[-1].id + 1
