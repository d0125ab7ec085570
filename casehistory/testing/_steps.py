"""One step of a history: a kind of command, its argument strategies, and how a command
of that kind is drawn, free or narrowed by the model of the case.

Each :class:`Step` names a lifecycle row and the desk method that records it, with a
strategy per argument (well-typed, actors the rights table allows). Where the state of
the case narrows an argument (the RMA at the right stage, a refund within what was
paid, a decider who did not ask), ``narrow`` draws it from the model instead, and
``ready`` says whether the model offers anything to draw from at all. The steps
themselves, one per lifecycle row, are in :mod:`casehistory.testing._vocabulary`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st

from casehistory.domain.values import Actor, Role
from casehistory.testing._commands import EVENT_OF, Command
from casehistory.testing._model import CaseModel
from casehistory.testing._rules import RIGHTS
from casehistory.testing._values import (
    FIRST_INSTANT,
    LAST_INSTANT,
    actors,
    epoch_seconds,
    instants,
    packed_instants,
    unpack_instant,
)

__all__ = [
    "Narrow",
    "Step",
    "by_strategy",
    "command",
    "draw_free",
    "draw_in",
    "draw_when",
    "new_name",
    "one_of",
    "when_strategy",
]

when_strategy = instants()
_FIRST = epoch_seconds(FIRST_INSTANT)
_WHEN = packed_instants(_FIRST, epoch_seconds(LAST_INSTANT))


def draw_when(draw: st.DrawFn) -> datetime:
    """A business time as :func:`instants` draws it, in one draw (a history makes many)."""
    return unpack_instant(_FIRST, draw(_WHEN))


_T = TypeVar("_T")
Narrow = Callable[[st.DrawFn, CaseModel, datetime], dict[str, Any]]


def by_strategy(event: str, *, customer: bool = False) -> st.SearchStrategy[Actor]:
    """The cast members whose role may record ``event`` (the customer only if ``customer``)."""
    roles = set(RIGHTS[event]) - (set() if customer else {Role.CUSTOMER})
    return actors(roles)


@attrs.frozen
class Step:
    """A kind of command: its lifecycle row, desk method and argument strategies."""

    key: str
    method: str
    args: Mapping[str, st.SearchStrategy[Any]]
    by: st.SearchStrategy[Actor]
    narrow: Narrow | None = None
    ready: Callable[[CaseModel], bool] | None = None  # None: always, where the table allows
    weight: int | Callable[[CaseModel], int] = 1  # tickets in the draw (see draw_next)

    @property
    def event(self) -> str:
        return EVENT_OF[self.method]

    @property
    def table_only(self) -> bool:
        """Whether the table is the only rule that can refuse it (the model is always ready)."""
        return self.ready is None


def command(method: str, kwargs: Mapping[str, Any]) -> Command:
    """A command, leaving out the arguments that equal the desk's defaults."""
    kept = {
        name: value
        for name, value in kwargs.items()
        if value is not None and not (name == "awaiting_reply" and value is False)
    }
    return Command(method, kept)


def _draw_args(draw: st.DrawFn, step: Step, when: datetime, narrowed: Mapping[str, Any]) -> Command:
    kwargs = {
        name: narrowed[name] if name in narrowed else draw(strategy)
        for name, strategy in step.args.items()
    }
    kwargs["by"] = narrowed["by"] if "by" in narrowed else draw(step.by)
    kwargs["occurred_at"] = when
    return command(step.method, kwargs)


def draw_free(draw: st.DrawFn, step: Step, **fixed: Any) -> Command:
    """A well-typed command of ``step``, whatever the case; ``fixed`` arguments win."""
    when = fixed.pop("occurred_at") if "occurred_at" in fixed else draw_when(draw)
    return _draw_args(draw, step, when, fixed)


def draw_in(draw: st.DrawFn, step: Step, model: CaseModel, when: datetime) -> Command:
    """A command of ``step`` with the arguments the model narrows drawn from it."""
    return _draw_args(draw, step, when, step.narrow(draw, model, when) if step.narrow else {})


@functools.cache
def _index(size: int) -> st.SearchStrategy[int]:
    return st.integers(0, size - 1)


def one_of(draw: st.DrawFn, choices: Sequence[_T]) -> _T:
    """One of ``choices``, shrinking towards the first; as ``sampled_from``, but the
    strategy for each size is made once (a history draws hundreds of these)."""
    return choices[draw(_index(len(choices)))]


def new_name(prefix: str, taken: Iterable[str]) -> str:
    """``prefix-1``, ``prefix-2``, ...: the first one not ``taken``."""
    taken = set(taken)
    return next(f"{prefix}-{n}" for n in range(1, len(taken) + 2) if f"{prefix}-{n}" not in taken)
