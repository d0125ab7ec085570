"""casehistory: the full, provable history of customer-service cases.

Public names are imported on first use (PEP 562), so that ``import casehistory`` (and the
pytest plugin that every test run of a project with the ``testing`` extra loads) stays
cheap until a desk is actually needed. The errors are plain and imported at once.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from casehistory.errors import *  # noqa: F403
from casehistory.errors import __all__ as _errors

if TYPE_CHECKING:
    from casehistory.clock import Clock, FixedClock, SteppingClock, SystemClock
    from casehistory.desk import Allowed, CaseDesk, Erasure, SnapshotIgnored
    from casehistory.domain.calendar import BusinessCalendar
    from casehistory.domain.events import EVENT_TYPES, PERSONAL, CaseEvent
    from casehistory.domain.ledger import Hold
    from casehistory.domain.lifecycle import TRANSITIONS, Status
    from casehistory.domain.limits import (
        BusinessTimePolicy,
        CaseGoodwillLimitPolicy,
        CreditLimitPolicy,
    )
    from casehistory.domain.policies import (
        GoodwillLimitPolicy,
        OvernightCutoffPolicy,
        Policies,
        PolicyDecision,
        ReturnShippingPolicy,
        ReturnWindowPolicy,
        WarrantyPolicy,
    )
    from casehistory.domain.sealed import ERASED, Sealed
    from casehistory.domain.sla import (
        DEFAULT_SLA_POLICY,
        SlaClock,
        SlaClocks,
        SlaPolicy,
        SlaTargets,
        SlaTerms,
    )
    from casehistory.domain.state import Escalation, EscalationOutcome, Rma, RmaStage
    from casehistory.domain.values import (
        MAX_EVENT_BYTES,
        MAX_TEXT_BYTES,
        Actor,
        Channel,
        ComplaintCategory,
        Customer,
        Demeanour,
        Direction,
        Disposition,
        EntitlementKind,
        ErasureGround,
        EscalationTarget,
        Fault,
        GoodwillKind,
        InspectionOutcome,
        LinkKind,
        Money,
        Payer,
        Product,
        RepairCoverage,
        Role,
        ServiceLevel,
    )
    from casehistory.views import CaseView, Trail, TrailLine
    from casehistory.views.ledger import Balance, Ledger

_LAZY: dict[str, str] = {
    "Clock": "casehistory.clock",
    "FixedClock": "casehistory.clock",
    "SteppingClock": "casehistory.clock",
    "SystemClock": "casehistory.clock",
    "Allowed": "casehistory.desk",
    "CaseDesk": "casehistory.desk",
    "SnapshotIgnored": "casehistory.desk",
    "EVENT_TYPES": "casehistory.domain.events",
    "CaseEvent": "casehistory.domain.events",
    "Balance": "casehistory.views.ledger",
    "Hold": "casehistory.domain.ledger",
    "Ledger": "casehistory.views.ledger",
    "TRANSITIONS": "casehistory.domain.lifecycle",
    "Status": "casehistory.domain.lifecycle",
    "GoodwillLimitPolicy": "casehistory.domain.policies",
    "BusinessTimePolicy": "casehistory.domain.limits",
    "CaseGoodwillLimitPolicy": "casehistory.domain.limits",
    "CreditLimitPolicy": "casehistory.domain.limits",
    "OvernightCutoffPolicy": "casehistory.domain.policies",
    "Policies": "casehistory.domain.policies",
    "PolicyDecision": "casehistory.domain.policies",
    "ReturnShippingPolicy": "casehistory.domain.policies",
    "ReturnWindowPolicy": "casehistory.domain.policies",
    "WarrantyPolicy": "casehistory.domain.policies",
    "BusinessCalendar": "casehistory.domain.calendar",
    "DEFAULT_SLA_POLICY": "casehistory.domain.sla",
    "SlaClock": "casehistory.domain.sla",
    "SlaClocks": "casehistory.domain.sla",
    "SlaPolicy": "casehistory.domain.sla",
    "SlaTargets": "casehistory.domain.sla",
    "SlaTerms": "casehistory.domain.sla",
    "Escalation": "casehistory.domain.state",
    "EscalationOutcome": "casehistory.domain.state",
    "Rma": "casehistory.domain.state",
    "RmaStage": "casehistory.domain.state",
    "MAX_EVENT_BYTES": "casehistory.domain.values",
    "MAX_TEXT_BYTES": "casehistory.domain.values",
    "Actor": "casehistory.domain.values",
    "Channel": "casehistory.domain.values",
    "ComplaintCategory": "casehistory.domain.values",
    "Customer": "casehistory.domain.values",
    "Demeanour": "casehistory.domain.values",
    "Direction": "casehistory.domain.values",
    "Disposition": "casehistory.domain.values",
    "EntitlementKind": "casehistory.domain.values",
    "EscalationTarget": "casehistory.domain.values",
    "Fault": "casehistory.domain.values",
    "GoodwillKind": "casehistory.domain.values",
    "InspectionOutcome": "casehistory.domain.values",
    "LinkKind": "casehistory.domain.values",
    "ErasureGround": "casehistory.domain.values",
    "ERASED": "casehistory.domain.sealed",
    "Sealed": "casehistory.domain.sealed",
    "PERSONAL": "casehistory.domain.events",
    "Erasure": "casehistory.desk",
    "Money": "casehistory.domain.values",
    "Payer": "casehistory.domain.values",
    "Product": "casehistory.domain.values",
    "RepairCoverage": "casehistory.domain.values",
    "Role": "casehistory.domain.values",
    "ServiceLevel": "casehistory.domain.values",
    "CaseView": "casehistory.views",
    "Trail": "casehistory.views",
    "TrailLine": "casehistory.views",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'casehistory' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__version__ = "0.2.0"

__all__ = [
    "DEFAULT_SLA_POLICY",
    "EVENT_TYPES",
    "MAX_EVENT_BYTES",
    "MAX_TEXT_BYTES",
    "TRANSITIONS",
    "Actor",
    "Allowed",
    "Balance",
    "BusinessCalendar",
    "CaseDesk",
    "BusinessTimePolicy",
    "CaseEvent",
    "CaseGoodwillLimitPolicy",
    "CaseView",
    "Channel",
    "Clock",
    "ComplaintCategory",
    "CreditLimitPolicy",
    "Customer",
    "Demeanour",
    "Direction",
    "Disposition",
    "EntitlementKind",
    "Escalation",
    "EscalationOutcome",
    "EscalationTarget",
    "Fault",
    "FixedClock",
    "GoodwillKind",
    "GoodwillLimitPolicy",
    "Hold",
    "InspectionOutcome",
    "Ledger",
    "LinkKind",
    "ErasureGround",
    "ERASED",
    "Sealed",
    "PERSONAL",
    "Erasure",
    "Money",
    "OvernightCutoffPolicy",
    "Payer",
    "Policies",
    "PolicyDecision",
    "Product",
    "RepairCoverage",
    "ReturnShippingPolicy",
    "ReturnWindowPolicy",
    "Rma",
    "RmaStage",
    "Role",
    "ServiceLevel",
    "SlaClock",
    "SlaClocks",
    "SlaPolicy",
    "SlaTargets",
    "SlaTerms",
    "SnapshotIgnored",
    "Status",
    "SteppingClock",
    "SystemClock",
    "Trail",
    "TrailLine",
    "WarrantyPolicy",
    *_errors,
]
