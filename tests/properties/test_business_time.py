"""Properties of business time and the SLA clocks, over random calendars and histories.

The definition they check: the desk is open at an instant when the wall clock of the
calendar's timezone reads a working day, not closed, at or after ``opens`` and before
``closes``. With hours on whole minutes and zones whose offsets and changes are whole
minutes, openness is constant within each minute, so counting open minutes one by one
is an exact, independent measure of business time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from casehistory.domain.calendar import BusinessCalendar
from casehistory.domain.sla import SlaClocks, SlaPolicy, SlaTargets, Span, sla_clocks
from casehistory.domain.values import Channel

MINUTE = timedelta(minutes=1)
# Each zone with the local days of its 2026 changes (none for UTC and Kolkata).
CHANGES = {
    "UTC": (),
    "Europe/London": ("2026-03-29", "2026-10-25"),
    "America/New_York": ("2026-03-08", "2026-11-01"),
    "Australia/Lord_Howe": ("2026-04-05", "2026-10-04"),  # a change of half an hour
    "America/Santiago": ("2026-04-04", "2026-09-06"),  # changes at midnight
    "America/St_Johns": ("2026-03-08", "2026-11-01"),  # an offset of -3:30
    "Asia/Kolkata": (),  # +5:30
}
ZONES = tuple(CHANGES)

# Each example of the brute force counts up to ~30,000 minutes: no deadline.
brute_force = settings(deadline=None, max_examples=60)


def _clock_time(minutes: int) -> time:
    return time(0) if minutes == 24 * 60 else time(minutes // 60, minutes % 60)


@st.composite
def calendars(draw: st.DrawFn, zone: str | None = None) -> BusinessCalendar:
    zone = draw(st.sampled_from(ZONES)) if zone is None else zone
    # Half the time the desk opens at night, when the clocks change.
    opens = draw(st.integers(0, 24 * 60 - 1) | st.integers(0, 4 * 60))
    closes = draw(st.integers(opens + 1, 24 * 60) | st.integers(opens + 1, min(opens + 240, 1440)))
    closed = draw(st.lists(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=12))
    return BusinessCalendar(
        timezone=zone,
        working_days=draw(st.sets(st.integers(0, 6), min_size=1) | st.just(set(range(7)))),
        opens=_clock_time(opens),
        closes=_clock_time(closes),
        years=(2026, 2027),  # a due time may run into the next year
        closed_dates=closed,
    )


@st.composite
def scenes(draw: st.DrawFn) -> tuple[BusinessCalendar, date]:
    """A calendar and a day, most often a few days before a change of its zone's clocks."""
    zone = draw(st.sampled_from(ZONES))
    changes = [date.fromisoformat(day) for day in CHANGES[zone]]
    if changes and draw(st.integers(0, 2)) > 0:
        day = draw(st.sampled_from(changes)) - timedelta(days=draw(st.integers(0, 3)))
    else:
        day = draw(st.dates(date(2026, 1, 8), date(2026, 12, 1)))
    return draw(calendars(zone)), day


def minute_instants(day: date, *, within: int) -> st.SearchStrategy[datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return st.integers(0, within).map(lambda minutes: start + minutes * MINUTE)


def open_by_the_wall_clock(calendar: BusinessCalendar, at: datetime) -> bool:
    """The definition, written again without the calendar's arithmetic."""
    local = at.astimezone(ZoneInfo(calendar.timezone))
    if local.weekday() not in calendar.working_days:
        return False
    if local.date() in calendar.closed_dates or local.date() in calendar.holiday_dates:
        return False
    reading = local.time().replace(fold=0)
    return calendar.opens <= reading and (calendar.closes == time(0) or reading < calendar.closes)


def minutes_open(calendar: BusinessCalendar, start: datetime, end: datetime) -> int:
    count, at = 0, start
    while at < end:
        count += open_by_the_wall_clock(calendar, at)
        at += MINUTE
    return count


# -- business time ------------------------------------------------------------------------


@brute_force
@given(scene=scenes(), data=st.data())
def test_elapsed_agrees_with_counting_minutes_one_by_one(
    scene: tuple[BusinessCalendar, date], data: st.DataObject
) -> None:
    calendar, day = scene
    start = data.draw(minute_instants(day, within=3 * 24 * 60))
    end = data.draw(minute_instants(day, within=21 * 24 * 60).filter(lambda end: end >= start))

    elapsed = calendar.elapsed(start, end)

    assert elapsed == minutes_open(calendar, start, end) * MINUTE


@settings(max_examples=300)
@given(scene=scenes(), data=st.data())
def test_is_open_agrees_with_the_wall_clock(
    scene: tuple[BusinessCalendar, date], data: st.DataObject
) -> None:
    calendar, day = scene
    at = data.draw(minute_instants(day, within=14 * 24 * 60)) + data.draw(
        st.integers(0, 59_999_999).map(lambda us: timedelta(microseconds=us))
    )

    assert calendar.is_open(at) == open_by_the_wall_clock(calendar, at)


@settings(max_examples=300, deadline=None)
@given(scene=scenes(), data=st.data())
def test_the_due_time_is_where_exactly_that_much_business_time_has_elapsed(
    scene: tuple[BusinessCalendar, date], data: st.DataObject
) -> None:
    calendar, day = scene
    start = data.draw(minute_instants(day, within=14 * 24 * 60))
    most = 3 * calendar.business_day // timedelta(seconds=1)  # due within the years
    duration = data.draw(st.integers(0, most).map(lambda s: s * timedelta(seconds=1)))

    due = calendar.due(start, duration)

    assert due >= start
    assert calendar.elapsed(start, due) == duration
    if duration:  # the earliest such instant: just before it, less had elapsed
        assert calendar.is_open(due - timedelta(microseconds=1))


@settings(max_examples=300, deadline=None)
@given(scene=scenes(), data=st.data())
def test_due_of_elapsed_returns_to_the_instant_when_the_desk_was_open_just_before_it(
    scene: tuple[BusinessCalendar, date], data: st.DataObject
) -> None:
    calendar, day = scene
    start = data.draw(minute_instants(day, within=7 * 24 * 60))
    later = data.draw(minute_instants(day, within=21 * 24 * 60).filter(lambda x: x >= start))

    back = calendar.due(start, calendar.elapsed(start, later))

    assert start <= back <= later
    assert calendar.elapsed(back, later) == timedelta(0)
    if later > start and calendar.is_open(later - timedelta(microseconds=1)):
        assert back == later


# -- the clocks ---------------------------------------------------------------------------

Facts = tuple[datetime, Channel, datetime | None, list[Span], list[Span]]


@st.composite
def histories(draw: st.DrawFn) -> Facts:
    """An opening, a first response maybe, and the spans of a case walking OPEN ->
    AWAITING_CUSTOMER -> OPEN ... -> RESOLVED -> (reopened) OPEN ..., on minutes."""
    opened = draw(minute_instants(date(2026, 3, 2), within=14 * 24 * 60))
    channel = draw(st.sampled_from(Channel))
    steps = draw(st.lists(st.integers(1, 3 * 24 * 60), max_size=8))
    awaiting: list[Span] = []
    resolved: list[Span] = []
    state, at = "open", opened
    for step in steps:
        at += step * MINUTE
        if state == "open":
            state = draw(st.sampled_from(["awaiting", "resolved"]))
            (awaiting if state == "awaiting" else resolved).append((at, None))
        else:
            spans = awaiting if state == "awaiting" else resolved
            spans[-1] = (spans[-1][0], at)
            state = "open"
    response = draw(st.none() | st.integers(0, 10 * 24 * 60).map(lambda m: opened + m * MINUTE))
    return opened, channel, response, awaiting, resolved


@st.composite
def policies(draw: st.DrawFn) -> SlaPolicy:
    """Policies whose targets are up to 2 and 6 business days: due within the years."""
    calendar = draw(calendars())
    day = calendar.business_day // MINUTE
    return SlaPolicy(
        calendar=calendar,
        first_response=draw(st.integers(1, 2 * day)) * MINUTE,
        resolution=draw(st.integers(1, 6 * day)) * MINUTE,
        channels={Channel.CHAT: SlaTargets(first_response=30 * MINUTE)},
    )


def clocks_of(policy: SlaPolicy, facts: Facts, as_of: datetime) -> SlaClocks:
    opened, channel, response, awaiting, resolved = facts
    return sla_clocks(
        policy,
        opened_at=opened,
        channel=channel,
        as_of=as_of,
        first_response_at=response,
        awaiting=awaiting,
        resolved=resolved,
    )


def up_to(facts: Facts, as_of: datetime) -> Facts:
    """The facts known at ``as_of``: later ones left out, later ends not known yet."""
    opened, channel, response, awaiting, resolved = facts

    def known(spans: list[Span]) -> list[Span]:
        return [(s, e if e is not None and e <= as_of else None) for s, e in spans if s <= as_of]

    late = response is not None and response > as_of
    return opened, channel, None if late else response, known(awaiting), known(resolved)


def as_of_instants(facts: Facts) -> st.SearchStrategy[datetime]:
    return st.integers(0, 30 * 24 * 60).map(lambda m: facts[0] + m * MINUTE)


@settings(max_examples=200, deadline=None)
@given(policy=policies(), facts=histories(), data=st.data())
def test_the_clocks_as_of_t_are_those_of_the_facts_known_at_t(
    policy: SlaPolicy, facts: Facts, data: st.DataObject
) -> None:
    as_of = data.draw(as_of_instants(facts))

    assert clocks_of(policy, facts, as_of) == clocks_of(policy, up_to(facts, as_of), as_of)


@settings(max_examples=200, deadline=None)
@given(policy=policies(), facts=histories(), data=st.data())
def test_a_breach_once_seen_stays_and_counted_time_never_shrinks(
    policy: SlaPolicy, facts: Facts, data: st.DataObject
) -> None:
    earlier = data.draw(as_of_instants(facts))
    later = earlier + data.draw(st.integers(0, 10 * 24 * 60)) * MINUTE

    before, after = clocks_of(policy, facts, earlier), clocks_of(policy, facts, later)

    for old, new in (
        (before.first_response, after.first_response),
        (before.resolution, after.resolution),
    ):
        assert new.breached or not old.breached
        assert new.elapsed >= old.elapsed


@settings(max_examples=200, deadline=None)
@given(policy=policies(), facts=histories(), data=st.data())
def test_counted_and_paused_time_add_up_and_agree_with_the_due_time(
    policy: SlaPolicy, facts: Facts, data: st.DataObject
) -> None:
    as_of = data.draw(as_of_instants(facts))
    opened = facts[0]

    answer = clocks_of(policy, facts, as_of)

    for clock in (answer.first_response, answer.resolution):
        end = as_of if clock.met_at is None else clock.met_at
        assert clock.elapsed + clock.paused_for == policy.calendar.elapsed(opened, end)
        assert clock.breached == (end > clock.due_at)
        if clock.remaining < timedelta(0):
            assert clock.breached
        if clock.breached:
            assert clock.remaining <= timedelta(0)
        if clock.met_at is None and not clock.breached:
            assert clock.due_at >= as_of
