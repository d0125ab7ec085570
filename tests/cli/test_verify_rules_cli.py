"""``verify --rules``: an intact event that no desk would have recorded (written beneath
the desk with a correct digest) is a finding, with exit code 1."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from casehistory import CaseDesk, Channel, Customer, Money, SteppingClock
from casehistory.cli import main
from casehistory.domain import events as ev
from tests.audit.test_rules import AGENT, AUDITOR, MONDAY, _append_beneath


def run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], env={"CASEHISTORY_DB": None})
    return result.exit_code, result.output


def test_an_auditors_refund_written_beneath_the_desk_fails_verify_rules(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite"
    desk = CaseDesk.open(path, clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
    case_id = desk.open_case(
        customer=Customer("C-1", "Dana Whitfield"),
        subject="no payment yet",
        channel=Channel.PHONE,
        by=AGENT,
        occurred_at=MONDAY,
    )
    desk.close()
    assert run("verify", "--rules", "--db", path)[0] == 0
    _append_beneath(
        path,
        case_id,
        ev.RefundIssued,
        AUDITOR,
        amount=Money("999999.00", "USD"),
        reason="forged",
        policy_exception=False,
        window_check=None,
    )

    intact, _ = run("verify", "--db", path)
    code, out = run("verify", "--rules", "--db", path)

    assert intact == 0  # every chain holds
    assert code == 1
    assert "unlawful" in out
    assert "RefundIssued would have been refused: NotAuthorised" in out
    assert run("verify", str(case_id), "--rules", "--db", path)[0] == 1


def test_rules_do_not_apply_to_a_bundle(tmp_path: Path) -> None:
    (tmp_path / "b.jsonl").write_text("{}\n")

    code, out = run("verify", "--rules", "--bundle", tmp_path / "b.jsonl")

    assert code == 2
    assert "--rules replays the store's cases" in out
