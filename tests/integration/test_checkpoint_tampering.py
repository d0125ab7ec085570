"""Checkpoints against tampering the chains alone cannot show, with SQL on SQLite and on
PostgreSQL: a truncated tail, a deleted case, and a rewritten old event whose digests
were all recomputed so that every chain still holds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from casehistory import CaseDesk
from casehistory.audit.checkpoint import Checkpoint, generate_private_key_pem
from casehistory.audit.store_checks import StoreCheck, check_store, make_checkpoint
from casehistory.domain.chain import digest, record_of

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def pinned(
    open_desk: Callable[[], CaseDesk], realistic_case: Any
) -> tuple[UUID, UUID, Checkpoint, Callable[..., StoreCheck]]:
    """Two cases pinned by a checkpoint; ``check(*more)`` checks a fresh desk against it."""
    case_id, related = realistic_case(open_desk())
    made, verification = make_checkpoint(open_desk(), NOW)
    assert verification.ok
    assert made is not None

    def check(*more: Checkpoint) -> StoreCheck:
        return check_store(open_desk(), [made, *more])

    return case_id, related, made, check


def problems(check: StoreCheck) -> list[str | None]:
    return [outcome.problem for outcome in check.checkpoints]


def forge(
    desk: CaseDesk, raw_sql: Any, case_id: UUID, version: int, old: bytes, new: bytes
) -> None:
    """Rewrite an event's content and recompute its digest and every later one of its
    case, as someone who knows the (public) algorithm would: every chain still holds."""
    previous = None if version == 1 else desk.history(case_id)[version - 2].digest
    for v in range(version, raw_sql.last_version(case_id) + 1):
        [(topic, state)] = raw_sql.run(
            "SELECT topic, state FROM {events} WHERE originator_id = ? AND originator_version = ?",
            case_id,
            v,
        )
        state = bytes(state).replace(old, new) if v == version else bytes(state)
        event = desk.mapper.to_domain_event(StoredEvent(case_id, v, topic, state))
        recomputed = digest(record_of(event), previous)
        raw_sql.set_state(case_id, v, state.replace(event.digest.encode(), recomputed.encode()))
        previous = recomputed


def test_a_sound_store_extends_its_checkpoint(pinned: Any) -> None:
    *_, made, check = pinned
    result = check()
    assert result.ok
    assert problems(result) == [None]
    assert result.log_size == made.size


def test_a_truncated_tail_fails_the_checkpoint_though_every_chain_holds(
    pinned: Any, raw_sql: Any
) -> None:
    case_id, *_, check = pinned
    raw_sql.run(
        "DELETE FROM {events} WHERE originator_id = ? AND originator_version = ?",
        case_id,
        raw_sql.last_version(case_id),
    )
    result = check()
    assert result.verification.ok  # the chain cannot tell
    [problem] = problems(result)
    assert problem is not None
    assert "(a truncated tail?)" in problem


def test_a_deleted_case_fails_the_checkpoint(pinned: Any, raw_sql: Any) -> None:
    _, related, _, check = pinned
    raw_sql.run("DELETE FROM {events} WHERE originator_id = ?", related)
    result = check()
    assert result.verification.ok
    [problem] = problems(result)
    assert problem is not None
    assert problem.startswith("the log has only ")


def test_a_rewritten_old_event_with_recomputed_digests_fails_the_checkpoint(
    pinned: Any, raw_sql: Any, open_desk: Callable[[], CaseDesk]
) -> None:
    case_id, _, made, check = pinned
    forge(open_desk(), raw_sql, case_id, 3, b"drive clicks", b"all is well")
    result = check()
    assert result.verification.ok  # a consistent forgery: every chain holds
    [problem] = problems(result)
    assert problem is not None
    assert f"the checkpoint of {made.created_at.isoformat()} says {made.root.hex()}" in problem
    assert "(an event was rewritten, deleted or reordered)" in problem


def test_a_later_checkpoint_extends_an_earlier_one(
    pinned: Any, open_desk: Callable[[], CaseDesk], realistic_case: Any
) -> None:
    *_, made, check = pinned
    realistic_case(open_desk())
    later, _ = make_checkpoint(open_desk(), NOW)
    assert later is not None
    assert later.size > made.size
    result = check(later)
    assert problems(result) == [None, None]
    extends = result.checkpoints[1].extends_previous
    assert extends is not None
    assert extends.startswith(f"extends the checkpoint of {made.size} entries (RFC 9162")


def test_signed_checkpoints_are_checked_against_the_trusted_key(
    pinned: Any, open_desk: Callable[[], CaseDesk]
) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(generate_private_key_pem(), password=None)
    signed, _ = make_checkpoint(open_desk(), NOW, key=key)  # type: ignore[arg-type]
    assert signed is not None
    assert signed.public_key is not None
    assert problems(check_store(open_desk(), [signed], trusted_key=signed.public_key)) == [None]
    other = bytes(32)
    [problem] = problems(check_store(open_desk(), [signed], trusted_key=other))
    assert problem is not None
    assert "not by the trusted key" in problem
