"""Checkpoints of a store, and a store checked against checkpoints, in one pass.

The log's Merkle entries are the events' digests in log order (see
:mod:`casehistory.audit.scan`): the same pass that verifies every case's chain feeds a
:class:`~casehistory.audit.merkle.TreeBuilder`, whose tree head is read off at the
size of each checkpoint as the pass goes by. Memory stays flat, except when two or
more checkpoints are checked: then the entries are kept (32 bytes each) to build the
RFC 9162 consistency proof between each checkpoint and the next.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import attrs
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casehistory.audit.checkpoint import Checkpoint, check_consistency, check_head
from casehistory.audit.merkle import TreeBuilder, consistency_proof
from casehistory.audit.scan import LogEntry, scan_log
from casehistory.audit.verify import Verification
from casehistory.errors import CaseHistoryError

__all__ = ["CheckpointOutcome", "StoreCheck", "check_store", "make_checkpoint"]

Progress = Callable[[int], None] | None


def make_checkpoint(
    desk: Any,
    created_at: datetime,
    *,
    key: Ed25519PrivateKey | None = None,
    progress: Progress = None,
) -> tuple[Checkpoint | None, Verification]:
    """Verify the whole store and, if every chain holds, pin it in a checkpoint (signed
    with ``key`` if given). A store that fails verification gets no checkpoint (None):
    pinning a tampered history would make it look sound."""
    tree = TreeBuilder()
    verification = scan_log(desk, entry=lambda e: tree.append(e.leaf), progress=progress)
    if not verification.ok:
        return None, verification
    checkpoint = Checkpoint(tree.size, tree.root(), created_at)
    return (checkpoint.sign(key) if key is not None else checkpoint), verification


@attrs.frozen
class CheckpointOutcome:
    """What one checkpoint came to: ``problem`` is None when the store extends it."""

    checkpoint: Checkpoint
    problem: str | None
    extends_previous: str | None = None
    """For each checkpoint after the first (by size): how the consistency proof from
    the one before it went, in words."""


@attrs.frozen
class StoreCheck:
    """Every chain of the store, and every checkpoint, checked in one pass."""

    verification: Verification
    log_size: int
    checkpoints: tuple[CheckpointOutcome, ...]

    @property
    def ok(self) -> bool:
        return self.verification.ok and all(o.problem is None for o in self.checkpoints)


def check_store(
    desk: Any,
    checkpoints: Sequence[Checkpoint],
    *,
    trusted_key: bytes | None = None,
    progress: Progress = None,
) -> StoreCheck:
    """Verify the store, and that it still extends each checkpoint (and each checkpoint
    the one before it, with an RFC 9162 consistency proof built from the store).

    Signed checkpoints must verify under their key, and under ``trusted_key`` if given;
    with ``trusted_key``, an unsigned checkpoint fails."""
    ordered = sorted(checkpoints, key=lambda c: c.size)
    tree = TreeBuilder()
    heads: dict[int, bytes] = {0: tree.root()}
    wanted = {c.size for c in ordered}
    kept: list[bytes] | None = [] if len(ordered) > 1 else None

    def entry(logged: LogEntry) -> None:
        digest = logged.leaf
        tree.append(digest)
        if kept is not None:
            kept.append(digest)
        if tree.size in wanted:
            heads[tree.size] = tree.root()

    verification = scan_log(desk, entry=entry, progress=progress)
    outcomes = []
    for index, checkpoint in enumerate(ordered):
        problem = _problem(checkpoint, tree.size, heads, trusted_key)
        extends = None
        if index > 0 and kept is not None:
            previous = ordered[index - 1]
            extends = _consistency(previous, checkpoint, kept)
        outcomes.append(CheckpointOutcome(checkpoint, problem, extends))
    return StoreCheck(verification, tree.size, tuple(outcomes))


def _problem(
    checkpoint: Checkpoint, log_size: int, heads: dict[int, bytes], trusted_key: bytes | None
) -> str | None:
    try:
        if checkpoint.signature is not None or trusted_key is not None:
            checkpoint.verify_signature(trusted_key)
        check_head(checkpoint, log_size, heads.get(checkpoint.size, b""))
    except CaseHistoryError as error:
        return str(error)
    return None


def _consistency(old: Checkpoint, new: Checkpoint, entries: Sequence[bytes]) -> str:
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
