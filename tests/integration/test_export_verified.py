"""The export's one-pass verification finds exactly what scan_log finds, on stores
tampered with SQL (SQLite and PostgreSQL), and writes the lines write_jsonl writes."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from casehistory import CaseDesk
from casehistory.audit.export_jsonl import export_verified, write_jsonl
from casehistory.audit.scan import scan_log
from casehistory.audit.verify import Verification, verify_cases
from tests.integration._sealed import flip_box


def found(verification: Verification) -> set[tuple[UUID | None, int | None, str]]:
    return {(f.case_id, f.version, f.problem.value) for f in verification.findings}


def _swap(db: Any, case_id: UUID) -> None:
    db.renumber(case_id, 5, 1000)
    db.renumber(case_id, 6, 5)
    db.renumber(case_id, 1000, 6)


def _mistype(db: Any, case_id: UUID) -> None:
    for version in range(2, db.last_version(case_id) + 1):
        state = db.state(case_id, version)
        if b'"_type_":"Role"' in state:
            db.set_state(
                case_id,
                version,
                state.replace(b'{"_type_":"Role","_data_":"AGENT"}', b'"AGENT"', 1),
            )
            return
    raise AssertionError("no role to change")


TAMPERINGS: dict[str, Callable[[Any, UUID], None]] = {
    "untouched": lambda db, case_id: None,
    "changed byte": lambda db, case_id: db.set_state(  # of the contact's sealed text
        case_id, 3, flip_box(db.state(case_id, 3))
    ),
    "deleted middle": lambda db, case_id: db.run(
        "DELETE FROM {events} WHERE originator_id = ? AND originator_version = 4", case_id
    ),
    "swapped": _swap,
    "deleted opening": lambda db, case_id: db.run(
        "DELETE FROM {events} WHERE originator_id = ? AND originator_version = 1", case_id
    ),
    "mistyped": _mistype,
}


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_export_finds_what_scan_log_finds(
    tampering: str, open_desk: Callable[[], CaseDesk], realistic_case: Any, raw_sql: Any
) -> None:
    case_id, related = realistic_case(open_desk())
    TAMPERINGS[tampering](raw_sql, case_id)
    desk = open_desk()
    out = io.StringIO()

    verification, lines = export_verified(desk, None, out)

    expected = scan_log(desk)
    assert found(verification) == found(expected)
    assert (verification.cases, verification.events) == (expected.cases, expected.events)
    assert lines == len(out.getvalue().splitlines())
    if tampering == "untouched":
        assert verification.ok
        plain = io.StringIO()
        write_jsonl(desk, [case_id, related], plain)
        assert sorted(out.getvalue().splitlines()) == sorted(plain.getvalue().splitlines())
    else:
        assert not verification.ok


def test_named_cases_are_verified_as_verify_cases_does(
    open_desk: Callable[[], CaseDesk], realistic_case: Any, raw_sql: Any
) -> None:
    case_id, related = realistic_case(open_desk())
    TAMPERINGS["changed byte"](raw_sql, case_id)
    desk = open_desk()
    out = io.StringIO()

    verification, _ = export_verified(desk, [related, case_id], out)

    assert found(verification) == found(verify_cases(desk, [related, case_id]))
    assert out.getvalue().splitlines()[0].startswith(f'{{"case_id":"{related}"')
