"""Snapshots changed with SQL, on SQLite and PostgreSQL: verification names the case and
the snapshot's version, and the desk never answers or decides from a changed snapshot
(it replays the case from its events and says so)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Customer,
    EntitlementKind,
    Money,
    Product,
    RefundExceedsPaid,
    Role,
    SnapshotIgnored,
)
from casehistory.audit.scan import scan_log
from casehistory.audit.verify import Problem, verify_cases
from casehistory.desk import SNAPSHOT_INTERVAL
from tests.integration._sealed import boxes, with_box

AGENT = Actor("a.lee", Role.AGENT)
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def long_case(desk: CaseDesk) -> UUID:
    """A case of 60 events (a snapshot at version 50) with one payment of 100.00 USD."""
    case_id = desk.open_case(
        customer=Customer("C-1001", "Dana Whitfield"),
        subject="Power supply died",
        channel=Channel.PHONE,
        product=Product("PSU-650", "650 W power supply", MONDAY.date(), Money("100.00", "USD")),
        by=AGENT,
        occurred_at=MONDAY,
    )
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=MONDAY)
    desk.record_payment(
        case_id, amount=Money("100.00", "USD"), reference="ORD-1", by=AGENT, occurred_at=MONDAY
    )
    desk.check_entitlement(
        case_id, kind=EntitlementKind.RETURN_WINDOW, by=AGENT, occurred_at=MONDAY
    )
    for n in range(56):
        desk.add_note(case_id, text=f"note {n}", by=AGENT, occurred_at=MONDAY + timedelta(hours=n))
    assert len(desk.history(case_id)) == 60
    return case_id


@pytest.fixture
def forged(
    open_desk: Callable[[], CaseDesk], raw_sql: Any
) -> tuple[Any, UUID, Callable[[bytes], None]]:
    """A long case, and ``forge(state)``: write ``state`` into its snapshot at 50."""
    case_id = long_case(open_desk())
    [(state,)] = raw_sql.run(
        "SELECT state FROM {snapshots} WHERE originator_id = ? AND originator_version = ?",
        case_id,
        SNAPSHOT_INTERVAL,
    )
    original = bytes(state)
    # The snapshot holds the customer's name and the subject sealed, never in plaintext.
    assert b"Dana Whitfield" not in original
    assert len(boxes(original)) == 2
    assert b"100.00" in original

    def forge(new: bytes) -> None:
        raw_sql.run(
            "UPDATE {snapshots} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            new,
            case_id,
            SNAPSHOT_INTERVAL,
        )

    forge.original = original  # type: ignore[attr-defined]
    return raw_sql, case_id, forge


def test_an_untouched_snapshot_is_used_and_verifies(forged: Any, open_desk: Any) -> None:
    _, case_id, _ = forged
    desk = open_desk()

    view = desk.case(case_id)

    assert view.ledger.balance("USD").paid == Money("100.00", "USD")
    assert desk.snapshot_log.used == 1
    assert desk.snapshot_log.ignored == 0
    assert scan_log(desk).ok


def test_a_forged_snapshot_changes_no_answer_and_no_decision(forged: Any, open_desk: Any) -> None:
    _, case_id, forge = forged
    honest = open_desk().case(case_id)
    # The customer's name sealed over by the subject's box (a text that opens under the
    # same key: "Power supply died"), and the payment raised.
    _, subject = boxes(forge.original)
    forge(with_box(forge.original, subject).replace(b"100.00", b"100000.00"))
    desk = open_desk()

    with pytest.warns(SnapshotIgnored, match=f"case {case_id} at version 50"):
        view = desk.case(case_id)
    # The forged state is never shown...
    assert view == honest
    assert view.customer.name == "Dana Whitfield"
    assert view.ledger.balance("USD").paid == Money("100.00", "USD")
    assert desk.snapshot_log.ignored == 1
    # ...nor at another moment...
    with pytest.warns(SnapshotIgnored):
        then = desk.case(case_id, known_at=desk.history(case_id)[54].recorded_at)
    assert then.customer.name == "Dana Whitfield"
    assert then.version == 55
    # ...nor decided on: a refund above the real payment is refused.
    with pytest.warns(SnapshotIgnored), pytest.raises(RefundExceedsPaid):
        desk.issue_refund(
            case_id, amount=Money("5000.00", "USD"), reason="forged", by=AGENT, occurred_at=MONDAY
        )
    # And verification names the case and the snapshot's version.
    findings = scan_log(desk).findings
    assert [(f.case_id, f.version, f.problem) for f in findings] == [
        (case_id, SNAPSHOT_INTERVAL, Problem.SNAPSHOT)
    ]
    assert [f.problem for f in verify_cases(desk, [case_id]).findings] == [Problem.SNAPSHOT]


def test_a_snapshot_with_a_forged_digest_does_not_vouch_for_a_forged_bundle(
    forged: Any, open_desk: Any
) -> None:
    _, case_id, forge = forged
    honest = open_desk().case(case_id).digest
    assert honest is not None
    fifty = open_desk().history(case_id)[SNAPSHOT_INTERVAL - 1].digest
    forge(forge.original.replace(fifty.encode(), b"f" * 64))
    desk = open_desk()

    with pytest.warns(SnapshotIgnored):
        assert desk.case(case_id).digest == honest
    assert Problem.SNAPSHOT in {f.problem for f in scan_log(desk).findings}


def test_a_value_of_another_type_with_the_same_text_is_found(forged: Any, open_desk: Any) -> None:
    # A status stored as the plain string "OPEN" instead of the enum reads back as a str,
    # which is never `is Status.CLOSED`: the commitment is over typed values.
    _, case_id, forge = forged
    state = json.loads(forge.original)
    text = json.dumps(state)
    typed_status = '{"_type_": "Status", "_data_": "OPEN"}'
    assert typed_status in text
    forge(text.replace(typed_status, '"OPEN"', 1).encode())
    desk = open_desk()

    with pytest.warns(SnapshotIgnored, match="hashes to"):
        desk.case(case_id)
    assert Problem.SNAPSHOT in {f.problem for f in scan_log(desk).findings}


def test_a_snapshot_moved_to_another_version_is_found(forged: Any, open_desk: Any) -> None:
    db, case_id, _ = forged
    honest = open_desk().case(case_id)
    db.run("UPDATE {snapshots} SET originator_version = 57 WHERE originator_id = ?", case_id)
    desk = open_desk()

    # Version 57 commits to no state, so the desk cannot even try the snapshot: it is
    # counted as unbound (as a snapshot from before commitments would be) and unused.
    assert desk.case(case_id) == honest
    assert (desk.snapshot_log.used, desk.snapshot_log.unbound) == (0, 1)
    # Verification compares it with the case replayed to 57, and names it.
    assert [(f.version, f.problem) for f in scan_log(desk).findings] == [(57, Problem.SNAPSHOT)]


def test_undecodable_snapshot_bytes_are_found_not_raised(forged: Any, open_desk: Any) -> None:
    _, case_id, forge = forged
    honest = open_desk().case(case_id)
    forge(b"\xff not json")
    desk = open_desk()

    with pytest.warns(SnapshotIgnored, match="cannot be decoded"):
        assert desk.case(case_id) == honest
    assert [f.problem for f in scan_log(desk).findings] == [Problem.SNAPSHOT]


def test_a_deleted_snapshot_is_no_finding(forged: Any, open_desk: Any) -> None:
    # Snapshots are a cache: deleting one is allowed (docs/operations.md) and costs speed.
    db, case_id, _ = forged
    db.run("DELETE FROM {snapshots} WHERE originator_id = ?", case_id)
    desk = open_desk()

    assert desk.case(case_id).version == 60
    assert scan_log(desk).ok


def test_a_snapshot_of_a_case_the_log_does_not_hold_is_found(forged: Any, open_desk: Any) -> None:
    db, _, forge = forged
    stranger = uuid4()
    db.run(
        "INSERT INTO {snapshots} (originator_id, originator_version, topic, state) "
        "VALUES (?, ?, ?, ?)",
        stranger,
        50,
        "casehistory.domain.case:CaseSnapshot",
        forge.original,
    )
    desk = open_desk()

    assert [(f.case_id, f.version, f.problem) for f in scan_log(desk).findings] == [
        (stranger, 50, Problem.SNAPSHOT)
    ]
