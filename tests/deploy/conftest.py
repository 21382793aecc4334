"""Deployment tests: the app served by `helpdesk-ivr serve` (gunicorn with the shipped config)
in a separate process, reached over HTTP on a free port."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import requests

from ivr.config import Settings

LISTENING = re.compile(r"Listening at: (http://\S+)")


class Server:
    """A running `helpdesk-ivr serve`: its URL and every line it wrote to stderr."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lines: list[str] = []
        self.url: str | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))
            if self.url is None and (found := LISTENING.search(line)):
                self.url = found.group(1)

    def records(self) -> list[dict]:
        """The JSON log records written so far (with LOG_FORMAT=json every line is one)."""
        return [json.loads(line) for line in self.lines if line.strip()]

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "\n".join(["server exited:", *self.lines])
            if self.url:
                try:
                    if requests.get(self.url + "/healthz", timeout=5).status_code == 200:
                        return
                except (requests.ConnectionError, requests.Timeout):
                    pass  # not listening yet, or a worker still booting on a busy machine
            time.sleep(0.1)
        raise AssertionError("\n".join(["server not ready in time:", *self.lines]))

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # what systemd sends
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)
        self.process.stderr.close()
        return self.process.returncode


def clean_environment(settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any of our settings or a path to this checkout,
    then the given settings."""
    env = {k: v for k, v in os.environ.items()
           if k not in Settings.model_fields and k not in ("PYTHONPATH", "FLASK_APP")}
    return {**env, **settings}


@contextmanager
def serving(command: Path, settings: Mapping[str, str], cwd: Path,
            *gunicorn_options: str) -> Iterator[Server]:
    """`command serve --bind 127.0.0.1:0 ...` with these settings; stopped afterwards."""
    process = subprocess.Popen(
        [str(command), "serve", "--bind", "127.0.0.1:0", *gunicorn_options],
        cwd=cwd, env=clean_environment(settings), stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    server = Server(process)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
