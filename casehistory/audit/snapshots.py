"""Every stored snapshot checked against the chain it claims to summarise.

A desk never uses a snapshot that does not check out (:mod:`casehistory.desk._snapshots`),
so a changed snapshot cannot change an answer; verification still names it, since a
snapshots table that changed was changed by someone outside the desk. A snapshot at a
version whose event commits to a state (every snapshot written since 0.2.0) must hash to
that commitment; one written before commitments existed (0.1.0) is checked the slow
way: the case is replayed to its version and the two states compared.
"""

from __future__ import annotations

import sqlite3
from typing import Any
from uuid import UUID

from eventsourcing.persistence import PersistenceError

from casehistory._sql import reading
from casehistory.audit.verify import Finding, Problem
from casehistory.desk._snapshots import Predates, decode_snapshot, snapshot_problem
from casehistory.domain.case import CaseSnapshot
from casehistory.domain.chain import STATE_COMMITMENT, state_commitment
from casehistory.domain.state import CaseState, fold
from casehistory.errors import StoreUnavailable

__all__ = ["snapshot_findings", "snapshot_index"]


def snapshot_index(desk: Any) -> tuple[dict[UUID, list[int]], list[Finding]] | None:
    """Which cases have stored snapshots, and at which versions, read in one query: the
    snapshots of cases the log does not hold are found too. None for the in-process
    store, whose snapshots are read case by case. Rows whose id is no UUID (no desk
    writes them, none reads them) are findings of their own."""
    recorder = desk._snapshot_rows
    if recorder is None:
        return {}, []
    with reading(recorder) as reader:
        if reader is None:
            return None
        keys = reader.rows("SELECT originator_id, originator_version FROM {table}")
    index: dict[UUID, list[int]] = {}
    strays: list[Finding] = []
    for case_id, version in keys:
        key = snapshot_case(case_id)
        if isinstance(key, Finding):
            strays.append(key)
        else:
            index.setdefault(key, []).append(int(version))
    return index, strays


def snapshot_case(stored_id: Any) -> UUID | Finding:
    """The case of a snapshot row's stored id, or the finding that it names none (no
    desk writes such a row, none reads it)."""
    try:
        return stored_id if isinstance(stored_id, UUID) else UUID(str(stored_id))
    except ValueError:
        return Finding(
            None,
            None,
            Problem.SNAPSHOT,
            f"the snapshots table holds a row for {str(stored_id)[:60]!r}, which is no "
            "case id: written beside the desk (delete the row)",
        )


def snapshot_findings(desk: Any, case_id: UUID) -> list[Finding]:
    """What is wrong with the stored snapshots of one case (nothing: an empty list).

    A snapshot of a case with no events is found too: it is at a version the case
    does not have."""
    recorder = desk._snapshot_rows
    if recorder is None:
        return []
    try:
        rows = recorder.select_events(case_id)
    except (PersistenceError, sqlite3.Error) as error:
        raise StoreUnavailable(f"cannot read the snapshots of case {case_id}: {error}") from None
    findings = []
    for row in rows:
        version = row.originator_version
        why = _problem(desk, case_id, version, decode_snapshot(desk._mapper, row))
        if why is not None:
            findings.append(
                Finding(
                    case_id,
                    version,
                    Problem.SNAPSHOT,
                    f"the snapshot at version {version} {why}; the desk ignores it and "
                    "replays the case (delete the row, or restore it from a backup)",
                )
            )
    return findings


def _problem(desk: Any, case_id: UUID, version: int, snapshot: CaseSnapshot | str) -> str | None:
    if isinstance(snapshot, str):
        return snapshot
    try:
        events = desk._read(case_id, gt=version - 1, lte=version)
    except Exception:  # an unreadable event: the chain check reports it
        return None
    if not events or events[0].originator_version != version:
        return "is at a version the case does not have"
    event = events[0]
    if STATE_COMMITMENT in vars(event):
        why = snapshot_problem(snapshot, event)
        return None if isinstance(why, Predates) else why
    return _replayed_problem(desk, case_id, snapshot, version)


def _replayed_problem(desk: Any, case_id: UUID, snapshot: CaseSnapshot, version: int) -> str | None:
    """A snapshot with no commitment to check against, compared with the replayed state."""
    try:
        events = desk._read(case_id, lte=version)
        expected = fold(events)
    except Exception:  # an unreadable or missing event: the chain check reports it
        return None
    state = snapshot.state
    if not isinstance(state, dict) or not isinstance(state.get("state"), CaseState):
        return "does not hold a case's state"
    held: CaseState = state["state"]
    try:
        # Written by 0.1.0, under state format 1: compared on the fields it has.
        same = held.digest == expected.digest and state_commitment(
            held, state["_created_on"], state["_modified_on"], state_format=1
        ) == state_commitment(expected, events[0].timestamp, events[-1].timestamp, state_format=1)
    except (TypeError, ValueError, AttributeError, KeyError) as error:
        return f"holds values no state has ({error})"
    if not same:
        return (
            "(written before snapshots were bound to the chain) differs from the case "
            "replayed to its version: it was changed after it was taken"
        )
    return None
