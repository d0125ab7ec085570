"""Checkpoints of a store, and a store checked against checkpoints, in one pass.

The log's Merkle entries are the events' digests in log order (see
:mod:`casehistory.audit.scan`): the same pass that verifies every case's chain feeds a
:class:`~casehistory.audit.merkle.TreeBuilder` (whose tree head is read off at the size
of each checkpoint as the pass goes by) and, for each checkpoint, a
:class:`~casehistory.audit.case_heads.CaseHeads`. Memory grows with the number of
cases, except when the entries are kept (32 bytes each) for a consistency proof: two
or more checkpoints to check, or a ``previous`` one to extend. A store checked against
no checkpoint is read by case (:func:`~casehistory.audit.scan.scan_cases`), whose
memory does not grow with the number of cases.

Store time is held against each checkpoint's time: an event inside a checkpoint was
recorded no later than it, an event outside it no earlier (:data:`Problem.STORE_TIME`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import attrs

from casehistory.audit.case_heads import CaseHeads
from casehistory.audit.checkpoint import (
    AnyCheckpoint,
    Checkpoint,
    check_consistency,
    check_head,
    store_origin,
)
from casehistory.audit.merkle import TreeBuilder, consistency_proof
from casehistory.audit.note import SignerKey, VerifierKey
from casehistory.audit.scan import LogEntry, scan_cases, scan_log
from casehistory.audit.verify import Finding, Problem, Verification, log_size
from casehistory.errors import (
    CaseHistoryError,
    CheckpointMismatch,
    InvalidInput,
    StoreTimeWentBackwards,
)

__all__ = ["CheckpointOutcome", "StoreCheck", "check_store", "make_checkpoint"]

Progress = Callable[[int], None] | None


def make_checkpoint(
    desk: Any,
    *,
    key: SignerKey | None = None,
    previous: AnyCheckpoint | None = None,
    progress: Progress = None,
) -> tuple[Checkpoint | None, Verification]:
    """Verify the whole store and, if every chain holds, pin it in a checkpoint dated by
    the desk's clock (signed with ``key`` if given).

    A store that fails verification gets no checkpoint (None): pinning a tampered
    history would make it look sound. The size is fixed before the clock is read, so
    every event inside was recorded before the checkpoint's time. Raises
    :class:`InvalidInput` for an empty store and :class:`CheckpointMismatch` when the
    log does not extend ``previous`` (a log never signs two inconsistent checkpoints)."""
    size = log_size(desk)
    created_at = desk.clock.now()
    if size == 0:
        raise InvalidInput(
            "the store has no event: a checkpoint of no entry pins nothing and names no "
            "store (rule: the origin comes from the first event); open a case first"
        )
    tree, heads = TreeBuilder(), CaseHeads(size)
    kept: list[bytes] | None = [] if previous is not None else None
    first: list[bytes] = []
    latest: list[datetime] = []

    def entry(logged: LogEntry) -> None:
        if logged.position == 0:
            first.append(logged.leaf)
        if logged.position < size:
            tree.append(logged.leaf)
            heads.add(logged)
            if kept is not None:
                kept.append(logged.leaf)
            if logged.recorded_at is not None and (not latest or logged.recorded_at > latest[0]):
                latest[:] = [logged.recorded_at]

    verification = scan_log(desk, entry=entry, progress=progress)
    if not verification.ok:
        return None, verification
    if tree.size < size:  # rows deleted while we read: nothing sound to pin
        raise CheckpointMismatch(
            f"the log held {size} events when the checkpoint began and {tree.size} when it "
            "was read (rule: the log only grows); find who deletes events, then retry"
        )
    _require_clock(created_at, latest[0] if latest else None, previous)
    made = Checkpoint(
        origin=store_origin(first[0]),
        size=size,
        root=tree.root(),
        created_at=created_at,
        cases=len(heads),
        cases_root=heads.root(),
    )
    if previous is not None and kept is not None:
        _require_extends(previous, made, kept)
    return (made.sign(key) if key is not None else made), verification


def _require_clock(
    created_at: datetime, latest: datetime | None, previous: AnyCheckpoint | None
) -> None:
    """A checkpoint's time must not precede what it pins: its events, or the previous
    checkpoint. Otherwise every later check would find its own events "recorded after
    the checkpoint", and ``known_at`` answers would rest on a time that never was."""
    if latest is not None and created_at < latest:
        raise StoreTimeWentBackwards(
            f"the desk's clock says {created_at.isoformat()}, earlier than the latest event "
            f"in the store ({latest.isoformat()}) (rule: a checkpoint is dated after "
            "everything it pins); fix the clock of the machine making the checkpoint"
        )
    before = getattr(previous, "created_at", None)
    if isinstance(before, datetime) and created_at < before:
        raise StoreTimeWentBackwards(
            f"the desk's clock says {created_at.isoformat()}, earlier than the previous "
            f"checkpoint ({before.isoformat()}) (rule: checkpoints are dated in the order "
            "they are made); fix the clock of the machine making the checkpoint"
        )


def _require_extends(previous: AnyCheckpoint, made: Checkpoint, entries: list[bytes]) -> None:
    if previous.origin is not None and previous.origin != made.origin:
        raise CheckpointMismatch(
            f"the previous checkpoint is of {previous.origin}, this store is {made.origin} "
            "(rule: a log extends only its own checkpoints); pass a checkpoint of this store"
        )
    if previous.size > made.size:
        raise CheckpointMismatch(
            f"the previous checkpoint covers {previous.size} entries, the log has only "
            f"{made.size} (rule: the log only grows; a truncated tail?); nothing is signed"
        )
    check_consistency(previous, made, consistency_proof(entries, previous.size, made.size))
    if made.created_at < previous.created_at:
        raise CheckpointMismatch(
            f"the store clock says {made.created_at.isoformat()}, before the previous "
            f"checkpoint's {previous.created_at.isoformat()} (rule: store time never goes "
            "backwards); fix the clock, then retry"
        )


@attrs.frozen
class CheckpointOutcome:
    """What one checkpoint came to: ``problem`` is None when the store extends it."""

    checkpoint: AnyCheckpoint
    problem: str | None
    extends_previous: str | None = None
    """For each checkpoint after the first (by size): how the consistency proof from
    the one before it went, in words."""
    signature: str = "unsigned"
    """What its signatures prove, in words ("unsigned", "signed by an unpinned key
    NAME (not verified: pin a key)", "signed by the trusted key NAME+ID")."""


@attrs.frozen
class StoreCheck:
    """Every chain of the store, and every checkpoint, checked in one pass."""

    verification: Verification
    """The chains' findings, and the store times that contradict a checkpoint."""
    log_size: int
    checkpoints: tuple[CheckpointOutcome, ...]
    origin: str | None = None
    """The store's origin (None for an empty store)."""

    @property
    def ok(self) -> bool:
        return self.verification.ok and all(o.problem is None for o in self.checkpoints)


@attrs.define
class _Pass:
    """What one pass over the log gathers for the checkpoints being checked."""

    ordered: list[AnyCheckpoint]
    tree: TreeBuilder = attrs.Factory(TreeBuilder)
    heads: dict[int, bytes] = attrs.Factory(dict)
    first: bytes | None = None
    kept: list[bytes] | None = None
    case_heads: dict[int, CaseHeads] = attrs.Factory(dict)
    findings: list[Finding] = attrs.Factory(list)

    def __attrs_post_init__(self) -> None:
        self.kept = [] if len(self.ordered) > 1 else None
        for checkpoint in self.ordered:
            if isinstance(checkpoint, Checkpoint):
                self.case_heads[id(checkpoint)] = CaseHeads(checkpoint.size)

    def entry(self, logged: LogEntry) -> None:
        if self.first is None:
            self.first = logged.leaf
        self.tree.append(logged.leaf)
        if self.kept is not None:
            self.kept.append(logged.leaf)
        if any(c.size == self.tree.size for c in self.ordered):
            self.heads[self.tree.size] = self.tree.root()
        for checkpoint in self.ordered:
            if isinstance(checkpoint, Checkpoint):
                self.case_heads[id(checkpoint)].add(logged)
                self._check_time(checkpoint, logged)

    def _check_time(self, checkpoint: Checkpoint, logged: LogEntry) -> None:
        at = logged.recorded_at
        if at is None:
            return
        inside = logged.position < checkpoint.size
        when = checkpoint.created_at.isoformat()
        of = f"the checkpoint of {checkpoint.size} entries made at {when}"
        if inside and at > checkpoint.created_at:
            detail = (
                f"was recorded at {at.isoformat()}, after {of}, which includes it (rule: "
                "every event inside a checkpoint was recorded by its time): its store time "
                "was changed"
            )
        elif not inside and at < checkpoint.created_at:
            detail = (
                f"was recorded at {at.isoformat()}, before {of}, which does not include it "
                "(rule: an event recorded before a checkpoint is inside it): it was written "
                "beside the desk after the checkpoint, back-dated"
            )
        else:
            return
        self.findings.append(Finding(logged.case_id, logged.version, Problem.STORE_TIME, detail))


def check_store(
    desk: Any,
    checkpoints: Sequence[AnyCheckpoint],
    *,
    trusted_key: VerifierKey | None = None,
    progress: Progress = None,
) -> StoreCheck:
    """Verify the store, and that it still extends each checkpoint (its origin, root and
    case heads, and each checkpoint the one before it, with an RFC 9162 consistency
    proof built from the store), and that store times agree with each checkpoint's time.

    With ``trusted_key`` every checkpoint must be signed by it; without, signatures are
    described, never reported as verified (see :meth:`Checkpoint.verify_signature`)."""
    ordered = sorted(checkpoints, key=lambda c: c.size)
    if not ordered:  # nothing needs the log's order: the pass by case, flat in memory
        by_case = scan_cases(desk, progress=progress)
        if by_case is not None:
            first = by_case.first_leaf
            origin = store_origin(first) if first is not None else None
            verified = by_case.verification
            return StoreCheck(verified, verified.events, (), origin)
    gathered = _Pass(ordered)
    scanned = scan_log(desk, entry=gathered.entry, progress=progress)
    origin = store_origin(gathered.first) if gathered.first is not None else None
    outcomes = []
    for index, checkpoint in enumerate(ordered):
        signature = "unsigned"
        try:
            signature = checkpoint.verify_signature(trusted_key)
            problem = _problem(checkpoint, origin, gathered)
        except CaseHistoryError as error:
            problem = str(error)
        extends = None
        if index > 0 and gathered.kept is not None:
            extends = _consistency(ordered[index - 1], checkpoint, gathered.kept)
        outcomes.append(CheckpointOutcome(checkpoint, problem, extends, signature))
    verification = attrs.evolve(scanned, findings=(*scanned.findings, *gathered.findings))
    return StoreCheck(verification, gathered.tree.size, tuple(outcomes), origin)


def _problem(checkpoint: AnyCheckpoint, origin: str | None, gathered: _Pass) -> str | None:
    if checkpoint.origin is not None and checkpoint.origin != origin:
        named = (
            f"this checkpoint is of the store {checkpoint.origin}, this store is "
            f"{origin or 'empty'} (rule: a checkpoint pins one store, named by its first "
            "event): another store (check --db, or the checkpoint file), or this store's "
            "first event was deleted or changed"
        )
        try:
            check_head(checkpoint, gathered.tree.size, gathered.heads.get(checkpoint.size, b""))
        except CaseHistoryError as error:
            return f"{named}; and {error}"
        return named
    check_head(checkpoint, gathered.tree.size, gathered.heads.get(checkpoint.size, b""))
    if isinstance(checkpoint, Checkpoint):
        heads = gathered.case_heads[id(checkpoint)]
        if (len(heads), heads.root()) != (checkpoint.cases, checkpoint.cases_root):
            return (
                f"the case heads of the first {checkpoint.size} entries ({len(heads)} cases) "
                f"do not hash to the checkpoint's ({checkpoint.cases} cases) although its "
                "root matches: the checkpoint's cases line was forged; get the original"
            )
    return None


def _consistency(old: AnyCheckpoint, new: AnyCheckpoint, entries: Sequence[bytes]) -> str:
    if new.size > len(entries):
        return "no consistency proof: the log is shorter than the newer checkpoint"
    proof = consistency_proof(entries, old.size, new.size)
    try:
        check_consistency(old, new, proof)
    except CaseHistoryError as error:
        return str(error)
    return (
        f"extends the checkpoint of {old.size} entries "
        f"(RFC 9162 consistency proof of {len(proof)} hashes verified)"
    )
