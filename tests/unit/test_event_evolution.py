"""How an event changes (docs/design.md, "How to change an event"), pinned.

The fields each event type requires are pinned here per class version: a change of
them without a new ``class_version`` and its upcaster fails the first test, which
points at the recipe. The others hold what the recipe promises for the event that has
evolved (``ReplacementShipped``, version 2): a row of version 1 is read upcast, its
digest is checked over the record as it was stored, a row of version 2 takes the plain
path, and a row of a version no release of this code wrote is refused, not misread.
"""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from casehistory import CaseDesk, StoreUnavailable
from casehistory.domain import events as ev
from casehistory.domain.chain import AS_STORED, digest, record_of, upcast_record_of

FIXTURE = Path(__file__).parent.parent / "fixtures" / "store-sealed.sqlite"
RECIPE = "change an event as docs/design.md, 'How to change an event', says"

REQUIRED: dict[tuple[str, int], frozenset[str]] = {
    ("CaseOpened", 1): frozenset({"channel", "customer", "product", "subject"}),
    ("AgentAssigned", 1): frozenset({"agent"}),
    ("CaseTransferred", 1): frozenset({"from_department", "reason", "to_department"}),
    ("CaseResolved", 1): frozenset({"fault", "resolution"}),
    ("CaseClosed", 1): frozenset(),
    ("CaseReopened", 1): frozenset({"reason"}),
    ("CasesLinked", 1): frozenset({"other_case_id", "relation"}),
    ("ContactLogged", 1): frozenset(
        {"awaiting_reply", "channel", "demeanour", "direction", "summary"}
    ),
    ("NoteAdded", 1): frozenset({"text"}),
    ("ComplaintRecorded", 1): frozenset({"category", "details"}),
    ("CommendationRecorded", 1): frozenset({"agent_id", "source", "text"}),
    ("DiagnosisRecorded", 1): frozenset(
        {"fault", "finding", "known_issue", "root_cause", "symptom"}
    ),
    ("RemediationPerformed", 1): frozenset({"action"}),
    ("EntitlementChecked", 1): frozenset({"decision"}),
    ("EscalationRequested", 1): frozenset({"number", "reason", "to"}),
    ("EscalationApproved", 1): frozenset({"number", "reason"}),
    ("EscalationDenied", 1): frozenset({"number", "reason"}),
    ("GoodwillGranted", 1): frozenset({"cutoff_check", "kind", "limit_check", "reason", "value"}),
    ("RmaIssued", 1): frozenset(
        {
            "disposition",
            "items",
            "reason",
            "return_shipping_paid_by",
            "rma_number",
            "shipping_decision",
        }
    ),
    ("ReturnReceived", 1): frozenset({"condition", "rma_number"}),
    ("InspectionCompleted", 1): frozenset({"findings", "outcome", "rma_number"}),
    ("RepairCompleted", 1): frozenset(
        {"cost", "covered_by", "rma_number", "warranty_check", "work_done"}
    ),
    ("ReplacementShipped", 2): frozenset(
        {"carrier", "paid_by", "rma_number", "service_level", "tracking_number"}
    ),
    ("RmaRejected", 1): frozenset({"reason", "rma_number"}),
    ("RmaClosed", 1): frozenset({"note", "rma_number"}),
    ("PaymentRecorded", 1): frozenset({"amount", "reference"}),
    ("RefundRequested", 1): frozenset({"amount", "reason"}),
    ("RefundIssued", 1): frozenset({"amount", "policy_exception", "reason", "window_check"}),
    ("RefundDenied", 1): frozenset({"decision", "reason"}),
    ("HoldPlaced", 1): frozenset({"account", "amount", "reason", "reference"}),
    ("HoldReleased", 1): frozenset({"amount", "reason", "reference"}),
    ("CreditIssued", 1): frozenset({"amount", "limit_check", "reason"}),
    ("CancellationRequested", 1): frozenset({"reason", "subscription"}),
    ("CancellationCompleted", 1): frozenset({"effective_on", "subscription"}),
    ("CustomerForgotten", 1): frozenset({"ground"}),
}
"""(event, class version) -> the fields a record of that version must hold. Fields with
a default may be added without a new version (a record before them lacks them, and the
class answers); any other change of fields needs one."""

_COMMON = {"originator_id", "originator_version", "timestamp", "by", "occurred_at", "digest"}


def _required(cls: type[ev.CaseEvent]) -> frozenset[str]:
    return frozenset(
        f.name
        for f in dataclasses.fields(cls)
        if f.name not in _COMMON
        and f.name != "originator_topic"
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    )


@pytest.mark.parametrize("cls", ev.EVENT_TYPES, ids=lambda cls: cls.__name__)
def test_the_fields_each_event_requires_are_pinned_to_its_class_version(
    cls: type[ev.CaseEvent],
) -> None:
    version = getattr(cls, "class_version", 1)
    pinned = REQUIRED.get((cls.__name__, version))
    assert pinned is not None, f"{cls.__name__} v{version} is not pinned: {RECIPE}"
    assert _required(cls) == pinned, f"{cls.__name__} v{version} changed its fields: {RECIPE}"
    for step in range(1, version):
        assert callable(getattr(cls, f"upcast_v{step}_v{step + 1}", None)), (
            f"{cls.__name__} has no upcaster from version {step}: {RECIPE}"
        )


def test_the_upcaster_gives_a_record_of_version_1_the_fields_of_version_2() -> None:
    state = {"rma_number": "R-1", "service_level": "X", "tracking": "1Z", "paid_by": "Y"}
    ev.ReplacementShipped.upcast_v1_v2(state)
    assert set(state) == REQUIRED[("ReplacementShipped", 2)]
    assert (state["tracking_number"], state["carrier"]) == ("1Z", None)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "sealed.sqlite"
    shutil.copyfile(FIXTURE, path)
    return path


def test_a_row_of_version_1_is_read_upcast_and_its_digest_is_over_it_as_stored(
    store: Path,
) -> None:
    with CaseDesk.open(str(store), read_only=True) as desk:
        for case_id in desk.case_ids():
            history = desk.history(case_id)
            for before, event in zip((None, *history), history, strict=False):
                if not isinstance(event, ev.ReplacementShipped):
                    continue
                as_stored = vars(event)[AS_STORED]
                assert "tracking" in as_stored
                assert "carrier" not in as_stored
                assert event.tracking_number == as_stored["tracking"]
                previous = None if before is None else before.digest
                assert digest(record_of(event), previous) == event.digest
                assert digest(upcast_record_of(event), previous) != event.digest
                return
    pytest.fail("the fixture holds a ReplacementShipped of version 1")


def test_a_row_of_version_2_takes_the_plain_path_and_keeps_nothing_aside() -> None:
    desk = CaseDesk.open(":memory:")
    mapper = desk._store.mapper
    stored = StoredEvent(
        originator_id=uuid4(),
        originator_version=5,
        topic="casehistory.domain.events:ReplacementShipped",
        state=b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-01T00:00:00+00:00"},'
        b'"by":{"_type_":"Actor","_data_":{"id":"a","role":{"_type_":"Role","_data_":"AGENT"}}},'
        b'"occurred_at":{"_type_":"datetime_iso","_data_":"2026-11-01T00:00:00+00:00"},'
        b'"digest":"00","rma_number":"R-1","service_level":{"_type_":"ServiceLevel",'
        b'"_data_":"STANDARD"},"tracking_number":"1Z","paid_by":{"_type_":"Payer",'
        b'"_data_":"COMPANY"},"carrier":null,"class_version":2}',
    )
    event = mapper.plain_event(
        stored.originator_id, stored.originator_version, stored.topic, stored.state
    )
    assert isinstance(event, ev.ReplacementShipped)
    assert AS_STORED not in vars(event)
    assert mapper.to_domain_event(stored).tracking_number == "1Z"
    newer = StoredEvent(
        stored.originator_id,
        stored.originator_version,
        stored.topic,
        stored.state.replace(b'"class_version":2', b'"class_version":3'),
    )
    with pytest.raises(StoreUnavailable, match="class version 3"):
        mapper.to_domain_event(newer)
    desk.close()


def test_a_row_of_version_1_changed_by_sql_is_found_by_verify(store: Path) -> None:
    from casehistory.audit.scan import scan_log

    with closing(sqlite3.connect(store)) as db, db:
        rowid, state = db.execute(
            "SELECT rowid, state FROM stored_events WHERE topic LIKE '%ReplacementShipped'"
        ).fetchone()
        assert b'"tracking"' in state
        assert b"class_version" not in state
        db.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            (state.replace(b'"tracking":"', b'"tracking":"X'), rowid),
        )
    with CaseDesk.open(str(store), read_only=True) as desk:
        found = scan_log(desk)
    assert not found.ok
    assert any(f.problem.value == "altered" for f in found.findings), found.findings


def test_a_row_of_version_1_holding_a_field_its_upcaster_replaces_is_unlawful(
    store: Path,
) -> None:
    """Attack: a version-1 ``ReplacementShipped`` that also holds ``tracking_number`` and
    ``carrier`` (a row written beneath the desk, its digest over all of it). The upcaster
    replaces both, so the view and the replay of its command agree with ``tracking``, and
    the stored row says something no one sees."""
    from casehistory.audit.rules import check_case
    from casehistory.desk._policy_table import recorded_policies

    with CaseDesk.open(str(store), read_only=True) as desk:
        table = {row.key: row for row in recorded_policies(desk._recorder)}
        for case_id in desk.case_ids():
            history = list(desk.history(case_id))
            at = next(
                (n for n, e in enumerate(history) if isinstance(e, ev.ReplacementShipped)), None
            )
            if at is None:
                continue
            assert check_case(case_id, history, table) == []
            shipped = history[at]
            as_stored = {**vars(shipped)[AS_STORED], "tracking_number": "EVIL", "carrier": "X"}
            forged = object.__new__(ev.ReplacementShipped)
            object.__setattr__(forged, "__dict__", {**vars(shipped), AS_STORED: as_stored})
            history[at] = forged

            found = check_case(case_id, history, table)

            assert [(f.version, f.problem.value) for f in found] == [
                (shipped.originator_version, "unlawful")
            ]
            assert "holds carrier, tracking_number, which its upcaster replaces" in found[0].detail
            return
    pytest.fail("the fixture holds a ReplacementShipped of version 1")
