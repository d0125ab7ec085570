"""What every command of a desk runs: load, act, save, and the snapshots a save leaves,
run again on another writer's save (``retries``).

Apart from ``_opening.py``, which makes and opens a desk on its store (and closes it)
once: this is the command hot path.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import ClassVar, cast
from uuid import UUID

from eventsourcing.persistence import (
    IntegrityError,
)

from casehistory.desk._application import SNAPSHOTS_DUE, SNAPSHOTS_WRITTEN
from casehistory.desk._as_of import Row
from casehistory.desk._case_rows import STORE_FAILURES
from casehistory.desk._idempotent import (
    Pending,
    pending,
    recorded_commands,
)
from casehistory.desk._keys import CaseSealer
from casehistory.desk._loading import Seen
from casehistory.desk._loading import project as _project
from casehistory.desk._mapper import CaseMapper
from casehistory.desk._opening import SNAPSHOT_INTERVAL as SNAPSHOT_INTERVAL
from casehistory.desk._opening import DeskOpening
from casehistory.desk._snapshots import trusted
from casehistory.domain.case import Case, CaseSnapshot
from casehistory.domain.commands import CommandId, replay_of
from casehistory.domain.events import CaseEvent
from casehistory.domain.values import require_instance
from casehistory.errors import (
    CaseAlreadyExists,
    CaseNotFound,
    ConcurrentUpdate,
    InvalidInput,
    StoreUnavailable,
)

_FIRST_WAIT = 0.005
_LONGEST_WAIT = 0.2
"""Seconds between runs of a command that met another writer (see ``retries``)."""

_KEPT = "_kept"
"""Where ``_save`` leaves the cache's entry of the case as saved, for ``_run`` to confirm
(set after the command acted: no snapshot it took holds it)."""


class DeskBase(DeskOpening):
    """What every command of :class:`~casehistory.CaseDesk` runs (:meth:`_run`)."""

    _sealing: ClassVar[bool] = True
    """Whether commands seal personal texts (docs/data-protection.md). Off only in
    benchmarks/sealing.py, which measures what sealing costs against the same build
    without it: a desk that does not seal records personal data in plaintext."""

    # Commands ----------------------------------------------------------------

    def _decoded(self, case_id: UUID, rows: Sequence[Row]) -> list[CaseEvent]:
        # Every load's events, and the hot path of every command: the mapper decodes
        # the rows every desk writes without a StoredEvent each (CaseMapper.decoded).
        mapper = self._store.mapper
        if type(mapper) is CaseMapper:
            return cast(list[CaseEvent], mapper.decoded(case_id, rows))
        return super()._decoded(case_id, rows)

    def _now(self) -> datetime:
        return self.clock.now()

    def _load(self, case_id: UUID) -> Case:
        return self._load_seen(case_id)[0]

    def _load_seen(self, case_id: UUID) -> tuple[Case, Seen]:
        """The case, and when the desk's cache saw the store hold it (None: no cache)."""
        if type(case_id) is not UUID:  # a UUID's subclass, or no UUID: the check says
            require_instance(case_id, UUID, "case_id")
        if self._cache is None:
            return self._load_stored(case_id), None
        return self._cache.load(case_id, self)

    def _load_stored(self, case_id: UUID) -> Case:
        """The case from the store: its last trusted snapshot and the events after it."""
        start, events = self._start(case_id, None)
        if start is None and not events:
            raise CaseNotFound(f"no case {case_id} in this store")
        case = cast(Case, _project(None if start is None else start.case(), events))
        case.commit_state_every = self._snapshot_every
        return case

    def _save(self, case: Case) -> None:
        first = case.version - len(case.pending_events) + 1  # save() empties pending_events
        if self._cache is not None:
            self._cache.writing(case.id)
        try:
            recordings = self._store.save(case)
        except STORE_FAILURES as error:
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
        if len(recordings) != case.version - first + 1:
            # A store that skipped a row without an error and gave no recording for it
            # (a BEFORE trigger returning NULL on PostgreSQL; the SQLite writer checks
            # each INSERT itself): a command saves one event, so nothing of it was
            # recorded, and it must not say it was.
            raise StoreUnavailable(
                f"cannot record on case {case.id}: the store wrote {len(recordings)} of the "
                f"{case.version - first + 1} events given (a trigger on its events table "
                "skipped the insert?)" + ("" if recordings else "; nothing is recorded")
            )
        if recordings:
            self.last_position = recordings[-1].notification.id
        if self._cache is not None:
            # As the store now holds it; _run confirms the entry without looking it up.
            case.__dict__[_KEPT] = self._cache.keep(case, None)
        self._snapshot(case)

    def _snapshot(self, case: Case) -> None:
        """Write the snapshots the case took where its events committed to its state
        (:meth:`Case.commit_state_every`): of state this desk folded itself, never of
        a reload."""
        own = case.__dict__
        if SNAPSHOTS_WRITTEN not in own and SNAPSHOTS_DUE not in own:
            return  # 49 commands in 50
        written = own.pop(SNAPSHOTS_WRITTEN, None)
        if written is not None:  # in the events' transaction (_Store.save)
            taken, rows = written
            if rows is None:
                self.snapshot_log.not_written_for(case.id, case.version)
                return
            for snapshot, row in zip(taken, rows, strict=True):
                self.snapshot_log.remember(row, trusted(snapshot))
            return
        due: list[CaseSnapshot] = own.pop(SNAPSHOTS_DUE, [])
        snapshots = self._store.snapshots
        if not due or snapshots is None:
            return
        try:
            # What snapshots.put(due) does, keeping the rows: encoded once, not again
            # for the memory of the rows checked.
            rows = [snapshots.mapper.to_stored_event(snapshot) for snapshot in due]
            snapshots.recorder.insert_events(rows)
        except STORE_FAILURES:
            # The events are recorded: a missing snapshot costs only speed, so a failure
            # to write one must not turn a recorded command into an error.
            self.snapshot_log.not_written_for(case.id, case.version)
            return
        for snapshot, row in zip(due, rows, strict=True):
            # Folded here, so trusted here: a later load of these bytes needs no check.
            self.snapshot_log.remember(row, trusted(snapshot))

    def _run(self, case_id: UUID, act: Callable[[Case, datetime], None]) -> int:
        """Load, act, save: the whole of every command. Returns the case's new version.

        First, what the caller asked beyond the arguments (:mod:`._idempotent`): a
        command id already recorded on the case answers the version it left the case at
        (and records nothing); a case past the expected version is refused. A save that
        meets another writer is run again from a fresh load, rules and all, up to
        :attr:`retries` times."""
        self._store.require_writable()
        asked = pending()
        attempt = 0
        while True:
            case, seen = self._load_seen(case_id)
            if asked is not None:
                done = self._repeat_of(case, asked)
                if done is not None:
                    return done
                case.__dict__["command"] = asked.command
            if self._sealing:
                case.__dict__["sealer"] = CaseSealer.of(self._keys, case.state.customer, seen)
            try:
                act(case, self._now())
            finally:
                case.__dict__.pop("sealer", None)  # the desk's, not the case's
            try:
                self._save(case)
            except ConcurrentUpdate:
                attempt += 1
                if attempt > self.retries or (asked and asked.expected_version is not None):
                    raise
                self._back_off(attempt)
                continue
            if self._cache is not None:
                self._cache.confirm(case, seen, case.__dict__.pop(_KEPT, None))
            return case.version

    def _repeat_of(self, case: Case, asked: Pending) -> int | None:
        """The version a first delivery of the command left the case at (None: this is
        the first), after the rule of command ids; then the expected version's check."""
        if asked.command is not None:
            done = self._first_delivery(case.id, asked.command)
            if done is not None:
                return done
        expected = asked.expected_version
        if expected is not None and case.version != expected:
            raise ConcurrentUpdate(
                f"case {case.id} is at version {case.version}, not at the expected version "
                f"{expected} (rule: a command given expected_version records only on the "
                "version it names); read the case again and decide anew"
            )
        return None

    def _first_delivery(self, case_id: UUID, command: CommandId) -> int | None:
        """The version the first delivery of ``command`` left the case at, None when
        the case has none (:func:`~casehistory.domain.commands.replay_of`'s rule)."""
        return replay_of(command, recorded_commands(self._store, case_id, command.id), case_id)

    @property
    def retries(self) -> int:
        """How many times a command that meets another writer's save
        (:class:`ConcurrentUpdate`) is run again from a fresh load, its rules checked
        anew each time, after a wait that doubles from 5 ms to at most 200 ms, with
        jitter. 0 (the default): the error reaches the caller at once. A command given
        ``expected_version`` is never run again."""
        return self._retries

    @retries.setter
    def retries(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            raise InvalidInput(f"retries must be a whole number from 0 to 100, got {value!r:.80}")
        self._retries = value

    def _back_off(self, attempt: int) -> None:
        wait = min(_FIRST_WAIT * 2 ** (attempt - 1), _LONGEST_WAIT)
        time.sleep(wait * random.uniform(0.5, 1.0))  # jitter, not a secret
