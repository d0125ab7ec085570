"""Views: pure folds of a case's events into what people ask for."""

from casehistory.views.case import CaseView, case_view
from casehistory.views.events import FoldedEvents
from casehistory.views.ledger import Balance, Ledger
from casehistory.views.serialize import trail_as_dicts, view_as_dict
from casehistory.views.trail import Trail, TrailLine, describe, trail

__all__ = [
    "Balance",
    "CaseView",
    "FoldedEvents",
    "Ledger",
    "Trail",
    "TrailLine",
    "case_view",
    "describe",
    "trail",
    "trail_as_dicts",
    "view_as_dict",
]
