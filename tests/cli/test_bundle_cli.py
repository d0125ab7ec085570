"""``export --checkpoint`` and ``verify --bundle`` on the command line, and ``export`` of a
store that fails verification: exit codes, one-line refusals, marked outputs."""

from __future__ import annotations

import csv
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


@pytest.fixture
def signed(db: str, tmp_path: Path) -> tuple[Path, Path]:
    """(checkpoint file, verifier key file): the store pinned and signed."""
    key = tmp_path / "signer.key"
    assert run("keygen", "--name", "auditor.example/desk", "-o", str(key))[0] == 0
    checkpoint = tmp_path / "pinned.checkpoint"
    code, out = run("checkpoint", "--key", str(key), "-o", str(checkpoint), "--db", db)
    assert code == 0, out
    return checkpoint, Path(f"{key}.pub")


def delete_row(db: str, version: int) -> UUID:
    desk = CaseDesk.open(db)
    case_id = next(iter(desk.case_ids()))
    desk.close()
    with sqlite3.connect(db) as conn:
        conn.execute(
            "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (case_id.hex, version),
        )
    return case_id


class TestProvenBundles:
    def test_a_bundle_is_proven_offline_under_the_pinned_key(
        self, db: str, signed: tuple[Path, Path], tmp_path: Path
    ) -> None:
        checkpoint, public = signed
        bundle = tmp_path / "cases.jsonl"

        code, out = run(
            "export", "--format", "jsonl", "--checkpoint", str(checkpoint), "-o", str(bundle),
            "--db", db,
        )  # fmt: skip
        assert code == 0, out
        assert "proven against the checkpoint of 84 entries" in out
        Path(db).unlink()  # no store needed from here on

        code, out = run("verify", "--bundle", str(bundle), "--trusted-key", str(public))
        first, standing, privacy = out.strip().splitlines()
        assert (code, first) == (0, f"bundle {bundle}: 5 cases, 84 events: every chain holds")
        assert standing.startswith("proven against the checkpoint of casehistory/")
        assert privacy.startswith("personal texts: ")
        assert "shown as [sealed] offline" in privacy

        code, out = run("verify", "--bundle", str(bundle))
        assert code == 0
        assert "signed by an unpinned key" in out
        assert "proven against" not in out

        code, out = run(
            "verify", "--bundle", str(bundle), "--checkpoint", str(checkpoint),
            "--trusted-key", str(public),
        )  # fmt: skip
        assert code == 0
        assert "proven against" in out

    def test_a_cut_bundle_fails_with_the_case_and_version(
        self, db: str, signed: tuple[Path, Path], tmp_path: Path
    ) -> None:
        checkpoint, public = signed
        bundle = tmp_path / "cases.jsonl"
        run(
            "export",
            "--format",
            "jsonl",
            "--checkpoint",
            str(checkpoint),
            "-o",
            str(bundle),
            "--db",
            db,
        )
        lines = bundle.read_text().splitlines()
        last = json.loads(lines[-1])
        bundle.write_text("\n".join(lines[:-1]) + "\n")

        code, out = run("verify", "--bundle", str(bundle), "--trusted-key", str(public), "--json")
        assert code == 1
        [finding] = json.loads(out)["findings"]
        assert (finding["case_id"], finding["version"], finding["problem"]) == (
            last["case_id"], last["version"], "missing",
        )  # fmt: skip

    @pytest.mark.parametrize(
        ("data", "why"),
        [
            (b"", "holds no event to verify"),
            (b"\n \n", "is blank"),
            (b'{"case_id": "\xff"}\n', "line 1: is not valid UTF-8"),
        ],
    )
    def test_hostile_files_fail_without_a_traceback(
        self, tmp_path: Path, data: bytes, why: str
    ) -> None:
        bundle = tmp_path / "b.jsonl"
        bundle.write_bytes(data)

        code, out = run("verify", "--bundle", str(bundle))
        assert code == 1
        assert why in out
        assert "Traceback" not in out

    def test_usage_errors(self, db: str, signed: tuple[Path, Path], tmp_path: Path) -> None:
        checkpoint, _ = signed
        bundle = tmp_path / "b.jsonl"
        bundle.write_text("")

        assert run("export", "--format", "csv", "--checkpoint", str(checkpoint), "--db", db)[0] == 2
        assert run("verify", "--bundle", str(bundle), "--checkpoint", str(checkpoint),
                   "--checkpoint", str(checkpoint))[0] == 2  # fmt: skip
        not_a_checkpoint = tmp_path / "x.checkpoint"
        not_a_checkpoint.write_text("hello\n")
        assert run("verify", "--bundle", str(bundle), "--checkpoint", str(not_a_checkpoint))[0] == 2

    def test_export_refuses_a_store_that_no_longer_extends_the_checkpoint(
        self, db: str, signed: tuple[Path, Path], tmp_path: Path
    ) -> None:
        checkpoint, _ = signed
        delete_row(db, 16)  # the last event of a case: every chain still holds
        target = tmp_path / "cases.jsonl"

        code, out = run(
            "export", "--format", "jsonl", "--checkpoint", str(checkpoint), "-o", str(target),
            "--unverified", "--db", db,
        )  # fmt: skip
        assert code == 1
        assert len(out.strip().splitlines()) == 1
        assert not target.exists()


class TestExportOfAFailingStore:
    @pytest.mark.parametrize("fmt", ["jsonl", "csv", "html"])
    def test_is_refused_and_writes_nothing(self, db: str, tmp_path: Path, fmt: str) -> None:
        case_id = delete_row(db, 3)
        target = tmp_path / f"out.{fmt}"

        code, out = run("export", "--format", fmt, "-o", str(target), "--db", db)
        assert code == 1
        assert out.startswith("Error: the store fails verification (1 finding;")
        assert str(case_id) in out
        assert len(out.strip().splitlines()) == 1
        assert not target.exists()

    def test_of_named_cases_is_refused_for_a_failing_case(self, db: str) -> None:
        case_id = delete_row(db, 3)

        assert run("export", str(case_id), "--format", "csv", "--db", db)[0] == 1

    def test_unverified_jsonl_marks_every_line(self, db: str, tmp_path: Path) -> None:
        delete_row(db, 3)
        target = tmp_path / "out.jsonl"

        code, out = run(
            "export", "--format", "jsonl", "-o", str(target), "--unverified", "--db", db
        )
        assert code == 0
        assert "UNVERIFIED" in out
        records = [json.loads(line) for line in target.read_text().splitlines()]
        assert all(record["unverified"] is True for record in records)
        code, out = run("verify", "--bundle", str(target))
        assert code == 1  # the missing event
        assert "marked UNVERIFIED" in out

    def test_unverified_csv_has_a_column_saying_so(self, db: str, tmp_path: Path) -> None:
        delete_row(db, 3)
        target = tmp_path / "out.csv"

        assert (
            run("export", "--format", "csv", "-o", str(target), "--unverified", "--db", db)[0] == 0
        )
        with target.open(encoding="utf-8", newline="") as rows:
            header, *body = list(csv.reader(rows))
        assert header[-1] == "unverified"
        assert {row[-1] for row in body} == {"true"}

    def test_unverified_html_has_a_banner(self, db: str, tmp_path: Path) -> None:
        delete_row(db, 3)
        target = tmp_path / "out.html"

        assert (
            run("export", "--format", "html", "-o", str(target), "--unverified", "--db", db)[0] == 0
        )
        page = target.read_text(encoding="utf-8")
        assert '<div class="unverified" role="alert">' in page
        assert "<title>UNVERIFIED: " in page

    def test_a_sound_store_is_not_marked(self, db: str, tmp_path: Path) -> None:
        target = tmp_path / "out.jsonl"

        assert (
            run("export", "--format", "jsonl", "-o", str(target), "--unverified", "--db", db)[0]
            == 0
        )
        assert "unverified" not in target.read_text()
