"""``keygen``, ``checkpoint`` and ``verify --checkpoint``, attacked from outside: an
unpinned key, a stripped signature, a checkpoint of no entry, a pinned key with nothing
to check, a tampered store, a log that no longer extends the previous checkpoint,
another store's checkpoint, and legacy JSON checkpoints."""

from __future__ import annotations

import json
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from casehistory import CaseDesk
from casehistory.audit.checkpoint import Checkpoint, read_checkpoint
from casehistory.audit.checkpoint_v1 import LegacyCheckpoint
from casehistory.cli import main
from casehistory.stories import STORIES


def run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], env={"CASEHISTORY_DB": None})
    return result.exit_code, result.output


def stories_store(path: Path) -> str:
    desk = CaseDesk.open(str(path))
    for story in STORIES:
        story.tell(desk)
    desk.close()
    return str(path)


@pytest.fixture
def db(tmp_path: Path) -> str:
    return stories_store(tmp_path / "cases.sqlite")


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "signing.key"
    assert run("keygen", "--name", "example.com/desk", "-o", path)[0] == 0
    return path


def checkpoint(db: str, path: Path, *more: str | Path) -> Checkpoint:
    code, out = run("checkpoint", "-o", path, "--db", db, *more)
    assert code == 0, out
    made = read_checkpoint(path)
    assert isinstance(made, Checkpoint)
    return made


def delete_an_event(db: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(
            "DELETE FROM stored_events WHERE rowid = "
            "(SELECT rowid FROM stored_events WHERE originator_version = 3 LIMIT 1)"
        )


class TestKeygen:
    def test_writes_a_secret_signer_key_and_a_public_verifier_key(
        self, tmp_path: Path, key: Path
    ) -> None:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert key.read_text().startswith("PRIVATE+KEY+example.com/desk+")
        assert Path(f"{key}.pub").read_text().startswith("example.com/desk+")

    def test_never_overwrites_a_key(self, key: Path) -> None:
        before = key.read_bytes()

        code, out = run("keygen", "--name", "other.example/k", "-o", key)

        assert code == 1
        assert (
            out == f"Error: {key} already exists; keygen never overwrites a key (a lost "
            "signing key cannot be recovered): choose another file name\n"
        )
        assert key.read_bytes() == before

    def test_a_name_with_a_space_is_a_usage_error(self, tmp_path: Path) -> None:
        code, out = run("keygen", "--name", "my key", "-o", tmp_path / "k")

        assert code == 2
        assert "is not a key name" in out
        assert not (tmp_path / "k").exists()


class TestCheckpoint:
    def test_prints_the_origin_and_writes_a_c2sp_note(
        self, db: str, key: Path, tmp_path: Path
    ) -> None:
        code, out = run("checkpoint", "-o", tmp_path / "cp", "--key", key, "--db", db)

        made = read_checkpoint(tmp_path / "cp")
        assert code == 0
        assert isinstance(made, Checkpoint)
        assert out.strip() == (
            f"checkpoint of {made.origin}: 84 entries, 5 cases, signed by example.com/desk; "
            f"written to {tmp_path / 'cp'}"
        )

    def test_refuses_to_sign_a_tampered_store(self, db: str, key: Path, tmp_path: Path) -> None:
        delete_an_event(db)

        code, out = run("checkpoint", "-o", tmp_path / "cp", "--key", key, "--db", db)

        assert code == 1
        assert "version 3 is missing" in out
        assert out.strip().endswith(
            "Error: no checkpoint: the store fails verification (see above)"
        )
        assert not (tmp_path / "cp").exists()

    def test_refuses_a_log_that_does_not_extend_the_previous_checkpoint(
        self, db: str, key: Path, tmp_path: Path
    ) -> None:
        checkpoint(db, tmp_path / "old")
        # Every event of the store replaced by a fresh history of the same size.
        Path(db).unlink()
        stories_store(Path(db))

        code, out = run(
            "checkpoint",
            "-o",
            tmp_path / "new",
            "--key",
            key,
            "--previous",
            tmp_path / "old",
            "--db",
            db,
        )

        assert code == 1
        assert out.startswith("Error: the previous checkpoint is of casehistory/")
        assert not (tmp_path / "new").exists()

    def test_extends_a_previous_checkpoint_of_the_same_store(
        self, db: str, key: Path, tmp_path: Path
    ) -> None:
        checkpoint(db, tmp_path / "old")
        desk = CaseDesk.open(db)
        STORIES[0].tell(desk)
        desk.close()

        made = checkpoint(db, tmp_path / "new", "--key", key, "--previous", tmp_path / "old")

        assert made.size > 84

    def test_an_empty_store_gets_no_checkpoint(self, tmp_path: Path) -> None:
        CaseDesk.open(str(tmp_path / "empty.sqlite")).close()

        code, out = run("checkpoint", "--db", tmp_path / "empty.sqlite")

        assert code == 1
        assert "a checkpoint of no entry pins nothing" in out


class TestVerifyCheckpoint:
    def test_without_a_pinned_key_a_signature_is_never_called_verified(
        self, db: str, tmp_path: Path
    ) -> None:
        run("keygen", "--name", "mallory.example/k", "-o", tmp_path / "mallory.key")
        checkpoint(db, tmp_path / "cp", "--key", tmp_path / "mallory.key")

        code, out = run("verify", "--checkpoint", tmp_path / "cp", "--db", db)

        assert code == 0
        assert "signed by an unpinned key mallory.example/k (not verified: pin a key)" in out
        assert "trusted" not in out

    def test_an_unsigned_checkpoint_is_reported_as_unsigned(self, db: str, tmp_path: Path) -> None:
        checkpoint(db, tmp_path / "cp")

        code, out = run("verify", "--checkpoint", tmp_path / "cp", "--db", db)

        assert code == 0
        assert ", unsigned): the log still extends it" in out

    def test_a_pinned_key_verifies_its_signature(self, db: str, key: Path, tmp_path: Path) -> None:
        checkpoint(db, tmp_path / "cp", "--key", key)

        code, out = run(
            "verify", "--checkpoint", tmp_path / "cp", "--trusted-key", f"{key}.pub", "--db", db
        )

        assert code == 0, out
        assert "signed by the trusted key example.com/desk+" in out

    def test_a_stripped_signature_fails_against_the_pinned_key(
        self, db: str, key: Path, tmp_path: Path
    ) -> None:
        made = checkpoint(db, tmp_path / "cp", "--key", key)
        (tmp_path / "cp").write_text(made.body())

        code, out = run(
            "verify", "--checkpoint", tmp_path / "cp", "--trusted-key", f"{key}.pub", "--db", db
        )

        assert code == 1
        assert "is unsigned, not by the trusted key example.com/desk+" in out

    def test_a_signature_by_another_key_fails_against_the_pinned_key(
        self, db: str, key: Path, tmp_path: Path
    ) -> None:
        run("keygen", "--name", "example.com/desk", "-o", tmp_path / "impostor.key")
        checkpoint(db, tmp_path / "cp", "--key", tmp_path / "impostor.key")

        code, out = run(
            "verify", "--checkpoint", tmp_path / "cp", "--trusted-key", f"{key}.pub", "--db", db
        )

        assert code == 1
        assert "signed by example.com/desk only, not by the trusted key" in out

    def test_a_checkpoint_of_no_entry_is_refused(self, db: str, tmp_path: Path) -> None:
        made = checkpoint(db, tmp_path / "cp")
        (tmp_path / "cp").write_text(made.body().replace("\n84\n", "\n0\n"))

        code, out = run("verify", "--checkpoint", tmp_path / "cp", "--db", db)

        assert code == 2
        assert "pins nothing" in out

    def test_a_trusted_key_with_nothing_to_check_is_a_usage_error(self, db: str, key: Path) -> None:
        code, out = run("verify", "--trusted-key", f"{key}.pub", "--db", db)

        assert code == 2
        assert "--trusted-key checks the signatures of checkpoints" in out

    def test_another_stores_checkpoint_fails_naming_both_stores(
        self, db: str, tmp_path: Path
    ) -> None:
        mine = checkpoint(db, tmp_path / "cp")
        other_db = stories_store(tmp_path / "other.sqlite")
        other = checkpoint(other_db, tmp_path / "other-cp")

        code, out = run("verify", "--checkpoint", tmp_path / "cp", "--db", other_db)

        assert code == 1
        assert f"this checkpoint is of the store {mine.origin}, this store is {other.origin}" in out

    def test_two_checkpoints_are_checked_for_consistency(self, db: str, tmp_path: Path) -> None:
        checkpoint(db, tmp_path / "old")
        desk = CaseDesk.open(db)
        STORIES[0].tell(desk)
        desk.close()
        checkpoint(db, tmp_path / "new")

        code, out = run(
            "verify",
            "--checkpoint",
            tmp_path / "old",
            "--checkpoint",
            tmp_path / "new",
            "--db",
            db,
        )

        assert code == 0
        assert "extends the checkpoint of 84 entries (RFC 9162 consistency proof of" in out

    def test_a_legacy_json_checkpoint_is_still_checked_and_named_legacy(
        self, db: str, tmp_path: Path
    ) -> None:
        made = checkpoint(db, tmp_path / "cp")
        legacy = LegacyCheckpoint(made.size, made.root, datetime(2026, 11, 1, tzinfo=UTC))
        (tmp_path / "old.json").write_text(legacy.to_json())

        code, out = run("verify", "--checkpoint", tmp_path / "old.json", "--json", "--db", db)

        assert code == 0
        [outcome] = json.loads(out)["checkpoints"]
        assert outcome["format"] == "legacy casehistory-checkpoint/1"
        assert outcome["signature"] == "unsigned"
        assert outcome["ok"]
