"""verify_rules: every event is replayed through the command that records it. Whatever a
desk records is lawful; an event written beneath the desk, with a correct digest, that
no command would have recorded is found and its rule named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import attrs
import pytest
from eventsourcing.application import Application
from hypothesis import HealthCheck, given, settings

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Customer,
    EscalationTarget,
    Money,
    Role,
    SteppingClock,
)
from casehistory.audit.rules import verify_rules
from casehistory.audit.scan import scan_log
from casehistory.audit.verify import Problem
from casehistory.desk._base import _project
from casehistory.domain import events as ev
from casehistory.domain._event_shapes import _OPTIONAL
from casehistory.domain.binding import policy_key
from casehistory.domain.chain import chain_digest
from casehistory.domain.limits import BusinessTimePolicy, policy_digest
from casehistory.store import register_value_transcodings, store_env
from casehistory.stories import STORIES
from casehistory.testing.strategies import CLOCK_START, CaseHistory, case_histories

AGENT = Actor("a.lee", Role.AGENT)
AUDITOR = Actor("i.audit", Role.AUDITOR)
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_histories(min_commands=1))
def test_whatever_a_desk_records_is_lawful(history: CaseHistory) -> None:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))
    history.apply(desk)

    outcome = verify_rules(desk)

    assert outcome.ok, [str(f) for f in outcome.findings]
    assert outcome.events == sum(len(desk.history(i)) for i in desk.case_ids())


def test_the_stories_are_lawful() -> None:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))
    for story in STORIES:
        story.tell(desk)

    assert verify_rules(desk).ok


class _Beneath(Application[UUID]):
    """What code reaching beneath the desk can do: eventsourcing's own save, on the
    desk's store, of any event it builds (with a correct digest)."""

    name = "CaseDesk"

    def register_transcodings(self, transcoder: Any) -> None:
        super().register_transcodings(transcoder)
        register_value_transcodings(transcoder)


def _append_beneath(
    path: Path,
    case_id: UUID,
    event_class: type,
    by: Actor,
    *,
    occurred_at: datetime = MONDAY,
    **fields: Any,
) -> None:
    env = {**store_env(str(path)), "IS_SNAPSHOTTING_ENABLED": "n"}
    app = _Beneath(env)
    case = app.repository.get(case_id, projector_func=_project)
    recorded_at = case.modified_on + timedelta(minutes=1)
    version = case.version + 1
    digest = chain_digest(
        case_id, version, event_class, case.state.digest, recorded_at, by, occurred_at, fields
    )
    case.trigger_event(
        event_class, timestamp=recorded_at, by=by, occurred_at=occurred_at, digest=digest, **fields
    )
    # As a desk writes it: an optional field not given is left out of the record.
    recorded = case.pending_events[-1]
    for name in _OPTIONAL.get(event_class, ()):
        if name not in fields:
            recorded.__dict__.pop(name, None)
    app.save(case)
    app.close()


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, UUID]:
    path = tmp_path / "cases.sqlite"
    desk = CaseDesk.open(path, clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
    case_id = desk.open_case(
        customer=Customer("C-1", "Dana Whitfield"),
        subject="no payment yet",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=MONDAY,
    )
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=MONDAY)
    desk.close()
    return path, case_id


def _findings(path: Path) -> tuple[bool, list[tuple[int | None, Problem, str]]]:
    desk = CaseDesk.open(path)
    intact = scan_log(desk).ok
    found = [(f.version, f.problem, f.detail) for f in verify_rules(desk).findings]
    desk.close()
    return intact, found


def test_an_auditors_refund_of_money_never_paid_is_intact_but_unlawful(
    store: tuple[Path, UUID],
) -> None:
    path, case_id = store
    _append_beneath(
        path,
        case_id,
        ev.RefundIssued,
        AUDITOR,
        amount=Money("999999.00", "USD"),
        reason="forged",
        policy_exception=False,
        window_check=None,
    )

    intact, found = _findings(path)

    assert intact  # every chain holds: the digest is right
    [(version, problem, detail)] = found
    assert (version, problem) == (3, Problem.UNLAWFUL)
    assert "RefundIssued would have been refused: NotAuthorised" in detail


def test_a_refund_above_what_was_paid_names_its_rule(store: tuple[Path, UUID]) -> None:
    path, case_id = store
    _append_beneath(
        path,
        case_id,
        ev.RefundIssued,
        AGENT,
        amount=Money("500.00", "USD"),
        reason="typo",
        policy_exception=False,
        window_check=None,
    )

    _, found = _findings(path)

    assert [(v, p) for v, p, _ in found] == [(3, Problem.UNLAWFUL)]
    assert "RefundExceedsPaid" in found[0][2]


def test_approving_ones_own_escalation_is_found(store: tuple[Path, UUID]) -> None:
    path, case_id = store
    desk = CaseDesk.open(path, clock=SteppingClock(datetime(2026, 11, 2, tzinfo=UTC)))
    desk.request_escalation(
        case_id, to=EscalationTarget.SUPERVISOR, reason="refund", by=AGENT, occurred_at=MONDAY
    )
    desk.close()
    boss = Actor("a.lee", Role.SUPERVISOR)  # the requester's id, dressed as a supervisor
    _append_beneath(path, case_id, ev.EscalationApproved, boss, number=1, reason="fine by me")

    _, found = _findings(path)

    assert [(v, p) for v, p, _ in found] == [(4, Problem.UNLAWFUL)]
    assert "SelfApprovalForbidden" in found[0][2]


def test_a_derived_field_the_command_would_not_record_is_found(
    store: tuple[Path, UUID],
) -> None:
    path, case_id = store
    # A transfer that claims to come from another department than the case's; its
    # reason sealed as a desk seals it (a box of the case's key: the subject's).
    with CaseDesk.open(path) as desk:
        sealed = desk.history(case_id)[0].subject
    _append_beneath(
        path,
        case_id,
        ev.CaseTransferred,
        AGENT,
        from_department="Purchasing",
        to_department="Billing",
        reason=sealed,
    )

    _, found = _findings(path)

    [(version, problem, detail)] = found
    assert (version, problem) == (3, Problem.UNLAWFUL)
    assert "from_department" in detail


@pytest.mark.parametrize("forged", ["outcome", "facts"])
def test_a_decision_of_rules_2_the_policy_does_not_make_is_found(
    store: tuple[Path, UUID], forged: str
) -> None:
    # A payment three years before its case opened, past the business-time bound:
    # the event says IN_BOUNDS, with the digest the store's table binds to the policy.
    path, case_id = store
    policy = BusinessTimePolicy()
    long_ago = MONDAY - timedelta(days=3 * 365)
    honest = policy.decide("PaymentRecorded", long_ago, MONDAY)
    assert honest.outcome == "TOO_EARLY"
    if forged == "outcome":  # the facts as they were, the verdict changed
        check = attrs.evolve(honest, outcome="IN_BOUNDS", entitled=True)
    else:  # a verdict that follows from facts that were not the case's
        check = policy.decide("PaymentRecorded", long_ago, long_ago)
    _append_beneath(
        path,
        case_id,
        ev.PaymentRecorded,
        AGENT,
        occurred_at=long_ago,
        amount=Money("10.00", "USD"),
        reference="forged",
        time_check=check,
        policy_digests={policy_key(policy.policy_id, policy.version): policy_digest(policy)},
    )

    intact, found = _findings(path)

    assert intact
    [(version, problem, detail)] = found
    assert (version, problem) == (3, Problem.UNLAWFUL)
    assert "DecisionNotRecorded" in detail
    assert "decides TOO_EARLY on the case as it stood" in detail


def test_a_case_desk_offers_no_way_to_write_past_the_rules() -> None:
    desk = CaseDesk.open(":memory:")

    for name in ("save", "repository", "events", "recorder", "take_snapshot", "notify"):
        assert not hasattr(desk, name), name


def test_the_release_0_1_0_fixture_is_lawful(tmp_path: Path) -> None:
    # Events recorded before state commitments existed replay as their own format.
    copy = tmp_path / "store.sqlite"
    copy.write_bytes((Path(__file__).parents[1] / "fixtures" / "store-0.1.0.sqlite").read_bytes())
    desk = CaseDesk.open(copy)

    outcome = verify_rules(desk)

    assert outcome.ok, [str(f) for f in outcome.findings]
    assert (outcome.cases, outcome.events) == (7, 244)
