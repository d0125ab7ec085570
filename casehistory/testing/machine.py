"""CaseDeskMachine: a Hypothesis state machine that drives a real desk over many cases.

Each run opens cases on a fresh :class:`~casehistory.CaseDesk` and, step by step (one
rule, :meth:`~CaseDeskMachine.step`), applies a command the case must accept (11 steps
in 16, drawn as :func:`~casehistory.testing.strategies.next_command` draws them), tries
one it must refuse (4 in 16: one that breaks a rule of the desk, as
:func:`~casehistory.testing.strategies.next_invalid_command` draws them, or one the
case would accept but the store refuses: the desk's clock turned back,
:class:`~casehistory.StoreTimeWentBackwards`, or another writer recording on the case
first, :class:`~casehistory.ConcurrentUpdate`), or opens another case (1 in 16, up to
:attr:`~CaseDeskMachine.max_cases`). Each case is steered as
:func:`~casehistory.testing.strategies.case_histories` steers a history: it pursues up
to three coverage labels drawn when it is opened (a refund after a reopen, a policy
exception, the customer writing first...), and three cases in four have their business
times on months' edges. One independent :class:`~casehistory.testing.CaseModel` per
case says what the desk must answer. After every step it checks the case the step
worked on (the others have not changed), folding only the events the step recorded:

- **status follows the transition table**: the view's status and version are the
  model's, and the recorded event took the case from the status before to the one the
  library's ``TRANSITIONS`` row gives;
- **money is conserved per currency**: paid - refunded >= 0, held - released >= 0, and
  the totals, open holds, escalations and RMAs are the model's;
- **a refused command leaves no trace**: it raised the expected
  :class:`~casehistory.CaseHistoryError` subclass, and the history and view are unchanged;
- **replaying the store gives the same views**: the events already recorded never change
  (their stored bytes), the view is the fold of the stored history, folding the new
  events onto the state checked before gives it too and, on a store that outlives the
  desk (a SQLite file), a second desk on the same store answers the same;
- **snapshots change no answer**: once a step wrote a snapshot (every
  :attr:`~CaseDeskMachine.snapshot_interval` events), the case loaded through its
  stored bytes is the fold of its history;
- **recorded decisions stand**: every policy decision in a view is one recorded in an
  event, never one recomputed.

Run it as a test with ``TestDesk = CaseDeskMachine.TestCase``, or with
:func:`hypothesis.stateful.run_state_machine_as_test`. Without settings of your own it
runs with :data:`DEFAULT_SETTINGS` on top of the settings profile loaded when it runs:
100 examples of up to 20 steps take a few seconds on the in-memory store. Change them
per class as Hypothesis's docs show, ``TestDesk.settings = settings(max_examples=500)``
(or ``@settings(...)`` on the machine class): what you set is layered over those
defaults, the others stay.

Extend it by subclassing. A subclass sees:

- ``self.desk``: the desk under test (chosen by :meth:`~CaseDeskMachine.open_desk` and
  :meth:`~CaseDeskMachine.new_store`);
- ``self.cases``: case id -> the :class:`~casehistory.testing.CaseModel` of that case,
  in the order the cases were opened (read it; the machine updates it);
- ``self.view(case_id)``: the desk's view of a case, read again once the case changed;
- hooks :meth:`~CaseDeskMachine.on_opened` and :meth:`~CaseDeskMachine.on_recorded`,
  called once the desk accepted a command: feed your own projections there;
- and it adds ``@invariant()`` methods (and ``@rule()`` methods) of its own.

A projection of one's own, kept from the hooks, checked after every step:

>>> from collections import Counter
>>> from hypothesis import settings
>>> from hypothesis.stateful import invariant, run_state_machine_as_test
>>> from casehistory.testing.machine import CaseDeskMachine
>>> class RefundReport(CaseDeskMachine):
...     '''My report: refunds issued per currency over the whole desk.'''
...
...     def __init__(self):
...         super().__init__()
...         self.refunded = Counter()
...
...     def on_recorded(self, case_id, command):
...         if command.method == "issue_refund":
...             self.refunded[command.kwargs["amount"].currency] += command.kwargs["amount"].amount
...
...     @invariant()
...     def report_matches_the_ledgers(self):
...         totals = Counter()
...         for case_id in self.cases:
...             for currency, balance in self.view(case_id).ledger.balances.items():
...                 totals[currency] += balance.refunded.amount
...         assert +totals == +self.refunded
>>> run_state_machine_as_test(
...     RefundReport, settings=settings(RefundReport.TestCase.settings, max_examples=10)
... )

In a test module, ``TestRefundReport = RefundReport.TestCase`` runs it under pytest.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, ClassVar
from uuid import UUID

from hypothesis import strategies as st
from hypothesis.control import current_build_context
from hypothesis.stateful import RuleBasedStateMachine, rule

from casehistory.desk import CaseDesk
from casehistory.errors import CaseHistoryError
from casehistory.testing._case_checks import CheckedCase
from casehistory.testing._commands import Command
from casehistory.testing._machine_actions import MachineActions
from casehistory.testing._machine_clock import MachineClock
from casehistory.testing._machine_draws import place_of
from casehistory.testing._machine_invariants import DeskInvariants
from casehistory.testing._machine_replay import ReplayDesk, apply_later
from casehistory.testing._machine_settings import DEFAULT_SETTINGS, desk_class, test_case_for
from casehistory.testing._machine_steering import STEP_ROW, Course, row_reader
from casehistory.testing._model import CaseModel
from casehistory.testing._printing import Step, machine_test, test_under_way
from casehistory.testing._values import CLOCK_START
from casehistory.views import CaseView

__all__ = [
    "DEFAULT_SETTINGS",
    "CaseDeskMachine",
    "MachineClock",
    "ReplayDesk",
    "SQLiteCaseDeskMachine",
]


_KIND = ("accepted",) * 11 + ("refused",) * 4 + ("open",)
"""What a step on a case does, by its second number: accept a command (11 in 16, and the
simplest: the shrinker turns steps into accepted commands), refuse one (4 in 16), or
open another case (1 in 16, while there is room; else accept a command)."""


class CaseDeskMachine(DeskInvariants, MachineActions, RuleBasedStateMachine):
    """A real desk, many cases, one model per case; invariants after every step.

    Class attributes to tune in a subclass: :attr:`max_cases` and
    :attr:`snapshot_interval`. Methods to override: :meth:`new_store` and
    :meth:`open_desk` (which store, which desk), :meth:`on_opened`, :meth:`on_recorded`
    and :meth:`on_refused` (feed projections). See the module docs for an example.
    """

    max_cases: ClassVar[int] = 2
    """How many cases a run opens at most."""

    snapshot_interval: ClassVar[int | None] = 2
    """Snapshot each case every this many events (None: the desk's own interval), so that
    short runs load cases through snapshots too: every other load folds an event onto
    a snapshot. Two, not three: a bug that shows once a snapshot follows some event
    keeps notes in its counterexample only to put a snapshot there, and the shrinker
    deletes steps one at a time (at three, the planted dict-order bug stopped at nine
    steps, three of them such notes)."""

    desk: CaseDesk
    """The desk under test."""

    cases: dict[UUID, CaseModel]
    """Case id -> what the desk must answer for it, in the order the cases were opened."""

    clock: MachineClock
    """The desk's clock: store time from :data:`CLOCK_START`, one second per reading."""

    @classmethod
    def _to_test_case(cls) -> Any:
        # Hypothesis's TestCase (one per machine class, kept on the class), but with
        # settings that a user's assignment layers over DEFAULT_SETTINGS instead of
        # replacing them (see _machine_settings).
        if "_test_case" not in cls.__dict__:
            cls._test_case = test_case_for(cls)  # type: ignore[assignment]
        return cls.__dict__["_test_case"]

    def __init__(self) -> None:
        super().__init__()
        rules = type(self).setup_state().rules
        if len(rules) == 1 and not rules[0].arguments:
            # Only step: chosen without a choice. Hypothesis's choice of a rule makes one
            # more choice in the first step (its swarm of enabled rules) than in the
            # others, so its mutator, copying one step's choice of a rule over another's,
            # left a run one choice short, given up (5% of the examples). A subclass
            # with rules of its own keeps Hypothesis's choice (and swarm) of them.
            self._rules_strategy = st.just((rules[0], {}))  # type: ignore[assignment]
        self.clock = MachineClock(CLOCK_START)
        self.location = self.new_store()
        self.desk = self.open_desk(self.location)
        self.cases = {}
        self._views: dict[UUID, CaseView] = {}
        self._courses: dict[UUID, Course] = {}  # what each case is steered towards
        self._checked: dict[UUID, CheckedCase] = {}
        self._snapshots_checked: dict[UUID, int] = {}  # case -> version loaded at
        self._changed: tuple[UUID, ...] = ()  # the cases the last step worked on
        self._second: CaseDesk | None = None
        self._script: list[Step] = []  # the desk calls of this run, printed if it fails
        self._replaying = False

    # Extension points ------------------------------------------------------------------

    def new_store(self) -> str:
        """The store location of this run's desk: ``":memory:"`` unless overridden
        (a SQLite file path, a ``postgresql://`` URL with a schema of its own...)."""
        return ":memory:"

    def open_desk(self, location: str) -> CaseDesk:
        """A desk on ``location`` with the machine's clock and the default policies
        (the models decide with them), snapshotting every :attr:`snapshot_interval`."""
        return desk_class(self.snapshot_interval).open(location, clock=self.clock)

    @property
    def replays_on_a_new_desk(self) -> bool:
        """Whether the store outlives the desk, so that a second desk on it must agree."""
        return self.location != ":memory:"

    def second_desk(self) -> CaseDesk:
        """Another desk on the same store, opened once a run: it must answer as
        :attr:`desk` does, and it is the other writer of a refused step.
        On a store that lives in the desk (``":memory:"``) it is :attr:`desk` itself."""
        if not self.replays_on_a_new_desk:
            return self.desk
        if self._second is None:
            self._second = self.open_desk(self.location)
        return self._second

    def on_opened(self, case_id: UUID) -> None:
        """Called once case ``case_id`` was opened (and is in :attr:`cases`)."""

    def on_recorded(self, case_id: UUID, command: Command) -> None:
        """Called once the desk accepted ``command`` on case ``case_id`` (and the model
        in :attr:`cases` was carried on)."""

    def on_refused(self, case_id: UUID, command: Command, error: type[CaseHistoryError]) -> None:
        """Called once the desk refused ``command`` on case ``case_id`` with ``error``,
        as it must, and recorded nothing for it."""

    def view(self, case_id: UUID) -> CaseView:
        """``self.desk.case(case_id)``, read again only once a step worked on the case."""
        if case_id not in self._views:
            self._views[case_id] = self.desk.case(case_id)
        return self._views[case_id]

    # The rule ------------------------------------------------------------------------

    # One rule, with no precondition, that decides itself what the step does: with a
    # rule per kind of step, Hypothesis's swarm of enabled rules often enabled only
    # those whose preconditions no longer held (open a case when there are enough), and
    # gave the example up ("unable to satisfy ..."), a quarter of them. The machine's
    # own swarm is per case (see _machine_steering). Not an @initialize rule for the
    # first case either: Hypothesis draws its swarm in the first step after those, which
    # the shrinker then cannot delete; a first step that opens the first case is never
    # deleted.
    @rule()
    def step(self) -> None:
        """Open the first case; then, on a case drawn among those opened, a command it
        must accept (mostly), one it must refuse, or open another case."""
        # Drawn on the example's choices directly: a step's choices in one row, no
        # st.data() to print (the machine prints its own test to paste).
        data = current_build_context().data
        # Every step, the first included, takes one row of as many choices: Hypothesis
        # mutates an example by copying one step over another, and replays it with as
        # many choices; a step that needs more than the one copied over it would run
        # out of them, and the example would be given up. What needs more numbers than
        # the row holds (an opening, a refusal) reads numbers derived from its last ones.
        numbers = data.draw(STEP_ROW)
        if not self.cases:
            self._open(data, numbers)
            return
        self._changed = ()
        place = place_of(len(self.cases), numbers[0])
        if place is None:
            return
        kind = _KIND[numbers[1]]
        if kind == "open" and len(self.cases) < self.max_cases:
            self._open(data, numbers)
            return
        case_id = list(self.cases)[place]
        model = self._model_of(case_id)
        if kind == "refused":
            self._refused(row_reader(data, numbers[3:]), case_id, model)
        else:
            self._accepted(data, numbers, case_id, model)

    # Replaying a printed run ------------------------------------------------------------

    @classmethod
    @contextlib.contextmanager
    def replay(cls) -> Iterator[ReplayDesk]:
        """A machine of this class, run by hand: what the test printed for a failing run
        calls. The :class:`ReplayDesk` it gives passes each desk call to the machine,
        which makes it on its desk (on its clock), carries its models on, calls the hooks
        and checks every invariant after it, as a run does; the machine is torn down
        after the ``with`` block."""
        machine = cls()
        machine._replaying = True
        try:
            machine.check_all_invariants()
            yield ReplayDesk(machine)
        finally:
            machine.teardown()

    def check_all_invariants(self) -> None:
        """Run every ``@invariant()`` of the machine whose preconditions hold."""
        for found in getattr(self, "invariants", ()):
            if all(precondition(self) for precondition in found.preconditions):
                found.function(self)

    def replay_call(
        self,
        case_id: UUID,
        command: Command,
        *,
        back_seconds: int | None = None,
        first: Command | None = None,
    ) -> None:
        """One call of a :class:`ReplayDesk` on case ``case_id``: the desk accepts it (the
        model carries it on) or refuses it, recording nothing (the error is raised again
        once the invariants were checked). With ``back_seconds``, the clock is turned
        back that long before the case's last event for it; with ``first``, another
        writer records ``first`` on the case between the desk's load and save."""
        model = self._model_of(case_id)
        before = self.view(case_id)
        if back_seconds is not None:
            self.clock.turn_back_once(before.last_recorded_at - timedelta(seconds=back_seconds))
        elif first is not None:
            self.clock.before_next_reading(apply_later(first, self.second_desk(), case_id))
        try:
            try:
                command.apply(self.desk, case_id)
            finally:
                self.clock.disarm()
                self._views.pop(case_id, None)
        except CaseHistoryError as error:
            then = 0 if first is None else 1
            after = self.view(case_id)
            assert after.version == before.version + then, f"{command!r} was refused but recorded"
            if not then:
                assert after == before, f"{command!r} was refused but changed the view"
            self.on_refused(case_id, command, type(error))
            if first is not None:
                self._took(case_id, model, first, before)
            self.check_all_invariants()
            raise
        if first is not None:
            raise AssertionError(f"the desk accepted {command!r} after another writer's")
        self._took(case_id, model, command, before)
        self.check_all_invariants()

    def teardown(self) -> None:
        if not self._replaying and test_under_way()[1]:
            # The run Hypothesis reports as failing: its calls as a test to paste.
            from hypothesis import note

            from casehistory.testing._printing import BEGIN, END

            note(f"{BEGIN}\n{machine_test(type(self), self._script)}{END}")
        if self._second is not None:
            self._second.close()
        self.desk.close()


class SQLiteCaseDeskMachine(CaseDeskMachine):
    """:class:`CaseDeskMachine` on a SQLite file in a temporary folder: after every step
    a second desk on the same file must answer as the desk that recorded, and that desk
    is the other writer whose command comes first."""

    def new_store(self) -> str:
        self._folder = tempfile.mkdtemp(prefix="casehistory-machine-")
        return f"{self._folder}/cases.sqlite"

    def teardown(self) -> None:
        super().teardown()
        shutil.rmtree(self._folder, ignore_errors=True)
