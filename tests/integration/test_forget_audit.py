"""The auditor's side of forgetting a customer, on SQLite and PostgreSQL: after
``desk.forget_customer`` every audit path still passes (verify, verify --rules, scan_log,
an export checked offline, a checkpoint taken before the erasure), the exports say the
customer was forgotten, and SQL on the erased rows is still found."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from casehistory import Actor, CaseDesk, ErasureGround, Role
from casehistory.audit.bundle import prove_export, write_bundle
from casehistory.audit.bundle_check import verify_bundle
from casehistory.audit.export_csv import CSV_COLUMNS, write_csv
from casehistory.audit.export_html import write_html
from casehistory.audit.export_jsonl import export_verified, write_jsonl
from casehistory.audit.rules import verify_rules
from casehistory.audit.scan import scan_log
from casehistory.audit.store_checks import check_store, make_checkpoint
from casehistory.audit.verify import Problem, Verification, verify_cases
from casehistory.domain.sealed import ERASED, SEALED
from tests.integration._sealed import boxes, flip_box

OFFICER = Actor("p.officer", Role.PRIVACY_OFFICER)
DANA = "c.dana"  # the customer of both cases of realistic_case


@pytest.fixture
def erased(
    open_desk: Callable[[], CaseDesk], realistic_case: Any
) -> tuple[CaseDesk, UUID, UUID, Any]:
    """Dana's two cases, a checkpoint taken before she was forgotten, then forgotten."""
    desk = open_desk()
    case_id, related = realistic_case(desk)
    before, verification = make_checkpoint(desk)
    assert verification.ok
    assert before is not None
    erasure = desk.forget_customer(DANA, ground=ErasureGround.CONSENT_WITHDRAWN, by=OFFICER)
    assert set(erasure.cases) == {case_id, related}
    return desk, case_id, related, before


def found(verification: Verification) -> list[tuple[UUID | None, int | None, Problem]]:
    return [(f.case_id, f.version, f.problem) for f in verification.findings]


def test_every_audit_path_passes_after_the_erasure(erased: Any, open_desk: Any) -> None:
    _, case_id, related, before = erased
    desk = open_desk()  # a fresh desk: nothing remembered of the texts

    assert scan_log(desk).ok
    assert verify_cases(desk, [case_id, related]).ok
    assert verify_rules(desk).ok
    assert check_store(desk, [before]).ok  # the checkpoint of before the erasure holds
    view = desk.case(case_id)
    assert (view.customer.name, view.subject) == (ERASED, ERASED)


def test_an_export_after_the_erasure_verifies_offline_and_says_whose(
    erased: Any, open_desk: Any
) -> None:
    _, case_id, related, _ = erased
    desk = open_desk()
    plain = io.StringIO()
    verification, lines = export_verified(desk, None, plain)
    later, _ = make_checkpoint(desk)
    assert later is not None
    bundle = io.StringIO()
    write_bundle(desk, prove_export(desk, later.text()), bundle)

    assert verification.ok
    for text in (plain.getvalue(), bundle.getvalue()):
        check = verify_bundle(text.splitlines())
        assert check.ok, check.findings
        assert set(check.forgotten) == {case_id, related}
        assert check.sealed_texts > 0
        assert SEALED in check.privacy
        assert "forgotten customers" in check.privacy
    records = [json.loads(line) for line in plain.getvalue().splitlines()]
    assert len(records) == lines
    assert all(record["forgotten"] is True for record in records)
    opening = next(r for r in records if r["type"] == "CaseOpened")
    assert set(opening["payload"]["subject"]) == {"sealed"}  # what the digest covers
    assert list(opening)[-2:] == ["digest", "forgotten"]


def test_the_readable_exports_show_the_texts_erased_and_say_so(erased: Any) -> None:
    desk, case_id, _, _ = erased
    sheet = io.StringIO(newline="")
    write_csv(desk, [case_id], sheet)
    page = io.StringIO()
    write_html(desk, [case_id], page, generated_at=datetime(2026, 12, 1, tzinfo=UTC))

    rows = [
        dict(zip(CSV_COLUMNS, row, strict=True))
        for row in csv.reader(sheet.getvalue().splitlines())
    ][1:]
    assert {row["customer_forgotten"] for row in rows} == {"true"}
    assert "drive clicks" not in sheet.getvalue()
    assert any(ERASED in row["what"] for row in rows)
    html = page.getvalue()
    assert "Dana Whitfield" not in html
    assert "laptop drive failed" not in html
    assert "Customer forgotten." in html
    assert "Personal data erased." in html


def test_an_export_before_the_erasure_still_holds_the_texts(
    open_desk: Callable[[], CaseDesk], realistic_case: Any
) -> None:
    desk = open_desk()
    case_id, _ = realistic_case(desk)
    sheet = io.StringIO(newline="")
    write_csv(desk, [case_id], sheet)
    jsonl = io.StringIO()
    write_jsonl(desk, [case_id], jsonl)

    # Plaintext in the readable columns (personal data to handle as such); the JSON
    # Lines records hold the sealed texts only, and no line says "forgotten".
    assert "laptop drive failed" in sheet.getvalue()
    assert "laptop drive failed" not in jsonl.getvalue()
    assert "forgotten" not in jsonl.getvalue()
    assert ",false\r\n" in sheet.getvalue()


def test_a_changed_byte_of_an_erased_box_is_found(
    erased: Any, open_desk: Any, raw_sql: Any
) -> None:
    _, case_id, _, _ = erased
    state = raw_sql.state(case_id, 3)
    raw_sql.set_state(case_id, 3, flip_box(state))

    result = scan_log(open_desk())

    assert found(result) == [(case_id, 3, Problem.ALTERED)]
    assert "does not match its digest" in result.findings[0].detail


def test_a_box_of_another_case_put_in_its_place_is_found(
    erased: Any, open_desk: Any, raw_sql: Any
) -> None:
    _, case_id, related, _ = erased
    theirs = boxes(raw_sql.state(related, 1))[-1]  # the related case's subject
    state = raw_sql.state(case_id, 1)
    raw_sql.set_state(case_id, 1, state.replace(boxes(state)[-1], theirs, 1))

    result = scan_log(open_desk())

    assert found(result) == [(case_id, 1, Problem.ALTERED)]


def test_a_box_that_is_no_string_is_found(erased: Any, open_desk: Any, raw_sql: Any) -> None:
    _, case_id, _, _ = erased
    state = raw_sql.state(case_id, 3)
    box = boxes(state)[0]
    raw_sql.set_state(case_id, 3, state.replace(b'"' + box + b'"', b'{"box":"' + box + b'"}', 1))

    result = scan_log(open_desk())

    assert [(v, p) for _, v, p in found(result)] in (
        [(3, Problem.ALTERED)],
        [(3, Problem.UNREADABLE)],
    )


def test_a_deleted_erasure_is_found(erased: Any, open_desk: Any, raw_sql: Any) -> None:
    desk, case_id, _, _ = erased
    last = raw_sql.last_version(case_id)
    assert type(desk.history(case_id)[-1]).__name__ == "CustomerForgotten"
    after, _ = make_checkpoint(desk)  # the auditor's checkpoint after the erasure
    assert after is not None
    raw_sql.run(
        "DELETE FROM {events} WHERE originator_id = ? AND originator_version = ?", case_id, last
    )

    fresh = open_desk()
    # The chain alone cannot see a tail cut off; the checkpoint taken after it does.
    outcome = check_store(fresh, [after])
    assert not outcome.ok
    assert outcome.checkpoints[0].problem is not None
