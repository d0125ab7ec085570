"""The store time of a :class:`~casehistory.testing.CaseDeskMachine` run.

A desk reads its clock once per command, after it loaded the case and before the rules
run. That reading is the one point where a machine can step in without touching the
desk: turn the time back for one command (the store must refuse it), or let another
writer record on the case first (the store must refuse the command that loaded the case
before that writer saved).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from casehistory.clock import _later
from casehistory.domain.values import require_aware

__all__ = ["MachineClock"]


class MachineClock:
    """One second further at every reading, as :class:`~casehistory.SteppingClock`, with
    two turns that apply to the next reading only: :meth:`turn_back_once` and
    :meth:`before_next_reading`."""

    def __init__(self, start: datetime, step: timedelta = timedelta(seconds=1)) -> None:
        self._next = require_aware(start, "MachineClock start")
        self._step = step
        self._back: datetime | None = None
        self._before: Callable[[], None] | None = None

    def now(self) -> datetime:
        before, self._before = self._before, None
        if before is not None:
            before()  # may read the clock itself: it was cleared first
        if self._back is not None:
            at, self._back = self._back, None
            return at
        at = self._next
        self._next = _later(at, self._step)
        return at

    def turn_back_once(self, to: datetime) -> None:
        """Make the next reading ``to``, earlier than the last; the one after carries on."""
        self._back = require_aware(to, "to")

    def before_next_reading(self, act: Callable[[], None]) -> None:
        """Run ``act`` when the clock is next read: in a desk command, between the load
        of the case and the save, as another writer would."""
        self._before = act

    def disarm(self) -> None:
        """Forget a turn that no reading used."""
        self._back, self._before = None, None

    def __repr__(self) -> str:
        return f"MachineClock(next={self._next.isoformat()}, step={self._step})"
