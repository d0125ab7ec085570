"""A SQLite connection pool whose uncontended checkout and return cost a third of
eventsourcing's own.

Every command on a cached case takes a connection from the desk's pool twice (its
load's ``PRAGMA data_version``, then its write) and gives it back twice: with
eventsourcing's :class:`~eventsourcing.persistence.ConnectionPool` about 3 us each time
(the gate acquired with a timeout, two clock readings, the remaining time worked out
three times, five property calls). :class:`FastCheckoutPool` does the same steps, in the
same order and under the same locks, without those, when nothing has to wait: the gate
and the writer lock free at once, a connection in the pool, no pre-ping, reads and
writes not exclusive (a file's pool). Anything else (a wait, an empty pool, a connection
the age timer closed, an in-memory store's readers-exclude-writer mode) goes through
eventsourcing's own code, which waits, creates, retries or raises as it always does.

eventsourcing is pinned to 9.5 (pyproject.toml): these are the steps of its
``get_connection``, ``_get_connection`` and ``put_connection`` there.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import ConnectionNotFromPoolError, ConnectionPoolClosedError
from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool

__all__ = ["FastCheckoutPool"]


class FastCheckoutPool(SQLiteConnectionPool):
    """eventsourcing's SQLite pool, with a fast path for a checkout nobody waits for."""

    def get_connection(
        self, timeout: float | None = None, *, is_writer: bool | None = None
    ) -> SQLiteConnection:
        if (
            is_writer is False
            or self._closed
            or self.pre_ping
            or self._mutually_exclusive_read_write
            or not self._get_semaphore.acquire(blocking=False)
        ):
            return super().get_connection(timeout, is_writer=is_writer)
        # Through the gate at once: no thread queued before this one.
        if is_writer is True and not self._writer_lock.acquire(blocking=False):
            # Another writer holds it: wait for it as eventsourcing waits, after giving
            # the gate back (its get_connection takes it again).
            self._get_semaphore.release()
            return super().get_connection(timeout, is_writer=is_writer)
        try:
            if is_writer is True:
                self._num_writers += 1
            # eventsourcing would pass the time left of the timeout: all of it, here.
            connection = self._get_connection(self.pool_timeout if timeout is None else timeout)
        except BaseException:
            if is_writer is True:
                # Given back (eventsourcing 9.5 keeps it after a timeout here, and
                # every later writer of the pool then times out).
                self._num_writers -= 1
                self._writer_lock.release()
            raise
        finally:
            self._get_semaphore.release()
        connection.is_writer = is_writer
        return connection

    def _get_connection(self, timeout: float = 0.0) -> SQLiteConnection:
        condition: Any = self._put_condition
        # The condition's own lock, taken and released directly: the Condition's
        # __enter__ and __exit__ are a Python call each around the same two.
        condition.acquire()
        try:
            if self._pool and not self.pre_ping:
                connection = self._pool.popleft()
                connection.in_use.acquire()  # as eventsourcing: waits out the age timer
                if not connection._closed:
                    self._in_use[id(connection)] = connection
                    return connection
                # Closed by the age timer: dropped, and another taken, as eventsourcing
                # does (its lock is reentrant).
            return super()._get_connection(timeout)
        finally:
            condition.release()

    def put_connection(self, conn: SQLiteConnection) -> None:
        is_writer = conn.is_writer
        if is_writer is False:  # a reader's count: eventsourcing's own steps
            super().put_connection(conn)
            return
        conn.is_writer = None
        condition: Any = self._put_condition
        condition.acquire()
        try:
            if self._closed:
                raise ConnectionPoolClosedError("Pool is closed")
            try:
                del self._in_use[id(conn)]
            except KeyError:
                raise ConnectionNotFromPoolError("Connection not in use in this pool") from None
            if not conn._closed:
                if not conn._closing.is_set() and len(self._pool) < self.pool_size:
                    self._pool.append(conn)
                else:
                    conn.close()
            conn.in_use.release()
            if is_writer is True:
                self._num_writers -= 1
                self._writer_lock.release()
            # Wake a thread waiting for a connection: none waits, most times, and
            # Condition.notify builds a queue of those it wakes even then.
            if getattr(condition, "_waiters", True):
                condition.notify()
        finally:
            condition.release()
