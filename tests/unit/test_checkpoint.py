"""Checkpoints: a signed size and tree head of the log, kept in a strict JSON file, and the
checks that a log or a later checkpoint still extends it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casehistory.audit.checkpoint import (
    FORMAT,
    Checkpoint,
    CheckpointMismatch,
    CheckpointSignatureInvalid,
    SigningKeyUnusable,
    check_consistency,
    check_extends,
    generate_private_key_pem,
    load_private_key,
)
from casehistory.audit.merkle import EMPTY_ROOT, consistency_proof, tree_head
from casehistory.errors import CaseHistoryError, InvalidInput

AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
LOG = [f"event {i}".encode() for i in range(20)]


def checkpoint_of(size: int, at: datetime = AT) -> Checkpoint:
    return Checkpoint(size=size, root=tree_head(LOG[:size]), created_at=at)


def new_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


def raw_public_key_of(checkpoint: Checkpoint) -> str:
    assert checkpoint.public_key is not None
    return checkpoint.public_key.hex()


def fields_of(checkpoint: Checkpoint) -> dict[str, object]:
    loaded = json.loads(checkpoint.to_json())
    assert isinstance(loaded, dict)
    return loaded


class TestMakingACheckpoint:
    def test_keeps_its_time_in_utc(self) -> None:
        paris = timezone(timedelta(hours=1))

        checkpoint = checkpoint_of(9, datetime(2026, 11, 1, 9, 0, tzinfo=paris))

        assert checkpoint.created_at == AT
        assert checkpoint.created_at.tzinfo is UTC

    def test_refuses_a_naive_time(self) -> None:
        with pytest.raises(InvalidInput, match=r"created_at must be a timezone-aware datetime"):
            checkpoint_of(9, datetime(2026, 11, 1, 8, 0))

    @pytest.mark.parametrize("size", [-1, True, 2**53, 9.0])
    def test_refuses_a_size_that_is_not_an_entry_count(self, size: object) -> None:
        with pytest.raises(InvalidInput, match=r"size must be an int from 0 to 2\*\*53 - 1"):
            Checkpoint(size=size, root=EMPTY_ROOT, created_at=AT)  # type: ignore[arg-type]

    def test_refuses_a_root_that_is_not_32_bytes(self) -> None:
        with pytest.raises(InvalidInput, match=r"root must be 32 bytes, got '.*'"):
            Checkpoint(size=9, root=tree_head(LOG[:9]).hex(), created_at=AT)  # type: ignore[arg-type]

    def test_refuses_an_empty_log_with_another_root_than_the_empty_tree(self) -> None:
        with pytest.raises(InvalidInput, match=r"0 entries must have the empty tree's root"):
            Checkpoint(size=0, root=tree_head(LOG[:1]), created_at=AT)

    def test_refuses_a_signature_without_its_key(self) -> None:
        with pytest.raises(InvalidInput, match=r"both signature and public_key, or neither"):
            Checkpoint(size=9, root=tree_head(LOG[:9]), created_at=AT, signature=b"s" * 64)


class TestTheStatement:
    def test_is_the_canonical_json_of_the_four_statement_fields(self) -> None:
        checkpoint = Checkpoint(size=0, root=EMPTY_ROOT, created_at=AT)

        statement = checkpoint.statement()

        assert statement == (
            b'{"created_at":"2026-11-01T08:00:00+00:00","format":"casehistory-checkpoint/1",'
            b'"root":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",'
            b'"size":0}'
        )

    def test_does_not_depend_on_the_offset_the_time_was_given_in(self) -> None:
        tokyo = timezone(timedelta(hours=9))

        local = checkpoint_of(9, AT.astimezone(tokyo))

        assert local.statement() == checkpoint_of(9).statement()

    def test_does_not_include_the_signature(self) -> None:
        checkpoint = checkpoint_of(9)

        signed = checkpoint.sign(new_key())

        assert signed.statement() == checkpoint.statement()


class TestSignatures:
    def test_a_signed_checkpoint_verifies_with_its_signers_key(self) -> None:
        key = new_key()

        signed = checkpoint_of(9).sign(key)

        signed.verify_signature(raw_public(key))
        signed.verify_signature()
        assert signed.public_key == raw_public(key)

    @pytest.mark.parametrize(
        "change",
        [
            {"size": 10, "root": tree_head(LOG[:10])},
            {"root": tree_head([*LOG[:8], b"rewritten"])},
            {"created_at": AT + timedelta(seconds=1)},
        ],
        ids=["size", "root", "time"],
    )
    def test_a_checkpoint_changed_after_signing_fails(self, change: dict[str, Any]) -> None:
        signed = checkpoint_of(9).sign(new_key())

        tampered = attrs.evolve(signed, **change)

        with pytest.raises(CheckpointSignatureInvalid, match=r"was changed after signing"):
            tampered.verify_signature()

    def test_a_changed_signature_fails(self) -> None:
        signed = checkpoint_of(9).sign(new_key())
        assert signed.signature is not None

        tampered = attrs.evolve(
            signed, signature=bytes([signed.signature[0] ^ 1]) + signed.signature[1:]
        )

        with pytest.raises(CheckpointSignatureInvalid, match=r"does not match its statement"):
            tampered.verify_signature()

    def test_a_checkpoint_signed_by_another_key_fails_against_the_trusted_key(self) -> None:
        trusted, forger = new_key(), new_key()

        forged = checkpoint_of(9).sign(forger)

        forged.verify_signature()  # consistent in itself: only the trusted key tells
        with pytest.raises(CheckpointSignatureInvalid, match=r"not by the trusted key"):
            forged.verify_signature(raw_public(trusted))

    def test_a_signature_swapped_in_from_another_key_fails(self) -> None:
        trusted, forger = new_key(), new_key()
        signed = checkpoint_of(9).sign(forger)

        relabelled = attrs.evolve(signed, public_key=raw_public(trusted))

        with pytest.raises(CheckpointSignatureInvalid, match=r"does not match its statement"):
            relabelled.verify_signature(raw_public(trusted))

    def test_an_unsigned_checkpoint_fails(self) -> None:
        with pytest.raises(CheckpointSignatureInvalid, match=r"9 entries at .* is not signed"):
            checkpoint_of(9).verify_signature()

    def test_refuses_a_trusted_key_that_is_not_raw_32_bytes(self) -> None:
        signed = checkpoint_of(9).sign(new_key())

        with pytest.raises(InvalidInput, match=r"raw Ed25519 public key of 32 bytes"):
            signed.verify_signature(b"\x01" * 31)

    def test_signing_with_another_kind_of_key_is_refused(self) -> None:
        with pytest.raises(SigningKeyUnusable, match=r"signed with Ed25519, got a"):
            checkpoint_of(9).sign(ec.generate_private_key(ec.SECP256R1()))  # type: ignore[arg-type]


class TestKeyFiles:
    def test_a_generated_pem_key_loads_and_signs(self, tmp_path: Path) -> None:
        path = tmp_path / "key.pem"
        path.write_bytes(generate_private_key_pem())

        key = load_private_key(path)

        checkpoint_of(9).sign(key).verify_signature(raw_public(key))
        assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")

    def test_a_missing_file_says_how_to_make_one(self, tmp_path: Path) -> None:
        with pytest.raises(SigningKeyUnusable, match=r"no signing key file at .*openssl genpkey"):
            load_private_key(tmp_path / "absent.pem")

    def test_a_key_of_another_type_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "ec.pem"
        path.write_bytes(
            ec.generate_private_key(ec.SECP256R1()).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

        with pytest.raises(SigningKeyUnusable, match=r"holds a \w+, not an Ed25519 key"):
            load_private_key(path)

    def test_an_encrypted_key_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "locked.pem"
        path.write_bytes(
            new_key().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"secret"),
            )
        )

        with pytest.raises(SigningKeyUnusable, match=r"is encrypted"):
            load_private_key(path)

    def test_a_file_that_is_not_pem_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "notes.txt"
        path.write_text("not a key")

        with pytest.raises(SigningKeyUnusable, match=r"holds no PEM private key"):
            load_private_key(path)


class TestTheFileFormat:
    def test_round_trips_signed_and_unsigned_checkpoints(self) -> None:
        unsigned = checkpoint_of(9)
        signed = unsigned.sign(new_key())

        again = [Checkpoint.from_json(c.to_json()) for c in (unsigned, signed)]

        assert again == [unsigned, signed]
        again[1].verify_signature(signed.public_key)

    def test_writes_the_hashes_in_hex(self) -> None:
        signed = checkpoint_of(9).sign(new_key())
        assert signed.signature is not None

        fields = fields_of(signed)

        assert fields == {
            "format": FORMAT,
            "size": 9,
            "root": tree_head(LOG[:9]).hex(),
            "created_at": "2026-11-01T08:00:00+00:00",
            "signature": signed.signature.hex(),
            "public_key": raw_public_key_of(signed),
        }

    def test_round_trips_through_a_file(self, tmp_path: Path) -> None:
        signed = checkpoint_of(9).sign(new_key())
        path = tmp_path / "checkpoint.json"

        signed.write(path)

        assert Checkpoint.read(path) == signed
        assert path.read_text(encoding="utf-8").endswith("}\n")

    def test_a_time_in_another_offset_is_read_as_the_same_instant(self) -> None:
        fields = fields_of(checkpoint_of(9))
        fields["created_at"] = "2026-11-01T09:00:00+01:00"

        checkpoint = Checkpoint.from_json(json.dumps(fields))

        assert checkpoint == checkpoint_of(9)

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"format": "casehistory-checkpoint/2"}, r"unknown checkpoint format 'casehistory"),
            ({"format": None}, r"unknown checkpoint format None"),
            ({"root": None}, r"checkpoint misses root \(rule: .*exactly format, size, root"),
            ({"note": "hi"}, r"has unknown fields note"),
            ({"size": "9"}, r"size must be a whole JSON number, got '9'"),
            ({"size": 9.0}, r"size must be a whole JSON number, got 9.0"),
            ({"size": -1}, r"size must be an int from 0"),
            ({"root": "ab" * 31}, r"root must be 64 lowercase hex digits \(32 bytes\)"),
            ({"root": "AB" * 32}, r"root must be 64 lowercase hex digits"),
            ({"root": "zz" * 32}, r"root must be 64 lowercase hex digits"),
            ({"created_at": "2026-11-01T08:00:00"}, r"created_at must be .* with a UTC offset"),
            ({"created_at": "1 November 2026"}, r"created_at must be an ISO 8601 time"),
            ({"created_at": 1793520000}, r"created_at must be an ISO 8601 time"),
            ({"signature": "00" * 64}, r"both signature and public_key, or neither"),
            ({"signature": "00" * 63, "public_key": "00" * 32}, r"signature must be 128 lowercase"),
        ],
    )
    def test_refuses_anything_but_the_exact_format(
        self, change: dict[str, object], message: str
    ) -> None:
        fields = {**fields_of(checkpoint_of(9)), **change}
        text = json.dumps({k: v for k, v in fields.items() if v is not None or k == "format"})

        with pytest.raises(InvalidInput, match=message):
            Checkpoint.from_json(text)

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("{", r"this text is not JSON"),
            ("[1, 2]", r"a checkpoint is one JSON object, got list"),
            ('{"size": 9, "size": 10}', r"repeats the field size"),
        ],
    )
    def test_refuses_text_that_is_not_one_json_object(self, text: str, message: str) -> None:
        with pytest.raises(InvalidInput, match=message):
            Checkpoint.from_json(text)

    def test_reading_names_the_file_in_every_error(self, tmp_path: Path) -> None:
        path = tmp_path / "checkpoint.json"
        path.write_text("{}", encoding="utf-8")

        with pytest.raises(InvalidInput, match=r"checkpoint.json: unknown checkpoint format"):
            Checkpoint.read(path)
        with pytest.raises(InvalidInput, match=r"no checkpoint file at .*absent.json"):
            Checkpoint.read(tmp_path / "absent.json")


class TestCheckExtends:
    def test_passes_for_the_log_it_was_made_from_and_for_its_growth(self) -> None:
        checkpoint = checkpoint_of(9)

        check_extends(checkpoint, LOG[:9])
        check_extends(checkpoint, LOG)
        check_extends(checkpoint_of(0), [])

    def test_reads_no_further_than_the_checkpoint(self) -> None:
        stream = iter(LOG)

        check_extends(checkpoint_of(9), stream)

        assert next(stream) == LOG[9]

    def test_a_truncated_log_fails(self) -> None:
        with pytest.raises(
            CheckpointMismatch,
            match=r"the log has only 7 entries; the checkpoint of .* covers 9 \(a truncated tail",
        ):
            check_extends(checkpoint_of(9), LOG[:7])

    @pytest.mark.parametrize(
        "log",
        [
            [*LOG[:4], b"rewritten", *LOG[5:]],
            [*LOG[:4], *LOG[5:]],
            [LOG[1], LOG[0], *LOG[2:]],
        ],
        ids=["rewritten", "deleted", "reordered"],
    )
    def test_a_changed_log_fails(self, log: list[bytes]) -> None:
        checkpoint = checkpoint_of(9)

        with pytest.raises(CheckpointMismatch) as raised:
            check_extends(checkpoint, log)

        assert str(raised.value).startswith(
            f"the first 9 entries hash to {tree_head(log[:9]).hex()}, the checkpoint of "
            f"2026-11-01T08:00:00+00:00 says {checkpoint.root.hex()} (an event was rewritten"
        )
        assert isinstance(raised.value, CaseHistoryError)


class TestCheckConsistency:
    def test_passes_for_a_later_checkpoint_of_the_same_log(self) -> None:
        old, new = checkpoint_of(6), checkpoint_of(13, AT + timedelta(days=1))

        check_consistency(old, new, consistency_proof(LOG, 6, 13))
        check_consistency(old, old, [])

    def test_a_history_rewritten_between_the_checkpoints_fails(self) -> None:
        rewritten = [b"rewritten", *LOG[1:]]
        old = checkpoint_of(6)
        new = Checkpoint(size=13, root=tree_head(rewritten[:13]), created_at=AT)

        with pytest.raises(CheckpointMismatch, match=r"an entry before 6 was rewritten"):
            check_consistency(old, new, consistency_proof(rewritten, 6, 13))

    def test_a_smaller_new_checkpoint_fails(self) -> None:
        with pytest.raises(CheckpointMismatch, match=r"covers 6 entries, fewer than the 13"):
            check_consistency(checkpoint_of(13), checkpoint_of(6), [])

    def test_two_checkpoints_of_one_size_with_different_roots_fail(self) -> None:
        other = Checkpoint(size=9, root=tree_head([b"x", *LOG[1:9]]), created_at=AT)

        with pytest.raises(CheckpointMismatch, match=r"both checkpoints cover 9 entries but"):
            check_consistency(checkpoint_of(9), other, [])
