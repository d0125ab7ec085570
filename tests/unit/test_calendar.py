"""Business time: when the desk is open, how much open time lies between two instants, and
when a business duration runs out, across weekends, holidays and changes of the clocks."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from casehistory.domain.calendar import DEFAULT_CALENDAR, WEEKDAYS, BusinessCalendar
from casehistory.errors import InvalidInput

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
HOURS = timedelta(hours=1)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def london(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


def new_york(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=NEW_YORK)


def gb(**changes: object) -> BusinessCalendar:
    """England's desk: London time, GB-ENG bank holidays for 2025-2027."""
    fields: dict[str, object] = {
        "timezone": "Europe/London",
        "country": "GB",
        "subdivision": "ENG",
        "years": (2025, 2027),
    }
    fields.update(changes)
    return BusinessCalendar(**fields)  # type: ignore[arg-type]


class TestTheDefaultCalendar:
    def test_is_monday_to_friday_nine_to_five_utc_without_holidays(self) -> None:
        calendar = BusinessCalendar()

        assert calendar == DEFAULT_CALENDAR
        assert calendar.timezone == "UTC"
        assert calendar.working_days == frozenset(range(5))
        assert (calendar.opens, calendar.closes) == (time(9), time(17))
        assert calendar.holiday_dates == frozenset()
        assert calendar.business_day == 8 * HOURS

    def test_is_open_from_nine_and_closed_from_five(self) -> None:
        monday = utc(2026, 3, 2, 9, 0)

        assert DEFAULT_CALENDAR.is_open(monday)
        assert not DEFAULT_CALENDAR.is_open(monday - timedelta(microseconds=1))
        assert DEFAULT_CALENDAR.is_open(utc(2026, 3, 2, 16, 59, 59))
        assert not DEFAULT_CALENDAR.is_open(utc(2026, 3, 2, 17, 0))
        assert not DEFAULT_CALENDAR.is_open(utc(2026, 3, 7, 12, 0))  # a Saturday

    def test_an_instant_in_another_timezone_is_read_on_the_desks_clock(self) -> None:
        # 09:30 in Tokyo on Monday is 00:30 UTC: before the desk opens.
        tokyo = datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Asia/Tokyo"))

        assert not DEFAULT_CALENDAR.is_open(tokyo)
        assert DEFAULT_CALENDAR.elapsed(tokyo, utc(2026, 3, 2, 10, 0)) == HOURS


class TestElapsedAcrossAWeekend:
    def test_friday_afternoon_to_monday_morning_counts_only_open_hours(self) -> None:
        friday, monday = utc(2026, 3, 6, 15, 0), utc(2026, 3, 9, 11, 0)

        assert DEFAULT_CALENDAR.elapsed(friday, monday) == 4 * HOURS

    def test_a_whole_week_is_five_business_days(self) -> None:
        monday = utc(2026, 3, 2, 9, 0)

        assert DEFAULT_CALENDAR.elapsed(monday, monday + timedelta(days=7)) == 40 * HOURS

    def test_nothing_elapses_while_closed_and_between_equal_instants(self) -> None:
        saturday = utc(2026, 3, 7, 10, 0)

        assert DEFAULT_CALENDAR.elapsed(saturday, saturday + timedelta(days=1)) == timedelta(0)
        assert DEFAULT_CALENDAR.elapsed(saturday, saturday) == timedelta(0)

    def test_microseconds_count(self) -> None:
        start = utc(2026, 3, 2, 9, 0, 0)

        elapsed = DEFAULT_CALENDAR.elapsed(start, start + timedelta(microseconds=7))

        assert elapsed == timedelta(microseconds=7)


class TestDueAcrossAWeekend:
    def test_four_business_hours_from_friday_three_pm_are_due_monday_eleven(self) -> None:
        due = DEFAULT_CALENDAR.due(utc(2026, 3, 6, 15, 0), 4 * HOURS)

        assert due == utc(2026, 3, 9, 11, 0)
        assert due.tzinfo is UTC

    def test_five_business_days_from_friday_three_pm_are_due_next_friday_three_pm(self) -> None:
        due = DEFAULT_CALENDAR.due(utc(2026, 3, 6, 15, 0), 40 * HOURS)

        assert due == utc(2026, 3, 13, 15, 0)

    def test_a_duration_ending_at_a_close_is_due_at_the_close_not_the_next_opening(self) -> None:
        due = DEFAULT_CALENDAR.due(utc(2026, 3, 6, 15, 0), 2 * HOURS)

        assert due == utc(2026, 3, 6, 17, 0)

    def test_from_a_closed_instant_the_count_starts_at_the_next_opening(self) -> None:
        due = DEFAULT_CALENDAR.due(utc(2026, 3, 7, 23, 0), HOURS)

        assert due == utc(2026, 3, 9, 10, 0)

    def test_nothing_is_due_at_once_even_when_closed(self) -> None:
        sunday = datetime(2026, 3, 8, 12, 0, tzinfo=timezone(timedelta(hours=2)))

        assert DEFAULT_CALENDAR.due(sunday, timedelta(0)) == sunday


class TestPublicHolidays:
    def test_holidays_are_resolved_into_dates_for_the_years(self) -> None:
        calendar = gb()

        assert date(2026, 12, 25) in calendar.holiday_dates
        assert date(2026, 12, 28) in calendar.holiday_dates  # Boxing Day, observed
        assert all(2025 <= d.year <= 2027 for d in calendar.holiday_dates)

    def test_due_over_christmas_skips_the_bank_holidays_and_the_weekend(self) -> None:
        # Thursday 24 December 2026, 15:00: two hours left that day; Friday is Christmas,
        # then the weekend, then Boxing Day observed on Monday.
        due = gb().due(london(2026, 12, 24, 15, 0), 4 * HOURS)

        assert due == london(2026, 12, 29, 11, 0)

    def test_a_holiday_counts_no_business_time(self) -> None:
        christmas = london(2026, 12, 25, 0, 0)

        assert gb().elapsed(christmas, christmas + timedelta(days=1)) == timedelta(0)
        assert not gb().is_open(london(2026, 12, 25, 12, 0))

    def test_a_subdivision_adds_its_own_holidays(self) -> None:
        cesar_chavez_day = date(2026, 3, 31)  # California only

        federal = BusinessCalendar(timezone="America/Los_Angeles", country="US", years=(2026, 2026))
        california = BusinessCalendar(
            timezone="America/Los_Angeles", country="US", subdivision="CA", years=(2026, 2026)
        )

        assert cesar_chavez_day not in federal.holiday_dates
        assert cesar_chavez_day in california.holiday_dates
        noon = datetime(2026, 3, 31, 12, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
        assert federal.is_open(noon)
        assert not california.is_open(noon)

    def test_extra_closed_dates_close_the_desk(self) -> None:
        calendar = BusinessCalendar(closed_dates={date(2026, 3, 9)})

        assert calendar.due(utc(2026, 3, 6, 15, 0), 4 * HOURS) == utc(2026, 3, 10, 11, 0)

    def test_a_closed_date_on_a_weekend_changes_nothing(self) -> None:
        saturday, sunday = date(2026, 3, 7), date(2026, 3, 8)

        calendar = BusinessCalendar(closed_dates={saturday, sunday})

        friday, tuesday = utc(2026, 3, 6, 9, 0), utc(2026, 3, 10, 17, 0)
        assert calendar.elapsed(friday, tuesday) == DEFAULT_CALENDAR.elapsed(friday, tuesday)
        assert calendar.elapsed(friday, tuesday) == 24 * HOURS


class TestDaylightSavingTime:
    def test_opening_hours_are_read_on_the_local_clock_across_a_change(self) -> None:
        # New York springs forward on Sunday 8 March 2026: 09:00 is 14:00 UTC on Friday
        # and 13:00 UTC on Monday. Nine to five stays eight hours each day.
        calendar = BusinessCalendar(timezone="America/New_York", years=(2026, 2026))

        friday, monday = new_york(2026, 3, 6, 9, 0), new_york(2026, 3, 9, 9, 0)

        assert calendar.elapsed(friday, monday) == 8 * HOURS
        assert calendar.due(new_york(2026, 3, 6, 16, 0), 2 * HOURS) == utc(2026, 3, 9, 14, 0)

    def test_a_desk_open_through_the_night_has_an_hour_less_when_clocks_go_forward(
        self,
    ) -> None:
        calendar = BusinessCalendar(
            timezone="America/New_York",
            working_days=range(7),
            opens=time(0, 0),
            closes=time(4, 0),
            years=(2026, 2026),
        )

        sunday = new_york(2026, 3, 8, 0, 0)

        assert calendar.elapsed(sunday, sunday + timedelta(hours=12)) == 3 * HOURS

    def test_and_reads_the_repeated_hour_twice_when_they_go_back(self) -> None:
        calendar = BusinessCalendar(
            timezone="America/New_York",
            working_days=range(7),
            opens=time(0, 0),
            closes=time(4, 0),
            years=(2026, 2026),
        )

        start = new_york(2026, 11, 1, 0, 0)

        assert calendar.elapsed(start, start + timedelta(hours=12)) == 5 * HOURS
        # 01:30 happens twice; both are open.
        assert calendar.is_open(utc(2026, 11, 1, 5, 30))
        assert calendar.is_open(utc(2026, 11, 1, 6, 30))

    def test_opening_inside_the_skipped_hour_counts_from_the_first_instant_that_reads_later(
        self,
    ) -> None:
        # London skips 01:00-02:00 on 29 March 2026: a desk open 01:30-02:30 is open from
        # the instant the clock reads 02:00 (01:00 UTC) to 02:30: half an hour.
        calendar = BusinessCalendar(
            timezone="Europe/London",
            working_days=range(7),
            opens=time(1, 30),
            closes=time(2, 30),
            years=(2026, 2026),
        )

        day = utc(2026, 3, 29, 0, 0)

        assert calendar.elapsed(day, day + timedelta(days=1)) == timedelta(minutes=30)
        assert calendar.due(day, timedelta(minutes=10)) == utc(2026, 3, 29, 1, 10)

    def test_a_fall_back_at_midnight_counts_the_repeated_hour_once_more(self) -> None:
        # Santiago turns 24:00 on Saturday 4 April 2026 back to 23:00 (03:00 UTC): a desk
        # open round the clock counts real time, the repeated hour included.
        calendar = BusinessCalendar(
            timezone="America/Santiago",
            working_days=range(7),
            opens=time(0, 0),
            closes=time(0, 0),
            years=(2026, 2026),
        )

        start = utc(2026, 4, 5, 1, 0)  # 22:00 on Saturday in Santiago

        assert calendar.elapsed(start, start + 3 * HOURS) == 3 * HOURS
        assert calendar.due(start, 150 * timedelta(minutes=1)) == utc(2026, 4, 5, 3, 30)

    def test_periods_of_consecutive_days_that_interleave_are_used_in_time_order(self) -> None:
        # No zone today turns its clocks back from after midnight to before it, which
        # would make one day's first open hour come before the day before's last; the
        # due time still walks the periods in time order. Planted in the day cache.
        calendar = BusinessCalendar(working_days=range(7), years=(2026, 2026))
        first = date(2026, 3, 2).toordinal()
        hour = 3_600_000_000
        monday_midnight = (first - date(1970, 1, 1).toordinal()) * 24 * hour
        calendar._days[first] = ((monday_midnight + 22 * hour, monday_midnight + 24 * hour),)
        calendar._days[first + 1] = ((monday_midnight + 20 * hour, monday_midnight + 21 * hour),)

        due = calendar.due(utc(2026, 3, 2, 0, 0), 90 * timedelta(minutes=1))

        assert due == utc(2026, 3, 2, 22, 30)


class TestMidnightClose:
    def test_opens_and_closes_at_midnight_is_a_desk_open_round_the_clock(self) -> None:
        calendar = BusinessCalendar(working_days=range(7), opens=time(0), closes=time(0))

        assert calendar.business_day == 24 * HOURS
        assert calendar.elapsed(utc(2026, 3, 2), utc(2026, 3, 9)) == 7 * 24 * HOURS

    def test_closes_at_midnight_means_open_to_the_end_of_the_day(self) -> None:
        calendar = BusinessCalendar(opens=time(22, 0), closes=time(0, 0))

        assert calendar.business_day == 2 * HOURS
        assert calendar.is_open(utc(2026, 3, 2, 23, 59, 59))
        assert not calendar.is_open(utc(2026, 3, 3, 0, 0))
        assert calendar.parameters()["closes"] == "24:00:00"


class TestParametersAndDigest:
    def test_parameters_are_plain_json_with_the_resolved_dates(self) -> None:
        calendar = gb(closed_dates={date(2026, 12, 24)})

        parameters = calendar.parameters()

        assert json.loads(json.dumps(parameters)) == parameters
        assert parameters["timezone"] == "Europe/London"
        assert parameters["working_days"] == ["MON", "TUE", "WED", "THU", "FRI"]
        assert "2026-12-28" in parameters["holidays"]
        assert parameters["closed_dates"] == ["2026-12-24"]
        assert parameters["years"] == [2025, 2027]

    def test_the_digest_is_the_sha256_of_the_canonical_json_written_out_here(self) -> None:
        # A digest is recorded in cases: changing how parameters are written changes it.
        canonical = (
            b'{"closed_dates":[],"closes":"17:00:00","country":null,"holidays":[],'
            b'"opens":"09:00:00","subdivision":null,"timezone":"UTC",'
            b'"working_days":["MON","TUE","WED","THU","FRI"],"years":[2000,2099]}'
        )

        assert DEFAULT_CALENDAR.digest == hashlib.sha256(canonical).hexdigest()

    def test_rebuilding_from_parameters_gives_the_same_calendar_and_digest(self) -> None:
        calendar = gb(closed_dates={date(2026, 12, 24)}, closes=time(0))

        rebuilt = BusinessCalendar.from_parameters(calendar.parameters())

        assert rebuilt == calendar
        assert rebuilt.digest == calendar.digest

    def test_recorded_holidays_win_over_the_holidays_package(self) -> None:
        # A later release of the package drops a date: the recorded calendar keeps it.
        parameters = gb().parameters()
        parameters["holidays"].remove("2026-12-28")

        rebuilt = BusinessCalendar.from_parameters(parameters)

        assert date(2026, 12, 28) not in rebuilt.holiday_dates
        assert rebuilt.is_open(london(2026, 12, 28, 12, 0))
        assert rebuilt.digest != gb().digest

    @pytest.mark.parametrize(
        "change",
        [
            {"timezone": "Europe/Paris"},
            {"working_days": range(6)},
            {"opens": time(8)},
            {"closes": time(18)},
            {"years": (2025, 2028)},
            {"closed_dates": {date(2026, 1, 2)}},
            {"subdivision": "SCT"},
        ],
    )
    def test_every_parameter_changes_the_digest(self, change: dict[str, object]) -> None:
        assert gb(**change).digest != gb().digest

    def test_working_days_may_be_named(self) -> None:
        assert BusinessCalendar(working_days=["mon", "TUE", 2]).working_days == {0, 1, 2}
        assert WEEKDAYS[6] == "SUN"

    @pytest.mark.parametrize(
        "hostile",
        [
            "not a mapping",
            {},
            {**DEFAULT_CALENDAR.parameters(), "extra": 1},
            {**DEFAULT_CALENDAR.parameters(), "opens": "nine"},
            {**DEFAULT_CALENDAR.parameters(), "holidays": ["2026-13-01"]},
            {**DEFAULT_CALENDAR.parameters(), "working_days": []},
            {**DEFAULT_CALENDAR.parameters(), "years": [2026]},
        ],
    )
    def test_parameters_that_describe_no_calendar_are_refused(self, hostile: object) -> None:
        with pytest.raises(InvalidInput):
            BusinessCalendar.from_parameters(hostile)  # type: ignore[arg-type]


class TestRefusals:
    @pytest.mark.parametrize(
        "call",
        [
            lambda: DEFAULT_CALENDAR.is_open(datetime(2026, 3, 2, 9, 0)),
            lambda: DEFAULT_CALENDAR.elapsed(datetime(2026, 3, 2, 9, 0), utc(2026, 3, 3)),
            lambda: DEFAULT_CALENDAR.elapsed(utc(2026, 3, 2), datetime(2026, 3, 3)),
            lambda: DEFAULT_CALENDAR.due(datetime(2026, 3, 2, 9, 0), HOURS),
            lambda: DEFAULT_CALENDAR.is_open("2026-03-02T09:00Z"),  # type: ignore[arg-type]
        ],
    )
    def test_naive_datetimes_are_refused(self, call: object) -> None:
        with pytest.raises(InvalidInput, match="timezone-aware"):
            call()  # type: ignore[operator]

    def test_an_end_before_the_start_is_refused(self) -> None:
        with pytest.raises(InvalidInput, match=r"before start .* swap them"):
            DEFAULT_CALENDAR.elapsed(utc(2026, 3, 3), utc(2026, 3, 2))

    @pytest.mark.parametrize("duration", [-HOURS, 4, None, "4h"])
    def test_a_duration_that_is_no_timedelta_of_zero_or_more_is_refused(
        self, duration: object
    ) -> None:
        with pytest.raises(InvalidInput, match="business duration"):
            DEFAULT_CALENDAR.due(utc(2026, 3, 2), duration)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("opens", "closes"), [(time(9), time(9)), (time(17), time(9)), (time(0, 1), time(0, 0, 1))]
    )
    def test_a_day_without_open_time_is_refused(self, opens: time, closes: time) -> None:
        with pytest.raises(InvalidInput, match="must be before closes"):
            BusinessCalendar(opens=opens, closes=closes)

    def test_hours_with_a_timezone_of_their_own_are_refused(self) -> None:
        with pytest.raises(InvalidInput, match="without tzinfo"):
            BusinessCalendar(opens=time(9, tzinfo=UTC))

    @pytest.mark.parametrize("days", [[], (), set(), [7], [-1], [True], ["funday"], None])
    def test_a_week_without_working_days_or_with_no_days_is_refused(self, days: object) -> None:
        with pytest.raises(InvalidInput, match="working"):
            BusinessCalendar(working_days=days)

    @pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "/etc/localtime", 3])
    def test_an_unknown_timezone_is_refused(self, name: object) -> None:
        with pytest.raises(InvalidInput, match="timezone"):
            BusinessCalendar(timezone=name)  # type: ignore[arg-type]

    def test_an_unknown_country_or_subdivision_is_refused(self) -> None:
        with pytest.raises(InvalidInput, match="does not know country 'XX'"):
            BusinessCalendar(country="XX", years=(2026, 2026))
        with pytest.raises(InvalidInput, match="subdivision 'ZZ'"):
            BusinessCalendar(country="GB", subdivision="ZZ", years=(2026, 2026))
        with pytest.raises(InvalidInput, match="needs a country"):
            BusinessCalendar(subdivision="CA")

    @pytest.mark.parametrize(
        "years", [(2027, 2026), (1800, 2026), (2026, 9999), (2000, 2300), 2026]
    )
    def test_years_out_of_bounds_are_refused(self, years: object) -> None:
        with pytest.raises(InvalidInput, match="years must be"):
            BusinessCalendar(years=years)

    def test_closed_dates_must_be_dates_within_the_years(self) -> None:
        with pytest.raises(InvalidInput, match="outside the calendar's years"):
            BusinessCalendar(years=(2026, 2026), closed_dates={date(2027, 1, 4)})
        with pytest.raises(InvalidInput, match="expected a date"):
            BusinessCalendar(closed_dates={datetime(2026, 1, 5, tzinfo=UTC)})
        with pytest.raises(InvalidInput, match="collection of dates"):
            BusinessCalendar(closed_dates="2026-01-05")

    def test_instants_outside_the_years_are_refused(self) -> None:
        calendar = BusinessCalendar(years=(2026, 2026))

        with pytest.raises(InvalidInput, match="outside the calendar's years 2026-2026"):
            calendar.is_open(utc(2027, 1, 4, 10))
        with pytest.raises(InvalidInput, match="outside the calendar's years"):
            calendar.elapsed(utc(2025, 12, 31, 10), utc(2026, 1, 5, 10))

    def test_an_enormous_duration_is_refused_at_once(self) -> None:
        with pytest.raises(InvalidInput, match="does not run out by the end of the calendar"):
            DEFAULT_CALENDAR.due(utc(2026, 3, 2), timedelta(days=999_999_999))

    def test_a_duration_past_the_last_year_is_refused_not_looped_over(self) -> None:
        calendar = BusinessCalendar(years=(2026, 2026))

        with pytest.raises(InvalidInput, match="later last year, or a shorter duration"):
            calendar.due(utc(2026, 12, 31, 16), 2 * HOURS)

    def test_a_desk_whose_every_working_day_is_closed_never_loops_forever(self) -> None:
        sundays = {date(2026, 1, 4) + timedelta(weeks=n) for n in range(52)}

        calendar = BusinessCalendar(working_days=["SUN"], years=(2026, 2026), closed_dates=sundays)

        assert calendar.elapsed(utc(2026, 1, 1), utc(2026, 12, 31)) == timedelta(0)
        with pytest.raises(InvalidInput, match="does not run out"):
            calendar.due(utc(2026, 1, 1), HOURS)
