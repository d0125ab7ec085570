"""The desk a printed :class:`~casehistory.testing.CaseDeskMachine` run replays on.

A failing run prints a pytest function that calls ``with Machine.replay() as desk:``
and then one desk call a step; :class:`ReplayDesk` passes each call to the machine, which
makes it on its own desk and clock and checks its invariants after it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from uuid import UUID

from casehistory.desk import CaseDesk
from casehistory.testing._commands import EVENT_OF, Command

if TYPE_CHECKING:
    from casehistory.testing.machine import CaseDeskMachine

__all__ = ["ReplayDesk", "apply_later"]


class ReplayDesk:
    """The desk of a :meth:`CaseDeskMachine.replay`: each command goes through the
    machine (:meth:`CaseDeskMachine.replay_call`), which checks its invariants after it.

    Besides the desk's commands: ``turn_clock_back(case, seconds=n)`` makes the next
    command read a time ``n`` seconds before the case's last event (the store must
    refuse it), and ``with desk.another_writer() as other: other.<command>(case, ...)``
    has another writer record that command between the next command's load and save."""

    def __init__(self, machine: CaseDeskMachine) -> None:
        self.machine = machine
        self._back: int | None = None
        self._first: Command | None = None

    def open_case(self, **kwargs: Any) -> UUID:
        if "case_id" in kwargs:  # a second opening with a case's id: refused
            case_id: UUID = kwargs.pop("case_id")
            self._call(case_id, Command("open_case", kwargs))
            return case_id  # pragma: no cover  (the desk refuses it)
        case_id = self.machine._open_with(kwargs)
        self.machine.check_all_invariants()
        return case_id

    def __getattr__(self, method: str) -> Callable[..., None]:
        if method not in EVENT_OF:
            raise AttributeError(f"a replayed desk has no {method!r}")
        return lambda case_id, **kwargs: self._call(case_id, Command(method, kwargs))

    def turn_clock_back(self, case_id: UUID, *, seconds: int) -> None:
        """Turn the clock back ``seconds`` before case ``case_id``'s last event, for the
        next command only."""
        self._back = seconds

    @contextlib.contextmanager
    def another_writer(self) -> Iterator[_Writer]:
        """The command made in the block is another writer's, recorded between the
        next command's load and save."""
        writer = _Writer()
        yield writer
        self._first = writer.command

    def _call(self, case_id: UUID, command: Command) -> None:
        back, first, self._back, self._first = self._back, self._first, None, None
        self.machine.replay_call(case_id, command, back_seconds=back, first=first)


class _Writer:
    """Keeps the one command made on it."""

    command: Command | None = None

    def __getattr__(self, method: str) -> Callable[..., None]:
        if method not in EVENT_OF:
            raise AttributeError(method)

        def keep(case_id: UUID, **kwargs: Any) -> None:
            self.command = Command(method, kwargs)

        return keep


def apply_later(command: Command, desk: CaseDesk, case_id: UUID) -> Callable[[], None]:
    """``command`` on case ``case_id`` of ``desk``, to run later (as another writer)."""
    return lambda: command.apply(desk, case_id)
