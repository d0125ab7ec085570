"""Service levels: a versioned SLA policy and the two clocks it runs on a case.

An :class:`SlaPolicy` gives two targets in business time on a
:class:`~casehistory.domain.calendar.BusinessCalendar`: **first response** (4 business
hours by default) and **resolution** (5 business days by default, a business day being
the calendar's ``closes - opens``: 40 hours on the default calendar), optionally other
targets per channel. Its :attr:`SlaPolicy.digest` binds its id and version to every
parameter, the calendar's resolved holidays included; :class:`SlaTerms` is what a case
records when it opens, so a later policy never changes a past answer.

:func:`sla_clocks` computes both clocks as of an instant T from plain facts: when the
case opened, its channel, its first response, and the spans in which it awaited the
customer or stood resolved or closed. The definitions (docs/sla.md):

- Both clocks count business time from the opening and are **paused** while the case
  awaits the customer and while it stands resolved or closed (the first-response clock
  too: a case closed without a contact — a duplicate, a withdrawn request — owes no
  response while it stays closed).
- First response is **met** at the first response's instant. Resolution is met at the
  start of the resolved (or closed) span that stands at T; a reopening unmeets it, and
  the clock resumes from the reopening with the business time it had left.
- ``due_at`` is the instant at which the counted business time reaches the target: if
  it did by the clock's end (``met_at``, else T), when it did; otherwise when it would,
  were the clock to run on from its end without further pause (for a paused clock: if
  work resumed at T).
- ``breached`` is whether the clock's end is after ``due_at``. Once true as of T, it is
  true as of every later instant.

Only facts up to T count: a response after T, spans starting after T and the ends of
spans after T are left out. Pure: no I/O, no wall clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

import attrs

from casehistory.domain._calendar_fields import exact_keys
from casehistory.domain._sla_count import checked_spans, count, known_at, merged
from casehistory.domain._sla_fields import (
    _POLICY_KEYS,
    _calendar,
    _channel_targets,
    _duration,
    _five_business_days,
    _json_seconds,
    _optional_target,
    _policy_id,
    _required_target,
    _seconds,
    _version,
)
from casehistory.domain.calendar import DEFAULT_CALENDAR, BusinessCalendar
from casehistory.domain.chain import canonical_json
from casehistory.domain.values import Channel, require_aware
from casehistory.errors import InvalidInput

__all__ = [
    "DEFAULT_SLA_POLICY",
    "SlaClock",
    "SlaClocks",
    "SlaPolicy",
    "SlaTargets",
    "SlaTerms",
    "Span",
    "sla_clocks",
]

Span = tuple[datetime, datetime | None]
"""A span of time from a start to an end, or to now (``None``) when it has not ended."""


@attrs.frozen(kw_only=True)
class SlaTargets:
    """Targets for one channel; ``None`` keeps the policy's own target."""

    first_response: timedelta | None = attrs.field(default=None, validator=_optional_target)
    resolution: timedelta | None = attrs.field(default=None, validator=_optional_target)


@attrs.frozen
class SlaTerms:
    """What a case records when it opens: the policy in force, by id, version and digest."""

    policy_id: str
    version: int
    digest: str


def _channels(value: object) -> Mapping[Channel, SlaTargets]:
    if not isinstance(value, Mapping):
        raise InvalidInput(
            f"channels must map a Channel to SlaTargets, got {value!r:.100}; e.g. "
            "{Channel.CHAT: SlaTargets(first_response=timedelta(hours=1))}"
        )
    for channel, targets in value.items():
        if not isinstance(channel, Channel) or not isinstance(targets, SlaTargets):
            raise InvalidInput(
                f"channels must map a Channel to SlaTargets, got {channel!r:.50}: {targets!r:.100}"
            )
    ordered = sorted(value.items(), key=lambda item: item[0].name)
    return MappingProxyType(dict(ordered))


@attrs.frozen(kw_only=True)
class SlaPolicy:
    """Targets for first response and resolution, in business time on ``calendar``.

    ``resolution`` defaults to 5 business days: 5 times the calendar's
    :attr:`~BusinessCalendar.business_day` (40 hours on the default calendar), fixed
    when the policy is made. ``channels`` overrides targets per channel. Change any
    parameter, bump ``version``: the digest tells the two apart either way.
    """

    policy_id: str = attrs.field(default="sla", validator=_policy_id)
    version: int = attrs.field(default=1, validator=_version)
    calendar: BusinessCalendar = attrs.field(default=DEFAULT_CALENDAR, validator=_calendar)
    first_response: timedelta = attrs.field(default=timedelta(hours=4), validator=_required_target)
    resolution: timedelta = attrs.field(
        default=attrs.Factory(lambda self: _five_business_days(self.calendar), takes_self=True),
        validator=_required_target,
    )
    channels: Mapping[Channel, SlaTargets] = attrs.field(
        factory=lambda: MappingProxyType({}), converter=_channels, hash=False
    )
    _memo: dict[str, str] = attrs.field(init=False, factory=dict, eq=False, repr=False)

    def targets(self, channel: Channel) -> SlaTargets:
        """The targets for a case opened on ``channel``, both filled in."""
        if not isinstance(channel, Channel):
            raise InvalidInput(f"channel must be a Channel, got {channel!r:.100}")
        given = self.channels.get(channel, SlaTargets())
        return SlaTargets(
            first_response=(
                self.first_response if given.first_response is None else given.first_response
            ),
            resolution=self.resolution if given.resolution is None else given.resolution,
        )

    def parameters(self) -> dict[str, Any]:
        """Everything the policy decides with, as plain JSON; durations in whole seconds,
        a channel's ``null`` keeping the policy's own target."""
        return {
            "policy_id": self.policy_id,
            "version": self.version,
            "first_response_seconds": _seconds(self.first_response),
            "resolution_seconds": _seconds(self.resolution),
            "channels": {
                channel.name: {
                    "first_response_seconds": _seconds(targets.first_response),
                    "resolution_seconds": _seconds(targets.resolution),
                }
                for channel, targets in self.channels.items()
            },
            "calendar": self.calendar.parameters(),
        }

    @property
    def digest(self) -> str:
        """SHA-256 (hex) of the RFC 8785 canonical JSON of :meth:`parameters`."""
        if "digest" not in self._memo:
            self._memo["digest"] = hashlib.sha256(canonical_json(self.parameters())).hexdigest()
        return self._memo["digest"]

    @property
    def terms(self) -> SlaTerms:
        """The policy's id, version and digest, as a case records them."""
        return SlaTerms(self.policy_id, self.version, self.digest)

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any]) -> SlaPolicy:
        """The policy that :meth:`parameters` describes (its calendar as recorded)."""
        fields = exact_keys(parameters, _POLICY_KEYS, "SLA policy parameters")
        channels = fields["channels"]
        if not isinstance(channels, Mapping) or not all(
            isinstance(name, str) and name in Channel.__members__ for name in channels
        ):
            raise InvalidInput(
                f"channels must map channel names ({', '.join(Channel.__members__)}) to "
                f"targets, got {channels!r:.100}"
            )
        return cls(
            policy_id=fields["policy_id"],
            version=fields["version"],
            calendar=BusinessCalendar.from_parameters(fields["calendar"]),
            first_response=_duration(fields["first_response_seconds"]),
            resolution=_duration(fields["resolution_seconds"]),
            channels={
                Channel[name]: SlaTargets(**_channel_targets(targets))
                for name, targets in channels.items()
            },
        )


DEFAULT_SLA_POLICY = SlaPolicy()
"""First response within 4 business hours, resolution within 5 business days (40 hours),
Monday to Friday 09:00-17:00 UTC, no holidays."""


@attrs.frozen(kw_only=True)
class SlaClock:
    """One clock as of an instant: its target and due time, whether and when it was met,
    whether it is breached, and the business time counted and paused up to its end
    (``met_at``, or the instant asked about). Instants are in UTC."""

    target: timedelta
    due_at: datetime
    met_at: datetime | None
    breached: bool
    elapsed: timedelta
    paused_for: timedelta
    paused: bool

    @property
    def remaining(self) -> timedelta:
        """Business time left before the target: negative once the target is overrun."""
        return self.target - self.elapsed

    def as_json(self) -> dict[str, Any]:
        """Plain JSON: instants in ISO 8601 (UTC); durations (``target``, ``elapsed``,
        ``paused_for``, ``remaining``) in seconds, an integer when whole."""
        return {
            "due_at": self.due_at.isoformat(),
            "met_at": None if self.met_at is None else self.met_at.isoformat(),
            "breached": self.breached,
            "paused": self.paused,
            "target": _json_seconds(self.target),
            "elapsed": _json_seconds(self.elapsed),
            "paused_for": _json_seconds(self.paused_for),
            "remaining": _json_seconds(self.remaining),
        }


@attrs.frozen(kw_only=True)
class SlaClocks:
    """Both clocks of a case as of ``as_of`` under the policy ``terms`` name."""

    as_of: datetime
    terms: SlaTerms
    first_response: SlaClock
    resolution: SlaClock

    def as_json(self) -> dict[str, Any]:
        """Plain JSON with ``first_response`` and ``resolution`` (see SlaClock.as_json)."""
        return {
            "as_of": self.as_of.isoformat(),
            "policy_id": self.terms.policy_id,
            "version": self.terms.version,
            "digest": self.terms.digest,
            "first_response": self.first_response.as_json(),
            "resolution": self.resolution.as_json(),
        }


def sla_clocks(
    policy: SlaPolicy,
    *,
    opened_at: datetime,
    channel: Channel,
    as_of: datetime,
    first_response_at: datetime | None = None,
    awaiting: Sequence[Span] = (),
    resolved: Sequence[Span] = (),
) -> SlaClocks:
    """Both clocks of a case as of ``as_of`` (see the module's definitions).

    ``awaiting`` holds the spans in which the case stood AWAITING_CUSTOMER, ``resolved``
    those in which it stood RESOLVED or CLOSED (a resolution to its reopening), each in
    time order, not overlapping, only the last one open (end ``None``). Every instant is
    timezone-aware and none before ``opened_at``; facts after ``as_of`` are ignored.
    """
    if not isinstance(policy, SlaPolicy):
        raise InvalidInput(f"policy must be an SlaPolicy, got {policy!r:.100}")
    targets = policy.targets(channel)
    opened = require_aware(opened_at, "opened_at").astimezone(UTC)
    now = require_aware(as_of, "as_of").astimezone(UTC)
    if now < opened:
        raise InvalidInput(
            f"as_of {now.isoformat()} is before the case opened at {opened.isoformat()}; "
            "it had no clocks then: ask as of the opening or later"
        )
    waits = checked_spans(awaiting, "awaiting", opened)
    stands = checked_spans(resolved, "resolved", opened)
    response = None
    if first_response_at is not None:
        response = require_aware(first_response_at, "first_response_at").astimezone(UTC)
        if response < opened:
            raise InvalidInput(
                f"first_response_at {response.isoformat()} is before the case opened at "
                f"{opened.isoformat()}; a response follows the opening"
            )
        if response > now:
            response = None
    waits, stands = known_at(waits, now), known_at(stands, now)
    pauses = merged(waits + stands)
    resolution_met = stands[-1][0] if stands and stands[-1][1] is None else None
    assert targets.first_response is not None
    assert targets.resolution is not None
    calendar = policy.calendar
    return SlaClocks(
        as_of=now,
        terms=policy.terms,
        first_response=_clock(calendar, targets.first_response, opened, now, response, pauses),
        resolution=_clock(calendar, targets.resolution, opened, now, resolution_met, pauses),
    )


def _clock(
    calendar: BusinessCalendar,
    target: timedelta,
    opened: datetime,
    now: datetime,
    met_at: datetime | None,
    pauses: list[Span],
) -> SlaClock:
    found = count(calendar, target, opened, now, met_at, pauses)
    return SlaClock(
        target=target,
        due_at=found.due_at,
        met_at=met_at,
        breached=found.breached,
        elapsed=found.elapsed,
        paused_for=found.paused_for,
        paused=found.paused,
    )
