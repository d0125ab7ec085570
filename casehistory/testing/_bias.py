"""How a history is steered without changing what its choices mean.

A slot of a history names its step by a ticket (see ``_histories._step_of``): the same
number names the same step whatever came before it, and a step the case does not allow
makes the slot empty. Steering (towards the steps the case allows, towards a plan's next
step, towards the arguments a plan needs) is done here, with the weights Hypothesis
draws a choice with (``_raw.Row.draw_biased``): they make the wanted numbers likely where
Hypothesis generates a choice, and are ignored where it replays or shrinks one. So a
shrunk history does not depend on the plan it was steered by: the shrinker deletes a
command by emptying its slot, drops the plan, and every other command stays as it was
(or vanishes, when it needed the one deleted).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from hypothesis.strategies import DrawFn

from casehistory.domain.lifecycle import Status
from casehistory.testing._model import CaseModel
from casehistory.testing._raw import Reader, decoder
from casehistory.testing._steps import Step, draw_in, tickets
from casehistory.testing._vocabulary import STEPS

__all__ = ["ALL_TICKETS", "PLAN_SHARE", "enabled", "ticket_of", "ticket_weights", "wishes"]

ALL_TICKETS: tuple[Step, ...] = tickets(STEPS)
"""What a slot's ticket names: each step ``weight`` times, in the vocabulary's order."""

_FIRST_TICKET: dict[str, int] = {}
for _at, _step in enumerate(ALL_TICKETS):
    _FIRST_TICKET.setdefault(_step.key, _at)

_SHARE = 0.99
"""The weight of the steps a case allows, in all (the rest: any ticket, uniformly)."""
PLAN_SHARE = 0.75
"""The weight of a plan's next step (three slots in four take it, as before)."""
_BY_STATUS: dict[Status, tuple[tuple[int, Step], ...]] = {}
_WEIGHTS: dict[tuple[tuple[int, ...], str | None], dict[int, float]] = {}
_MAX_CACHED = 4096


def ticket_of(key: str) -> int:
    """The number that names the step of lifecycle row ``key`` (its first ticket)."""
    return _FIRST_TICKET[key]


def _table_allows(model: CaseModel) -> tuple[tuple[int, Step], ...]:
    # The lifecycle table decides by status alone (CaseModel.allows).
    found = _BY_STATUS.get(model.status)
    if found is None:
        found = tuple((n, s) for n, s in enumerate(STEPS) if model.allows(s.key))
        _BY_STATUS[model.status] = found
    return found


def enabled(model: CaseModel) -> tuple[int, ...]:
    """The positions in ``STEPS`` of the steps the case takes now (table and model)."""
    return tuple(n for n, s in _table_allows(model) if s.ready is None or s.ready(model))


def ticket_weights(model: CaseModel, plan_key: str | None) -> dict[int, float]:
    """The weights of a slot's ticket: the steps the case takes now in proportion to
    their tickets (the first of each standing for all), ``PLAN_SHARE`` more for the
    plan's next step (``plan_key``, which the case must take), any ticket otherwise."""
    allowed = enabled(model)
    key = (allowed, plan_key)
    found = _WEIGHTS.get(key)
    if found is not None:
        return found
    total = sum(STEPS[n].weight for n in allowed)
    share = _SHARE - (PLAN_SHARE if plan_key is not None else 0.0)
    weights = {ticket_of(STEPS[n].key): share * STEPS[n].weight / total for n in allowed}
    if plan_key is not None:
        at = ticket_of(plan_key)
        weights[at] = weights.get(at, 0.0) + PLAN_SHARE
    if len(_WEIGHTS) > _MAX_CACHED:
        _WEIGHTS.clear()
    _WEIGHTS[key] = weights
    return weights


class _Probe(Reader):
    """A reader of zeros that notes which strategy each number is decoded with."""

    __slots__ = ("asked",)

    def __init__(self, size: int, start: int) -> None:
        super().__init__(None, [0] * size)
        self.position = start
        self.asked: list[tuple[int, object]] = []

    def __call__(self, strategy: Any) -> Any:
        if decoder(strategy) is None:
            raise LookupError(strategy)
        self.asked.append((self.position, strategy))
        return super().__call__(strategy)


def _number_for(strategy: Any, value: object) -> int | None:
    decode = decoder(strategy)
    if decode is None:
        return None
    return next((n for n in range(1024) if decode(n) == value), None)


def wishes(
    step: Step, model: CaseModel, when: datetime, fixed: Mapping[str, Any], size: int, start: int
) -> dict[int, int]:
    """Where a slot's numbers decode ``step``'s ``fixed`` arguments (the position in the
    slot's reader, from ``start`` where its arguments begin, of ``size`` numbers) and
    the number that decodes to each value: the weights that make a plan's step take
    the arguments it needs (the target of an escalation). Empty where it cannot tell."""
    probe = _Probe(size, start)
    try:
        draw_in(cast(DrawFn, probe), step, model, when)
    except LookupError:
        return {}
    strategies = {**step.args, "by": step.by}
    found: dict[int, int] = {}
    for name, value in fixed.items():
        wanted = strategies.get(name)
        at = next((p for p, s in probe.asked if s is wanted), None)
        number = None if at is None else _number_for(wanted, value)
        if at is not None and number is not None:
            found[at] = number
    return found
