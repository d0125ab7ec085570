"""Tampering directly in the database, with SQL, on SQLite and on PostgreSQL: verification
names the case, the version and what is wrong; an untouched store verifies clean."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from casehistory import CaseDesk
from casehistory.audit.scan import scan_log
from casehistory.audit.verify import Finding, Problem, Verification, verify_cases
from tests.integration._sealed import boxes, flip_box


@pytest.fixture
def tampered(
    store: str, open_desk: Callable[[], CaseDesk], realistic_case: Any, raw_sql: Any
) -> tuple[Any, UUID, UUID, Callable[[], Verification]]:
    """A store holding two cases, raw SQL on it, and ``check()``: a fresh desk's whole-log
    verification, which must agree with the case-by-case one."""
    case_id, related = realistic_case(open_desk())
    db = raw_sql

    def check() -> Verification:
        desk = open_desk()
        whole = scan_log(desk)
        one_by_one = verify_cases(desk, [related, case_id])
        assert set(one_by_one.findings) <= set(whole.findings)
        return whole

    return db, case_id, related, check


def only(verification: Verification) -> list[tuple[int | None, Problem]]:
    return [(f.version, f.problem) for f in verification.findings]


def test_an_untouched_store_verifies(tampered: Any) -> None:
    _, _, _, check = tampered
    result = check()
    assert result.ok
    assert (result.cases, result.events > 20) == (2, True)


def test_a_changed_byte_is_found_at_its_version(tampered: Any) -> None:
    db, case_id, _, check = tampered
    state = db.state(case_id, 3)
    # The contact's text is sealed: the row holds its box, never "drive clicks". One
    # byte of that ciphertext changed is a changed record.
    assert b"drive clicks" not in state
    assert len(boxes(state)) == 1
    db.set_state(case_id, 3, flip_box(state))
    result = check()
    assert only(result) == [(3, Problem.ALTERED)]
    assert result.findings[0].case_id == case_id
    assert "ContactLogged does not match its digest" in str(result.findings[0])


def test_a_changed_amount_is_found(tampered: Any) -> None:
    db, case_id, _, check = tampered
    version = next(
        v for v in range(1, db.last_version(case_id) + 1) if b'"1299.00"' in db.state(case_id, v)
    )
    db.set_state(case_id, version, db.state(case_id, version).replace(b'"1299.00"', b'"1.00"'))
    assert only(check()) == [(version, Problem.ALTERED)]


def test_bytes_that_no_longer_decode_are_found(tampered: Any) -> None:
    db, case_id, _, check = tampered
    db.set_state(case_id, 4, db.state(case_id, 4)[:-3])
    result = check()
    assert only(result) == [(4, Problem.UNREADABLE)]
    assert "cannot be decoded" in result.findings[0].detail


def test_a_changed_type_is_found(tampered: Any) -> None:
    db, case_id, _, check = tampered
    db.run(
        "UPDATE {events} SET topic = ? WHERE originator_id = ? AND originator_version = ?",
        "casehistory.domain.events:NoteAdded",
        case_id,
        3,
    )
    result = check()
    assert only(result) == [(3, Problem.ALTERED)]
    # The NoteAdded type names fields the contact's row does not hold, and the other way.
    assert result.findings[0].detail.startswith("NoteAdded holds fields it does not declare")


def test_a_type_that_is_no_case_event_is_never_imported(tampered: Any) -> None:
    db, case_id, _, check = tampered
    db.run(
        "UPDATE {events} SET topic = ? WHERE originator_id = ? AND originator_version = ?",
        "antigravity:fly",
        case_id,
        3,
    )
    result = check()
    assert only(result) == [(3, Problem.UNREADABLE)]
    assert "'antigravity:fly', not a case event" in result.findings[0].detail


def test_a_deleted_event_is_found(tampered: Any) -> None:
    db, case_id, _, check = tampered
    db.run("DELETE FROM {events} WHERE originator_id = ? AND originator_version = 5", case_id)
    result = check()
    assert only(result) == [(5, Problem.MISSING)]
    assert "version 5 is missing" in result.findings[0].detail


def test_a_deleted_opening_is_found(tampered: Any) -> None:
    db, case_id, _, check = tampered
    db.run("DELETE FROM {events} WHERE originator_id = ? AND originator_version = 1", case_id)
    assert only(check()) == [(1, Problem.MISSING)]


def test_an_inserted_event_is_found(tampered: Any) -> None:
    db, case_id, _, check = tampered
    last = db.last_version(case_id)
    # A copy of the note at version 9, slipped in after the last event.
    [(topic, state)] = db.run(
        "SELECT topic, state FROM {events} WHERE originator_id = ? AND originator_version = 9",
        case_id,
    )
    db.run(
        "INSERT INTO {events} (originator_id, originator_version, topic, state) "
        "VALUES (?, ?, ?, ?)",
        case_id,
        last + 1,
        topic,
        bytes(state),
    )
    # Its content is not its place (altered), and it claims a store time from before
    # the events it follows (store time goes backwards).
    assert sorted(only(check()), key=str) == sorted(
        [(last + 1, Problem.ALTERED), (last + 1, Problem.STORE_TIME)], key=str
    )


def test_an_event_inserted_in_the_middle_is_found(tampered: Any) -> None:
    db, case_id, _, check = tampered
    last = db.last_version(case_id)
    for version in range(last, 5, -1):  # make room at version 6, one row at a time
        db.renumber(case_id, version, version + 1)
    [(topic, state)] = db.run(
        "SELECT topic, state FROM {events} WHERE originator_id = ? AND originator_version = 9",
        case_id,
    )
    db.run(
        "INSERT INTO {events} (originator_id, originator_version, topic, state) "
        "VALUES (?, 6, ?, ?)",
        case_id,
        topic,
        bytes(state),
    )
    findings = only(check())
    assert (6, Problem.ALTERED) in findings
    assert (7, Problem.ALTERED) in findings  # the old version 6, chained to version 5


def test_two_swapped_events_are_found(tampered: Any) -> None:
    db, case_id, _, check = tampered
    db.renumber(case_id, 4, 1000)
    db.renumber(case_id, 6, 4)
    db.renumber(case_id, 1000, 6)
    result = check()
    assert (4, Problem.ALTERED) in only(result)
    assert (6, Problem.ALTERED) in only(result)
    assert (4, Problem.OUT_OF_ORDER) in only(result)  # version 4 now sits after 6 in the log
    assert {f.case_id for f in result.findings} == {case_id}


def test_an_event_moved_to_another_case_is_found_in_both(tampered: Any) -> None:
    db, case_id, related, check = tampered
    target = db.last_version(related) + 1
    db.run(
        "UPDATE {events} SET originator_id = ?, originator_version = ? "
        "WHERE originator_id = ? AND originator_version = 5",
        related,
        target,
        case_id,
    )
    result = check()
    assert set(result.findings) >= {
        Finding(
            case_id,
            5,
            Problem.MISSING,
            "version 5 is missing (deleted, moved to another case or renumbered)",
        ),
    }
    assert (related, target, Problem.ALTERED) in {
        (f.case_id, f.version, f.problem) for f in result.findings
    }


def test_a_case_asked_for_that_is_not_there(tampered: Any, open_desk: Any) -> None:
    db, case_id, _, _ = tampered
    db.run("DELETE FROM {events} WHERE originator_id = ?", case_id)
    result = verify_cases(open_desk(), [case_id])
    assert only(result) == [(None, Problem.ABSENT)]
