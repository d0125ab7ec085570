"""A rebuild's rows, folded in the rebuild's process and, for a large log on a machine
with a second core, in a second process beside it.

Folding a case into its catalog rows (decoding its events, the fold, the row and its
SLA clocks, the values as the database takes them) is what a rebuild spends most of
its time on, and each case is folded on its own. The case ids are cut into
:data:`RANGES` ranges (by the first hex digits of the id as the store orders it; the
first range has no lower bound and the last no upper one, so every id falls in one).
A worker process (``python -m casehistory.catalog._worker``: a new interpreter that
shares no connection and runs none of the caller's own script) opens the store with
the desk's settings, sent with the desk's policies down its input (not on its command
line), and folds whole ranges, one at a time, handing back
their rows; the rebuild's own process folds the next range meanwhile, and writes
every row. The worker only reads: the claim, the transactions and the position stay
with the rebuild (casehistory.catalog._rebuild). The rows are those one process
makes (the same :class:`Folder`; a test compares the tables).

A worker that cannot start, or a store the worker cannot open the same way (the
in-process store, a mapper of another kind), leaves the rebuild to one process. A
failure inside the worker (a row the mapper refuses) is raised in the rebuild, as
one process raises it.
"""

from __future__ import annotations

import copyreg
import functools
import io
import os
import pickle
import select
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import IO, Any
from uuid import UUID

import attrs

from casehistory.catalog._db import column_converters, row_converter
from casehistory.catalog._rows import folded, money_rows, row_of
from casehistory.catalog._schema import (
    CASE_COLUMNS,
    CASE_VALUES,
    LEDGER_ENTRY_COLUMNS,
    LEDGER_VALUES,
    MONEY_COLUMNS,
    MONEY_VALUES,
)
from casehistory.domain.events import CaseEvent
from casehistory.domain.policies import Policies
from casehistory.domain.sla import SlaPolicy
from casehistory.domain.state import CaseState
from casehistory.errors import SlaPolicyUnknown, StoreUnavailable

__all__ = [
    "PARALLEL_EVENTS",
    "RANGES",
    "Batch",
    "Folder",
    "Span",
    "folded_parts",
    "sla_policy",
    "spans",
]

PARALLEL_EVENTS = 50_000
"""Logs shorter than this are folded in one process (a worker takes a second or so to
start: for a short log, more than it would save)."""

RANGES = 64
"""Ranges of case ids a parallel rebuild hands out (small enough for the two processes
to finish together, large enough to keep the worker busy between hand-overs)."""

Events = list[tuple[int, CaseEvent]]
Span = tuple[Any, Any]
"""A range of stored case ids: (from, to), to excluded; None for no bound."""


@attrs.define
class Batch:
    """Rows to write, as the database takes them, and how many events they fold."""

    cases: list[list[Any]] = attrs.Factory(list)
    money: list[list[Any]] = attrs.Factory(list)
    ledger: list[list[Any]] = attrs.Factory(list)
    search: list[tuple[Any, ...]] = attrs.Factory(list)
    events: int = 0
    erased: int = 0
    """Cases whose customer was forgotten."""

    def extend(self, other: Batch) -> None:
        self.cases.extend(other.cases)
        self.money.extend(other.money)
        self.ledger.extend(other.ledger)
        self.search.extend(other.search)
        self.events += other.events
        self.erased += other.erased


def sla_policy(policies: Policies, state: CaseState) -> SlaPolicy | None:
    """The SLA policy the case opened under, None when the desk does not know it (its
    SLA columns stay empty: the desk cannot time it)."""
    try:
        return policies.sla_policy(state.sla)
    except SlaPolicyUnknown:
        return None


class Folder:
    """Folds whole cases into their rows (the rebuild's process and its worker alike)."""

    def __init__(self, sqlite: bool, policy: Callable[[CaseState], SlaPolicy | None]) -> None:
        self.policy = policy
        self.case_values = row_converter([kind for _, kind, _ in CASE_COLUMNS], sqlite)
        self.money_values = row_converter([kind for _, kind, _ in MONEY_COLUMNS], sqlite)
        self.ledger_values = row_converter([kind for _, kind, _ in LEDGER_ENTRY_COLUMNS], sqlite)
        self.id_value = column_converters(["id"], sqlite)[0]

    def add(self, batch: Batch, case_id: UUID, events: Events) -> None:
        """Fold one case's events (all of them, up to the head) into ``batch``."""
        state, entries = folded(None, (event for _, event in events))
        batch.ledger.extend(self.ledger_values(LEDGER_VALUES(entry)) for entry in entries)
        last_id, last = events[-1]
        row = row_of(state, last.originator_version, last_id, last.timestamp, self.policy(state))
        batch.cases.append(self.case_values(CASE_VALUES(row)))
        batch.money.extend(self.money_values(MONEY_VALUES(m)) for m in money_rows(state))
        batch.search.append((self.id_value(case_id), row.subject, row.customer_name))
        batch.events += len(events)
        batch.erased += int(state.forgotten)


def spans(sqlite: bool) -> list[Span]:
    """:data:`RANGES` ranges covering every case id, in the store's order of ids (SQLite:
    the hex text; PostgreSQL: the uuid, ordered by its bytes alike)."""
    step = 256 // RANGES
    cuts: list[Any] = []
    for first in range(step, 256, step):
        text = f"{first:02x}" + "0" * 30
        cuts.append(text if sqlite else UUID(text))
    return list(zip([None, *cuts], [*cuts, None], strict=True))


def _dumps(value: Any) -> bytes:
    """Pickled, with read-only mappings (the SLA policy's targets) as plain ones made
    read-only again, for this pickle only (no reducer registered for the process)."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out)
    table = copyreg.dispatch_table.copy()
    table[MappingProxyType] = lambda proxy: (_read_only, (dict(proxy),))
    pickler.dispatch_table = table
    pickler.dump(value)
    return out.getvalue()


def _read_only(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(mapping)


# The worker's side ---------------------------------------------------------------------


def serve(source: IO[bytes], sink: IO[bytes]) -> None:
    """The worker (``python -m casehistory.catalog._worker``): open the store with the
    desk's settings, say so, then fold each range it is given until its input ends. A
    failure is handed back (the rebuild raises it) and ends the worker."""
    # Ctrl-C at a terminal reaches the whole process group: the rebuild stops its
    # worker; the worker prints nothing of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _serve(source, sink)
    except (BrokenPipeError, EOFError):
        return  # the rebuild is gone (it stopped, or was killed): nothing to answer


def _serve(source: IO[bytes], sink: IO[bytes]) -> None:
    from casehistory.catalog._rebuild import by_case
    from casehistory.desk import CaseDesk

    env, policies, head = pickle.load(source)
    desk = CaseDesk(env, policies=pickle.loads(policies))
    folder = Folder(_sqlite(desk), functools.partial(sla_policy, desk.policies))
    _send(sink, "ready")
    while True:
        span = pickle.load(source)  # EOFError when the rebuild is done
        batch = Batch()
        try:
            with desk._keys.batch():
                for case_id, events in by_case(desk, head, span):
                    folder.add(batch, case_id, events)
        except Exception as error:  # handed to the rebuild, which raises it
            _send(sink, ("failed", _picklable(error)))
            return
        _send(sink, batch)


def _send(sink: IO[bytes], value: Any) -> None:
    pickle.dump(value, sink, protocol=pickle.HIGHEST_PROTOCOL)
    sink.flush()


def _picklable(error: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return StoreUnavailable(f"the rebuild's worker failed: {type(error).__name__}: {error}")
    return error


# The rebuild's side ---------------------------------------------------------------------


def _sqlite(desk: Any) -> bool:
    return getattr(desk._recorder.datastore, "schema", None) is None


def _parallel(desk: Any, head: int) -> bool:
    if head < PARALLEL_EVENTS or os.name != "posix":
        return False  # a short log; or no select() on pipes
    if getattr(desk._recorder, "datastore", None) is None:
        return False  # the in-process store: nothing another process can open
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return cores >= 2


class _Worker:
    """The worker process, seen from the rebuild."""

    def __init__(self, desk: Any, head: int) -> None:
        paths = os.pathsep.join(path for path in sys.path if path)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "casehistory.catalog._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": paths},
        )
        self.ready = False
        self.spans: list[Span] = []
        """The ranges it was given and has not answered, in order (two at most: one
        to fold while the other's rows travel back)."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.input, self.output = self.process.stdin, self.process.stdout
        _send(self.input, (dict(desk._store.env), _dumps(desk.policies), head))

    def answered(self) -> bool:
        # One answer for each request: nothing of a next answer can sit in the
        # reader's buffer when asked, so the pipe itself says whether one came.
        return bool(select.select([self.output], [], [], 0)[0])

    def receive(self) -> Any:
        """The worker's next answer; EOFError if it stopped."""
        return pickle.load(self.output)

    def give(self, waiting: list[Span]) -> None:
        """Keep two ranges with it (while any are left)."""
        while self.ready and waiting and len(self.spans) < 2:
            self.spans.append(waiting.pop())
            _send(self.input, self.spans[-1])

    def close(self) -> None:
        self.process.kill()  # first: a worker writing to a closed pipe would complain
        self.process.wait()
        for stream in (self.input, self.output):
            stream.close()


def folded_parts(
    desk: Any, head: int, folder: Folder, most: tuple[int, int], by_case: Callable[..., Any]
) -> Iterator[Batch]:
    """The rows of every case of the log up to ``head``, in batches of at most ``most``
    (cases, events; a batch holds at least one case, and a worker's range comes whole)."""
    if not _parallel(desk, head):
        yield from _local(desk, head, folder, most, None, by_case)
        return
    try:
        worker: _Worker | None = _Worker(desk, head)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        worker = None
    waiting = spans(_sqlite(desk))
    waiting.reverse()
    try:
        while waiting or (worker is not None and worker.spans):
            if worker is not None and (worker.answered() or not waiting):
                try:
                    answer = worker.receive()
                except (EOFError, OSError, pickle.UnpicklingError):
                    answer = None  # it stopped: what it held is folded here, without it
                if isinstance(answer, tuple):  # ("failed", error)
                    raise answer[1]
                if answer == "ready" and not worker.ready:
                    worker.ready = True
                elif isinstance(answer, Batch) and worker.spans:
                    worker.spans.pop(0)
                    yield answer
                else:
                    waiting.extend(worker.spans)
                    worker.close()
                    worker = None
                    continue
                worker.give(waiting)
                continue
            yield from _local(desk, head, folder, most, waiting.pop(), by_case)
    finally:
        if worker is not None:
            worker.close()


def _local(
    desk: Any, head: int, folder: Folder, most: tuple[int, int], span: Span | None, by_case: Any
) -> Iterator[Batch]:
    cases, events_most = most
    batch = Batch()
    for case_id, events in by_case(desk, head, span):
        folder.add(batch, case_id, events)
        if len(batch.cases) >= cases or batch.events >= events_most:
            yield batch
            batch = Batch()
    if batch.cases:
        yield batch
