"""Counterexamples of ``case_histories()`` shrink to the shortest history that shows them.

Each probe is a property a history may break, with the fewest commands that break it
(the opening not counted; the lifecycle table sets them: only ``assign_agent`` takes a
case out of NEW, and a new case takes no refund). ``find`` searches and shrinks as a
failing test would, from a pinned search, and the history it ends with must be exactly
that short (docs/testing.md, "How each strategy shrinks").
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import find, settings

from casehistory.testing import CaseHistory
from casehistory.testing.strategies import case_histories


def _methods(history: CaseHistory) -> list[str]:
    return [command.method for command in history.commands]


def _currencies_paid(history: CaseHistory) -> int:
    return len(
        {c.kwargs["amount"].currency for c in history.commands if c.method == "record_payment"}
    )


PROBES: dict[str, tuple[Callable[[CaseHistory], bool], int]] = {
    "a hold": (lambda h: "place_hold" in _methods(h), 1),
    "payments in two currencies": (lambda h: _currencies_paid(h) >= 2, 2),
    "two refunds": (lambda h: _methods(h).count("issue_refund") >= 2, 4),
    "a reopen": (lambda h: "reopen_case" in _methods(h), 3),
}


@pytest.mark.parametrize("probe", sorted(PROBES))
def test_a_counterexample_shrinks_to_the_fewest_commands(probe: str) -> None:
    condition, fewest = PROBES[probe]

    found = find(
        case_histories(max_commands=40),
        condition,
        settings=settings(database=None, derandomize=True, max_examples=500, deadline=None),
    )

    assert len(found.commands) == fewest, _methods(found)
