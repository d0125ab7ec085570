"""casehistory: the full, provable history of customer-service cases."""

from casehistory.clock import Clock, FixedClock, SteppingClock, SystemClock
from casehistory.desk import CaseDesk
from casehistory.domain.events import EVENT_TYPES, CaseEvent
from casehistory.domain.ledger import Balance, Hold, Ledger
from casehistory.domain.lifecycle import TRANSITIONS, Status
from casehistory.domain.policies import (
    GoodwillLimitPolicy,
    OvernightCutoffPolicy,
    Policies,
    PolicyDecision,
    ReturnShippingPolicy,
    ReturnWindowPolicy,
    WarrantyPolicy,
)
from casehistory.domain.state import Escalation, EscalationOutcome, Rma, RmaStage
from casehistory.domain.values import (
    Actor,
    Channel,
    ComplaintCategory,
    Customer,
    Demeanour,
    Direction,
    Disposition,
    EntitlementKind,
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
from casehistory.errors import *  # noqa: F403
from casehistory.errors import __all__ as _errors
from casehistory.views import CaseView, Trail, TrailLine

__version__ = "0.1.0"

__all__ = [
    "EVENT_TYPES",
    "TRANSITIONS",
    "Actor",
    "Balance",
    "CaseDesk",
    "CaseEvent",
    "CaseView",
    "Channel",
    "Clock",
    "ComplaintCategory",
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
    "Status",
    "SteppingClock",
    "SystemClock",
    "Trail",
    "TrailLine",
    "WarrantyPolicy",
    *_errors,
]
