"""Checkpoints against tampering the chains alone cannot show, with SQL on SQLite and on
PostgreSQL: a truncated tail, a deleted case, a rewritten old event whose digests were
all recomputed so that every chain still holds, an event back-dated to before the
checkpoint, another store's checkpoint, and a log that no longer extends the previous
checkpoint it is asked to sign after."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import attrs
import pytest
from eventsourcing.persistence import StoredEvent

from casehistory import CaseDesk
from casehistory.audit.checkpoint import Checkpoint
from casehistory.audit.note import SignerKey
from casehistory.audit.store_checks import StoreCheck, check_store, make_checkpoint
from casehistory.audit.verify import Problem
from casehistory.domain.chain import digest, record_of
from casehistory.errors import CheckpointMismatch, InvalidInput
from tests.integration._sealed import another_box, boxes


@pytest.fixture
def pinned(
    open_desk: Callable[[], CaseDesk], realistic_case: Any
) -> tuple[UUID, UUID, Checkpoint, Callable[..., StoreCheck]]:
    """Two cases pinned by a checkpoint; ``check(*more)`` checks a fresh desk against it."""
    case_id, related = realistic_case(open_desk())
    made, verification = make_checkpoint(open_desk())
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
        event = desk._mapper.to_domain_event(StoredEvent(case_id, v, topic, state))
        recomputed = digest(record_of(event), previous)
        raw_sql.set_state(case_id, v, state.replace(event.digest.encode(), recomputed.encode()))
        previous = recomputed


def test_a_sound_store_extends_its_checkpoint(pinned: Any) -> None:
    *_, made, check = pinned

    result = check()

    assert result.ok
    assert problems(result) == [None]
    assert result.log_size == made.size
    assert result.origin == made.origin


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
    assert "the log has only " in problem  # and, if it held the first event, the origin


def test_a_rewritten_old_event_with_recomputed_digests_fails_the_checkpoint(
    pinned: Any, raw_sql: Any, open_desk: Callable[[], CaseDesk]
) -> None:
    case_id, _, made, check = pinned
    # The contact's sealed text replaced by another text of the case (it opens), every
    # digest after it recomputed.
    box = boxes(raw_sql.state(case_id, 3))[0]
    forge(open_desk(), raw_sql, case_id, 3, box, another_box(raw_sql, case_id, 3))

    result = check()

    assert result.verification.ok  # a consistent forgery: every chain holds
    [problem] = problems(result)
    assert problem is not None
    assert f"the checkpoint of {made.created_at.isoformat()} says " in problem
    assert "(an event was rewritten, deleted or reordered)" in problem


def test_an_event_back_dated_to_before_the_checkpoint_is_a_store_time_finding(
    pinned: Any, raw_sql: Any, open_desk: Callable[[], CaseDesk]
) -> None:
    # Someone with database access reopens an old case after the checkpoint, and
    # back-dates its store time (digest recomputed) so that it looks known earlier.
    case_id, _, made, check = pinned
    desk = open_desk()
    last = desk.history(case_id)[-1]
    desk.reopen_case(case_id, reason="paid in cash", by=last.by, occurred_at=last.occurred_at)
    version = raw_sql.last_version(case_id)
    recorded = desk.history(case_id)[-1].recorded_at
    back = made.created_at - timedelta(microseconds=1)
    assert back > last.recorded_at  # still later than the case's event before it
    forge(desk, raw_sql, case_id, version, recorded.isoformat().encode(), back.isoformat().encode())
    assert desk.history(case_id)[-1].recorded_at == back
    assert check_store(open_desk(), []).ok  # without the checkpoint nothing shows

    result = check()

    assert problems(result) == [None]  # the log still extends it: the row came after
    [finding] = result.verification.findings
    assert (finding.case_id, finding.version, finding.problem) == (
        case_id,
        version,
        Problem.STORE_TIME,
    )
    assert f"before the checkpoint of {made.size} entries made at" in finding.detail
    assert "back-dated" in finding.detail


def test_an_event_inside_a_checkpoint_moved_to_after_its_time_is_a_finding(
    pinned: Any, raw_sql: Any, open_desk: Callable[[], CaseDesk]
) -> None:
    case_id, _, made, check = pinned
    desk = open_desk()
    version = raw_sql.last_version(case_id)
    recorded = desk.history(case_id)[-1].recorded_at
    later = made.created_at + timedelta(hours=1)
    forge(
        desk, raw_sql, case_id, version, recorded.isoformat().encode(), later.isoformat().encode()
    )

    result = check()

    assert any(
        f.problem is Problem.STORE_TIME and f.version == version and "which includes it" in f.detail
        for f in result.verification.findings
    )
    assert not result.ok


def test_a_later_checkpoint_extends_an_earlier_one(
    pinned: Any, open_desk: Callable[[], CaseDesk], realistic_case: Any
) -> None:
    *_, made, check = pinned
    realistic_case(open_desk())

    later, _ = make_checkpoint(open_desk(), previous=made)

    assert later is not None
    assert later.size > made.size
    assert later.cases == made.cases + 2
    result = check(later)
    assert result.ok
    extends = result.checkpoints[1].extends_previous
    assert extends is not None
    assert extends.startswith(f"extends the checkpoint of {made.size} entries (RFC 9162")


def test_a_log_that_does_not_extend_the_previous_checkpoint_is_not_signed(
    pinned: Any, raw_sql: Any, open_desk: Callable[[], CaseDesk]
) -> None:
    case_id, _, made, _ = pinned
    # The contact's sealed text replaced by another text of the case (it opens), every
    # digest after it recomputed.
    box = boxes(raw_sql.state(case_id, 3))[0]
    forge(open_desk(), raw_sql, case_id, 3, box, another_box(raw_sql, case_id, 3))
    assert check_store(open_desk(), []).ok  # every chain holds

    with pytest.raises(CheckpointMismatch, match="rewritten, deleted or reordered"):
        make_checkpoint(open_desk(), key=SignerKey.generate("example.com/k"), previous=made)


def test_a_checkpoint_of_another_store_is_refused_naming_both(
    pinned: Any, realistic_case: Any
) -> None:
    *_, made, _ = pinned
    other = CaseDesk.open(":memory:")
    realistic_case(other)

    result = check_store(other, [made])

    [problem] = problems(result)
    assert problem is not None
    assert f"this checkpoint is of the store {made.origin}, this store is {result.origin}" in (
        problem
    )
    assert result.origin != made.origin
    with pytest.raises(CheckpointMismatch, match=f"previous checkpoint is of {made.origin}"):
        make_checkpoint(other, previous=made)


def test_an_empty_store_gets_no_checkpoint(open_desk: Callable[[], CaseDesk]) -> None:
    with pytest.raises(InvalidInput, match="pins nothing"):
        make_checkpoint(open_desk())


def test_a_forged_cases_line_fails_though_the_root_matches(pinned: Any) -> None:
    *_, made, check = pinned
    forged = Checkpoint.parse(
        made.text().replace(f"cases {made.cases} ", f"cases {made.cases - 1} ")
    )

    [problem] = problems(check_store_of(check, forged))

    assert problem is not None
    assert "cases line was forged" in problem


def check_store_of(check: Callable[..., StoreCheck], checkpoint: Checkpoint) -> StoreCheck:
    result = check(checkpoint)
    return attrs.evolve(result, checkpoints=result.checkpoints[1:])


def test_signed_checkpoints_are_checked_against_the_trusted_key(
    pinned: Any, open_desk: Callable[[], CaseDesk]
) -> None:
    key = SignerKey.generate("example.com/desk")

    signed, _ = make_checkpoint(open_desk(), key=key)

    assert signed is not None
    [trusted] = check_store(open_desk(), [signed], trusted_key=key.verifier()).checkpoints
    assert trusted.problem is None
    assert trusted.signature.startswith("signed by the trusted key example.com/desk+")
    other = SignerKey.generate("example.com/desk").verifier()
    [problem] = problems(check_store(open_desk(), [signed], trusted_key=other))
    assert problem is not None
    assert "not by the trusted key" in problem
