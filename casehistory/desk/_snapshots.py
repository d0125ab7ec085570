"""Which snapshots a desk may start from: only those the chain vouches for.

A snapshot row is outside the hash chain, so its bytes prove nothing by themselves. The
event at a snapshot's version carries ``state_commitment``
(:func:`~casehistory.domain.chain.state_commitment`): a snapshot is used only when its
state hashes to that commitment, its ``digest`` is that event's, and its store times
are the case's. Any other snapshot (altered, moved, or written before commitments
existed) is ignored, and the case is replayed from its events: a snapshot can make a
load faster, never change an answer or a decision. Ignoring a snapshot that should
have checked out is reported (:class:`SnapshotLog`); one that predates commitments, or
holds the state under an older format that its commitment covers (:class:`Predates`),
is only counted.
"""

from __future__ import annotations

import logging
import warnings
from collections import OrderedDict
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from casehistory.domain.case import Case, CaseSnapshot
from casehistory.domain.chain import STATE_COMMITMENT, state_commitment
from casehistory.domain.events import CaseEvent
from casehistory.domain.rulebook import commitment_format
from casehistory.domain.state import STATE_FORMAT, CaseState

__all__ = ["Predates", "SnapshotIgnored", "SnapshotLog", "TrustedSnapshot", "snapshot_problem"]


class SnapshotIgnored(UserWarning):
    """Warned when a stored snapshot does not match the state its event committed to.

    Not an error: the desk ignores the snapshot and replays the case from its events,
    so every answer and decision stays right. But a snapshot that should have checked
    out and did not was changed outside the desk: run ``casehistory verify``."""


SNAPSHOT_TOPIC = get_topic(CaseSnapshot)
_LOG = logging.getLogger("casehistory.snapshots")
_SNAPSHOT_KEYS = frozenset({"_created_on", "_modified_on", "state"})


@attrs.frozen
class TrustedSnapshot:
    """A case's state at a version, from a snapshot that checked out (immutable)."""

    state: CaseState
    version: int
    created_on: datetime
    modified_on: datetime

    def case(self) -> Case:
        """A new aggregate at this snapshot, ready for the events after it."""
        case: Case = object.__new__(Case)
        case.__dict__.update(
            {
                "_id": self.state.case_id,
                "_version": self.version,
                "_created_on": self.created_on,
                "_modified_on": self.modified_on,
                "_pending_events": [],
                "state": self.state,
            }
        )
        return case


def decode_snapshot(mapper: Any, row: StoredEvent) -> CaseSnapshot | str:
    """The snapshot in ``row``, or why it cannot be read (never importing what a row
    names: a changed topic could name any module)."""
    if row.topic != SNAPSHOT_TOPIC:
        return f"has type {row.topic!r}, not a case snapshot"
    try:
        snapshot = mapper.to_domain_event(row)
    except Exception as error:  # stored bytes are untrusted: any decoding failure
        return f"cannot be decoded ({type(error).__name__}: {str(error)[:160]})"
    if not isinstance(snapshot, CaseSnapshot) or not isinstance(vars(snapshot).get("state"), dict):
        return "is not a case snapshot"
    return snapshot


def snapshot_problem(snapshot: CaseSnapshot, event: CaseEvent) -> str | None:
    """Why ``snapshot`` cannot be trusted as the state after ``event`` (None: it can)."""
    if snapshot.originator_version != event.originator_version:
        return f"is at version {snapshot.originator_version}, not {event.originator_version}"
    commitment = vars(event).get(STATE_COMMITMENT)
    if not isinstance(commitment, str):
        return (
            f"is at version {event.originator_version}, whose event commits to no state "
            "(recorded before snapshots were bound to the chain, or not a snapshot version)"
        )
    state = snapshot.state
    if not isinstance(state, dict) or set(state) != _SNAPSHOT_KEYS:
        return "does not hold a case's state and store times"
    case_state = state["state"]
    if not isinstance(case_state, CaseState) or case_state.case_id != event.originator_id:
        return "holds no state of this case"
    if case_state.digest != event.digest or state["_modified_on"] != event.timestamp:
        return "names another event than the one at its version (digest or store time differ)"
    try:
        computed = state_commitment(
            case_state,
            state["_created_on"],
            state["_modified_on"],
            state_format=commitment_format(case_state.rules),
        )
    except (TypeError, ValueError, AttributeError) as error:
        return f"holds values no state has ({error})"
    if computed != commitment:
        if _older_format(case_state, state, commitment):
            return Predates(
                f"was taken under state format 1 (before 0.2.0), which lacks the fields "
                f"of format {STATE_FORMAT}"
            )
        return (
            f"holds a state that hashes to {computed[:12]}..., not to the commitment "
            f"{commitment[:12]}... of its event: it was changed after it was taken"
        )
    return None


class Predates(str):
    """Why a snapshot is not used that is no sign of tampering: it holds the state
    under an older format, which its event's commitment covers (checked), but which
    lacks fields the desk reads now. Counted as ``unbound``, never warned."""

    __slots__ = ()


def _older_format(case_state: CaseState, state: dict[str, Any], commitment: str) -> bool:
    try:
        return commitment == state_commitment(
            case_state, state["_created_on"], state["_modified_on"], state_format=1
        )
    except (TypeError, ValueError, AttributeError):
        return False


def trusted(snapshot: CaseSnapshot) -> TrustedSnapshot:
    """The checked snapshot's content (call :func:`snapshot_problem` first)."""
    return TrustedSnapshot(
        snapshot.state["state"],
        snapshot.originator_version,
        snapshot.state["_created_on"],
        snapshot.state["_modified_on"],
    )


@attrs.define
class SnapshotLog:
    """What a desk did with snapshots: counters for operators, and a memory of the
    snapshot rows it already checked (so a command does not hash a state twice).

    ``ignored`` counts snapshots that did not check out (each also logged on the
    ``casehistory.snapshots`` logger and warned as :class:`SnapshotIgnored`);
    ``unbound`` those that predate state commitments (logged at INFO);
    ``used`` those a load started from; ``not_written`` failures to write one."""

    used: int = 0
    ignored: int = 0
    unbound: int = 0
    not_written: int = 0
    _checked: OrderedDict[tuple[UUID, int], tuple[tuple[str, bytes], TrustedSnapshot]] = (
        attrs.field(factory=OrderedDict, repr=False)
    )
    _limit: int = attrs.field(default=4096, repr=False)

    def remembered(self, row: StoredEvent) -> TrustedSnapshot | None:
        """The snapshot of ``row`` if this very row (same bytes) checked out before."""
        key = (_case_id(row), row.originator_version)
        known = self._checked.get(key)
        if known is None or known[0] != _fingerprint(row):
            return None
        self._checked.move_to_end(key)
        return known[1]

    def remember(self, row: StoredEvent, snapshot: TrustedSnapshot) -> None:
        key = (_case_id(row), row.originator_version)
        self._checked[key] = (_fingerprint(row), snapshot)
        self._checked.move_to_end(key)
        while len(self._checked) > self._limit:
            self._checked.popitem(last=False)

    def forget(self) -> None:
        """Forget the snapshots checked (or written) so far: the next load of each case
        decodes and checks its stored snapshot again. For tests that must go through
        the stored bytes, such as a state machine's "snapshots change no answer"."""
        self._checked.clear()

    def ignore(self, case_id: UUID, version: int, why: str, *, bound: bool) -> None:
        message = (
            f"snapshot of case {case_id} at version {version} ignored: it {why}; the case "
            "was replayed from its events (run `casehistory verify`)"
        )
        if not bound or isinstance(why, Predates):
            self.unbound += 1
            _LOG.info(message)
            return
        self.ignored += 1
        _LOG.warning(message)
        warnings.warn(message, SnapshotIgnored, stacklevel=4)

    def not_written_for(self, case_id: UUID, version: int) -> None:
        self.not_written += 1
        _LOG.warning("snapshot of case %s at version %d could not be written", case_id, version)


def _case_id(row: StoredEvent) -> UUID:
    return row.originator_id if isinstance(row.originator_id, UUID) else UUID(row.originator_id)


def _fingerprint(row: StoredEvent) -> tuple[str, bytes]:
    # The row's very bytes, compared whole: every load through a remembered snapshot
    # asks, and comparing a few KB costs less than hashing them (the state they decode
    # to, kept beside them, takes several times their size).
    return row.topic, bytes(row.state)
