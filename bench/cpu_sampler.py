"""A CPU-time sampling profiler for the line's benchmarks (issue 13): where a process's CPU goes,
without cProfile's inflation of Python-heavy code.

The clock is ITIMER_PROF (the process's user + system CPU): waiting (for a socket, a lock, the
database) is never sampled. Each sample is the Python stack the signal finds, weighted by the CPU
time since the sample before; signals that arrive during one long C call (sqlite3, psycopg) are
delivered once, when it returns, to the frame that called it, with the whole call's time. Only
the main thread is sampled (a gunicorn sync worker, or a test client run).

Stacks are written collapsed, one ``frame;frame;... microseconds`` per line (the format of
flame-graph tools); ``report`` sums files of them by frame.
"""

from __future__ import annotations

import signal
import sys
import time
from collections import Counter
from pathlib import Path

INTERVAL = 0.001  # a sample per ms of CPU
ROOT = str(Path(__file__).resolve().parent.parent) + "/"


def _name(code) -> str:
    path = code.co_filename.rsplit("site-packages/", 1)[-1].removeprefix(ROOT)
    return f"{code.co_qualname} ({path})"


class Sampler:
    def __init__(self) -> None:
        self.stacks: Counter[str] = Counter()
        self.running = False
        self._last = 0.0

    def _sample(self, _signum, frame) -> None:
        now = time.process_time()
        spent, self._last = now - self._last, now
        names = []
        while frame is not None:
            names.append(_name(frame.f_code))
            frame = frame.f_back
        self.stacks[";".join(reversed(names))] += round(spent * 1e6)

    def start(self) -> None:
        self.stacks.clear()
        self.running = True
        self._last = time.process_time()
        signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)

    def stop(self) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        self.running = False

    def write(self, path: Path) -> None:
        path.write_text("".join(f"{stack} {us}\n" for stack, us in self.stacks.items()))


def read(paths: list[Path]) -> Counter[str]:
    stacks: Counter[str] = Counter()
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, us = line.rpartition(" ")
            stacks[stack] += int(us)
    return stacks


def report(stacks: Counter[str], requests: int, top: int = 60, out=sys.stdout) -> None:
    """CPU per request by frame: inclusive (the frame and what it called) and own."""
    total = sum(stacks.values())
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for stack, us in stacks.items():
        frames = stack.split(";")
        for frame in set(frames):
            inclusive[frame] += us
        own[frames[-1]] += us
    print(f"sampled CPU {total / 1e6:.2f} s, {total / 1e3 / requests:.3f} ms per request "
          f"({requests} requests)", file=out)
    for title, counts in (("inclusive", inclusive), ("own", own)):
        print(f"\n---- top {top} frames by {title} CPU (ms per request, share) ----", file=out)
        for frame, us in counts.most_common(top):
            print(f"{us / 1e3 / requests:8.3f} {us / total:6.1%}  {frame}", file=out)
