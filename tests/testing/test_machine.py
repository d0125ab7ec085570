"""CaseDeskMachine drives a real desk over many cases; subclasses add their own checks."""

from __future__ import annotations

import doctest
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import invariant, rule, run_state_machine_as_test
from hypothesis.statistics import collector

from casehistory.desk import _base
from casehistory.domain import _support
from casehistory.domain.values import Actor, Channel, Customer, Role
from casehistory.errors import CaseAlreadyExists, CaseHistoryError
from casehistory.testing import CLOCK_START, Command
from casehistory.testing import machine as machine_module
from casehistory.testing.machine import (
    DEFAULT_SETTINGS,
    CaseDeskMachine,
    MachineClock,
    SQLiteCaseDeskMachine,
)

AGENT = Actor("agent-1", Role.AGENT)

TestCaseDesk = CaseDeskMachine.TestCase  # as a user runs it: the machine's own defaults


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
                totals[currency] += balance.paid.amount
        assert +totals == +self.paid

    @invariant()
    def every_case_was_announced(self) -> None:
        assert self.opened == list(self.cases)
        assert list(self.desk.case_ids()) == self.opened
        assert all(value >= Decimal(0) for value in self.paid.values())


TestPaymentsReport = PaymentsReport.TestCase
TestPaymentsReport.settings = settings(TestPaymentsReport.settings, max_examples=25)


class TestOnSQLite(SQLiteCaseDeskMachine.TestCase):  # type: ignore[name-defined,misc]
    settings = settings(SQLiteCaseDeskMachine.TestCase.settings, max_examples=10)


class OneCaseNoSnapshots(CaseDeskMachine):
    max_cases = 1
    snapshot_interval = None


def test_tunable_by_class_attributes() -> None:
    run_state_machine_as_test(
        OneCaseNoSnapshots, settings=settings(OneCaseNoSnapshots.TestCase.settings, max_examples=10)
    )


def test_the_module_example_runs() -> None:
    failures, tried = doctest.testmod(machine_module, verbose=False)
    assert tried > 0
    assert failures == 0


class TestDefaultSettings:
    def test_a_machine_runs_with_the_defaults_without_being_told(self) -> None:
        given = CaseDeskMachine.TestCase.settings

        assert given.stateful_step_count == DEFAULT_SETTINGS["stateful_step_count"]
        assert given.deadline is None
        assert given.report_multiple_bugs is False

    def test_a_subclass_gets_them_too(self) -> None:
        class Mine(CaseDeskMachine):
            pass

        assert Mine.TestCase.settings.stateful_step_count == DEFAULT_SETTINGS["stateful_step_count"]

    def test_they_sit_on_the_profile_loaded_when_the_test_runs(self) -> None:
        before = settings.get_current_profile_name()
        settings.register_profile("casehistory-test-thorough", max_examples=7)
        settings.load_profile("casehistory-test-thorough")
        try:
            given = CaseDeskMachine.TestCase.settings
        finally:
            settings.load_profile(before)

        assert given.max_examples == 7
        assert given.stateful_step_count == DEFAULT_SETTINGS["stateful_step_count"]

    def test_no_explain_phase_else_the_profile_s_phases(self) -> None:
        before = settings.get_current_profile_name()
        settings.register_profile("casehistory-test-no-shrink", phases=[Phase.generate])
        settings.load_profile("casehistory-test-no-shrink")
        try:
            quick = CaseDeskMachine.TestCase.settings
        finally:
            settings.load_profile(before)

        assert Phase.explain not in CaseDeskMachine.TestCase.settings.phases
        assert Phase.shrink in CaseDeskMachine.TestCase.settings.phases
        assert tuple(quick.phases) == (Phase.generate,)

    def test_a_test_class_changes_them_for_itself(self) -> None:
        class Mine(CaseDeskMachine):
            pass

        Mine.TestCase.settings = settings(Mine.TestCase.settings, stateful_step_count=5)

        assert Mine.TestCase.settings.stateful_step_count == 5
        assert CaseDeskMachine.TestCase.settings.stateful_step_count != 5


class TestSettingsAUserAssigns:
    """Settings assigned as Hypothesis's docs show keep the machine's other defaults."""

    def test_assigned_to_the_test_case(self) -> None:
        class Mine(CaseDeskMachine):
            pass

        Mine.TestCase.settings = settings(max_examples=7)
        given = Mine.TestCase.settings

        assert given.max_examples == 7
        assert given.deadline is None
        assert given.stateful_step_count == DEFAULT_SETTINGS["stateful_step_count"]
        assert set(given.suppress_health_check) == set(HealthCheck)

    def test_given_in_the_body_of_a_subclass(self) -> None:
        class Mine(CaseDeskMachine):
            pass

        class TestMine(Mine.TestCase):  # type: ignore[name-defined,misc]
            settings = settings(max_examples=3, stateful_step_count=4)

        assert TestMine.settings.max_examples == 3
        assert TestMine.settings.stateful_step_count == 4
        assert TestMine.settings.deadline is None
        assert Mine.TestCase.settings.stateful_step_count == 20

    def test_the_settings_decorator_on_the_machine(self) -> None:
        @settings(max_examples=9)
        class Mine(CaseDeskMachine):
            pass

        assert Mine.TestCase.settings.max_examples == 9
        assert Mine.TestCase.settings.report_multiple_bugs is False

    def test_a_second_assignment_replaces_the_first_not_the_defaults(self) -> None:
        class Mine(CaseDeskMachine):
            pass

        Mine.TestCase.settings = settings(max_examples=7)
        Mine.TestCase.settings = settings(deadline=500)

        assert Mine.TestCase.settings.max_examples == settings.default.max_examples
        assert Mine.TestCase.settings.deadline == timedelta(milliseconds=500)
        assert Mine.TestCase.settings.stateful_step_count == 20

    def test_the_documented_recipe_still_works(self) -> None:
        class Mine(CaseDeskMachine):
            pass

        Mine.TestCase.settings = settings(Mine.TestCase.settings, stateful_step_count=50)

        assert Mine.TestCase.settings.stateful_step_count == 50
        assert Mine.TestCase.settings.deadline is None

    def test_the_run_uses_them(self) -> None:
        steps: list[int] = []

        class Counted(CaseDeskMachine):
            def teardown(self) -> None:
                steps.append(len(self._script))
                super().teardown()

        Counted.TestCase.settings = settings(
            max_examples=5, stateful_step_count=3, database=None, phases=[Phase.generate]
        )
        Counted.TestCase().runTest()

        assert 0 < len(steps) <= 6
        assert max(steps) <= 3


class WithARuleOfItsOwn(CaseDeskMachine):
    calls: ClassVar[Counter[str]] = Counter()

    @rule()
    def look_at_the_desk(self) -> None:
        self.calls["mine"] += 1
        assert list(self.desk.case_ids()) == list(self.cases)

    def on_opened(self, case_id: UUID) -> None:
        self.calls["opened"] += 1


def test_a_subclass_s_own_rules_run_beside_the_step() -> None:
    _run(WithARuleOfItsOwn, max_examples=20)

    assert WithARuleOfItsOwn.calls["mine"] > 0
    assert WithARuleOfItsOwn.calls["opened"] > 0


def test_few_examples_are_given_up() -> None:
    statuses: Counter[str] = Counter()

    def keep(stats: Any) -> None:
        statuses.update(case["status"] for case in stats["generate-phase"]["test-cases"])

    with collector.with_value(keep):
        _run(CaseDeskMachine, max_examples=200, phases=[Phase.generate])

    given_up = statuses["invalid"] + statuses["overrun"]
    assert given_up < 0.02 * sum(statuses.values()), statuses


class TestTheClock:
    def test_it_steps_one_second_a_reading(self) -> None:
        clock = MachineClock(CLOCK_START)

        assert [clock.now(), clock.now()] == [CLOCK_START, CLOCK_START + timedelta(seconds=1)]

    def test_it_turns_back_for_one_reading_only(self) -> None:
        clock = MachineClock(CLOCK_START)
        clock.now()

        clock.turn_back_once(CLOCK_START - timedelta(days=1))

        assert clock.now() == CLOCK_START - timedelta(days=1)
        assert clock.now() == CLOCK_START + timedelta(seconds=1)

    def test_another_writer_runs_before_the_next_reading(self) -> None:
        clock = MachineClock(CLOCK_START)
        read_by_the_other: list[Any] = []

        clock.before_next_reading(lambda: read_by_the_other.append(clock.now()))
        mine = clock.now()

        assert read_by_the_other == [CLOCK_START]
        assert mine == CLOCK_START + timedelta(seconds=1)

    def test_a_turn_no_reading_used_is_forgotten(self) -> None:
        clock = MachineClock(CLOCK_START)
        clock.turn_back_once(CLOCK_START - timedelta(days=1))
        clock.before_next_reading(lambda: pytest.fail("must not run"))

        clock.disarm()

        assert clock.now() == CLOCK_START


class CountsRefusals(CaseDeskMachine):
    refused: ClassVar[Counter[str]] = Counter()

    def on_refused(self, case_id: UUID, command: Command, error: type[CaseHistoryError]) -> None:
        self.refused[error.__name__] += 1


class CountsRefusalsOnSQLite(SQLiteCaseDeskMachine):
    refused: ClassVar[Counter[str]] = Counter()

    def on_refused(self, case_id: UUID, command: Command, error: type[CaseHistoryError]) -> None:
        self.refused[error.__name__] += 1


def _run(machine: type[CaseDeskMachine], **changes: Any) -> None:
    given = settings(machine.TestCase.settings, database=None, derandomize=True, **changes)
    run_state_machine_as_test(machine, settings=given)


class TestWhatTheStoreRefuses:
    def test_a_clock_turned_back_and_another_writer_first(self) -> None:
        _run(CountsRefusals, max_examples=100)

        for error in ("StoreTimeWentBackwards", "ConcurrentUpdate"):
            assert CountsRefusals.refused[error] > 0, CountsRefusals.refused

    def test_an_id_taken(self) -> None:
        # Drawn by next_invalid_command's rule "a case id is opened once", rarely (one
        # rule of many): checked here through the machine's own refusing path.
        with CountsRefusals.replay() as desk:
            opening = {
                "customer": Customer("C-1", "Dana Reyes"),
                "subject": "s",
                "occurred_at": CLOCK_START - timedelta(days=1),
            }
            case = desk.open_case(**opening, channel=Channel.EMAIL, by=AGENT)
            with pytest.raises(CaseAlreadyExists):
                desk.open_case(case_id=case, **opening, channel=Channel.PHONE, by=AGENT)

        assert CountsRefusals.refused["CaseAlreadyExists"] > 0

    def test_two_desks_on_one_sqlite_file_saving_the_same_version(self) -> None:
        _run(CountsRefusalsOnSQLite, max_examples=10)

        assert CountsRefusalsOnSQLite.refused["ConcurrentUpdate"] > 0

    def test_a_desk_that_lets_the_store_time_go_backwards_is_caught(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # The guard checks the rules at the later of the desk's time and the case's last
        # one, "to be safe": a clock turned back gets through, and records its time.
        guard = _support.CommandSupport._guard

        def forgiving(
            self: Any, event: Any, by: Any, occurred_at: Any, recorded_at: Any, **more: Any
        ) -> None:
            guard(self, event, by, occurred_at, max(recorded_at, self.modified_on), **more)

        monkeypatch.setattr(_support.CommandSupport, "_guard", forgiving)

        with pytest.raises(AssertionError, match="must raise StoreTimeWentBackwards"):
            _run(CaseDeskMachine, phases=[Phase.generate])

    def test_a_desk_that_names_a_concurrent_update_wrongly_is_caught(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # The desk reports a version clash on an existing case as a taken case id.
        monkeypatch.setattr(_base, "ConcurrentUpdate", CaseAlreadyExists)

        with pytest.raises(AssertionError, match="must raise ConcurrentUpdate"):
            _run(CaseDeskMachine, phases=[Phase.generate])
