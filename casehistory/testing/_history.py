"""A drawn case history: the opening, the commands, and what the model expects of them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs

from casehistory.domain.lifecycle import Status
from casehistory.testing._commands import OTHER_CASE, Command
from casehistory.testing._model import CaseModel
from casehistory.views.ledger import Ledger

if TYPE_CHECKING:
    from casehistory.desk import CaseDesk

__all__ = ["CaseHistory"]


def _commands(value: Iterable[Command]) -> tuple[Command, ...]:
    return tuple(value)


@attrs.frozen
class CaseHistory:
    """A case to open and the commands that follow, each accepted by the desk in turn.

    ``str()`` and ``repr()`` print it as the Python that replays it, one command a line
    (``other`` is the case's companion, opened when a command first links to it)::

        case = desk.open_case(customer=Customer('0', '0'), subject='0', ...)
        desk.assign_agent(case, agent=Actor('a.lee', Role.AGENT), by=..., occurred_at=...)
        desk.record_payment(case, amount=Money('12.50', 'EUR'), reference='0', ...)

    ``model`` is the :class:`CaseModel` after the last command: what the desk must
    answer (status, version, ledger per currency, holds, escalations, RMAs).
    """

    opening: Mapping[str, Any] = attrs.field(converter=dict)
    commands: tuple[Command, ...] = attrs.field(converter=_commands)
    model: CaseModel = attrs.field(eq=False)

    @property
    def links_other_case(self) -> bool:
        """Whether a command links to :data:`OTHER_CASE`, the companion of the case."""
        return any(OTHER_CASE in command.kwargs.values() for command in self.commands)

    @property
    def status(self) -> Status:
        """The status the case must end in (``model.status``)."""
        return self.model.status

    @property
    def ledger(self) -> Ledger:
        """The ledger the case must end with (``model.ledger``), as ``view.ledger`` shows
        it: each total a :class:`~casehistory.Money`."""
        return Ledger.of(self.model.ledger)

    def models(self) -> Iterator[CaseModel]:
        """The model after the opening and after each command: ``len(commands) + 1`` of them."""
        model = CaseModel.of_opening(self.opening, (OTHER_CASE,))
        yield model
        for command in self.commands:
            model = model.after(command)
            yield model

    def apply(self, desk: CaseDesk) -> UUID:
        """Open the case on ``desk`` (with a new id), run every command, return the id.

        The desk must decide with the default :class:`~casehistory.Policies` and have a
        clock at or after every business time, e.g. ``SteppingClock(CLOCK_START)``.
        A link opens the case's companion, the other case it links to, on first use.
        """
        case_id = desk.open_case(**self.opening)
        for command in self.commands:
            command.apply(desk, case_id)
        return case_id

    def __str__(self) -> str:
        from casehistory.testing._printing import replayed_test

        return replayed_test(self, None, None)

    @classmethod
    def from_case(cls, desk: CaseDesk, case_id: UUID) -> CaseHistory:
        """The history that rebuilds case ``case_id`` stored on ``desk``: its opening and
        one command per recorded event, read back through the vocabulary
        (:data:`~casehistory.domain.declarations.COMMAND_OF`), with each event's
        arguments, actor and business time, and each text as the desk shows it (a sealed
        text opened; ``[erased]`` where the customer was forgotten, so the rebuilt case
        answers ``[erased]`` too).

        What it returns is a :class:`~casehistory.testing._from_case.RebuiltHistory`:
        the case keeps its stored id; each case it links to is opened with its own
        stored opening and id just before the first link to it (its later events are
        not rebuilt: a link needs only its target to exist); a ``CustomerForgotten``
        becomes ``desk.forget_customer`` at the same point. ``apply`` makes the calls on
        another desk, and :func:`~casehistory.testing.testcase_source` prints them as a
        pytest module. ``model`` is the toolkit's model after them (it raises
        ``ValueError`` where the events break the lifecycle table, i.e. were written
        beneath the desk).

        Raises :class:`~casehistory.InvalidInput` for an id that is no UUID and
        :class:`~casehistory.CaseNotFound` for a case, or a linked case, not on ``desk``.
        """
        from casehistory.testing._from_case import rebuild

        return rebuild(desk, case_id)

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis's pretty printer. Printing a failing example, it gets one line, and
        # the test to paste (which runs the failing test on these calls) is a note of its
        # own; anywhere else, the test to paste, on lines of their own.
        from casehistory.testing._printing import (
            BEGIN,
            END,
            history_argument,
            replayed_test,
            test_under_way,
        )

        test, final = test_under_way()
        if final:
            from hypothesis import note
            from hypothesis.control import current_build_context

            context = current_build_context()
            noted: set[int] = context.__dict__.setdefault("_casehistory_noted", set())
            if id(self) not in noted:
                noted.add(id(self))
                note(f"{BEGIN}\n{replayed_test(self, test, history_argument(test))}{END}")
            printer.text(f"CaseHistory({len(self.commands)} commands: the test to paste is above)")
            return
        printer.text(f"CaseHistory({len(self.commands)} commands):")
        for line in str(self).splitlines():
            printer.break_()
            printer.text(f"    {line}" if line else "")
