"""Which scheduler dials: on PostgreSQL, the one holding the dialling lock.

Twilio's calls-per-second limit is per account, and each dispatcher paces its own calls
(``RateLimiter``); so of all the schedulers on one database only one dials at a time, the
holder of a session-level advisory lock on a connection of its own. The others stand by: each
pass they try the lock, and take it over within a pass of the holder's end (the database frees
the lock when its connection closes, however the process ended). Before every call the holder
checks that connection still answers; a holder that lost it dials nothing more, and the rows it
had claimed are recovered when their lease runs out, as a dead dispatcher's are.

SQLite needs no lock: a second scheduler for one database is refused (``scheduler.sqlite_lock``).
"""

from __future__ import annotations

import hashlib
import logging
import threading

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

# pg_try_advisory_lock's 64-bit key for "the right to dial" (the same in every release).
LOCK_KEY = int.from_bytes(hashlib.sha256(b"helpdesk-ivr: dialling").digest()[:8], "big",
                          signed=True)


class DiallingLock:
    """The right to place calls for this database's Twilio account (see the module's doc)."""

    def __init__(self, engine: Engine, key: int = LOCK_KEY):
        self.engine = engine
        self.key = key
        self.shared = engine.dialect.name == "postgresql"
        self._conn: Connection | None = None
        self._mutex = threading.Lock()

    def held(self) -> bool:
        """Whether this process may dial now: takes the lock when it is free, and checks that
        a lock already taken is still held."""
        if not self.shared:
            return True
        with self._mutex:
            if self._conn is not None:
                try:
                    self._conn.execute(text("SELECT 1"))
                    return True
                except DBAPIError:
                    log.warning("lost the dialling lock (its database connection failed): "
                                "this scheduler stops dialling")
                    self._drop()
            return self._take()

    def release(self) -> None:
        """Let another scheduler dial (on shutdown)."""
        with self._mutex:
            self._drop()

    def __del__(self) -> None:
        self._drop()  # a dispatcher dropped without close(): its lock goes with it

    def _take(self) -> bool:
        try:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError:
            return False
        try:
            taken = bool(conn.scalar(select(func.pg_try_advisory_lock(self.key))))
        except DBAPIError:
            taken = False
        if not taken:
            conn.close()
            return False
        self._conn = conn
        log.info("this scheduler dials now (it holds the dialling lock)")
        return True

    def _drop(self) -> None:
        if self._conn is None:
            return
        try:
            # Closed for good, not returned to the pool: the lock goes with the session.
            self._conn.invalidate()
            self._conn.close()
        except DBAPIError:
            pass
        self._conn = None
