"""The catalog's stats against the fold: on random histories from casehistory.testing,
on SQLite, ``desk.catalog.stats()`` says what the views, histories and SLA clocks of
every case say (tests/catalog_stats/fold_stats.py computes it the long way), for each
period, with and without filters; and a read-only reader of a catalog left behind
says the same, from what it folds in memory."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casehistory import CaseDesk, Channel, Status, SteppingClock
from casehistory.cli.stats import answer
from casehistory.testing import CaseHistory
from casehistory.testing.strategies import CLOCK_START, case_histories
from casehistory.views import CaseView
from tests.catalog_stats.fold_stats import fold_stats, plain

histories = st.lists(case_histories(max_commands=12), min_size=1, max_size=5)
periods = st.sampled_from(["month", "week", "day"])
days = st.dates(min_value=date(2025, 12, 1), max_value=date(2026, 11, 1))


def recorded(cases: list[CaseHistory], where: str = ":memory:") -> CaseDesk:
    desk = CaseDesk.open(where, clock=SteppingClock(CLOCK_START))
    for history in cases:
        history.apply(desk)
    return desk


@settings(max_examples=40, deadline=None)
@given(histories, periods)
def test_the_stats_are_those_of_the_folded_cases(cases: list[CaseHistory], period: str) -> None:
    desk = recorded(cases)

    stats = desk.catalog.stats(period=period)

    assert stats.period == period
    assert stats.behind == 0
    assert plain(stats) == fold_stats(desk, period, stats.as_of)


@settings(max_examples=40, deadline=None)
@given(histories, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=12)))
def test_breaches_are_judged_at_any_moment_after_the_last_event(
    cases: list[CaseHistory], later: timedelta
) -> None:
    # Any moment from the last business time on: clocks still running breach when
    # their due time passes, with no event to tell the catalog.
    desk = recorded(cases)
    rows = desk.catalog.cases(limit=100).rows
    now = max(row.last_activity_at for row in rows) + later

    stats = desk.catalog.stats(now=now)

    assert stats.as_of == now
    assert plain(stats) == fold_stats(desk, "month", now)


@settings(max_examples=40, deadline=None)
@given(
    histories,
    periods,
    st.sets(st.sampled_from(Status), min_size=1),
    st.none() | st.sampled_from(Channel),
    st.none() | days,
    st.none() | days,
)
def test_filtered_stats_are_those_of_the_cases_a_filter_over_the_views_keeps(
    cases: list[CaseHistory],
    period: str,
    statuses: set[Status],
    channel: Channel | None,
    since: date | None,
    until: date | None,
) -> None:
    desk = recorded(cases)
    if since and until and until < since:
        since, until = until, since
    low = datetime.combine(since, time.min, tzinfo=UTC) if since else None
    high = datetime.combine(until, time.max, tzinfo=UTC) if until else None

    stats = desk.catalog.stats(
        period, status=statuses, channel=channel, opened=(low, high) if low or high else None
    )

    def keep(view: CaseView) -> bool:
        return (
            view.status in statuses
            and (channel is None or view.channel is channel)
            and (low is None or view.opened_at >= low)
            and (high is None or view.opened_at <= high)
        )

    assert plain(stats) == fold_stats(desk, period, stats.as_of, keep)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    histories,
    histories,
    periods,
    st.none() | st.sets(st.sampled_from(Status), min_size=1),
)
def test_a_read_only_reader_of_a_catalog_left_behind_says_what_the_fold_says(
    tmp_path: Path,
    before: list[CaseHistory],
    after: list[CaseHistory],
    period: str,
    statuses: set[Status] | None,
) -> None:
    # A writer keeps the catalog up to the first histories; the rest are recorded by
    # a desk that never asks it (so the catalog is behind them).
    path = tmp_path / f"cases-{id(before)}-{id(after)}.sqlite"
    path.unlink(missing_ok=True)
    writer = recorded(before, str(path))
    writer.catalog.wait()
    for history in after:
        history.apply(writer)
    reader = CaseDesk.open(path, read_only=True, clock=SteppingClock(CLOCK_START))
    now = datetime(2026, 11, 2, tzinfo=UTC)
    filters = {} if statuses is None else {"status": statuses}

    found = answer(reader, period, filters, now=now)

    assert found.stats.behind == 0
    assert found.folded == found.stored.behind > 0
    wanted = fold_stats(reader, period, now, lambda v: statuses is None or v.status in statuses)
    assert plain(found.stats) == wanted
    assert reader.catalog.status().position == found.stored.position  # nothing written
    reader.close()
    writer.close()
