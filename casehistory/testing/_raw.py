"""Drawing a history fast: every command a fixed row of Hypothesis's raw choices, then
each argument decoded from one of them.

A history of 50 commands makes some 600 choices. Drawn one strategy at a time, each
choice costs a pass through Hypothesis's strategy machinery (validation, emptiness
checks, a span of its own), which made a history five times slower than plain data of
its size. Here each command draws its row at once (:class:`Row`, one
``ConjectureData.draw_integer`` a choice, one span a command: the shrinker still sees a
command as one unit), and :class:`Reader` stands in for Hypothesis's ``draw``: given one
of the toolkit's strategies, it decodes the next number of the row with that strategy's
:func:`decoder` (a member of a ``sampled_from``, a number of an ``integers`` range, a
mapped value, a text...), each number taken modulo the size of what it chooses from, so
that a number still decodes when the state of the case changes what it chooses from,
and 0 decodes to the simplest value (what the shrinker lowers to).

The narrowing and vocabulary code draws with a ``draw`` function either way: with
Hypothesis's (``commands()``, refusals) or with a :class:`Reader` (histories, the next
command), so it only draws strategies :func:`decoder` knows, built once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, cast

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

__all__ = ["VALUE_MAX", "Bias", "Reader", "Row", "decoder", "reader", "register"]

VALUE_MAX = 2**32 - 1
"""The range of the numbers a value is decoded from (wide enough for an instant)."""

_MASK = 2**64 - 1
Decoder = Callable[[int], Any]
Bias = Callable[[int, Sequence[int]], "dict[int, float] | None"]
"""The weights of a row's next choice (value -> probability, summing below 1; None:
uniform), given its position and the numbers drawn before it in the row."""
_DECODERS: dict[int, tuple[object, Decoder | None]] = {}
"""id(strategy) -> (the strategy, kept alive so its id is not reused; its decoder or
None when it has none)."""
_MAX_CACHED = 4096


def register(strategy: SearchStrategy[Any], decode: Decoder) -> None:
    """Decode ``strategy`` with ``decode`` (for strategies :func:`decoder` cannot read,
    such as a filtered text)."""
    _DECODERS[id(strategy)] = (strategy, decode)


def _build(strategy: Any) -> Decoder | None:
    kind = type(strategy).__name__
    if kind == "LazyStrategy":
        return decoder(strategy.wrapped_strategy)
    if kind in ("SampledFromStrategy", "JustStrategy") and not strategy._transformations:
        elements = tuple(strategy.elements)
        size = len(elements)
        return lambda n: elements[n % size]
    if kind == "IntegersStrategy" and strategy.start is not None and strategy.end is not None:
        start, span = strategy.start, strategy.end - strategy.start + 1
        return lambda n: start + n % span
    if kind == "BooleansStrategy":
        return lambda n: n % 2 == 1
    if kind == "DateStrategy":
        first, days = strategy.min_value, (strategy.max_value - strategy.min_value).days + 1
        return lambda n: first + timedelta(days=n % days)
    if kind == "MappedStrategy":
        inner, pack = decoder(strategy.mapped_strategy), strategy.pack
        return None if inner is None else (lambda n: pack(inner(n)))
    if kind == "OneOfStrategy":
        branches = [decoder(s) for s in strategy.original_strategies]
        if any(b is None for b in branches):
            return None
        chosen: list[Decoder] = [b for b in branches if b is not None]
        count = len(chosen)
        # The branch from the low part, the value from the rest: 0 is the first branch's
        # simplest value (None, for ``st.none() | x``).
        return lambda n: chosen[n % count](n // count)
    return None


def decoder(strategy: SearchStrategy[Any]) -> Decoder | None:
    """How to turn one number into a value of ``strategy`` (None: it cannot)."""
    found = _DECODERS.get(id(strategy))
    if found is not None and found[0] is strategy:
        return found[1]
    if len(_DECODERS) > _MAX_CACHED:  # strategies built per draw would fill it
        _DECODERS.clear()
    decode = _build(strategy)
    _DECODERS[id(strategy)] = (strategy, decode)
    return decode


class Row(SearchStrategy[list[int]]):
    """A fixed row of integer choices, each in its own range, drawn at once."""

    def __init__(self, name: str, ranges: Sequence[tuple[int, int]]) -> None:
        super().__init__()
        self.name = name
        self.ranges = tuple(ranges)

    def calc_label(self) -> int:
        # A label of its own per kind of row: Hypothesis mutates an example by copying
        # one span over another of the same label, and replays it with as many choices;
        # a row of another width (the opening's over a command's) would run out of them.
        digest = hashlib.sha384(f"casehistory row {self.name}".encode()).digest()
        return int.from_bytes(digest[:8], "big")

    def do_draw(self, data: Any) -> list[int]:
        draw = data.draw_integer
        return [draw(low, high) for low, high in self.ranges]

    def draw_biased(self, data: Any, bias: Bias) -> list[int]:
        """The row, each choice drawn with the weights ``bias(position, numbers so far)``
        gives it (None: uniform), as one span of this row's label.

        Weights only make some values likelier where Hypothesis generates a choice; they
        never change what a number means, and a replayed or shrunk example ignores them:
        so a history can be steered (towards a plan, towards steps the case allows)
        while each number still names the same thing whatever came before it."""
        data.start_span(self.label)
        draw = data.draw_integer
        numbers: list[int] = []
        for position, (low, high) in enumerate(self.ranges):
            weights = bias(position, numbers)
            numbers.append(draw(low, high, weights=weights) if weights else draw(low, high))
        data.stop_span()
        return numbers

    def __repr__(self) -> str:
        return f"Row({self.name!r}, {len(self.ranges)} choices)"


class Reader:
    """A ``draw`` function over the numbers of a row: each strategy it is given takes the
    next number (and a strategy no decoder reads, or one more than the row holds, is
    drawn by Hypothesis after all; tests check that a history never needs that)."""

    __slots__ = ("data", "extra", "numbers", "position")

    def __init__(self, data: Any, numbers: Sequence[int]) -> None:
        self.data = data
        self.numbers = numbers
        self.position = 0
        self.extra = 0

    def next(self) -> int:
        position = self.position
        self.position += 1
        if position < len(self.numbers):
            return self.numbers[position]
        # Past the row (a few commands take more arguments than it holds): a number
        # derived from the last ones, 0 when they are (the shrinker's simplest), so the
        # row keeps its width. The shrinker cannot simplify it on its own.
        numbers = self.numbers
        base = numbers[-1 - (position - len(numbers)) % min(len(numbers), 4)] if numbers else 0
        if base == 0:
            return 0
        return ((base + position) * 0x9E3779B97F4A7C15 & _MASK) >> 32

    def __call__(self, strategy: SearchStrategy[Any]) -> Any:
        decode = decoder(strategy)
        if decode is None:
            self.extra += 1
            return self.data.draw(strategy)
        return decode(self.next())


def reader(data: Any, numbers: Sequence[int]) -> st.DrawFn:
    """A :class:`Reader` over ``numbers``, typed as the ``draw`` it stands in for."""
    return cast(st.DrawFn, Reader(data, numbers))


# A value strategy a Reader takes one number for, as Hypothesis would draw it otherwise.
VALUE = st.integers(0, VALUE_MAX)
