"""Store locations as given to ``CaseDesk.open``: checked, parsed, and told without secrets.

A location is ``":memory:"``, a SQLite file path (``str`` or ``os.PathLike``) or a
``postgresql://`` URL. Anything else (``None``, a number, bytes, a NUL byte, a URL
that does not parse) is :class:`InvalidInput`, and no message, ``repr`` or setting
shown to anyone holds the URL's password: every echo of a URL goes through
:func:`redact`, which is written to hide too much rather than too little on a URL
that does not parse.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from casehistory.errors import InvalidInput

__all__ = [
    "MEMORY",
    "POSTGRES_SCHEMES",
    "TIMEOUTS",
    "describe_store",
    "location_text",
    "postgres_env",
    "redact",
    "scrub",
    "secrets_of",
]

MEMORY = ":memory:"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
HIDDEN = "***"

TIMEOUTS = {
    "connect_timeout": ("POSTGRES_CONNECT_TIMEOUT", 5),
    "statement_timeout": ("POSTGRES_STATEMENT_TIMEOUT", 30),
    "lock_timeout": ("POSTGRES_LOCK_TIMEOUT", 5),
    "idle_in_transaction_session_timeout": ("POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT", 5),
}
"""The URL's timeout parameters: the eventsourcing setting each fills, and its default in
whole seconds (docs/operations.md, timeouts). ``POSTGRES_STATEMENT_TIMEOUT`` is read by
:mod:`casehistory._postgres`; eventsourcing reads the others."""

_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>.*)@", re.DOTALL)
_SECRET_PARAMETER = re.compile(r"(?i)([?&;](?:password|passfile|sslpassword)=)[^&;#]*")


MAX_LOCATION = 4096
"""The longest location, in characters: PATH_MAX on Linux, and more than any URL needs."""


def location_text(location: object) -> str:
    """The text of a location, refusing what cannot be one (:class:`InvalidInput`)."""
    if isinstance(location, Path | os.PathLike) and not isinstance(location, bytes):
        text = os.fspath(location)
    elif isinstance(location, str):
        text = location
    else:
        raise InvalidInput(
            f"store location must be a str or a path, got {type(location).__name__}; give "
            "':memory:', a SQLite file path or a postgresql:// URL"
        )
    if not isinstance(text, str):  # a PathLike of bytes
        raise InvalidInput("store location must be a str or a path, got a path of bytes")
    if len(text) > MAX_LOCATION:
        raise InvalidInput(
            f"store location is {len(text):,} characters long (rule: a location holds at "
            f"most {MAX_LOCATION:,}, the longest path a file system takes); check it"
        )
    if "\x00" in text:
        raise InvalidInput(
            f"store location {redact(text)!r:.300} contains a NUL byte, which no file path "
            "or URL may hold"
        )
    if not text.strip():
        raise InvalidInput(
            "store location is empty; give ':memory:', a file path or a postgresql:// URL"
        )
    return text


def redact(text: str) -> str:
    """``text`` with the password of a URL (and any ``password=`` parameter) hidden.

    Everything between ``scheme://`` and the *last* ``@`` is taken as the login, so
    that a password holding ``@``, ``/``, ``?`` or ``#`` is hidden whole even when
    the URL does not parse; only the user name before the first ``:`` is kept.

    >>> redact("postgresql://app:s3cret@db:5432/cases?schema=desk1")
    'postgresql://app:***@db:5432/cases?schema=desk1'
    >>> redact("postgresql://app:p@ss/w?rd@db/cases")
    'postgresql://app:***@db/cases'
    """
    match = _USERINFO.match(text)
    if match is not None:
        user, colon, _ = match["userinfo"].partition(":")
        login = f"{user}:{HIDDEN}" if colon else user
        text = f"{match['scheme']}{login}@{text[match.end() :]}"
    return _SECRET_PARAMETER.sub(rf"\g<1>{HIDDEN}", text)


def secrets_of(text: str) -> tuple[str, ...]:
    """The password of a URL location as written and as decoded (empty for a path):
    what must be scrubbed from any text that may echo it."""
    match = _USERINFO.match(text)
    found: list[str] = []
    if match is not None:
        _, colon, password = match["userinfo"].partition(":")
        if colon and password:
            found += [password, unquote(password)]
    for parameter in _SECRET_PARAMETER.finditer(text):
        value = text[parameter.end(1) : parameter.end()]
        if value:
            found += [value, unquote(value)]
    return tuple(sorted({secret for secret in found if secret}, key=len, reverse=True))


def scrub(text: str, location: str) -> str:
    """``text`` with every secret of ``location`` (:func:`secrets_of`) hidden: for
    messages that quote what a library said about a URL."""
    for secret in secrets_of(location):
        text = text.replace(secret, HIDDEN)
    return text


def _malformed(url: str, why: str) -> InvalidInput:
    return InvalidInput(
        f"PostgreSQL URL {redact(url)!r} is malformed: {why} "
        "(postgresql://USER:PASSWORD@HOST:PORT/DATABASE?schema=SCHEMA)"
    )


def _bracketed(host: str) -> bool:
    """Whether a host and port are a name, or an IPv6 address in one pair of brackets
    then at most a port. (urlsplit checks the brackets of the whole netloc: a ']' in
    the password passed for the one an IPv6 host lacked.)"""
    if "[" not in host and "]" not in host:
        return True
    before, _, rest = host.partition("[")
    inside, closed, after = rest.partition("]")
    return (
        not before
        and bool(closed)
        and "[" not in inside + after
        and "]" not in after
        and (not after or after.startswith(":"))
    )


def postgres_env(url: str) -> dict[str, str]:
    """The eventsourcing settings of a ``postgresql://`` URL (:class:`InvalidInput` for
    one that does not parse or holds a bad value; no message holds its password)."""
    try:
        parts = urlsplit(url)
        port = parts.port
        hostname = parts.hostname
    except ValueError as error:
        # Raised below, outside this block: the parser's message, which may quote a
        # part of the password, must not ride along as the error's __context__.
        why = "port" if "port" in str(error).lower() else "host"
    else:
        why = ""
    if not why and not _bracketed(parts.netloc.rpartition("@")[2]):
        why = "host"
    if why == "host":
        raise _malformed(url, "the host cannot be read (write an IPv6 host as [::1])")
    if why or port == 0:
        raise _malformed(url, "the port must be a whole number from 1 to 65535")
    match = _USERINFO.match(url)
    if (match["userinfo"] if match else "") != parts.netloc.rpartition("@")[0]:
        # What a reader takes for the login is not what the parser took: a password
        # holding '@', '/', '?' or '#' unencoded.
        raise _malformed(
            url, "percent-encode '@', '/', '?', '#' and ':' in the user name and password"
        )
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        raise InvalidInput(
            f"PostgreSQL URL {redact(url)!r} names no database (postgresql://host/DBNAME)"
        )
    env = {
        "PERSISTENCE_MODULE": "casehistory._postgres:Factory",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": hostname or "127.0.0.1",
        "POSTGRES_PORT": str(port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        # One connection kept open per desk (eventsourcing keeps 5), more while busy:
        # a hundred desks stay within the server's default max_connections.
        "POSTGRES_POOL_SIZE": "1",
    }
    query = parse_qs(parts.query, keep_blank_values=True)
    if "schema" in query:
        env["POSTGRES_SCHEMA"] = query["schema"][0]
    for name, (key, default) in TIMEOUTS.items():
        value = query.get(name, [str(default)])[0]
        if not (value.isascii() and value.isdigit()) or int(value) < 1:
            raise InvalidInput(f"{name} must be a whole number of seconds >= 1, got {value!r}")
        env[key] = str(int(value))
    for key, value in env.items():
        if "\x00" in value:
            part = "password" if key == "POSTGRES_PASSWORD" else key.lower().replace("_", " ")
            raise _malformed(url, f"its {part} holds a NUL byte")
    return env


def describe_store(location: str | os.PathLike[str]) -> str:
    """A one-line description of a store location, without its password.

    >>> describe_store("postgresql://app:s3cret@db.internal:6432/cases?schema=desk1")
    'PostgreSQL db.internal:6432/cases'
    """
    text = os.fspath(location) if isinstance(location, os.PathLike) else str(location)
    if text.startswith(POSTGRES_SCHEMES):
        # Only what follows the last '@' is read: never a part of the login, however
        # the password was written.
        match = _USERINFO.match(text)
        rest = text[match.end() :] if match else text.partition("://")[2]
        try:
            parts = urlsplit(f"postgresql://{rest}")
            where = f"{parts.hostname or '127.0.0.1'}:{parts.port or 5432}"
        except ValueError:
            return f"PostgreSQL {redact(text)}"
        return f"PostgreSQL {where}/{parts.path.lstrip('/')}"
    if text == MEMORY:
        return "in-memory store"
    return f"SQLite {redact(text)}"
