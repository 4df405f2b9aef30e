"""The app served by gunicorn, as the README runs it in production, in a subprocess of the test.

`with Gunicorn(database_url, env={...}) as server: server.url`; `server.access_log()` and
`server.error_log()` read what gunicorn wrote; `server.worker_rss()` is the worker's resident memory
in bytes (from /proc, Linux only).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    def __init__(self, database_url: str, folder: Path, env: dict[str, str] | None = None, threads: int = 8):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.folder = folder
        self.access_path, self.error_path = folder / "access.log", folder / "error.log"
        self.env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT), **(env or {})}
        self.env.pop("REDIS_URL", None)
        self.command = [sys.executable, "-m", "gunicorn", "-w", "1", "-k", "gthread", "--threads", str(threads),
                        "-b", f"127.0.0.1:{self.port}", "--access-logfile", str(self.access_path),
                        "--error-logfile", str(self.error_path), "--log-level", "info", "app:create_app()"]
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        self.process = subprocess.Popen(self.command, cwd=self.folder, env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.error_log()[-2000:]}")
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=2).read()
                return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"gunicorn did not answer: {self.error_log()[-2000:]}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def access_log(self) -> str:
        return self.access_path.read_text() if self.access_path.exists() else ""

    def error_log(self) -> str:
        return self.error_path.read_text() if self.error_path.exists() else ""

    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return int(children[0])

    def worker_rss(self) -> int:
        for line in Path(f"/proc/{self.worker_pid()}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")
