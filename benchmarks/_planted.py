"""The search both planted-bug benchmarks run: each seed once without shrinking (found
or not, and how long it took), then the first seeds that found it again with shrinking
(how long, and how short the counterexample)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import attrs

Search = Callable[..., tuple[bool, int | None]]


@attrs.frozen
class Hunt:
    found: int
    seconds: list[float]
    shrunk: list[int]
    shrinking: list[float]

    def times(self) -> str:
        """Seconds to find: median, max."""
        return f"{statistics.median(self.seconds):.1f}, {max(self.seconds):.1f}"

    def lengths(self) -> str:
        """Shrunk lengths: median, max."""
        return f"{statistics.median(self.shrunk):g}, {max(self.shrunk)}" if self.shrunk else "-"

    def slow(self) -> str:
        """Seconds with shrinking: median, max."""
        if not self.shrinking:
            return "-"
        return f"{statistics.median(self.shrinking):.0f}, {max(self.shrinking):.0f}"


def hunt(search: Search, make: Any, planted: Any, *, seeds: int, shrink: int) -> Hunt:
    found, seconds = [], []
    for at in range(seeds):
        start = time.perf_counter()
        failed, _ = search(make, planted, at, shrink=False)
        seconds.append(time.perf_counter() - start)
        if failed:
            found.append(at)
    shrunk, shrinking = [], []
    for at in found[:shrink]:
        start = time.perf_counter()
        _, length = search(make, planted, at, shrink=True)
        shrinking.append(time.perf_counter() - start)
        if length is not None:
            shrunk.append(length)
    return Hunt(len(found), seconds, shrunk, shrinking)
