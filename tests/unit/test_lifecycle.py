"""The lifecycle table in code is what the desk does.

For every lifecycle key of ``TRANSITIONS`` and every ``Status``, a fresh case is driven
into the status by real commands and one valid command with that key is issued. The
desk either accepts it (the status becomes the table's target) or refuses it with
``TransitionNotAllowed`` (``CaseIsClosed`` on a CLOSED case) and records nothing.

A few cells cannot be reached in the way the command needs; there a more specific
rule refuses first, and :data:`PRECONDITION_REFUSALS` says which one and why.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from casehistory import (
    TRANSITIONS,
    CaseAlreadyExists,
    CaseIsClosed,
    EscalationAlreadyPending,
    EscalationNotPending,
    NoRefundRequested,
    RmaNotFound,
    RmaOutOfOrder,
    Status,
    TransitionNotAllowed,
)
from casehistory.errors import ReturnNotReceived


def _load_builders() -> ModuleType:
    name = "casehistory_unit_builders"
    if name not in sys.modules:
        path = Path(__file__).with_name("_builders.py")
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


_b = _load_builders()
COMMANDS, drive_to, memory_desk, open_case = (
    _b.COMMANDS,
    _b.drive_to,
    _b.memory_desk,
    _b.open_case,
)
event_count, status = _b.event_count, _b.status

_RMA_STEPS = (
    "ReturnReceived",
    "InspectionCompleted",
    "RepairCompleted",
    "ReplacementShipped",
    "RmaRejected",
    "RmaClosed",
)

PRECONDITION_REFUSALS: dict[tuple[str, Status], type[Exception]] = {
    # A pending escalation exists only in ESCALATED (requesting one leads there, and
    # only a decision leads out), so elsewhere there is nothing to decide.
    **{
        (key, s): EscalationNotPending
        for key in ("EscalationApproved", "EscalationDenied")
        for s in Status
        if s not in (Status.ESCALATED, Status.CLOSED)
    },
    # In ESCALATED an escalation is always pending: "one at a time" refuses first.
    ("EscalationRequested", Status.ESCALATED): EscalationAlreadyPending,
    # A NEW case cannot hold an RMA (RmaIssued is not allowed in NEW).
    **{(key, Status.NEW): RmaNotFound for key in _RMA_STEPS},
    # An RMA is open (ISSUED or RECEIVED) only while the case is AWAITING_RETURN or
    # IN_SERVICE: RmaIssued is the only way in, RmaRejected and RmaClosed the only ways
    # out, and nothing else (not even CaseResolved) leaves those statuses. Elsewhere
    # every RMA is settled, so the RMA order refuses first.
    **{
        (key, s): RmaOutOfOrder
        for key in _RMA_STEPS
        for s in (Status.OPEN, Status.AWAITING_CUSTOMER, Status.ESCALATED, Status.RESOLVED)
    },
    # In IN_SERVICE the open RMA has arrived; in AWAITING_RETURN it has not.
    ("ReturnReceived", Status.IN_SERVICE): RmaOutOfOrder,
    ("InspectionCompleted", Status.AWAITING_RETURN): RmaOutOfOrder,
    ("RepairCompleted", Status.AWAITING_RETURN): RmaOutOfOrder,
    # A NEW case cannot hold a refund request (RefundRequested is not allowed in NEW).
    ("RefundDenied", Status.NEW): NoRefundRequested,
}
"""(lifecycle key, status) -> the rule that refuses first where the table also refuses."""


RULE_REFUSALS = _b.RULE_REFUSALS
"""(lifecycle key, status) -> a rule of rules 2 that refuses where the table allows."""


def expected_outcome(key: str, start: Status) -> Status | type[Exception]:
    """What the table says happens to ``key`` in ``start``: a status, or a refusal."""
    if (key, start) in RULE_REFUSALS:
        return RULE_REFUSALS[key, start]
    row = TRANSITIONS[key]
    if start in row:
        return row[start]
    if key == "CaseOpened":  # no status but "no case yet" allows it
        return CaseAlreadyExists
    if start is Status.CLOSED:
        return CaseIsClosed
    return PRECONDITION_REFUSALS.get((key, start), TransitionNotAllowed)


_REFUSAL_MESSAGES: dict[type[Exception], str] = {
    CaseIsClosed: r"rule: a closed case accepts nothing but a reopen",
    CaseAlreadyExists: r"already exists",
    EscalationNotPending: r"rule: an escalation is decided once",
    EscalationAlreadyPending: r"rule: one escalation at a time",
    RmaNotFound: r"has no RMA",
    RmaOutOfOrder: r"rule: RMA order issue -> receive -> inspect/repair -> close or reject",
    NoRefundRequested: r"rule: a denial answers a request",
    ReturnNotReceived: r"rule: an RMA whose goods did not arrive is rejected, not closed",
}

CELLS = [(key, start) for key in TRANSITIONS for start in Status]


class TestTheLifecycleTable:
    @pytest.mark.parametrize(
        ("key", "start"), CELLS, ids=[f"{key} in {start.name}" for key, start in CELLS]
    )
    def test_the_desk_does_what_the_table_says(self, key: str, start: Status) -> None:
        desk = memory_desk()
        case_id = drive_to(desk, start)
        before = desk.case(case_id)
        expected = expected_outcome(key, start)

        if isinstance(expected, Status):
            COMMANDS[key](desk, case_id, None)

            assert status(desk, case_id) is expected
            assert event_count(desk, case_id) == before.version + 1
            assert desk.history(case_id)[-1].lifecycle_key == key
        else:
            if expected is TransitionNotAllowed:
                message = (
                    rf"{re.escape(key)} is not allowed on case .* in status {start.name} "
                    rf"\(rule: lifecycle table: {re.escape(key)} is allowed in "
                )
            else:
                message = _REFUSAL_MESSAGES[expected]
            with pytest.raises(expected, match=message) as refused:
                COMMANDS[key](desk, case_id, None)

            assert type(refused.value) is expected
            assert desk.case(case_id) == before

    @pytest.mark.parametrize(
        ("key", "start"),
        list(RULE_REFUSALS),
        ids=[f"{key} in {start.name}" for key, start in RULE_REFUSALS],
    )
    def test_a_case_held_to_rules_1_does_what_the_table_says_where_rules_2_refuse(
        self, key: str, start: Status
    ) -> None:
        desk = memory_desk()
        case_id = drive_to(desk, start, rules=1)
        before = desk.case(case_id)

        COMMANDS[key](desk, case_id, None)

        assert status(desk, case_id) is TRANSITIONS[key][start]
        assert event_count(desk, case_id) == before.version + 1

    def test_opening_a_case_leads_to_the_status_the_table_gives_a_new_case(self) -> None:
        desk = memory_desk()

        case_id = open_case(desk)

        assert status(desk, case_id) is TRANSITIONS["CaseOpened"][None]
        assert status(desk, case_id) is Status.NEW

    def test_every_lifecycle_key_has_a_command_that_records_it(self) -> None:
        keys_with_commands = set(COMMANDS)

        missing = set(TRANSITIONS) - keys_with_commands

        assert not missing, f"add a command builder for {sorted(missing)}"

    def test_precondition_refusals_only_stand_in_for_cells_the_table_forbids(self) -> None:
        cells = PRECONDITION_REFUSALS

        allowed = [(key, s.name) for key, s in cells if s in TRANSITIONS[key]]

        assert allowed == []

    @pytest.mark.parametrize(
        ("region", "ways_in", "ways_out"),
        [
            (
                {Status.ESCALATED},
                {"EscalationRequested"},
                {"EscalationApproved", "EscalationDenied"},
            ),
            (
                {Status.AWAITING_RETURN, Status.IN_SERVICE},
                {"RmaIssued"},
                {"RmaRejected", "RmaClosed"},
            ),
            ({Status.NEW}, {"CaseOpened"}, {"AgentAssigned"}),
        ],
        ids=["pending escalation", "open RMA", "new case"],
    )
    def test_the_unreachable_cells_follow_from_the_table(
        self, region: set[Status], ways_in: set[str], ways_out: set[str]
    ) -> None:
        rows = TRANSITIONS.items()

        into = {k for k, row in rows for s, t in row.items() if s not in region and t in region}
        out_of = {k for k, row in rows for s, t in row.items() if s in region and t not in region}

        assert (into, out_of) == (ways_in, ways_out), "revisit PRECONDITION_REFUSALS"

    def test_every_status_is_reachable_by_real_commands(self) -> None:
        desk = memory_desk()

        reached = {status(desk, drive_to(desk, target)) for target in Status}

        assert reached == set(Status)


class TestReopenCase:
    def test_a_closed_case_accepts_a_reopen_and_is_open_again(self) -> None:
        desk = memory_desk()
        case_id = drive_to(desk, Status.CLOSED)

        COMMANDS["CaseReopened"](desk, case_id, None)

        assert status(desk, case_id) is Status.OPEN

    def test_an_inbound_contact_ends_the_wait_for_the_customer(self) -> None:
        desk = memory_desk()
        case_id = drive_to(desk, Status.AWAITING_CUSTOMER)

        COMMANDS["ContactLogged (inbound)"](desk, case_id, None)

        assert status(desk, case_id) is Status.OPEN
