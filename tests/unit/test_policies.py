"""Policies are pure, versioned decisions; the desk records them and never recomputes them."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

from casehistory import (
    BusinessTimePolicy,
    CaseGoodwillLimitPolicy,
    CreditLimitPolicy,
    EntitlementKind,
    Fault,
    GoodwillKind,
    GoodwillLimitPolicy,
    InvalidInput,
    OvernightCutoffPolicy,
    Payer,
    Policies,
    PolicyExceptionRequired,
    ReturnShippingPolicy,
    ReturnWindowPolicy,
    WarrantyPolicy,
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
AGENT, T, product, eur = _b.AGENT, _b.T, _b.product, _b.eur
memory_desk, file_desk, open_assigned_case = _b.memory_desk, _b.file_desk, _b.open_assigned_case
check, pay, refund, last_event, issue_rma = _b.check, _b.pay, _b.refund, _b.last_event, _b.issue_rma

BOUGHT = date(2026, 1, 1)
A_DAY_LATER = _b.CLOCK_START + timedelta(days=1)  # a desk reopened later has a later clock


class TestReturnWindowPolicy:
    def test_the_last_day_of_the_window_is_inside(self) -> None:
        policy = ReturnWindowPolicy()

        decision = policy.decide(product(BOUGHT), date(2026, 1, 31))

        assert (decision.outcome, decision.entitled) == ("INSIDE", True)
        assert decision.compared["last_day"] == "2026-01-31"

    def test_the_day_after_the_window_is_outside(self) -> None:
        policy = ReturnWindowPolicy()

        decision = policy.decide(product(BOUGHT), date(2026, 2, 1))

        assert (decision.outcome, decision.entitled) == ("OUTSIDE", False)
        assert decision.compared["days_elapsed"] == "31"

    def test_the_window_counts_from_delivery_when_known(self) -> None:
        delivered_late = product(BOUGHT, delivered_on=date(2026, 1, 10))

        decision = ReturnWindowPolicy().decide(delivered_late, date(2026, 2, 9))

        assert decision.outcome == "INSIDE"
        assert decision.compared["counted_from"] == "2026-01-10"

    def test_the_decision_carries_the_policy_id_and_version(self) -> None:
        policy = ReturnWindowPolicy(days=90, version=2)

        decision = policy.decide(product(BOUGHT), date(2026, 3, 1))

        assert (decision.policy_id, decision.version, decision.kind) == (
            "return-window",
            2,
            EntitlementKind.RETURN_WINDOW,
        )
        assert "return-window v2" in str(decision)

    def test_a_negative_window_is_refused(self) -> None:
        days = -1

        with pytest.raises(InvalidInput, match=r"days must be a whole number of days from 0"):
            ReturnWindowPolicy(days=days)


class TestWarrantyPolicy:
    def test_the_last_day_of_the_warranty_is_covered(self) -> None:
        policy = WarrantyPolicy()

        decision = policy.decide(product(BOUGHT), date(2027, 1, 1))

        assert (decision.outcome, decision.entitled) == ("IN_WARRANTY", True)
        assert decision.compared["expires_on"] == "2027-01-01"

    def test_the_day_after_the_warranty_has_expired(self) -> None:
        policy = WarrantyPolicy()

        decision = policy.decide(product(BOUGHT), date(2027, 1, 2))

        assert (decision.outcome, decision.entitled) == ("EXPIRED", False)

    def test_the_warranty_counts_from_delivery_when_known(self) -> None:
        delivered_late = product(BOUGHT, delivered_on=date(2026, 1, 20))

        decision = WarrantyPolicy().decide(delivered_late, date(2027, 1, 15))

        assert decision.outcome == "IN_WARRANTY"
        assert (decision.policy_id, decision.version) == ("warranty", 1)


class TestReturnShippingPolicy:
    @pytest.mark.parametrize(
        ("fault", "payer"),
        [
            (Fault.OURS, Payer.COMPANY),
            (Fault.VENDOR, Payer.COMPANY),
            (Fault.CUSTOMER, Payer.CUSTOMER),
            (Fault.NONE, Payer.CUSTOMER),
            (Fault.UNDETERMINED, Payer.CUSTOMER),
        ],
    )
    def test_the_customer_pays_unless_the_fault_is_ours_or_the_vendors(
        self, fault: Fault, payer: Payer
    ) -> None:
        policy = ReturnShippingPolicy()

        decision = policy.decide(fault)

        assert policy.payer(decision) is payer
        assert decision.outcome == f"{payer.name}_PAYS"
        assert (decision.policy_id, decision.version) == ("return-shipping", 1)

    def test_an_rma_records_who_pays_from_the_diagnosed_fault(self) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        desk.record_diagnosis(
            case_id,
            symptom="hold on the account",
            finding="billing error",
            root_cause="our system",
            fault=Fault.OURS,
            by=AGENT,
            occurred_at=T,
        )

        issue_rma(desk, case_id, "RMA-1")

        event = last_event(desk, case_id)
        assert event.return_shipping_paid_by is Payer.COMPANY
        assert event.shipping_decision.compared == {"fault": "OURS"}


class TestOvernightCutoffPolicy:
    def test_exactly_at_the_cutoff_it_ships_the_same_day(self) -> None:
        policy = OvernightCutoffPolicy()  # last shipment 17:00 UTC, cut-off 30 minutes before

        decision = policy.decide(datetime(2026, 3, 2, 16, 30, tzinfo=UTC))

        assert (decision.outcome, decision.entitled) == ("SAME_DAY", True)

    def test_just_after_the_cutoff_it_ships_the_next_day(self) -> None:
        policy = OvernightCutoffPolicy()

        decision = policy.decide(datetime(2026, 3, 2, 16, 30, 0, 1, tzinfo=UTC))

        assert (decision.outcome, decision.entitled) == ("NEXT_DAY", False)

    def test_the_cutoff_is_configurable(self) -> None:
        policy = OvernightCutoffPolicy(last_shipment=time(18, 0), cutoff_minutes=60, version=2)

        decision = policy.decide(datetime(2026, 3, 2, 17, 0, tzinfo=UTC))

        assert decision.outcome == "SAME_DAY"
        assert (decision.policy_id, decision.version) == ("overnight-cutoff", 2)

    def test_the_cutoff_is_read_in_the_policy_timezone(self) -> None:
        berlin_winter = timezone(timedelta(hours=1))
        policy = OvernightCutoffPolicy(timezone=berlin_winter)

        decision = policy.decide(datetime(2026, 3, 2, 15, 45, tzinfo=UTC))  # 16:45 in Berlin

        assert decision.outcome == "NEXT_DAY"
        assert decision.compared["cutoff"] == "2026-03-02T16:30:00+01:00"

    def test_a_negative_cutoff_is_refused_in_minutes(self) -> None:
        minutes = -5

        with pytest.raises(InvalidInput, match=r"cutoff_minutes must be a whole number of minutes"):
            OvernightCutoffPolicy(cutoff_minutes=minutes)

    @pytest.mark.parametrize(
        ("hour", "minute", "outcome"), [(16, 30, "SAME_DAY"), (16, 31, "NEXT_DAY")]
    )
    def test_an_overnight_upgrade_records_the_cutoff_decision(
        self, hour: int, minute: int, outcome: str
    ) -> None:
        desk = memory_desk()
        case_id = open_assigned_case(desk)
        granted_at = datetime(2026, 10, 1, hour, minute, tzinfo=UTC)

        desk.grant_goodwill(
            case_id,
            kind=GoodwillKind.FREE_SHIPPING_UPGRADE,
            amount=eur("25.00"),
            reason="overnight on the exchange",
            by=AGENT,
            occurred_at=granted_at,
        )

        assert last_event(desk, case_id).cutoff_check.outcome == outcome


class TestGoodwillLimitPolicy:
    def test_the_limit_itself_is_within_the_limit(self) -> None:
        policy = GoodwillLimitPolicy()

        decision = policy.decide(eur("50.00"))

        assert (decision.outcome, decision.entitled) == ("WITHIN_LIMIT", True)
        assert decision.compared == {"value": "50.00 EUR", "limit": "50.00 EUR"}

    def test_a_cent_above_the_limit_is_above_it(self) -> None:
        policy = GoodwillLimitPolicy()

        decision = policy.decide(eur("50.01"))

        assert (decision.outcome, decision.entitled) == ("ABOVE_LIMIT", False)
        assert (decision.policy_id, decision.version) == ("goodwill-limit", 1)

    def test_a_float_limit_is_refused(self) -> None:
        limit = 0.1

        with pytest.raises(InvalidInput, match=r"never float"):
            GoodwillLimitPolicy(limit=limit)  # type: ignore[arg-type]

    def test_a_limit_that_is_not_a_number_is_refused_as_invalid_input(self) -> None:
        limit = "abc"

        with pytest.raises(InvalidInput):
            GoodwillLimitPolicy(limit=limit)  # type: ignore[arg-type]


class TestDecisionsAreNeverRecomputed:
    def test_a_recorded_decision_survives_a_new_policy_version(self, tmp_path: Path) -> None:
        store = tmp_path / "cases.sqlite"
        desk_v1 = file_desk(store)
        case_id = open_assigned_case(desk_v1, with_product=product(date(2026, 8, 21)))  # 41 days
        pay(desk_v1, case_id, eur("129.00"))
        check(desk_v1, case_id, EntitlementKind.RETURN_WINDOW)
        ninety_days = Policies(return_window=ReturnWindowPolicy(days=90, version=2))

        desk_v2 = file_desk(store, ninety_days, start=A_DAY_LATER)

        stored = desk_v2.history(case_id)[-1].decision
        assert (stored.outcome, stored.version, stored.compared["last_day"]) == (
            "OUTSIDE",
            1,
            "2026-09-20",
        )
        assert desk_v2.case(case_id).decisions[EntitlementKind.RETURN_WINDOW] == stored
        with pytest.raises(PolicyExceptionRequired, match=r"return-window v1"):
            refund(desk_v2, case_id, eur("129.00"), by=AGENT)

    def test_a_new_check_under_the_new_version_is_a_new_decision(self, tmp_path: Path) -> None:
        store = tmp_path / "cases.sqlite"
        desk_v1 = file_desk(store)
        case_id = open_assigned_case(desk_v1, with_product=product(date(2026, 8, 21)))
        check(desk_v1, case_id, EntitlementKind.RETURN_WINDOW)
        desk_v2 = file_desk(
            store,
            Policies(return_window=ReturnWindowPolicy(days=90, version=2)),
            start=A_DAY_LATER,
        )

        check(desk_v2, case_id, EntitlementKind.RETURN_WINDOW)

        first, second = (e.decision for e in desk_v2.history(case_id)[-2:])
        assert (first.outcome, first.version) == ("OUTSIDE", 1)
        assert (second.outcome, second.version) == ("INSIDE", 2)
        assert desk_v2.case(case_id).decisions[EntitlementKind.RETURN_WINDOW] == second

    def test_the_goodwill_limit_decision_is_stored_with_the_grant(self) -> None:
        desk = memory_desk(Policies(goodwill_limit=GoodwillLimitPolicy(limit="80.00", version=3)))
        case_id = open_assigned_case(desk)

        desk.grant_goodwill(
            case_id,
            kind=GoodwillKind.CREDIT,
            amount=eur("75.00"),
            reason="apology",
            by=AGENT,
            occurred_at=T,
        )

        limit_check = last_event(desk, case_id).limit_check
        assert (limit_check.version, limit_check.outcome) == (3, "WITHIN_LIMIT")
        assert Decimal(limit_check.compared["limit"].split()[0]) == Decimal("80.00")


@pytest.mark.parametrize(
    "policy",
    [
        ReturnWindowPolicy,
        WarrantyPolicy,
        ReturnShippingPolicy,
        OvernightCutoffPolicy,
        GoodwillLimitPolicy,
        CaseGoodwillLimitPolicy,
        CreditLimitPolicy,
        BusinessTimePolicy,
    ],
)
@pytest.mark.parametrize(
    "field",
    [
        {"policy_id": ""},
        {"policy_id": "x" * 201},
        {"policy_id": "lone \ud800"},  # no canonical JSON for its digest
        {"version": 0},
        {"version": 2**53},
        {"version": True},
    ],
)
def test_every_policy_checks_its_id_and_version_alike(
    policy: type, field: dict[str, object]
) -> None:
    with pytest.raises(InvalidInput):
        policy(**field)
