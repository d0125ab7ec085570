"""The events a view folds: a sequence that can wait to be read from the store.

A view of a long case is folded from a snapshot plus a few events, so building it
need not read the thousands of events before the snapshot. :class:`FoldedEvents`
holds the number of events and a way to read them, and reads on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from threading import Lock
from typing import overload

from casehistory.domain.events import CaseEvent
from casehistory.errors import StoreUnavailable

__all__ = ["FoldedEvents", "Reader"]

Reader = Callable[[], Iterable[CaseEvent]]
"""Reads the events of one answer, oldest first."""


class FoldedEvents(Sequence[CaseEvent]):
    """The events of one answer, oldest first: a tuple, or a count and a reader.

    ``len()`` never reads. Indexing, iterating, comparing or hashing reads every
    event once (with the reader, from the store) and keeps them. A reader must
    return exactly ``count`` events; a history is append-only, so the events of a
    given answer never change, whenever they are read. Equal to a tuple or another
    :class:`FoldedEvents` holding the same events.
    """

    __slots__ = ("_count", "_events", "_lock", "_read")

    def __init__(
        self, events: Iterable[CaseEvent] = (), *, count: int = 0, read: Reader | None = None
    ) -> None:
        if read is None:
            self._events: tuple[CaseEvent, ...] | None = tuple(events)
            self._count = len(self._events)
        else:
            self._events, self._count = None, count
        self._read = read
        self._lock = Lock()

    def _all(self) -> tuple[CaseEvent, ...]:
        events = self._events
        if events is not None:
            return events
        with self._lock:  # two threads reading one view read the store once
            if self._events is None and self._read is not None:
                read = tuple(self._read())
                if len(read) != self._count:
                    case = f"case {read[0].originator_id}" if read else "the case"
                    raise StoreUnavailable(
                        f"{case} had {self._count} events when its view was made, and the "
                        f"store now holds {len(read)} of them: events were removed outside "
                        "the desk; run `casehistory verify`"
                    )
                self._events, self._read = read, None
            return self._events or ()

    @property
    def is_read(self) -> bool:
        """Whether the events are in memory (given, or read already)."""
        return self._events is not None

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> CaseEvent: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[CaseEvent, ...]: ...

    def __getitem__(self, index: int | slice) -> CaseEvent | tuple[CaseEvent, ...]:
        return self._all()[index]

    def __iter__(self) -> Iterator[CaseEvent]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FoldedEvents):
            return len(self) == len(other) and self._all() == other._all()
        if isinstance(other, tuple):
            return len(self) == len(other) and self._all() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._all())

    def __repr__(self) -> str:
        state = "read" if self.is_read else "not read yet"
        return f"<{self._count} events, {state}>"
