"""The command group, the shared ``--db`` option and error handling at the edge."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from rich.console import Console

from casehistory.desk import CaseDesk
from casehistory.errors import CaseHistoryError, StoreNotFound

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_DB = "casehistory.sqlite"


def console() -> Console:
    """Rich output on the current stdout; wide when piped, so tables never wrap at 80."""
    interactive = sys.stdout.isatty()
    return Console(highlight=False, soft_wrap=True, width=None if interactive else 200)


def db_option(func: F) -> F:
    """``--db``: where the desk keeps its events."""
    return click.option(
        "--db",
        envvar="CASEHISTORY_DB",
        default=DEFAULT_DB,
        show_default=True,
        metavar="PATH|URL",
        help="SQLite file path or postgresql:// URL (env: CASEHISTORY_DB).",
    )(func)


class Refused(click.ClickException):
    """A command refused or a store that could not be used: one line, exit code 1."""

    exit_code = 1

    def format_message(self) -> str:
        return self.message


class NoStore(Refused):
    """No store at the given location (a mistyped path): one line, exit code 2, like a
    usage error, since the command was pointed at nothing."""

    exit_code = 2


@contextmanager
def open_desk(db: str, *, writable: bool = False) -> Iterator[CaseDesk]:
    """A desk on ``db``; library errors become one-line messages with exit code 1.

    Read-only unless ``writable``: the auditor's commands read a store that exists and
    change nothing, so a mistyped path is an error (exit code 2) rather than a new,
    empty store, and another application's file is refused unchanged. Only a command
    that records (``stories``) opens for writing.
    """
    try:
        desk = CaseDesk.open(db, read_only=not writable)
    except StoreNotFound as error:
        raise NoStore(str(error)) from None
    except CaseHistoryError as error:
        raise Refused(str(error)) from None
    except Exception as error:  # a driver's connection error, a locked file, ...
        raise Refused(f"cannot open the store {db!r}: {error}") from None
    try:
        yield desk
    except CaseHistoryError as error:
        raise Refused(str(error)) from None
    finally:
        desk.close()


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Example: casehistory stories --db cases.sqlite",
)
@click.version_option(package_name="casehistory")
def main() -> None:
    """casehistory: the full, provable history of customer-service cases."""
