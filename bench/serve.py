"""Start Markbook under a production server, and stop it (bench/answers.py uses these).

    with serving(Server("gunicorn-gthread", workers=2, threads=8),
                 database_url=url, data_dir=tmp) as base_url:
        ...  # http://127.0.0.1:PORT, answering

The servers compared (docs/deployment.md has the figures):

- `gunicorn-sync`: gunicorn's sync workers, one request at a time per process;
- `gunicorn-gthread`: gunicorn's threaded workers, `threads` requests per process;
- `granian`: granian's WSGI interface, `threads` blocking threads per worker.

Each runs `markbook.wsgi:application` with MARKBOOK_ENV=production (so TLS is expected
from a proxy: requests say `X-Forwarded-Proto: https`), database connections kept for
60 s, and the benchmark's URLs (bench_settings) unless told otherwise.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
KINDS = ("gunicorn-sync", "gunicorn-gthread", "granian")
# The one chosen by measurement (docs/deployment.md): what answers.py uses by default.
CHOSEN = "granian"


@dataclass(frozen=True)
class Server:
    kind: str
    workers: int = 2
    threads: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"server {self.kind!r}: one of {', '.join(KINDS)}")

    @property
    def label(self) -> str:
        if self.kind == "gunicorn-sync":
            return f"gunicorn sync, {self.workers} workers"
        what = "threads" if self.kind == "gunicorn-gthread" else "blocking threads"
        return f"{self.kind.replace('-', ' ')}, {self.workers} workers x {self.threads} {what}"

    def command(self, port: int) -> list[str]:
        app = "markbook.wsgi:application"
        if self.kind == "granian":
            return [
                *(sys.executable, "-m", "granian", "--interface", "wsgi"),
                *("--host", "127.0.0.1", "--port", str(port)),
                *("--workers", str(self.workers), "--blocking-threads", str(self.threads)),
                *("--backlog", "2048", "--no-access-log", app),
            ]
        worker_class = "sync" if self.kind == "gunicorn-sync" else "gthread"
        return [
            *(sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"),
            *("--workers", str(self.workers), "--worker-class", worker_class),
            *("--threads", str(self.threads), "--backlog", "2048", "--timeout", "120"),
            # Django loaded once before the workers fork: each is ready at once, not
            # seconds later on a busy machine (the measurement would start mid-boot).
            *("--preload", app),
        ]


def parse(spec: str) -> Server:
    """`gunicorn-sync:4`, `gunicorn-gthread:2x8` or `granian:2x8` (workers x threads)."""
    kind, _, size = spec.partition(":")
    workers, _, threads = (size or "2").partition("x")
    return Server(kind, int(workers), int(threads or 1))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(database_url: str, data_dir: str, settings_module: str) -> dict[str, str]:
    """The environment of a production Markbook on this database (docs/deployment.md)."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "MARKBOOK_DATA_DIR": data_dir,
        "MARKBOOK_ENV": "production",
        "MARKBOOK_DB_CONN_MAX_AGE": "60",
        "MARKBOOK_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SETTINGS_MODULE": settings_module,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(BENCH)]),
    }


def _answers(port: int) -> bool:
    """Whether an HTTP server answers on the port (any status: a redirect will do)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET /bench/bare HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            return s.recv(12).startswith(b"HTTP/")
    except OSError:
        return False


@contextmanager
def serving(
    server: Server,
    *,
    database_url: str,
    data_dir: str,
    settings_module: str = "bench_settings",
    log: Path | None = None,
    timeout: float = 60.0,
) -> Iterator[str]:
    """Markbook under `server` on a free loopback port until the block ends; its URL.

    The server runs in its own process group, stopped with SIGTERM (SIGKILL after
    10 s); its output goes to `log` (default: the data directory's server.log).
    """
    port = free_port()
    log = log or Path(data_dir) / "server.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            server.command(port),
            env=server_env(database_url, data_dir, settings_module),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while not _answers(port):
            if process.poll() is not None:
                raise RuntimeError(f"{server.label} stopped at start-up: see {log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server.label} did not answer in {timeout:.0f} s: see {log}")
            time.sleep(0.2)
        time.sleep(1.0)  # every worker up, not only the first
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
