"""A store written before state format 2 (0.2.0 added ``statuses`` and
``first_response_at`` to the case's state): its events commit to the state under format
1, its snapshots hold no new fields. A desk must neither start from such a snapshot
(the new fields would be missing) nor call it forged; a forged one is still found."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

import attrs
import pytest

from casehistory import CaseDesk, Money, SnapshotIgnored
from casehistory.audit.scan import scan_log
from casehistory.audit.verify import Problem
from casehistory.desk import SNAPSHOT_INTERVAL
from casehistory.desk._held_rules import HeldRules
from casehistory.domain import _support, case
from casehistory.domain.state import CaseState, fold

from .test_snapshot_tampering import long_case


@pytest.fixture
def format_1(open_desk: Callable[[], CaseDesk], monkeypatch: pytest.MonkeyPatch) -> UUID:
    """A long case recorded as a desk before format 2 recorded it: opened with no rules
    version (so held to rules 1, as every case of such a store is), its events
    committing to the state under format 1."""
    original_take = case.CaseSnapshot.take.__func__  # type: ignore[attr-defined]
    original_open = case.Case.open.__func__  # type: ignore[attr-defined]

    def open_before_rules(cls: Any, **kwargs: Any) -> Any:
        return original_open(cls, **{**kwargs, "rules": None})

    def take_format_1(cls: Any, aggregate: Any) -> Any:
        snapshot = original_take(cls, aggregate)
        old: CaseState = snapshot.state["state"]
        snapshot.state["state"] = attrs.evolve(old, statuses=(), first_response_at=None)
        return snapshot

    with monkeypatch.context() as patch:
        patch.setattr(_support, "commitment_format", lambda rules: 1)
        patch.setattr(case.Case, "open", classmethod(open_before_rules))
        patch.setattr(case.CaseSnapshot, "take", classmethod(take_format_1))
        # A desk of then had no floor of rules; the store took its floor when upgraded.
        patch.setattr(HeldRules, "_require_floor", lambda self, case: None)
        desk = open_desk()
        case_id = long_case(desk)
        desk._floor_at_head()
    return case_id


def test_a_format_1_snapshot_is_not_used_nor_called_forged(
    format_1: UUID, open_desk: Callable[[], CaseDesk], recwarn: Any
) -> None:
    desk = open_desk()

    view = desk.case(format_1)

    assert view.status_changes == fold(desk.history(format_1)).statuses
    assert view.status_changes != ()
    assert desk.snapshot_log.used == 0
    assert desk.snapshot_log.unbound == 1
    assert desk.snapshot_log.ignored == 0
    assert not [w for w in recwarn if issubclass(w.category, SnapshotIgnored)]
    assert scan_log(desk).ok


def test_a_forged_format_1_snapshot_is_still_found(
    format_1: UUID, open_desk: Callable[[], CaseDesk], raw_sql: Any
) -> None:
    [(state,)] = raw_sql.run(
        "SELECT state FROM {snapshots} WHERE originator_id = ? AND originator_version = ?",
        format_1,
        SNAPSHOT_INTERVAL,
    )
    raw_sql.run(
        "UPDATE {snapshots} SET state = ? WHERE originator_id = ? AND originator_version = ?",
        bytes(state).replace(b"100.00", b"100000.00"),
        format_1,
        SNAPSHOT_INTERVAL,
    )
    desk = open_desk()

    with pytest.warns(SnapshotIgnored):
        view = desk.case(format_1)

    assert view.ledger.balance("USD").paid == Money("100.00", "USD")
    findings = scan_log(desk).findings
    assert [(f.case_id, f.version, f.problem) for f in findings] == [
        (format_1, SNAPSHOT_INTERVAL, Problem.SNAPSHOT)
    ]


def test_a_format_2_snapshot_with_its_new_fields_changed_is_found(
    open_desk: Callable[[], CaseDesk], raw_sql: Any
) -> None:
    """The older format's commitment is no way round the new one: a snapshot of today
    whose new fields are changed matches neither."""
    case_id = long_case(open_desk())
    [(state,)] = raw_sql.run(
        "SELECT state FROM {snapshots} WHERE originator_id = ? AND originator_version = ?",
        case_id,
        SNAPSHOT_INTERVAL,
    )
    # As a desk before format 2 would have written it: no new fields at all.
    document = json.loads(bytes(state))
    case_state = document["state"]["state"]["_data_"]
    del case_state["statuses"], case_state["first_response_at"]
    forged = json.dumps(document, separators=(",", ":")).encode()
    raw_sql.run(
        "UPDATE {snapshots} SET state = ? WHERE originator_id = ? AND originator_version = ?",
        forged,
        case_id,
        SNAPSHOT_INTERVAL,
    )
    desk = open_desk()
    with pytest.warns(SnapshotIgnored):
        desk.case(case_id)
    assert [f.problem for f in scan_log(desk).findings] == [Problem.SNAPSHOT]
