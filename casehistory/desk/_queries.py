"""What a desk answers: a case as it stands, as it stood, as it was known, and its trail.

The as-of machinery is here (docs/as-of.md; the arithmetic is in ``_as_of.py``), and
where a load starts: the nearest snapshot the chain vouches for (``_snapshots.py``).
The rows are read through ``_case_rows.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from eventsourcing.persistence import ConnectionPoolClosedError, StoredEvent
from eventsourcing.utils import get_topic

from casehistory._sql import reading
from casehistory.desk._as_of import (
    At,
    Loaded,
    Row,
    last_version_recorded_by,
    occurred_by,
    plan,
    stored_time,
)
from casehistory.desk._case_rows import STORE_FAILURES as STORE_FAILURES
from casehistory.desk._case_rows import _Rows, _snapshot_table
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
    from casehistory.desk._application import _Store

_stored_time = stored_time  # the name tests and older code import from here


class Queries:
    """The queries of :class:`~casehistory.CaseDesk`, and how they read the store."""

    if TYPE_CHECKING:  # provided by DeskOpening
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
        with self._rows() as rows:
            version = None if known_at is None else self._version_known_at(rows, case_id, known_at)
            known = self._loaded(case_id, version, rows)
            if as_of is None:
                return self._view(case_id, known.last, known.start, known.events)
            return self._as_of(rows, case_id, known, as_of)

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

    @contextmanager
    def _rows(self) -> Iterator[_Rows]:
        """The stored rows of one answer (see :class:`_Rows`)."""
        events, snapshots = self._store.recorder, self._snapshot_rows
        table = _snapshot_table(events, snapshots)
        if table is None:
            yield _Rows(events, snapshots)
            return
        with reading(events) as reader:
            yield _Rows(events, snapshots, reader, table)

    def _decoded(self, case_id: UUID, rows: Sequence[Row]) -> list[CaseEvent]:
        decode = self._store.mapper.to_domain_event
        return [cast(CaseEvent, decode(StoredEvent(case_id, *row))) for row in rows]

    def _read_by(
        self, rows: _Rows, case_id: UUID, first: int, last: int, as_of: datetime
    ) -> list[CaseEvent]:
        """Versions ``first``..``last`` that occurred by ``as_of``, decoded; the others
        only peeked at (their business time read from the stored JSON), since most
        events of a run read for one late entry occurred after ``as_of``."""
        read = rows.events(case_id, first, last)
        return self._decoded(case_id, [row for row in read if occurred_by(row[2], as_of)])

    def _version_known_at(self, rows: _Rows, case_id: UUID, known_at: datetime) -> int:
        """The last version recorded at or before ``known_at``: 2 + log2(versions) reads,
        the times peeked at in the stored JSON (the last event is decoded)."""
        last = rows.last(case_id)
        if last is None:
            raise CaseNotFound(f"no case {case_id} in this store")
        head = self._decoded(case_id, [last])[0]
        if head.timestamp <= known_at:
            return head.originator_version

        def recorded_at(version: int) -> datetime:
            found = rows.events(case_id, version, version)
            return self._time_in(found[0] if found else None, case_id, version)

        first = recorded_at(1)
        if first > known_at:
            raise CaseNotFound(
                f"case {case_id} was not recorded yet at {known_at.isoformat()} (known_at): "
                f"its first event was recorded at {first.isoformat()}; ask with a later known_at"
            )
        return last_version_recorded_by(recorded_at, 1, head.originator_version, known_at)

    def _time_in(self, row: Row | None, case_id: UUID, version: int) -> datetime:
        """The store time in a fetched row: peeked at, or decoded when its bytes do not
        say plainly."""
        if row is None:
            raise StoreUnavailable(
                f"version {version} of case {case_id} is missing from the store (deleted "
                "behind the desk's back?); run `casehistory verify`"
            )
        peeked = stored_time(row[2], "timestamp")
        if peeked is not None:
            return peeked
        return self._decoded(case_id, [row])[0].timestamp

    def _loaded(self, case_id: UUID, version: int | None, rows: _Rows | None = None) -> Loaded:
        """The case up to ``version`` (None: the last): the nearest snapshot at or below
        it that checks out against the chain, then the rows after it (decoded when
        read: :class:`Loaded`)."""
        start, after = self._start_rows(case_id, version, rows)
        if start is None:
            if not after:
                raise CaseNotFound(f"no case {case_id} in this store")
            snapshot = None
        else:
            snapshot = At(start.state, start.version, start.modified_on)
        return Loaded(snapshot, tuple(after), functools.partial(self._decoded, case_id))

    def _start(
        self, case_id: UUID, version: int | None, rows: _Rows | None = None
    ) -> tuple[TrustedSnapshot | None, list[CaseEvent]]:
        """Where a load starts: a trusted snapshot and the events after it, or no
        snapshot and every event up to ``version`` (see :mod:`._snapshots`)."""
        start, after = self._start_rows(case_id, version, rows)
        return start, self._decoded(case_id, after)

    def _start_rows(
        self, case_id: UUID, version: int | None, rows: _Rows | None = None
    ) -> tuple[TrustedSnapshot | None, list[Row]]:
        """:meth:`_start`, the events left as rows."""
        if rows is None:
            with self._rows() as rows:
                return self._start_rows(case_id, version, rows)
        row = rows.snapshot(case_id, version)
        if row is None:
            return None, rows.events(case_id, 1, version)
        at = row.originator_version
        known = self.snapshot_log.remembered(row)
        if known is not None:
            self.snapshot_log.used += 1
            return known, rows.events(case_id, at + 1, version)
        read = rows.events(case_id, at, version)
        # Only the event at the snapshot's version is decoded: its commitment decides.
        first = self._decoded(case_id, read[:1]) if read and read[0][0] == at else []
        snapshot = decode_snapshot(self._store.mapper, row)
        if not first:
            why = f"is at version {at}, which the case does not have"
        elif isinstance(snapshot, str):
            why = snapshot
        else:
            why = snapshot_problem(snapshot, first[0]) or ""
            if not why:
                start = trusted(snapshot)
                self.snapshot_log.remember(row, start)
                self.snapshot_log.used += 1
                return start, read[1:]
        bound = bool(first) and STATE_COMMITMENT in vars(first[0])
        self.snapshot_log.ignore(case_id, at, why, bound=bound or not read)
        return None, [*rows.events(case_id, 1, at - 1), *read]

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

    def _as_of(self, rows: _Rows, case_id: UUID, known: Loaded, as_of: datetime) -> CaseView:
        """Fold the versions of ``known`` that occurred by ``as_of``."""
        opened_at, found = plan(known, as_of)
        if opened_at > as_of:
            raise CaseNotFound(
                f"case {case_id} was not open yet at {as_of.isoformat()} (as_of): it was "
                f"opened at {opened_at.isoformat()}; ask with a later as_of"
            )
        if found is None:  # everything known occurred by as_of
            return self._view(case_id, known.last, known.start, known.events)
        base, ranges = found
        # The state at base: from what was read already if it reaches that far back
        # (always, when there is no snapshot), else from the nearest snapshot below it.
        at: At | None = None
        if base >= known.start:
            stored, kept = known.start, list(known.between(known.start + 1, base))
            at = known.at(base) if base else None
        else:
            stored, kept = base, []
            at = self._loaded(case_id, base, rows).last if base else None
        state, tail = (at.state if at else None), []
        for first, end in ranges:
            older = min(end, known.start)  # versions up to the snapshot are in the store
            stored_part = self._read_by(rows, case_id, first, older, as_of)
            read_part = known.occurred_between(max(first, older + 1), end, as_of)
            for event in (*stored_part, *read_part):
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
        for notification in self._openings():
            yield cast(UUID, notification.originator_id)

    def _openings(self) -> Iterator[Any]:
        """The log's ``CaseOpened`` rows (notifications), in the order of the log."""
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
            yield from page
            if len(page) < 500:
                return
            start = page[-1].id + 1
