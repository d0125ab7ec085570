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

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.persistence import StoredEvent

from casehistory.audit.snapshots import snapshot_findings, snapshot_index
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


_DIGEST = re.compile(r"[0-9a-f]{64}")


def _entry(row: StoredEvent, digest: str | None) -> bytes:
    if digest is not None and _DIGEST.fullmatch(digest):
        return bytes.fromhex(digest)
    return stand_in_leaf(row)


def _case_id(row: StoredEvent) -> UUID:
    # Recorders give UUIDs back; the type also admits the str ids of other applications.
    return row.originator_id if isinstance(row.originator_id, UUID) else UUID(row.originator_id)


@attrs.define
class _Case:
    """What the pass keeps of one case: its chain, the highest version seen, and
    whether its versions arrived out of order (then it is read again on its own)."""

    chain: ChainCheck
    highest: int = 0
    irregular: bool = False


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
    cases: dict[UUID, _Case] = {}
    ordering: list[Finding] = []
    events = 0
    for row in log_rows(desk):
        events += 1
        case_id = _case_id(row)
        version = row.originator_version
        seen = cases.get(case_id)
        if seen is None:
            seen = cases[case_id] = _Case(ChainCheck(case_id, decode))
        if version < seen.highest:
            ordering.append(
                Finding(
                    case_id,
                    version,
                    Problem.OUT_OF_ORDER,
                    f"comes after version {seen.highest} in the log: rows were "
                    "renumbered or swapped",
                )
            )
        else:
            seen.highest = version
        chain = seen.chain
        if not seen.irregular and version != chain.expected:
            seen.irregular = True
        if seen.irregular:
            # Checked again on its own after the pass; here only its entry is needed.
            chain = ChainCheck(case_id, decode, expected=version, link_known=False)
        digest = chain.check(row)
        if entry is not None:
            entry(LogEntry(events - 1, case_id, version, _entry(row, digest), chain.recorded_at))
        if progress is not None and events % 500 == 0:
            progress(events)
    if progress is not None:
        progress(events)
    findings: list[Finding] = []
    for seen in cases.values():
        if not seen.irregular:
            findings.extend(seen.chain.findings)
    irregulars = [case_id for case_id, seen in cases.items() if seen.irregular]
    findings.extend(verify_cases(desk, irregulars, snapshots=False).findings)
    findings.extend(ordering)
    indexed = snapshot_index(desk)
    for case_id in cases if indexed is None else indexed[0]:
        findings.extend(snapshot_findings(desk, case_id))
    if indexed is not None:
        findings.extend(indexed[1])
    return Verification(len(cases), events, tuple(findings))
