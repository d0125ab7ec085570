"""The JSON transcodings of casehistory's values.

eventsourcing's JSON transcoder learns every value type of the domain here: attrs
classes are encoded field by field, enums by member name, dates as ISO strings.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from datetime import date
from enum import Enum
from typing import Any

import attrs
from eventsourcing.persistence import JSONTranscoder, Transcoding

from casehistory.domain import values
from casehistory.domain.ledger import Balance, Hold, Ledger
from casehistory.domain.lifecycle import Status
from casehistory.domain.policies import PolicyDecision
from casehistory.domain.sla import SlaTerms
from casehistory.domain.state import (
    CaseLink,
    CaseState,
    Escalation,
    EscalationOutcome,
    Rma,
    RmaStage,
)

__all__ = ["register_value_transcodings"]

_ATTRS_TYPES: tuple[type[Any], ...] = (
    values.Money,
    values.Actor,
    values.Customer,
    values.Product,
    PolicyDecision,
    Balance,
    Ledger,
    Hold,
    Escalation,
    Rma,
    CaseLink,
    CaseState,
    SlaTerms,
)
_ENUM_TYPES: tuple[type[Enum], ...] = (
    values.Role,
    values.Channel,
    values.Direction,
    values.Demeanour,
    values.Fault,
    values.ComplaintCategory,
    values.EntitlementKind,
    values.EscalationTarget,
    values.GoodwillKind,
    values.Payer,
    values.Disposition,
    values.InspectionOutcome,
    values.RepairCoverage,
    values.ServiceLevel,
    values.LinkKind,
    Status,
    EscalationOutcome,
    RmaStage,
)


class _AttrsTranscoding(Transcoding):
    """Field by field; nested values are transcoded by the transcoder in turn."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = cls.__name__
        self._fields = tuple(f.name for f in attrs.fields(cls))
        self._field_set = frozenset(self._fields)
        # Tuples come back from JSON as lists: classes with tuple fields go through
        # __init__, whose converters restore them.
        hints = typing.get_type_hints(cls)
        self._through_init = any(typing.get_origin(hints[name]) is tuple for name in self._fields)

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self._fields}

    def decode(self, data: Any) -> Any:
        if self._through_init or data.keys() != self._field_set:
            return self.type(**data)
        # Values were validated when they were recorded; like eventsourcing's events,
        # they are not validated again on every load (the hot path of every command).
        obj: Any = object.__new__(self.type)
        for name, value in data.items():
            object.__setattr__(obj, name, value)
        return obj


class _EnumTranscoding(Transcoding):
    def __init__(self, cls: type[Enum]) -> None:
        self.type = cls
        self.name = cls.__name__
        self._cls = cls

    def encode(self, obj: Any) -> str:
        return str(obj.name)

    def decode(self, data: Any) -> Any:
        return self._cls[data]


class _DateTranscoding(Transcoding):
    type = date
    name = "date"

    def encode(self, obj: Any) -> str:
        return str(obj.isoformat())

    def decode(self, data: Any) -> date:
        return date.fromisoformat(data)


def _transcodings() -> Iterable[Transcoding]:
    yield _DateTranscoding()
    for cls in _ATTRS_TYPES:
        yield _AttrsTranscoding(cls)
    for enum_cls in _ENUM_TYPES:
        yield _EnumTranscoding(enum_cls)


def register_value_transcodings(transcoder: JSONTranscoder) -> None:
    """Teach ``transcoder`` every value type that case events and snapshots hold."""
    for transcoding in _transcodings():
        transcoder.register(transcoding)
