"""Acceptance: the five stories of the domain guide, told on a desk and checked line by line.

Each test tells one story on a fresh in-memory desk whose clock starts on 2026-11-01
and steps one second per recorded event, so every store time is known in advance.
The expected audit trails are literal lines, read against the story by a person: if
one changes, read the new line against its story module before accepting it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from casehistory import (
    Balance,
    CaseDesk,
    Demeanour,
    EntitlementKind,
    EscalationOutcome,
    Fault,
    InspectionOutcome,
    Money,
    Payer,
    RepairCoverage,
    RmaStage,
    Role,
    Status,
    SteppingClock,
)
from casehistory.domain.events import ContactLogged
from casehistory.stories import (
    STORIES,
    bait_and_switch,
    bust_hard_drive,
    past_the_window,
    rocks_in_the_box,
    six_thousand_hold,
)
from casehistory.views.ledger import LEDGER_COLUMNS

FIRST_STORE_TIME = datetime(2026, 11, 1, tzinfo=UTC)


def open_desk(location: str | Path = ":memory:", *, start: datetime = FIRST_STORE_TIME) -> CaseDesk:
    """A desk whose clock starts at ``start`` and steps one second per recorded event."""
    return CaseDesk.open(location, clock=SteppingClock(start, step=timedelta(seconds=1)))


def usd(**totals: str) -> dict[str, Balance]:
    """The expected ledger of a case that only ever saw US dollars."""
    money = {column: Money(totals.get(column, "0.00"), "USD") for column in LEDGER_COLUMNS}
    return {"USD": Balance("USD", **money)}


def trail_lines(desk: CaseDesk, case_id: UUID) -> list[str]:
    return [str(line) for line in desk.trail(case_id)]


@pytest.fixture
def desk() -> CaseDesk:
    return open_desk()


class TestPastTheWindow:
    """Story 1: refund denied past the window; overnight exchange as goodwill; closed."""

    def test_the_case_ends_closed_with_no_one_at_fault(self, desk: CaseDesk) -> None:
        case_id = past_the_window.tell(desk)

        case = desk.case(case_id)
        assert (case.status, case.fault) == (Status.CLOSED, Fault.NONE)

    def test_the_ledger_keeps_the_payment_and_the_goodwill_and_refunds_nothing(
        self, desk: CaseDesk
    ) -> None:
        case_id = past_the_window.tell(desk)

        assert desk.case(case_id).ledger.balances == usd(paid="189.00", goodwill="42.00")

    def test_no_money_is_left_on_hold(self, desk: CaseDesk) -> None:
        case_id = past_the_window.tell(desk)

        assert desk.case(case_id).open_holds == ()

    def test_the_overnight_upgrade_was_granted_before_the_cut_off(self, desk: CaseDesk) -> None:
        case_id = past_the_window.tell(desk)

        cutoff = desk.case(case_id).decisions[EntitlementKind.OVERNIGHT_CUTOFF]
        assert cutoff.outcome == "SAME_DAY"
        assert cutoff.compared["granted_at"] == "2026-06-03T14:31:00+00:00"

    def test_the_audit_trail_reads_as_the_story_line_by_line(self, desk: CaseDesk) -> None:
        case_id = past_the_window.tell(desk)

        assert trail_lines(desk, case_id) == [
            (
                "v1 | occurred 2026-06-03T14:20:00+00:00 | recorded 2026-11-01T00:00:00+00:00"
                " | AGENT dana.whitfield"
                " | CaseOpened: case opened by PHONE for Brightline IT Solutions: Power supply"
                " failed in a client build (750 W modular power supply, bought 2026-04-23)"
            ),
            (
                "v2 | occurred 2026-06-03T14:20:00+00:00 | recorded 2026-11-01T00:00:01+00:00"
                " | AGENT dana.whitfield | AgentAssigned: assigned to AGENT dana.whitfield"
            ),
            (
                "v3 | occurred 2026-06-03T14:21:00+00:00 | recorded 2026-11-01T00:00:02+00:00"
                " | AGENT dana.whitfield"
                " | ContactLogged: inbound PHONE, calm: technician Tomás Herrera reports the PSU"
                " shuts down under load in a client build and asks for a refund"
            ),
            (
                "v4 | occurred 2026-04-23T11:02:00+00:00 | recorded 2026-11-01T00:00:03+00:00"
                " | AGENT dana.whitfield | PaymentRecorded: payment recorded, ref SO-448120"
                " | paid 189.00 USD"
            ),
            (
                "v5 | occurred 2026-06-03T14:24:00+00:00 | recorded 2026-11-01T00:00:04+00:00"
                " | AGENT dana.whitfield"
                " | DiagnosisRecorded: diagnosis, fault NONE: 12 V rail drops below spec under load"
                " on the technician's PSU tester; cause component failure in normal service"
            ),
            (
                "v6 | occurred 2026-06-03T14:26:00+00:00 | recorded 2026-11-01T00:00:05+00:00"
                " | AGENT dana.whitfield"
                " | EntitlementChecked: checked RETURN_WINDOW OUTSIDE (return-window v1:"
                " counted_from 2026-04-23, last_day 2026-05-23, checked_on 2026-06-03, days_elapsed"
                " 41)"
            ),
            (
                "v7 | occurred 2026-06-03T14:26:00+00:00 | recorded 2026-11-01T00:00:06+00:00"
                " | AGENT dana.whitfield"
                " | EntitlementChecked: checked WARRANTY IN_WARRANTY (warranty v1: counted_from"
                " 2026-04-23, expires_on 2027-04-23, checked_on 2026-06-03)"
            ),
            (
                "v8 | occurred 2026-06-03T14:27:00+00:00 | recorded 2026-11-01T00:00:07+00:00"
                " | AGENT dana.whitfield"
                " | RefundRequested: refund requested: technician asks for the failed power supply"
                " to be refunded | requested 189.00 USD"
            ),
            (
                "v9 | occurred 2026-06-03T14:28:00+00:00 | recorded 2026-11-01T00:00:08+00:00"
                " | AGENT dana.whitfield"
                " | RefundDenied: refund denied: 41 days after purchase, outside the 30-day return"
                " window; exchange offered [return-window v1]"
            ),
            (
                "v10 | occurred 2026-06-03T14:31:00+00:00 | recorded 2026-11-01T00:00:09+00:00"
                " | AGENT dana.whitfield"
                " | GoodwillGranted: goodwill FREE_SHIPPING_UPGRADE: overnight instead of standard"
                " shipping so the client build is up tomorrow; WITHIN_LIMIT, ships SAME_DAY"
                " (cut-off 2026-06-03T16:30:00+00:00)"
                " | goodwill 42.00 USD"
            ),
            (
                "v11 | occurred 2026-06-03T14:33:00+00:00 | recorded 2026-11-01T00:00:10+00:00"
                " | AGENT dana.whitfield"
                " | RmaIssued: RMA 260603-0147 issued for REPLACE: 1 x 750 W modular power supply,"
                " serial PS750-2604-118273; return shipping paid by CUSTOMER"
                " (return-shipping v1: fault NONE)"
            ),
            (
                "v12 | occurred 2026-06-03T16:05:00+00:00 | recorded 2026-11-01T00:00:11+00:00"
                " | AGENT dana.whitfield"
                " | ReplacementShipped: RMA 260603-0147 replacement shipped OVERNIGHT,"
                " 1Z9W87E60123456789, paid by COMPANY"
            ),
            (
                "v13 | occurred 2026-06-08T10:40:00+00:00 | recorded 2026-11-01T00:00:12+00:00"
                " | AGENT dana.whitfield"
                " | ReturnReceived: RMA 260603-0147 return received: failed unit in its original"
                " box, serial matches"
            ),
            (
                "v14 | occurred 2026-06-08T10:45:00+00:00 | recorded 2026-11-01T00:00:13+00:00"
                " | AGENT dana.whitfield"
                " | RmaClosed: RMA 260603-0147 closed: failed unit received; exchange complete"
            ),
            (
                "v15 | occurred 2026-06-08T10:50:00+00:00 | recorded 2026-11-01T00:00:14+00:00"
                " | AGENT dana.whitfield"
                " | CaseResolved: resolved, fault NONE: replacement shipped overnight, failed unit"
                " returned; no refund (past window)"
            ),
            (
                "v16 | occurred 2026-06-08T10:51:00+00:00 | recorded 2026-11-01T00:00:15+00:00"
                " | AGENT dana.whitfield | CaseClosed: closed"
            ),
        ]


class TestTheBustHardDrive:
    """Story 2: out of warranty, escalated to the vendor, repaired at no cost, commended."""

    def test_the_case_stays_resolved_as_the_vendors_fault(self, desk: CaseDesk) -> None:
        case_id = bust_hard_drive.tell(desk)

        case = desk.case(case_id)
        # The story ends with a commendation on the resolved case, not with a close.
        assert (case.status, case.fault) == (Status.RESOLVED, Fault.VENDOR)

    def test_the_ledger_holds_only_the_payment_on_the_receipt(self, desk: CaseDesk) -> None:
        case_id = bust_hard_drive.tell(desk)

        assert desk.case(case_id).ledger.balances == usd(paid="1249.00")

    def test_no_money_is_left_on_hold(self, desk: CaseDesk) -> None:
        case_id = bust_hard_drive.tell(desk)

        assert desk.case(case_id).open_holds == ()

    def test_a_supervisor_not_the_agent_who_asked_approved_the_escalation(
        self, desk: CaseDesk
    ) -> None:
        case_id = bust_hard_drive.tell(desk)

        (escalation,) = desk.case(case_id).escalations
        assert escalation.outcome is EscalationOutcome.APPROVED
        assert escalation.requested_by.role is Role.AGENT
        assert escalation.decided_by is not None
        assert escalation.decided_by.role is Role.SUPERVISOR

    def test_the_repair_was_covered_by_the_vendor_and_the_rma_closed(self, desk: CaseDesk) -> None:
        case_id = bust_hard_drive.tell(desk)

        (rma,) = desk.case(case_id).rmas
        assert (rma.repaired_under, rma.stage) == (RepairCoverage.VENDOR, RmaStage.CLOSED)

    def test_the_audit_trail_reads_as_the_story_line_by_line(self, desk: CaseDesk) -> None:
        case_id = bust_hard_drive.tell(desk)

        assert trail_lines(desk, case_id) == [
            (
                "v1 | occurred 2026-06-18T14:10:00+00:00 | recorded 2026-11-01T00:00:00+00:00"
                " | AGENT keisha.moreland"
                " | CaseOpened: case opened by WALK_IN for Harold Jennings: Laptop will not start:"
                " 'No bootable device' (15-inch X540 laptop, bought 2025-02-08)"
            ),
            (
                "v2 | occurred 2026-06-18T14:10:00+00:00 | recorded 2026-11-01T00:00:01+00:00"
                " | AGENT keisha.moreland | AgentAssigned: assigned to AGENT keisha.moreland"
            ),
            (
                "v3 | occurred 2026-06-18T14:11:00+00:00 | recorded 2026-11-01T00:00:02+00:00"
                " | AGENT keisha.moreland"
                " | ContactLogged: inbound WALK_IN, calm: brought the laptop and receipt; stuck at"
                " 'No bootable device' since Monday"
            ),
            (
                "v4 | occurred 2025-02-08T16:32:00+00:00 | recorded 2026-11-01T00:00:03+00:00"
                " | AGENT keisha.moreland"
                " | PaymentRecorded: payment recorded, ref receipt POS-20250208-0412"
                " | paid 1,249.00 USD"
            ),
            (
                "v5 | occurred 2026-06-18T14:35:00+00:00 | recorded 2026-11-01T00:00:04+00:00"
                " | AGENT keisha.moreland"
                " | DiagnosisRecorded: diagnosis, fault VENDOR: internal drive fails its SMART"
                " self-test with over 1,200 reallocated sectors; cause firmware fault in the 1 TB"
                " drive fitted to the X540; known issue VKI-2291 (X540 drive firmware)"
            ),
            (
                "v6 | occurred 2026-06-18T14:38:00+00:00 | recorded 2026-11-01T00:00:05+00:00"
                " | AGENT keisha.moreland"
                " | EntitlementChecked: checked WARRANTY EXPIRED (warranty v1: counted_from"
                " 2025-02-08, expires_on 2026-02-08, checked_on 2026-06-18)"
            ),
            (
                "v7 | occurred 2026-06-18T14:41:00+00:00 | recorded 2026-11-01T00:00:06+00:00"
                " | AGENT keisha.moreland"
                " | EscalationRequested: escalation #1 to VENDOR requested: out of warranty, but"
                " the drive fault is the vendor's known issue VKI-2291"
            ),
            (
                "v8 | occurred 2026-06-18T15:02:00+00:00 | recorded 2026-11-01T00:00:07+00:00"
                " | SUPERVISOR raj.patel"
                " | EscalationApproved: escalation #1 approved: vendor portal confirms serial"
                " X540-5HG2-77310 is covered by VKI-2291"
            ),
            (
                "v9 | occurred 2026-06-18T15:10:00+00:00 | recorded 2026-11-01T00:00:08+00:00"
                " | AGENT keisha.moreland"
                " | RmaIssued: RMA 260618-0093 issued for REPAIR: X540 laptop, serial"
                " X540-5HG2-77310, with its power adapter; return shipping paid by COMPANY"
                " (return-shipping v1: fault VENDOR)"
            ),
            (
                "v10 | occurred 2026-06-18T15:12:00+00:00 | recorded 2026-11-01T00:00:09+00:00"
                " | AGENT keisha.moreland"
                " | ReturnReceived: RMA 260618-0093 return received: handed over at the counter;"
                " lid scuffed, no other damage"
            ),
            (
                "v11 | occurred 2026-06-24T11:20:00+00:00 | recorded 2026-11-01T00:00:10+00:00"
                " | AGENT miguel.santos"
                " | RepairCompleted: RMA 260618-0093 repaired under VENDOR: fitted the vendor's"
                " revised 1 TB drive and reinstalled the operating system | repair cost 0.00 USD"
            ),
            (
                "v12 | occurred 2026-06-24T11:30:00+00:00 | recorded 2026-11-01T00:00:11+00:00"
                " | AGENT keisha.moreland"
                " | ContactLogged: outbound PHONE, calm: told Mr Jennings the laptop is repaired at"
                " no cost and ready to collect"
            ),
            (
                "v13 | occurred 2026-06-25T16:05:00+00:00 | recorded 2026-11-01T00:00:12+00:00"
                " | AGENT keisha.moreland"
                " | RmaClosed: RMA 260618-0093 closed: laptop collected by Mr Jennings at the"
                " counter"
            ),
            (
                "v14 | occurred 2026-06-25T16:07:00+00:00 | recorded 2026-11-01T00:00:13+00:00"
                " | AGENT keisha.moreland"
                " | CaseResolved: resolved, fault VENDOR: drive replaced under the vendor's"
                " known-issue programme at no cost"
            ),
            (
                "v15 | occurred 2026-06-29T09:15:00+00:00 | recorded 2026-11-01T00:00:14+00:00"
                " | SUPERVISOR raj.patel"
                " | CommendationRecorded: commendation of keisha.moreland from SUPERVISOR"
                " raj.patel: spotted the vendor programme and got an out-of-warranty laptop fixed"
                " at no cost"
            ),
        ]


class TestBaitAndSwitch:
    """Story 3: an angry complaint, a cancellation, no refund owed; closed."""

    def test_the_case_ends_closed_with_no_one_at_fault(self, desk: CaseDesk) -> None:
        case_id = bait_and_switch.tell(desk)

        case = desk.case(case_id)
        assert (case.status, case.fault) == (Status.CLOSED, Fault.NONE)

    def test_the_ledger_keeps_both_payments_and_refunds_nothing(self, desk: CaseDesk) -> None:
        case_id = bait_and_switch.tell(desk)

        assert desk.case(case_id).ledger.balances == usd(paid="159.98")

    def test_no_money_is_left_on_hold(self, desk: CaseDesk) -> None:
        case_id = bait_and_switch.tell(desk)

        assert desk.case(case_id).open_holds == ()

    def test_the_refund_was_denied_on_the_recorded_return_window_decision(
        self, desk: CaseDesk
    ) -> None:
        case_id = bait_and_switch.tell(desk)

        window = desk.case(case_id).decisions[EntitlementKind.RETURN_WINDOW]
        assert (window.outcome, window.compared["days_elapsed"]) == ("OUTSIDE", "42")

    def test_the_audit_trail_reads_as_the_story_line_by_line(self, desk: CaseDesk) -> None:
        case_id = bait_and_switch.tell(desk)

        assert trail_lines(desk, case_id) == [
            (
                "v1 | occurred 2026-05-26T09:47:00+00:00 | recorded 2026-11-01T00:00:00+00:00"
                " | SYSTEM mail-intake"
                " | CaseOpened: case opened by EMAIL for Renata Kowalczyk: 'You tricked me': plan"
                " renewed at 119.99 instead of 39.99 (PhotoVault Plus annual plan, bought"
                " 2026-04-14)"
            ),
            (
                "v2 | occurred 2026-05-26T09:47:00+00:00 | recorded 2026-11-01T00:00:01+00:00"
                " | CUSTOMER CUST-47755"
                " | ContactLogged: inbound EMAIL, angry: signed up at 39.99 a year, renewed at"
                " 119.99 for a service she never used; calls it a bait and switch, wants her money"
                " back and the account cancelled"
            ),
            (
                "v3 | occurred 2026-05-26T10:05:00+00:00 | recorded 2026-11-01T00:00:02+00:00"
                " | AGENT owen.gallagher | AgentAssigned: assigned to AGENT owen.gallagher"
            ),
            (
                "v4 | occurred 2025-04-14T08:00:00+00:00 | recorded 2026-11-01T00:00:03+00:00"
                " | AGENT owen.gallagher"
                " | PaymentRecorded: payment recorded, ref SUB-7781-2291 first year"
                " | paid 39.99 USD"
            ),
            (
                "v5 | occurred 2026-04-14T08:00:00+00:00 | recorded 2026-11-01T00:00:04+00:00"
                " | AGENT owen.gallagher"
                " | PaymentRecorded: payment recorded, ref SUB-7781-2291 renewal | paid 119.99 USD"
            ),
            (
                "v6 | occurred 2026-05-26T10:12:00+00:00 | recorded 2026-11-01T00:00:05+00:00"
                " | AGENT owen.gallagher"
                " | ComplaintRecorded: complaint BAIT_AND_SWITCH: advertised at 39.99 a year;"
                " renewed at 119.99 after a year of no use"
            ),
            (
                "v7 | occurred 2026-05-26T10:15:00+00:00 | recorded 2026-11-01T00:00:06+00:00"
                " | AGENT owen.gallagher"
                " | CancellationRequested: cancellation of PhotoVault Plus annual plan requested:"
                " customer no longer wants the service"
            ),
            (
                "v8 | occurred 2026-05-26T10:16:00+00:00 | recorded 2026-11-01T00:00:07+00:00"
                " | AGENT owen.gallagher"
                " | CancellationCompleted: cancellation of PhotoVault Plus annual plan completed,"
                " effective 2027-04-13"
            ),
            (
                "v9 | occurred 2026-05-26T10:24:00+00:00 | recorded 2026-11-01T00:00:08+00:00"
                " | AGENT owen.gallagher"
                " | NoteAdded: note: sign-up page archive shows 39.99 labelled 'first year, then"
                " 119.99'; renewal reminder emailed on 2026-03-15"
            ),
            (
                "v10 | occurred 2026-05-26T10:26:00+00:00 | recorded 2026-11-01T00:00:09+00:00"
                " | AGENT owen.gallagher"
                " | EntitlementChecked: checked RETURN_WINDOW OUTSIDE (return-window v1:"
                " counted_from 2026-04-14, last_day 2026-05-14, checked_on 2026-05-26, days_elapsed"
                " 42)"
            ),
            (
                "v11 | occurred 2026-05-26T10:27:00+00:00 | recorded 2026-11-01T00:00:10+00:00"
                " | AGENT owen.gallagher"
                " | RefundRequested: refund requested: customer wants the renewal charge back"
                " | requested 119.99 USD"
            ),
            (
                "v12 | occurred 2026-05-26T10:28:00+00:00 | recorded 2026-11-01T00:00:11+00:00"
                " | AGENT owen.gallagher"
                " | RefundDenied: refund denied: renewal 42 days ago, outside the 30-day window;"
                " price disclosed at sign-up [return-window v1]"
            ),
            (
                "v13 | occurred 2026-05-26T10:40:00+00:00 | recorded 2026-11-01T00:00:12+00:00"
                " | AGENT owen.gallagher"
                " | CaseResolved: resolved, fault NONE: cancelled at the end of the paid term;"
                " complaint recorded; no refund owed"
            ),
            (
                "v14 | occurred 2026-05-26T10:41:00+00:00 | recorded 2026-11-01T00:00:13+00:00"
                " | AGENT owen.gallagher | CaseClosed: closed"
            ),
        ]


class TestTheSixThousandHold:
    """Story 4: a transfer to Purchasing, then a 6,012.47 hold by our error, released in full."""

    def test_the_case_is_resolved_as_our_fault(self, desk: CaseDesk) -> None:
        case_id = six_thousand_hold.tell(desk)

        case = desk.case(case_id)
        # The domain guide does not close this story; it ends resolved.
        assert (case.status, case.fault) == (Status.RESOLVED, Fault.OURS)

    def test_the_ledger_shows_the_hold_released_in_full_and_the_credit(
        self, desk: CaseDesk
    ) -> None:
        case_id = six_thousand_hold.tell(desk)

        assert desk.case(case_id).ledger.balances == usd(
            paid="6012.47", credited="150.00", held="6012.47", released="6012.47"
        )

    def test_no_money_is_left_on_hold(self, desk: CaseDesk) -> None:
        case_id = six_thousand_hold.tell(desk)

        assert desk.case(case_id).open_holds == ()

    def test_the_transfer_to_purchasing_shows_in_the_audit_trail(self, desk: CaseDesk) -> None:
        case_id = six_thousand_hold.tell(desk)

        transfers = [
            line.what for line in desk.trail(case_id) if line.event_type == "CaseTransferred"
        ]
        assert transfers[0] == (
            "transferred Customer Service -> Purchasing: supplier short-shipped the wrong"
            " colour; Purchasing re-orders from suppliers"
        )

    def test_the_customer_stayed_polite_throughout(self, desk: CaseDesk) -> None:
        case_id = six_thousand_hold.tell(desk)

        contacts = [e for e in desk.case(case_id).events if isinstance(e, ContactLogged)]
        assert len(contacts) == 4
        assert {contact.demeanour for contact in contacts} == {Demeanour.POLITE}

    def test_the_audit_trail_reads_as_the_story_line_by_line(self, desk: CaseDesk) -> None:
        case_id = six_thousand_hold.tell(desk)

        assert trail_lines(desk, case_id) == [
            (
                "v1 | occurred 2026-08-04T10:12:00+00:00 | recorded 2026-11-01T00:00:00+00:00"
                " | AGENT jordan.reyes"
                " | CaseOpened: case opened by PHONE for Marisol Vega: Order ORD-58213 arrived"
                " wrong: 9 grey chairs instead of 12 black (12 ergonomic task chairs, black, bought"
                " 2026-07-28)"
            ),
            (
                "v2 | occurred 2026-08-04T10:12:00+00:00 | recorded 2026-11-01T00:00:01+00:00"
                " | AGENT jordan.reyes | AgentAssigned: assigned to AGENT jordan.reyes"
            ),
            (
                "v3 | occurred 2026-08-04T10:13:00+00:00 | recorded 2026-11-01T00:00:02+00:00"
                " | AGENT jordan.reyes"
                " | ContactLogged: inbound PHONE, polite: 9 grey chairs delivered instead of 12"
                " black; needs them before the practice opens"
            ),
            (
                "v4 | occurred 2026-07-28T15:40:00+00:00 | recorded 2026-11-01T00:00:03+00:00"
                " | AGENT jordan.reyes | PaymentRecorded: payment recorded, ref ORD-58213"
                " | paid 6,012.47 USD"
            ),
            (
                "v5 | occurred 2026-08-04T10:25:00+00:00 | recorded 2026-11-01T00:00:04+00:00"
                " | AGENT jordan.reyes"
                " | CaseTransferred: transferred Customer Service -> Purchasing: supplier"
                " short-shipped the wrong colour; Purchasing re-orders from suppliers"
            ),
            (
                "v6 | occurred 2026-08-04T10:25:00+00:00 | recorded 2026-11-01T00:00:05+00:00"
                " | AGENT wei.chen | AgentAssigned: assigned to AGENT wei.chen"
            ),
            (
                "v7 | occurred 2026-08-04T11:15:00+00:00 | recorded 2026-11-01T00:00:06+00:00"
                " | AGENT wei.chen"
                " | NoteAdded: note: re-ordered 12 black chairs as RO-58213-1; carrier to collect"
                " the 9 grey chairs"
            ),
            (
                "v8 | occurred 2026-08-04T11:30:00+00:00 | recorded 2026-11-01T00:00:07+00:00"
                " | AGENT wei.chen"
                " | ContactLogged: outbound PHONE, polite: told Dr Vega the right chairs arrive by"
                " 18 August; she thanked us"
            ),
            (
                "v9 | occurred 2026-08-18T14:02:00+00:00 | recorded 2026-11-01T00:00:08+00:00"
                " | AGENT wei.chen"
                " | NoteAdded: note: 12 black chairs delivered and signed for; grey chairs"
                " collected"
            ),
            (
                "v10 | occurred 2026-09-08T02:14:00+00:00 | recorded 2026-11-01T00:00:09+00:00"
                " | SYSTEM billing-run"
                " | HoldPlaced: hold AUTH-0908-77342 placed on checking account ending 4471:"
                " payment authorisation for RO-58213-1 | held 6,012.47 USD"
            ),
            (
                "v11 | occurred 2026-09-08T09:05:00+00:00 | recorded 2026-11-01T00:00:10+00:00"
                " | AGENT jordan.reyes"
                " | ContactLogged: inbound PHONE, polite: her bank shows 6,012.47 held a second"
                " time; payroll is due Friday"
            ),
            (
                "v12 | occurred 2026-09-08T09:08:00+00:00 | recorded 2026-11-01T00:00:11+00:00"
                " | AGENT jordan.reyes"
                " | CaseTransferred: transferred Purchasing -> Customer Service: chairs delivered;"
                " the open question is now a hold on the customer's account"
            ),
            (
                "v13 | occurred 2026-09-08T09:08:00+00:00 | recorded 2026-11-01T00:00:12+00:00"
                " | AGENT jordan.reyes | AgentAssigned: assigned to AGENT jordan.reyes"
            ),
            (
                "v14 | occurred 2026-09-08T09:20:00+00:00 | recorded 2026-11-01T00:00:13+00:00"
                " | AGENT jordan.reyes"
                " | DiagnosisRecorded: diagnosis, fault OURS: re-order RO-58213-1 was billed as a"
                " new sale on the original payment method; cause re-order keyed as a new sale"
                " instead of an exchange on ORD-58213"
            ),
            (
                "v15 | occurred 2026-09-08T09:40:00+00:00 | recorded 2026-11-01T00:00:14+00:00"
                " | AGENT jordan.reyes"
                " | HoldReleased: hold AUTH-0908-77342 released: duplicate authorisation voided"
                " with the bank | released 6,012.47 USD"
            ),
            (
                "v16 | occurred 2026-09-08T09:48:00+00:00 | recorded 2026-11-01T00:00:15+00:00"
                " | SUPERVISOR amara.osei"
                " | CreditIssued: credit issued: apology for the 6,012.47 our billing error held on"
                " her checking account; ABOVE_LIMIT | credited 150.00 USD"
            ),
            (
                "v17 | occurred 2026-09-08T09:55:00+00:00 | recorded 2026-11-01T00:00:16+00:00"
                " | AGENT jordan.reyes"
                " | ContactLogged: outbound PHONE, polite: apologised for our billing error; hold"
                " released in full, 150.00 credit issued"
            ),
            (
                "v18 | occurred 2026-09-08T10:05:00+00:00 | recorded 2026-11-01T00:00:17+00:00"
                " | AGENT jordan.reyes"
                " | CaseResolved: resolved, fault OURS: right chairs delivered; duplicate hold"
                " released in full; apology and credit"
            ),
        ]


class TestRocksInTheBox:
    """Story 5: malware, goodwill, a lemon-law threat, a box of rocks; closed, fault CUSTOMER."""

    def test_the_case_ends_closed_as_the_customers_fault(self, desk: CaseDesk) -> None:
        case_id = rocks_in_the_box.tell(desk)

        case = desk.case(case_id)
        assert (case.status, case.fault) == (Status.CLOSED, Fault.CUSTOMER)

    def test_the_ledger_keeps_the_payment_and_the_antivirus_and_refunds_nothing(
        self, desk: CaseDesk
    ) -> None:
        case_id = rocks_in_the_box.tell(desk)

        assert desk.case(case_id).ledger.balances == usd(paid="2349.00", goodwill="39.99")

    def test_no_money_is_left_on_hold(self, desk: CaseDesk) -> None:
        case_id = rocks_in_the_box.tell(desk)

        assert desk.case(case_id).open_holds == ()

    def test_the_box_of_rocks_failed_inspection_and_the_rma_was_rejected(
        self, desk: CaseDesk
    ) -> None:
        case_id = rocks_in_the_box.tell(desk)

        (rma,) = desk.case(case_id).rmas
        assert (rma.inspection, rma.stage) == (
            InspectionOutcome.NOT_AS_DESCRIBED,
            RmaStage.REJECTED,
        )

    def test_the_customer_paid_the_return_shipping_because_the_fault_was_hers(
        self, desk: CaseDesk
    ) -> None:
        case_id = rocks_in_the_box.tell(desk)

        (rma,) = desk.case(case_id).rmas
        assert rma.return_shipping_paid_by is Payer.CUSTOMER

    def test_the_audit_trail_reads_as_the_story_line_by_line(self, desk: CaseDesk) -> None:
        case_id = rocks_in_the_box.tell(desk)

        assert trail_lines(desk, case_id) == [
            (
                "v1 | occurred 2026-02-23T16:05:00+00:00 | recorded 2026-11-01T00:00:00+00:00"
                " | AGENT tariq.haddad"
                " | CaseOpened: case opened by PHONE for Denise Hollis: Son's custom PC keeps"
                " breaking: pop-ups, freezes (custom-built gaming PC, bought 2026-01-09)"
            ),
            (
                "v2 | occurred 2026-02-23T16:05:00+00:00 | recorded 2026-11-01T00:00:01+00:00"
                " | AGENT tariq.haddad | AgentAssigned: assigned to AGENT tariq.haddad"
            ),
            (
                "v3 | occurred 2026-02-23T16:06:00+00:00 | recorded 2026-11-01T00:00:02+00:00"
                " | AGENT tariq.haddad"
                " | ContactLogged: inbound PHONE, frustrated: her son's PC is 'broken again':"
                " pop-ups and freezes, six weeks after delivery"
            ),
            (
                "v4 | occurred 2026-01-09T12:15:00+00:00 | recorded 2026-11-01T00:00:03+00:00"
                " | AGENT tariq.haddad | PaymentRecorded: payment recorded, ref CB-10388"
                " | paid 2,349.00 USD"
            ),
            (
                "v5 | occurred 2026-02-23T16:30:00+00:00 | recorded 2026-11-01T00:00:04+00:00"
                " | AGENT tariq.haddad"
                " | DiagnosisRecorded: diagnosis, fault CUSTOMER: remote scan found a crypto-miner"
                " and adware from 'free game' download sites; cause malware from unsafe browsing"
            ),
            (
                "v6 | occurred 2026-02-23T17:10:00+00:00 | recorded 2026-11-01T00:00:05+00:00"
                " | AGENT tariq.haddad"
                " | RemediationPerformed: remediation: removed the malware, reset the browsers, set"
                " up a standard account for the son"
            ),
            (
                "v7 | occurred 2026-02-23T17:15:00+00:00 | recorded 2026-11-01T00:00:06+00:00"
                " | AGENT tariq.haddad"
                " | GoodwillGranted: goodwill FREE_SOFTWARE: one-year antivirus licence, installed"
                " during the session; WITHIN_LIMIT | goodwill 39.99 USD"
            ),
            (
                "v8 | occurred 2026-03-10T10:20:00+00:00 | recorded 2026-11-01T00:00:07+00:00"
                " | AGENT tariq.haddad"
                " | ContactLogged: inbound PHONE, frustrated: 'broken again': the pop-ups are back"
                " and the PC restarts on its own"
            ),
            (
                "v9 | occurred 2026-03-10T10:45:00+00:00 | recorded 2026-11-01T00:00:08+00:00"
                " | AGENT tariq.haddad"
                " | DiagnosisRecorded: diagnosis, fault CUSTOMER: antivirus disabled from an admin"
                " account; the same adware reinstalled; cause malware from unsafe browsing, again"
            ),
            (
                "v10 | occurred 2026-03-10T11:20:00+00:00 | recorded 2026-11-01T00:00:09+00:00"
                " | AGENT tariq.haddad"
                " | RemediationPerformed: remediation: removed the adware again and re-enabled the"
                " antivirus"
            ),
            (
                "v11 | occurred 2026-03-24T15:05:00+00:00 | recorded 2026-11-01T00:00:10+00:00"
                " | AGENT tariq.haddad"
                " | ContactLogged: inbound PHONE, frustrated: 'broken again'; calls the PC a lemon"
                " and wants it taken back for a full refund"
            ),
            (
                "v12 | occurred 2026-03-24T15:12:00+00:00 | recorded 2026-11-01T00:00:11+00:00"
                " | AGENT tariq.haddad"
                " | ComplaintRecorded: complaint LEMON_LAW: threatens a lemon-law claim unless the"
                " PC is taken back and refunded"
            ),
            (
                "v13 | occurred 2026-03-24T15:14:00+00:00 | recorded 2026-11-01T00:00:12+00:00"
                " | AGENT tariq.haddad"
                " | RefundRequested: refund requested: customer demands a full refund under the"
                " lemon law | requested 2,349.00 USD"
            ),
            (
                "v14 | occurred 2026-03-24T15:20:00+00:00 | recorded 2026-11-01T00:00:13+00:00"
                " | AGENT tariq.haddad"
                " | RmaIssued: RMA 260324-0211 issued for INSPECT: custom-built gaming PC, serial"
                " CB-26-01-0388; return shipping paid by CUSTOMER"
                " (return-shipping v1: fault CUSTOMER)"
            ),
            (
                "v15 | occurred 2026-04-02T11:30:00+00:00 | recorded 2026-11-01T00:00:14+00:00"
                " | AGENT ana.lima"
                " | ReturnReceived: RMA 260324-0211 return received: box sealed, RMA label on, 14.6"
                " kg"
            ),
            (
                "v16 | occurred 2026-04-02T14:00:00+00:00 | recorded 2026-11-01T00:00:15+00:00"
                " | AGENT ana.lima"
                " | InspectionCompleted: RMA 260324-0211 inspected NOT_AS_DESCRIBED: no computer:"
                " landscaping rocks wrapped in bath towels; photographed, kept"
            ),
            (
                "v17 | occurred 2026-04-02T14:20:00+00:00 | recorded 2026-11-01T00:00:16+00:00"
                " | AGENT tariq.haddad"
                " | RmaRejected: RMA 260324-0211 rejected: the box held rocks, not the PC with"
                " serial CB-26-01-0388"
            ),
            (
                "v18 | occurred 2026-04-02T14:25:00+00:00 | recorded 2026-11-01T00:00:17+00:00"
                " | AGENT tariq.haddad"
                " | RefundDenied: refund denied: the PC was never returned: the box held rocks and"
                " the RMA was rejected"
            ),
            (
                "v19 | occurred 2026-04-02T15:00:00+00:00 | recorded 2026-11-01T00:00:18+00:00"
                " | AGENT tariq.haddad"
                " | ContactLogged: outbound PHONE, angry: told Mrs Hollis the box held rocks, the"
                " RMA is rejected and no refund is due"
            ),
            (
                "v20 | occurred 2026-04-03T09:30:00+00:00 | recorded 2026-11-01T00:00:19+00:00"
                " | AGENT tariq.haddad"
                " | CaseResolved: resolved, fault CUSTOMER: malware removed twice, antivirus given;"
                " RMA rejected (rocks); no refund"
            ),
            (
                "v21 | occurred 2026-04-03T09:31:00+00:00 | recorded 2026-11-01T00:00:20+00:00"
                " | AGENT tariq.haddad | CaseClosed: closed"
            ),
        ]


class TestAllStories:
    def test_the_stories_come_in_the_domain_guides_order(self) -> None:
        assert [(story.number, story.title) for story in STORIES] == [
            (1, "Past the window"),
            (2, "The bust hard drive"),
            (3, "Bait and switch"),
            (4, "The $6,000 hold"),
            (5, "Rocks in the box"),
        ]

    def test_telling_them_again_on_the_same_file_adds_five_cases_and_changes_none(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "stories.sqlite"
        # The five stories are told once on a SQLite file...
        first_desk = open_desk(path)
        first = [story.tell(first_desk) for story in STORIES]
        before = [first_desk.case(case_id) for case_id in first]
        first_desk.close()

        # ...and told again, a day later, on the same file.
        second_desk = open_desk(path, start=FIRST_STORE_TIME + timedelta(days=1))
        second = [story.tell(second_desk) for story in STORIES]
        second_desk.close()

        # A new desk on the file finds ten distinct cases, the first five as they were.
        reader = open_desk(path, start=FIRST_STORE_TIME + timedelta(days=2))
        assert len(set(first + second)) == 10
        assert list(reader.case_ids()) == first + second
        assert [reader.case(case_id) for case_id in first] == before
        reader.close()
