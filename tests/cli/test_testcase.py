"""``casehistory testcase CASE``: a stored case printed as a pytest module."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import pytest
from click.testing import CliRunner

import casehistory.cli.testcase  # noqa: F401  (registers the verb)
from casehistory import CaseDesk
from casehistory.cli import main


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[UUID]]:
    db = str(tmp_path_factory.mktemp("store") / "cases.sqlite")
    code, _, _ = run("stories", "--db", db)
    assert code == 0
    with CaseDesk.open(db, read_only=True) as desk:
        return db, list(desk.case_ids())


def test_prints_a_module_that_passes_under_pytest_and_reads_only(
    store: tuple[str, list[UUID]], tmp_path: Path
) -> None:
    db, cases = store
    before = hashlib.sha256(Path(db).read_bytes()).hexdigest()

    code, out, err = run("testcase", str(cases[1]), "--db", db)

    assert code == 0, err
    assert hashlib.sha256(Path(db).read_bytes()).hexdigest() == before
    assert out.startswith(f'"""Regression test of case {cases[1]}:')
    assert "def test_stored_case():" in out
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_case.py").write_text(out)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_a_case_not_in_the_store_is_refused_with_exit_code_1(
    store: tuple[str, list[UUID]],
) -> None:
    db, _ = store
    code, out, err = run("testcase", "00000000-0000-0000-0000-000000000000", "--db", db)

    assert code == 1
    assert out == ""
    assert "no case 00000000-0000-0000-0000-000000000000 in this store" in err


@pytest.mark.parametrize(
    "hostile",
    [
        "'; DROP TABLE stored_events; --",
        "not-a-uuid",
        "\x1b[31mred\x1b[0m",
        "0" * 10_000,
        "",
    ],
)
def test_an_id_that_is_no_uuid_is_a_usage_error(
    store: tuple[str, list[UUID]], hostile: str
) -> None:
    db, _ = store
    before = hashlib.sha256(Path(db).read_bytes()).hexdigest()

    code, out, err = run("testcase", hostile, "--db", db)

    assert code == 2
    assert out == ""
    assert "is not a case id" in err
    assert "\x1b" not in err
    assert "Traceback" not in err
    assert hashlib.sha256(Path(db).read_bytes()).hexdigest() == before


def test_a_missing_store_is_a_usage_error_and_is_not_created(tmp_path: Path) -> None:
    db = tmp_path / "nowhere.sqlite"

    code, out, err = run("testcase", "00000000-0000-0000-0000-000000000000", "--db", str(db))

    assert code == 2
    assert out == ""
    assert not db.exists()
    assert err.strip()
