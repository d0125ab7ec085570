"""Proven bundles, attacked as a hostile auditee would: every line tied to a signed
checkpoint, so that dropping, adding, rewriting or re-proving anything is found, with
the line, the case or the version named. The store is built through the public desk."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import attrs
import pytest

from casehistory import CaseDesk
from casehistory.audit.bundle import EVENT_FIELDS, HEADER_FIELDS, MerkleLevels, prove_export
from casehistory.audit.bundle import write_bundle as write
from casehistory.audit.bundle_check import BundleCheck, verify_bundle
from casehistory.audit.checkpoint import Checkpoint
from casehistory.audit.merkle import inclusion_proof, tree_head
from casehistory.audit.note import SignerKey, VerifierKey
from casehistory.audit.scan import scan_log
from casehistory.audit.store_checks import make_checkpoint
from casehistory.audit.verify import Problem
from casehistory.domain.chain import RECORD_FIELDS, digest
from casehistory.errors import CheckpointMismatch, InvalidInput
from casehistory.stories import STORIES

SIGNER = SignerKey.generate("auditor.example/desk")
TRUSTED = SIGNER.verifier()


@attrs.frozen
class Store:
    desk: CaseDesk
    checkpoint: Checkpoint
    older: Checkpoint
    """A genuine, signed checkpoint of the same store, made earlier (fewer entries)."""
    leaves: list[bytes]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The five stories pinned by a signed checkpoint, then one more case after it."""
    desk = CaseDesk.open(str(tmp_path_factory.mktemp("bundle") / "cases.sqlite"))
    for story in STORIES[:2]:
        story.tell(desk)
    older, _ = make_checkpoint(desk, key=SIGNER)
    for story in STORIES[2:]:
        story.tell(desk)
    checkpoint, _ = make_checkpoint(desk, key=SIGNER)
    assert older is not None
    assert checkpoint is not None
    STORIES[0].tell(desk)  # recorded after the checkpoint: not in any bundle of it
    leaves: list[bytes] = []
    assert scan_log(desk, entry=lambda e: leaves.append(e.leaf)).ok
    return Store(desk, checkpoint, older, leaves)


def export(store: Store, case_ids: list[UUID] | None = None, **options: Any) -> list[str]:
    proofs = prove_export(store.desk, store.checkpoint.text(), case_ids)
    out = io.StringIO()
    write(store.desk, proofs, out, **options)
    return out.getvalue().splitlines()


@pytest.fixture(scope="module")
def lines(store: Store) -> list[str]:
    return export(store)


def check(lines: list[str], **options: Any) -> BundleCheck:
    options.setdefault("trusted_key", TRUSTED)
    return verify_bundle("\n".join(lines).encode() + b"\n", **options)


def found(lines: list[str], **options: Any) -> set[tuple[UUID | None, int | None, Problem]]:
    return {(f.case_id, f.version, f.problem) for f in check(lines, **options).findings}


def details(lines: list[str], **options: Any) -> str:
    return "\n".join(str(f) for f in check(lines, **options).findings)


def events(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines[1:]]


def header(lines: list[str]) -> dict[str, Any]:
    return dict(json.loads(lines[0]))


def with_header(lines: list[str], change: Callable[[dict[str, Any]], None]) -> list[str]:
    entry = header(lines)
    change(entry)
    return [json.dumps(entry), *lines[1:]]


def edit(lines: list[str], index: int, change: Callable[[dict[str, Any]], None]) -> list[str]:
    entry = json.loads(lines[index])
    change(entry)
    return [*lines[:index], json.dumps(entry), *lines[index + 1 :]]


def case_lines(lines: list[str], case_id: UUID) -> list[int]:
    return [i for i, line in enumerate(lines) if i and json.loads(line)["case_id"] == str(case_id)]


class TestAnUntouchedBundle:
    def test_is_proven_against_the_signed_checkpoint(self, store: Store, lines: list[str]) -> None:
        result = check(lines)

        assert result.ok, result.findings
        assert result.proven
        assert result.whole_store
        assert (result.cases, result.events) == (store.checkpoint.cases, store.checkpoint.size)
        assert result.standing.startswith("proven against the checkpoint of casehistory/")
        assert result.standing.endswith("no case is cut short, no case is missing")

    def test_leaves_out_what_was_recorded_after_the_checkpoint(
        self, store: Store, lines: list[str]
    ) -> None:
        positions = [entry["position"] for entry in events(lines)]

        assert len(store.leaves) > store.checkpoint.size
        assert sorted(positions) == list(range(store.checkpoint.size))

    def test_writes_the_documented_fields(self, lines: list[str]) -> None:
        assert list(header(lines)) == list(HEADER_FIELDS)
        assert all(list(entry) == list(EVENT_FIELDS) for entry in events(lines))
        assert header(lines)["unverified"] is False

    def test_without_a_pinned_key_is_never_called_proven(self, lines: list[str]) -> None:
        result = check(lines, trusted_key=None)

        assert result.ok
        assert not result.proven
        assert "signed by an unpinned key" in result.standing
        assert "proven against" not in result.standing

    def test_of_named_cases_proves_each_case_whole(self, store: Store) -> None:
        second = list(store.desk.case_ids())[1]
        named = export(store, [second])
        result = check(named)

        assert result.proven
        assert not result.whole_store
        assert result.cases == 1
        assert "no case is missing" not in result.standing


class TestDroppedEvents:
    def test_the_last_event_of_a_case_is_found(self, store: Store, lines: list[str]) -> None:
        case_id = UUID(events(lines)[0]["case_id"])
        last = case_lines(lines, case_id)[-1]
        version = json.loads(lines[last])["version"]

        assert (case_id, version, Problem.MISSING) in found([*lines[:last], *lines[last + 1 :]])

    def test_a_whole_case_is_found(self, lines: list[str]) -> None:
        dropped = header(lines)["cases"][2]
        kept = [i for i in case_lines(lines, UUID(dropped["case_id"]))]
        without = [line for i, line in enumerate(lines) if i not in kept]
        without = with_header(without, lambda h: h["cases"].pop(2))

        assert "case heads at index 2 are missing" in details(without)

    def test_a_case_whose_lines_are_gone_but_head_kept_is_found(self, lines: list[str]) -> None:
        case_id = UUID(header(lines)["cases"][1]["case_id"])
        gone = set(case_lines(lines, case_id))

        assert (case_id, 1, Problem.MISSING) in found(
            [line for i, line in enumerate(lines) if i not in gone]
        )


class TestForgedCases:
    def test_a_case_rewritten_with_a_recomputed_chain_is_found(self, lines: list[str]) -> None:
        case_id = UUID(header(lines)["cases"][0]["case_id"])
        rewritten, previous = list(lines), None
        for i in case_lines(lines, case_id):
            entry = json.loads(lines[i])
            entry["recorded_at"] = entry["recorded_at"].replace("2026", "2025")
            entry["digest"] = digest({k: entry[k] for k in RECORD_FIELDS}, previous)
            previous = entry["digest"]
            rewritten[i] = json.dumps(entry)

        result = check(rewritten)
        assert not result.ok
        assert not result.proven
        assert {(f.case_id, f.problem) for f in result.findings} == {(case_id, Problem.ALTERED)}
        assert "is not in the log the checkpoint commits to" in details(rewritten)

    def test_an_added_forged_case_is_found_by_line(self, lines: list[str]) -> None:
        forged = {
            "case_id": str(uuid4()),
            "version": 1,
            "type": "MoneyVanished",
            "occurred_at": "yesterday",
            "recorded_at": "2026-13-45T99:00:00+00:00",
            "actor": {"id": "mallory", "role": "NOBODY"},
            "payload": {},
            "digest": "0" * 64,
            "position": 3,
            "proof": [],
        }
        text = details([*lines, json.dumps(forged)])

        assert f"line {len(lines) + 1}: type 'MoneyVanished' is not a case event" in text

    @pytest.mark.parametrize(
        ("field", "value", "why"),
        [
            ("occurred_at", "yesterday", "occurred_at is 'yesterday', not an ISO 8601 time"),
            (
                "recorded_at",
                "2026-06-03T14:20:00",
                "recorded_at is '2026-06-03T14:20:00', a time without its UTC offset",
            ),
            ("actor", {"id": "mallory", "role": "NOBODY"}, "actor role is 'NOBODY', not a Role"),
            ("payload", {"text": "x", "extra": 1}, "payload has extra, which NoteAdded has not"),
            ("payload", {}, "payload lacks text"),
        ],
    )
    def test_a_record_no_desk_writes_is_found(
        self, lines: list[str], field: str, value: Any, why: str
    ) -> None:
        index = next(i for i, e in enumerate(events(lines), 1) if e["type"] == "NoteAdded")

        assert f"line {index + 1}: {why}" in details(
            edit(lines, index, lambda e: e.update({field: value}))
        )

    def test_a_well_formed_forged_case_with_a_head_of_its_own_is_found(
        self, lines: list[str]
    ) -> None:
        case_id = uuid4()
        entry = events(lines)[0] | {"case_id": str(case_id), "position": 0}
        entry["digest"] = digest({k: entry[k] for k in RECORD_FIELDS}, None)
        head = {
            "case_id": str(case_id),
            "version": 1,
            "digest": entry["digest"],
            "index": 5,  # past the last case, with the last case's proof
            "proof": header(lines)["cases"][4]["proof"],
        }
        forged = with_header([*lines, json.dumps(entry)], lambda h: h["cases"].append(head))

        assert (case_id, 1, Problem.ALTERED) in found(forged)
        assert "is not in the checkpoint's case-head tree" in details(forged)


class TestHostileBytes:
    def test_a_repeated_payload_key_is_found(self, lines: list[str]) -> None:
        line = lines[3]
        doubled = line.replace('"payload":', '"payload":{"text":"forged"},"payload":', 1)

        assert "line 4: repeats the key 'payload'" in details([*lines[:3], doubled, *lines[4:]])

    @pytest.mark.parametrize("data", [b"", b"\n", b"  \n\n\t\n"])
    def test_an_empty_or_blank_file_is_an_error(self, data: bytes) -> None:
        result = verify_bundle(data)

        assert not result.ok
        assert "holds no event to verify" in "\n".join(map(str, result.findings))

    def test_a_header_alone_is_an_error(self, lines: list[str]) -> None:
        assert not check([lines[0]]).ok

    def test_invalid_utf8_is_found_at_its_line(self, lines: list[str]) -> None:
        data = ("\n".join(lines[:5]) + "\n").encode() + b'{"case_id": "\xff\xfe"}\n'

        assert "line 6: is not valid UTF-8" in "\n".join(
            str(f) for f in verify_bundle(data, trusted_key=TRUSTED).findings
        )


class TestTamperedProofs:
    def test_a_changed_hash_in_a_proof_is_found(self, lines: list[str]) -> None:
        def flip(entry: dict[str, Any]) -> None:
            raw = bytearray(base64.b64decode(entry["proof"][0]))
            raw[0] ^= 1
            entry["proof"][0] = base64.b64encode(bytes(raw)).decode()

        entry = json.loads(lines[5])
        assert (UUID(entry["case_id"]), entry["version"], Problem.ALTERED) in found(
            edit(lines, 5, flip)
        )

    def test_a_changed_position_is_found(self, lines: list[str]) -> None:
        entry = json.loads(lines[5])
        moved = edit(lines, 5, lambda e: e.update(position=e["position"] + 1))

        assert (UUID(entry["case_id"]), entry["version"], Problem.ALTERED) in found(moved)

    def test_a_proof_for_another_size_is_found(self, store: Store, lines: list[str]) -> None:
        entry = json.loads(lines[5])
        other = inclusion_proof(store.leaves, entry["position"], store.checkpoint.size + 1)
        reproved = edit(
            lines, 5, lambda e: e.update(proof=[base64.b64encode(h).decode() for h in other])
        )

        assert (UUID(entry["case_id"]), entry["version"], Problem.ALTERED) in found(reproved)

    def test_a_changed_case_head_proof_is_found(self, lines: list[str]) -> None:
        def shift(h: dict[str, Any]) -> None:
            h["cases"][0]["index"] += 1

        assert "is not in the checkpoint's case-head tree" in details(with_header(lines, shift))


class TestSwappedCheckpoints:
    def test_a_checkpoint_signed_by_another_key_fails_under_the_pinned_key(
        self, store: Store, lines: list[str]
    ) -> None:
        mallory = SignerKey.generate("auditor.example/desk")
        forged = attrs.evolve(store.checkpoint, signatures=()).sign(mallory)

        swapped = with_header(lines, lambda h: h.update(checkpoint=forged.text()))
        assert "not by the trusted key" in details(swapped)
        assert not check(swapped).proven

    def test_an_older_genuine_checkpoint_does_not_prove_the_lines(
        self, store: Store, lines: list[str]
    ) -> None:
        swapped = with_header(lines, lambda h: h.update(checkpoint=store.older.text()))

        assert not check(swapped).ok
        assert "is not in the log the checkpoint commits to" in details(swapped)

    def test_the_auditors_own_checkpoint_overrides_the_one_carried(
        self, store: Store, lines: list[str]
    ) -> None:
        assert check(lines, checkpoint=store.checkpoint.text()).proven
        result = check(lines, checkpoint=store.older.text())

        assert not result.ok
        assert "proven against a checkpoint of" in details(lines, checkpoint=store.older.text())

    def test_an_unsigned_checkpoint_is_not_proven(self, store: Store, lines: list[str]) -> None:
        bare = attrs.evolve(store.checkpoint, signatures=()).text()

        assert not check(with_header(lines, lambda h: h.update(checkpoint=bare))).proven


class TestExporting:
    def test_refuses_a_checkpoint_of_another_store(self, store: Store, tmp_path: Path) -> None:
        other = CaseDesk.open(str(tmp_path / "other.sqlite"))
        STORIES[1].tell(other)

        with pytest.raises(CheckpointMismatch):
            prove_export(other, store.checkpoint.text())
        other.close()

    def test_refuses_a_named_case_recorded_after_the_checkpoint(self, store: Store) -> None:
        late = list(store.desk.case_ids())[-1]

        with pytest.raises(InvalidInput, match=str(late)):
            prove_export(store.desk, store.checkpoint.text(), [late])

    def test_marks_an_unverified_export(self, store: Store) -> None:
        marked = export(store, unverified=True)

        assert header(marked)["unverified"] is True
        assert check(marked).unverified


class TestPlainExports:
    def test_verify_as_self_consistent_only(self, store: Store) -> None:
        from casehistory.audit.export_jsonl import write_jsonl

        out = io.StringIO()
        write_jsonl(store.desk, list(store.desk.case_ids()), out)
        plain = out.getvalue().splitlines()

        result = verify_bundle(plain)
        assert result.ok
        assert not result.proven
        assert result.standing.startswith("self-consistent only")
        assert not verify_bundle(plain, trusted_key=TRUSTED).ok  # a key cannot apply

    def test_an_unverified_mark_is_read(self, store: Store) -> None:
        from casehistory.audit.export_jsonl import write_jsonl

        out = io.StringIO()
        write_jsonl(store.desk, list(store.desk.case_ids())[:1], out, unverified=True)

        result = verify_bundle(out.getvalue().splitlines())
        assert result.ok
        assert result.unverified


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 33])
def test_all_proofs_at_once_are_the_rfc_9162_proofs(size: int) -> None:
    entries = [bytes([i]) * 32 for i in range(size)]
    levels = MerkleLevels(entries)

    assert levels.root() == tree_head(entries)
    assert all(levels.proof(i) == inclusion_proof(entries, i, size) for i in range(size))


def test_a_verifier_key_is_what_the_signer_gives(store: Store) -> None:
    assert isinstance(TRUSTED, VerifierKey)
    assert store.checkpoint.verify_signature(TRUSTED).startswith("signed by the trusted key")
