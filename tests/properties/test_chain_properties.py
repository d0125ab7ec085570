"""Properties of the hash chain over every valid history drawn by casehistory.testing:
it always verifies, it survives a round trip through a SQLite file and through an
export, and changing any one field of any one event breaks it at exactly that event."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from casehistory import CaseDesk, SteppingClock
from casehistory.audit.export_jsonl import verify_bundle, write_jsonl
from casehistory.audit.scan import scan_log
from casehistory.audit.verify import Problem, verify_cases
from casehistory.domain.chain import digest, record_of
from casehistory.domain.state import fold
from casehistory.testing import CaseHistory
from casehistory.testing.strategies import CLOCK_START, case_histories

# A plausible forgery of each field: well-formed, only different.
EDITS = {
    "occurred_at": lambda _: "2000-01-01T00:00:00+00:00",
    "recorded_at": lambda _: "2000-01-01T00:00:00+00:00",
    "type": lambda old: "NoteAdded" if old != "NoteAdded" else "ContactLogged",
    "actor": lambda old: {**old, "id": old["id"] + "x"},
    "payload": lambda old: {**old, "extra": "1"},
}


def new_desk(location: str = ":memory:") -> CaseDesk:
    return CaseDesk.open(location, clock=SteppingClock(CLOCK_START))


@settings(max_examples=40, deadline=None)
@given(case_histories(max_commands=25))
def test_every_recorded_history_verifies_and_its_digests_chain(history: CaseHistory) -> None:
    desk = new_desk()
    case_id = history.apply(desk)
    events = desk.history(case_id)
    previous = None
    for event in events:
        assert digest(record_of(event), previous) == event.digest
        previous = event.digest
    assert fold(events).digest == events[-1].digest
    assert verify_cases(desk, [case_id]).ok
    assert scan_log(desk).ok


@settings(max_examples=15, deadline=None)
@given(case_histories(max_commands=20))
def test_digests_survive_a_sqlite_file(history: CaseHistory) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "cases.sqlite")
        desk = new_desk(path)
        case_id = history.apply(desk)
        before = [e.digest for e in desk.history(case_id)]
        desk.close()
        reopened = new_desk(path)
        assert [e.digest for e in reopened.history(case_id)] == before
        assert verify_cases(reopened, [case_id]).ok
        reopened.close()


@settings(max_examples=40, deadline=None)
@given(case_histories(min_commands=1, max_commands=20), st.data())
def test_editing_one_field_of_an_export_is_found_at_that_event(
    history: CaseHistory, data: st.DataObject
) -> None:
    desk = new_desk()
    history.apply(desk)
    out = io.StringIO()
    write_jsonl(desk, list(desk.case_ids()), out)
    lines = out.getvalue().split("\n")[:-1]  # exactly one record per line
    assert verify_bundle(lines).ok
    index = data.draw(st.integers(0, len(lines) - 1), label="line")
    entry = json.loads(lines[index])
    field = data.draw(st.sampled_from(sorted(EDITS)))
    entry[field] = EDITS[field](entry[field])
    lines[index] = json.dumps(entry)
    findings = verify_bundle(lines).findings
    assert findings
    assert {(f.version, f.problem) for f in findings} == {(entry["version"], Problem.ALTERED)}
