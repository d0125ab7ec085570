"""``casehistory forget``: from the terminal, as a privacy officer would, and as a
mistyped or hostile command would (docs/data-protection.md)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from casehistory import ERASED, Actor, CaseDesk, Channel, Customer, Role, SteppingClock
from casehistory.cli import main

FIXTURES = Path(__file__).parents[1] / "fixtures"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"CASEHISTORY_DB": None})
    return result.exit_code, result.output


def _store(tmp_path: Path) -> tuple[Path, object]:
    path = tmp_path / "cases.sqlite"
    agent = Actor("a.lee", Role.AGENT)
    with CaseDesk.open(str(path), clock=SteppingClock(datetime(2026, 11, 2, tzinfo=UTC))) as desk:
        case_id = desk.open_case(
            customer=Customer("C-1", "Wilhelmina Zorb"),
            subject="Wilhelmina's toaster",
            channel=Channel.PHONE,
            by=agent,
            occurred_at=datetime(2026, 11, 1, tzinfo=UTC),
        )
    return path, case_id


def _events(path: Path) -> int:
    with CaseDesk.open(str(path), read_only=True) as desk:
        return sum(len(desk.history(case_id)) for case_id in desk.case_ids())


def test_forgets_the_customer_and_the_store_still_verifies(tmp_path: Path) -> None:
    path, case_id = _store(tmp_path)

    code, output = run(
        "forget", "C-1", "--ground", "OBJECTION", "--by", "p.osei", "--json", "--db", str(path)
    )

    assert code == 0, output
    said = json.loads(output)
    assert said == {
        "customer_id": "C-1",
        "cases": [str(case_id)],
        "recorded": [str(case_id)],
        "key_destroyed": True,
    }
    with CaseDesk.open(str(path), read_only=True) as desk:
        assert desk.case(case_id).customer.name == ERASED  # type: ignore[arg-type]
    assert b"Zorb" not in path.read_bytes()
    assert run("verify", "--rules", "--db", str(path))[0] == 0
    again = run("forget", "C-1", "--ground", "OBJECTION", "--by", "p.osei", "--db", str(path))
    assert again[0] == 0
    assert "already erased" in again[1]


def test_refuses_an_unknown_customer_a_bad_ground_and_a_missing_store(tmp_path: Path) -> None:
    path, _ = _store(tmp_path)

    unknown = run("forget", "C-404", "--ground", "OBJECTION", "--by", "p.osei", "--db", str(path))
    ground = run("forget", "C-1", "--ground", "BECAUSE", "--by", "p.osei", "--db", str(path))
    missing = run(
        "forget", "C-1", "--ground", "OBJECTION", "--by", "p", "--db", str(tmp_path / "no.db")
    )

    assert unknown[0] == 1
    assert "no case of customer 'C-404'" in unknown[1]
    assert ground[0] == 2
    assert "BECAUSE" in ground[1]
    assert missing[0] != 0
    assert "Traceback" not in unknown[1] + ground[1] + missing[1]


def test_a_store_of_0_1_0_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    old = tmp_path / "store-0.1.0.sqlite"
    shutil.copyfile(FIXTURES / "store-0.1.0.sqlite", old)
    before = _events(old)

    code, output = run(
        "forget", "CUST-20931", "--ground", "OBJECTION", "--by", "p.osei", "--db", str(old)
    )

    assert code == 1
    assert "recorded before sealing" in output
    with CaseDesk.open(str(old), read_only=True) as desk:
        assert all(desk.case(case_id).customer.name != ERASED for case_id in desk.case_ids())
    assert _events(old) == before  # nothing recorded, on any case
