"""Breaks found by an adversarial review of issue 9, each a test: rows that tried to
slip past the typed read through eventsourcing's own decoding, a row naming a module to
import, a bundle line no canonical JSON exists for, a checkpoint written nowhere."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from casehistory import Actor, CaseDesk, Role, SteppingClock, StoreUnavailable
from casehistory.audit.bundle_check import verify_bundle
from casehistory.audit.export_jsonl import write_jsonl
from casehistory.audit.rules import verify_rules
from casehistory.audit.scan import scan_log
from casehistory.audit.verify import Problem
from casehistory.cli import main
from casehistory.stories import STORIES

AGENT = Actor("a.lee", Role.AGENT)


def _first(raw_sql: Any, case_id: Any, needle: bytes) -> tuple[int, dict[str, Any]]:
    rows = raw_sql.run(
        "SELECT originator_version, state FROM {events} WHERE originator_id = ? "
        "ORDER BY originator_version",
        case_id,
    )
    return next((v, json.loads(bytes(s))) for v, s in rows if needle in bytes(s) and v > 1)


@pytest.mark.parametrize("extra", ["class_version", "originator_version", "originator_id"])
def test_a_mistyped_value_with_a_key_the_mapper_drops_is_still_found(
    open_desk: Callable[[], CaseDesk], raw_sql: Any, extra: str
) -> None:
    case_id = STORIES[0].tell(open_desk())
    version, state = _first(raw_sql, case_id, b'"amount":{"_type_":"Money"')
    state["amount"]["_data_"]["amount"] = "189.00"  # the decimal as a string
    state[extra] = 1
    raw_sql.set_state(case_id, version, json.dumps(state).encode())

    findings = scan_log(open_desk()).findings

    assert [(f.version, f.problem) for f in findings] == [(version, Problem.ALTERED)]


def test_a_row_naming_a_module_is_never_imported(
    open_desk: Callable[[], CaseDesk], raw_sql: Any
) -> None:
    case_id = STORIES[0].tell(open_desk())
    [(opening,)] = raw_sql.run(
        "SELECT state FROM {events} WHERE originator_id = ? AND originator_version = 1",
        case_id,
    )
    state = json.loads(bytes(opening))
    state["originator_topic"] = "tabnanny:check"  # a harmless module no test imports
    state["class_version"] = 1
    raw_sql.set_state(case_id, 1, json.dumps(state).encode())
    assert "tabnanny" not in sys.modules
    desk = open_desk()

    assert [(f.version, f.problem) for f in scan_log(desk).findings] == [(1, Problem.ALTERED)]
    assert [f.problem for f in verify_rules(desk).findings] == [Problem.UNLAWFUL]
    desk.case(case_id)  # views fold the events, and import nothing either
    with pytest.raises(StoreUnavailable, match="names the aggregate"):
        desk.add_note(case_id, text="x", by=AGENT, occurred_at=datetime(2026, 11, 1, tzinfo=UTC))
    assert "tabnanny" not in sys.modules


def test_a_checkpoint_into_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    store = tmp_path / "cases.sqlite"
    runner = CliRunner()
    assert runner.invoke(main, ["stories", "--db", str(store)]).exit_code == 0

    result = runner.invoke(
        main, ["checkpoint", "-o", str(tmp_path / "no" / "cp"), "--db", str(store)]
    )

    assert result.exit_code == 1
    assert "cannot write the checkpoint" in result.output
    assert "Traceback" not in result.output


def test_a_bundle_line_with_a_lone_surrogate_is_a_finding() -> None:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
    STORIES[0].tell(desk)
    out = io.StringIO()
    write_jsonl(desk, list(desk.case_ids()), out)
    lines = out.getvalue().splitlines()
    forged = lines[1].replace('"agent":{"id":"', '"agent":{"id":"\\ud800', 1)
    assert forged != lines[1]

    outcome = verify_bundle([lines[0], forged, *lines[2:]])

    assert not outcome.ok
    assert "no canonical JSON" in str(outcome.findings[0])


def test_a_row_whose_type_names_a_module_is_never_imported_by_the_desk(
    open_desk: Callable[[], CaseDesk], raw_sql: Any
) -> None:
    case_id = STORIES[0].tell(open_desk())
    raw_sql.run(
        "UPDATE {events} SET topic = ? WHERE originator_id = ? AND originator_version = 3",
        "pydoc_data.topics:topics",  # a harmless module no test imports
        case_id,
    )
    assert "pydoc_data.topics" not in sys.modules
    desk = open_desk()

    with pytest.raises(StoreUnavailable, match="no case event"):
        desk.case(case_id)
    with pytest.raises(StoreUnavailable, match="no case event"):
        desk.history(case_id)
    assert [(f.version, f.problem) for f in scan_log(desk).findings] == [(3, Problem.UNREADABLE)]
    assert "pydoc_data.topics" not in sys.modules
