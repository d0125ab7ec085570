"""Replayable failures (issue 14, part 1): what the toolkit prints for a failing
``@given(case_histories())`` test and a failing ``CaseDeskMachine`` run is a pytest test
to paste. Here a user's report with a planted bug fails under pytest in a fresh process;
the test printed in that report is written to a file of its own and run: it fails with
the same assertion, and passes once the bug is fixed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from casehistory.testing._printing import BEGIN, END

REPORT = '''
from decimal import Decimal

from casehistory import Role

FIXED = False


def refunded(desk, case_id):
    """The user's report: refunds per currency. The bug: only agents' refunds count."""
    totals = {}
    for event in desk.history(case_id):
        if type(event).__name__ != "RefundIssued":
            continue
        if event.by.role is not Role.AGENT and not FIXED:
            continue
        currency = event.amount.currency
        totals[currency] = totals.get(currency, Decimal(0)) + event.amount.amount
    return totals


def ledger_refunds(view):
    return {c: b.refunded.amount for c, b in view.ledger.balances.items() if b.refunded.amount}
'''

GIVEN = """
from hypothesis import Phase, given, settings

from casehistory import CaseDesk, SteppingClock
from casehistory.testing.strategies import CLOCK_START, case_histories

from report import ledger_refunds, refunded


@settings(max_examples=200, derandomize=True, database=None, deadline=None,
          phases=[Phase.generate])
@given(case_histories(min_commands=5, max_commands=30))
def test_refunds_add_up(history):
    desk = CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))
    case_id = history.apply(desk)
    assert refunded(desk, case_id) == ledger_refunds(desk.case(case_id)), "refunds differ"
"""

MACHINE = """
from hypothesis import Phase, settings
from hypothesis.stateful import invariant

from casehistory.testing.machine import CaseDeskMachine

from report import ledger_refunds, refunded


class RefundReport(CaseDeskMachine):
    @invariant()
    def report_matches_the_ledger(self):
        for case_id in self.cases:
            got, want = refunded(self.desk, case_id), ledger_refunds(self.view(case_id))
            assert got == want, "the report's refunds differ"


TestRefundReport = RefundReport.TestCase
TestRefundReport.settings = settings(
    TestRefundReport.settings, max_examples=200, derandomize=True, database=None,
    phases=[Phase.generate],
)
"""


def run_pytest(folder: Path, *files: str) -> subprocess.CompletedProcess[str]:
    (folder / "pytest.ini").write_text("[pytest]\n")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            *files,
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def printed_test(output: str) -> str:
    """The test between the markers of a pytest report (its lines behind pytest's ``E``)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith(BEGIN))
    prefix = len(lines[start]) - len(BEGIN)
    end = next(i for i in range(start, len(lines)) if lines[i].endswith(END))
    return "\n".join(line[prefix:] for line in lines[start + 1 : end]) + "\n"


@pytest.mark.parametrize(
    ("name", "source", "message"),
    [
        ("test_given.py", GIVEN, "refunds differ"),
        ("test_machine_report.py", MACHINE, "the report's refunds differ"),
    ],
)
def test_the_printed_test_fails_the_same_way_and_passes_once_fixed(
    tmp_path: Path, name: str, source: str, message: str
) -> None:
    (tmp_path / "report.py").write_text(REPORT)
    (tmp_path / name).write_text(textwrap.dedent(source))
    failed = run_pytest(tmp_path, name)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert f"AssertionError: {message}" in failed.stdout

    pasted = printed_test(failed.stdout)
    assert "state." not in pasted
    assert "data(" not in pasted
    assert "case_1 = desk.open_case(" in pasted
    assert "desk.issue_refund(\n" in pasted
    (tmp_path / "test_pasted.py").write_text(pasted)
    replayed = run_pytest(tmp_path, "test_pasted.py")
    assert replayed.returncode == 1, pasted + replayed.stdout + replayed.stderr
    assert f"AssertionError: {message}" in replayed.stdout, replayed.stdout

    report = (tmp_path / "report.py").read_text().replace("FIXED = False", "FIXED = True")
    (tmp_path / "report.py").write_text(report)
    fixed = run_pytest(tmp_path, "test_pasted.py")
    assert fixed.returncode == 0, pasted + fixed.stdout + fixed.stderr
