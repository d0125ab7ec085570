"""One step of a history: a kind of command, its argument strategies, and how a command
of that kind is drawn, free or narrowed by the model of the case.

Each :class:`Step` names a lifecycle row and the desk method that records it, with a
strategy per argument (well-typed, actors the rights table allows). Where the state of
the case narrows an argument (the RMA at the right stage, a refund within what was
paid, a decider who did not ask), ``narrow`` draws it from the model instead, and
``ready`` says whether the model offers anything to draw from at all. The steps
themselves, one per lifecycle row, are in :mod:`casehistory.testing._vocabulary`.

:func:`stable_choice` is how a step (or a refusal rule) is chosen: so that one drawn
value names the same step whatever came before it, which lets the shrinker delete an
earlier command without changing the later ones.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

import attrs
from hypothesis import strategies as st

from casehistory.domain.values import Actor, Channel, Role
from casehistory.testing._commands import EVENT_OF, Command
from casehistory.testing._model import CaseModel
from casehistory.testing._rules import RIGHTS
from casehistory.testing._values import (
    FIRST_INSTANT,
    LAST_INSTANT,
    ZONES,
    actors,
    draw_customer,
    draw_product,
    epoch_seconds,
    instants,
    packed_instants,
    texts,
    unpack_instant,
)

__all__ = [
    "WHEN_MAX",
    "Narrow",
    "Step",
    "by_strategy",
    "command",
    "draw_free",
    "draw_opening",
    "draw_in",
    "draw_when",
    "index",
    "new_name",
    "one_of",
    "stable_choice",
    "stable_pick",
    "walk_from",
    "tickets",
    "when_strategy",
]

when_strategy = instants()
_FIRST = epoch_seconds(FIRST_INSTANT)
_WHEN = packed_instants(_FIRST, epoch_seconds(LAST_INSTANT))
WHEN_MAX = (epoch_seconds(LAST_INSTANT) - _FIRST + 1) * len(ZONES) - 1
"""The largest number :func:`draw_when` draws (a number a second and zone)."""


def draw_when(draw: st.DrawFn) -> datetime:
    """A business time as :func:`instants` draws it, in one draw (a history makes many)."""
    return unpack_instant(_FIRST, draw(_WHEN))


_T = TypeVar("_T")
Narrow = Callable[[st.DrawFn, CaseModel, datetime], dict[str, Any]]


@functools.cache
def by_strategy(event: str, *, customer: bool = False) -> st.SearchStrategy[Actor]:
    """The cast members whose role may record ``event`` (the customer only if ``customer``);
    built once per event (a history draws from it at every step)."""
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
    weight: int = 1  # tickets in the draw (see stable_choice)

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


_CHANNELS = st.sampled_from(Channel)
_HAS_PRODUCT = st.booleans()
_OPENERS = actors(RIGHTS["CaseOpened"])


def draw_opening(draw: st.DrawFn, when: datetime | None = None) -> dict[str, Any]:
    """The keyword arguments of ``open_case``: drawn facts, a product or none, at ``when``
    (or a drawn business time). Each field one choice (see ``_raw``); a product's fields
    are drawn whether or not it has one, so the choices after them stay in place."""
    customer = draw_customer(draw)
    subject = draw(texts)
    channel = draw(_CHANNELS)
    has_product = draw(_HAS_PRODUCT)
    product = draw_product(draw)
    opening = {
        "customer": customer,
        "subject": subject,
        "channel": channel,
        "product": product if has_product else None,
        "by": draw(_OPENERS),
        "occurred_at": when or draw_when(draw),
    }
    return {name: value for name, value in opening.items() if value is not None}


def draw_in(
    draw: st.DrawFn,
    step: Step,
    model: CaseModel,
    when: datetime,
    fixed: Mapping[str, Any] | None = None,
) -> Command:
    """A command of ``step`` with the arguments the model narrows drawn from it, no
    earlier than the case's opening (rules 2), a customer speaking as the case's own;
    ``fixed`` arguments win over drawn ones (a plan's, e.g. the target of an escalation)."""
    when = model.in_bounds(when)
    narrowed = dict(step.narrow(draw, model, when)) if step.narrow else {}
    narrowed.update(fixed or {})
    drawn = _draw_args(draw, step, when, narrowed)
    by = drawn.kwargs.get("by")
    if isinstance(by, Actor) and by.role is Role.CUSTOMER and model.customer_id is not None:
        return command(step.method, {**drawn.kwargs, "by": Actor(model.customer_id, Role.CUSTOMER)})
    return drawn


_SPAN = 1024
_CHOICE = st.integers(0, _SPAN - 1)


@functools.cache
def _wide(size: int) -> st.SearchStrategy[int]:
    return st.integers(0, size - 1)


def index(draw: st.DrawFn, size: int) -> int:
    """``0`` to ``size - 1``, shrinking towards 0.

    Drawn as a number from a range that does not depend on ``size`` (taken modulo it),
    so that when the shrinker changes an earlier command, and with it how many choices
    there are here (RMAs, holds, steps the case allows), the value drawn still fits:
    Hypothesis would otherwise count the example as misaligned and fill the rest of it
    with new random steps, each shrink attempt a run of its own."""
    if size > _SPAN:
        return draw(_wide(size))
    return draw(_CHOICE) % size


def one_of(draw: st.DrawFn, choices: Sequence[_T]) -> _T:
    """One of ``choices``, shrinking towards the first (see :func:`index`)."""
    return choices[index(draw, len(choices))]


class _Weighted(Protocol):
    @property
    def weight(self) -> int: ...


_W = TypeVar("_W", bound=_Weighted)


def tickets(items: Iterable[_W], *, heaviest_first: bool = False) -> tuple[_W, ...]:
    """Each item ``weight`` times, in order (or the heaviest first): what
    :func:`stable_choice` draws from."""
    if heaviest_first:
        items = sorted(items, key=lambda item: -item.weight)  # stable: in order otherwise
    return tuple(item for item in items for _ in range(item.weight))


_WALKS: dict[int, tuple[Sequence[Any], tuple[Any, ...]]] = {}


def _walk(all_tickets: Sequence[_T]) -> tuple[_T, ...]:
    """``all_tickets`` heaviest first (stable): the order :func:`stable_choice` walks
    (kept per list: the lists are module constants)."""
    found = _WALKS.get(id(all_tickets))
    if found is None or found[0] is not all_tickets:
        walk = tuple(sorted(all_tickets, key=lambda item: -getattr(item, "weight", 1)))
        found = _WALKS[id(all_tickets)] = (all_tickets, walk)
    return found[1]


def stable_choice(draw: st.DrawFn, all_tickets: Sequence[_T], allowed: Sequence[_T]) -> _T:
    """One of ``allowed``, about in proportion to its tickets among ``all_tickets``.

    Always two draws, each a ticket among all of them (a fixed list, so a value names
    the same item whatever the state): the first is kept if its item is allowed now;
    else the first allowed item at or after the second, walking the tickets heaviest
    first. A command kept by the first draw stays the same command when the shrinker
    deletes the commands before it; one found by the walk mostly does too (it changes
    only if a step between the two became allowed or not). The number of draws never
    changes, and the shrinker lowers the first draw to the first ticket (the simplest
    item).

    The walk starts from the heaviest: Hypothesis draws the simplest value of a choice
    far more often than its share (a fifth of the draws of a state machine), which
    should then move a case on, not add one more note. ``allowed`` may come in any
    order."""
    first = one_of(draw, all_tickets)
    start = index(draw, len(all_tickets))
    if any(first is item for item in allowed):
        return first
    walk = _walk(all_tickets)
    ids = {id(item) for item in allowed}
    size = len(walk)
    for k in range(size):
        item = walk[(start + k) % size]
        if id(item) in ids:
            return item
    return allowed[start % len(allowed)]


def stable_pick(draw: st.DrawFn, all_tickets: Sequence[_T], allowed: Callable[[_T], bool]) -> _T:
    """As :func:`stable_choice`, in one draw, asking ``allowed`` of as few items as it
    can: the ticket drawn, kept if its item is allowed now, else the first allowed item
    after it, walking the tickets heaviest first. One value names the same step in any
    state that allows it; the shrinker lowers it to the first ticket (the simplest
    item). Something must be allowed."""
    first = one_of(draw, all_tickets)
    return first if allowed(first) else walk_from(all_tickets, first, allowed)


def walk_from(all_tickets: Sequence[_T], first: _T, allowed: Callable[[_T], bool]) -> _T:
    """The first allowed item after ``first``, walking ``all_tickets`` heaviest first."""
    walk = _walk(all_tickets)
    size = len(walk)
    start = _position(all_tickets, first)
    for k in range(1, size):
        item = walk[(start + k) % size]
        if item is not first and allowed(item):
            return item
    raise ValueError("nothing is allowed")


_POSITIONS: dict[int, tuple[Sequence[Any], dict[int, int]]] = {}


def _position(all_tickets: Sequence[Any], item: Any) -> int:
    """Where ``item``'s tickets start in the walk of ``all_tickets``."""
    found = _POSITIONS.get(id(all_tickets))
    if found is None or found[0] is not all_tickets:
        first: dict[int, int] = {}
        for at, each in enumerate(_walk(all_tickets)):
            first.setdefault(id(each), at)
        found = _POSITIONS[id(all_tickets)] = (all_tickets, first)
    return found[1][id(item)]


def new_name(prefix: str, taken: Iterable[str]) -> str:
    """``prefix-1``, ``prefix-2``, ...: the first one not ``taken``."""
    taken = set(taken)
    return next(f"{prefix}-{n}" for n in range(1, len(taken) + 2) if f"{prefix}-{n}" not in taken)
