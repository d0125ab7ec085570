"""The invariants a :class:`~casehistory.testing.CaseDeskMachine` checks after every step,
on the cases the step worked on (the others have not changed), folding only the events
the step recorded (see :mod:`casehistory.testing._case_checks`)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from hypothesis.stateful import invariant

from casehistory.testing._case_checks import CheckedCase
from casehistory.views import CaseView
from casehistory.views.ledger import Ledger

if TYPE_CHECKING:
    from casehistory.desk import CaseDesk
    from casehistory.testing._model import CaseModel

__all__ = ["DeskInvariants"]


class DeskInvariants:
    """The machine's invariants, as a base class of it (Hypothesis collects the
    ``@invariant()`` methods of every class a machine inherits)."""

    desk: CaseDesk
    cases: dict[UUID, CaseModel]
    _changed: tuple[UUID, ...]
    _checked: dict[UUID, CheckedCase]
    _snapshots_checked: dict[UUID, int]

    if TYPE_CHECKING:

        def view(self, case_id: UUID) -> CaseView: ...

        def second_desk(self) -> CaseDesk: ...

        @property
        def replays_on_a_new_desk(self) -> bool: ...

    def _checked_state(self, case_id: UUID) -> CheckedCase:
        """What was checked of the case, its stored rows taken in once since the desk's
        view of it was last read (a step that worked on it reads it again)."""
        checked = self._checked[case_id]
        checked.take_in(self.desk, self.view(case_id))
        return checked

    @invariant()
    def status_follows_the_table(self) -> None:
        for case_id in self._changed:
            model, view = self.cases[case_id], self.view(case_id)
            assert view.status is model.status, (
                f"case {case_id} is {view.status.name}; the table leads to {model.status.name}"
            )
            assert view.version == model.version, f"case {case_id}: version {view.version}"

    @invariant()
    def money_is_conserved(self) -> None:
        for case_id in self._changed:
            model, view = self.cases[case_id], self.view(case_id)
            for currency, balance in view.ledger.balances.items():
                assert balance.refundable.amount >= 0, f"{currency}: refunded > paid"
                assert balance.on_hold.amount >= 0, f"{currency}: released > held"
            assert view.ledger == Ledger.of(model.ledger), f"case {case_id}: ledger differs"
            assert view.open_holds == model.open_holds, f"case {case_id}: open holds differ"
            assert view.escalations == model.escalations, f"case {case_id}: escalations"
            assert view.rmas == tuple(model.rmas.values()), f"case {case_id}: RMAs differ"

    @invariant()
    def replay_gives_the_same_views(self) -> None:
        for case_id in self._changed:
            view, checked = self.view(case_id), self._checked_state(case_id)
            assert checked.state is not None
            assert len(view.events) == len(checked.events), (
                f"case {case_id}: the view folds {len(view.events)} events, the store holds "
                f"{len(checked.events)}"
            )
            if checked.replayed is None or checked.replayed != view:
                assert CaseView.of(checked.state, checked.events) == view, f"case {case_id}: replay"
                checked.replayed = view
            if self.replays_on_a_new_desk:
                second = self.second_desk()
                assert second.case(case_id) == view, f"case {case_id}: a second desk differs"
                assert list(second.case_ids()) == list(self.desk.case_ids()), (
                    "a second desk lists other cases"
                )

    @invariant()
    def snapshots_change_no_answer(self) -> None:
        # The cases loaded again through the stored snapshots' bytes (not the desk's
        # memory of the snapshots it wrote), once a step wrote a snapshot: the load then
        # starts from it. After a step that wrote none, the load starts from the same
        # snapshot, already checked equal to the fold, and folds the events after it,
        # as replay_gives_the_same_views checks folding onto a checked state gives the
        # view: loading it again would prove nothing more, at the price of a decode.
        every = self.desk._snapshot_every
        due = []
        for case_id in self._changed:
            version = self.view(case_id).version
            last = self._snapshots_checked.get(case_id, 0)
            if every is None or version // every > last // every:
                due.append(case_id)
            self._snapshots_checked[case_id] = version
        if not due:
            return
        # The due cases' snapshots only: after forget(), every other case's next
        # command would decode and check its snapshot again too (a run's other cases
        # made about a sixth of these decodes).
        checked = self.desk.snapshot_log._checked
        for key in [key for key in checked if key[0] in due]:
            del checked[key]
        for case_id in due:
            state = self.desk._load_stored(case_id).state  # never a cache's copy
            assert state == self._checked_state(case_id).state, (
                f"case {case_id}: loaded state differs from fold"
            )
            # Equal states may still differ in their dicts' order, which the view
            # shows (RMAs and holds in the order they were placed).
            view = self.view(case_id)
            events = self._checked_state(case_id).events
            assert CaseView.of(state, events) == view, f"case {case_id}: loaded view differs"

    @invariant()
    def recorded_decisions_stand(self) -> None:
        for case_id in self._changed:
            recorded = self._checked_state(case_id).recorded
            for kind, decision in self.view(case_id).decisions.items():
                assert decision in recorded, f"case {case_id}: {kind} decision was not recorded"
