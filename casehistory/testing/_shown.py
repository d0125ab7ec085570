"""Recorded values as a view shows them: each personal text as its text.

A personal text is recorded sealed (:class:`~casehistory.domain.sealed.Sealed`): a box
under the customer's key, never equal to the text it holds, and a different box on
every desk (each desk's store has keys of its own, and every seal a fresh nonce). A
check that compares what a desk recorded with what was drawn, with the model, or with
what another desk recorded compares what a view shows of it: :func:`as_shown` turns
every sealed text inside a value into that (its text, or ``[erased]`` once its key was
destroyed), and leaves every other value as it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import attrs

from casehistory.domain.sealed import Sealed, shown_text

__all__ = ["as_shown", "shown_fields"]


def as_shown(value: Any) -> Any:
    """``value`` with every :class:`Sealed` inside it (in attrs classes, dataclasses,
    mappings, tuples and lists, all the way down) replaced by what a view shows; the
    very same object where nothing inside it is sealed."""
    if isinstance(value, Sealed):
        return shown_text(value)
    if value is None or isinstance(value, str | bytes | int | float):
        return value
    if isinstance(value, Mapping):
        items = {key: as_shown(item) for key, item in value.items()}
        same = all(items[key] is item for key, item in value.items())
        return value if same else items
    if type(value) in (tuple, list):
        shown = [as_shown(item) for item in value]
        same = all(a is b for a, b in zip(shown, value, strict=True))
        return value if same else type(value)(shown)
    if attrs.has(type(value)):
        changed = {
            field.alias: shown
            for field in attrs.fields(type(value))
            if field.init
            and (shown := as_shown(getattr(value, field.name))) is not getattr(value, field.name)
        }
        return attrs.evolve(value, **changed) if changed else value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changed = {
            field.name: shown
            for field in dataclasses.fields(value)
            if field.init
            and (shown := as_shown(getattr(value, field.name))) is not getattr(value, field.name)
        }
        return dataclasses.replace(value, **changed) if changed else value
    return value


def shown_fields(event: object, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """An event's fields (but ``leave_out``) as a view shows them (:func:`as_shown`)."""
    return {name: as_shown(value) for name, value in vars(event).items() if name not in leave_out}
