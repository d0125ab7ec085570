"""Event topics are written in the store: a test pins them, so moving a class fails here.

Every event type also has a row in the rights table and at least one in the lifecycle table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from eventsourcing.utils import get_topic, resolve_topic

from casehistory import (
    EVENT_TYPES,
    TRANSITIONS,
    Actor,
    CaseDesk,
    Channel,
    Customer,
    Role,
    SteppingClock,
)
from casehistory.domain.rights import RIGHTS

PINNED_TOPICS = {
    "CaseOpened": "casehistory.domain.events:CaseOpened",
    "AgentAssigned": "casehistory.domain.events:AgentAssigned",
    "CaseTransferred": "casehistory.domain.events:CaseTransferred",
    "CaseResolved": "casehistory.domain.events:CaseResolved",
    "CaseClosed": "casehistory.domain.events:CaseClosed",
    "CaseReopened": "casehistory.domain.events:CaseReopened",
    "CustomerForgotten": "casehistory.domain.events:CustomerForgotten",
    "CasesLinked": "casehistory.domain.events:CasesLinked",
    "ContactLogged": "casehistory.domain.events:ContactLogged",
    "NoteAdded": "casehistory.domain.events:NoteAdded",
    "ComplaintRecorded": "casehistory.domain.events:ComplaintRecorded",
    "CommendationRecorded": "casehistory.domain.events:CommendationRecorded",
    "DiagnosisRecorded": "casehistory.domain.events:DiagnosisRecorded",
    "RemediationPerformed": "casehistory.domain.events:RemediationPerformed",
    "EntitlementChecked": "casehistory.domain.events:EntitlementChecked",
    "EscalationRequested": "casehistory.domain.events:EscalationRequested",
    "EscalationApproved": "casehistory.domain.events:EscalationApproved",
    "EscalationDenied": "casehistory.domain.events:EscalationDenied",
    "GoodwillGranted": "casehistory.domain.events:GoodwillGranted",
    "RmaIssued": "casehistory.domain.events:RmaIssued",
    "ReturnReceived": "casehistory.domain.events:ReturnReceived",
    "InspectionCompleted": "casehistory.domain.events:InspectionCompleted",
    "RepairCompleted": "casehistory.domain.events:RepairCompleted",
    "ReplacementShipped": "casehistory.domain.events:ReplacementShipped",
    "RmaRejected": "casehistory.domain.events:RmaRejected",
    "RmaClosed": "casehistory.domain.events:RmaClosed",
    "PaymentRecorded": "casehistory.domain.events:PaymentRecorded",
    "RefundRequested": "casehistory.domain.events:RefundRequested",
    "RefundIssued": "casehistory.domain.events:RefundIssued",
    "RefundDenied": "casehistory.domain.events:RefundDenied",
    "HoldPlaced": "casehistory.domain.events:HoldPlaced",
    "HoldReleased": "casehistory.domain.events:HoldReleased",
    "CreditIssued": "casehistory.domain.events:CreditIssued",
    "CancellationRequested": "casehistory.domain.events:CancellationRequested",
    "CancellationCompleted": "casehistory.domain.events:CancellationCompleted",
}
"""Written out by hand on purpose: these strings are in every store ever written."""

_BY_NAME = {event.__name__: event for event in EVENT_TYPES}


def _lifecycle_rows(name: str) -> list[str]:
    return [key for key in TRANSITIONS if key == name or key.startswith(f"{name} (")]


class TestEventTopics:
    def test_the_event_types_are_the_pinned_ones(self) -> None:
        names = [event.__name__ for event in EVENT_TYPES]

        duplicates = {n for n in names if names.count(n) > 1}

        assert set(names) == set(PINNED_TOPICS)
        assert duplicates == set()

    @pytest.mark.parametrize("name", sorted(PINNED_TOPICS))
    def test_every_event_type_has_its_pinned_topic(self, name: str) -> None:
        event = _BY_NAME[name]

        topic = get_topic(event)

        assert topic == PINNED_TOPICS[name]

    @pytest.mark.parametrize("name", sorted(PINNED_TOPICS))
    def test_every_pinned_topic_resolves_to_its_event_type(self, name: str) -> None:
        topic = PINNED_TOPICS[name]

        resolved = resolve_topic(topic)

        assert resolved is _BY_NAME[name]

    def test_the_store_writes_the_pinned_topics(self, tmp_path: Path) -> None:
        import sqlite3

        store = tmp_path / "cases.sqlite"
        desk = CaseDesk.open(store, clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
        agent = Actor("a.lee", Role.AGENT)
        at = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
        case_id = desk.open_case(
            customer=Customer("c1", "Dana"),
            subject="failed part",
            channel=Channel.PHONE,
            by=agent,
            occurred_at=at,
        )

        desk.add_note(case_id, text="called back", by=agent, occurred_at=at)

        connection = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
        try:
            rows = connection.execute("SELECT topic FROM stored_events").fetchall()
        finally:
            connection.close()
        assert [topic for (topic,) in rows] == [
            PINNED_TOPICS["CaseOpened"],
            PINNED_TOPICS["NoteAdded"],
        ]


class TestEveryEventTypeHasRules:
    @pytest.mark.parametrize("name", sorted(PINNED_TOPICS))
    def test_every_event_type_is_in_the_rights_table(self, name: str) -> None:
        rights = RIGHTS

        roles = rights.get(name)

        assert roles, f"{name} has no row in RIGHTS"

    @pytest.mark.parametrize("name", sorted(PINNED_TOPICS))
    def test_every_event_type_has_a_lifecycle_row(self, name: str) -> None:
        table = TRANSITIONS

        rows = _lifecycle_rows(name)

        assert rows, f"{name} has no row in TRANSITIONS"
        assert all(table[row] for row in rows)

    def test_every_table_row_belongs_to_an_event_type(self) -> None:
        names = set(PINNED_TOPICS)

        stray_rights = set(RIGHTS) - names
        stray_rows = {key for key in TRANSITIONS if key.split(" (")[0] not in names}

        assert stray_rights == set()
        assert stray_rows == set()
