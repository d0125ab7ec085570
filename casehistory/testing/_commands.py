"""Commands as values: one call of a desk method, printed as the Python that makes it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

import attrs

from casehistory.domain.declarations import COMMANDS
from casehistory.domain.values import Actor, Channel, Customer, Direction, Money, Product, Role
from casehistory.errors import CaseNotFound

if TYPE_CHECKING:
    from casehistory.desk import CaseDesk

__all__ = [
    "EVENT_OF",
    "OTHER_CASE",
    "OTHER_OPENING",
    "Command",
    "companion",
    "companion_id",
    "source",
]


class _OtherCase:
    """The placeholder a link names when its target is a case opened alongside this one."""

    _instance: _OtherCase | None = None

    def __new__(cls) -> _OtherCase:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "other"

    def __reduce__(self) -> str:
        return "OTHER_CASE"

    def __copy__(self) -> _OtherCase:
        return self

    def __deepcopy__(self, memo: object) -> _OtherCase:
        return self


OTHER_CASE: Final = _OtherCase()
"""Stands for "the other case" in a drawn link: :meth:`Command.apply` replaces it by the
id of the case's companion, a second case it opens for the purpose when first needed."""

OTHER_OPENING: Mapping[str, Any] = {
    "customer": Customer("C-OTHER", "Other customer"),
    "subject": "the other case",
    "channel": Channel.EMAIL,
    "by": Actor("a.lee", Role.AGENT),
    "occurred_at": datetime(2026, 1, 1, tzinfo=UTC),
}
"""How the companion of a case, the target of its drawn links, is opened."""

_COMPANIONS = UUID("8c4a6f5e-2b1d-4e0a-9f3c-7d2e1b0a5c49")


def companion_id(case_id: UUID) -> UUID:
    """The id of the companion of case ``case_id``: the same for the same case, always."""
    return uuid5(_COMPANIONS, str(case_id))


def companion(desk: CaseDesk, case_id: UUID) -> UUID:
    """The companion of case ``case_id`` on ``desk``, opened if it is not there yet."""
    other = companion_id(case_id)
    try:
        desk.history(other)
    except CaseNotFound:
        desk.open_case(**OTHER_OPENING, case_id=other)
    return other


_RECORDS: Mapping[str, str] = {name: d.event.__name__ for name, d in COMMANDS.items()}
"""Every desk command -> the event type it records, as declared."""

EVENT_OF: Mapping[str, str] = {name: e for name, e in _RECORDS.items() if name != "open_case"}
"""Desk method (after ``open_case``) -> the event type it records."""


def _check_method(_: object, __: attrs.Attribute[str], method: str) -> None:
    if method not in _RECORDS:
        raise ValueError(f"{method!r} is not a CaseDesk command; use one of {', '.join(_RECORDS)}")


@attrs.frozen
class Command:
    """One desk command: ``desk.<method>(case_id, **kwargs)``.

    Its ``repr`` is the Python that runs it, with the case id named ``case`` (and the
    other case of a link named ``other``)::

        desk.record_payment(case, amount=Money('12.50', 'EUR'), reference='r1', ...)

    Two commands are equal when they call the same method with equal arguments.
    ``kwargs`` is a read-only copy; keyword arguments left at the desk's default
    (``None``, ``awaiting_reply=False``) are left out.

    An ``open_case`` command opens a case with the id of the case it is applied to
    (``desk.open_case(case_id=case, ...)``): refused, as that id is taken.
    """

    method: str = attrs.field(validator=_check_method)
    kwargs: Mapping[str, Any] = attrs.field(converter=dict, hash=False)

    @property
    def event(self) -> str:
        """The name of the event type the desk records for this command."""
        return _RECORDS[self.method]

    @property
    def lifecycle_key(self) -> str:
        """The row of the transition table this command's event follows."""
        if self.method != "log_contact":
            return self.event
        if self.kwargs.get("direction") is Direction.INBOUND:
            return "ContactLogged (inbound)"
        if self.kwargs.get("awaiting_reply"):
            return "ContactLogged (outbound, awaiting reply)"
        return "ContactLogged (outbound)"

    def apply(self, desk: CaseDesk, case_id: UUID) -> None:
        """Run the command on ``desk`` for case ``case_id``; the desk raises what it
        raises (a :class:`~casehistory.CaseHistoryError` when a rule refuses).

        A link to :data:`OTHER_CASE` links to the case's companion, whose id is
        derived from ``case_id``; it is opened (see :data:`OTHER_OPENING`) on first use."""
        kwargs = dict(self.kwargs)
        for name, value in kwargs.items():
            if value is OTHER_CASE:
                kwargs[name] = companion(desk, case_id)
        if self.method == "open_case":
            desk.open_case(case_id=case_id, **kwargs)
        else:
            getattr(desk, self.method)(case_id, **kwargs)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis's pretty printer (a failing step's draws): the call, not the fields.
        printer.text(repr(self))

    def __repr__(self) -> str:
        args = "".join(f", {name}={source(value)}" for name, value in self.kwargs.items())
        if self.method == "open_case":
            return f"desk.open_case(case_id=case{args})"
        return f"desk.{self.method}(case{args})"


def _offset(delta: timedelta) -> str:
    sign, delta = ("-", -delta) if delta < timedelta(0) else ("", delta)
    hours, rest = divmod(int(delta.total_seconds()), 3600)
    parts = [f"hours={hours}"] if hours else []
    parts += [f"minutes={rest // 60}"] if rest // 60 else []
    parts += [f"seconds={rest % 60}"] if rest % 60 else []
    return f"{sign}timedelta({', '.join(parts) or '0'})"


def _zone(zone: tzinfo | None) -> str:
    if zone is UTC:
        return "UTC"
    if isinstance(zone, ZoneInfo):
        return f"ZoneInfo({zone.key!r})"
    if isinstance(zone, timezone):
        return f"timezone({_offset(zone.utcoffset(None))})"
    return repr(zone)


def _datetime(value: datetime) -> str:
    fields = [value.year, value.month, value.day, value.hour, value.minute]
    if value.second or value.microsecond:
        fields.append(value.second)
    if value.microsecond:
        fields.append(value.microsecond)
    args = ", ".join(map(str, fields))
    if value.tzinfo is not None:
        args += f", tzinfo={_zone(value.tzinfo)}"
    return f"datetime({args}{', fold=1' if value.fold else ''})"


def _optional(**named: Any) -> str:
    return "".join(f", {name}={source(value)}" for name, value in named.items() if value)


def source(value: Any) -> str:
    """``value`` as the Python expression that makes it, for the values commands hold.

    Enum members print as ``Role.AGENT``, money as ``Money('12.50', 'EUR')``, times as
    ``datetime(2026, 3, 2, 9, 15, tzinfo=UTC)``; anything else as its ``repr``.
    """
    if isinstance(value, Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, Money):
        return f"Money({str(value.amount)!r}, {value.currency!r})"
    if isinstance(value, Actor):
        return f"Actor({value.id!r}, {source(value.role)})"
    if isinstance(value, Customer):
        return f"Customer({value.id!r}, {value.name!r}{_optional(email=value.email)})"
    if isinstance(value, Product):
        extra = _optional(
            serial=value.serial, order_id=value.order_id, delivered_on=value.delivered_on
        )
        return (
            f"Product({value.sku!r}, {value.name!r}, {source(value.purchased_on)}, "
            f"{source(value.price)}{extra})"
        )
    if isinstance(value, datetime):
        return _datetime(value)
    if isinstance(value, date):
        return f"date({value.year}, {value.month}, {value.day})"
    if isinstance(value, Decimal):
        return f"Decimal({str(value)!r})"
    if isinstance(value, UUID):
        return f"UUID({str(value)!r})"
    return repr(value)
