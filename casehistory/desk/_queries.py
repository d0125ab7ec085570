"""What a desk answers: a case as it stands, as it stood, as it was known, and its trail.

The as-of machinery is here (docs/as-of.md; the arithmetic is in ``_as_of.py``), and
where a load starts: the nearest snapshot the chain vouches for (``_snapshots.py``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

import orjson
from eventsourcing.persistence import (
    ConnectionPoolClosedError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.utils import get_topic

from casehistory._sql import reading
from casehistory.desk._as_of import (
    At,
    Loaded,
    ReadPlan,
    index_covers,
    last_version_recorded_by,
    runs_to_read,
)
from casehistory.desk._snapshots import (
    SnapshotLog,
    TrustedSnapshot,
    decode_snapshot,
    snapshot_problem,
    trusted,
)
from casehistory.domain.chain import STATE_COMMITMENT
from casehistory.domain.events import CaseEvent, CaseOpened
from casehistory.domain.state import evolve
from casehistory.domain.values import require_aware, require_instance
from casehistory.errors import (
    CaseNotFound,
    StoreUnavailable,
)
from casehistory.views import CaseView, Trail, trail
from casehistory.views.events import FoldedEvents

if TYPE_CHECKING:
    from casehistory.desk._base import _Store

STORE_FAILURES = (PersistenceError, sqlite3.Error)
"""What a store raises when it cannot be used (IntegrityError, a version clash, is one)."""


def _stored_time(state: bytes, name: str) -> datetime | None:
    """A time field of a stored event, read without decoding the event (None when the
    bytes do not say plainly: the caller then decodes it).

    The field is found by its bytes when they occur once in the record: a key and its
    type tag cannot occur inside a JSON string, whose quotes are escaped, so a single
    occurrence is the event's own field. Anything else is parsed in full."""
    marker = _TIME_MARKERS[name]
    if state.count(marker) == 1:
        start = state.index(marker) + len(marker)
        end = state.find(b'"', start)
        try:
            return datetime.fromisoformat(state[start:end].decode())
        except (UnicodeDecodeError, ValueError):
            return None
    try:
        field = orjson.loads(state)[name]
        if field["_type_"] != "datetime_iso":
            return None
        return datetime.fromisoformat(field["_data_"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


_TIME_MARKERS = {
    name: b'"' + name.encode() + b'":{"_type_":"datetime_iso","_data_":"'
    for name in ("timestamp", "occurred_at")
}


def _occurred_by(state: bytes, as_of: datetime) -> bool:
    """Whether the stored event occurred by ``as_of``, read without decoding it (True
    when the bytes do not say plainly: the event is then decoded and its own field
    decides, since the caller filters the decoded events again)."""
    occurred = _stored_time(state, "occurred_at")
    return occurred is None or occurred <= as_of


class Queries:
    """The queries of :class:`~casehistory.CaseDesk`, and how they read the store."""

    if TYPE_CHECKING:  # provided by DeskBase
        _store: _Store
        snapshot_log: SnapshotLog

        @property
        def _snapshot_rows(self) -> Any: ...

    def history(self, case_id: UUID) -> tuple[CaseEvent, ...]:
        """Every event of a case, oldest first, as stored."""
        require_instance(case_id, UUID, "case_id")
        try:
            events = tuple(self._store.events.get(case_id))
        except STORE_FAILURES as error:
            raise StoreUnavailable(f"cannot read case {case_id} from the store: {error}") from None
        if not events:
            raise CaseNotFound(f"no case {case_id} in this store")
        return events  # type: ignore[return-value]

    def _require_exists(self, case_id: UUID) -> None:
        """Raise :class:`CaseNotFound` unless the case exists (reads one event, not all)."""
        require_instance(case_id, UUID, "case_id")
        if not list(self._store.events.get(case_id, limit=1)):
            raise CaseNotFound(f"no case {case_id} in this store")

    def case(
        self,
        case_id: UUID,
        *,
        as_of: datetime | None = None,
        known_at: datetime | None = None,
    ) -> CaseView:
        """The case as a frozen view: status, fault, ledger, holds, escalations, RMAs, events.

        Without times, the case as it stands. With ``known_at`` (store time), as the
        store knew it then: the events recorded at or before ``known_at``. With
        ``as_of`` (business time), as the world stood then: of those events, the ones
        that occurred at or before ``as_of``, folded in version order. Both must be
        timezone-aware. A case that did not exist yet at either time raises
        :class:`CaseNotFound`. Loads from the nearest snapshot (see docs/as-of.md).
        """
        require_instance(case_id, UUID, "case_id")
        if as_of is not None:
            require_aware(as_of, "as_of")
        if known_at is not None:
            require_aware(known_at, "known_at")
        version = None if known_at is None else self._version_known_at(case_id, known_at)
        known = self._loaded(case_id, version)
        if as_of is None:
            return self._view(case_id, known.last, known.start, known.events)
        return self._as_of(case_id, known, as_of)

    def trail(
        self,
        case_id: UUID,
        *,
        as_of: datetime | None = None,
        known_at: datetime | None = None,
    ) -> Trail:
        """The audit trail: one line per event, with versions, both times, actor and money.

        ``as_of`` and ``known_at`` select the events as :meth:`case` does.
        """
        if as_of is None and known_at is None:
            return trail(self.history(case_id))
        return trail(self.case(case_id, as_of=as_of, known_at=known_at).events)

    # The as-of machinery (docs/as-of.md; the arithmetic is in _as_of.py) ----

    def _read(
        self, case_id: UUID, *, gt: int | None = None, lte: int | None = None, **more: Any
    ) -> list[CaseEvent]:
        try:
            return cast(
                list[CaseEvent], list(self._store.events.get(case_id, gt=gt, lte=lte, **more))
            )
        except STORE_FAILURES as error:
            raise StoreUnavailable(f"cannot read case {case_id} from the store: {error}") from None

    def _read_later(self, case_id: UUID, prefix: int) -> list[CaseEvent]:
        """Versions 1..``prefix``, read when someone first reads a view's events."""
        try:
            return self._read(case_id, lte=prefix)
        except ConnectionPoolClosedError:
            raise StoreUnavailable(
                f"cannot read the events of case {case_id}: this view's desk is closed; "
                "read view.events before closing the desk, or use desk.history(case_id)"
            ) from None

    def _read_by(self, case_id: UUID, first: int, last: int, as_of: datetime) -> list[CaseEvent]:
        """Versions ``first``..``last`` that occurred by ``as_of``, decoded; the others
        only peeked at (their business time read from the stored JSON), since most
        events of a run read for one late entry occurred after ``as_of``."""
        try:
            rows = self._store.recorder.select_events(case_id, gt=first - 1, lte=last)
            return [
                self._store.mapper.to_domain_event(row)  # type: ignore[misc]
                for row in rows
                if _occurred_by(row.state, as_of)
            ]
        except STORE_FAILURES as error:
            raise StoreUnavailable(f"cannot read case {case_id} from the store: {error}") from None

    def _recorded_at(self, case_id: UUID, version: int) -> datetime:
        """The store time of one version: peeked at in the stored JSON (a binary search
        reads a dozen), the event decoded only when its bytes do not say plainly."""
        try:
            [row] = self._store.recorder.select_events(case_id, gt=version - 1, lte=version)
        except STORE_FAILURES as error:
            raise StoreUnavailable(f"cannot read case {case_id} from the store: {error}") from None
        peeked = _stored_time(row.state, "timestamp")
        if peeked is not None:
            return peeked
        return cast(CaseEvent, self._store.mapper.to_domain_event(row)).timestamp

    def _version_known_at(self, case_id: UUID, known_at: datetime) -> int:
        """The last version recorded at or before ``known_at``: 2 + log2(versions) reads."""
        last = self._read(case_id, desc=True, limit=1)
        if not last:
            raise CaseNotFound(f"no case {case_id} in this store")
        head = last[0]
        if head.timestamp <= known_at:
            return head.originator_version
        first = self._recorded_at(case_id, 1)
        if first > known_at:
            raise CaseNotFound(
                f"case {case_id} was not recorded yet at {known_at.isoformat()} (known_at): "
                f"its first event was recorded at {first.isoformat()}; ask with a later known_at"
            )
        with self._store_times(case_id) as recorded_at:
            return last_version_recorded_by(recorded_at, 1, head.originator_version, known_at)

    @contextmanager
    def _store_times(self, case_id: UUID) -> Iterator[Callable[[int], datetime]]:
        """``recorded_at(version)`` for a binary search: on SQLite and PostgreSQL every
        probe is one query on one connection (a transaction per probe costs more than
        the probe), the time peeked at in the stored JSON; elsewhere one read each."""
        with reading(self._store.recorder) as reader:
            if reader is None:
                yield lambda version: self._recorded_at(case_id, version)
                return
            stored_id = reader.case_id(case_id)

            def recorded_at(version: int) -> datetime:
                found = reader.rows(
                    "SELECT topic, state FROM {table} "
                    "WHERE originator_id = ? AND originator_version = ?",
                    stored_id,
                    version,
                )
                return self._time_in(found[0] if found else None, case_id, version)

            yield recorded_at

    def _time_in(self, row: Any, case_id: UUID, version: int) -> datetime:
        """The store time in a fetched ``(topic, state)`` row: peeked at, or decoded when
        its bytes do not say plainly."""
        if row is None:
            raise StoreUnavailable(
                f"version {version} of case {case_id} is missing from the store (deleted "
                "behind the desk's back?); run `casehistory verify`"
            )
        topic, state = row[0], bytes(row[1])
        peeked = _stored_time(state, "timestamp")
        if peeked is not None:
            return peeked
        stored = StoredEvent(case_id, version, topic, state)
        return cast(CaseEvent, self._store.mapper.to_domain_event(stored)).timestamp

    def _loaded(self, case_id: UUID, version: int | None) -> Loaded:
        """The case up to ``version`` (None: the last): the nearest snapshot at or below
        it that checks out against the chain, then the events after it."""
        start, events = self._start(case_id, version)
        if start is None:
            if not events:
                raise CaseNotFound(f"no case {case_id} in this store")
            return Loaded(None, tuple(events))
        return Loaded(At(start.state, start.version, start.modified_on), tuple(events))

    def _start(
        self, case_id: UUID, version: int | None
    ) -> tuple[TrustedSnapshot | None, list[CaseEvent]]:
        """Where a load starts: a trusted snapshot and the events after it, or no
        snapshot and every event up to ``version`` (see :mod:`._snapshots`)."""
        rows = self._snapshot_rows
        try:
            found = (
                [] if rows is None else rows.select_events(case_id, desc=True, limit=1, lte=version)
            )
        except STORE_FAILURES as error:
            raise StoreUnavailable(f"cannot read case {case_id} from the store: {error}") from None
        if not found:
            return None, self._read(case_id, lte=version)
        row = found[0]
        at = row.originator_version
        known = self.snapshot_log.remembered(row)
        if known is not None:
            self.snapshot_log.used += 1
            return known, self._read(case_id, gt=at, lte=version)
        events = self._read(case_id, gt=at - 1, lte=version)
        snapshot = decode_snapshot(self._store.mapper, row)
        if not events or events[0].originator_version != at:
            why = f"is at version {at}, which the case does not have"
        elif isinstance(snapshot, str):
            why = snapshot
        else:
            why = snapshot_problem(snapshot, events[0]) or ""
            if not why:
                start = trusted(snapshot)
                self.snapshot_log.remember(row, start)
                self.snapshot_log.used += 1
                return start, events[1:]
        bound = bool(events) and STATE_COMMITMENT in vars(events[0])
        self.snapshot_log.ignore(case_id, at, why, bound=bound or not events)
        return None, [*self._read(case_id, lte=at - 1), *events]

    def _view(self, case_id: UUID, last: At, stored: int, kept: Sequence[CaseEvent]) -> CaseView:
        """The view of ``last``, folded from versions 1..``stored`` (read from the store
        only if someone reads ``view.events``) and then the events ``kept`` in memory."""
        if stored:
            events = FoldedEvents(
                count=stored + len(kept),
                read=lambda: (*self._read_later(case_id, stored), *kept),
            )
        else:
            events = FoldedEvents(kept)
        return CaseView.of(
            last.state, events, version=last.version, last_recorded_at=last.recorded_at
        )

    def _as_of(self, case_id: UUID, known: Loaded, as_of: datetime) -> CaseView:
        """Fold the versions of ``known`` that occurred by ``as_of``."""
        last = known.last
        if last.state.opened_at > as_of:
            raise CaseNotFound(
                f"case {case_id} was not open yet at {as_of.isoformat()} (as_of): it was "
                f"opened at {last.state.opened_at.isoformat()}; ask with a later as_of"
            )
        runs = last.state.occurred_runs
        plan: ReadPlan | None = (0, ((1, last.version),))  # no index: read them all
        if index_covers(runs, last.version):
            plan = runs_to_read(runs, last.version, as_of)
        if plan is None:  # everything known occurred by as_of
            return self._view(case_id, last, known.start, known.events)
        base, ranges = plan
        # The state at base: from what was read already if it reaches that far back
        # (always, when there is no snapshot), else from the nearest snapshot below it.
        at: At | None = None
        if base >= known.start:
            stored, kept = known.start, list(known.between(known.start + 1, base))
            at = known.at(base) if base else None
        else:
            stored, kept = base, []
            at = self._loaded(case_id, base).last if base else None
        state, tail = (at.state if at else None), []
        for first, end in ranges:
            older = min(end, known.start)  # versions up to the snapshot are in the store
            stored_part = self._read_by(case_id, first, older, as_of) if first <= older else []
            for event in (*stored_part, *known.between(max(first, older + 1), end)):
                if event.occurred_at <= as_of:
                    state = evolve(state, event)
                    tail.append(event)
        # CaseOpened occurred by as_of (checked above): the state starts at base > 0,
        # or the first range starts at version 1 and CaseOpened is folded first.
        assert state is not None
        if tail:
            at = At(state, tail[-1].originator_version, tail[-1].timestamp)
        assert at is not None
        return self._view(case_id, at, stored, [*kept, *tail])

    def case_ids(self) -> Iterator[UUID]:
        """The id of every case in the store, in the order the cases were opened."""
        topic = get_topic(CaseOpened)
        start = 1
        while True:
            try:
                page = self._store.recorder.select_notifications(start, 500, topics=[topic])
            except (*STORE_FAILURES, TypeError, ValueError) as error:
                # A row whose case id is NULL or no UUID fails in the driver's conversion.
                raise StoreUnavailable(
                    f"cannot read the cases of the store after position {start - 1}: "
                    f"{type(error).__name__}: {error!s:.120} (a row changed outside the "
                    "desk?); run `casehistory verify`"
                ) from None
            for notification in page:
                yield cast(UUID, notification.originator_id)
            if len(page) < 500:
                return
            start = page[-1].id + 1
