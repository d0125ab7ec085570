"""What a :class:`~casehistory.testing.CaseDeskMachine` draws besides the commands: the
cases it opens, the case each step works on, and how the store refuses a command.

The machine draws for speed of shrinking first: every choice is one whose range does not
change when the shrinker changes an earlier step, and each opening takes few choices.
Values of every kind (unicode names, products with serials and order ids) are drawn by
:func:`~casehistory.testing.strategies.case_histories`; the machine needs cases of a few
kinds, opened often.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import Any

import attrs
from hypothesis import strategies as st

from casehistory.domain.values import Channel, Customer, Product
from casehistory.errors import CaseHistoryError, ConcurrentUpdate, StoreTimeWentBackwards
from casehistory.testing._commands import Command
from casehistory.testing._model import CaseModel
from casehistory.testing._refusals import draw_refusal
from casehistory.testing._rules import RIGHTS
from casehistory.testing._steps import Step, draw_in, draw_when, one_of, stable_pick, tickets
from casehistory.testing._values import actors, money
from casehistory.testing._vocabulary import STEPS

__all__ = [
    "NEW_CASE",
    "Refusal",
    "command_from",
    "opening_from",
    "place_of",
    "refusal_from",
    "refusals",
]

_CUSTOMERS = (
    Customer("C-1", "Dana Reyes"),
    Customer("C-2", "Zoë Łukasiewicz", "zoe@example.com"),
    Customer("C-3", "王小明"),
)
_SUBJECTS = ("Laptop will not charge", "Refund for a late order", "Return the headphones")
_ITEMS = (("LAP-13", "Laptop 13"), ("HP-2", "Headphones"))
_PURCHASED = st.dates(date(2025, 6, 1), date(2026, 10, 1))
_DELIVERY_DAYS = st.none() | st.integers(0, 10)
_CHANNELS = st.sampled_from(Channel)
_OPENERS = actors(RIGHTS["CaseOpened"])
_PRICES = money()


def opening_from(draw: st.DrawFn) -> dict[str, Any]:
    """The keyword arguments of ``open_case`` for a case the machine opens, drawn with
    ``draw`` (Hypothesis's, or a ``_raw`` reader over a step's row)."""
    opening: dict[str, Any] = {
        "customer": one_of(draw, _CUSTOMERS),
        "subject": one_of(draw, _SUBJECTS),
        "channel": draw(_CHANNELS),
    }
    if draw(st.booleans()):  # with a product: the policies have something to decide
        sku, name = one_of(draw, _ITEMS)
        purchased, days = draw(_PURCHASED), draw(_DELIVERY_DAYS)
        delivered = None if days is None else purchased + timedelta(days=days)
        opening["product"] = Product(sku, name, purchased, draw(_PRICES), delivered_on=delivered)
    return {**opening, "by": draw(_OPENERS), "occurred_at": draw_when(draw)}


NEW_CASE = st.composite(opening_from)()
"""The keyword arguments of ``open_case`` for a case the machine opens."""

_BACK = st.integers(1, 86_400)  # seconds: still after every business time drawn
_REFUSED_BY = st.integers(0, 9).map(
    lambda n: "the clock" if n == 8 else "another writer" if n == 9 else "a rule"
)


@attrs.frozen
class Refusal:
    """What a refusing step does: ``command`` must raise ``error``. Refused by a rule of
    the desk, or by the store: the clock turned back ``back_seconds`` before the case's
    last event, or another writer recording ``first`` on the case in between."""

    command: Command
    error: type[CaseHistoryError]
    back_seconds: int | None = None
    first: Command | None = None

    def __repr__(self) -> str:
        if self.first is not None:
            return f"another writer's {self.first!r}, then {self.command!r}: {self.error.__name__}"
        if self.back_seconds is not None:
            return (
                f"{self.command!r} at a clock turned back {self.back_seconds} s: "
                f"{self.error.__name__}"
            )
        return f"{self.command!r}: {self.error.__name__}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def refusal_from(draw: st.DrawFn, model: CaseModel) -> Refusal:
    """A :class:`Refusal` on the case ``model`` describes, drawn with ``draw``
    (Hypothesis's, or a ``_raw`` reader over a step's row)."""
    by = draw(_REFUSED_BY)
    if by == "a rule":
        return Refusal(*draw_refusal(draw, model))
    command = command_from(draw, model)
    if by == "the clock":
        return Refusal(command, StoreTimeWentBackwards, back_seconds=draw(_BACK))
    return Refusal(command, ConcurrentUpdate, first=command_from(draw, model))


_ALL_TICKETS = tickets(STEPS)


def _enabled(model: CaseModel, step: Step) -> bool:
    return model.allows(step.key) and (step.ready is None or step.ready(model))


def command_from(draw: st.DrawFn, model: CaseModel) -> Command:
    """A command the case ``model`` describes must accept, drawn as
    :func:`~casehistory.testing.strategies.next_command` draws it."""
    step = stable_pick(draw, _ALL_TICKETS, functools.partial(_enabled, model))
    return draw_in(draw, step, model, draw_when(draw))


_refusals = st.composite(refusal_from)


def refusals(model: CaseModel) -> st.SearchStrategy[Refusal]:
    """A command the case ``model`` describes must see refused: one that breaks a rule
    of the desk (mostly), or one it accepts but the store refuses. One span of choices,
    so that the shrinker, lowering the step's case to none, can delete it whole."""
    return _refusals(model)


def place_of(cases: int, n: int) -> int | None:
    """The place of the case a step works on (0: the first opened) among ``cases``,
    named by ``n`` (0 to 255), or None, rarely and as the simplest value: a step that
    does nothing.

    Why a step may do nothing: Hypothesis's shrinker lowers the choices of a step it
    cannot delete, to a note at best, so that each step before the failing one stayed
    in the counterexample as a note. A step lowered to nothing is then deleted. The
    range drawn from does not depend on the number of cases, so that a value keeps
    naming a case (most often the same one) when the shrinker removes a case opened
    earlier; two steps in three work on the first case, so that it gets somewhere."""
    if n == 0:
        return None
    if cases == 1 or n % 3:
        return 0
    return 1 + (n // 3) % (cases - 1)
