"""The servers of bench/http_load.py: gunicorn masters on free loopback ports, their workers'
CPU time and memory from /proc, and the CPU time of the PostgreSQL backends."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
GUNICORN_CONF = ROOT / "ivr" / "gunicorn.conf.py"  # the shipped config
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port(ports: range | None) -> int:
    for port in ports or [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise SystemExit(f"no free port in {ports}")


class Server:
    """A gunicorn master started by us, its workers, and their CPU time."""

    def __init__(self, name: str, app: str, port: int, env: dict[str, str], log: Path):
        self.name, self.port = name, port
        cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
               "--pythonpath", f"{ROOT},{BENCH}"]
        if GUNICORN_CONF.exists():
            cmd += ["--config", str(GUNICORN_CONF)]
        else:
            cmd += ["--config", os.devnull, "--workers", "2", "--worker-class", "sync"]
        self.log = log.open("wb")
        self.proc = subprocess.Popen(cmd + [app], cwd=ROOT, env={**os.environ, **env},
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{name} server exited; see {log}:\n{log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    pass
                if self.workers():
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"{name} server did not answer within 60 s; see {log}")

    def workers(self) -> list[int]:
        children = []
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    stat = Path(entry.path, "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    children.append(int(entry.name))
        return children

    @staticmethod
    def _ticks(pid: int, with_children: bool) -> int:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0
        utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
        return utime + stime + (cutime + cstime if with_children else 0)

    def cpu_seconds(self) -> float:
        """CPU of the master (with reaped workers) and of the live workers."""
        ticks = self._ticks(self.proc.pid, True) + sum(self._ticks(w, False)
                                                      for w in self.workers())
        return ticks / CLK_TCK

    def rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            kb = re.search(r"VmRSS:\s+(\d+)", status)
            if kb:
                sizes.append(int(kb.group(1)) / 1024)
        return sizes

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class DatabaseCpu:
    """CPU time of the PostgreSQL backends serving this database (when they run on this
    machine and /proc shows them); SQLite's work is inside the gunicorn workers already."""

    def __init__(self, engine):
        self.engine = engine if engine.dialect.name == "postgresql" else None

    def snapshot(self) -> dict[int, int]:
        if self.engine is None:
            return {}
        with self.engine.connect() as conn:
            pids = conn.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()").scalars().all()
        return {pid: Server._ticks(pid, False) for pid in pids}

    @staticmethod
    def seconds(before: dict[int, int], after: dict[int, int]) -> float:
        return sum(t - before.get(pid, 0) for pid, t in after.items()) / CLK_TCK
