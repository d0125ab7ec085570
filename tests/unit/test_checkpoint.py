"""Checkpoints: a C2SP tlog-checkpoint note (origin, size, root, store time, case heads),
read strictly, signed and checked as the signed-note spec says; legacy JSON checkpoints
still read; and the checks that a log or a later checkpoint extends one."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import attrs
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casehistory.audit.checkpoint import (
    Checkpoint,
    CheckpointMismatch,
    CheckpointSignatureInvalid,
    check_consistency,
    check_extends,
    parse_checkpoint,
    read_checkpoint,
    store_origin,
)
from casehistory.audit.checkpoint_v1 import LegacyCheckpoint
from casehistory.audit.merkle import consistency_proof, tree_head
from casehistory.audit.note import SignerKey, VerifierKey, load_signer_key, load_verifier_key
from casehistory.errors import InvalidInput, SigningKeyUnusable

AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
LOG = [bytes([n]) * 32 for n in range(20)]
ORIGIN = store_origin(LOG[0])
KEY = SignerKey.generate("example.com/desk")


def checkpoint_of(size: int, at: datetime = AT) -> Checkpoint:
    return Checkpoint(ORIGIN, size, tree_head(LOG[:size]), at, 2, bytes(32))


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


class TestMakingACheckpoint:
    def test_keeps_its_time_in_utc(self) -> None:
        paris = timezone(timedelta(hours=1))

        made = checkpoint_of(9, datetime(2026, 11, 1, 9, 0, tzinfo=paris))

        assert made.created_at == AT
        assert made.created_at.tzinfo == UTC
        assert made.body() == checkpoint_of(9).body()

    def test_refuses_a_naive_time(self) -> None:
        with pytest.raises(InvalidInput):
            checkpoint_of(9, datetime(2026, 11, 1, 8, 0))

    @pytest.mark.parametrize("size", [0, -1, True, 1.0, "9", 2**63])
    def test_refuses_a_size_that_is_not_a_positive_entry_count(self, size: object) -> None:
        with pytest.raises(InvalidInput, match="pins nothing"):
            Checkpoint(ORIGIN, size, bytes(32), AT, 1, bytes(32))  # type: ignore[arg-type]

    @pytest.mark.parametrize("origin", ["", "has space", "has+plus", None])
    def test_refuses_an_origin_the_spec_does_not_allow(self, origin: object) -> None:
        with pytest.raises(InvalidInput, match="origin"):
            Checkpoint(origin, 1, bytes(32), AT, 1, bytes(32))  # type: ignore[arg-type]

    def test_the_origin_is_the_first_half_of_the_first_entry(self) -> None:
        assert store_origin(bytes(range(32))) == "casehistory/" + bytes(range(16)).hex()


class TestTheNoteText:
    def test_is_origin_size_root_time_and_cases_one_per_line(self) -> None:
        made = checkpoint_of(9)

        assert made.body() == (
            f"{ORIGIN}\n9\n{b64(tree_head(LOG[:9]))}\n"
            "casehistory time 2026-11-01T08:00:00.000000Z\n"
            f"casehistory cases 2 {b64(bytes(32))}\n"
        )

    def test_unsigned_is_the_body_alone_and_reads_back(self) -> None:
        made = checkpoint_of(9)

        assert made.text() == made.body()
        assert parse_checkpoint(made.text()) == made

    def test_signed_reads_back_with_its_signature(self, tmp_path: Path) -> None:
        signed = checkpoint_of(9).sign(KEY)
        signed.write(tmp_path / "cp")

        assert signed.text().startswith(signed.body() + "\n\u2014 example.com/desk ")
        assert read_checkpoint(tmp_path / "cp") == signed

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (lambda t: t.replace("\n9\n", "\n09\n"), "no leading zero"),
            (lambda t: t.replace("\n9\n", "\n0\n"), "pins nothing"),
            (lambda t: t.replace("000000Z", "Z"), "one spelling per instant"),
            (lambda t: t.replace("000000Z", "000000+00:00"), "one spelling per instant"),
            (lambda t: t.replace("casehistory cases 2 ", "casehistory cases 2  "), "base64"),
            (lambda t: t + "an extra line\n", "is 5 lines"),
            (lambda t: t.replace("casehistory time", "time"), "line 4"),
            (lambda t: t[:-1], "is 5 lines"),
            (lambda t: t.replace("=\n", "\n", 1), "base64"),
        ],
    )
    def test_refuses_anything_but_the_exact_format(self, change, message: str) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(InvalidInput, match=message):
            parse_checkpoint(change(checkpoint_of(9).text()))

    def test_reading_names_the_file_in_every_error(self, tmp_path: Path) -> None:
        (tmp_path / "cp").write_text("nonsense\n")

        with pytest.raises(InvalidInput, match=f"^{tmp_path / 'cp'}: "):
            read_checkpoint(tmp_path / "cp")
        with pytest.raises(InvalidInput, match="no checkpoint file at"):
            read_checkpoint(tmp_path / "none")


class TestSignatures:
    def test_a_pinned_key_verifies_its_signature(self) -> None:
        signed = checkpoint_of(9).sign(KEY)

        assert signed.verify_signature(KEY.verifier()) == (
            f"signed by the trusted key {KEY.verifier().describe()}"
        )

    def test_without_a_pinned_key_a_signature_is_never_called_verified(self) -> None:
        signed = checkpoint_of(9).sign(SignerKey.generate("mallory.example/k"))

        assert signed.verify_signature() == (
            "signed by an unpinned key mallory.example/k (not verified: pin a key)"
        )
        assert checkpoint_of(9).verify_signature() == "unsigned"

    def test_an_unsigned_or_stripped_checkpoint_fails_against_a_pinned_key(self) -> None:
        stripped = parse_checkpoint(checkpoint_of(9).sign(KEY).body())

        with pytest.raises(CheckpointSignatureInvalid, match="is unsigned, not by the trusted"):
            stripped.verify_signature(KEY.verifier())

    def test_a_signature_by_another_key_of_the_same_name_fails(self) -> None:
        other = SignerKey.generate("example.com/desk")
        signed = checkpoint_of(9).sign(other)

        with pytest.raises(CheckpointSignatureInvalid, match=r"signed by example\.com/desk only"):
            signed.verify_signature(KEY.verifier())

    def test_a_checkpoint_changed_after_signing_fails(self) -> None:
        signed = checkpoint_of(9).sign(KEY)
        moved = attrs.evolve(signed, size=8, root=tree_head(LOG[:8]))

        with pytest.raises(CheckpointSignatureInvalid, match="changed after signing"):
            moved.verify_signature(KEY.verifier())

    def test_a_pem_key_signs_as_the_origin_and_its_public_pem_verifies(
        self, tmp_path: Path
    ) -> None:
        private = Ed25519PrivateKey.generate()
        (tmp_path / "k.pem").write_bytes(
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        (tmp_path / "k.pub.pem").write_bytes(
            private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

        signed = checkpoint_of(9).sign(load_signer_key(tmp_path / "k.pem"))

        assert signed.signatures[0].name == ORIGIN
        assert "trusted key the PEM key" in signed.verify_signature(
            load_verifier_key(tmp_path / "k.pub.pem")
        )

    def test_a_key_of_another_type_is_refused(self, tmp_path: Path) -> None:
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        (tmp_path / "ec.pem").write_bytes(pem)

        with pytest.raises(SigningKeyUnusable, match="not an Ed25519 key"):
            load_signer_key(tmp_path / "ec.pem")

    def test_a_missing_key_file_says_how_to_make_one(self, tmp_path: Path) -> None:
        with pytest.raises(SigningKeyUnusable, match="casehistory keygen"):
            load_signer_key(tmp_path / "none.key")
        with pytest.raises(InvalidInput, match="casehistory keygen"):
            load_verifier_key(tmp_path / "none.pub")

    def test_a_pem_key_has_no_verifier_key_text(self) -> None:
        with pytest.raises(InvalidInput, match="has no name"):
            _ = VerifierKey(KEY.public_key).text


class TestLegacyCheckpoints:
    def legacy(self, size: int = 9) -> LegacyCheckpoint:
        return LegacyCheckpoint(size, tree_head(LOG[:size]), AT)

    def test_are_still_read_and_say_so(self) -> None:
        key = Ed25519PrivateKey.generate()
        old = self.legacy().sign(key)

        read = parse_checkpoint(old.to_json())

        assert read == old
        assert read.format_name == "legacy casehistory-checkpoint/1"
        assert read.origin is None
        assert read.verify_signature().startswith("signed by an unpinned key")
        pinned = VerifierKey(key.public_key().public_bytes_raw())
        assert read.verify_signature(pinned).startswith("signed by the trusted key")

    def test_a_stripped_legacy_signature_fails_against_a_pinned_key(self) -> None:
        key = Ed25519PrivateKey.generate()
        fields = json.loads(self.legacy().sign(key).to_json())
        del fields["signature"], fields["public_key"]
        stripped = parse_checkpoint(json.dumps(fields))

        with pytest.raises(CheckpointSignatureInvalid, match="unsigned"):
            stripped.verify_signature(VerifierKey(key.public_key().public_bytes_raw()))

    def test_a_legacy_checkpoint_of_no_entry_is_refused(self) -> None:
        fields = json.loads(self.legacy().to_json()) | {"size": 0}

        with pytest.raises(InvalidInput, match="pins nothing"):
            parse_checkpoint(json.dumps(fields))

    def test_repeated_fields_are_refused(self) -> None:
        text = self.legacy().to_json().replace('"size": 9', '"size": 9, "size": 8')

        with pytest.raises(InvalidInput, match="repeats the field size"):
            parse_checkpoint(text)


class TestCheckExtends:
    def test_passes_for_the_log_it_was_made_from_and_for_its_growth(self) -> None:
        check_extends(checkpoint_of(9), LOG[:9])
        check_extends(checkpoint_of(9), LOG)

    def test_a_truncated_log_fails(self) -> None:
        with pytest.raises(CheckpointMismatch, match="the log has only 7 entries"):
            check_extends(checkpoint_of(9), LOG[:7])

    def test_a_changed_log_fails(self) -> None:
        rewritten = [*LOG[:4], bytes(32), *LOG[5:]]

        with pytest.raises(CheckpointMismatch, match="rewritten, deleted or reordered"):
            check_extends(checkpoint_of(9), rewritten)


class TestCheckConsistency:
    def test_passes_for_a_later_checkpoint_of_the_same_log(self) -> None:
        check_consistency(checkpoint_of(9), checkpoint_of(12), consistency_proof(LOG, 9, 12))

    def test_a_history_rewritten_between_the_checkpoints_fails(self) -> None:
        rewritten = [b"\xff" * 32, *LOG[1:]]
        later = Checkpoint(ORIGIN, 12, tree_head(rewritten[:12]), AT, 2, bytes(32))

        with pytest.raises(CheckpointMismatch, match="does not show"):
            check_consistency(checkpoint_of(9), later, consistency_proof(rewritten, 9, 12))

    def test_checkpoints_of_two_stores_fail_naming_both(self) -> None:
        other = attrs.evolve(checkpoint_of(12), origin="casehistory/" + "ab" * 16)

        with pytest.raises(CheckpointMismatch, match=f"two stores, {ORIGIN} and casehistory/ab"):
            check_consistency(checkpoint_of(9), other, consistency_proof(LOG, 9, 12))

    def test_a_smaller_new_checkpoint_fails(self) -> None:
        with pytest.raises(CheckpointMismatch, match="fewer than the 12"):
            check_consistency(checkpoint_of(12), checkpoint_of(9), [])
