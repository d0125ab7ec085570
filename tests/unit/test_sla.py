"""SLA policies and the two clocks: targets in business time, paused while the case awaits
the customer or stands resolved, as of any instant, from the facts known by then."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest

from casehistory.domain.calendar import DEFAULT_CALENDAR, BusinessCalendar
from casehistory.domain.sla import (
    DEFAULT_SLA_POLICY,
    SlaClocks,
    SlaPolicy,
    SlaTargets,
    SlaTerms,
    sla_clocks,
)
from casehistory.domain.values import Channel
from casehistory.errors import InvalidInput

HOURS = timedelta(hours=1)
MINUTES = timedelta(minutes=1)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# Monday 2 March 2026, 10:00 UTC: first response due 14:00, resolution (40 business
# hours) due Monday 9 March 10:00 on the default calendar.
OPENED = utc(2026, 3, 2, 10, 0)


def clocks(as_of: datetime, **facts: object) -> SlaClocks:
    arguments: dict[str, object] = {"opened_at": OPENED, "channel": Channel.EMAIL}
    arguments.update(facts)
    return sla_clocks(DEFAULT_SLA_POLICY, as_of=as_of, **arguments)  # type: ignore[arg-type]


class TestThePolicy:
    def test_defaults_are_four_business_hours_and_five_business_days(self) -> None:
        policy = SlaPolicy()

        assert policy == DEFAULT_SLA_POLICY
        assert (policy.policy_id, policy.version) == ("sla", 1)
        assert policy.first_response == 4 * HOURS
        assert policy.resolution == 40 * HOURS
        assert policy.calendar == DEFAULT_CALENDAR

    def test_five_business_days_follow_the_calendars_hours(self) -> None:
        longer_days = BusinessCalendar(opens=time(8), closes=time(18))

        assert SlaPolicy(calendar=longer_days).resolution == 50 * HOURS

    def test_a_channel_overrides_only_the_targets_it_names(self) -> None:
        policy = SlaPolicy(channels={Channel.CHAT: SlaTargets(first_response=HOURS)})

        assert policy.targets(Channel.CHAT) == SlaTargets(
            first_response=HOURS, resolution=40 * HOURS
        )
        assert policy.targets(Channel.EMAIL) == SlaTargets(
            first_response=4 * HOURS, resolution=40 * HOURS
        )

    def test_the_digest_binds_id_and_version_to_every_parameter(self) -> None:
        base = SlaPolicy()

        variants = [
            SlaPolicy(policy_id="sla-eu"),
            SlaPolicy(version=2),
            SlaPolicy(first_response=3 * HOURS),
            SlaPolicy(resolution=41 * HOURS),
            SlaPolicy(channels={Channel.CHAT: SlaTargets(first_response=HOURS)}),
            SlaPolicy(calendar=BusinessCalendar(timezone="Europe/London")),
        ]

        digests = {base.digest, *(variant.digest for variant in variants)}
        assert len(digests) == len(variants) + 1
        assert base.terms == SlaTerms("sla", 1, base.digest)

    def test_parameters_are_plain_json_and_rebuild_the_policy(self) -> None:
        policy = SlaPolicy(
            version=3,
            channels={
                Channel.PHONE: SlaTargets(resolution=8 * HOURS),
                Channel.CHAT: SlaTargets(first_response=30 * MINUTES),
            },
            calendar=BusinessCalendar(timezone="Europe/London", country="GB", years=(2026, 2027)),
        )

        parameters = policy.parameters()
        rebuilt = SlaPolicy.from_parameters(json.loads(json.dumps(parameters)))

        assert parameters["first_response_seconds"] == 4 * 3600
        assert list(parameters["channels"]) == ["CHAT", "PHONE"]
        assert parameters["channels"]["CHAT"] == {
            "first_response_seconds": 1800,
            "resolution_seconds": None,
        }
        assert rebuilt == policy
        assert rebuilt.digest == policy.digest

    @pytest.mark.parametrize(
        "target",
        [timedelta(0), -HOURS, timedelta(days=367), timedelta(seconds=1, microseconds=5), 4, None],
    )
    def test_a_target_that_is_no_positive_whole_number_of_seconds_is_refused(
        self, target: object
    ) -> None:
        with pytest.raises(InvalidInput, match="first_response must be a timedelta"):
            SlaPolicy(first_response=target)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="resolution must be a timedelta"):
            SlaTargets(resolution=target if target is not None else -HOURS)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "fields",
        [
            {"policy_id": ""},
            {"policy_id": 7},
            {"policy_id": "x" * 201},
            {"version": 0},
            {"version": True},
            {"version": 2**53},
            {"calendar": "UTC"},
            {"channels": {"CHAT": SlaTargets()}},
            {"channels": {Channel.CHAT: HOURS}},
            {"channels": [Channel.CHAT]},
        ],
    )
    def test_malformed_policies_are_refused(self, fields: dict[str, object]) -> None:
        with pytest.raises(InvalidInput):
            SlaPolicy(**fields)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "change",
        [
            {"extra": 1},
            {"channels": {"FAX": {"first_response_seconds": 1, "resolution_seconds": None}}},
            {"channels": {"CHAT": {"first_response_seconds": 1}}},
            {"first_response_seconds": 10**30},
            {"first_response_seconds": 1.5},
            {"version": "1"},
        ],
    )
    def test_parameters_that_describe_no_policy_are_refused(
        self, change: dict[str, object]
    ) -> None:
        hostile = {**DEFAULT_SLA_POLICY.parameters(), **change}

        with pytest.raises(InvalidInput):
            SlaPolicy.from_parameters(hostile)


class TestFirstResponse:
    def test_a_case_without_a_response_is_due_four_business_hours_after_opening(self) -> None:
        clock = clocks(utc(2026, 3, 2, 11, 0)).first_response

        assert clock.due_at == utc(2026, 3, 2, 14, 0)
        assert (clock.met_at, clock.breached, clock.paused) == (None, False, False)
        assert clock.elapsed == HOURS
        assert clock.remaining == 3 * HOURS

    def test_a_response_in_time_is_met_and_stays_met(self) -> None:
        responded = utc(2026, 3, 2, 13, 0)

        clock = clocks(utc(2026, 3, 20), first_response_at=responded).first_response

        assert clock.met_at == responded
        assert not clock.breached
        assert clock.elapsed == 3 * HOURS

    def test_no_response_by_the_due_time_is_a_breach(self) -> None:
        assert not clocks(utc(2026, 3, 2, 14, 0)).first_response.breached
        assert clocks(utc(2026, 3, 2, 14, 0, 1)).first_response.breached

    def test_a_late_response_is_met_but_breached(self) -> None:
        clock = clocks(utc(2026, 3, 3), first_response_at=utc(2026, 3, 2, 16, 0)).first_response

        assert clock.met_at == utc(2026, 3, 2, 16, 0)
        assert clock.breached
        assert clock.remaining == -2 * HOURS

    def test_due_across_a_weekend(self) -> None:
        friday_afternoon = utc(2026, 3, 6, 15, 0)

        clock = sla_clocks(
            DEFAULT_SLA_POLICY,
            opened_at=friday_afternoon,
            channel=Channel.EMAIL,
            as_of=utc(2026, 3, 7, 12, 0),
        ).first_response

        assert clock.due_at == utc(2026, 3, 9, 11, 0)
        assert not clock.breached

    def test_a_response_after_the_instant_asked_about_is_not_known_yet(self) -> None:
        clock = clocks(utc(2026, 3, 2, 12, 0), first_response_at=utc(2026, 3, 2, 13, 0))

        assert clock.first_response.met_at is None

    def test_a_channel_target_applies_to_cases_opened_on_it(self) -> None:
        policy = SlaPolicy(channels={Channel.CHAT: SlaTargets(first_response=HOURS)})

        chat = sla_clocks(policy, opened_at=OPENED, channel=Channel.CHAT, as_of=OPENED)

        assert chat.first_response.due_at == OPENED + HOURS


class TestPausesWhileAwaitingTheCustomer:
    def test_time_awaiting_the_customer_moves_the_due_time_later(self) -> None:
        awaiting = [(utc(2026, 3, 2, 11, 0), utc(2026, 3, 2, 13, 0))]

        clock = clocks(utc(2026, 3, 2, 15, 0), awaiting=awaiting).first_response

        assert clock.due_at == utc(2026, 3, 2, 16, 0)
        assert clock.paused_for == 2 * HOURS
        assert clock.elapsed == 3 * HOURS

    def test_while_paused_the_due_time_is_as_if_work_resumed_now(self) -> None:
        awaiting = [(utc(2026, 3, 2, 11, 0), None)]

        at_noon = clocks(utc(2026, 3, 2, 12, 0), awaiting=awaiting).first_response
        at_one = clocks(utc(2026, 3, 2, 13, 0), awaiting=awaiting).first_response

        assert at_noon.paused
        assert at_noon.due_at == utc(2026, 3, 2, 15, 0)  # 3 hours left, from noon
        assert at_one.due_at == utc(2026, 3, 2, 16, 0)
        assert not at_one.breached
        assert at_one.paused_for == 2 * HOURS

    def test_a_pause_over_the_weekend_pauses_no_business_time(self) -> None:
        awaiting = [(utc(2026, 3, 6, 17, 0), utc(2026, 3, 9, 9, 0))]

        clock = clocks(utc(2026, 3, 9, 12, 0), awaiting=awaiting).resolution

        assert clock.paused_for == timedelta(0)
        assert clock.due_at == utc(2026, 3, 9, 10, 0)
        assert clock.breached

    def test_a_breach_before_the_pause_stays_a_breach(self) -> None:
        awaiting = [(utc(2026, 3, 2, 15, 0), None)]

        clock = clocks(utc(2026, 3, 2, 16, 0), awaiting=awaiting).first_response

        assert clock.paused
        assert clock.due_at == utc(2026, 3, 2, 14, 0)
        assert clock.breached

    def test_a_response_while_awaiting_meets_the_first_response_clock(self) -> None:
        awaiting = [(utc(2026, 3, 2, 11, 0), None)]

        clock = clocks(
            utc(2026, 3, 2, 16, 0), awaiting=awaiting, first_response_at=utc(2026, 3, 2, 12, 0)
        ).first_response

        assert clock.met_at == utc(2026, 3, 2, 12, 0)
        assert not clock.paused
        assert clock.paused_for == HOURS


class TestResolution:
    def test_resolved_in_time_is_met_at_the_resolution(self) -> None:
        resolved = [(utc(2026, 3, 4, 10, 0), None)]

        clock = clocks(utc(2026, 3, 20), resolved=resolved).resolution

        assert clock.met_at == utc(2026, 3, 4, 10, 0)
        assert not clock.breached
        assert clock.elapsed == 16 * HOURS
        assert clock.due_at == utc(2026, 3, 9, 10, 0)

    def test_reopening_unmeets_the_clock_and_resumes_it_with_the_time_left(self) -> None:
        # Resolved Wednesday 10:00 with 24 business hours left; reopened Friday 10:00.
        resolved = [(utc(2026, 3, 4, 10, 0), utc(2026, 3, 6, 10, 0))]

        clock = clocks(utc(2026, 3, 6, 12, 0), resolved=resolved).resolution

        assert clock.met_at is None
        assert clock.paused_for == 16 * HOURS
        assert clock.due_at == utc(2026, 3, 11, 10, 0)
        assert not clock.breached

    def test_resolved_again_is_met_at_the_later_resolution(self) -> None:
        resolved = [
            (utc(2026, 3, 4, 10, 0), utc(2026, 3, 6, 10, 0)),
            (utc(2026, 3, 10, 10, 0), None),
        ]

        clock = clocks(utc(2026, 3, 30), resolved=resolved).resolution

        assert clock.met_at == utc(2026, 3, 10, 10, 0)
        assert not clock.breached

    def test_a_late_resolution_stays_breached_after_reopening(self) -> None:
        resolved = [(utc(2026, 3, 10, 10, 0), utc(2026, 3, 11, 10, 0))]

        resolved_late = clocks(utc(2026, 3, 10, 12, 0), resolved=resolved).resolution
        reopened = clocks(utc(2026, 3, 11, 12, 0), resolved=resolved).resolution

        assert resolved_late.met_at == utc(2026, 3, 10, 10, 0)
        assert resolved_late.breached
        assert reopened.met_at is None
        assert reopened.breached

    def test_a_case_closed_without_a_response_owes_none_while_closed(self) -> None:
        resolved = [(utc(2026, 3, 2, 11, 0), None)]

        clock = clocks(utc(2026, 3, 20), resolved=resolved).first_response

        assert clock.met_at is None
        assert not clock.breached
        assert clock.paused


class TestAsJson:
    def test_has_both_clocks_with_due_met_breached_and_paused_for(self) -> None:
        answer = clocks(utc(2026, 3, 2, 15, 30), first_response_at=utc(2026, 3, 2, 12, 0))

        document = json.loads(json.dumps(answer.as_json()))

        assert document["first_response"]["met_at"] == "2026-03-02T12:00:00+00:00"
        assert document["first_response"]["breached"] is False
        assert document["resolution"]["met_at"] is None
        assert document["resolution"]["due_at"] == "2026-03-09T10:00:00+00:00"
        assert document["resolution"]["paused_for"] == 0
        assert document["resolution"]["elapsed"] == 5.5 * 3600
        assert document["digest"] == DEFAULT_SLA_POLICY.digest


class TestRefusedFacts:
    @pytest.mark.parametrize(
        "facts",
        [
            {"opened_at": datetime(2026, 3, 2, 10, 0)},
            {"first_response_at": datetime(2026, 3, 2, 11, 0)},
            {"awaiting": [(datetime(2026, 3, 2, 11, 0), None)]},
            {"resolved": [(utc(2026, 3, 2, 11, 0), datetime(2026, 3, 2, 12, 0))]},
        ],
    )
    def test_naive_instants_are_refused(self, facts: dict[str, object]) -> None:
        with pytest.raises(InvalidInput, match="timezone-aware"):
            clocks(utc(2026, 3, 3), **facts)

    def test_an_instant_before_the_opening_is_refused(self) -> None:
        with pytest.raises(InvalidInput, match="before the case opened"):
            clocks(utc(2026, 3, 2, 9, 0))
        with pytest.raises(InvalidInput, match="before the case opened"):
            clocks(utc(2026, 3, 3), first_response_at=utc(2026, 3, 1))
        with pytest.raises(InvalidInput, match="before the case opened"):
            clocks(utc(2026, 3, 3), awaiting=[(utc(2026, 3, 1), None)])

    @pytest.mark.parametrize(
        "spans",
        [
            [(utc(2026, 3, 2, 12), utc(2026, 3, 2, 11))],
            [(utc(2026, 3, 2, 11), None), (utc(2026, 3, 2, 12), None)],
            [(utc(2026, 3, 2, 11), utc(2026, 3, 2, 13)), (utc(2026, 3, 2, 12), None)],
            [(utc(2026, 3, 2, 13), None), (utc(2026, 3, 2, 11), utc(2026, 3, 2, 12))],
            [(utc(2026, 3, 2, 11),)],
            "spans",
            [utc(2026, 3, 2, 11)],
        ],
    )
    def test_spans_out_of_order_overlapping_or_malformed_are_refused(self, spans: object) -> None:
        with pytest.raises(InvalidInput):
            clocks(utc(2026, 3, 3), awaiting=spans)

    def test_a_channel_and_a_policy_of_the_wrong_kind_are_refused(self) -> None:
        with pytest.raises(InvalidInput, match="channel must be a Channel"):
            clocks(utc(2026, 3, 3), channel="EMAIL")
        with pytest.raises(InvalidInput, match="policy must be an SlaPolicy"):
            sla_clocks(
                "sla",  # type: ignore[arg-type]
                opened_at=OPENED,
                channel=Channel.EMAIL,
                as_of=OPENED,
            )
