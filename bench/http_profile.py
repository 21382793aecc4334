"""Where the line's CPU goes over HTTP (issue 13): bench/http_load.py with a CPU-time sampling
profiler (bench/cpu_sampler.py) in every gunicorn worker of the line, on over each timed line
window only (not the warm-up, the ramp or the drain), then the CPU per request by frame.

Every option is http_load.py's (e.g. `--duration 15 --rounds 1`, `--database URL`); the
profiler adds about 2 % of CPU. The sampled stacks (collapsed, one file per worker and window)
are kept in `--profile-dir`, by default a temporary folder that is printed.

    .venv/bin/python bench/http_profile.py [--profile-dir DIR] [--top 60] [http_load options]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import cpu_sampler  # noqa: E402
import http_load  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile-dir", type=Path)
    parser.add_argument("--top", type=int, default=60)
    args, rest = parser.parse_known_args(argv)
    folder = args.profile_dir or Path(tempfile.mkdtemp(prefix="http_profile-"))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["BENCH_PROFILE_DIR"] = str(folder)  # the line's workers inherit it
    requests = 0
    run_all = http_load.run_all

    def profiled(drivers, server, label, ramp, duration, database=None):
        nonlocal requests
        if server.name != "line" or label == "warm-up":
            return run_all(drivers, server, label, ramp, duration, database)
        opens = time.time() + 0.5 + ramp  # run_all's window (load_report.run_all)

        def toggle() -> None:
            time.sleep(max(0.0, opens - time.time()))
            workers = server.workers()
            for pid in workers:
                os.kill(pid, signal.SIGUSR2)
            time.sleep(duration)
            for pid in workers:
                os.kill(pid, signal.SIGUSR2)

        thread = threading.Thread(target=toggle)
        thread.start()
        run = run_all(drivers, server, label, ramp, duration, database)
        thread.join()
        time.sleep(0.5)  # the workers write their stacks
        for path in folder.glob("[0-9]*.txt"):
            path.rename(folder / f"window{label}-{path.name}")
        requests += run.stats.requests
        return run

    http_load.run_all = profiled
    code = http_load.main(rest)
    paths = sorted(folder.glob("window*.txt"))
    if paths and requests:
        print(f"\nprofile of the line's workers over its timed windows (stacks in {folder}):")
        cpu_sampler.report(cpu_sampler.read(paths), requests, args.top)
    return code


if __name__ == "__main__":
    sys.exit(main())
