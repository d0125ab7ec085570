"""The command group, the shared ``--db`` option and error handling at the edge.

Every failure a verb meets leaves as one line on standard error and a documented exit
code (docs/cli.md: 1 refused or failed, 2 a usage error), never a traceback: a library
error is said in its own words, a store or driver error names the store (without its
password), and anything else is caught at the edge of the group (:class:`_Edge`) as the
last line of defence. Every message is cleaned (:func:`casehistory.cli._output.clean`)
and has the password of ``--db`` scrubbed, since it may quote a file, a stored row or a
driver's words about the URL.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import unquote

import click
from eventsourcing.domain import EventSourcingError

from casehistory._locations import secrets_of
from casehistory.cli._output import clean
from casehistory.desk import CaseDesk
from casehistory.errors import CaseHistoryError, StoreNotFound
from casehistory.store import describe_store

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_DB = "casehistory.sqlite"

_SECRETS = "casehistory.cli.secrets"
"""The key in ``click.Context.meta`` (shared by the group's and the verb's contexts) of
the passwords that no message may show."""

# The login of a URL runs from "scheme://" to the last "@" before the path (so a
# password holding an unencoded "@" is taken whole); the password follows its first ":".
_LOGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://(?P<login>[^/?#\s]*)@")
_HIDDEN = "***"


def _secrets(*texts: str) -> list[str]:
    """The passwords of every URL in ``texts``, as written and decoded, longest first."""
    found: set[str] = set()
    for text in texts:
        found |= set(secrets_of(text))  # the location's own, ?password= included
        for match in _LOGIN.finditer(text):  # and any URL inside the text
            _, colon, password = match["login"].partition(":")
            if colon:
                found |= {password, unquote(password)}
    return sorted(found - {""}, key=len, reverse=True)


def scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` cleaned, with every secret hidden: what any message may show."""
    for secret in secrets:
        text = text.replace(secret, _HIDDEN)
    return clean(text)


def where(db: str) -> str:
    """The store ``db`` for a message: never its password, even when it does not parse."""
    try:
        described = describe_store(db)
    except Exception:
        described = f"at {db}"
    return scrub(described, _secrets(db))


def _remember(ctx: click.Context, _: click.Parameter, db: str) -> str:
    ctx.meta.setdefault(_SECRETS, []).extend(_secrets(db))  # db may come from elsewhere
    return db


def db_option(func: F) -> F:
    """``--db``: where the desk keeps its events."""
    return click.option(
        "--db",
        envvar="CASEHISTORY_DB",
        default=DEFAULT_DB,
        show_default=True,
        metavar="PATH|URL",
        callback=_remember,
        help="SQLite file path or postgresql:// URL (env: CASEHISTORY_DB).",
    )(func)


class Refused(click.ClickException):
    """A command refused or a store that could not be used: one line, exit code 1."""

    exit_code = 1

    def format_message(self) -> str:
        return clean(self.message)


class NoStore(Refused):
    """No store at the given location (a mistyped path): one line, exit code 2, like a
    usage error, since the command was pointed at nothing."""

    exit_code = 2


_STORE_ERRORS = (EventSourcingError, sqlite3.Error, OSError)
"""What a store or its driver raises for a damaged, foreign or unreachable store
(eventsourcing wraps psycopg's errors; sqlite3's escape some of its reads)."""


@contextmanager
def open_desk(db: str, *, writable: bool = False) -> Iterator[CaseDesk]:
    """A desk on ``db``; library errors become one-line messages with exit code 1.

    Read-only unless ``writable``: the auditor's commands read a store that exists and
    change nothing, so a mistyped path is an error (exit code 2) rather than a new,
    empty store, and another application's file is refused unchanged. Only a command
    that records (``stories``) opens for writing.
    """
    secrets = _secrets(db)
    try:
        desk = CaseDesk.open(db, read_only=not writable)
    except StoreNotFound as error:
        raise NoStore(scrub(str(error), secrets)) from None
    except CaseHistoryError as error:
        raise Refused(scrub(str(error), secrets)) from None
    except Exception as error:
        raise Refused(f"cannot open the store {where(db)}: {scrub(str(error), secrets)}") from None
    try:
        yield desk
    except CaseHistoryError as error:
        raise Refused(scrub(str(error), secrets)) from None
    except _STORE_ERRORS as error:
        if isinstance(error, OSError) and error.errno == errno.EPIPE:
            raise  # the reader went away (`| head`): click exits quietly
        said = scrub(f"{type(error).__name__}: {error}", secrets)
        raise Refused(f"cannot read the store {where(db)}: {said}") from None
    finally:
        desk.close()


class _Edge(click.Group):
    """The group, with the last line of defence: whatever a verb lets escape is one
    line (exit code 1), and every message is cleaned and has no password."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        # Any argument may be a URL (a misplaced --db value, --db=URL): click's usage
        # errors quote arguments, so every password given is scrubbed from every message.
        secrets = _secrets(*args, os.environ.get("CASEHISTORY_DB", ""))
        try:
            ctx = super().make_context(info_name, args, parent, **extra)
        except click.ClickException as error:
            # Rewritten in place, so the error keeps its kind, hint and exit code (click
            # types the attribute Final, but only sets it in __init__).
            error.message = scrub(error.message, secrets)  # type: ignore[misc]
            raise
        ctx.meta.setdefault(_SECRETS, []).extend(secrets)
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort):
            raise
        except click.ClickException as error:
            error.message = scrub(error.message, ctx.meta.get(_SECRETS, []))  # type: ignore[misc]
            raise
        except OSError as error:
            if error.errno == errno.EPIPE:
                raise  # the reader went away (`| head`): click exits quietly
            raise _unexpected(error, ctx) from None
        except Exception as error:
            raise _unexpected(error, ctx) from None


def _unexpected(error: Exception, ctx: click.Context) -> Refused:
    said = scrub(f"{type(error).__name__}: {error}", ctx.meta.get(_SECRETS, []))
    return Refused(
        f"unexpected {said} (a damaged store, or a bug in casehistory: run `casehistory "
        "verify`, and report it if the store passes)"
    )


@click.group(
    cls=_Edge,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Example: casehistory stories --db cases.sqlite",
)
@click.version_option(package_name="casehistory")
def main() -> None:
    """casehistory: the full, provable history of customer-service cases."""
