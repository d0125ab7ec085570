"""The parts of a case's state: its escalations, RMAs, links to other cases and the
statuses it took (re-exported by :mod:`casehistory.domain.state`)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import NamedTuple
from uuid import UUID

import attrs

from casehistory.domain.lifecycle import Status
from casehistory.domain.sealed import Text
from casehistory.domain.values import (
    Actor,
    Disposition,
    EscalationTarget,
    InspectionOutcome,
    LinkKind,
    Payer,
    RepairCoverage,
)

__all__ = ["CaseLink", "Escalation", "EscalationOutcome", "Rma", "RmaStage", "StatusChange"]


class EscalationOutcome(Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DENIED = "DENIED"


class RmaStage(Enum):
    ISSUED = "ISSUED"
    RECEIVED = "RECEIVED"
    REJECTED = "REJECTED"
    CLOSED = "CLOSED"


@attrs.frozen
class Escalation:
    number: int
    to: EscalationTarget
    reason: Text
    requested_by: Actor
    outcome: EscalationOutcome = EscalationOutcome.PENDING
    decided_by: Actor | None = None
    decision_reason: Text | None = None


@attrs.frozen
class Rma:
    number: str
    items: str
    disposition: Disposition
    return_shipping_paid_by: Payer
    stage: RmaStage = RmaStage.ISSUED
    inspection: InspectionOutcome | None = None
    repaired_under: RepairCoverage | None = None
    replacement_tracking: str | None = None


@attrs.frozen
class CaseLink:
    other_case_id: UUID
    relation: LinkKind


class StatusChange(NamedTuple):
    """A status the case took, with the business time (``occurred_at``) and the store
    time (``recorded_at``) of the event that set it."""

    status: Status
    occurred_at: datetime
    recorded_at: datetime
