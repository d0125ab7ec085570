"""Four writer processes at once on one store (issue 10, point 10).

On one case, the writers race: a writer whose case moved on while its command ran is
refused with ``ConcurrentUpdate`` and runs the command again, as the docs tell it to.
Every command ends recorded exactly once, versions run without a gap, and ``casehistory
verify --rules`` passes. On a case each, no writer is ever refused. The writers start
together at a barrier, and the tests check that they did write at the same time.
"""

from __future__ import annotations

from itertools import accumulate

from tests.integration._workers import Reports, check_store, commands, open_cases, run_writers

WRITERS = 4
COMMANDS = 12
"""Per writer: four notes, four payments and four refunds."""


def most_at_once(reports: list[Reports]) -> int:
    """The most writers that were busy at one moment, each busy from its first call to
    its last return (on 2 busy cores, a writer may get no time until others are done)."""
    edges = sorted(
        edge
        for report in reports
        for edge in (
            (min(ack.called for ack in report.acks), 1),
            (max(ack.returned for ack in report.acks), -1),
        )
    )
    return max(accumulate(step for _, step in edges))


def test_four_writers_on_one_case_record_every_command_once(store: str) -> None:
    # A round whose writers happened not to overlap (on 2 busy cores, a process may get
    # no time until the others are done) proves nothing about racing: run another, on a
    # case of its own, up to three in all; every round must record every command once.
    for round_ in range(3):
        [case_id] = open_cases(store, 1)
        sent = [commands(f"r{round_}w{n}", [case_id], COMMANDS) for n in range(WRITERS)]

        reports = run_writers(store, sent)

        assert [report.failures for report in reports] == [[]] * WRITERS
        assert all(report.done for report in reports)
        acknowledged = {ack.marker for report in reports for ack in report.acks}
        every = {command.marker for mine in sent for command in mine}
        assert acknowledged == every
        markers = check_store(store, [case_id], acknowledged, every)
        assert sum(markers.values()) == WRITERS * COMMANDS
        if most_at_once(reports) >= 2:
            break
    assert most_at_once(reports) >= 2
    # They raced for the case: some command was refused and run again.
    assert sum(len(report.conflicts) for report in reports) > 0


def test_four_writers_on_their_own_cases_are_never_refused(store: str) -> None:
    case_ids = open_cases(store, WRITERS)
    sent = [commands(f"w{n}", [case_id], COMMANDS) for n, case_id in enumerate(case_ids)]

    reports = run_writers(store, sent)

    assert [report.failures for report in reports] == [[]] * WRITERS
    assert [report.conflicts for report in reports] == [[]] * WRITERS
    acknowledged = {ack.marker for report in reports for ack in report.acks}
    every = {command.marker for mine in sent for command in mine}
    assert acknowledged == every
    check_store(store, case_ids, acknowledged, every)
    assert most_at_once(reports) >= 2
