"""The catalog's tables, in SQLite's and PostgreSQL's dialects (docs/catalog.md is the
schema people may query with SQL; the two must say the same)."""

from __future__ import annotations

import operator

__all__ = [
    "CASE_COLUMNS",
    "CASE_VALUES",
    "LEDGER_ENTRY_COLUMNS",
    "LEDGER_VALUES",
    "MONEY_COLUMNS",
    "MONEY_VALUES",
    "SCHEMA_VERSION",
    "SEARCH_DELETE",
    "SEARCH_EMPTIED",
    "SEARCH_INSERT",
    "SEARCH_MERGE",
    "TABLES",
    "ddl",
    "insert",
]

TABLES = ("catalog_cases", "catalog_money", "catalog_ledger", "catalog_position")
"""The catalog's tables (and, on SQLite, the full-text table catalog_search)."""

SCHEMA_VERSION = 2
"""The layout of the catalog's tables (2 added the SLA columns). A catalog of another
layout is dropped and rebuilt by the next writer that opens it."""

_TIME = "time"
_MONEY = "money"
_ID = "id"

CASE_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    # (name, kind, nullable)
    ("case_id", _ID, False),
    ("version", "int", False),
    ("position", "int", False),
    ("customer_id", "text", False),
    ("customer_name", "text", False),
    ("subject", "text", False),
    ("channel", "text", False),
    ("product_sku", "text", True),
    ("status", "text", False),
    ("fault", "text", False),
    ("agent_id", "text", True),
    ("department", "text", False),
    ("opened_at", _TIME, False),
    ("opened_recorded_at", _TIME, False),
    ("first_response_at", _TIME, True),
    ("first_response_recorded_at", _TIME, True),
    ("resolved_at", _TIME, True),
    ("resolved_recorded_at", _TIME, True),
    ("closed_at", _TIME, True),
    ("closed_recorded_at", _TIME, True),
    ("status_since", _TIME, False),
    ("last_activity_at", _TIME, False),
    ("last_recorded_at", _TIME, False),
    ("open_holds", "int", False),
    ("pending_escalation", "text", True),
    ("rma_stage", "text", True),
    ("sla_policy", "text", True),
    ("sla_version", "int", True),
    ("first_response_due_at", _TIME, True),
    ("first_response_met_at", _TIME, True),
    ("first_response_paused", "bool", True),
    ("first_response_breached", "bool", True),
    ("resolution_due_at", _TIME, True),
    ("resolution_met_at", _TIME, True),
    ("resolution_paused", "bool", True),
    ("resolution_breached", "bool", True),
)

MONEY_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("case_id", _ID, False),
    ("currency", "text", False),
    ("paid", _MONEY, False),
    ("refunded", _MONEY, False),
    ("credited", _MONEY, False),
    ("goodwill", _MONEY, False),
    ("held", _MONEY, False),
    ("released", _MONEY, False),
    ("refundable", _MONEY, False),
    ("on_hold", _MONEY, False),
)

LEDGER_ENTRY_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("case_id", _ID, False),
    ("version", "int", False),
    ("column", "text", False),
    ("currency", "text", False),
    ("amount", _MONEY, False),
    ("occurred_at", _TIME, False),
    ("recorded_at", _TIME, False),
)

# SQLite keeps times as ISO 8601 text in UTC with microseconds (fixed width, so text
# order is time order) and amounts as decimal text (exact; SQLite has no decimal type).
_SQLITE_TYPES = {
    _ID: "TEXT",
    "int": "INTEGER",
    "bool": "INTEGER",
    "text": "TEXT",
    _TIME: "TEXT",
    _MONEY: "TEXT",
}
_POSTGRES_TYPES = {
    _ID: "uuid",
    "int": "bigint",
    "bool": "boolean",
    "text": "text",
    _TIME: "timestamptz",
    _MONEY: "numeric",
}

_INDEXES = (
    ("catalog_cases_status", "catalog_cases", "status, opened_at, case_id"),
    ("catalog_cases_opened", "catalog_cases", "opened_at, case_id"),
    ("catalog_cases_customer", "catalog_cases", "customer_id, opened_at"),
    ("catalog_cases_agent", "catalog_cases", "agent_id, status"),
    ("catalog_cases_fault", "catalog_cases", "fault, status"),
    ("catalog_cases_channel", "catalog_cases", "channel, status"),
    ("catalog_cases_department", "catalog_cases", "department, status"),
    ("catalog_cases_activity", "catalog_cases", "last_activity_at"),
    ("catalog_cases_closed", "catalog_cases", "closed_at"),
    ("catalog_cases_escalation", "catalog_cases", "pending_escalation, status"),
    ("catalog_cases_position", "catalog_cases", "position"),
    ("catalog_cases_first_response_due", "catalog_cases", "first_response_due_at"),
    ("catalog_cases_resolution_due", "catalog_cases", "resolution_due_at"),
    ("catalog_ledger_month", "catalog_ledger", '"column", occurred_at'),
)


def _columns(columns: tuple[tuple[str, str, bool], ...], types: dict[str, str]) -> str:
    return ", ".join(
        f'"{name}" {types[kind]}{"" if nullable else " NOT NULL"}'
        for name, kind, nullable in columns
    )


def ddl(sqlite: bool, schema: str | None = None) -> list[str]:
    """The statements that create the catalog's tables where they do not exist."""
    types = _SQLITE_TYPES if sqlite else _POSTGRES_TYPES
    prefix = "" if schema is None else f'"{schema}".'
    statements = [
        f"CREATE TABLE IF NOT EXISTS {prefix}catalog_position ("
        "name TEXT PRIMARY KEY, position BIGINT NOT NULL, schema_version INTEGER NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {prefix}catalog_cases ("
        f"{_columns(CASE_COLUMNS, types)}, PRIMARY KEY (case_id))",
        f"CREATE TABLE IF NOT EXISTS {prefix}catalog_money ("
        f"{_columns(MONEY_COLUMNS, types)}, PRIMARY KEY (case_id, currency))",
        f"CREATE TABLE IF NOT EXISTS {prefix}catalog_ledger ("
        f'{_columns(LEDGER_ENTRY_COLUMNS, types)}, PRIMARY KEY (case_id, version, "column", '
        "currency))",
    ]
    statements.extend(index_ddl(sqlite, schema, search=False))
    if sqlite:
        # The database's own full-text search: FTS5, one row per case.
        statements.append(
            "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_search USING "
            "fts5(case_id UNINDEXED, subject, customer_name, tokenize='unicode61')"
        )
    else:
        statements.append(
            f"ALTER TABLE {prefix}catalog_cases ADD COLUMN IF NOT EXISTS search tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', subject || ' ' || customer_name)) STORED"
        )
        statements.extend(index_ddl(sqlite, schema, search=True))
    return statements


def index_ddl(sqlite: bool, schema: str | None = None, *, search: bool | None = None) -> list[str]:
    """The statements that create the catalog's secondary indexes where they do not
    exist: those for the queries (``search=False``), PostgreSQL's text search index
    (``search=True``), or all (None; the text search index only on PostgreSQL)."""
    prefix = "" if schema is None else f'"{schema}".'
    statements: list[str] = []
    if search is not True:
        for name, table, columns in _INDEXES:
            statements.append(f"CREATE INDEX IF NOT EXISTS {name} ON {prefix}{table} ({columns})")
    if search is not False and not sqlite:
        statements.append(
            f"CREATE INDEX IF NOT EXISTS {SEARCH_INDEX} ON {prefix}catalog_cases USING gin (search)"
        )
    return statements


def index_names(sqlite: bool) -> list[str]:
    """The names of the catalog's secondary indexes (see :func:`index_ddl`)."""
    return [name for name, _, _ in _INDEXES] + ([] if sqlite else [SEARCH_INDEX])


SEARCH_INDEX = "catalog_cases_search"


def insert(table: str, columns: tuple[tuple[str, str, bool], ...]) -> str:
    """The statement that inserts a row of ``columns`` into ``table`` (``{p}`` for the
    schema's prefix, ``?`` for the values)."""
    names = ", ".join(f'"{name}"' for name, _, _ in columns)
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {{p}}{table} ({names}) VALUES ({marks})"


SEARCH_INSERT = "INSERT INTO catalog_search (case_id, subject, customer_name) VALUES (?, ?, ?)"
"""A case's words, on SQLite (FTS5; PostgreSQL indexes a column of catalog_cases)."""

SEARCH_DELETE = "DELETE FROM catalog_search WHERE case_id = ?"
"""A case's words taken out of the search (a scan: case_id is not indexed in FTS5)."""

SEARCH_MERGE = "INSERT INTO catalog_search (catalog_search) VALUES ('optimize')"
"""FTS5 merges its index into one segment: a deleted row's words, which a delete only
marks as deleted in a newer segment (the words themselves, in the index's pages),
leave the index (SQLite before 3.42 has no 'secure-delete' option for FTS5)."""

SEARCH_EMPTIED = "INSERT INTO catalog_search (catalog_search) VALUES ('rebuild')"
"""FTS5 builds its index again from its (just emptied) rows: after every row was
deleted, no page of the index keeps a word, not even as a deletion mark."""


# A row's values in its columns' order, straight from the attributes (attrs.astuple
# copies and recurses).
CASE_VALUES = operator.attrgetter(*(name for name, _, _ in CASE_COLUMNS))
MONEY_VALUES = operator.attrgetter(*(name for name, _, _ in MONEY_COLUMNS))
LEDGER_VALUES = operator.attrgetter(*(name for name, _, _ in LEDGER_ENTRY_COLUMNS))
