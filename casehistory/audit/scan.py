"""One pass over the whole event log: every case's chain, and the log's Merkle entries.

Verifying alone (:func:`scan_cases`, and :func:`scan_log` without ``entry``) reads the
log once by case (the order of the table's key: case id, then version) from one
streamed query, and checks a case at a time: memory does not grow with the number of
cases nor of events. What depends on the log's order is found from each row's log
position: a case whose versions come out of order in the log (:data:`Problem.OUT_OF_ORDER`),
the order the findings are given in (as a pass in log order gives them), and the log's
first entry (the store's origin).

A pass that hands on each event's Merkle entry in log order (``entry``, for the
checkpoints' trees) reads the log in log order, a page at a time, keeping one chain link
per case: memory grows with the number of cases, never with the number of events (the
trees' case heads keep one entry per case anyway). In a sound store each case's events
arrive in version order, so each is checked as it arrives. A case whose versions arrive
out of order or with gaps is marked and, after the pass, read again on its own in
version order, so that its findings are the same as
:func:`~casehistory.audit.verify.verify_cases` gives. Both passes give the same
findings, in the same order (tests/integration/test_audit_memory_flat.py).

Each event's Merkle entry is the 32 bytes of the digest it carries (an unreadable row
gets a stand-in no digest equals). A rewritten event either keeps its old digest, and
its chain check fails, or carries a new one, and every checkpoint over it fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.persistence import StoredEvent

from casehistory.audit.log import LogRow, log_by_case, snapshot_keys
from casehistory.audit.snapshots import snapshot_case, snapshot_findings
from casehistory.audit.verify import (
    ChainCheck,
    Finding,
    Problem,
    Verification,
    log_rows,
    out_of_log_order_at,
    stand_in_leaf,
    verify_cases,
)

__all__ = ["CaseScan", "LogEntry", "scan_cases", "scan_log", "stored_snapshot_findings"]


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
    if entry is None:
        scanned = scan_cases(desk, progress=progress)
        if scanned is not None:
            return scanned.verification
    return _scan_in_log_order(desk, entry=entry, progress=progress)


def _scan_in_log_order(
    desk: Any,
    *,
    entry: Callable[[LogEntry], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Verification:
    """:func:`scan_log` in log order: one chain link kept per case."""
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
    stored = stored_snapshot_findings(desk)  # in the same order as the pass by case
    if stored is None:  # the in-process store: its cases' snapshots, one case at a time
        stored = [f for case_id in cases for f in snapshot_findings(desk, case_id)]
    findings.extend(stored)
    return Verification(len(cases), events, tuple(findings))


@attrs.frozen
class CaseScan:
    """What a pass over the log by case found."""

    verification: Verification
    first_leaf: bytes | None
    """The Merkle entry of the log's first event (None for an empty log): it names the
    store (:func:`~casehistory.audit.checkpoint.store_origin`)."""


class _Irregular(Exception):
    """A case id stored in a form no desk writes: the pass by case, which groups rows by
    their stored id, could split a case that a pass in log order reads as one."""


def scan_cases(desk: Any, *, progress: Callable[[int], None] | None = None) -> CaseScan | None:
    """Verify every case in the store in one pass over the log by case, keeping nothing
    of a case once it is checked: the findings of :func:`scan_log`, in its order.

    None for the in-process store, which has no SQL to read the log by case.
    ``progress`` receives the number of events read so far, every 500."""
    rows = log_by_case(desk)
    if rows is None:
        return None
    try:
        scan = _ByCase(desk._mapper.to_domain_event, progress)
        for row in rows:
            scan.take(row)
        scan.close_case()
    except _Irregular:
        _close(rows)  # end the read before reading again
        verification = _scan_in_log_order(desk, progress=progress)
        return CaseScan(verification, _first_leaf(desk))
    finally:
        # Now, not when the collector finds it: a read left open by a failure would
        # be ended after the desk closed its store, and complain.
        _close(rows)
    if progress is not None:
        progress(scan.events)
    snapshots = stored_snapshot_findings(desk)
    assert snapshots is not None  # a store with SQL
    findings = (
        *(f for _, f in sorted(scan.regular, key=_first)),
        *(f for _, f in sorted(scan.irregular, key=_first)),
        *(f for _, f in sorted(scan.ordering, key=_first)),
        *snapshots,
    )
    return CaseScan(Verification(scan.cases, scan.events, findings), scan.first_leaf)


def _close(rows: Iterator[Any]) -> None:
    close = getattr(rows, "close", None)
    if close is not None:
        close()


def _first(found: tuple[int, Finding]) -> int:
    return found[0]


def _first_leaf(desk: Any) -> bytes | None:
    for row in log_rows(desk, page=1):
        return _entry(row, ChainCheck(_case_id(row), desk._mapper.to_domain_event).check(row))
    return None


class _ByCase:
    """The pass by case: one case's chain at a time, and what the log order needs of it
    (its rows' positions), then only its findings, each with the log position that
    orders it: a pass in log order gives a case's chain findings in the order of the
    case's first event, the cases that come irregularly (out of order, or with gaps)
    after the others, and the versions out of log order by their place in the log."""

    def __init__(self, decode: Any, progress: Callable[[int], None] | None) -> None:
        self.decode = decode
        self.progress = progress
        self.regular: list[tuple[int, Finding]] = []
        self.irregular: list[tuple[int, Finding]] = []
        self.ordering: list[tuple[int, Finding]] = []
        self.cases = self.events = 0
        self.first_leaf: bytes | None = None
        self.first_position: int | None = None
        self.stored_id: Any = None
        self.chain: ChainCheck | None = None
        self.positions: list[int] = []
        self.versions: list[int] = []
        self.in_order = True
        """Whether the case's rows so far are in log order (positions rising)."""
        self.gapless = True
        """Whether its versions so far are 1, 2, 3... with none missing."""

    def take(self, row: LogRow) -> None:
        position, stored_id, version, topic, state = row
        chain = self.chain
        if chain is None or stored_id != self.stored_id:
            chain = self._open_case(stored_id)
        positions = self.positions
        if positions:
            self.in_order = self.in_order and position > positions[-1]
            self.gapless = self.gapless and version == self.versions[-1] + 1
        else:
            self.gapless = version == 1
        positions.append(position)
        self.versions.append(version)
        stored = StoredEvent(chain.case_id, version, topic, bytes(state))
        digest = chain.check(stored)
        if self.first_position is None or position < self.first_position:
            self.first_position, self.first_leaf = position, _entry(stored, digest)
        self.events += 1
        if self.progress is not None and self.events % 500 == 0:
            self.progress(self.events)

    def _open_case(self, stored_id: Any) -> ChainCheck:
        self.close_case()
        if isinstance(stored_id, UUID):
            case_id = stored_id
        else:
            try:
                case_id = UUID(stored_id)
            except (TypeError, ValueError, AttributeError):
                raise _Irregular from None
            if case_id.hex != stored_id:
                raise _Irregular
        self.stored_id = stored_id
        self.cases += 1
        self.chain = ChainCheck(case_id, self.decode)
        return self.chain

    def close_case(self) -> None:
        chain = self.chain
        if chain is None:
            return
        first = min(self.positions)
        found = self.regular if self.in_order and self.gapless else self.irregular
        found.extend((first, finding) for finding in chain.findings)
        if not self.in_order:
            self.ordering.extend(out_of_log_order_at(chain.case_id, self.versions, self.positions))
        self.chain, self.positions, self.versions = None, [], []
        self.in_order = self.gapless = True


def stored_snapshot_findings(desk: Any) -> list[Finding] | None:
    """What is wrong with the stored snapshots of every case, the snapshots table read a
    page of case ids at a time (as :func:`~casehistory.audit.snapshots.snapshot_index`
    finds, without holding every case id): None for the in-process store. A row whose
    id is no UUID is a finding of its own, after the others."""
    keys = snapshot_keys(desk)
    if keys is None:
        return None
    findings: list[Finding] = []
    strays: list[Finding] = []
    last: Any = None
    for stored_id, _ in keys:
        case_id = snapshot_case(stored_id)
        if isinstance(case_id, Finding):
            strays.append(case_id)
            continue
        # A case's snapshots are read back (snapshot_findings) by the id as the desk
        # writes it: a row under another spelling of the id is found by no read.
        canonical = isinstance(stored_id, UUID) or stored_id == case_id.hex
        if canonical and stored_id != last:
            findings.extend(snapshot_findings(desk, case_id))
            last = stored_id
    return [*findings, *strays]
