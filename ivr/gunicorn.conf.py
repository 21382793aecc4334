"""gunicorn settings for the help-desk line (`helpdesk-ivr serve` uses this file).

Each can be changed on the command line (`helpdesk-ivr serve --workers 3`) or in the
environment (WEB_CONCURRENCY, BIND, or any gunicorn option in GUNICORN_CMD_ARGS).
"""

import os

from ivr.logs import gunicorn_logconfig

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
