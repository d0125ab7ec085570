"""How an as-of query finds what to read: pure arithmetic on versions and times.

The desk answers ``case(id, as_of=T, known_at=R)`` in two steps (see docs/as-of.md):

1. **Store time.** The events recorded by R are a prefix of the versions, because
   store time never goes backwards on a case. :func:`last_version_recorded_by`
   finds its last version K by binary search, reading one event per step.
2. **Business time.** Of versions 1..K, fold those that occurred by T. Business
   time is not monotone (a late entry occurred before events recorded ahead of it),
   so no version splits the events that occurred by T from the others.
   :func:`runs_to_read` uses the state's index of business times per run of
   :data:`~casehistory.domain.state.OCCURRED_RUN` versions instead: every run up to
   the first whose running maximum passes T occurred by T entirely (a snapshot can
   serve it); of the later runs, only those whose earliest time is by T can hold an
   event to fold.

Both steps look at stored times without decoding the events (:func:`stored_time`):
a binary search decodes none, and a run read for one late entry decodes only the
events that occurred by T.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime

import attrs
import orjson
from eventsourcing.utils import get_topic

from casehistory.domain.events import CaseEvent, CaseOpened
from casehistory.domain.state import OCCURRED_RUN, CaseState, fold

__all__ = [
    "At",
    "Loaded",
    "ReadPlan",
    "Row",
    "index_covers",
    "last_version_recorded_by",
    "occurred_by",
    "plan",
    "runs_to_read",
    "stored_time",
]


@attrs.frozen
class At:
    """A case's state at a version, and the store time of that version."""

    state: CaseState
    version: int
    recorded_at: datetime


Row = tuple[int, str, bytes]
"""A stored event as an answer reads it: version, topic, and the stored JSON."""


@attrs.frozen(slots=False)  # a __dict__ for the cached properties, which between() asks
class Loaded:
    """A case read up to a version: the nearest snapshot at or below, then the rows of
    the events after it.

    The rows read are kept, so that an as-of answer reads none of them twice. They are
    decoded when someone asks for :attr:`events` or :attr:`last`, or, a selection of
    them, for :meth:`between` or :meth:`occurred_between`: an as-of answer planned
    from the snapshot's index decodes only the events it folds, so a moment long
    before the head pays nothing for the events past the snapshot.
    """

    snapshot: At | None
    """The state at the snapshot; None when there is none and ``rows`` start at 1."""
    rows: tuple[Row, ...]
    """The versions after the snapshot, in order."""
    decode: Callable[[Sequence[Row]], list[CaseEvent]] = attrs.field(repr=False)
    """Turns rows into events (the desk's mapper: it names a row it cannot read)."""

    @property
    def start(self) -> int:
        """The snapshot's version (0: none); ``rows`` are the versions after it."""
        return self.snapshot.version if self.snapshot else 0

    @property
    def end(self) -> int:
        """The last version read."""
        return self.start + len(self.rows)

    @functools.cached_property
    def events(self) -> tuple[CaseEvent, ...]:
        """The events after the snapshot, decoded."""
        prefix: list[CaseEvent] = self.__dict__.get("_prefix", [])
        return (*prefix, *self.decode(self.rows[len(prefix) :]))

    @functools.cached_property
    def last(self) -> At:
        """The state at the last version read."""
        return self.at(self.end)

    @property
    def opened_again(self) -> bool:
        """Whether a CaseOpened is among the rows after the snapshot (a log changed
        behind the desk's back): only that event sets ``opened_at``."""
        return any(row[1] == _OPENED for row in self.rows)

    def at(self, version: int) -> At:
        """The state at ``version`` (from ``start`` to the last): the snapshot's,
        then the events read folded onto it."""
        if version == self.start and self.snapshot is not None:
            return self.snapshot
        folded = self.between(self.start + 1, version)
        state = fold(folded, self.snapshot.state if self.snapshot else None)
        return At(state, version, folded[-1].timestamp)

    def between(self, first: int, last: int) -> tuple[CaseEvent, ...]:
        """The events read with versions ``first``..``last``: none if ``last < first``
        (``first`` must be after ``start``)."""
        if last < first:
            return ()
        low, high = first - self.start - 1, last - self.start
        if "events" in self.__dict__ or (low, high) == (0, len(self.rows)):
            return self.events[low:high]
        # From the snapshot on (an answer's kept events, then the state they fold to):
        # decoded once, however often asked.
        prefix: list[CaseEvent] = self.__dict__.setdefault("_prefix", [])
        if low <= len(prefix):
            if high > len(prefix):
                prefix.extend(self.decode(self.rows[len(prefix) : high]))
            return tuple(prefix[low:high])
        return tuple(self.decode(self.rows[low:high]))

    def occurred_between(self, first: int, last: int, as_of: datetime) -> list[CaseEvent]:
        """Of the events read with versions ``first``..``last``, those that occurred by
        ``as_of``, and maybe a few that did not (filter again): the rows are peeked at
        (:func:`occurred_by`) and only the others decoded."""
        if last < first:
            return []
        low, high = first - self.start - 1, last - self.start
        if "events" in self.__dict__:
            return list(self.events[low:high])
        return self.decode([row for row in self.rows[low:high] if occurred_by(row[2], as_of)])


ReadPlan = tuple[int, tuple[tuple[int, int], ...]]
"""``(base, ranges)``: versions 1..base all occurred by T; of the versions in the
``(first, last)`` ranges, fold those that occurred by T; no other version did."""


def last_version_recorded_by(
    recorded_at: Callable[[int], datetime], low: int, high: int, known_at: datetime
) -> int:
    """The last version in ``low..high`` recorded at or before ``known_at``.

    Needs ``recorded_at(low) <= known_at < recorded_at(high)`` and store times that
    never decrease with the version; calls ``recorded_at`` about log2(high - low) times.
    """
    while high - low > 1:
        middle = (low + high) // 2
        if recorded_at(middle) <= known_at:
            low = middle
        else:
            high = middle
    return low


def index_covers(runs: Sequence[tuple[datetime, datetime]], version: int) -> bool:
    """Whether ``runs`` index every version up to ``version`` (one run per 50 versions).

    A case snapshotted before the index existed has none (its later snapshots carry
    the gap on), so it is read in full: the same answer, without the saving. Deleting
    its snapshots makes the next load replay it whole and index it again.
    """
    return len(runs) == (version - 1) // OCCURRED_RUN + 1


def plan(known: Loaded, as_of: datetime) -> tuple[datetime, ReadPlan | None]:
    """When the case was opened, and what to read to fold the versions of ``known``
    that occurred by ``as_of`` (None: all of them did, ``known.last`` is the answer).

    From the snapshot's index when it has one: every version after the snapshot is
    then one more range to read (they are in ``known`` already), so the events after
    the snapshot are not folded for the index of their run. Else from the index of
    the state at the last version, or (no index) every version."""
    snapshot = known.snapshot
    # Only CaseOpened sets opened_at: with one among the events after the snapshot,
    # the last state says when.
    if (
        snapshot is not None
        and index_covers(snapshot.state.occurred_runs, snapshot.version)
        and not known.opened_again
    ):
        state, indexed = snapshot.state, snapshot.version
    else:
        state, indexed = known.last.state, known.end
    found: ReadPlan | None = (0, ((1, indexed),))  # no index: read them all
    if index_covers(state.occurred_runs, indexed):
        found = runs_to_read(state.occurred_runs, indexed, as_of)
    if indexed < known.end:
        base, ranges = found if found is not None else (indexed, ())
        found = base, (*ranges, (indexed + 1, known.end))
    return state.opened_at, found


def runs_to_read(
    runs: Sequence[tuple[datetime, datetime]], version: int, as_of: datetime
) -> ReadPlan | None:
    """What to read to fold versions 1..``version`` that occurred by ``as_of``.

    ``runs`` is the (complete) index at ``version``. None when every one of those
    versions occurred by ``as_of``: the state at ``version`` is then the answer.
    """
    first_late = _first_run_past(runs, as_of)
    if first_late is None:
        return None
    ranges: list[tuple[int, int]] = []
    for run in range(first_late, len(runs)):
        if runs[run][0] > as_of:  # nothing in this run occurred by as_of: skip it unread
            continue
        first, last = run * OCCURRED_RUN + 1, min((run + 1) * OCCURRED_RUN, version)
        if ranges and ranges[-1][1] == first - 1:
            ranges[-1] = (ranges[-1][0], last)  # adjacent runs: one read
        else:
            ranges.append((first, last))
    return first_late * OCCURRED_RUN, tuple(ranges)


def _first_run_past(runs: Sequence[tuple[datetime, datetime]], as_of: datetime) -> int | None:
    """The first run by the end of which some event had occurred after ``as_of``."""
    latest: datetime | None = None
    for run, (_, high) in enumerate(runs):
        latest = high if latest is None or high > latest else latest
        if latest > as_of:
            return run
    return None


def stored_time(state: bytes, name: str) -> datetime | None:
    """A time field of a stored event, read without decoding the event (None when the
    bytes do not say plainly: the caller then decodes it).

    The field is found by its bytes when they occur once in the record: a key and its
    type tag cannot occur inside a JSON string, whose quotes are escaped, so a single
    occurrence is the event's own field. Anything else is parsed in full."""
    marker = _TIME_MARKERS[name]
    start = state.find(marker) + len(marker)
    # Found, and not again after it (as bytes.count, which this saves a scan over).
    if start >= len(marker) and state.find(marker, start) < 0:
        end = state.find(b'"', start)
        try:
            return _aware(datetime.fromisoformat(state[start:end].decode()))
        except (UnicodeDecodeError, ValueError):
            return None
    try:
        field = orjson.loads(state)[name]
        if field["_type_"] != "datetime_iso":
            return None
        return _aware(datetime.fromisoformat(field["_data_"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def _aware(moment: datetime) -> datetime | None:
    # A time without its offset was written beside the desk: decoding says so (the
    # mapper names the row), a comparison here would raise TypeError.
    return moment if moment.utcoffset() is not None else None


_OPENED = get_topic(CaseOpened)

_TIME_MARKERS = {
    name: b'"' + name.encode() + b'":{"_type_":"datetime_iso","_data_":"'
    for name in ("timestamp", "occurred_at")
}


def occurred_by(state: bytes, as_of: datetime) -> bool:
    """Whether the stored event occurred by ``as_of``, read without decoding it (True
    when the bytes do not say plainly: the event is then decoded and its own field
    decides, so the caller must filter the decoded events again)."""
    occurred = stored_time(state, "occurred_at")
    return occurred is None or occurred <= as_of
