"""A stored value replaced by one of another type with the same text (the decimal 100.00
by the string "100.00", the enum OURS by the string "OURS") keeps the event's record,
and so its digest; the desk would read it as the wrong type. Verification finds it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from casehistory import CaseDesk
from casehistory.audit.scan import scan_log
from casehistory.audit.verify import Problem
from casehistory.stories import STORIES


@pytest.mark.parametrize(
    ("typed", "untyped"),
    [
        pytest.param('{"_type_":"decimal_str","_data_":"189.00"}', '"189.00"', id="decimal"),
        pytest.param('{"_type_":"Role","_data_":"AGENT"}', '"AGENT"', id="enum"),
        pytest.param('{"_type_":"datetime_iso","_data_":', '{"_type_":"date","_data_":', id="time"),
    ],
)
def test_a_value_of_another_type_with_the_same_text_is_found(
    open_desk: Callable[[], CaseDesk], raw_sql: Any, typed: str, untyped: str
) -> None:
    desk = open_desk()
    case_id = STORIES[0].tell(desk)
    rows = raw_sql.run(
        "SELECT originator_version, state FROM {events} WHERE originator_id = ? "
        "ORDER BY originator_version",
        case_id,
    )
    version, state = next((v, bytes(s)) for v, s in rows if typed.encode() in bytes(s) and v > 1)
    raw_sql.set_state(case_id, version, state.replace(typed.encode(), untyped.encode(), 1))

    findings = scan_log(open_desk()).findings

    assert [(f.case_id, f.version, f.problem) for f in findings] == [
        (case_id, version, Problem.ALTERED)
    ]
    assert "another type" in findings[0].detail
