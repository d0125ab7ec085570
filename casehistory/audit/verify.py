"""Verification: recompute every case's hash chain from the stored rows.

Nothing a row says about itself is trusted: each stored event is decoded from its
bytes, its record rebuilt (:mod:`casehistory.domain.chain`) from the case id and
version of the row, its digest recomputed over that record and the stored digest of
the event before it, and compared with the digest it carries. What can go wrong, and
what each :class:`Problem` means, is in docs/auditing.md.

Two ways in: :func:`verify_cases` reads the named cases one by one; :func:`scan_log`
reads the whole event log once, checking every case as it goes: by case, a case at a
time, when it verifies alone; in log order when it hands each event's digest to a
Merkle tree, so that checkpoints (:mod:`casehistory.audit.checkpoint`) are made and
checked in the same single pass.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from casehistory.audit.log import (  # re-exported: read the log where it is checked
    CaseRows,
    case_rows,
    log_cases,
    log_keys,
    log_rows,
    log_size,
    rows_by_case,
)
from casehistory.audit.raw import FieldsProblem, RowProblem, Unsupported, raw_record
from casehistory.domain.chain import digest, plain_digest, record_of
from casehistory.domain.events import EVENT_TYPES, CaseEvent, CaseOpened

__all__ = [
    "CaseRows",
    "Finding",
    "Problem",
    "Verification",
    "ChainCheck",
    "case_rows",
    "log_cases",
    "log_keys",
    "log_rows",
    "log_size",
    "out_of_log_order",
    "out_of_log_order_at",
    "rows_by_case",
    "verify_cases",
]

_TOPICS = frozenset(get_topic(cls) for cls in EVENT_TYPES)


class Problem(Enum):
    """What is wrong with a stored event, as verification can tell."""

    ALTERED = "altered"
    """Its content, type, case or version no longer matches its digest."""
    MISSING = "missing"
    """Versions of the case are absent: deleted, moved to another case or renumbered."""
    OUT_OF_ORDER = "out of order"
    """The log holds a version of the case after a later one: rows were renumbered."""
    UNREADABLE = "unreadable"
    """The row cannot be decoded, or names a type that is not a case event."""
    ABSENT = "absent"
    """A case asked for has no event at all in the store."""
    SNAPSHOT = "snapshot"
    """A stored snapshot does not match the state its event committed to."""
    STORE_TIME = "store time"
    """An event's store time goes backwards within its case, or contradicts a checkpoint."""
    UNLAWFUL = "unlawful"
    """The event is intact but no desk would have recorded it: it breaks a rule."""


@attrs.frozen
class Finding:
    """One thing wrong: which case, which version (None: the case as a whole), what."""

    case_id: UUID | None
    """None where the case cannot be told (a line of a bundle that is not a record)."""
    version: int | None
    problem: Problem
    detail: str

    def __str__(self) -> str:
        if self.case_id is None:
            return self.detail
        where = f"case {self.case_id}" + (f" version {self.version}" if self.version else "")
        return f"{where}: {self.detail}"


@attrs.frozen
class Verification:
    """The outcome of a verification: what was read, and every finding."""

    cases: int
    events: int
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """Whether every chain held."""
        return not self.findings


Decode = Callable[[StoredEvent], Any]


@attrs.define
class ChainCheck:
    """The chain of one case, checked row by row in version order.

    Feed it the rows with :meth:`check`; it keeps the stored digest of the last row as
    the link the next one must have been chained to. After a gap or an unreadable row
    the link is unknown, so the next row's digest is not compared (the gap is the
    finding)."""

    case_id: UUID
    decode: Decode
    expected: int = 1
    previous: str | None = None
    link_known: bool = True
    findings: list[Finding] = attrs.Factory(list)
    recorded_at: datetime | None = None
    """The store time of the last event checked (None before the first, or unreadable)."""
    keep_record: bool = False
    """Whether to keep :attr:`record` (an export writes it; a pass over a whole log keeps
    nothing per case but the link)."""
    record: dict[str, Any] | None = None
    """With ``keep_record``, the record of the last row checked (None when it could not
    be read): what an export writes of it."""

    def _find(self, version: int | None, problem: Problem, detail: str) -> None:
        self.findings.append(Finding(self.case_id, version, problem, detail))

    def advance(self, version: int) -> None:
        """Note that ``version`` comes next, finding the versions skipped before it."""
        if version > self.expected:
            missing = (
                f"version {self.expected} is"
                if version == self.expected + 1
                else f"versions {self.expected}-{version - 1} are"
            )
            self._find(
                self.expected,
                Problem.MISSING,
                f"{missing} missing (deleted, moved to another case or renumbered)",
            )
            self.link_known = False
        self.expected = version + 1

    def check(self, row: StoredEvent) -> str | None:
        """Check one stored row; return the digest it carries (None if it has none).

        The record is read straight from the row's bytes (:mod:`casehistory.audit.raw`),
        which also checks every value has its declared type; rows that walk cannot read
        take the reference path: decode, then :func:`record_of`."""
        version = row.originator_version
        if row.topic in _TOPICS:
            try:
                raw = raw_record(row.topic, bytes(row.state), self.case_id, version)
            except RowProblem as problem:
                self.advance(version)
                self.record = None
                return self._mistyped(row, version, problem)
            except Unsupported:
                pass
            except ValueError:  # not JSON: the reference path says why
                pass
            else:
                self.advance(version)
                self.note_time(version, raw.recorded_at)
                self.record = raw.record if self.keep_record else None
                return self.settle(version, raw.type_name, raw.record, raw.digest, plain=True)
        self.record = None
        return self._check_decoded(row, version)

    def _mistyped(self, row: StoredEvent, version: int, problem: RowProblem) -> str | None:
        if isinstance(problem, FieldsProblem):
            detail = str(problem)
        else:
            detail = (
                f"holds a value of another type than its event declares: {problem} (its "
                "digest cannot show it: the record is the same; the desk would read it wrong)"
            )
        self._find(version, Problem.ALTERED, detail)
        self.link_known, self.recorded_at = False, None
        try:
            stored = json.loads(bytes(row.state)).get("digest")
        except (ValueError, AttributeError):
            return None
        return stored if isinstance(stored, str) else None

    def _check_decoded(self, row: StoredEvent, version: int) -> str | None:
        self.advance(version)
        event = self._decode(row)
        if event is None:
            self.link_known = False
            self.recorded_at = None
            return None
        self.note_time(version, event.timestamp)
        stored = vars(event).get("digest")
        try:
            entry = record_of(event)
        except Exception as error:  # a field removed, or one of a foreign type
            self._find(version, Problem.ALTERED, f"has fields no event has ({error})")
            self.link_known = False
            return stored if isinstance(stored, str) else None
        self.record = entry if self.keep_record else None
        return self.settle(version, type(event).__name__, entry, stored)

    def note_time(self, version: int, recorded_at: datetime) -> None:
        """Note an event's store time, finding it if it is earlier than the event's before
        it: a desk never records a case's events with store time going backwards, so
        such an event was written beside the desk (often back-dated, to look known
        earlier than it was)."""
        before = self.recorded_at
        if before is not None and recorded_at < before:
            self._find(
                version,
                Problem.STORE_TIME,
                f"was recorded at {recorded_at.isoformat()}, before version {version - 1} "
                f"({before.isoformat()}): store time never goes backwards within a case "
                "(rule: a back-dated event was written beside the desk)",
            )
        self.recorded_at = recorded_at

    def settle(
        self,
        version: int,
        type_name: str,
        entry: Mapping[str, Any],
        stored: object,
        *,
        plain: bool = False,
    ) -> str | None:
        """Check an event's record against the digest it carries (after :meth:`advance`),
        and make that digest the link the next event must have been chained to."""
        if not isinstance(stored, str):
            self._find(version, Problem.ALTERED, "carries no digest")
            self.link_known = False
            return None
        if (version == 1) != (type_name == CaseOpened.__name__):
            self._find(
                version,
                Problem.ALTERED,
                f"is a {type_name}; a case starts with CaseOpened at version 1, and only there",
            )
        recompute = plain_digest if plain else digest
        try:
            computed = recompute(entry, self.previous) if self.link_known else stored
        except (TypeError, ValueError) as error:  # rfc8785 refuses it (a lone surrogate)
            self._find(version, Problem.ALTERED, f"has no canonical JSON ({error})")
            self.previous, self.link_known = stored, True
            return stored
        if computed != stored:
            self._find(
                version,
                Problem.ALTERED,
                f"{type_name} does not match its digest {stored[:12]}...: its content, "
                "type, case or version changed after it was recorded",
            )
        self.previous, self.link_known = stored, True
        return stored

    def _decode(self, row: StoredEvent) -> CaseEvent | None:
        version = row.originator_version
        if row.topic not in _TOPICS:
            # Never import what a row names: a changed topic could name any module.
            self._find(version, Problem.UNREADABLE, f"has type {row.topic!r}, not a case event")
            return None
        try:
            event = self.decode(row)
        except Exception as error:  # stored bytes are untrusted: any decoding failure
            reason = f"{type(error).__name__}: {error}".split("\n")[0][:200]
            self._find(version, Problem.UNREADABLE, f"cannot be decoded ({reason})")
            return None
        assert isinstance(event, CaseEvent)
        return event


def out_of_log_order(
    case_id: UUID, versions: Sequence[int], positions: Sequence[int]
) -> list[Finding]:
    """The versions of a case that come after a later version in the log (as a pass in
    log order finds them), from its rows' versions and log positions."""
    return [finding for _, finding in out_of_log_order_at(case_id, versions, positions)]


def out_of_log_order_at(
    case_id: UUID, versions: Sequence[int], positions: Sequence[int]
) -> list[tuple[int, Finding]]:
    """:func:`out_of_log_order`, each finding with its row's log position (a pass over
    many cases orders them by it, as a pass in log order would have met them)."""
    findings, highest = [], 0
    for position, version in sorted(zip(positions, versions, strict=True)):
        if version < highest:
            findings.append(
                (
                    position,
                    Finding(
                        case_id,
                        version,
                        Problem.OUT_OF_ORDER,
                        f"comes after version {highest} in the log: rows were renumbered "
                        "or swapped",
                    ),
                )
            )
        else:
            highest = version
    return findings


def verify_cases(desk: Any, case_ids: Iterable[UUID], *, snapshots: bool = True) -> Verification:
    """Verify the chains of the named cases, each read on its own in version order, and
    (unless ``snapshots`` is False) their stored snapshots."""
    from casehistory.audit.snapshots import snapshot_findings  # it imports this module

    findings: list[Finding] = []
    found: list[UUID] = []
    cases = events = 0
    for case_id, rows, _ in rows_by_case(desk, case_ids):
        cases += 1
        if not rows:
            findings.append(Finding(case_id, None, Problem.ABSENT, "has no event in this store"))
            continue
        found.append(case_id)
        chain = ChainCheck(case_id, desk._mapper.to_domain_event)
        for row in rows:
            chain.check(row)
        events += len(rows)
        findings.extend(chain.findings)
    if snapshots:  # after the pass: rows_by_case holds its transaction while it yields
        for case_id in found:
            findings.extend(snapshot_findings(desk, case_id))
    return Verification(cases, events, tuple(findings))


def stand_in_leaf(row: StoredEvent) -> bytes:
    """The Merkle entry of a row whose digest cannot be read: the hash of its bytes,
    which no recorded digest equals, so any checkpoint over it fails."""
    return hashlib.sha256(b"unreadable:" + bytes(row.state)).digest()
