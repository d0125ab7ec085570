"""A refused command records nothing: one representative refusal for each error class.

Each scenario arranges a case on a SQLite file and returns the refused command. The
test counts the case's events and the rows of ``stored_events`` (through a read-only
connection) before and after the refusal.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from uuid import UUID, uuid4

import pytest

import casehistory.errors
from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Customer,
    EntitlementKind,
    ErasureGround,
    EscalationTarget,
    GoodwillKind,
    InspectionOutcome,
    Policies,
    RepairCoverage,
    ReturnWindowPolicy,
    Role,
)


def _load_builders() -> ModuleType:
    name = "casehistory_unit_builders"
    if name not in sys.modules:
        path = Path(__file__).with_name("_builders.py")
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


_b = _load_builders()
AGENT, SUPERVISOR, AUDITOR, T, CLOCK_START = (
    _b.AGENT,
    _b.SUPERVISOR,
    _b.AUDITOR,
    _b.T,
    _b.CLOCK_START,
)
file_desk, open_case, open_assigned_case, product = (
    _b.file_desk,
    _b.open_case,
    _b.open_assigned_case,
    _b.product,
)
eur, usd, pay, refund, place_hold, release, check = (
    _b.eur,
    _b.usd,
    _b.pay,
    _b.refund,
    _b.place_hold,
    _b.release,
    _b.check,
)
issue_rma, receive, resolve, close, escalate, approve = (
    _b.issue_rma,
    _b.receive,
    _b.resolve,
    _b.close,
    _b.escalate,
    _b.approve,
)
stored_event_rows = _b.stored_event_rows

Act = Callable[[], None]
Scenario = Callable[[CaseDesk, Path], tuple[UUID, Act]]


def _note(desk: CaseDesk, case_id: UUID, **changes: object) -> Act:
    fields: dict[str, object] = {"text": "called back", "by": AGENT, "occurred_at": T}
    fields.update(changes)
    return lambda: desk.add_note(case_id, **fields)  # type: ignore[arg-type]


def _invalid_input(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    return case_id, _note(desk, case_id, text="  ")


def _currency_mismatch(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    place_hold(desk, case_id, usd("6000.00"))
    return case_id, lambda: release(desk, case_id, eur("10.00"))


def _case_not_found(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    return case_id, _note(desk, uuid4())


def _case_already_exists(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    return case_id, lambda: open_case(desk, case_id=case_id) and None


def _concurrent_update(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    other_desk = file_desk(store)
    first, second = desk._load(case_id), other_desk._load(case_id)
    later = CLOCK_START + timedelta(hours=1)
    first.add_note(text="first", by=AGENT, occurred_at=T, recorded_at=later)
    second.add_note(text="second", by=AGENT, occurred_at=T, recorded_at=later)
    desk._save(first)
    return case_id, lambda: other_desk._save(second)


def _command_id_reused(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    desk.add_note(case_id, text="first", by=AGENT, occurred_at=T, command_id="msg-1")
    return (
        case_id,
        lambda: (
            desk.add_note(case_id, text="other", by=AGENT, occurred_at=T, command_id="msg-1")
            and None
        ),
    )


def _store_time_went_backwards(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    behind = file_desk(store, start=CLOCK_START - timedelta(days=1))  # a clock set a day back
    return case_id, _note(behind, case_id)


def _store_unavailable(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    not_a_database = store.with_name("notes.txt")
    not_a_database.write_text("this file is not a SQLite database, " * 10)
    return case_id, lambda: CaseDesk.open(not_a_database) and None


def _store_not_found(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    mistyped = store.with_name("csaes.sqlite")
    return case_id, lambda: CaseDesk.open(mistyped, read_only=True) and None


def _not_a_case_store(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    not_a_database = store.with_name("notes.txt")
    not_a_database.write_text("this file is not a SQLite database, " * 10)
    return case_id, lambda: CaseDesk.open(not_a_database, read_only=True) and None


def _store_is_read_only(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)

    def note_on_a_read_only_desk() -> None:
        with CaseDesk.open(store, read_only=True, clock=desk.clock) as reader:
            reader.add_note(case_id, text="auditors write nothing", by=AGENT, occurred_at=T)

    return case_id, note_on_a_read_only_desk


def _policy_version_conflict(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    check(desk, case_id, EntitlementKind.RETURN_WINDOW)
    ten_days_still_v1 = Policies(return_window=ReturnWindowPolicy(days=10))

    def open_with_other_parameters_under_v1() -> None:
        CaseDesk.open(store, clock=desk.clock, policies=ten_days_still_v1).close()

    return case_id, open_with_other_parameters_under_v1


def _rules_below_floor(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    from casehistory.domain.case import Case

    forged = Case.open(  # no rules version: held to rules 1, after the store took 2
        customer=Customer("C-9", "Forged Customer"),
        subject="written beneath the desk",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=T,
        recorded_at=desk.clock.now(),
        rules=None,
    )
    desk._store.save(forged)
    return forged.id, _note(desk, forged.id)


def _rules_newer_than_desk(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    from casehistory.domain import rulebook
    from casehistory.domain.case import Case

    newer = rulebook.RULES_VERSION + 1
    with pytest.MonkeyPatch.context() as patch:  # what a newer release's desk records
        patch.setattr(rulebook, "RULES_VERSION", newer)
        opened = Case.open(
            customer=Customer("C-9", "Customer Of A Newer Release"),
            subject="opened under newer rules",
            channel=Channel.PHONE,
            by=AGENT,
            occurred_at=T,
            recorded_at=desk.clock.now(),
            rules=newer,
        )
    desk._store.save(opened)
    return opened.id, _note(desk, opened.id)


_DPO = Actor("p.osei", Role.PRIVACY_OFFICER)


def _forget(desk: CaseDesk, case_id: UUID) -> Act:
    customer = desk.case(case_id).customer.id
    return lambda: desk.forget_customer(customer, ground=ErasureGround.OBJECTION, by=_DPO)


def _personal_data_erased(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    _forget(desk, case_id)()
    return case_id, _note(desk, case_id, text="the customer called again")


def _recorded_in_plaintext(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    from casehistory.domain.case import Case

    plain = Case.open(  # no sealer: the texts in plaintext, as a 0.3.x desk wrote them
        customer=Customer("C-7", "Written Before Sealing"),
        subject="recorded in plaintext",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=T,
        recorded_at=desk.clock.now(),
    )
    desk._store.save(plain)
    sealed = open_case(desk)  # a later case of another customer: sealed, not touched
    assert sealed != plain.id
    return plain.id, _forget(desk, plain.id)


def _customer_forgotten_already(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    _forget(desk, case_id)()

    def erase_the_case_again() -> None:  # what only a replay or the domain's caller can try
        desk._run(
            case_id,
            lambda case, now: case.forget_customer(
                ground=ErasureGround.OBJECTION, by=_DPO, occurred_at=T, recorded_at=now
            ),
        )

    return case_id, erase_the_case_again


def _hold_not_found(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    place_hold(desk, case_id, usd("6000.00"))
    return case_id, lambda: release(desk, case_id, usd("10.00"), "HOLD-9")


def _cancellation_not_requested(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    return case_id, lambda: desk.complete_cancellation(
        case_id, subscription="SUB-1", effective_on=T.date(), by=AGENT, occurred_at=T
    )


def _occurred_in_future(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    return case_id, _note(desk, case_id, occurred_at=datetime(2027, 1, 1, tzinfo=UTC))


def _transition_not_allowed(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    return case_id, lambda: close(desk, case_id)  # an OPEN case is not RESOLVED


def _case_is_closed(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    resolve(desk, case_id)
    close(desk, case_id)
    return case_id, _note(desk, case_id)


def _not_authorised(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    return case_id, _note(desk, case_id, by=AUDITOR)


def _self_approval_forbidden(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    escalate(desk, case_id, by=SUPERVISOR)
    return case_id, lambda: approve(desk, case_id, by=SUPERVISOR)


def _goodwill_above_limit(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    return case_id, lambda: desk.grant_goodwill(
        case_id,
        kind=GoodwillKind.CREDIT,
        amount=eur("50.01"),
        reason="sorry",
        by=AGENT,
        occurred_at=T,
    )


def _policy_exception_required(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk, with_product=product(date(2026, 8, 21)))
    pay(desk, case_id, eur("129.00"))
    check(desk, case_id, EntitlementKind.RETURN_WINDOW)
    return case_id, lambda: refund(desk, case_id, eur("129.00"))


def _refund_exceeds_paid(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    pay(desk, case_id, eur("100.00"))
    return case_id, lambda: refund(desk, case_id, eur("100.01"))


def _release_exceeds_hold(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    place_hold(desk, case_id, usd("6000.00"))
    return case_id, lambda: release(desk, case_id, usd("6000.01"))


def _no_refund_requested(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    return case_id, lambda: desk.deny_refund(case_id, reason="no", by=AGENT, occurred_at=T)


def _escalation_already_pending(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    escalate(desk, case_id)
    return case_id, lambda: escalate(desk, case_id, EscalationTarget.MANAGER)


def _escalation_not_pending(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    escalate(desk, case_id)
    approve(desk, case_id)
    return case_id, lambda: approve(desk, case_id)


def _rma_not_found(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    return case_id, lambda: receive(desk, case_id, "RMA-404")


def _rma_out_of_order(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    issue_rma(desk, case_id, "RMA-1")
    return case_id, lambda: desk.complete_inspection(
        case_id,
        rma_number="RMA-1",
        outcome=InspectionOutcome.AS_DESCRIBED,
        findings="never arrived",
        by=AGENT,
        occurred_at=T,
    )


def _repair_not_covered(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk)
    issue_rma(desk, case_id, "RMA-1")
    receive(desk, case_id, "RMA-1")
    return case_id, lambda: desk.complete_repair(
        case_id,
        rma_number="RMA-1",
        work_done="new drive",
        covered_by=RepairCoverage.VENDOR,
        by=AGENT,
        occurred_at=T,
    )


def _product_required(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
    case_id = open_assigned_case(desk, no_product=True)
    return case_id, lambda: check(desk, case_id, EntitlementKind.WARRANTY)


def _loophole(name: str) -> Scenario:
    """A scenario of tests/unit/test_loopholes_issue12.py's attacks, refused by ``name``."""
    from casehistory import Actor, Channel, Direction, Payer, Role, ServiceLevel

    def scenario(desk: CaseDesk, store: Path) -> tuple[UUID, Act]:
        case_id = open_assigned_case(desk)
        if name == "OccurredTooEarly":
            return case_id, _note(desk, case_id, occurred_at=T - timedelta(days=1))
        if name == "NotTheCustomer":
            return case_id, lambda: desk.log_contact(
                case_id,
                channel=Channel.CHAT,
                direction=Direction.INBOUND,
                summary="hi",
                by=Actor("C-999", Role.CUSTOMER),
                occurred_at=T,
            )
        if name == "SelfCommendationForbidden":
            return case_id, lambda: desk.record_commendation(
                case_id, agent=AGENT, source=SUPERVISOR, text="me", by=AGENT, occurred_at=T
            )
        if name == "CaseGoodwillAboveLimit":
            for _ in range(2):
                desk.grant_goodwill(
                    case_id,
                    kind=GoodwillKind.CREDIT,
                    amount=eur("49.99"),
                    reason="sorry",
                    by=AGENT,
                    occurred_at=T,
                )
            return case_id, lambda: desk.grant_goodwill(
                case_id,
                kind=GoodwillKind.CREDIT,
                amount=eur("49.99"),
                reason="sorry",
                by=AGENT,
                occurred_at=T,
            )
        if name == "CreditAboveLimit":
            return case_id, lambda: desk.issue_credit(
                case_id, amount=eur("5000.00"), reason="big", by=SUPERVISOR, occurred_at=T
            )
        if name == "ReturnNotReceived":
            issue_rma(desk, case_id, "RMA-9")
            return case_id, lambda: desk.close_rma(
                case_id, rma_number="RMA-9", by=AGENT, occurred_at=T
            )
        if name == "OvernightNotGranted":
            issue_rma(desk, case_id, "RMA-9")
            return case_id, lambda: desk.ship_replacement(
                case_id,
                rma_number="RMA-9",
                service_level=ServiceLevel.OVERNIGHT,
                tracking="1Z",
                paid_by=Payer.COMPANY,
                by=AGENT,
                occurred_at=T,
            )
        issue_rma(desk, case_id, "RMA-9")
        receive(desk, case_id, "RMA-9")
        desk.complete_inspection(
            case_id,
            rma_number="RMA-9",
            outcome=InspectionOutcome.NOT_AS_DESCRIBED,
            findings="rocks",
            by=AGENT,
            occurred_at=T,
        )
        if name == "RmaAlreadyInspected":
            return case_id, lambda: desk.complete_inspection(
                case_id,
                rma_number="RMA-9",
                outcome=InspectionOutcome.AS_DESCRIBED,
                findings="fine",
                by=AGENT,
                occurred_at=T,
            )
        assert name == "RmaMustBeRejected", name
        return case_id, lambda: desk.close_rma(case_id, rma_number="RMA-9", by=AGENT, occurred_at=T)

    return scenario


_ISSUE_12 = (
    "OccurredTooEarly",
    "NotTheCustomer",
    "SelfCommendationForbidden",
    "CaseGoodwillAboveLimit",
    "CreditAboveLimit",
    "ReturnNotReceived",
    "OvernightNotGranted",
    "RmaAlreadyInspected",
    "RmaMustBeRejected",
)

SCENARIOS: dict[str, Scenario] = {
    "InvalidInput": _invalid_input,
    "CurrencyMismatch": _currency_mismatch,
    "CaseNotFound": _case_not_found,
    "CaseAlreadyExists": _case_already_exists,
    "ConcurrentUpdate": _concurrent_update,
    "CommandIdReused": _command_id_reused,
    "StoreTimeWentBackwards": _store_time_went_backwards,
    "StoreUnavailable": _store_unavailable,
    "StoreNotFound": _store_not_found,
    "NotACaseStore": _not_a_case_store,
    "StoreIsReadOnly": _store_is_read_only,
    "PolicyVersionConflict": _policy_version_conflict,
    "RulesBelowFloor": _rules_below_floor,
    "RulesNewerThanDesk": _rules_newer_than_desk,
    "PersonalDataErased": _personal_data_erased,
    "RecordedInPlaintext": _recorded_in_plaintext,
    "CustomerForgottenAlready": _customer_forgotten_already,
    "HoldNotFound": _hold_not_found,
    "CancellationNotRequested": _cancellation_not_requested,
    "OccurredInFuture": _occurred_in_future,
    "TransitionNotAllowed": _transition_not_allowed,
    "CaseIsClosed": _case_is_closed,
    "NotAuthorised": _not_authorised,
    "SelfApprovalForbidden": _self_approval_forbidden,
    "GoodwillAboveLimit": _goodwill_above_limit,
    "PolicyExceptionRequired": _policy_exception_required,
    "RefundExceedsPaid": _refund_exceeds_paid,
    "ReleaseExceedsHold": _release_exceeds_hold,
    "NoRefundRequested": _no_refund_requested,
    "EscalationAlreadyPending": _escalation_already_pending,
    "EscalationNotPending": _escalation_not_pending,
    "RmaNotFound": _rma_not_found,
    "RmaOutOfOrder": _rma_out_of_order,
    "RepairNotCovered": _repair_not_covered,
    "ProductRequired": _product_required,
    **{name: _loophole(name) for name in _ISSUE_12},
}
"""error class name -> a scenario that ends in exactly that refusal."""


class TestRefusedCommandsRecordNothing:
    @pytest.mark.parametrize("error_name", sorted(SCENARIOS))
    def test_a_refused_command_leaves_the_case_and_the_store_unchanged(
        self, error_name: str, tmp_path: Path
    ) -> None:
        store = tmp_path / "cases.sqlite"
        desk = file_desk(store)
        case_id, refused_command = SCENARIOS[error_name](desk, store)
        events_before, rows_before = len(desk.history(case_id)), stored_event_rows(store)
        view_before = desk.case(case_id)
        error = getattr(casehistory.errors, error_name)

        with pytest.raises(error) as refused:
            refused_command()

        assert type(refused.value) is error
        assert len(desk.history(case_id)) == events_before
        assert stored_event_rows(store) == rows_before
        assert desk.case(case_id) == view_before

    def test_every_error_class_has_a_representative_refusal(self) -> None:
        # The checkpoint API's errors, and an SLA query's, refuse no command: they read
        # the store, never write.
        checkpoint_errors = {
            "CheckpointMismatch",
            "CheckpointSignatureInvalid",
            "SigningKeyUnusable",
            "SlaPolicyUnknown",
        }
        rule_errors = set(casehistory.errors.__all__) - {"CaseHistoryError"} - checkpoint_errors

        missing = rule_errors - set(SCENARIOS)

        assert not missing, f"add a refusal scenario for {sorted(missing)}"
