"""JSON Lines export and its offline verification: a bundle verifies with no store, and
every kind of editing of the file is found, with the case, version and what is wrong."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from casehistory import CaseDesk
from casehistory.audit.export_jsonl import BUNDLE_FIELDS, verify_bundle, write_jsonl
from casehistory.audit.verify import Problem
from casehistory.domain.chain import digest
from casehistory.stories import STORIES


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    """The five stories, exported: (case ids, lines)."""
    desk = CaseDesk.open(":memory:")
    for story in STORIES:
        story.tell(desk)
    case_ids = list(desk.case_ids())
    out = io.StringIO()
    written = write_jsonl(desk, case_ids, out)
    lines = out.getvalue().splitlines()
    assert written == len(lines) == sum(len(desk.history(c)) for c in case_ids)
    return case_ids, lines


Edit = Callable[[list[str]], list[str]]
Bundle = tuple[list[UUID], list[str]]


def edit_line(index: int, change: Callable[[dict[str, Any]], None]) -> Edit:
    def edit(lines: list[str]) -> list[str]:
        entry = json.loads(lines[index])
        change(entry)
        return [*lines[:index], json.dumps(entry), *lines[index + 1 :]]

    return edit


def found(lines: list[str]) -> list[tuple[int | None, Problem]]:
    return [(f.version, f.problem) for f in verify_bundle(lines).findings]


def test_every_line_is_a_record_with_the_documented_fields(bundle: Bundle) -> None:
    case_ids, lines = bundle
    entries = [json.loads(line) for line in lines]
    assert all(list(entry) == list(BUNDLE_FIELDS) for entry in entries)
    assert [UUID(e["case_id"]) for e in entries if e["version"] == 1] == case_ids
    assert entries[0]["type"] == "CaseOpened"
    assert entries[0]["actor"] == {"id": entries[0]["actor"]["id"], "role": "AGENT"}


def test_an_untouched_bundle_verifies_offline(bundle: Bundle) -> None:
    case_ids, lines = bundle
    result = verify_bundle(lines)
    assert result.ok, result.findings
    assert (result.cases, result.events) == (len(case_ids), len(lines))


def test_the_digest_is_the_documented_formula(bundle: Bundle) -> None:
    _, lines = bundle
    first, second = json.loads(lines[0]), json.loads(lines[1])
    assert digest(first, None) == first["digest"]
    assert digest(second, first["digest"]) == second["digest"]


def test_a_changed_value_is_found(bundle: Bundle) -> None:
    _, lines = bundle
    edited = edit_line(2, lambda e: e["payload"].update(summary="nothing happened"))(lines)
    assert found(edited) == [(3, Problem.ALTERED)]


def test_a_changed_time_or_actor_is_found(bundle: Bundle) -> None:
    _, lines = bundle
    edited = edit_line(1, lambda e: e.update(recorded_at="2020-01-01T00:00:00+00:00"))(lines)
    assert found(edited) == [(2, Problem.ALTERED)]
    edited = edit_line(1, lambda e: e["actor"].update(role="MANAGER"))(lines)
    assert found(edited) == [(2, Problem.ALTERED)]


def test_a_deleted_line_is_found(bundle: Bundle) -> None:
    _, lines = bundle
    assert found([*lines[:3], *lines[4:]]) == [(4, Problem.MISSING)]


def test_swapped_lines_are_found(bundle: Bundle) -> None:
    _, lines = bundle
    swapped = [lines[0], lines[1], lines[3], lines[2], *lines[4:]]
    assert (3, Problem.OUT_OF_ORDER) in found(swapped)


def test_swapped_versions_are_found(bundle: Bundle) -> None:
    _, lines = bundle
    edited = edit_line(2, lambda e: e.update(version=4))(lines)
    edited = edit_line(3, lambda e: e.update(version=3))(edited)
    edited[2], edited[3] = edited[3], edited[2]
    assert {(3, Problem.ALTERED), (4, Problem.ALTERED)} <= set(found(edited))


def test_a_line_moved_to_another_case_is_found(bundle: Bundle) -> None:
    case_ids, lines = bundle
    last_of_second = max(
        i for i, line in enumerate(lines) if json.loads(line)["case_id"] == str(case_ids[1])
    )
    moved = json.loads(lines[4])
    moved.update(case_id=str(case_ids[1]), version=json.loads(lines[last_of_second])["version"] + 1)
    edited = [*lines[:4], *lines[5 : last_of_second + 1], json.dumps(moved)]
    result = verify_bundle(edited)
    assert (case_ids[0], 5, Problem.MISSING) in {
        (f.case_id, f.version, f.problem) for f in result.findings
    }
    assert (case_ids[1], moved["version"], Problem.ALTERED) in {
        (f.case_id, f.version, f.problem) for f in result.findings
    }


def test_an_inserted_line_is_found(bundle: Bundle) -> None:
    _, lines = bundle
    copy = json.loads(lines[2])
    copy["version"] = 4
    renumbered = [
        edit_line(i, lambda e: e.update(version=e["version"] + 1))(lines)[i] for i in range(3, 6)
    ]
    edited = [*lines[:3], json.dumps(copy), *renumbered]
    assert (4, Problem.ALTERED) in found(edited)


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("not json", "is not JSON"),
        ("[1, 2]", "is not an event record"),
        ('{"case_id": "x"}', "is not an event record"),
    ],
)
def test_lines_that_are_no_records_are_named(bundle: Bundle, line: str, why: str) -> None:
    _, lines = bundle
    [finding] = verify_bundle([*lines, line]).findings
    assert finding.case_id is None
    assert str(finding).startswith(f"line {len(lines) + 1}: {why}")
