"""A desk process for test_idempotency.py: sends the same commands as its siblings.

Run as ``python _idempotent_worker.py STORE CASE_ID SEED COUNT [MODE]``. Prints
``ready``, waits for a line on stdin (so that every sibling starts at once), then sends
``COUNT`` notes in an order shuffled by ``SEED``, retrying on ``ConcurrentUpdate``
through ``desk.retries``, and prints one JSON object: each note's key and the version
its call returned, how many calls gave up, and how many runs met another writer.

MODE ``same`` (the default): the notes carry command ids ``note-0`` ..., the same in
every sibling. MODE ``own``: notes of this process alone (``w<SEED>-<n>``), no ids.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, datetime
from uuid import UUID

from casehistory import Actor, CaseDesk, ConcurrentUpdate, Role, SystemClock

AGENT = Actor("a.lee", Role.AGENT)
OCCURRED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def main(store: str, case_id: UUID, seed: int, count: int, mode: str) -> None:
    desk = CaseDesk.open(store, clock=SystemClock())
    desk.retries = 100
    met = 0
    back_off = desk._back_off

    def counted(attempt: int) -> None:
        nonlocal met
        met += 1
        back_off(attempt)

    desk._back_off = counted  # type: ignore[method-assign]
    order = list(range(count))
    random.Random(seed).shuffle(order)
    print("ready", flush=True)
    sys.stdin.readline()
    versions: dict[str, int] = {}
    gave_up = 0
    for number in order:
        key = f"note-{number}" if mode == "same" else f"w{seed}-{number}"
        try:
            versions[key] = desk.add_note(
                case_id,
                text=key,
                by=AGENT,
                occurred_at=OCCURRED,
                command_id=key if mode == "same" else None,
            )
        except ConcurrentUpdate:
            gave_up += 1
    desk.close()
    print(json.dumps({"versions": versions, "gave_up": gave_up, "met": met}), flush=True)


if __name__ == "__main__":
    mode = sys.argv[5] if len(sys.argv) > 5 else "same"
    main(sys.argv[1], UUID(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), mode)
