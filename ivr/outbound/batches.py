"""What the outbound dispatcher and the outbox's deliverer share: a batch claimed under a lease
is sent outside any transaction, in a thread pool when there is more than one, and a worker
ticks until nothing is due."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class BatchWorker:
    """A base for workers whose ``tick`` handles one claimed batch and says how many rows."""

    concurrency: int = 1
    thread_prefix: str = "batch"
    _pool: ThreadPoolExecutor | None = None

    def tick(self) -> int:
        raise NotImplementedError

    def send_all(self, items: Sequence[Item], send: Callable[[Item], Result]) -> list[Result]:
        """Send each item, several at once when the batch and the concurrency allow."""
        if self.concurrency > 1 and len(items) > 1:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.concurrency,
                                                thread_name_prefix=self.thread_prefix)
            return list(self._pool.map(send, items))
        return [send(item) for item in items]

    def close(self) -> None:
        """Stop the sending threads (the scheduler calls this on shutdown)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def run_until_idle(self, max_ticks: int = 100_000) -> int:
        """Tick until nothing is due (tests, the benchmarks, a catching-up scheduler)."""
        total = 0
        for _ in range(max_ticks):
            handled = self.tick()
            if not handled:
                break
            total += handled
        return total
