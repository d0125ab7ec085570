"""The strategy of each argument of a command, derived from its domain method's
annotations: what a step draws unless the vocabulary narrows it.

A text is :data:`~casehistory.testing._values.texts`, an enum one of its members, money
:func:`~casehistory.testing._values.money`, a flag either, a date one of 2026 or 2027, a
case id any UUID, and ``X | None`` None or an ``X``. Types that need choosing (who may be
named, which number) have no default: the vocabulary writes them, or importing it fails
naming the argument.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Mapping
from datetime import date
from enum import Enum
from typing import Any
from uuid import UUID

from hypothesis import strategies as st

from casehistory.domain.case import Case
from casehistory.domain.declarations import COMMANDS, command_arguments
from casehistory.domain.values import Money
from casehistory.testing._values import money, texts

__all__ = ["argument_strategies", "strategy_for"]

_DATES = st.dates(date(2026, 1, 1), date(2027, 12, 31))
_SIMPLE: Mapping[type, st.SearchStrategy[Any]] = {
    str: texts,
    bool: st.booleans(),
    date: _DATES,
    UUID: st.uuids(),
}


def strategy_for(annotation: Any) -> st.SearchStrategy[Any] | None:
    """The default strategy of an argument annotated ``annotation``, or None if there
    is none (the vocabulary must write it)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        kinds = [a for a in typing.get_args(annotation) if a is not type(None)]
        inner = strategy_for(kinds[0]) if len(kinds) == 1 else None
        return None if inner is None else st.none() | inner
    if annotation in _SIMPLE:
        return _SIMPLE[annotation]
    if annotation is Money:
        return money()
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return st.sampled_from(annotation)
    return None


@functools.cache
def _hints(method: str) -> dict[str, Any]:
    return typing.get_type_hints(getattr(Case, COMMANDS[method].method))


def argument_strategies(
    method: str, written: Mapping[str, st.SearchStrategy[Any]]
) -> dict[str, st.SearchStrategy[Any]]:
    """Each argument of command ``method`` (in its signature's order, the order a step
    draws them) with its ``written`` strategy, else its default; raises ``TypeError``
    for an argument with neither, or a written one the command does not take."""
    hints = _hints(method)
    names = [p.name for p in command_arguments(COMMANDS[method])]
    unknown = sorted(set(written) - set(names))
    if unknown:
        raise TypeError(f"{method} takes no argument {', '.join(unknown)}")
    found: dict[str, st.SearchStrategy[Any]] = {}
    for name in names:
        strategy = written[name] if name in written else strategy_for(hints[name])
        if strategy is None:
            raise TypeError(
                f"{method}({name}: {hints[name]}) has no default strategy; write one in "
                "casehistory/testing/_vocabulary.py"
            )
        found[name] = strategy
    return found
