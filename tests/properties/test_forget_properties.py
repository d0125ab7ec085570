"""Forgetting a customer, over drawn histories of several cases and customers: it erases
every personal text of theirs and nothing else, and afterwards their cases take every
command that carries no personal text, and refuse, recording nothing, those that do."""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import UUID

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from casehistory import (
    ERASED,
    Actor,
    CaseDesk,
    CaseView,
    ErasureGround,
    PersonalDataErased,
    Role,
    Sealed,
    SteppingClock,
)
from casehistory.domain import events as ev
from casehistory.testing import CaseModel, Command
from casehistory.testing._machine_draws import NEW_CASE
from casehistory.testing._shown import as_shown
from casehistory.testing.strategies import CLOCK_START, next_command
from casehistory.views.ledger import Ledger
from casehistory.views.trail import Trail, describe

OFFICER = Actor("p.osei", Role.PRIVACY_OFFICER)


def _erased(view: CaseView) -> dict[str, Any]:
    """What a view of a forgotten customer's case must show of its personal texts
    (docs/data-protection.md): each one ``[erased]``, every other field as it was."""
    customer = view.customer
    return {
        "customer": attrs.evolve(
            customer, name=ERASED, email=None if customer.email is None else ERASED
        ),
        "subject": ERASED,
        "resolution": None if view.resolution is None else ERASED,
        "open_holds": tuple(
            attrs.evolve(hold, account=ERASED, reason=ERASED) for hold in view.open_holds
        ),
        "escalations": tuple(
            attrs.evolve(
                e, reason=ERASED, decision_reason=None if e.decision_reason is None else ERASED
            )
            for e in view.escalations
        ),
    }


def _with_erased_texts(event: ev.CaseEvent) -> ev.CaseEvent:
    """``event`` with each sealed text replaced by ``[erased]``."""
    changed = {
        field.name: _erase(getattr(event, field.name))
        for field in dataclasses.fields(event)  # type: ignore[arg-type]
        if field.init
    }
    return dataclasses.replace(event, **changed)  # type: ignore[type-var]


def _erase(value: Any) -> Any:
    if isinstance(value, Sealed):
        return ERASED
    if attrs.has(type(value)):
        return attrs.evolve(
            value,
            **{
                f.alias: _erase(getattr(value, f.name))
                for f in attrs.fields(type(value))
                if f.init and isinstance(getattr(value, f.name), Sealed)
            },
        )
    return value


def _trail_lines(trail: Trail) -> list[tuple[Any, ...]]:
    return [(line.version, line.event_type, line.actor, line.money) for line in trail.lines]


@st.composite
def _desks(draw: st.DrawFn) -> tuple[CaseDesk, dict[UUID, CaseModel], dict[UUID, str]]:
    """A desk with two to five cases of up to three customers (and maybe a companion of
    none of them, the target of links), extended command by command as drawn."""
    desk = CaseDesk.open(":memory:", clock=SteppingClock(CLOCK_START))
    openings = draw(st.lists(NEW_CASE, min_size=2, max_size=5), label="openings")
    ids = [desk.open_case(**opening) for opening in openings]
    models = {
        case_id: CaseModel.of_opening(opening, [i for i in ids if i != case_id])
        for case_id, opening in zip(ids, openings, strict=True)
    }
    for _ in range(draw(st.integers(0, 30), label="steps")):
        case_id = draw(st.sampled_from(ids), label="case")
        command = draw(next_command(models[case_id]))
        command.apply(desk, case_id)
        models[case_id] = models[case_id].after(command)
    owners = {case_id: o["customer"].id for case_id, o in zip(ids, openings, strict=True)}
    return desk, models, owners


@settings(max_examples=40, deadline=None)
@given(_desks(), st.sampled_from(ErasureGround), st.data())
def test_forgetting_a_customer_erases_their_texts_and_nothing_else(
    drawn: tuple[CaseDesk, dict[UUID, CaseModel], dict[UUID, str]],
    ground: ErasureGround,
    data: st.DataObject,
) -> None:
    desk, models, owners = drawn
    forgotten = data.draw(st.sampled_from(sorted(set(owners.values()))), label="forgotten")
    theirs = [case_id for case_id, owner in owners.items() if owner == forgotten]
    every = list(desk.case_ids())  # the drawn cases, and any companion of theirs
    views = {case_id: desk.case(case_id) for case_id in every}
    trails = {case_id: desk.trail(case_id) for case_id in every}

    erasure = desk.forget_customer(forgotten, ground=ground, by=OFFICER)

    assert erasure.customer_id == forgotten
    assert erasure.key_destroyed
    assert set(erasure.cases) == set(erasure.recorded) == set(theirs)
    for case_id in every:
        before, after = views[case_id], desk.case(case_id)
        if case_id not in theirs:  # every other customer's case: as it was
            assert after == before
            assert desk.trail(case_id) == trails[case_id]
            continue
        models[case_id] = models[case_id].after_forgetting()
        # The personal texts erased; status, ledger, decisions, times as they were.
        assert after == attrs.evolve(
            before,
            **_erased(before),
            version=before.version + 1,
            last_recorded_at=after.last_recorded_at,
            digest=after.digest,
        )
        model = models[case_id]
        assert (after.version, after.status) == (model.version, model.status)
        assert after.ledger == Ledger.of(model.ledger)
        assert after.open_holds == model.open_holds
        assert after.escalations == model.escalations
        # Every event: each personal text erased, sealed as it was recorded.
        history = desk.history(case_id)
        assert type(history[-1]) is ev.CustomerForgotten
        assert history[-1].ground is ground
        assert history[-1].by == OFFICER
        for event in history:
            for name in ev.PERSONAL.get(type(event), ()):
                value = getattr(event, name)
                texts = (
                    [value.name, value.email] if name == "customer" else [value]
                )  # a customer: their name and email
                assert all(t is None or isinstance(t, Sealed) for t in texts), name
                assert all(as_shown(t) in (None, ERASED) for t in texts), name
        # The trail: the same lines, each showing its event with the texts erased.
        trail = desk.trail(case_id)
        assert _trail_lines(trail)[:-1] == _trail_lines(trails[case_id])
        assert [line.what for line in trail.lines] == [
            describe(_with_erased_texts(e)) for e in history
        ]
        assert ERASED in trail.lines[0].what  # the opening: customer and subject

    # Afterwards: every command drawn on their cases is accepted, or refused with
    # PersonalDataErased (recording nothing) exactly when it carries personal text.
    for _ in range(data.draw(st.integers(1, 15), label="after")):
        case_id = data.draw(st.sampled_from(theirs), label="case")
        model = models[case_id]
        command: Command = data.draw(next_command(model), label="command")
        before = desk.case(case_id)
        try:
            command.apply(desk, case_id)
        except PersonalDataErased:
            assert model.erases(command), f"{command!r} carries no personal text"
            assert desk.case(case_id) == before
        else:
            assert not model.erases(command), f"{command!r} recorded personal text"
            models[case_id] = model.after(command)
            assert desk.case(case_id).version == models[case_id].version
        assert desk.case(case_id).subject == ERASED
    desk.close()
