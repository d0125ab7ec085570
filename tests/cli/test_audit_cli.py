"""The auditor's verbs: ``verify`` (store, cases, bundle) and ``export``; exit codes and
what they print when the store is sound and when it was tampered with."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from uuid import UUID

import pytest
from click.testing import CliRunner

from casehistory import CaseDesk
from casehistory.cli import main
from casehistory.stories import STORIES


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"CASEHISTORY_DB": None})
    return result.exit_code, result.output


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A SQLite file holding the five stories."""
    path = str(tmp_path / "cases.sqlite")
    desk = CaseDesk.open(path)
    for story in STORIES:
        story.tell(desk)
    desk.close()
    return path


def case_ids(db: str) -> list[UUID]:
    desk = CaseDesk.open(db)
    try:
        return list(desk.case_ids())
    finally:
        desk.close()


def delete_row(db: str, case_id: UUID, version: int) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(
            "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (case_id.hex, version),
        )


class TestVerify:
    def test_a_sound_store_verifies_with_exit_code_0(self, db: str) -> None:
        code, out = run("verify", "--db", db)
        assert (code, out.strip()) == (0, "store: 5 cases, 84 events: every chain holds")

    def test_a_deleted_event_is_named_with_exit_code_1(self, db: str) -> None:
        first = case_ids(db)[0]
        delete_row(db, first, 3)
        code, out = run("verify", "--db", db)
        assert code == 1
        assert str(first) in out
        assert "version 3 is missing" in out
        assert out.strip().endswith("store: 5 cases, 83 events: 1 finding")

    def test_named_cases_only(self, db: str) -> None:
        first, second = case_ids(db)[:2]
        delete_row(db, first, 3)
        assert run("verify", str(second), "--db", db)[0] == 0
        assert run("verify", str(first), str(second), "--db", db)[0] == 1

    def test_a_case_that_is_not_there_fails(self, db: str) -> None:
        code, out = run("verify", "00000000-0000-0000-0000-000000000000", "--db", db)
        assert code == 1
        assert "has no event in this store" in out

    def test_json_for_programs(self, db: str) -> None:
        first = case_ids(db)[0]
        delete_row(db, first, 3)
        code, out = run("verify", "--json", "--db", db)
        outcome = json.loads(out)
        assert code == 1
        assert outcome["ok"] is False
        assert outcome["findings"] == [
            {
                "case_id": str(first),
                "version": 3,
                "problem": "missing",
                "detail": "version 3 is missing (deleted, moved to another case or renumbered)",
            }
        ]

    def test_usage_errors_exit_with_2(self, db: str, tmp_path: Path) -> None:
        assert run("verify", "not-a-case", "--db", db)[0] == 2
        bundle = tmp_path / "b.jsonl"
        bundle.write_text("")
        assert run("verify", str(case_ids(db)[0]), "--bundle", str(bundle))[0] == 2
        assert run("verify", "--bundle", str(tmp_path / "missing.jsonl"))[0] == 2


class TestExportAndBundle:
    def test_jsonl_to_a_file_verifies_offline(self, db: str, tmp_path: Path) -> None:
        bundle = tmp_path / "cases.jsonl"
        code, out = run("export", "--format", "jsonl", "-o", str(bundle), "--db", db)
        assert (code, out.strip()) == (0, f"exported 5 cases as jsonl to {bundle}")
        assert len(bundle.read_text().splitlines()) == 84
        Path(db).unlink()  # no store needed
        code, out = run("verify", "--bundle", str(bundle))
        first, standing, privacy = out.strip().splitlines()
        assert (code, first) == (0, f"bundle {bundle}: 5 cases, 84 events: every chain holds")
        assert standing.startswith("self-consistent only: a plain export carries no checkpoint")
        assert privacy.startswith("personal texts: ")
        assert "shown as [sealed] offline" in privacy

    def test_an_edited_bundle_fails(self, db: str, tmp_path: Path) -> None:
        bundle = tmp_path / "cases.jsonl"
        run("export", "--format", "jsonl", "-o", str(bundle), "--db", db)
        lines = bundle.read_text().splitlines()
        bundle.write_text("\n".join(lines[:5] + lines[6:]) + "\n")
        code, out = run("verify", "--bundle", str(bundle))
        assert code == 1
        assert "version 6 is missing" in out

    def test_named_cases_to_stdout(self, db: str) -> None:
        second = case_ids(db)[1]
        code, out = run("export", str(second), "--format", "jsonl", "--db", db)
        records = [json.loads(line) for line in out.splitlines()]
        assert code == 0
        assert {r["case_id"] for r in records} == {str(second)}
        assert [r["version"] for r in records] == list(range(1, len(records) + 1))

    def test_an_unknown_case_writes_nothing(self, db: str, tmp_path: Path) -> None:
        target = tmp_path / "out.jsonl"
        nil = "00000000-0000-0000-0000-000000000000"
        code, out = run("export", nil, "--format", "jsonl", "-o", str(target), "--db", db)
        assert code == 1
        assert f"no case {nil}" in out
        assert not target.exists()

    def test_a_format_is_required(self, db: str) -> None:
        assert run("export", "--db", db)[0] == 2
        assert run("export", "--format", "pdf", "--db", db)[0] == 2


class TestExportFormats:
    def test_csv_has_a_header_and_a_row_per_event(self, db: str, tmp_path: Path) -> None:
        import csv

        target = tmp_path / "trail.csv"
        assert run("export", "--format", "csv", "-o", str(target), "--db", db)[0] == 0
        with target.open(encoding="utf-8", newline="") as rows:
            header, *body = list(csv.reader(rows))
        assert header[:3] == ["case_id", "version", "type"]
        assert len(body) == 84

    def test_html_is_one_self_contained_page(self, db: str, tmp_path: Path) -> None:
        target = tmp_path / "cases.html"
        assert run("export", "--format", "html", "-o", str(target), "--db", db)[0] == 0
        page = target.read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>")
        assert "http://" not in page
        assert "https://" not in page
        assert page.count("<svg") >= 10  # a timeline and a ledger chart per case
