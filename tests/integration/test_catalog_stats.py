"""The catalog's stats on SQLite and PostgreSQL, tried from outside: the five stories
and a few cases of our own against the fold (tests/catalog_stats/fold_stats.py),
figures written out by hand, exact sums of amounts no float can hold, the edges of
periods, a read-only reader of a catalog that is behind, and hostile arguments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from casehistory import (
    Actor,
    CaseDesk,
    Channel,
    Customer,
    Direction,
    Fault,
    InvalidInput,
    Money,
    Role,
    Status,
    SteppingClock,
)
from casehistory.catalog import Stats
from casehistory.cli._app import Refused
from casehistory.cli.stats import answer
from casehistory.stories import STORIES
from tests.catalog_stats.fold_stats import fold_stats, plain

AGENT = Actor("a.lee", Role.AGENT)
NOW = datetime(2026, 10, 30, 12, 0, tzinfo=UTC)
Opener = Callable[[], CaseDesk]


def a_case(desk: CaseDesk, name: str, at: datetime, *, channel: Channel = Channel.EMAIL) -> UUID:
    case_id = desk.open_case(
        customer=Customer(f"C-{name}", name),
        subject=f"{name}'s order",
        channel=channel,
        by=AGENT,
        occurred_at=at,
    )
    desk.assign_agent(case_id, agent=AGENT, by=AGENT, occurred_at=at)
    return case_id


def respond(desk: CaseDesk, case_id: UUID, at: datetime) -> None:
    desk.log_contact(
        case_id,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        summary="called back",
        by=AGENT,
        occurred_at=at,
    )


def resolve(desk: CaseDesk, case_id: UUID, at: datetime) -> None:
    desk.resolve_case(case_id, resolution="sorted", fault=Fault.OURS, by=AGENT, occurred_at=at)


def pay(desk: CaseDesk, case_id: UUID, amount: str, currency: str, at: datetime) -> None:
    desk.record_payment(
        case_id, amount=Money(amount, currency), reference=f"P-{amount}", by=AGENT, occurred_at=at
    )


def our_cases(desk: CaseDesk) -> dict[str, UUID]:
    """Three cases opened in October 2026 (Monday the 5th, 09:00 UTC, and days after)."""
    monday = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    ana = a_case(desk, "Ana", monday)
    respond(desk, ana, monday + timedelta(minutes=30))
    resolve(desk, ana, monday + timedelta(hours=3))
    pay(desk, ana, "0.10", "EUR", monday)
    pay(desk, ana, "0.20", "EUR", monday)
    desk.issue_refund(
        ana, amount=Money("0.30", "EUR"), reason="wrong size", by=AGENT, occurred_at=monday
    )
    bo = a_case(desk, "Bo", monday + timedelta(days=1), channel=Channel.CHAT)
    respond(desk, bo, monday + timedelta(days=1, hours=2))
    pay(desk, bo, "999999999999.99", "USD", monday + timedelta(days=1))
    pay(desk, bo, "0.01", "USD", monday + timedelta(days=1))
    desk.place_hold(
        bo,
        amount=Money("250.00", "EUR"),
        account="card ...4411",
        reference="H-1",
        reason="chargeback check",
        by=AGENT,
        occurred_at=monday + timedelta(days=1),
    )
    desk.release_hold(
        bo,
        reference="H-1",
        amount=Money("100.00", "EUR"),
        reason="partly cleared",
        by=AGENT,
        occurred_at=monday + timedelta(days=2),
    )
    cy = a_case(desk, "Cy", monday + timedelta(days=9))  # no response yet
    return {"ana": ana, "bo": bo, "cy": cy}


def test_the_stats_are_the_fold_of_every_case(
    open_desk: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGTZ", "America/St_Johns")  # -03:30: the session's zone is not UTC
    desk = open_desk()
    for story in STORIES:
        story.tell(desk)
    our_cases(desk)

    for period in ("month", "week", "day"):
        stats = desk.catalog.stats(period, now=NOW)

        assert plain(stats) == fold_stats(desk, period, NOW)


def test_the_figures_of_our_cases_written_out(open_desk: Opener) -> None:
    desk = open_desk()
    our_cases(desk)

    stats = desk.catalog.stats(now=NOW)

    assert stats.cases == 3
    assert stats.by_status["RESOLVED"] == 1
    assert stats.by_status["OPEN"] == 2
    assert dict(stats.by_channel) == {"PHONE": 0, "EMAIL": 2, "WALK_IN": 0, "CHAT": 1, "LETTER": 0}
    # Exact: 0.10 + 0.20 is 0.30, and 999,999,999,999.99 + 0.01 a whole trillion, which
    # a float would round (0.30000000000000004; 1e12 - 0.01 is not a double).
    [eur, usd] = stats.money
    assert (eur.period, eur.currency, eur.paid, eur.refunded) == (
        "2026-10",
        "EUR",
        Decimal("0.30"),
        Decimal("0.30"),
    )
    assert (eur.held, eur.released) == (Decimal("250.00"), Decimal("100.00"))
    assert usd.paid == Decimal("1000000000000.00")
    assert str(usd.paid) == "1000000000000.00"
    assert dict(stats.on_hold) == {"EUR": Decimal("150.00")}
    assert stats.open_holds == 1
    [january] = stats.times
    assert (january.period, january.opened) == ("2026-10", 3)
    assert january.first_response.count == 2
    assert january.first_response.median == timedelta(minutes=30)  # nearest rank: the lower
    assert january.first_response.p90 == timedelta(hours=2)
    assert (january.resolution.count, january.resolution.median) == (1, timedelta(hours=3))
    # Ana and Bo were answered within four business hours; Cy's email, opened on
    # Wednesday 14 October, had no answer by the 30th: breached.
    assert january.first_response_sla.as_json() == {
        "met": 2,
        "breached": 1,
        "unmet": 0,
        "rate": 0.3333,
    }
    assert january.resolution_sla.met == 1


def test_periods_are_utc_calendar_periods(
    open_desk: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A PostgreSQL session 14 hours east of UTC (libpq reads PGTZ): periods stay UTC.
    monkeypatch.setenv("PGTZ", "Pacific/Kiritimati")
    desk = open_desk()
    # 01:30 on 1 January 2026 at +02:00 is 23:30 on 31 December 2025 in UTC: December,
    # and ISO week 1 of 2026, which starts on Monday 29 December 2025.
    east = timezone(timedelta(hours=2))
    dee = a_case(desk, "Dee", datetime(2026, 1, 1, 1, 30, tzinfo=east))
    pay(desk, dee, "1.00", "GBP", datetime(2026, 1, 1, 1, 30, tzinfo=east))
    pay(desk, dee, "2.00", "GBP", datetime(2026, 1, 1, 2, 0, tzinfo=east))  # 00:00 UTC
    pay(desk, dee, "4.00", "GBP", datetime(2026, 1, 4, 23, 59, 59, 999999, tzinfo=UTC))
    pay(desk, dee, "8.00", "GBP", datetime(2026, 1, 5, tzinfo=UTC))  # Monday: week 2
    # 2020's week 53, on a case of its own: a payment precedes its case by 730 days at
    # most (the business-time policy).
    old = a_case(desk, "Old", datetime(2021, 1, 3, 11, 0, tzinfo=UTC))
    pay(desk, old, "16.00", "GBP", datetime(2021, 1, 3, 12, 0, tzinfo=UTC))

    def paid(period: str) -> list[tuple[str, date, Decimal]]:
        return [(m.period, m.start, m.paid) for m in desk.catalog.stats(period, now=NOW).money]

    assert paid("month") == [
        ("2021-01", date(2021, 1, 1), Decimal("16.00")),
        ("2025-12", date(2025, 12, 1), Decimal("1.00")),
        ("2026-01", date(2026, 1, 1), Decimal("14.00")),
    ]
    assert paid("week") == [
        ("2020-W53", date(2020, 12, 28), Decimal("16.00")),
        ("2026-W01", date(2025, 12, 29), Decimal("7.00")),
        ("2026-W02", date(2026, 1, 5), Decimal("8.00")),
    ]
    days = ["2021-01-03", "2025-12-31", "2026-01-01", "2026-01-04", "2026-01-05"]
    assert [p for p, _, _ in paid("day")] == days
    weeks = [t.period for t in desk.catalog.stats("week", now=NOW).times]
    assert weeks == ["2020-W53", "2026-W01"]  # the periods the two cases opened in
    months = [t.period for t in desk.catalog.stats("month", now=NOW).times]
    assert months == ["2021-01", "2025-12"]


def test_a_read_only_reader_of_a_catalog_behind_counts_every_event(
    open_desk: Opener, store: str
) -> None:
    writer = open_desk()
    for story in STORIES:
        story.tell(writer)
    cases = our_cases(writer)
    writer.catalog.wait()
    # Then, unseen by the catalog: Cy is answered and resolved, Bo resolved (now
    # RESOLVED, so a filter on RESOLVED must count the money of Bo's past too, which
    # only the stored catalog holds), and a new case opens.
    respond(writer, cases["cy"], datetime(2026, 10, 15, 9, 0, tzinfo=UTC))
    pay(writer, cases["cy"], "5.00", "EUR", datetime(2026, 10, 14, 9, 0, tzinfo=UTC))
    resolve(writer, cases["cy"], datetime(2026, 10, 15, 10, 0, tzinfo=UTC))
    resolve(writer, cases["bo"], datetime(2026, 10, 15, 11, 0, tzinfo=UTC))  # money of before
    eve = a_case(writer, "Eve", datetime(2026, 10, 20, 9, 0, tzinfo=UTC))
    pay(writer, eve, "7.00", "EUR", datetime(2026, 10, 20, 9, 0, tzinfo=UTC))
    reader = CaseDesk.open(store, read_only=True, clock=SteppingClock(NOW))

    choices: list[dict[str, Any]] = [{}, {"status": Status.RESOLVED}, {"channel": Channel.EMAIL}]
    answers = [answer(reader, "month", filters, now=NOW) for filters in choices]
    alone = [reader.catalog.stats(now=NOW, **filters) for filters in choices]

    assert reader.catalog.status().behind == 7  # the reader wrote nothing
    for filters, found, stored in zip(choices, answers, alone, strict=True):
        assert found.folded == found.stored.behind == 7
        assert found.stats.behind == 0
        assert stored.behind == 7  # the stored catalog alone says what it lacks
        # The writer's own catalog, brought up to date, says the same.
        assert plain(found.stats) == plain(writer.catalog.stats(now=NOW, **filters))
    reader.close()


def test_a_reader_refuses_after_the_catalog_moves_under_it_every_time(
    sqlite_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = CaseDesk.open(sqlite_path, clock=SteppingClock(NOW))
    our_cases(writer)
    writer.catalog.wait()
    a_case(writer, "Fay", datetime(2026, 10, 21, tzinfo=UTC))
    reader = CaseDesk.open(sqlite_path, read_only=True, clock=SteppingClock(NOW))
    real = reader.catalog.status
    calls = iter(range(1, 100))

    def moving() -> Any:
        # A follower at work: every reading finds the catalog further on, and behind.
        status, more = real(), next(calls)
        return type(status)(status.position + more, status.position + more + 2, True)

    monkeypatch.setattr(reader.catalog, "status", moving)

    with pytest.raises(Refused, match="moved 3 times while stats read it"):
        answer(reader, "month", {}, now=NOW)
    reader.close()
    writer.close()


def test_a_store_without_a_catalog_gives_empty_stats_that_say_so(sqlite_path: Any) -> None:
    writer = CaseDesk.open(sqlite_path, clock=SteppingClock(NOW))
    our_cases(writer)  # no catalog query: the store has no catalog tables
    reader = CaseDesk.open(sqlite_path, read_only=True, clock=SteppingClock(NOW))

    alone = reader.catalog.stats(now=NOW)
    folded = answer(reader, "month", {}, now=NOW)
    nothing = answer(reader, "month", {}, now=NOW, fold=0)

    assert (alone.cases, alone.money, alone.times, alone.behind) == (0, (), (), 16)
    assert folded.stats.cases == 3
    assert folded.folded == 16
    assert not folded.stored.exists
    assert plain(folded.stats) == plain(writer.catalog.stats(now=NOW))
    assert nothing.stats.behind == 16
    assert nothing.stats.cases == 0
    reader.close()
    writer.close()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"period": "year"}, "period must be one of month, week, day, got 'year'"),
        ({"period": "MONTH"}, "period must be one of"),
        ({"period": None}, "period must be one of"),
        ({"order": "-opened"}, "stats takes the filters of cases\\(\\), not order"),
        ({"limit": 5, "after": "x"}, "not after, limit"),
        ({"now": datetime(2027, 1, 1)}, "now must be a timezone-aware datetime"),
        ({"status": "OPEN"}, "status must be a Status"),
        ({"opened": (NOW, NOW - timedelta(1))}, "opened: until .* is before since"),
        ({"text": "   "}, "holds no word"),
        ({"sla_breached": "yes"}, "sla_breached must be True or False"),
    ],
)
def test_hostile_arguments_are_refused_before_any_work(
    arguments: dict[str, Any], message: str
) -> None:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(NOW))
    our_cases(desk)

    with pytest.raises(InvalidInput, match=message):
        desk.catalog.stats(**arguments)

    assert desk.catalog.stats(now=NOW).cases == 3  # and the catalog answers as before


def test_search_text_is_data_not_sql(open_desk: Opener) -> None:
    desk = open_desk()
    our_cases(desk)

    for text in ("Ana'", 'Ana"', "Ana;", "Ana*", "(Ana", "ana -", "{Ana}"):
        stats: Stats = desk.catalog.stats(text=text, now=NOW)

        assert stats.cases == 1, text
        assert stats.by_channel["EMAIL"] == 1
    for text in ("Ana' OR 1=1 --", 'x" OR "1"="1', "Ana; DROP TABLE catalog_cases", "NEAR(Ana x)"):
        # Every word must be found: these hold words no case has, and change nothing.
        assert desk.catalog.stats(text=text, now=NOW).cases == 0
    assert desk.catalog.stats(now=NOW).cases == 3
