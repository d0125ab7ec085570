"""Clocks: the only source of the store's time (``recorded_at``).

Nothing in casehistory reads the wall clock except :class:`SystemClock`. Tests and
replays inject :class:`FixedClock` or :class:`SteppingClock` so that every recorded
time is known in advance.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

from casehistory.domain.values import require_aware
from casehistory.errors import InvalidInput

__all__ = ["Clock", "FixedClock", "SteppingClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Anything with a ``now()`` that returns a timezone-aware datetime."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware."""
        ...


class SystemClock:
    """The wall clock, in UTC. The default clock of :meth:`CaseDesk.open`."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that always says the same time until told otherwise.

    >>> from datetime import UTC, datetime, timedelta
    >>> clock = FixedClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    >>> clock.advance(timedelta(minutes=5))
    >>> clock.now().isoformat()
    '2026-01-05T09:05:00+00:00'
    """

    def __init__(self, at: datetime) -> None:
        self._at = require_aware(at, "FixedClock time")

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        """Move the clock to ``at`` (forwards or backwards)."""
        self._at = require_aware(at, "FixedClock time")

    def advance(self, by: timedelta) -> None:
        """Move the clock forwards by ``by`` (a negative step is refused)."""
        if by < timedelta(0):
            raise InvalidInput(f"advance moves forwards; got {by!r} (use set() to go back)")
        self._at = _later(self._at, by)

    def __repr__(self) -> str:
        return f"FixedClock({self._at.isoformat()})"


class SteppingClock:
    """A clock that moves ``step`` forwards every time it is read.

    Each recorded event gets its own distinct, predictable store time. A desk reads
    its clock once per command attempt, before the rules are checked (the rule that
    nothing is recorded before it happened needs the time), so a refused command
    uses up one step too, though it records nothing.

    >>> from datetime import UTC, datetime, timedelta
    >>> clock = SteppingClock(datetime(2026, 1, 5, tzinfo=UTC), step=timedelta(seconds=1))
    >>> [clock.now().second for _ in range(3)]
    [0, 1, 2]
    """

    def __init__(self, start: datetime, step: timedelta = timedelta(seconds=1)) -> None:
        self._next = require_aware(start, "SteppingClock start")
        if step <= timedelta(0):
            raise InvalidInput(f"SteppingClock step must be positive, got {step!r}")
        self._step = step
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            at = self._next
            self._next = _later(at, self._step)
            return at

    def __repr__(self) -> str:
        return f"SteppingClock(next={self._next.isoformat()}, step={self._step})"


def _later(at: datetime, by: timedelta) -> datetime:
    """``by`` after ``at`` in real time, read in ``at``'s zone. Python adds a timedelta
    to the wall clock: across a change of a named zone's clocks that is an hour off, and
    it drops the fold, so a clock stepping through the hour that repeats went backwards."""
    if type(at.tzinfo) is timezone:  # a fixed offset: the wall clock is real time
        return at + by
    return (at.astimezone(UTC) + by).astimezone(at.tzinfo)
