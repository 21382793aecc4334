"""gunicorn settings for the help-desk line (`helpdesk-ivr serve` uses this file).

Each can be changed on the command line (`helpdesk-ivr serve --workers 3`) or in the
environment (WEB_CONCURRENCY, BIND, or any gunicorn option in GUNICORN_CMD_ARGS).
"""

import os
import shutil
import tempfile
from pathlib import Path

# /metrics adds up every worker's webhook figures (prometheus-client's multiprocess mode): each
# worker writes its own files in this folder, so it must be set before anything imports
# prometheus_client (ivr does, below). A folder of our own unless PROMETHEUS_MULTIPROC_DIR
# names one; emptied when gunicorn starts, removed when it exits if it was ours.
_OURS = "HELPDESK_IVR_OWN_METRICS_DIR"  # this file made the folder (a reload reads it again)
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.environ[_OURS] = tempfile.mkdtemp(
        prefix="helpdesk-ivr-metrics-")
METRICS_DIR = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])

from prometheus_client import multiprocess  # noqa: E402

from ivr.logs import gunicorn_logconfig  # noqa: E402

# Behind a TLS proxy on the same host; set BIND=0.0.0.0:8000 when the proxy is elsewhere.
bind = [os.environ.get("BIND", "127.0.0.1:8000")]

# Sync workers: a webhook is a short database transaction. Gunicorn's rule of thumb,
# 2 x usable cores + 1, unless WEB_CONCURRENCY says otherwise.
cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (cores or 1) + 1)

# Twilio waits 15 s for a webhook, then plays the fallback URL: a worker stuck for 10 s is
# killed and replaced well before that, and a restart gives requests in flight as long.
timeout = 10
graceful_timeout = 10

# Access log (stdout; stderr with LOG_FORMAT=json) without query strings or referrers, which
# can carry personal data: client, method, path, status, size, milliseconds, user agent.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
errorlog = "-"
# LOG_FORMAT=json: gunicorn's own lines are JSON too, phone numbers masked, like the app's.
logconfig_dict = gunicorn_logconfig(os.environ.get("LOG_FORMAT", "text")) or {}

# gunicorn 25.1+ opens a control socket in $HOME by default; systemd (or SIGHUP/SIGTERM) is how
# this service is managed, and two instances on one host would fight over the one path.
control_socket_disable = True


def on_starting(server):
    """A fresh start counts from zero: figures a previous run left in the folder go."""
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for old in METRICS_DIR.glob("*.db"):
        old.unlink()


def child_exit(server, worker):
    """A worker ended (restart, reload, timeout): its live figures stop counting; its counters
    and histograms stay in the sums, which never go down."""
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if os.environ.get(_OURS) == str(METRICS_DIR):
        shutil.rmtree(METRICS_DIR, ignore_errors=True)
