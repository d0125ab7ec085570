"""CaseDeskMachine: a Hypothesis state machine that drives a real desk over many cases.

Each run opens cases on a fresh :class:`~casehistory.CaseDesk` and, step by step, opens
another case, applies a command the case must accept (drawn by
:func:`~casehistory.testing.strategies.next_command`) or tries one it must refuse
(:func:`~casehistory.testing.strategies.next_invalid_command`). One independent
:class:`~casehistory.testing.CaseModel` per case says what the desk must answer. After
every step it checks, for every case:

- **status follows the transition table**: the view's status and version are the
  model's, and each recorded event took the case from the status before to the one the
  library's ``TRANSITIONS`` row gives;
- **money is conserved per currency**: paid - refunded >= 0, held - released >= 0, and
  the totals, open holds, escalations and RMAs are the model's;
- **a refused command leaves no trace**: it raised the expected
  :class:`~casehistory.CaseHistoryError` subclass, and the history and view are unchanged;
- **replaying the store gives the same views**: the view is the fold of the stored
  history and, on a store that outlives the desk (a SQLite file), a new desk on the same
  store answers the same;
- **snapshots change no answer**: the case loaded through its snapshots (taken every
  :attr:`~CaseDeskMachine.snapshot_interval` events) is the fold of its history;
- **recorded decisions stand**: every policy decision in a view is one recorded in an
  event, never one recomputed.

Run it as a test with ``TestDesk = CaseDeskMachine.TestCase`` (set
``TestDesk.settings = settings(max_examples=..., stateful_step_count=...)``), or
with :func:`hypothesis.stateful.run_state_machine_as_test`.

Extend it by subclassing. A subclass sees:

- ``self.desk``: the desk under test (chosen by :meth:`~CaseDeskMachine.open_desk` and
  :meth:`~CaseDeskMachine.new_store`);
- ``self.cases``: case id -> the :class:`~casehistory.testing.CaseModel` of that case,
  in the order the cases were opened (read it; the machine updates it);
- ``self.view(case_id)``: the desk's view of a case, read once per step;
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
...                 totals[currency] += balance.refunded
...         assert +totals == +self.refunded
>>> run_state_machine_as_test(
...     RefundReport, settings=settings(max_examples=10, stateful_step_count=15, database=None)
... )

In a test module, ``TestRefundReport = RefundReport.TestCase`` runs it under pytest.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from typing import ClassVar
from uuid import UUID

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from casehistory.clock import SteppingClock
from casehistory.desk import CaseDesk
from casehistory.domain import lifecycle
from casehistory.domain.case import Case
from casehistory.domain.policies import PolicyDecision
from casehistory.domain.state import fold
from casehistory.errors import CaseHistoryError
from casehistory.testing._commands import Command
from casehistory.testing._model import CaseModel
from casehistory.testing._values import CLOCK_START
from casehistory.testing.strategies import case_histories, next_command, next_invalid_command
from casehistory.views import CaseView

__all__ = ["CaseDeskMachine", "SQLiteCaseDeskMachine"]


class CaseDeskMachine(RuleBasedStateMachine):
    """A real desk, many cases, one model per case; invariants after every step.

    Class attributes to tune in a subclass: :attr:`max_cases` and
    :attr:`snapshot_interval`. Methods to override: :meth:`new_store` and
    :meth:`open_desk` (which store, which desk), :meth:`on_opened` and
    :meth:`on_recorded` (feed projections). See the module docs for an example.
    """

    max_cases: ClassVar[int] = 4
    """How many cases a run opens at most."""

    snapshot_interval: ClassVar[int | None] = 4
    """Snapshot each case every this many events (None: the desk's own interval), so that
    short runs load cases through snapshots too."""

    desk: CaseDesk
    """The desk under test."""

    cases: dict[UUID, CaseModel]
    """Case id -> what the desk must answer for it, in the order the cases were opened."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = SteppingClock(CLOCK_START)
        self.location = self.new_store()
        self.desk = self.open_desk(self.location)
        self.cases = {}
        self._views: dict[UUID, CaseView] = {}

    # Extension points ------------------------------------------------------------------

    def new_store(self) -> str:
        """The store location of this run's desk: ``":memory:"`` unless overridden
        (a SQLite file path, a ``postgresql://`` URL with a schema of its own...)."""
        return ":memory:"

    def open_desk(self, location: str) -> CaseDesk:
        """A desk on ``location`` with the machine's clock and the default policies
        (the models decide with them), snapshotting every :attr:`snapshot_interval`."""
        cls: type[CaseDesk] = CaseDesk
        if self.snapshot_interval is not None:
            cls = type(
                "CaseDesk", (CaseDesk,), {"snapshotting_intervals": {Case: self.snapshot_interval}}
            )
        return cls.open(location, clock=self.clock)

    @property
    def replays_on_a_new_desk(self) -> bool:
        """Whether the store outlives the desk, so that a new desk on it must agree."""
        return self.location != ":memory:"

    def on_opened(self, case_id: UUID) -> None:
        """Called once case ``case_id`` was opened (and is in :attr:`cases`)."""

    def on_recorded(self, case_id: UUID, command: Command) -> None:
        """Called once the desk accepted ``command`` on case ``case_id`` (and the model
        in :attr:`cases` was carried on)."""

    def view(self, case_id: UUID) -> CaseView:
        """``self.desk.case(case_id)``, read once per step."""
        if case_id not in self._views:
            self._views[case_id] = self.desk.case(case_id)
        return self._views[case_id]

    # Rules ----------------------------------------------------------------------------

    def _open(self, data: st.DataObject) -> None:
        opening = data.draw(case_histories(max_commands=0)).opening
        case_id = self.desk.open_case(**opening)
        self.cases[case_id] = CaseModel(opening.get("product"))
        self._views.clear()
        self.on_opened(case_id)

    @initialize(data=st.data())
    def open_first_case(self, data: st.DataObject) -> None:
        self._open(data)

    @precondition(lambda self: len(self.cases) < self.max_cases)
    @rule(data=st.data())
    def open_case(self, data: st.DataObject) -> None:
        self._open(data)

    def _pick(self, data: st.DataObject) -> tuple[UUID, CaseModel]:
        case_id = data.draw(st.sampled_from(list(self.cases)), label="case")
        others = tuple(other for other in self.cases if other != case_id)
        return case_id, attrs.evolve(self.cases[case_id], link_targets=others)

    @rule(data=st.data())
    def accepted_command(self, data: st.DataObject) -> None:
        case_id, model = self._pick(data)
        command = data.draw(next_command(model), label="command")
        before = self.view(case_id)
        command.apply(self.desk, case_id)
        self._views.clear()
        self.cases[case_id] = model.after(command)
        event = self.desk.history(case_id)[-1]
        row = lifecycle.TRANSITIONS[event.lifecycle_key]
        assert before.status in row, (
            f"{event.lifecycle_key} was recorded in {before.status.name}, which the "
            f"transition table does not allow"
        )
        after = self.view(case_id)
        assert row[before.status] is after.status, (
            f"{event.lifecycle_key} took the case from {before.status.name} to "
            f"{after.status.name}; the transition table says {row[before.status].name}"
        )
        self.on_recorded(case_id, command)

    @rule(data=st.data())
    def refused_command(self, data: st.DataObject) -> None:
        case_id, model = self._pick(data)
        command, error = data.draw(next_invalid_command(model), label="refused")
        history = self.desk.history(case_id)
        view = self.view(case_id)
        try:
            command.apply(self.desk, case_id)
        except error:
            pass
        except CaseHistoryError as other:
            raise AssertionError(
                f"{command!r} must raise {error.__name__}, "
                f"but raised {type(other).__name__}: {other}"
            ) from other
        else:
            raise AssertionError(f"the desk accepted {command!r}; it must raise {error.__name__}")
        finally:
            self._views.clear()
        assert self.desk.history(case_id) == history, f"{command!r} was refused but recorded"
        assert self.view(case_id) == view, f"{command!r} was refused but changed the view"

    # Invariants -----------------------------------------------------------------------

    def _each(self) -> Iterator[tuple[UUID, CaseModel, CaseView]]:
        for case_id, model in self.cases.items():
            yield case_id, model, self.view(case_id)

    @invariant()
    def status_follows_the_table(self) -> None:
        for case_id, model, view in self._each():
            assert view.status is model.status, (
                f"case {case_id} is {view.status.name}; the table leads to {model.status.name}"
            )
            assert view.version == model.version, f"case {case_id}: version {view.version}"

    @invariant()
    def money_is_conserved(self) -> None:
        for case_id, model, view in self._each():
            for currency, balance in view.ledger.balances.items():
                assert balance.paid - balance.refunded >= 0, f"{currency}: refunded > paid"
                assert balance.held - balance.released >= 0, f"{currency}: released > held"
            assert view.ledger.balances == model.ledger, f"case {case_id}: ledger differs"
            assert view.open_holds == model.open_holds, f"case {case_id}: open holds differ"
            assert view.escalations == model.escalations, f"case {case_id}: escalations"
            assert view.rmas == tuple(model.rmas.values()), f"case {case_id}: RMAs differ"

    @invariant()
    def replay_gives_the_same_views(self) -> None:
        replayed = self.open_desk(self.location) if self.replays_on_a_new_desk else None
        for case_id, _, view in self._each():
            history = self.desk.history(case_id)
            assert CaseView.of(fold(history), history) == view, f"case {case_id}: replay"
            if replayed is not None:
                assert replayed.case(case_id) == view, f"case {case_id}: a new desk differs"
        if replayed is not None:
            assert list(replayed.case_ids()) == list(self.desk.case_ids())
            replayed.close()

    @invariant()
    def snapshots_change_no_answer(self) -> None:
        for case_id, _, view in self._each():
            history = self.desk.history(case_id)
            state = self.desk._load(case_id).state
            assert state == fold(history), f"case {case_id}: loaded state differs from fold"
            assert CaseView.of(state, history) == view, f"case {case_id}: loaded view differs"

    @invariant()
    def recorded_decisions_stand(self) -> None:
        for case_id, _, view in self._each():
            recorded = [
                value
                for event in view.events
                for value in vars(event).values()
                if isinstance(value, PolicyDecision)
            ]
            for kind, decision in view.decisions.items():
                assert decision in recorded, f"case {case_id}: {kind} decision was not recorded"

    def teardown(self) -> None:
        self.desk.close()


class SQLiteCaseDeskMachine(CaseDeskMachine):
    """:class:`CaseDeskMachine` on a SQLite file in a temporary folder: every step a new
    desk on the same file must answer as the desk that recorded."""

    def new_store(self) -> str:
        self._folder = tempfile.mkdtemp(prefix="casehistory-machine-")
        return f"{self._folder}/cases.sqlite"

    def teardown(self) -> None:
        super().teardown()
        shutil.rmtree(self._folder, ignore_errors=True)
