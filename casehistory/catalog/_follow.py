"""Following the log: keep a store's catalog up to date while desks write.

:func:`follow` applies the events recorded after the catalog's position, batch by
batch, each batch written with the new position in one compare-and-set transaction
(:class:`~casehistory.catalog._projection.Projection`), so an event counts exactly once
whatever stops the follower: a batch is committed whole or not at all, and the next
run starts from the committed position. Two followers (or a follower and a desk that
catches up for itself) may run at once: the one whose compare fails rolls its batch
back and reads on from the new position.

On PostgreSQL it listens to the log through eventsourcing's subscription (LISTEN /
NOTIFY): it takes what has arrived, up to ``batch`` events, and writes them as one
transaction, so a burst of writers costs few transactions and a lone event is applied
at once. On SQLite, which has no subscription, it catches up in rounds from the
catalog's position and waits ``poll`` seconds after a round that found nothing.

``stop`` (a :class:`threading.Event`) ends it between batches: ``casehistory catalog
follow`` sets it on SIGINT and SIGTERM.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from casehistory.catalog._projection import BATCH, Moved, Projection
from casehistory.errors import InvalidInput, StoreIsReadOnly, StoreUnavailable

if TYPE_CHECKING:
    from casehistory.desk import CaseDesk

__all__ = ["MAX_BATCH", "Progress", "follow"]

MAX_BATCH = 10_000
"""The most events one batch (one transaction) may hold."""


@attrs.define
class Progress:
    """What a follower has done so far; :func:`follow` returns it, and passes it to
    ``on_batch`` after every batch it writes."""

    position: int
    """The catalog's position as this follower last wrote or read it."""
    applied: int = 0
    """Events this follower applied."""
    batches: int = 0
    """Transactions this follower committed."""
    moved: int = 0
    """Batches it rolled back because another follower had moved the position first."""


def follow(
    desk: CaseDesk,
    stop: threading.Event,
    *,
    batch: int = BATCH,
    once: bool = False,
    poll: float = 1.0,
    on_batch: Callable[[Progress], None] | None = None,
) -> Progress:
    """Keep ``desk``'s catalog up to date until ``stop`` is set (checked between
    batches, and at least every ``poll`` seconds while the log is quiet).

    With ``once``, apply the events recorded up to the log's head as it is when called,
    then return. ``batch`` is the most events written in one transaction. A read-only
    desk raises :class:`StoreIsReadOnly`; a store that fails raises
    :class:`StoreUnavailable` (run the follower under a supervisor that restarts it:
    it starts again from the committed position)."""
    if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= MAX_BATCH:
        raise InvalidInput(f"batch must be a whole number from 1 to {MAX_BATCH}, got {batch!r}")
    if isinstance(poll, bool) or not isinstance(poll, int | float) or not 0 < poll <= 3600:
        raise InvalidInput(f"poll must be a number of seconds above 0, at most 3600; got {poll!r}")
    catalog = desk.catalog
    if catalog.read_only:
        raise StoreIsReadOnly(
            "this desk was opened read-only, so it cannot follow the log: a follower writes "
            "the catalog's tables. Open the desk (or run `casehistory catalog follow`) with "
            "a login that may write"
        )
    projection: Projection = catalog._projection
    projection.create()
    progress = Progress(projection.position() or 0)
    if once:
        _catch_up(projection, stop, batch, progress, on_batch, until=projection.head())
    elif not projection.db.sqlite:
        _subscribed(desk, projection, stop, batch, poll, progress, on_batch)
    else:
        while not stop.is_set():
            if not _catch_up(projection, stop, batch, progress, on_batch):
                stop.wait(poll)
    return progress


def _write(
    projection: Projection,
    position: int,
    notifications: Sequence[Any],
    progress: Progress,
    on_batch: Callable[[Progress], None] | None,
) -> bool:
    """Write one batch read after ``position``; False when another follower moved the
    position first (the batch was rolled back)."""
    try:
        projection._apply(position, notifications)
    except Moved:
        # The cached states are those of the batch that was rolled back; the other
        # follower may be anywhere: start again from what is committed.
        projection._cases.clear()
        progress.moved += 1
        progress.position = projection.position() or 0
        return False
    progress.position = notifications[-1].id
    progress.applied += len(notifications)
    progress.batches += 1
    if on_batch is not None:
        on_batch(progress)
    return True


def _catch_up(
    projection: Projection,
    stop: threading.Event,
    batch: int,
    progress: Progress,
    on_batch: Callable[[Progress], None] | None,
    *,
    until: int | None = None,
) -> int:
    """Batches from the catalog's position until the log has no more (or ``until``),
    ``stop`` checked between them; returns the events this round applied."""
    applied = 0
    while not stop.is_set():
        position = projection.position() or 0
        limit = batch if until is None else min(batch, until - position)
        if limit <= 0 or _rebuilt_meanwhile(projection, position):
            break
        notifications = projection._read(position, limit)
        if not notifications:
            break
        if _write(projection, position, notifications, progress, on_batch):
            applied += len(notifications)
    return applied


def _rebuilt_meanwhile(projection: Projection, position: int) -> bool:
    """Whether another process rebuilds the catalog by case (at position 0, a live
    claim): the follower then waits for it rather than take it over and go on in the
    log's order, which would restart the rebuild's work slower."""
    return position == 0 and projection._rebuilding()


def _subscribed(
    desk: CaseDesk,
    projection: Projection,
    stop: threading.Event,
    batch: int,
    poll: float,
    progress: Progress,
    on_batch: Callable[[Progress], None] | None,
) -> None:
    """Follow through eventsourcing's subscription, resubscribing from the committed
    position whenever another follower moved it."""
    while not stop.is_set():
        position = projection.position() or 0
        progress.position = position
        if _rebuilt_meanwhile(projection, position):
            stop.wait(poll)
            continue
        try:
            subscription = desk._recorder.subscribe(gt=position)
        except Exception as error:
            raise StoreUnavailable(f"cannot subscribe to the store's log: {error}") from None
        with subscription:
            pump = _Pump(subscription, size=2 * batch)
            try:
                while not stop.is_set():
                    notifications = pump.take(batch, poll)
                    if not notifications:
                        continue
                    if not _write(projection, position, notifications, progress, on_batch):
                        break  # resubscribe after the other follower's position
                    position = notifications[-1].id
            finally:
                subscription.stop()
                pump.halt()


_END = object()


class _Pump:
    """Moves a subscription's notifications into a queue from which the follower
    takes what has arrived without blocking (the subscription itself only blocks)."""

    def __init__(self, subscription: Any, *, size: int) -> None:
        self._subscription = subscription
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=size)
        self._halted = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, name="casehistory catalog subscription", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        try:
            for notification in self._subscription:
                if not self._put(notification):
                    return
        except BaseException as error:  # the subscription's threads failed: say so
            self._error = error
        self._put(_END)

    def _put(self, item: object) -> bool:
        # A full queue (the follower is slower than the writers) holds the pump back,
        # and through it the subscription: memory stays bounded.
        while not self._halted.is_set():
            try:
                self._queue.put(item, timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    def take(self, most: int, wait: float) -> list[Any]:
        """What has arrived, up to ``most``, waiting at most ``wait`` seconds for the
        first; an empty list if nothing came."""
        try:
            taken = [self._queue.get(timeout=wait)]
        except queue.Empty:
            return []
        while len(taken) < most:
            try:
                taken.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if taken[-1] is _END:
            # Apply what came before the end first; the next take says why it ended.
            self._queue.put_nowait(_END)  # room: at least one was just taken
            taken.pop()
            if not taken:
                self._ended()
        return taken

    def _ended(self) -> None:
        error = self._error
        said = f"{type(error).__name__}: {error}" if error else "it stopped"
        raise StoreUnavailable(f"the subscription to the store's log ended ({said})")

    def halt(self) -> None:
        self._halted.set()
        self._thread.join()
