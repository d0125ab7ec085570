"""Checkpoints are C2SP signed notes: an independent verifier written from the spec
(tests/audit/c2sp_reference.py) accepts ours, ours accepts its, and both reproduce the
known answers of Go's golang.org/x/mod/sumdb/note and of the C2SP spec's example key."""

from __future__ import annotations

import base64
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from c2sp_reference import Rejected, open_checkpoint, open_note, parse_vkey, sign_note

from casehistory import CaseDesk, SteppingClock
from casehistory.audit.case_heads import CaseHeads
from casehistory.audit.checkpoint import Checkpoint, parse_checkpoint
from casehistory.audit.merkle import tree_head
from casehistory.audit.note import (
    EM_DASH,
    NoteSignature,
    SignedNote,
    SignerKey,
    VerifierKey,
    key_id,
    load_signer_key,
    load_verifier_key,
    write_key_pair,
)
from casehistory.audit.scan import scan_log
from casehistory.audit.store_checks import make_checkpoint
from casehistory.errors import CheckpointSignatureInvalid, InvalidInput, SigningKeyUnusable
from casehistory.stories import STORIES

# Known answers: Go's sumdb/note documentation example, and the C2SP spec's example key.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE = (
    f"{EM_DASH} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZ"
    "SNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    f"{EM_DASH} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1E"
    "RYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


@pytest.fixture(scope="module")
def store() -> CaseDesk:
    desk = CaseDesk.open(":memory:", clock=SteppingClock(datetime(2026, 11, 1, tzinfo=UTC)))
    for story in STORIES:
        story.tell(desk)
    return desk


class TestKnownAnswers:
    def test_the_go_example_key_reads_and_writes_back_the_same(self) -> None:
        signer = SignerKey.parse(GO_SKEY)

        assert signer.text == GO_SKEY
        assert signer.verifier().text == GO_VKEY
        assert VerifierKey.parse(GO_VKEY) == signer.verifier()

    def test_signing_the_go_example_text_gives_the_published_signature(self) -> None:
        assert SignerKey.parse(GO_SKEY).sign(GO_TEXT).line == GO_SIGNATURE

    def test_the_reference_signer_gives_the_published_note(self) -> None:
        assert sign_note(GO_TEXT, GO_SKEY) == f"{GO_TEXT}\n{GO_SIGNATURE}\n"

    def test_the_spec_example_note_verifies_in_both(self) -> None:
        note = SignedNote.parse(SPEC_NOTE)

        assert VerifierKey.parse(SPEC_VKEY).verifies(note.text, note.signatures[0])
        assert open_note(SPEC_NOTE.encode(), SPEC_VKEY) == "This is an example message.\n"

    def test_key_id_is_sha256_of_name_newline_type_and_key(self) -> None:
        _, expected, public = parse_vkey(GO_VKEY)

        assert key_id("PeterNeumann", public) == expected == bytes.fromhex("c74f20a3")


class TestInteroperability:
    def test_the_reference_verifier_accepts_our_signed_checkpoint(self, store: CaseDesk) -> None:
        signer = SignerKey.generate("example.com/desk")
        made, _ = make_checkpoint(store, key=signer)
        assert made is not None

        origin, size, root, extensions = open_checkpoint(
            made.text().encode(), signer.verifier().text
        )

        leaves: list[bytes] = []
        heads = CaseHeads()
        scan_log(store, entry=lambda e: (leaves.append(e.leaf), heads.add(e)))
        assert origin == "casehistory/" + leaves[0][:16].hex()
        assert size == len(leaves) == made.size
        assert root == tree_head(leaves)
        assert extensions == [
            "casehistory time " + made.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            f"casehistory cases {len(heads)} {base64.b64encode(heads.root()).decode()}",
        ]

    def test_the_reference_verifier_rejects_our_checkpoint_under_another_key(
        self, store: CaseDesk
    ) -> None:
        made, _ = make_checkpoint(store, key=SignerKey.generate("example.com/desk"))
        assert made is not None
        other = SignerKey.generate("example.com/desk").verifier().text

        with pytest.raises(Rejected, match="no signature from the known key"):
            open_checkpoint(made.text().encode(), other)

    def test_we_accept_a_checkpoint_the_reference_signer_signed(self, store: CaseDesk) -> None:
        made, _ = make_checkpoint(store)
        assert made is not None
        signer = SignerKey.generate("witness.example/one")

        note = sign_note(made.body(), signer.text)

        read = parse_checkpoint(note)
        assert isinstance(read, Checkpoint)
        assert read.body() == made.body()
        assert read.verify_signature(signer.verifier()).startswith("signed by the trusted key")

    def test_a_changed_byte_fails_in_both(self, store: CaseDesk) -> None:
        signer = SignerKey.generate("example.com/desk")
        made, _ = make_checkpoint(store, key=signer)
        assert made is not None
        forged = made.text().replace(f"\n{made.size}\n", f"\n{made.size - 1}\n")

        with pytest.raises(Rejected):
            open_note(forged.encode(), signer.verifier().text)
        read = parse_checkpoint(forged)
        with pytest.raises(CheckpointSignatureInvalid, match="changed after signing"):
            read.verify_signature(signer.verifier())


class TestNotesAreReadStrictly:
    @pytest.mark.parametrize(
        "note",
        [
            "text\n",  # no signature block
            "text\n\n",  # a blank line and no signature
            f"text\n\n{EM_DASH} name AAAA\n",  # fewer than 5 bytes of signature
            f"text\n\n{EM_DASH} na+me AAAAAAAAAAA=\n",  # '+' in the name
            "text\n\n- name AAAAAAAAAAA=\n",  # a hyphen, not an em dash
            f"text\n\n{EM_DASH} name AAAAAAAAAAA=",  # no final newline
            f"te\txt\n\n{EM_DASH} name AAAAAAAAAAA=\n",  # a control character
            f"text\n\n{EM_DASH} name AAAAAAAAAAA\n",  # base64 without its padding
        ],
    )
    def test_a_malformed_note_is_refused(self, note: str) -> None:
        with pytest.raises(InvalidInput):
            SignedNote.parse(note)

    def test_unknown_signatures_are_ignored_but_a_known_bad_one_fails(self) -> None:
        mine, theirs = SignerKey.generate("a.example/k"), SignerKey.generate("b.example/k")
        text = "hello\n"
        good = mine.sign(text)
        stranger = theirs.sign(text)
        bad = NoteSignature(good.name, good.key_id, bytes(64))

        assert mine.verifier().verifies(text, good)
        assert not mine.verifier().matches(stranger)
        assert not mine.verifier().verifies(text, bad)

    @pytest.mark.parametrize(
        "text",
        [
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong ID
            "PeterNeumann+c74f20a3+AhpjZAcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # type 2
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",
        ],
    )
    def test_a_malformed_verifier_key_is_refused(self, text: str) -> None:
        with pytest.raises(InvalidInput):
            VerifierKey.parse(text)

    def test_a_signer_key_with_a_changed_id_is_refused(self) -> None:
        with pytest.raises(SigningKeyUnusable, match="has key ID c74f20a4"):
            SignerKey.parse(GO_SKEY.replace("c74f20a3", "c74f20a4"))


class TestKeyFiles:
    def test_keygen_writes_a_secret_signer_key_and_its_verifier_key(self, tmp_path: Path) -> None:
        key = SignerKey.generate("example.com/desk")

        public = write_key_pair(key, tmp_path / "signing.key")

        assert stat.S_IMODE((tmp_path / "signing.key").stat().st_mode) == 0o600
        assert load_signer_key(tmp_path / "signing.key") == key
        assert load_verifier_key(public) == key.verifier()
        assert public.read_text() == key.verifier().text + "\n"

    def test_keygen_never_overwrites_a_key(self, tmp_path: Path) -> None:
        (tmp_path / "signing.key.pub").write_text("precious")

        with pytest.raises(InvalidInput, match="already exists"):
            write_key_pair(SignerKey.generate("x.example/k"), tmp_path / "signing.key")

        assert not (tmp_path / "signing.key").exists()
        assert (tmp_path / "signing.key.pub").read_text() == "precious"
