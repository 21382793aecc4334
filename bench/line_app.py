"""The line as bench/http_load.py serves it under gunicorn (`line_app:app`).

The shipped app, configured from the environment exactly as wsgi.py does it, with one change:
its clock (`app.extensions["clock"]`, the hook the tests use) runs at real speed from
BENCH_OPEN_AT (a weekday inside opening hours), so a benchmark run at any hour meets the help
desk open. BENCH_CLOCK_T0 (Unix time, set by http_load.py) is the real moment that reads as
BENCH_OPEN_AT, the same in every worker.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from ivr import create_app

app = create_app()

if os.environ.get("BENCH_CLOCK_T0") and os.environ.get("BENCH_OPEN_AT"):
    _open_at = datetime.fromisoformat(os.environ["BENCH_OPEN_AT"])
    _started = datetime.fromtimestamp(float(os.environ["BENCH_CLOCK_T0"]), UTC)

    def _clock() -> datetime:
        return _open_at + (datetime.now(UTC) - _started)

    app.extensions["clock"] = _clock

# BENCH_PROFILE_DIR (bench/http_profile.py sets it): bench/cpu_sampler.py in each worker,
# started by a SIGUSR2 and stopped by the next, which writes the stacks sampled in between to
# BENCH_PROFILE_DIR/<pid>.txt. gunicorn's worker leaves SIGUSR2 alone (its master's is another).
if os.environ.get("BENCH_PROFILE_DIR"):
    import signal
    from pathlib import Path

    from cpu_sampler import Sampler

    _sampler = Sampler()

    def _toggle(_signum, _frame) -> None:
        if not _sampler.running:
            _sampler.start()
            return
        _sampler.stop()
        _sampler.write(Path(os.environ["BENCH_PROFILE_DIR"]) / f"{os.getpid()}.txt")

    signal.signal(signal.SIGUSR2, _toggle)
