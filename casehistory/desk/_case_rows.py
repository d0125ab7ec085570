"""A case's stored rows as one answer reads them (:class:`_Rows`), and what a store
raises when it cannot be used (``STORE_FAILURES``).

Apart from :mod:`._queries`, which decides what an answer reads (the as-of machinery,
where a load starts): this is how the rows are read, by which SQL on which connection,
and what a failed read says. A command's load from the store reads through it too.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any, cast
from uuid import UUID

import attrs
from eventsourcing.persistence import PersistenceError, StoredEvent

from casehistory._sql import Reader
from casehistory.desk._as_of import Row
from casehistory.errors import StoreUnavailable

__all__ = ["STORE_FAILURES"]

STORE_FAILURES = (PersistenceError, sqlite3.Error)
"""What a store raises when it cannot be used (IntegrityError, a version clash, is one)."""


@attrs.frozen
class _Rows:
    """A case's stored rows, read for one answer.

    On SQLite and PostgreSQL, plain SQL on one connection (on SQLite in one read
    transaction, so every read of the answer sees the same store), selecting the
    three columns an answer uses: eventsourcing's ``select_events`` opens a
    transaction per call and makes a ``StoredEvent`` and a ``UUID`` for every row,
    which cost more than reading the row. Elsewhere (the in-process store, or tables
    not in one database) through the recorders, as before.
    """

    events_recorder: Any
    snapshots_recorder: Any
    reader: Reader | None = None
    snapshot_table: str = ""

    def snapshot(self, case_id: UUID, lte: int | None) -> StoredEvent | None:
        """The row of the case's last snapshot at or below ``lte`` (None: any)."""
        if self.snapshots_recorder is None:
            return None
        if self.reader is None:
            found = self._failing(
                case_id,
                lambda: self.snapshots_recorder.select_events(case_id, desc=True, limit=1, lte=lte),
            )
            return cast(StoredEvent, found[0]) if found else None
        query = (
            "SELECT originator_version, topic, state FROM "
            + self.snapshot_table
            + " WHERE originator_id = ?"
        )
        bound = () if lte is None else (lte,)
        if bound:
            query += " AND originator_version <= ?"
        rows = self._sql(case_id, query + " ORDER BY originator_version DESC LIMIT 1", *bound)
        if not rows:
            return None
        version, topic, state = rows[0]
        return StoredEvent(case_id, version, topic, bytes(state))

    def events(self, case_id: UUID, first: int, last: int | None) -> list[Row]:
        """The rows of versions ``first``..``last`` (None: the last there is), in order."""
        if last is not None and last < first:
            return []
        if self.reader is None:
            found = self._failing(
                case_id,
                lambda: self.events_recorder.select_events(
                    case_id, gt=first - 1 if first > 1 else None, lte=last
                ),
            )
            return [(row.originator_version, row.topic, row.state) for row in found]
        query = (
            "SELECT originator_version, topic, state FROM {table} "
            "WHERE originator_id = ? AND originator_version >= ?"
        )
        bound = () if last is None else (last,)
        if bound:
            query += " AND originator_version <= ?"
        return self._sql(case_id, query + " ORDER BY originator_version", first, *bound)

    def last(self, case_id: UUID) -> Row | None:
        """The row of the case's last version."""
        if self.reader is None:
            found = self._failing(
                case_id, lambda: self.events_recorder.select_events(case_id, desc=True, limit=1)
            )
            return (found[0].originator_version, found[0].topic, found[0].state) if found else None
        rows = self._sql(
            case_id,
            "SELECT originator_version, topic, state FROM {table} WHERE originator_id = ? "
            "ORDER BY originator_version DESC LIMIT 1",
        )
        return rows[0] if rows else None

    def _sql(self, case_id: UUID, query: str, *params: Any) -> list[Row]:
        assert self.reader is not None
        reader = self.reader
        rows = self._failing(case_id, lambda: reader.rows(query, reader.case_id(case_id), *params))
        return [(row[0], row[1], bytes(row[2])) for row in rows]

    @staticmethod
    def _failing(case_id: UUID, read: Any) -> Any:
        try:
            return read()
        except STORE_FAILURES as error:
            raise StoreUnavailable(f"cannot read case {case_id} from the store: {error}") from None


_SQL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _snapshot_table(events: Any, snapshots: Any) -> str | None:
    """How SQL on the events table's connection names the snapshots table ("" when
    there is none); None when it cannot (no SQL, or another database)."""
    datastore = getattr(events, "datastore", None)
    if getattr(events, "events_table_name", None) is None or datastore is None:
        return None
    if snapshots is None:
        return ""
    name = getattr(snapshots, "events_table_name", None)
    if getattr(snapshots, "datastore", None) is not datastore or not isinstance(name, str):
        return None
    if not _SQL_NAME.fullmatch(name):
        return None
    # PostgreSQL: in the store's schema, which the reader fills in.
    return f'"{name}"' if getattr(datastore, "schema", None) is None else '{schema}."' + name + '"'
