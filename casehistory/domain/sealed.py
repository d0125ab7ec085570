"""Personal text as a case records it: sealed under its customer's key.

A personal field (:data:`~casehistory.domain.declarations.PERSONAL`) is recorded as a
:class:`Sealed` value: the ciphertext of the text under a key of the case's customer,
never the text. The hash chain, the state commitments, the snapshots and the stored
rows all hold the ciphertext only (its plain form is ``{"sealed": box}``), so that
destroying the key forgets the text and leaves every digest and checkpoint as it was.

The domain never encrypts or decrypts: a desk injects a :class:`Sealer` (as it injects
a clock) that seals a command's personal text as the event is recorded, and gives each
sealed value it reads an opener that answers the text while the key exists. Without
one (an offline reader, a bundle) a sealed value shows as :data:`SEALED`.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

__all__ = [
    "KeysWithheld",
    "ERASED",
    "SEALED",
    "Sealed",
    "Sealer",
    "Text",
    "is_personal_text",
    "shown",
    "shown_text",
]

ERASED = "[erased]"
"""What a view shows for a personal text whose customer was forgotten."""

SEALED = "[sealed]"
"""What a reader without the key store (an offline bundle) shows for a personal text."""

Opener = Callable[["Sealed"], "str | None"]
"""Answers a sealed value's text, or None when its key no longer exists; raises
:class:`KeysWithheld` when the reader may not read keys."""


class KeysWithheld(Exception):
    """The reader may not read the key store (an auditor's login without the grant):
    a sealed text shows as :data:`SEALED`, neither its text nor erased."""


class Sealed:
    """A personal text under a customer's key: ``box`` is ``<key id>.<base64url of
    nonce, ciphertext and tag>``, and it alone is recorded, hashed and compared.

    ``text`` asks the opener the reader gave (a desk's key store): the text, or None
    once the key was destroyed; ``str()`` is what a view shows (:func:`shown`: the
    text, :data:`ERASED` or :data:`SEALED`); ``repr()`` never holds the text."""

    __slots__ = ("_opener", "box")

    def __init__(self, box: str, opener: Opener | None = None) -> None:
        self.box = box
        self._opener = opener

    @property
    def key_id(self) -> str:
        """The id of the key that sealed it (the customer's key, in the key store)."""
        return self.box.partition(".")[0]

    @property
    def opened(self) -> bool:
        """Whether a key store was given to read it (False: an offline reader)."""
        return self._opener is not None

    @property
    def text(self) -> str | None:
        """The text, None when it cannot be read (its key destroyed, no key store, or
        a reader that may not read keys)."""
        opener = self._opener
        if opener is None:
            return None
        try:
            return opener(self)
        except KeysWithheld:
            return None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other.box == self.box

    def __hash__(self) -> int:
        return hash(("Sealed", self.box))

    def __str__(self) -> str:
        # What a view shows (f-strings of trail lines): the text, or what stands for it.
        return shown(self) or ""

    def __repr__(self) -> str:
        # Never the text: a repr ends up in logs and tracebacks.
        return f"Sealed({self.box[:24]}...)"

    def __reduce__(self) -> tuple[type[Sealed], tuple[str]]:
        return (Sealed, (self.box,))  # a copy keeps the box, not the key store


Text = str | Sealed
"""A free text as an event holds it: sealed, or plain where it was recorded before
sealing existed (0.3.x and earlier)."""


class Sealer(Protocol):
    """Seals the personal texts of one case (a desk's, for the case's customer)."""

    def seal(self, text: str) -> Sealed:
        """The sealed form of ``text``, under the customer's current key."""
        ...


def shown(value: Text | None) -> str | None:
    """What a view shows for a recorded text: the text, :data:`ERASED` once its key was
    destroyed, :data:`SEALED` for a reader without keys."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, Sealed):
        opener = value._opener
        if opener is None:
            return SEALED
        try:
            text = opener(value)
        except KeysWithheld:
            return SEALED
        return ERASED if text is None else text
    return str(value)


def shown_text(value: Text) -> str:
    """:func:`shown` of a text that is always there (a subject, a reason)."""
    return shown(value) or ""


def is_personal_text(value: object) -> bool:
    """Whether ``value`` holds personal text (sealed or plain, not empty)."""
    if isinstance(value, Sealed):
        return True
    return isinstance(value, str) and bool(value)
