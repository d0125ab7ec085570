"""Returns: RMA order (issue -> receive -> inspect/repair -> close or reject) and repair cover."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path
from types import ModuleType
from uuid import UUID

import pytest

from casehistory import (
    CaseDesk,
    EntitlementKind,
    EscalationTarget,
    Fault,
    InspectionOutcome,
    InvalidInput,
    RepairCoverage,
    RepairNotCovered,
    RmaNotFound,
    RmaOutOfOrder,
    RmaStage,
    Status,
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
AGENT, SUPERVISOR, VENDOR, T = _b.AGENT, _b.SUPERVISOR, _b.VENDOR, _b.T
memory_desk, open_assigned_case, event_count = _b.memory_desk, _b.open_assigned_case, _b.event_count
issue_rma, receive, check, escalate, approve, deny = (
    _b.issue_rma,
    _b.receive,
    _b.check,
    _b.escalate,
    _b.approve,
    _b.deny,
)

_RULE = r"\(rule: RMA order issue -> receive -> inspect/repair -> close or reject\)"
OUT_OF_WARRANTY = date(2025, 6, 1)  # 487 days before T: the warranty expired months ago


def _inspect(
    desk: CaseDesk,
    case_id: UUID,
    number: str = "RMA-1",
    outcome: InspectionOutcome = InspectionOutcome.NOT_AS_DESCRIBED,
) -> None:
    desk.complete_inspection(
        case_id,
        rma_number=number,
        outcome=outcome,
        findings="the box held rocks"
        if outcome is InspectionOutcome.NOT_AS_DESCRIBED
        else "the drive clicks, as described",
        by=AGENT,
        occurred_at=T,
    )


def _repair(desk: CaseDesk, case_id: UUID, covered_by: RepairCoverage) -> None:
    desk.complete_repair(
        case_id,
        rma_number="RMA-1",
        work_done="replaced the drive",
        covered_by=covered_by,
        by=AGENT,
        occurred_at=T,
    )


def _reject(desk: CaseDesk, case_id: UUID) -> None:
    desk.reject_rma(case_id, rma_number="RMA-1", reason="rocks in the box", by=AGENT, occurred_at=T)


def _close(desk: CaseDesk, case_id: UUID) -> None:
    desk.close_rma(case_id, rma_number="RMA-1", by=AGENT, occurred_at=T)


def _diagnose(desk: CaseDesk, case_id: UUID, known_issue: str | None) -> None:
    desk.record_diagnosis(
        case_id,
        symptom="does not boot",
        finding="drive failure",
        root_cause="drive firmware",
        fault=Fault.VENDOR,
        known_issue=known_issue,
        by=AGENT,
        occurred_at=T,
    )


def _received_case(desk: CaseDesk, purchased_on: date | None = None) -> UUID:
    bought = _b.product(purchased_on or _b.PURCHASED_ON)
    case_id: UUID = open_assigned_case(desk, with_product=bought)
    issue_rma(desk, case_id, "RMA-1")
    receive(desk, case_id, "RMA-1")
    return case_id


class TestRmaOrder:
    def test_the_whole_order_issue_receive_inspect_repair_close_is_accepted(self) -> None:
        desk = memory_desk()
        case_id = _received_case(desk)

        # Rules 2: only goods found as described (or damaged, or short) are closed;
        # NOT_AS_DESCRIBED goods are rejected (test_loopholes_issue12).
        _inspect(desk, case_id, outcome=InspectionOutcome.AS_DESCRIBED)
        _repair(desk, case_id, RepairCoverage.CUSTOMER)
        _close(desk, case_id)

        view = desk.case(case_id)
        assert view.status is Status.OPEN
        assert view.rmas[0].stage is RmaStage.CLOSED
        assert view.rmas[0].inspection is InspectionOutcome.AS_DESCRIBED
        assert view.rmas[0].repaired_under is RepairCoverage.CUSTOMER

    def test_the_whole_order_issue_receive_inspect_reject_is_accepted(self) -> None:
        desk = memory_desk()
        case_id = _received_case(desk)

        _inspect(desk, case_id)
        _reject(desk, case_id)

        view = desk.case(case_id)
        assert view.status is Status.OPEN
        assert view.rmas[0].stage is RmaStage.REJECTED
        assert view.rmas[0].inspection is InspectionOutcome.NOT_AS_DESCRIBED

    def test_cannot_step_an_rma_that_was_never_issued(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        issue_rma(desk, case_id, "RMA-1")
        before = event_count(desk, case_id)

        with pytest.raises(RmaNotFound, match=r"has no RMA 'RMA-404' \(RMAs issued: RMA-1\)"):
            receive(desk, case_id, "RMA-404")

        assert event_count(desk, case_id) == before

    def test_the_rma_not_found_message_names_the_rule_and_the_way_out(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)

        with pytest.raises(RmaNotFound, match=r"\(rule: .*\); .*issue"):
            receive(desk, case_id, "RMA-404")

    def test_cannot_issue_the_same_rma_number_twice(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        issue_rma(desk, case_id, "RMA-1")
        receive(desk, case_id, "RMA-1")
        _close(desk, case_id)

        with pytest.raises(InvalidInput, match=r"RMA RMA-1 was already issued"):
            issue_rma(desk, case_id, "RMA-1")

        assert len(desk.case(case_id).rmas) == 1

    def test_cannot_issue_again_the_number_of_an_rma_that_was_rejected(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        issue_rma(desk, case_id, "RMA-1")
        _reject(desk, case_id)

        with pytest.raises(InvalidInput, match=r"RMA RMA-1 was already issued"):
            issue_rma(desk, case_id, "RMA-1")

        assert len(desk.case(case_id).rmas) == 1

    def test_cannot_inspect_a_return_that_never_arrived(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        issue_rma(desk, case_id, "RMA-1")
        before = event_count(desk, case_id)

        with pytest.raises(
            RmaOutOfOrder,
            match=rf"cannot inspect RMA RMA-1 .*: it is ISSUED, and this step needs it "
            rf"RECEIVED {_RULE}",
        ):
            _inspect(desk, case_id)

        assert event_count(desk, case_id) == before

    def test_cannot_receive_the_same_return_twice(self) -> None:
        desk = memory_desk()
        case_id = _received_case(desk)

        with pytest.raises(RmaOutOfOrder, match=rf"it is RECEIVED, .*needs it ISSUED {_RULE}"):
            receive(desk, case_id, "RMA-1")

        assert desk.case(case_id).status is Status.IN_SERVICE

    def test_cannot_close_a_rejected_rma(self) -> None:
        desk = memory_desk()
        case_id = _received_case(desk)
        _inspect(desk, case_id)
        _reject(desk, case_id)

        with pytest.raises(
            RmaOutOfOrder, match=rf"cannot close RMA RMA-1 .*: it is REJECTED, .*{_RULE}"
        ):
            _close(desk, case_id)

        assert desk.case(case_id).rmas[0].stage is RmaStage.REJECTED

    def test_cannot_repair_after_the_rma_was_closed(self) -> None:
        desk = memory_desk()
        case_id = _received_case(desk)
        _close(desk, case_id)

        with pytest.raises(
            RmaOutOfOrder, match=rf"cannot repair RMA RMA-1 .*it is CLOSED.*{_RULE}"
        ):
            _repair(desk, case_id, RepairCoverage.CUSTOMER)

        assert desk.case(case_id).rmas[0].repaired_under is None


class TestCompleteRepairUnderWarranty:
    def test_out_of_warranty_repair_without_an_approved_escalation_is_refused(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk, with_product=_b.product(OUT_OF_WARRANTY))
        check(desk, case_id, EntitlementKind.WARRANTY)
        issue_rma(desk, case_id, "RMA-1")
        receive(desk, case_id, "RMA-1")
        before = event_count(desk, case_id)

        with pytest.raises(
            RepairNotCovered,
            match=r"warranty was checked EXPIRED .*\(rule: out-of-warranty repair needs an "
            r"approved escalation or a vendor known-issue programme\)",
        ):
            _repair(desk, case_id, RepairCoverage.WARRANTY)

        assert event_count(desk, case_id) == before

    def test_out_of_warranty_repair_after_an_approved_escalation_is_covered(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk, with_product=_b.product(OUT_OF_WARRANTY))
        check(desk, case_id, EntitlementKind.WARRANTY)
        escalate(desk, case_id, EscalationTarget.SUPERVISOR)
        approve(desk, case_id, by=SUPERVISOR)
        issue_rma(desk, case_id, "RMA-1")
        receive(desk, case_id, "RMA-1")

        _repair(desk, case_id, RepairCoverage.WARRANTY)

        assert desk.case(case_id).rmas[0].repaired_under is RepairCoverage.WARRANTY

    def test_a_denied_escalation_does_not_cover_an_out_of_warranty_repair(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk, with_product=_b.product(OUT_OF_WARRANTY))
        check(desk, case_id, EntitlementKind.WARRANTY)
        escalate(desk, case_id, EscalationTarget.SUPERVISOR)
        deny(desk, case_id, by=SUPERVISOR)
        issue_rma(desk, case_id, "RMA-1")
        receive(desk, case_id, "RMA-1")

        with pytest.raises(RepairNotCovered, match=r"rule: out-of-warranty repair needs"):
            _repair(desk, case_id, RepairCoverage.WARRANTY)

    def test_in_warranty_repair_is_covered(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        check(desk, case_id, EntitlementKind.WARRANTY)
        issue_rma(desk, case_id, "RMA-1")
        receive(desk, case_id, "RMA-1")

        _repair(desk, case_id, RepairCoverage.WARRANTY)

        assert desk.case(case_id).rmas[0].repaired_under is RepairCoverage.WARRANTY

    def test_out_of_warranty_repair_cannot_skip_the_warranty_check(self) -> None:
        desk = memory_desk()
        case_id = _received_case(desk, OUT_OF_WARRANTY)

        with pytest.raises(RepairNotCovered, match=r"rule: out-of-warranty repair needs"):
            _repair(desk, case_id, RepairCoverage.WARRANTY)


class TestCompleteRepairUnderVendorCover:
    _NO_VENDOR = (
        r"no escalation to VENDOR was approved \(rule: vendor cover needs an approved "
        r"escalation to VENDOR, known issue or not\); escalate to VENDOR first"
    )

    def test_vendor_cover_without_an_approved_vendor_escalation_is_refused(self) -> None:
        desk = memory_desk()
        case_id = _received_case(desk)
        before = event_count(desk, case_id)

        with pytest.raises(RepairNotCovered, match=self._NO_VENDOR):
            _repair(desk, case_id, RepairCoverage.VENDOR)

        assert event_count(desk, case_id) == before

    def test_a_known_issue_alone_gives_no_vendor_cover(self) -> None:
        # Rules 2: a known issue is text an agent typed; cover needs an approved
        # escalation to VENDOR, whoever approved it (issue 12).
        desk = memory_desk()
        case_id = _received_case(desk, OUT_OF_WARRANTY)
        _diagnose(desk, case_id, known_issue="KI-2291 drive firmware")
        before = event_count(desk, case_id)

        with pytest.raises(RepairNotCovered, match=self._NO_VENDOR):
            _repair(desk, case_id, RepairCoverage.VENDOR)

        assert event_count(desk, case_id) == before
        assert desk.case(case_id).rmas[0].repaired_under is None

    def test_a_known_issue_the_vendor_accepted_gives_vendor_cover(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk, with_product=_b.product(OUT_OF_WARRANTY))
        _diagnose(desk, case_id, known_issue="KI-2291 drive firmware")
        escalate(desk, case_id, EscalationTarget.VENDOR)
        approve(desk, case_id, by=VENDOR)
        issue_rma(desk, case_id, "RMA-1")
        receive(desk, case_id, "RMA-1")

        _repair(desk, case_id, RepairCoverage.VENDOR)

        assert desk.case(case_id).rmas[0].repaired_under is RepairCoverage.VENDOR

    def test_a_known_issue_programme_gives_vendor_cover_on_a_case_held_to_rules_1(
        self,
    ) -> None:
        desk = memory_desk()
        case_id = _b.open_case(desk, with_product=_b.product(OUT_OF_WARRANTY), rules=1)
        desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=T)
        issue_rma(desk, case_id, "RMA-1")
        receive(desk, case_id, "RMA-1")
        _diagnose(desk, case_id, known_issue="KI-2291 drive firmware")

        _repair(desk, case_id, RepairCoverage.VENDOR)

        assert desk.case(case_id).rmas[0].repaired_under is RepairCoverage.VENDOR

    def test_a_diagnosis_without_a_known_issue_gives_no_vendor_cover(self) -> None:
        desk = memory_desk()
        case_id = _received_case(desk)
        _diagnose(desk, case_id, known_issue=None)

        with pytest.raises(RepairNotCovered, match=self._NO_VENDOR):
            _repair(desk, case_id, RepairCoverage.VENDOR)

    @pytest.mark.parametrize("decided_by", ["VENDOR", "SUPERVISOR"])
    def test_an_approved_escalation_to_the_vendor_gives_vendor_cover(self, decided_by: str) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk, with_product=_b.product(OUT_OF_WARRANTY))
        check(desk, case_id, EntitlementKind.WARRANTY)
        escalate(desk, case_id, EscalationTarget.VENDOR)
        approve(desk, case_id, by=VENDOR if decided_by == "VENDOR" else SUPERVISOR)
        issue_rma(desk, case_id, "RMA-1")
        receive(desk, case_id, "RMA-1")

        _repair(desk, case_id, RepairCoverage.VENDOR)

        assert desk.case(case_id).rmas[0].repaired_under is RepairCoverage.VENDOR

    def test_an_approved_escalation_to_a_supervisor_gives_no_vendor_cover(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        escalate(desk, case_id, EscalationTarget.SUPERVISOR)
        approve(desk, case_id, by=SUPERVISOR)
        issue_rma(desk, case_id, "RMA-1")
        receive(desk, case_id, "RMA-1")

        with pytest.raises(RepairNotCovered, match=self._NO_VENDOR):
            _repair(desk, case_id, RepairCoverage.VENDOR)

        assert desk.case(case_id).rmas[0].repaired_under is None
