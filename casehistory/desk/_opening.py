"""How a desk is made and opened on a store, and closed, and what it holds while open:
the store, clock, policies, key store, aggregate cache and snapshot log, its settings,
its catalog, and the rows the auditor's toolkit reads.

Apart from ``_base.py``, which holds what every command runs (load, act, save): this
is the desk around it, its work done when the desk is opened and closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Self

import attrs
from eventsourcing.utils import EnvType

from casehistory._locations import HIDDEN, scrub
from casehistory.clock import Clock, SystemClock
from casehistory.desk._application import _Store
from casehistory.desk._case_rows import STORE_FAILURES
from casehistory.desk._idempotent import index_command_ids
from casehistory.desk._keys import KeyStore
from casehistory.desk._loading import CaseCache, cache_env, require_cache_size
from casehistory.desk._policy_table import claim_policies
from casehistory.desk._queries import Queries
from casehistory.desk._snapshots import SnapshotLog
from casehistory.domain.case import Case
from casehistory.domain.policies import Policies
from casehistory.errors import CaseHistoryError, InvalidInput, StoreUnavailable
from casehistory.store import (
    READ_ONLY,
    describe_store,
    prepare_read_only,
    store_env,
)

if TYPE_CHECKING:
    from casehistory.catalog import Catalog

__all__ = ["SNAPSHOT_INTERVAL", "DeskOpening"]

SNAPSHOT_INTERVAL = 50
"""Snapshot every 50 events of a case.

Most cases hold 10-40 events and never pay for a snapshot; a long-lived case is
loaded from its last snapshot plus at most 49 events, so command latency stays
flat however long a case grows (see docs/design.md and benchmarks/)."""


class DeskOpening(Queries):
    """A desk on its store, from :meth:`open` to :meth:`close`."""

    snapshotting_intervals: ClassVar[dict[Any, int]] = {Case: SNAPSHOT_INTERVAL}
    """How often a case is snapshotted (``{Case: N}``; ``{}``: never). The event at each
    snapshot's version commits to the state after it, which is what lets a snapshot be
    checked before it is used (:mod:`casehistory.desk._snapshots`)."""

    def __init__(
        self,
        env: EnvType | None = None,
        *,
        clock: Clock | None = None,
        policies: Policies | None = None,
        cache: int = 0,
    ) -> None:
        if clock is not None and not callable(getattr(clock, "now", None)):
            raise InvalidInput(f"clock must have a now() method, got {clock!r}")
        if policies is not None and not isinstance(policies, Policies):
            raise InvalidInput(f"policies must be a Policies, got {policies!r}")
        self.clock: Clock = clock or SystemClock()
        self.policies: Policies = policies or Policies()
        interval = type(self).snapshotting_intervals.get(Case)
        if interval is not None and (
            isinstance(interval, bool) or not isinstance(interval, int) or interval < 2
        ):
            raise InvalidInput(
                f"snapshotting_intervals[Case] must be a whole number >= 2, got {interval!r}"
            )
        self._snapshot_every: int | None = interval
        if interval is None:  # a desk that never snapshots reads no snapshots either
            env = {**(env or {}), "IS_SNAPSHOTTING_ENABLED": "n"}
        env = {**(env or {}), **cache_env(require_cache_size(cache))}
        self._store = _Store(env)
        self._keys = KeyStore(self._store.recorder, writable=not self._store.env.get(READ_ONLY))
        # What this desk reads of a sealed text opens with its store's keys.
        transcoder: Any = self._store.mapper.transcoder
        transcoder.names["sealed"].opener = self._keys.open
        found = self._store.repository.cache
        self._cache = None if found is None else CaseCache(found, interval)
        self.snapshot_log = SnapshotLog()
        self.last_position: int | None = None
        """The log position (notification id) of the last event this desk recorded:
        what ``desk.catalog.wait()`` waits for (read your writes)."""
        self._retries = 0
        try:
            index_command_ids(self._store)
            if not self._store.env.get(READ_ONLY):  # a read-only desk: once prepared (open)
                self._bind_policies()
        except BaseException:
            self._store.close()
            raise

    def _bind_policies(self) -> None:
        """The desk's policies against the store's table of policies (claimed unless the
        desk is read-only): a version names one set of parameters in a store
        (:mod:`casehistory.desk._policy_table`, docs/policies.md)."""
        recorded = claim_policies(self._store, self.policies.bound())
        self.policies = attrs.evolve(
            self.policies, recorded={row.key: row.digest for row in recorded}
        )

    @classmethod
    def open(
        cls,
        location: str | Path = ":memory:",
        *,
        clock: Clock | None = None,
        policies: Policies | None = None,
        read_only: bool = False,
        cache: int = 0,
    ) -> Self:
        """Open a desk on ``":memory:"``, a SQLite file path or a ``postgresql://`` URL.

        With ``read_only``, the desk reads an existing store and writes nothing: no
        file or table is created (:class:`StoreNotFound`), anything but a casehistory
        store is refused unchanged (:class:`NotACaseStore`), and every command is
        refused (:class:`StoreIsReadOnly`). A PostgreSQL login with only CONNECT,
        USAGE and SELECT rights can open one (docs/operations.md).

        With ``cache=N`` (0, the default: none), the desk keeps the last N cases it
        acted on in memory (eventsourcing's aggregate cache, fast-forwarded, never
        skipping): before each command on a cached case it asks the store what was
        recorded since, by any desk or process (on SQLite ``PRAGMA data_version`` first,
        then, if another connection committed, the events since), instead of loading
        the snapshot and the events after it. Rules see the case as the store holds it,
        exactly as without the cache; a refused or failed command leaves the cached case
        as it was. Off by default: a cached case is held in memory, rows changed beneath
        the desk after it cached them are not read again, and a desk that runs one
        command (the CLI) or acts on each case now and then gains nothing.
        """
        env = store_env(location, read_only=read_only)  # InvalidInput for a bad location
        desk: Self | None = None
        try:
            desk = cls(env, clock=clock, policies=policies, cache=cache)
            if read_only:
                prepare_read_only(desk._store.factory, location)
                desk._bind_policies()
            return desk
        except STORE_FAILURES as error:
            if desk is not None:
                desk.close()
            said = scrub(str(error), str(location))  # what the driver said may quote the URL
            raise StoreUnavailable(
                f"cannot open the store {describe_store(location)}: {said}".strip()
            ) from None
        except CaseHistoryError:
            if desk is not None:
                desk.close()
            raise

    @property
    def env(self) -> Mapping[str, str]:
        """The store settings this desk was opened with (eventsourcing's keys, such as
        ``PERSISTENCE_MODULE``, ``SQLITE_DBNAME``, ``POSTGRES_SCHEMA``), read-only, with
        the password hidden: ``POSTGRES_PASSWORD`` reads ``***`` when one was given."""
        return MappingProxyType(
            {
                key: HIDDEN if key == "POSTGRES_PASSWORD" and value else value
                for key, value in self._store.env.items()
            }
        )

    def close(self) -> None:
        """Close the store's connections; the desk cannot be used afterwards."""
        catalog = self.__dict__.get("_catalog")
        if catalog is not None:
            catalog.close()
        self._store.close()

    @property
    def catalog(self) -> Catalog:
        """Every case at once: the catalog of this desk's store (docs/catalog.md)."""
        catalog: Catalog | None = self.__dict__.get("_catalog")
        if catalog is None:
            from casehistory.catalog import Catalog

            catalog = self.__dict__["_catalog"] = Catalog(self)
        return catalog

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._store.closing.is_set()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # What the auditor's toolkit reads (read-only access to the store's rows) ------

    @property
    def _recorder(self) -> Any:
        return self._store.recorder

    @property
    def _mapper(self) -> Any:
        return self._store.mapper

    @property
    def _snapshot_rows(self) -> Any:
        """The recorder of the snapshots table (None when snapshotting is off)."""
        snapshots = self._store.snapshots
        return None if snapshots is None else snapshots.recorder
