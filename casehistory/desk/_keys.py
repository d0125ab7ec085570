"""The key store: one AES-256-GCM key per customer, beside the events, destroyed to
forget the customer (docs/data-protection.md).

``casedesk_keys`` (in the SQLite file, the PostgreSQL schema, or the in-process
recorder) holds one row per customer who has a key: ``key_id`` (random, written in
every box the key sealed), ``customer_id`` and the 32 key bytes. Sealing a text makes
``<key_id>.<base64url(nonce || ciphertext || tag)>`` with a fresh 96-bit nonce and the
key id as associated data, so that a box moved under another key's id does not open.
Destroying a key deletes its row; on SQLite with ``secure_delete`` on and the WAL
checkpointed and truncated after, so that the bytes leave the file and its WAL. The
table and its SQL are in ``_key_table.py``.
"""

from __future__ import annotations

import binascii
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from casehistory.desk._key_table import _FAILURES, KEY_TABLE, KeyTable, _stored_id
from casehistory.domain.sealed import Sealed
from casehistory.errors import StoreUnavailable

__all__ = ["KEY_TABLE", "CaseSealer", "KeyStore"]

_NONCE = 12


def _b64(data: bytes) -> str:
    # base64.urlsafe_b64encode's steps (binascii, then its translation), without its
    # two Python calls: every personal text a command seals passes here.
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=").decode("ascii")


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _unb64(text: str) -> bytes:
    # base64.urlsafe_b64decode's steps (ASCII only, its translation, binascii, not
    # strict), without its Python calls: every sealed text a view shows passes here.
    return binascii.a2b_base64(
        text.encode("ascii").translate(_FROM_URLSAFE) + b"=" * (-len(text) % 4)
    )


_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


class KeyStore(KeyTable):
    """The customers' keys of one desk's store."""

    def __init__(self, recorder: Any, *, writable: bool) -> None:
        super().__init__(recorder)
        self._writable = writable
        self._created = False
        self._batch: dict[str, tuple[str, bytes] | None] | None = None
        self._ciphers: dict[str, tuple[AESGCM, Any]] = {}
        """Keys read for sealing, by key id, each with when the store was seen as it
        was read (:meth:`sealing`): only those read under the last sighting."""
        self._seen: Any = None
        self._sealer: CaseSealer | None = None
        """The last case's sealer whose key was read (:meth:`CaseSealer.of`)."""
        self._destructions = 0
        """Bumped when :meth:`destroy` starts and when it ends (odd while one runs): a key
        read before or during a destruction by another thread of this desk is never kept
        (:meth:`_keep`), for a destruction on the same pooled connection does not move
        that connection's ``PRAGMA data_version``."""
        self._keeping = threading.Lock()
        self._opener: tuple[str, bytes, AESGCM] | None = None
        """The last key :meth:`open` read, its bytes and their cipher."""

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Keys read once for a whole pass (a catalog's catch-up or rebuild: two texts
        a case), not once per text. A key destroyed by this store during the pass is
        dropped from it at once; one destroyed by another process is read as it was
        until the pass ends, and the pass meets its ``CustomerForgotten`` anyway."""
        if self._batch is not None:
            yield
            return
        self._batch = {}
        try:
            yield
        finally:
            self._batch = None

    # Reading ---------------------------------------------------------------------

    def open(self, sealed: Sealed) -> str | None:
        """The text of ``sealed``, or None when its key no longer exists.

        The key is read at every open (a key destroyed, by any process, makes the text
        unreadable at once); only the cipher made of the last key's bytes is kept, and
        used again when the key read has the same id and the same bytes (a view opens
        each text of its case under one key), never an opened text."""
        key_id, _, box = sealed.box.partition(".")
        destructions = self._destructions
        batch = self._batch
        if batch is None:
            found = self._select("key_id", key_id)
        elif key_id in batch:
            found = batch[key_id]
        else:
            found = batch[key_id] = self._select("key_id", key_id)
        if found is None:
            self._opener = None  # its key is gone: so are its bytes, from here
            return None
        opener = self._opener
        if opener is None or opener[0] != key_id or opener[1] != found[1]:
            opener = (key_id, found[1], AESGCM(found[1]))
            with self._keeping:
                # As a sealing key: read before or while this desk destroys it, used for
                # this text (read before the key was gone), but not kept.
                if self._undisturbed(destructions):
                    self._opener = opener
        try:
            data = _unb64(box)
            text = opener[2].decrypt(data[:_NONCE], data[_NONCE:], key_id.encode())
            return text.decode("utf-8")
        except (InvalidTag, ValueError, binascii.Error):
            raise StoreUnavailable(
                f"a sealed text under key {key_id!r:.40} does not open with that key (the row "
                "was changed outside the desk); run `casehistory verify`"
            ) from None

    def belongs(self, key_id: str, customer_id: str) -> bool | None:
        """Whether key ``key_id`` is customer ``customer_id``'s (None: no such key, as
        after an erasure, so whose it was cannot be told). Raises
        :class:`KeysWithheld` for a login that may not read the keys."""
        if self._select("key_id", key_id) is None:
            return None
        if self._datastore is None:  # the in-process store keeps ids as they are
            theirs = self._memory().get(customer_id)
        else:
            theirs = self._select("customer_id", _stored_id(customer_id))
        return theirs is not None and theirs[0] == key_id

    # Writing ---------------------------------------------------------------------

    def current(self, customer_id: str) -> tuple[str, bytes]:
        """The customer's key ``(key_id, key)``, made on first use."""
        found = self._select("customer_id", _stored_id(customer_id))
        if found is not None:
            return found
        key_id, key = secrets.token_hex(8), AESGCM.generate_key(bit_length=256)
        if self._datastore is None:
            return self._memory().setdefault(customer_id, (key_id, key))
        try:
            with self._claiming() as (cursor, mark):
                cursor.execute(
                    f"INSERT INTO {self._table()} (key_id, customer_id, key) "
                    f"VALUES ({mark}, {mark}, {mark}) ON CONFLICT DO NOTHING",
                    (key_id, _stored_id(customer_id), key),
                )
        except _FAILURES as error:
            raise StoreUnavailable(f"cannot write the key store ({KEY_TABLE}): {error}") from None
        found = self._select("customer_id", _stored_id(customer_id))  # ours, or another's
        if found is None:
            raise StoreUnavailable(f"the key of customer {customer_id} was not recorded")
        return found

    def sealing(self, customer_id: str, key_id: str | None, seen: Any = None) -> tuple[str, AESGCM]:
        """The key a case's new texts are sealed under: the one that sealed its opening
        (``key_id``), else the customer's current key.

        Read from the store, unless this desk read it while the store stood as it
        stands now: ``seen`` is when the command's load saw the store (a desk's cache,
        ``CaseCache``: a connection and its ``PRAGMA data_version``, which changes
        whenever another connection, of any process, commits), and a key kept from a
        read under the same ``seen`` is used without reading it again. A key destroyed
        since by anyone else was destroyed by a commit, which changed ``seen``: so a
        kept key is never used past a destruction that committed before the load, and
        one this desk destroys is dropped at once (:meth:`destroy`), and a key read
        while this desk destroys it, by another thread, is not kept. Without ``seen``
        (a load without the cache), every command reads its key, and none is kept."""
        destructions = self._destructions
        if not _same_seen(self._seen, seen):
            # Keys kept under another sighting are no longer to be trusted: dropped, so
            # that a destroyed key's bytes do not stay in memory either.
            self._ciphers.clear()
            self._seen = seen
        if key_id is not None:
            kept = self._ciphers.get(key_id)
            if kept is not None and _same_seen(kept[1], seen):  # (another thread's)
                return key_id, kept[0]
            found = self._select("key_id", key_id)
        else:
            found = None
        if found is None:
            found = self.current(customer_id)
        cipher = AESGCM(found[1])
        if seen is not None:
            with self._keeping:
                if self._undisturbed(destructions):
                    if len(self._ciphers) >= 4096:  # customers, not texts: a bound for memory
                        self._ciphers.clear()
                    self._ciphers[found[0]] = (cipher, seen)
        return found[0], cipher

    def _undisturbed(self, destructions: int) -> bool:
        """Whether no destruction by this desk was running when ``destructions`` was read
        (before a key was) nor began since: a key read then may be kept. Asked holding
        ``_keeping``, the lock :meth:`_forget_kept` counts and drops under."""
        return self._destructions == destructions and not destructions % 2

    def _keep(self, sealer: CaseSealer, destructions: int) -> None:
        """Keep ``sealer`` as the last case's (:meth:`CaseSealer.of`), if undisturbed."""
        with self._keeping:
            if self._undisturbed(destructions):
                self._sealer = sealer

    def _forget_kept(self) -> None:
        with self._keeping:
            self._destructions += 1
            self._ciphers.clear()
            self._sealer = None
            self._opener = None

    def destroy(self, customer_id: str) -> bool:
        """Delete the customer's key (True if there was one), and on SQLite overwrite
        its bytes in the file and empty the WAL."""
        self._forget_kept()  # and nothing read from now on is kept, until it ends
        try:
            if self._batch is not None:
                self._batch.clear()
            return self._destroy(customer_id)
        finally:
            self._forget_kept()


class CaseSealer:
    """Seals the personal texts of one case under its key (read on the first text to
    seal: a command without one reads no key)."""

    __slots__ = ("_customer_id", "_key", "_key_id", "_keys", "_seen")

    def __init__(
        self, keys: KeyStore, customer_id: str, key_id: str | None = None, seen: Any = None
    ) -> None:
        self._keys = keys
        self._customer_id = customer_id
        self._key_id = key_id
        self._seen = seen
        self._key: tuple[str, AESGCM] | None = None

    @classmethod
    def of(cls, keys: KeyStore, customer: Any, seen: Any = None) -> CaseSealer:
        """The sealer of a case whose customer is ``customer`` (as its state holds it),
        loaded when the store was ``seen`` (:meth:`KeyStore.sealing`; None: not known)."""
        name = customer.name
        key_id = name.key_id if isinstance(name, Sealed) else None
        last = keys._sealer
        if (
            last is not None
            and last._key is not None
            and last._customer_id == customer.id
            and last._key_id == key_id
            and _same_seen(last._seen, seen)
        ):
            # The last case's sealer, of the same customer and key, its key read while
            # the store stood as it stands now (the rule of KeyStore.sealing: a kept key
            # is used only under the sighting it was read under; KeyStore.destroy drops
            # it): a command on a hot case reads no key, and makes no sealer.
            return last
        return cls(keys, customer.id, key_id, seen)

    def seal(self, text: str) -> Sealed:
        if self._key is None:
            keys = self._keys
            destructions = keys._destructions
            self._key = keys.sealing(self._customer_id, self._key_id, self._seen)
            if self._seen is not None:
                keys._keep(self, destructions)
        key_id, cipher = self._key
        nonce = os.urandom(_NONCE)
        box = nonce + cipher.encrypt(nonce, text.encode("utf-8"), key_id.encode())
        return Sealed(f"{key_id}.{_b64(box)}", self._keys.open)


def _same_seen(kept: Any, seen: Any) -> bool:
    """Whether two sightings of the store are one: the same connection, at the same
    ``data_version`` (None, not known, is never the same as anything)."""
    return kept is not None and seen is not None and kept[0] is seen[0] and kept[1] == seen[1]
