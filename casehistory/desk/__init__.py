"""CaseDesk: the application service that records and answers for cases."""

from __future__ import annotations

from casehistory.desk._allowed import Allowed, AllowedCommands
from casehistory.desk._base import SNAPSHOT_INTERVAL
from casehistory.desk._case_commands import CaseCommands
from casehistory.desk._forget import Erasure, Forgetting
from casehistory.desk._money_commands import MoneyCommands
from casehistory.desk._service_commands import ServiceCommands
from casehistory.desk._sla import SlaQueries
from casehistory.desk._snapshots import SnapshotIgnored, SnapshotLog

__all__ = [
    "SNAPSHOT_INTERVAL",
    "Allowed",
    "CaseDesk",
    "Erasure",
    "SnapshotIgnored",
    "SnapshotLog",
]


class CaseDesk(
    CaseCommands, ServiceCommands, MoneyCommands, SlaQueries, AllowedCommands, Forgetting
):
    """An eventsourcing application that keeps customer cases.

    Open one with :meth:`CaseDesk.open`; every command is a keyword-only method
    named after its event, taking ``by`` (an :class:`~casehistory.Actor`) and
    ``occurred_at`` (business time). The store time comes from the desk's clock.
    """
