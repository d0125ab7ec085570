"""No password of a store URL in any message, repr, traceback or log line: Hypothesis
draws URLs with a password (odd characters, %-escapes, malformed hosts, ports, paths and
queries) and opens them; every bad URL is InvalidInput, never a raw ValueError."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casehistory import CaseDesk, CaseHistoryError, InvalidInput, StoreUnavailable
from casehistory.store import describe_store, redact, store_env

MARK = "S3cr"
"""Every drawn password holds it; nothing else drawn can (no capitals elsewhere)."""

_ODD = "%@/:?#&=[] !'\"\\\t;$+,~é\u2028"


@st.composite
def passwords(draw: st.DrawFn) -> str:
    middle = draw(st.text(alphabet=_ODD + "abcxyz019", max_size=10))
    if draw(st.booleans()):
        middle = quote(middle, safe="")
    escape = draw(st.sampled_from(["", "%25", "%40", "%2F", "%3A", "%zz", "%", "%41%42"]))
    return f"{MARK}{middle}{escape}t"


MALFORMED_PORTS = [":abc", ":99999", ":0", ":-1", ":65536", ":5432x", ": 1"]
HOSTS = ["127.0.0.1", "localhost", "[::1]", "[::1", "::1]", "", "[v1.x]"]
PATHS = ["/nodb", "/", "", "/no%00db", "/nodb/extra", "/%"]
QUERIES = [
    "",
    "?schema=s",
    "?connect_timeout=x",
    "?statement_timeout=0",
    "?lock_timeout=abc&schema=s",
    "?idle_in_transaction_session_timeout=-1",
    f"?password={MARK}Q",
    "?schema=%00",
]
BAD_QUERIES = [
    query for query in QUERIES if query and "=s" not in query and "password" not in query
] + [f"?password={MARK}Q&connect_timeout=x"]
SCHEMES = ["postgresql://", "postgres://", "mysql://", "POSTGRESQL://", "sqlite://"]


@st.composite
def malformed_urls(draw: st.DrawFn) -> tuple[str, str]:
    """A URL with a password that fails before any connection is tried."""
    password = draw(passwords())
    user = draw(st.text(alphabet="abcdefgh0123", min_size=0, max_size=6))
    scheme = draw(st.sampled_from(SCHEMES))
    host = draw(st.sampled_from(HOSTS))
    port = draw(st.sampled_from([*MALFORMED_PORTS, "", ":1"]))
    path = draw(st.sampled_from(PATHS))
    # A well-formed port comes with a query that is refused: no connection is tried.
    query = draw(st.sampled_from(QUERIES if port in MALFORMED_PORTS else BAD_QUERIES))
    return f"{scheme}{user}:{password}@{host}{port}{path}{query}", password


def _texts(error: BaseException) -> Iterator[str]:
    yield "".join(traceback.format_exception(error))
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield repr(current.args)
        current = current.__cause__ or current.__context__


@contextmanager
def _logged() -> Iterator[list[str]]:
    """Every log record (psycopg's included) made in the block, formatted."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Keep(level=logging.DEBUG)
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", "psycopg", "psycopg.pool")}
    root.addHandler(handler)
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _assert_hidden(password: str, texts: list[str]) -> None:
    secrets = {password, unquote(password), MARK}
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"{secret!r} shown in {text!r}"


def _open_and_collect(url: str) -> tuple[BaseException, list[str]]:
    with _logged() as lines:
        try:
            CaseDesk.open(url).close()
        except Exception as error:  # what escapes is checked below
            caught: BaseException = error
        else:
            raise AssertionError(f"{redact(url)} was opened")
    return caught, [*_texts(caught), *lines]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(malformed_urls())
def test_a_malformed_url_is_invalid_input_without_its_password(drawn: tuple[str, str]) -> None:
    url, password = drawn

    error, texts = _open_and_collect(url)

    assert isinstance(error, InvalidInput), repr(error)
    _assert_hidden(password, texts)
    _assert_hidden(password, [describe_store(url), redact(url)])


@settings(max_examples=4, deadline=None)
@given(
    passwords(),
    st.sampled_from(["127.0.0.1:1", "localhost:1", "[::1]:1"]),
    st.sampled_from(["", "&schema=s", "&statement_timeout=3"]),
)
def test_an_unreachable_server_is_store_unavailable_without_the_password(
    password: str, where: str, query: str
) -> None:
    url = f"postgresql://u:{quote(password, safe='')}@{where}/nodb?connect_timeout=1{query}"

    error, texts = _open_and_collect(url)

    assert isinstance(error, StoreUnavailable), repr(error)
    _assert_hidden(password, texts)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:s3cr3tpw@127.0.0.1:abc/db",
        "postgresql://u:s3cr3tpw@127.0.0.1:99999/db",
        "postgresql://u:s3cr3tpw@[::1/db",
        "postgresql://u:s3cr]3tpw@[::1:abc/db",  # the password's ']' closed no host's '['
        "postgresql://u:s3cr3tpw@[::1]x]/db",
        "mysql://u:s3cr3tpw@h/db",
        "postgresql://u:s3cr3tpw@127.0.0.1/",
        "postgresql://u:s3/cr3tpw@127.0.0.1/db",
        "postgresql://u:s3cr3tpw@127.0.0.1/db?connect_timeout=x",
    ],
)
def test_the_reported_urls_are_invalid_input_without_the_password(url: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        CaseDesk.open(url)

    assert isinstance(raised.value, CaseHistoryError)
    assert all("s3cr3tpw" not in text and "cr3tpw" not in text for text in _texts(raised.value))


@pytest.mark.postgres
def test_the_settings_a_desk_shows_hide_its_password(postgres_url: str) -> None:
    # The test server trusts local logins, so any password opens the store.
    url = postgres_url.replace("postgresql://postgres@", f"postgresql://postgres:{MARK}et@")
    assert store_env(url)["POSTGRES_PASSWORD"] == f"{MARK}et"

    with CaseDesk.open(url) as desk:
        shown = [repr(desk.env), *desk.env.values(), repr(dict(desk.env)), repr(desk)]

        assert desk.env["POSTGRES_PASSWORD"] == "***"
        assert all(MARK not in text for text in shown)
        with pytest.raises(TypeError):
            desk.env["POSTGRES_PASSWORD"] = "x"  # type: ignore[index]
