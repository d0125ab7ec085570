"""The benchmarks at scale run as benchmarks/README.md says, on tiny sizes, in a fresh
process each: make_store.py builds a seeded store (the same seed, the same rows; a desk
reads and verifies it), and catalog.py measures the catalog on it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from casehistory import CaseDesk
from casehistory.audit.scan import scan_log

ROOT = Path(__file__).resolve().parents[1]
CASES = "50"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def _rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"
        ).fetchall()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "store.sqlite"
    done = _run("benchmarks/make_store.py", "--cases", CASES, "--runs", "1", "--out", str(path))

    assert done.returncode == 0, done.stderr
    assert f"{CASES} cases, " in done.stdout
    assert "raw SQLite inserts, median" in done.stdout
    return path


def test_make_store_builds_a_store_a_desk_reads_and_verifies(store: Path) -> None:
    desk = CaseDesk.open(store, read_only=True)
    try:
        verification = scan_log(desk)
        statuses = {desk.case(case_id).status.name for case_id in desk.case_ids()}
    finally:
        desk.close()

    assert verification.ok
    assert verification.cases == int(CASES)
    assert verification.events >= 8 * int(CASES)  # about ten events a case
    assert {"CLOSED", "OPEN"} <= statuses


def test_the_same_seed_builds_the_same_rows_and_another_seed_others(
    store: Path, tmp_path: Path
) -> None:
    again, other = tmp_path / "again.sqlite", tmp_path / "other.sqlite"
    for path, seed in ((again, "11"), (other, "12")):
        args = ("--cases", CASES, "--runs", "1", "--seed", seed, "--out", str(path))
        assert _run("benchmarks/make_store.py", *args).returncode == 0

    assert _rows(again) == _rows(store)
    assert _rows(other) != _rows(store)


def test_make_store_refuses_to_build_over_an_existing_file(store: Path) -> None:
    before = _rows(store)

    done = _run("benchmarks/make_store.py", "--cases", "5", "--out", str(store))

    assert done.returncode == 2
    assert "exists" in done.stderr
    assert _rows(store) == before


def test_the_catalog_benchmark_measures_every_part_on_a_store(store: Path) -> None:
    done = _run("benchmarks/catalog.py", "--store", str(store), "--runs", "1", "--trace")

    assert done.returncode == 0, done.stderr
    for part in (
        "(a) rebuild, each in a fresh process",
        "(b) status OPEN, channel EMAIL",
        "catalog / SQL, pages 1 + 2: ",
        "(c) the same two pages by full scan (all cases)",
        "(d) peak of Python allocations",
        "store / small store: verify x",
        "rebuild speed / read + decode >= 0.5",
    ):
        assert part in done.stdout, part
    table = done.stdout.split("(a) rebuild, each in a fresh process")[1].splitlines()[2:6]
    rebuilt = [line.split() for line in table[::2]]
    assert all(line.split()[0] == "wall" for line in table[1::2])  # and its processes' times
    assert [row[0] for row in rebuilt] == ["small", "store"]
    assert all(len(row) == 11 for row in rebuilt)  # every figure, the traced peak too
    assert int(rebuilt[1][1].replace(",", "")) >= 8 * int(CASES)  # events rebuilt


def test_the_allowed_benchmark_runs_and_reports_its_ratio() -> None:
    done = _run("benchmarks/allowed.py", "--runs", "1", "--n", "3", "--chunk", "3")
    assert done.returncode == 0, done.stderr
    assert "commands' time per allowed" in done.stdout


def test_the_sealing_benchmark_runs_both_sides_and_reports_its_ratio() -> None:
    done = _run("benchmarks/sealing.py", "--runs", "1", "--n", "6", "--chunk", "3")
    assert done.returncode == 0, done.stderr
    assert "ratio sealed/unsealed" in done.stdout
