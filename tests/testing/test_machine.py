"""CaseDeskMachine drives a real desk over many cases; subclasses add their own checks."""

from __future__ import annotations

import doctest
from collections import Counter
from decimal import Decimal
from uuid import UUID

from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant, run_state_machine_as_test

from casehistory.testing import Command
from casehistory.testing import machine as machine_module
from casehistory.testing.machine import CaseDeskMachine, SQLiteCaseDeskMachine

CI = settings(
    max_examples=50,
    stateful_step_count=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

TestCaseDesk = CaseDeskMachine.TestCase
TestCaseDesk.settings = CI


class PaymentsReport(CaseDeskMachine):
    """A user's projection: payments per currency over the whole desk, fed by the hook."""

    def __init__(self) -> None:
        super().__init__()
        self.paid: Counter[str] = Counter()
        self.opened: list[UUID] = []

    def on_opened(self, case_id: UUID) -> None:
        self.opened.append(case_id)

    def on_recorded(self, case_id: UUID, command: Command) -> None:
        if command.method == "record_payment":
            amount = command.kwargs["amount"]
            self.paid[amount.currency] += amount.amount

    @invariant()
    def report_matches_the_ledgers(self) -> None:
        totals: Counter[str] = Counter()
        for case_id in self.cases:
            for currency, balance in self.view(case_id).ledger.balances.items():
                totals[currency] += balance.paid
        assert +totals == +self.paid

    @invariant()
    def every_case_was_announced(self) -> None:
        assert self.opened == list(self.cases)
        assert list(self.desk.case_ids()) == self.opened
        assert all(value >= Decimal(0) for value in self.paid.values())


TestPaymentsReport = PaymentsReport.TestCase
TestPaymentsReport.settings = settings(CI, max_examples=25)


class TestOnSQLite(SQLiteCaseDeskMachine.TestCase):  # type: ignore[name-defined,misc]
    settings = settings(CI, max_examples=10, stateful_step_count=15)


class OneCaseNoSnapshots(CaseDeskMachine):
    max_cases = 1
    snapshot_interval = None


def test_tunable_by_class_attributes() -> None:
    run_state_machine_as_test(OneCaseNoSnapshots, settings=settings(CI, max_examples=10))


def test_the_module_example_runs() -> None:
    failures, tried = doctest.testmod(machine_module, verbose=False)
    assert tried > 0
    assert failures == 0
