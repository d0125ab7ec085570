"""What a step of a :class:`~casehistory.testing.CaseDeskMachine` does on its desk, once
its rule has chosen: open a case, make a command the case must accept, or one the desk
must refuse, with the checks each makes at once (one event recorded, along the
transition table; a refusal recording nothing) and the hooks it calls.

A base class of the machine, as :mod:`casehistory.testing._machine_invariants` is: the
machine keeps its rule (what a step chooses), its extension points and the replay of a
printed run; the effects of a step, which the replay makes too, are here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
from hypothesis import strategies as st

from casehistory.domain import lifecycle
from casehistory.errors import CaseHistoryError
from casehistory.testing._case_checks import CheckedCase
from casehistory.testing._commands import Command
from casehistory.testing._machine_draws import opening_from, refusal_from
from casehistory.testing._machine_replay import apply_later
from casehistory.testing._machine_steering import Course, course_from, row_reader, steered_command
from casehistory.testing._model import CaseModel
from casehistory.testing._printing import Step
from casehistory.views import CaseView

if TYPE_CHECKING:
    from casehistory.desk import CaseDesk
    from casehistory.testing._machine_clock import MachineClock

__all__ = ["MachineActions"]


class MachineActions:
    """The effects of the machine's steps, as a base class of it (see the module docs)."""

    desk: CaseDesk
    cases: dict[UUID, CaseModel]
    clock: MachineClock
    _views: dict[UUID, CaseView]
    _courses: dict[UUID, Course]
    _checked: dict[UUID, CheckedCase]
    _changed: tuple[UUID, ...]
    _script: list[Step]

    if TYPE_CHECKING:

        def view(self, case_id: UUID) -> CaseView: ...

        def second_desk(self) -> CaseDesk: ...

        def on_opened(self, case_id: UUID) -> None: ...

        def on_recorded(self, case_id: UUID, command: Command) -> None: ...

        def on_refused(
            self, case_id: UUID, command: Command, error: type[CaseHistoryError]
        ) -> None: ...

        def _checked_state(self, case_id: UUID) -> CheckedCase: ...

    def _open(self, data: Any, numbers: Sequence[int]) -> None:
        draw = row_reader(data, numbers[3:])
        opening = opening_from(draw)
        self._open_with(opening, course_from(draw))

    def _open_with(self, opening: dict[str, Any], course: Course | None = None) -> UUID:
        step = Step("open", None, Command("open_case", opening))
        self._script.append(step)
        case_id = self.desk.open_case(**opening)
        step.case_id = case_id
        self.cases[case_id] = CaseModel.of_opening(opening)
        self._courses[case_id] = course or Course()
        self._checked[case_id] = CheckedCase(case_id)
        self._changed = (case_id,)
        self.on_opened(case_id)
        return case_id

    def _model_of(self, case_id: UUID) -> CaseModel:
        """The model of the case a step works on, its links naming the other cases."""
        self._changed = (case_id,)
        others = tuple(other for other in self.cases if other != case_id)
        return attrs.evolve(self.cases[case_id], link_targets=others)

    def _took(self, case_id: UUID, model: CaseModel, command: Command, before: CaseView) -> None:
        """The desk recorded ``command``: one event, following the transition table."""
        self._views.pop(case_id, None)
        self.cases[case_id] = model.after(command)
        self._courses[case_id] = self._courses[case_id].after(command, self.cases[case_id])
        after = self.view(case_id)
        assert after.version == before.version + 1, (
            f"{command!r} took case {case_id} from version {before.version} to {after.version}"
        )
        event = self._checked_state(case_id).events[-1]  # as stored, not as the view reads
        row = lifecycle.TRANSITIONS[event.lifecycle_key]
        assert before.status in row, (
            f"{event.lifecycle_key} was recorded in {before.status.name}, which the "
            f"transition table does not allow"
        )
        assert row[before.status] is after.status, (
            f"{event.lifecycle_key} took the case from {before.status.name} to "
            f"{after.status.name}; the transition table says {row[before.status].name}"
        )
        self.on_recorded(case_id, command)

    def _accepted(self, data: Any, numbers: Sequence[int], case_id: UUID, model: CaseModel) -> None:
        """A command the case must accept, steered by the case's course."""
        command = steered_command(data, numbers, model, self._courses[case_id])
        self._script.append(Step("accepted", case_id, command))
        before = self.view(case_id)
        command.apply(self.desk, case_id)
        self._took(case_id, model, command, before)

    def _refuses(
        self, case_id: UUID, command: Command, error: type[CaseHistoryError], *, then: int = 0
    ) -> None:
        """The desk refuses ``command`` with ``error``, recording nothing (``then`` is the
        number of events another writer recorded meanwhile)."""
        before = self.view(case_id)
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
            self.clock.disarm()  # whatever happened, the next command reads the time as usual
            self._views.pop(case_id, None)
        after = self.view(case_id)
        assert after.version == before.version + then, f"{command!r} was refused but recorded"
        if not then:
            assert after == before, f"{command!r} was refused but changed the view"
        self.on_refused(case_id, command, error)

    def _refused(self, draw: st.DrawFn, case_id: UUID, model: CaseModel) -> None:
        """A command the desk must refuse: one that breaks a rule of the desk, or one the
        case accepts but the store refuses (the desk's clock turned back to before the
        case's last event, or another writer recording on the case first)."""
        refusal = refusal_from(draw, model)
        self._script.append(Step("refused", case_id, refusal.command, refusal))
        if refusal.back_seconds is not None:
            before = self.view(case_id)
            self.clock.turn_back_once(
                before.last_recorded_at - timedelta(seconds=refusal.back_seconds)
            )
        elif refusal.first is not None:
            before = self.view(case_id)
            self.clock.before_next_reading(apply_later(refusal.first, self.second_desk(), case_id))
            self._refuses(case_id, refusal.command, refusal.error, then=1)
            self._took(case_id, model, refusal.first, before)
            return
        self._refuses(case_id, refusal.command, refusal.error)
