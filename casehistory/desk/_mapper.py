"""How a desk turns a stored row into an event: eventsourcing's mapper, refusing what no
desk writes before it decodes, and naming the row when it cannot be read."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from casehistory._transcodings import fast_decoder, fast_encoder
from casehistory.domain.case import CaseSnapshot
from casehistory.domain.chain import AS_STORED
from casehistory.domain.events import EVENT_TYPES
from casehistory.errors import CaseHistoryError, StoreUnavailable

__all__ = ["CaseMapper"]

_SNAPSHOT = get_topic(CaseSnapshot)
_READABLE = frozenset({*(get_topic(cls) for cls in EVENT_TYPES), _SNAPSHOT})
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

_PLAIN = {
    get_topic(cls): (
        cls,
        _FIELDS[get_topic(cls)],
        getattr(cls, "timestamp", None),
        getattr(cls, "occurred_at", None),
        getattr(cls, "class_version", 1),
    )
    for cls in EVENT_TYPES
    if resolve_topic(get_topic(cls)) is cls
}
"""Each event type, by topic: its class, its declared fields, what the class answers
for a time a record lacks, and its class version (a row of that version decodes as it
is stored; an older one is upcast, on the general path)."""
_EVOLVED: dict[str, int] = {
    get_topic(cls): version
    for cls in EVENT_TYPES
    if (version := getattr(cls, "class_version", 1)) > 1
}
"""The class version of each event type that has evolved, by topic: a row of an older
version is upcast as it is read, and keeps its fields as stored for its digest."""
_NEW = object.__new__
_ASSIGN = object.__setattr__
_TOPICS: dict[type, str] = {}
"""The topic of each class :meth:`CaseMapper.to_stored_event` wrote (``get_topic``'s)."""


class CaseMapper(Mapper[UUID]):
    """eventsourcing's mapper, refusing a row whose topic is no case event or snapshot:
    decoding resolves a topic by importing the module it names, and a row changed
    outside the desk could name any module."""

    _fast: Callable[[bytes], dict[str, Any]] | None = None
    _encode: Callable[[dict[str, Any]], bytes] | None = None

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        # Every command encodes its event: the bytes of eventsourcing's mapper, faster
        # (fast_encoder), in the same row.
        encode = self._encode
        if encode is None:
            if self.cipher or self.compressor or type(self.transcoder) is not JSONTranscoder:
                return super().to_stored_event(domain_event)
            # Built at first use, after the application registered every transcoding.
            encode = self._encode = fast_encoder(self.transcoder)
        cls = type(domain_event)
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(cls, "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        topic = _TOPICS.get(cls)
        if topic is None:
            topic = _TOPICS[cls] = get_topic(cls)  # a class's topic does not change
        return StoredEvent(originator_id, originator_version, topic, encode(state))

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        if stored_event.topic == _SNAPSHOT:
            event = self._plain_snapshot(stored_event)
        else:
            event = self.plain_event(
                stored_event.originator_id,
                stored_event.originator_version,
                stored_event.topic,
                stored_event.state,
            )
        return self._general(stored_event) if event is None else event

    def _plain_snapshot(self, stored_event: StoredEvent) -> Any:
        """The snapshot of a row as every desk writes it, or None for any other row.

        A load through a stored snapshot decodes it (a case's whole state): with
        orjson and one walk (:func:`~casehistory._transcodings.fast_decoder`), a
        quarter less than the json module's object hook, to the same object as the
        general path, after the same checks. A snapshot has no class version to upcast
        and declares every field it needs (what :meth:`_general` checks of an event);
        any other row (None here) goes to the general path."""
        case_id = stored_event.originator_id
        if type(case_id) is not UUID:
            return None
        fast = self._fast_decoder()
        if fast is None:
            return None
        try:
            values = fast(stored_event.state)
        except Exception:  # the general path decodes it, or names the row and why
            return None
        if AS_STORED in values or "class_version" in values or "occurred_at" in values:
            return None  # fields no desk writes in a snapshot: the general path decides
        recorded = values.get("timestamp")
        if recorded is not None and (
            type(recorded) is not datetime or recorded.utcoffset() is None
        ):
            return None
        values["originator_id"] = case_id
        values["originator_version"] = stored_event.originator_version
        snapshot = _NEW(CaseSnapshot)
        _ASSIGN(snapshot, "__dict__", values)
        return snapshot

    def _fast_decoder(self) -> Callable[[bytes], dict[str, Any]] | None:
        fast = self._fast
        if fast is None:
            if self.cipher or self.compressor or type(self.transcoder) is not JSONTranscoder:
                return None
            # Built at first use, after the application registered every transcoding.
            fast = self._fast = fast_decoder(self.transcoder)
        return fast

    def decoded(self, case_id: UUID, rows: Iterable[tuple[int, str, bytes]]) -> list[Any]:
        """The events of a case's rows ``(version, topic, state)``, in their order: what
        :meth:`to_domain_event` makes of each, without a ``StoredEvent`` for the rows
        that take the plain path."""
        plain = self.plain_event
        return [
            plain(case_id, version, topic, state)
            or self._general(StoredEvent(case_id, version, topic, state))
            for version, topic, state in rows
        ]

    def plain_event(self, case_id: Any, version: int, topic: str, state: bytes) -> Any:
        """The event of a row every desk writes, or None for any other row.

        Every load decodes the events after its snapshot. Rows of an event type that
        needs no upcasting, in plain JSON, take this path at half the general cost
        (orjson and one walk, :func:`~casehistory._transcodings.fast_decoder`; no
        per-row lookup of the topic's class, the id's converter, a cipher): the same
        object as the general path (the decoded dict as the event's ``__dict__``),
        after the same checks. Any other row (None here) goes to the general path,
        which decodes it or names the row and what is wrong."""
        known = _PLAIN.get(topic)
        if known is None or type(case_id) is not UUID:
            return None
        fast = self._fast or self._fast_decoder()
        if fast is None:
            return None
        try:
            values = fast(state)
        except Exception:  # the general path decodes it, or names the row and why
            return None
        if AS_STORED in values:
            return None  # a field no desk writes: the general path names the row
        cls, declared, timestamp, occurred_at, class_version = known
        # As a desk writes it: no class_version at version 1, the class's own above.
        if values.pop("class_version", None) != (None if class_version == 1 else class_version):
            return None  # an older version, to upcast, or a row no desk writes
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
            return None
        event = _NEW(cls)
        _ASSIGN(event, "__dict__", values)
        return event

    def _general(self, stored_event: StoredEvent) -> Any:
        if stored_event.topic not in _READABLE:
            raise StoreUnavailable(
                f"version {stored_event.originator_version} of case "
                f"{stored_event.originator_id} has type {stored_event.topic!r:.80}, which is "
                "no case event (the row was changed outside the desk); run `casehistory verify`"
            )
        try:
            event = super().to_domain_event(stored_event)
            if AS_STORED in vars(event):
                # Only this mapper sets it, for a row of an older class version: a row that
                # holds it would have its digest checked against a record it chose.
                raise self._unreadable(stored_event, f"it holds {AS_STORED}, which no desk writes")
            if stored_event.topic in _EVOLVED or b"class_version" in stored_event.state:
                self._versioned(stored_event, event)
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

    def _versioned(self, stored_event: StoredEvent, event: Any) -> None:
        """Check a row's class version, and keep the fields of a row of an older version
        as they were stored, before its upcasters ran
        (:data:`~casehistory.domain.chain.AS_STORED`): what its digest covers. A row of a
        version above this release's was written by a newer one (eventsourcing would read
        it as if it were of this version): refused."""
        stored: dict[str, Any] = self.transcoder.decode(stored_event.state)
        found = stored.pop("class_version", 1)
        known = _EVOLVED.get(stored_event.topic, 1)
        if type(found) is not int or found > known:
            raise self._unreadable(
                stored_event,
                f"it is of class version {found!r:.20}, and this release reads "
                f"{stored_event.topic.rpartition(':')[2]} up to version {known} (if a newer "
                "release wrote it, upgrade)",
            )
        if found < known:
            object.__setattr__(event, "__dict__", {**vars(event), AS_STORED: stored})

    @staticmethod
    def _unreadable(stored_event: StoredEvent, why: str) -> StoreUnavailable:
        return StoreUnavailable(
            f"version {stored_event.originator_version} of case {stored_event.originator_id} "
            f"cannot be read: {why} (the row was changed outside the desk); run "
            "`casehistory verify`"
        )
