"""JSON Lines export: every event's record with its digest, a line each.

A *plain* export (:func:`write_jsonl`) writes one line per event, the record
(:mod:`casehistory.domain.chain`) with its digest::

    {"case_id": "...", "version": 1, "type": "CaseOpened", "occurred_at": "...",
     "recorded_at": "...", "actor": {"id": "...", "role": "AGENT"},
     "payload": {...}, "digest": "<64 hex digits>"}

cases one after the other, each from version 1 in version order. Since a digest covers
the record and the digest before it, :func:`verify_bundle` recomputes every chain from
the file alone: a plain export is *self-consistent*, no more. It cannot show that a
case's last events, or a whole case, were left out, nor that a case was rewritten with
fresh digests. A *proven* bundle (:mod:`casehistory.audit.bundle`, ``export --checkpoint``)
carries a checkpoint and the proofs that close those gaps.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TextIO
from uuid import UUID

from casehistory.audit._erasure import FORGOTTEN_FIELD, forgotten_events, forgotten_rows
from casehistory.audit._lines import line_of
from casehistory.audit.bundle import PLAIN_FIELDS
from casehistory.audit.bundle_check import verify_bundle
from casehistory.audit.log import CaseRows, cases_in_log_order
from casehistory.audit.scan import stored_snapshot_findings
from casehistory.audit.snapshots import snapshot_findings
from casehistory.audit.verify import (
    ChainCheck,
    Finding,
    Problem,
    Verification,
    log_keys,
    out_of_log_order,
    rows_by_case,
)
from casehistory.domain.chain import record_of

__all__ = [
    "BUNDLE_FIELDS",
    "FORGOTTEN_FIELD",
    "UNVERIFIED_FIELD",
    "export_verified",
    "verify_bundle",
    "write_jsonl",
]

BUNDLE_FIELDS = PLAIN_FIELDS
"""The keys of every line of a plain export, in the order they are written."""

UNVERIFIED_FIELD = "unverified"
"""The key, last on each line, that marks an export of a store that failed verification."""


def write_jsonl(
    desk: Any, case_ids: Iterable[UUID], out: TextIO, *, unverified: bool = False
) -> int:
    """Write the events of ``case_ids``, a case at a time; return the lines written.

    ``unverified`` marks every line (``"unverified": true``, the last key): the store
    failed verification and was exported anyway (``export --unverified``). Each line of
    a case whose customer was forgotten ends with ``"forgotten": true`` (before
    ``unverified``): its personal texts are sealed under a destroyed key."""
    mark = {UNVERIFIED_FIELD: True} if unverified else {}
    lines = 0
    for case_id in case_ids:
        events = desk.history(case_id)
        erased = {FORGOTTEN_FIELD: True} if forgotten_events(events) else {}
        for event in events:
            line: dict[str, Any] = {**record_of(event), "digest": event.digest, **erased, **mark}
            out.write(line_of(line) + "\n")
            lines += 1
    return lines


def export_verified(
    desk: Any,
    case_ids: Sequence[UUID] | None,
    out: TextIO,
    *,
    progress: Callable[[int], None] | None = None,
) -> tuple[Verification, int]:
    """Verify the named cases (None: the whole store) and write their plain export, in
    one read of each case; return the verification and the lines written.

    Each case's rows are read once, in version order: the chain check reads its record
    from the row's bytes (:mod:`casehistory.audit.raw`), and that record is the line.
    So ``out`` receives lines before the verdict: give it a file to discard (the
    command line spools) when a failing store must export nothing. A row that cannot be
    read has no record and no line (it is a finding). For the whole store, every case the
    log holds is exported, in the order of its first event, even one that lost its
    ``CaseOpened``, and versions out of log order are found from the rows' log
    positions: the findings are those of :func:`~casehistory.audit.scan.scan_log`."""
    findings: list[Finding] = []
    ordering: list[Finding] = []
    by_log = cases_in_log_order(desk) if case_ids is None else None
    chosen: Sequence[UUID] = ()
    if case_ids is not None:
        chosen = case_ids
    elif by_log is None:  # the in-process store: one pass over its log for the order
        chosen, ordering = _log_order(desk)
    # The whole store of an SQL table is read a case at a time from a streamed query,
    # keeping nothing of a case once it is written: memory does not grow with cases.
    cases: Iterable[CaseRows] = rows_by_case(desk, chosen) if by_log is None else by_log
    decode = desk._mapper.to_domain_event
    events = lines = read = 0
    with contextlib.ExitStack() as reading:
        if by_log is not None:
            # Closed now, not when the collector finds it: a read left open by a
            # failure would be ended after the desk closed its store, and complain.
            reading.callback(getattr(by_log, "close", lambda: None))
        for case_id, rows, positions in cases:
            read += 1
            if not rows:
                findings.append(
                    Finding(case_id, None, Problem.ABSENT, "has no event in this store")
                )
                continue
            if by_log is not None:
                versions = [row.originator_version for row in rows]
                ordering.extend(out_of_log_order(case_id, versions, positions))
            chain = ChainCheck(case_id, decode, keep_record=True)
            erased = {FORGOTTEN_FIELD: True} if forgotten_rows(rows) else {}
            for row in rows:
                digest = chain.check(row)
                if chain.record is not None:
                    out.write(line_of({**chain.record, "digest": digest, **erased}) + "\n")
                    lines += 1
            events += len(rows)
            findings.extend(chain.findings)
            if progress is not None:
                progress(events)
    findings.extend(ordering)
    findings.extend(_snapshots(desk, chosen, whole=case_ids is None))
    return Verification(read - _absent(findings), events, tuple(findings)), lines


def _absent(findings: list[Finding]) -> int:
    return sum(1 for f in findings if f.problem is Problem.ABSENT)


def _log_order(desk: Any) -> tuple[list[UUID], list[Finding]]:
    """Every case in the log, in the order of its first event, and the versions that
    come after a later version of their case (as :func:`scan_log` finds them)."""
    highest: dict[UUID, int] = {}
    ordering: list[Finding] = []
    for case_id, version in log_keys(desk):
        seen = highest.get(case_id)
        if seen is not None and version < seen:
            ordering.append(
                Finding(
                    case_id,
                    version,
                    Problem.OUT_OF_ORDER,
                    f"comes after version {seen} in the log: rows were renumbered or swapped",
                )
            )
        else:
            highest[case_id] = version
    return list(highest), ordering


def _snapshots(desk: Any, case_ids: Sequence[UUID], *, whole: bool) -> list[Finding]:
    if not whole:
        return [f for case_id in case_ids for f in snapshot_findings(desk, case_id)]
    found = stored_snapshot_findings(desk)
    if found is None:  # the in-process store: its cases are in case_ids
        return [f for case_id in case_ids for f in snapshot_findings(desk, case_id)]
    return found
