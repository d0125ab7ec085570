"""Plain-JSON forms of views, for ``--json`` output and other programs."""

from __future__ import annotations

from typing import Any

import attrs

from casehistory.domain.chain import plain_scalar
from casehistory.domain.ledger import LEDGER_COLUMNS
from casehistory.views.case import CaseView
from casehistory.views.trail import Trail, TrailLine

__all__ = ["trail_as_dicts", "view_as_dict"]


def _plain(_: type | None, __: attrs.Attribute[Any] | None, value: Any) -> Any:
    # Money amounts stay exact: Decimals become strings, never floats; the same forms
    # as the hash chain's records.
    return plain_scalar(value)


def view_as_dict(view: CaseView) -> dict[str, Any]:
    """The view as JSON-ready data; ``ledger`` maps each currency to its totals."""
    data = attrs.asdict(
        view,
        filter=lambda attribute, _: attribute.name not in ("events", "status_changes"),
        value_serializer=_plain,
    )
    # Each total as its amount alone, in the balance's currency (the form of 0.1.0).
    data["ledger"] = {
        currency: {
            "currency": currency,
            **{column: plain_scalar(getattr(balance, column).amount) for column in LEDGER_COLUMNS},
        }
        for currency, balance in view.ledger.balances.items()
    }
    data["status_changes"] = [
        {
            "status": change.status.name,
            "occurred_at": change.occurred_at.isoformat(),
            "recorded_at": change.recorded_at.isoformat(),
        }
        for change in view.status_changes
    ]
    for name in ("status_since", "resolved_at", "closed_at"):
        data[name] = _plain(None, None, getattr(view, name))
    return data


def trail_as_dicts(trail: Trail) -> list[dict[str, Any]]:
    """The trail as JSON-ready rows, one per event. ``money`` is the text of release
    0.1.0 (``"paid 12.50 EUR"``, ``""`` for none), which a row keeps; ``money_label``
    and ``money_amount`` (``{"amount": "12.50", "currency": "EUR"}``) give it apart."""
    return [_row(line) for line in trail]


def _row(line: TrailLine) -> dict[str, Any]:
    data = attrs.asdict(line, value_serializer=_plain)
    data["money_amount"] = data["money"]
    data["money"] = line.money_text
    return data
