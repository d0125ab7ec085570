"""An auditor's round: pin the log with a signed checkpoint, take the trail away as a
proven bundle, and verify it offline, with nothing but the bundle and the verifier key.

Run:  python examples/auditor_round.py

The desk here records the five stories first, in memory; an auditor would open the
desk's store read-only instead (``CaseDesk.open(path, read_only=True)``), or run the
same round on the command line: ``casehistory keygen``, ``casehistory checkpoint``,
``casehistory export --format jsonl --checkpoint``, ``casehistory verify --bundle``.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from casehistory import CaseDesk, SteppingClock
from casehistory.audit.bundle import prove_export, write_bundle
from casehistory.audit.bundle_check import verify_bundle
from casehistory.audit.note import SignerKey
from casehistory.audit.scan import scan_log
from casehistory.audit.store_checks import make_checkpoint
from casehistory.stories import STORIES


def main() -> None:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
    for story in STORIES:
        story.tell(desk)

    # 1. Every chain holds: nothing was altered, removed or reordered.
    verification = scan_log(desk)
    print(f"verify: {verification.cases} cases, {verification.events} events, ok={verification.ok}")

    # 2. A checkpoint pins the log: its size and Merkle root, signed by the auditor.
    signer = SignerKey.generate("auditor.example/desk")
    checkpoint, _ = make_checkpoint(desk, key=signer)
    print("checkpoint:")
    print("  " + checkpoint.text().replace("\n", "\n  ").rstrip())

    # 3. The trail, taken away: every event with its proof of inclusion in that log.
    out = io.StringIO()
    written = write_bundle(desk, prove_export(desk, checkpoint.text()), out)
    bundle = out.getvalue().encode("utf-8")
    print(f"bundle: {written} events, {len(bundle):,} bytes")
    desk.close()

    # 4. Offline, elsewhere: the bundle and the verifier key are all it takes.
    checked = verify_bundle(bundle, trusted_key=signer.verifier())
    print(f"offline: ok={checked.ok} proven={checked.proven} whole store={checked.whole_store}")

    # And a bundle with one event left out no longer proves anything.
    cut = b"\n".join(bundle.splitlines()[:-1]) + b"\n"
    print(f"a case's last event dropped: ok={verify_bundle(cut, trusted_key=signer.verifier()).ok}")


if __name__ == "__main__":
    main()
