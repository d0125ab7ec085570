"""The checks of the fields every policy has (its id, its version) and of its whole
numbers: one definition for the policies of policies.py and of limits.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from casehistory.domain.values import require_text
from casehistory.errors import InvalidInput

__all__ = ["LONGEST_ID", "MOST_DAYS", "MOST_MINUTES", "check_policy_id", "check_version", "whole"]

MOST_DAYS = 36_500  # a century: a window or a warranty, not a date past year 9999
MOST_MINUTES = 24 * 60
LONGEST_ID = 200


def whole(unit: str, most: int) -> Callable[[Any, Any, Any], None]:
    """A validator of a whole number of ``unit`` from 0 to ``most``."""

    def check(_: object, attribute: attrs.Attribute[int], value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= most:
            raise InvalidInput(
                f"{attribute.name} must be a whole number of {unit} from 0 to {most:,}, got "
                f"{value!r:.80}"
            )

    return check


def check_policy_id(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    require_text(value, attribute.name)
    if len(str(value)) > LONGEST_ID:
        raise InvalidInput(
            f"{attribute.name} must be at most {LONGEST_ID} characters, got {len(str(value))}"
        )


def check_version(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    # Recorded in every decision, whose digest is RFC 8785 JSON: integers up to 2**53 - 1.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**53:
        raise InvalidInput(
            f"{attribute.name} must be a whole number from 1 to 2**53 - 1, got {value!r:.80}"
        )
