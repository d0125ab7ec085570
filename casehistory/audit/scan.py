"""One pass over the whole event log: every case's chain, and the log's Merkle entries.

The log is read once, in log order, a page at a time; memory grows with the number of
cases (one chain link each), never with the number of events. In a sound store each
case's events arrive in version order, so each is checked as it arrives. A case whose
versions arrive out of order or with gaps is marked and, after the pass, read again
on its own in version order, so that its findings are the same as
:func:`~casehistory.audit.verify.verify_cases` gives.

Each event's Merkle entry is the 32 bytes of the digest it carries (an unreadable row
gets a stand-in no digest equals). A rewritten event either keeps its old digest, and
its chain check fails, or carries a new one, and every checkpoint over it fails.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.persistence import StoredEvent

from casehistory.audit.snapshots import snapshot_findings
from casehistory.audit.verify import (
    ChainCheck,
    Finding,
    Problem,
    Verification,
    log_rows,
    stand_in_leaf,
    verify_cases,
)

__all__ = ["LogEntry", "scan_log"]

_HEX = frozenset("0123456789abcdef")


@attrs.frozen
class LogEntry:
    """One event of the log as a pass over the log hands it on, in log order."""

    position: int
    """Its index in the log (0-based): its leaf index in the Merkle tree."""
    case_id: UUID
    version: int
    leaf: bytes
    """Its Merkle entry: the 32 bytes of its digest (a stand-in if unreadable)."""
    recorded_at: datetime | None
    """Its store time; None when the row cannot be decoded."""


def _entry(row: StoredEvent, digest: str | None) -> bytes:
    if digest is not None and len(digest) == 64 and set(digest) <= _HEX:
        return bytes.fromhex(digest)
    return stand_in_leaf(row)


def _case_id(row: StoredEvent) -> UUID:
    # Recorders give UUIDs back; the type also admits the str ids of other applications.
    return row.originator_id if isinstance(row.originator_id, UUID) else UUID(row.originator_id)


def scan_log(
    desk: Any,
    *,
    entry: Callable[[LogEntry], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Verification:
    """Verify every case in the store in one pass over the log.

    ``entry`` receives each event as a :class:`LogEntry`, in log order (for checkpoints);
    ``progress`` the number of events read so far, every page."""
    decode = desk._mapper.to_domain_event
    chains: dict[UUID, ChainCheck] = {}
    highest: dict[UUID, int] = {}
    irregular: set[UUID] = set()
    ordering: list[Finding] = []
    events = 0
    for row in log_rows(desk):
        events += 1
        case_id = _case_id(row)
        version = row.originator_version
        chain = chains.get(case_id)
        if chain is None:
            chain = chains[case_id] = ChainCheck(case_id, decode)
        if version < highest.get(case_id, 0):
            ordering.append(
                Finding(
                    case_id,
                    version,
                    Problem.OUT_OF_ORDER,
                    f"comes after version {highest[case_id]} in the log: rows were "
                    "renumbered or swapped",
                )
            )
        highest[case_id] = max(version, highest.get(case_id, 0))
        if case_id not in irregular and version != chain.expected:
            irregular.add(case_id)
        if case_id in irregular:
            # Checked again on its own after the pass; here only its entry is needed.
            alone = ChainCheck(case_id, decode, expected=version, link_known=False)
            digest, recorded_at = alone.check(row), alone.recorded_at
        else:
            digest, recorded_at = chain.check(row), chain.recorded_at
        if entry is not None:
            entry(LogEntry(events - 1, case_id, version, _entry(row, digest), recorded_at))
        if progress is not None and events % 500 == 0:
            progress(events)
    if progress is not None:
        progress(events)
    findings: list[Finding] = []
    for case_id, chain in chains.items():
        if case_id not in irregular:
            findings.extend(chain.findings)
    order = {case_id: n for n, case_id in enumerate(chains)}
    irregulars = sorted(irregular, key=order.__getitem__)
    findings.extend(verify_cases(desk, irregulars, snapshots=False).findings)
    findings.extend(ordering)
    for case_id in chains:
        findings.extend(snapshot_findings(desk, case_id))
    return Verification(len(chains), events, tuple(findings))
