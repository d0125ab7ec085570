"""The command line: verbs, --db and CASEHISTORY_DB, exit codes, help."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import pytest
from click.testing import CliRunner

from casehistory import CaseDesk
from casehistory.cli import main

UUID_RE = re.compile(r"^case ([0-9a-f-]{36})$", re.MULTILINE)


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "cases.sqlite")


class TestStories:
    def test_records_the_five_stories_and_prints_their_trails(self, db: str) -> None:
        code, out = run("stories", "--db", db)

        assert code == 0, out
        assert len(UUID_RE.findall(out)) == 5
        for number in range(1, 6):
            assert f"Story {number}:" in out
        assert "status CLOSED" in out
        assert "CaseOpened" in out

    def test_running_twice_adds_five_new_cases_and_keeps_the_first(self, db: str) -> None:
        _, first = run("stories", "--db", db)
        first_ids = UUID_RE.findall(first)
        code, before = run("show", first_ids[0], "--json", "--db", db)
        assert code == 0

        _, second = run("stories", "--db", db)

        second_ids = UUID_RE.findall(second)
        assert len(set(first_ids) | set(second_ids)) == 10
        _, after = run("show", first_ids[0], "--json", "--db", db)
        assert json.loads(after) == json.loads(before)
        _, listing = run("list", "--json", "--db", db)
        assert len(json.loads(listing)["rows"]) == 10

    def test_falls_back_to_the_casehistory_db_variable(self, db: str) -> None:
        code, _ = run("stories", env={"CASEHISTORY_DB": db})

        assert code == 0
        assert Path(db).exists()


class TestShowAndTrail:
    def test_show_json_has_status_fault_and_ledger(self, db: str) -> None:
        _, out = run("stories", "--db", db)
        case_id = UUID_RE.findall(out)[0]

        code, shown = run("show", case_id, "--json", "--db", db)

        assert code == 0
        data = json.loads(shown)
        assert data["case_id"] == case_id
        assert {"status", "fault", "ledger"} <= set(data)

    def test_trail_prints_one_line_per_event(self, db: str) -> None:
        _, out = run("stories", "--db", db)
        case_id = UUID_RE.findall(out)[0]
        _, shown = run("show", case_id, "--json", "--db", db)

        code, trail = run("trail", case_id, "--db", db)

        assert code == 0
        assert len(trail.splitlines()) == json.loads(shown)["version"]
        assert trail.splitlines()[0].startswith("v1 | occurred ")

    def test_an_unknown_case_is_refused_with_exit_code_1_and_one_line(self, db: str) -> None:
        CaseDesk.open(db).close()  # an empty store: auditors' commands never create one
        code, out = run("show", str(UUID(int=7)), "--db", db)

        assert code == 1
        assert out.strip() == f"Error: no case {UUID(int=7)} in this store"

    def test_a_malformed_case_id_is_a_usage_error(self, db: str) -> None:
        code, out = run("trail", "not-a-uuid", "--db", db)

        assert code == 2
        assert "is not a case id" in out

    def test_an_unusable_store_is_reported_in_one_line(self, tmp_path: Path) -> None:
        code, out = run("list", "--db", str(tmp_path / "missing" / "cases.sqlite"))

        assert code == 2  # nothing there: a usage error (tests/cli/test_read_only.py)
        assert "does not exist" in out
        assert "Traceback" not in out


def _commands() -> list[str]:
    return sorted(main.commands)


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help_ending_with_an_example(command: str) -> None:
    code, out = run(command, "--help")

    assert code == 0
    assert out.rstrip().splitlines()[-1].strip().startswith("Example: casehistory " + command)
    assert "--db" in out


@pytest.mark.parametrize("command", _commands())
def test_every_command_is_documented_with_its_output(command: str) -> None:
    page = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()

    assert f"$ casehistory {command}" in page


def test_python_dash_m_runs_the_same_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "casehistory", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0
    assert "stories" in result.stdout
