"""What ``case_histories()`` reaches with the settings a user gets: every coverage label
in at least a tenth of 500 default histories, fewer than 2% of examples given up, the
labels reported as ``hypothesis.event()``s; ``reaching=`` steering histories to a
label; ``forward_time=True`` keeping business times in order.

Shares are read from the statistics Hypothesis reports of each test case (its status,
and the events a history reported), which ``--hypothesis-show-statistics`` prints.
The searches are derandomized with the pinned constants of
``same_search_whatever_is_imported``: the figures are the same alone and in the suite.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis.errors import InvalidArgument
from hypothesis.statistics import collector

from casehistory.testing import CaseHistory
from casehistory.testing._coverage import LABELS, labels_of
from casehistory.testing.strategies import case_histories

pytestmark = pytest.mark.usefixtures("same_search_whatever_is_imported")

DRAWN = settings(database=None, deadline=None, derandomize=True, phases=[Phase.generate])


def statistics(test: Callable[[], None]) -> list[tuple[str, set[str]]]:
    """Run ``test``; the status of each test case of its generate phase, and its events,
    as Hypothesis reports them to ``--hypothesis-show-statistics``."""
    reported: list[Any] = []
    with collector.with_value(reported.append):
        test()
    (stats,) = reported
    cases = stats["generate-phase"]["test-cases"]
    return [(case["status"], set(case["events"])) for case in cases]


def labels(history: CaseHistory) -> list[str]:
    return labels_of(history.opening, history.commands, list(history.models()))


@functools.cache
def default_histories() -> list[tuple[str, set[str]]]:
    """500 histories drawn by default (once for the module, with the pinned constants
    of the first test that asks)."""

    @settings(DRAWN, max_examples=500)
    @given(case_histories())
    def test(history: CaseHistory) -> None:
        pass

    return statistics(test)


class TestDefaultHistories:
    @pytest.fixture
    def seen(self) -> list[tuple[str, set[str]]]:
        return default_histories()

    def test_five_hundred_histories_are_drawn(self, seen: list[tuple[str, set[str]]]) -> None:
        assert sum(status == "valid" for status, _ in seen) == 500

    def test_every_label_is_reached_by_a_tenth_of_them(
        self, seen: list[tuple[str, set[str]]]
    ) -> None:
        passed = [events for status, events in seen if status == "valid"]
        share = Counter(event for events in passed for event in events)

        low = {label: share[f"history: {label}"] / len(passed) for label in LABELS}
        for label, part in low.items():  # shown with pytest -s: the figures in the docs
            print(f"{part:6.1%}  {label}")

        assert min(low.values()) >= 0.10, sorted(low.items(), key=lambda item: item[1])

    def test_fewer_than_two_percent_are_given_up(self, seen: list[tuple[str, set[str]]]) -> None:
        given_up = sum(status in ("invalid", "overrun") for status, _ in seen)
        print(f"{given_up} of {len(seen)} test cases given up")

        assert given_up / len(seen) < 0.02, f"{given_up} of {len(seen)} test cases given up"


class TestReaching:
    @pytest.mark.parametrize("label", LABELS)
    def test_most_histories_reach_the_label_asked_for(self, label: str) -> None:
        reached: list[bool] = []

        @settings(DRAWN, max_examples=60)
        @given(case_histories(reaching=label))
        def test(history: CaseHistory) -> None:
            reached.append(label in labels(history))

        test()

        assert sum(reached) / len(reached) >= 0.5, f"{sum(reached)} of {len(reached)}"

    def test_several_labels_are_pursued_one_after_the_other(self) -> None:
        wanted = ["policy exception", "refund after reopen"]
        reached: list[bool] = []

        @settings(DRAWN, max_examples=60)
        @given(case_histories(reaching=wanted))
        def test(history: CaseHistory) -> None:
            reached.append(set(wanted) <= set(labels(history)))

        test()

        assert sum(reached) / len(reached) >= 0.5

    @pytest.mark.parametrize(
        ("reaching", "message"),
        [
            ("refund after reopn", "unknown label 'refund after reopn'"),
            ([], "none given"),
            (3, "must be None, a label or a list of labels"),
        ],
    )
    def test_an_unknown_label_is_refused_naming_the_labels(
        self, reaching: Any, message: str
    ) -> None:
        with pytest.raises(InvalidArgument, match=message) as refused:
            case_histories(reaching=reaching).validate()

        if message.startswith("unknown"):
            assert "'refund after reopen'" in str(refused.value)


class TestForwardTime:
    def test_business_times_never_go_back(self) -> None:
        seen: list[list[str]] = []

        @settings(DRAWN, max_examples=200)
        @given(case_histories(forward_time=True))
        def test(history: CaseHistory) -> None:
            times = [history.opening["occurred_at"]]
            times += [command.kwargs["occurred_at"] for command in history.commands]
            assert times == sorted(times)
            seen.append(labels(history))

        test()

        reached = Counter(label for found in seen for label in found)
        assert "late entry" not in reached
        assert reached["month differs in UTC"] >= 10  # months' edges are still drawn

    def test_by_default_business_times_go_back_in_most_histories(self) -> None:
        late: list[bool] = []

        @settings(DRAWN, max_examples=200)
        @given(case_histories())
        def test(history: CaseHistory) -> None:
            late.append("late entry" in labels(history))

        test()

        assert sum(late) > len(late) / 2

    def test_asking_for_late_entries_in_forward_time_is_refused(self) -> None:
        with pytest.raises(InvalidArgument, match="forward_time=True rules out"):
            case_histories(reaching="late entry", forward_time=True).validate()

    def test_forward_time_is_a_flag(self) -> None:
        with pytest.raises(InvalidArgument, match="must be True or False"):
            case_histories(forward_time="yes").validate()  # type: ignore[arg-type]
