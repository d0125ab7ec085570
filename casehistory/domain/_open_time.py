"""Open time counted by prefix sums: how a calendar answers ``elapsed`` and ``due``
without walking day by day.

A calendar's open periods (UTC microseconds, half-open, never overlapping) are grouped
into chunks of :data:`CHUNK` UTC days by where each period starts, and each chunk is
kept sorted by start with the open time before each of its periods. Sorted by start,
non-overlapping periods are in time order, so the open time of a chunk before an
instant is a bisection and a subtraction. Periods are gathered from the local days
around the chunk (a period of local day D lies within a day of D's UTC midnight), so
the days whose clocks go back across midnight, and whose periods interleave with
the next day's, are ordered like any other.

A period lasts at most a day and a few hours (a day's open hours, and the hour a
clock change adds): a chunk's last period may reach into the next chunk's days, so
the chunks at either end of a span are counted by bisection, and only the chunks
strictly inside it, whose periods lie wholly within the span, by their totals.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from itertools import accumulate

__all__ = ["CHUNK", "OpenTime"]

CHUNK = 32
"""UTC days per chunk: a span of a few days touches two or three."""

_DAY = 24 * 3_600_000_000
_EPOCH_DAY = 719_163  # date(1970, 1, 1).toordinal()

Periods = tuple[tuple[int, int], ...]


class _Chunk:
    __slots__ = ("before", "ends", "reached", "starts", "total")

    def __init__(self, periods: list[tuple[int, int]]) -> None:
        periods.sort()
        self.starts = [start for start, _ in periods]
        self.ends = [end for _, end in periods]
        lengths = [end - start for start, end in periods]
        self.before = [0, *accumulate(lengths)]
        """Open time before each period; the last item is the chunk's total."""
        self.total = self.before[-1]
        self.reached = self.before[1:]
        """Open time by the end of each period."""

    def until(self, at: int) -> int:
        """The chunk's open time before instant ``at``."""
        index = bisect_right(self.starts, at) - 1
        if index < 0:
            return 0
        return self.before[index] + min(at, self.ends[index]) - self.starts[index]

    def instant(self, count: int) -> int:
        """The earliest instant by which the chunk's open time reaches ``count``
        (0 < count <= total): inside a period, or at its end."""
        index = bisect_left(self.reached, count)
        return self.starts[index] + count - self.before[index]


class OpenTime:
    """The open time of one calendar; ``periods(day)`` gives the open periods of a
    local day (an ordinal), in any order."""

    def __init__(self, periods: Callable[[int], Periods]) -> None:
        self._periods = periods
        self._chunks: dict[int, _Chunk] = {}

    def _chunk(self, number: int) -> _Chunk:
        found = self._chunks.get(number)
        if found is None:
            low, high = number * CHUNK * _DAY, (number + 1) * CHUNK * _DAY
            first = number * CHUNK + _EPOCH_DAY
            periods = [
                period
                for day in range(first - 1, first + CHUNK + 1)
                for period in self._periods(day)
                if low <= period[0] < high
            ]
            found = self._chunks[number] = _Chunk(periods)
        return found

    def elapsed(self, begin: int, finish: int) -> int:
        """Open time in [begin, finish) (instants in UTC microseconds, begin <= finish)."""
        first, last = begin // (CHUNK * _DAY), finish // (CHUNK * _DAY)
        if first == last:  # the usual span: two chunks, the first mostly before it
            chunk = self._chunk(first)
            total = chunk.until(finish) - chunk.until(begin)
            before = self._chunk(first - 1)
            if before.ends and before.ends[-1] > begin:
                total += before.until(finish) - before.until(begin)
            return total
        total = 0
        for number in range(first - 1, last + 1):
            chunk = self._chunk(number)
            if first < number < last - 1:
                total += chunk.total  # every period of it starts after begin, ends before finish
            else:
                total += chunk.until(finish) - chunk.until(begin)
        return total

    def due(self, begin: int, left: int, stop: int) -> int | None:
        """The earliest instant by which ``left`` (> 0) open time has passed after
        ``begin``; None if not by instant ``stop`` (the calendar's end: no period
        starts after it)."""
        number = begin // (CHUNK * _DAY) - 1
        while number * CHUNK * _DAY <= stop:
            chunk = self._chunk(number)
            done = chunk.until(begin)
            if left <= chunk.total - done:
                return chunk.instant(done + left)
            left -= chunk.total - done
            number += 1
        return None
