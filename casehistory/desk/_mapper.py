"""How a desk turns a stored row into an event: eventsourcing's mapper, refusing what no
desk writes before it decodes, and naming the row when it cannot be read."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from casehistory.domain.case import CaseSnapshot
from casehistory.domain.events import EVENT_TYPES
from casehistory.errors import CaseHistoryError, StoreUnavailable

__all__ = ["CaseMapper"]

_READABLE = frozenset({*(get_topic(cls) for cls in EVENT_TYPES), get_topic(CaseSnapshot)})
_FIELDS = {
    get_topic(cls): frozenset(
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    )
    for cls in EVENT_TYPES
}
"""The fields each event type declares without a default, by topic (a field with a
default was added later: a record before it has none, and the class answers)."""


class CaseMapper(Mapper[UUID]):
    """eventsourcing's mapper, refusing a row whose topic is no case event or snapshot:
    decoding resolves a topic by importing the module it names, and a row changed
    outside the desk could name any module."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        if stored_event.topic not in _READABLE:
            raise StoreUnavailable(
                f"version {stored_event.originator_version} of case "
                f"{stored_event.originator_id} has type {stored_event.topic!r:.80}, which is "
                "no case event (the row was changed outside the desk); run `casehistory verify`"
            )
        try:
            event = super().to_domain_event(stored_event)
        except CaseHistoryError:
            raise
        except Exception as error:  # bytes that are no JSON, fields of no such type, ...
            why = f"{type(error).__name__}: {error!s:.120}"
            raise self._unreadable(stored_event, why) from None
        # Not re-validated (verify checks types), but a fold must not meet an event
        # without the fields its type declares: name the row, not an AttributeError.
        missing = _FIELDS.get(stored_event.topic, frozenset()) - vars(event).keys()
        if missing:
            raise self._unreadable(stored_event, f"it has no {', '.join(sorted(missing))}")
        for name in ("timestamp", "occurred_at"):
            moment = getattr(event, name, None)
            if moment is not None and (
                not isinstance(moment, datetime) or moment.utcoffset() is None
            ):
                # Every time the desk writes has its offset; a comparison with one
                # that has none would raise TypeError far from the row.
                raise self._unreadable(stored_event, f"its {name} is not a time with an offset")
        return event

    @staticmethod
    def _unreadable(stored_event: StoredEvent, why: str) -> StoreUnavailable:
        return StoreUnavailable(
            f"version {stored_event.originator_version} of case {stored_event.originator_id} "
            f"cannot be read: {why} (the row was changed outside the desk); run "
            "`casehistory verify`"
        )
