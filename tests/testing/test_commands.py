"""Commands and histories are values that print as the Python that replays them."""

from __future__ import annotations

import contextlib
import pickle
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis.errors import InvalidArgument

import casehistory
from casehistory import CaseDesk, CaseHistoryError, Money, SteppingClock
from casehistory.testing import OTHER_CASE, CaseHistory, Command
from casehistory.testing._shown import shown_fields
from casehistory.testing.strategies import CLOCK_START, case_histories, commands
from casehistory.views.ledger import Ledger


def new_desk() -> CaseDesk:
    return CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))


def namespace(**names: Any) -> dict[str, Any]:
    """What a printed command needs to run: casehistory's names and the stdlib types."""
    found = {name: getattr(casehistory, name) for name in casehistory.__all__}
    found.update(
        UTC=UTC,
        UUID=UUID,
        Decimal=Decimal,
        ZoneInfo=ZoneInfo,
        date=date,
        datetime=datetime,
        timedelta=timedelta,
        timezone=timezone,
    )
    return {**found, **names}


class Recorder:
    """Stands in for a desk: records which method was called, with what."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, method: str) -> Any:
        return lambda *args, **kwargs: self.calls.append((method, args, kwargs))


class TestCommand:
    @given(commands())
    def test_its_repr_is_the_call_that_makes_it(self, command: Command) -> None:
        desk = Recorder()

        exec(repr(command), namespace(desk=desk, case="the case", other=OTHER_CASE))

        assert desk.calls == [(command.method, ("the case",), dict(command.kwargs))]

    def test_it_reads_like_the_desk_call(self) -> None:
        command = Command(
            "record_payment",
            {
                "amount": Money("12.50", "EUR"),
                "reference": "r1",
                "by": casehistory.Actor("a.lee", casehistory.Role.AGENT),
                "occurred_at": datetime(2026, 3, 2, 9, 15, tzinfo=ZoneInfo("Europe/Berlin")),
            },
        )

        assert repr(command) == (
            "desk.record_payment(case, amount=Money('12.50', 'EUR'), reference='r1', "
            "by=Actor('a.lee', Role.AGENT), "
            "occurred_at=datetime(2026, 3, 2, 9, 15, tzinfo=ZoneInfo('Europe/Berlin')))"
        )
        assert command.event == "PaymentRecorded"
        assert command == Command("record_payment", dict(command.kwargs))
        assert hash(command) == hash(Command("record_payment", dict(command.kwargs)))

    @settings(max_examples=60, deadline=None)
    @given(case_histories(max_commands=3), commands())
    def test_it_is_accepted_or_refused_with_a_case_history_error(
        self, history: CaseHistory, command: Command
    ) -> None:
        desk = new_desk()
        case_id = history.apply(desk)
        before = len(desk.history(case_id))

        try:
            command.apply(desk, case_id)
        except CaseHistoryError:
            assert len(desk.history(case_id)) == before
        else:
            assert len(desk.history(case_id)) == before + 1

    def test_an_unknown_method_is_refused(self) -> None:
        with pytest.raises(ValueError, match="not a CaseDesk command"):
            Command("delete_case", {})

    def test_the_other_case_placeholder_survives_copies(self) -> None:
        assert pickle.loads(pickle.dumps(OTHER_CASE)) is OTHER_CASE
        assert repr(OTHER_CASE) == "other"

    @pytest.mark.parametrize("methods", ["add_note", ["add_note", "drop_table"], [], 3])
    def test_bad_methods_are_refused(self, methods: Any) -> None:
        with pytest.raises(InvalidArgument):
            commands(methods=methods)

    @given(commands(methods=["issue_refund", "release_hold"]))
    def test_only_the_methods_asked_for(self, command: Command) -> None:
        assert command.method in ("issue_refund", "release_hold")


class TestCaseHistory:
    @settings(max_examples=40, deadline=None)
    @given(case_histories(max_commands=25))
    def test_its_text_is_a_test_that_replays_it(self, history: CaseHistory) -> None:
        applied, scripted = new_desk(), new_desk()
        case_id = history.apply(applied)
        opening = 'with CaseDesk.open(":memory:", clock=clock) as desk:'
        assert opening in str(history)

        names: dict[str, Any] = {"kept": contextlib.nullcontext(scripted)}
        exec(str(history).replace(opening, "with kept as desk:"), names)
        names["test_case_history"]()

        calls = [line for line in str(history).splitlines() if line.startswith("        case_")]
        calls += [line for line in str(history).splitlines() if line.startswith("        desk.")]
        assert len(calls) == len(history.commands) + 1 + history.links_other_case
        case_1 = next(iter(scripted.case_ids()))
        assert _story(scripted.history(case_1)) == _story(applied.history(case_id))

    @settings(max_examples=20)
    @given(case_histories(max_commands=10))
    def test_it_prints_a_pytest_function_one_call_a_statement(self, history: CaseHistory) -> None:
        lines = repr(history).splitlines()
        body = lines[lines.index("def test_case_history():") :]

        assert "from casehistory.testing import CLOCK_START" in lines
        assert body[1:3] == [
            "    clock = SteppingClock(CLOCK_START)",
            '    with CaseDesk.open(":memory:", clock=clock) as desk:',
        ]
        assert body[3].startswith("        case_1 = desk.open_case(")
        statements = [line for line in body[3:] if not line.startswith("         ")]
        assert all(
            line.startswith(("        desk.", "        case_", "        )")) for line in statements
        )

    @settings(max_examples=20)
    @given(case_histories(max_commands=10))
    def test_models_follow_every_command(self, history: CaseHistory) -> None:
        models = list(history.models())

        assert len(models) == len(history.commands) + 1
        assert models[-1] == history.model
        assert [m.version for m in models] == list(range(1, len(models) + 1))
        assert history.status is history.model.status
        assert history.ledger == Ledger.of(history.model.ledger)

    @pytest.mark.parametrize(
        "kwargs",
        [{"min_commands": -1}, {"max_commands": 2.5}, {"min_commands": 3, "max_commands": 2}],
    )
    def test_bad_counts_are_refused(self, kwargs: dict[str, Any]) -> None:
        with pytest.raises(InvalidArgument):
            case_histories(**kwargs)


def _story(events: tuple[Any, ...]) -> list[tuple[str, dict[str, Any]]]:
    """The events without the ids the desk chose (the case's and its companion's), nor
    the digests chained from them; each personal text as the desk shows it (each desk
    seals under keys of its own, so the recorded boxes differ)."""
    ids = ("originator_id", "other_case_id", "digest")
    return [(type(e).__name__, shown_fields(e, leave_out=ids)) for e in events]
