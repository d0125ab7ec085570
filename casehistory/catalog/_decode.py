"""Stored event rows made into events for a rebuild: what the desk's mapper makes of
them, at a fraction of its cost for the rows every desk writes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from casehistory._transcodings import fast_decoder
from casehistory.desk._mapper import _FIELDS as DECLARED
from casehistory.desk._mapper import CaseMapper
from casehistory.domain.events import EVENT_TYPES, CaseEvent

__all__ = ["Decode", "decoder"]

Decode = Callable[[UUID, int, str, bytes], CaseEvent]


def decoder(mapper: Any) -> Decode:
    """What the desk's mapper makes of a stored event row, made cheaper for the rows
    every desk writes: the same JSON decoding (the mapper's own transcoder's
    registrations, parsed by orjson: :func:`~casehistory._transcodings.fast_decoder`), the same
    checks (a case event's topic, the fields its type declares, times with an offset),
    the same object (eventsourcing's: the decoded dict as the event's ``__dict__``),
    without the per-row lookups eventsourcing makes for any mapper (the topic's class,
    the id's converter, upcasting, a cipher, a compressor). Any row it does not take
    as plain goes to the mapper itself, which decodes it or names what is wrong."""

    def mapped(case_id: UUID, version: int, topic: str, state: bytes) -> CaseEvent:
        event: CaseEvent = mapper.to_domain_event(StoredEvent(case_id, version, topic, state))
        return event

    transcoder = mapper.transcoder
    if (
        type(mapper) is not CaseMapper
        or mapper.cipher
        or mapper.compressor
        or type(transcoder) is not JSONTranscoder
    ):
        return mapped
    transcode = fast_decoder(transcoder)
    plain = {
        get_topic(cls): (
            cls,
            DECLARED[get_topic(cls)],
            getattr(cls, "timestamp", None),
            getattr(cls, "occurred_at", None),
        )
        for cls in EVENT_TYPES
        if getattr(cls, "class_version", 1) == 1 and resolve_topic(get_topic(cls)) is cls
    }
    new = object.__new__
    assign = object.__setattr__

    def decoded(case_id: UUID, version: int, topic: str, state: bytes) -> CaseEvent:
        known = plain.get(topic)
        if known is None:
            return mapped(case_id, version, topic, state)
        cls, declared, timestamp, occurred_at = known
        try:
            values = transcode(state)
        except Exception:  # the mapper reads it, or says which row and why
            return mapped(case_id, version, topic, state)
        if "class_version" in values:
            return mapped(case_id, version, topic, state)
        values["originator_id"] = case_id
        values["originator_version"] = version
        recorded = values.get("timestamp", timestamp)
        occurred = values.get("occurred_at", occurred_at)
        if (
            not values.keys() >= declared
            or (
                recorded is not None
                and (type(recorded) is not datetime or recorded.utcoffset() is None)
            )
            or (
                occurred is not None
                and (type(occurred) is not datetime or occurred.utcoffset() is None)
            )
        ):
            return mapped(case_id, version, topic, state)
        event: CaseEvent = new(cls)
        assign(event, "__dict__", values)
        return event

    return decoded


def _aware(moment: object) -> bool:
    """Whether a time passes the mapper's check: absent, or a time with an offset (of
    the class the transcoder makes; any other goes to the mapper)."""
    return moment is None or (type(moment) is datetime and moment.utcoffset() is not None)
