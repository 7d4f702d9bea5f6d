"""Child processes of the benchmark: where they run, their environment, the core each is pinned to,
and a private redis-server on 127.0.0.1 for the Redis variant, so no other user's keys are touched."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, Mapping, Optional, Tuple

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = BENCH_DIR.parent


def pinned_cpus() -> Tuple[Optional[int], Optional[int]]:
    """(CPU for load generators, CPU for the measured processes), or (None, None) on a single CPU.

    Left to the scheduler, the same server measured twice in a row differed by up to 25 percent on a
    2-core machine, depending on the core it landed on and whether the load generator shared it.
    """
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None, None
    return allowed[0], allowed[-1]


def pin(pid: int, cpu: Optional[int]) -> None:
    if cpu is not None:
        os.sched_setaffinity(pid, {cpu})


def child_env(extra: Mapping[str, str]) -> Dict[str, str]:
    """This environment without maintenance settings, with this checkout importable, plus ``extra``."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("FASTAPI_MAINTENANCE_")
    }
    environment["PYTHONPATH"] = str(REPO_ROOT)
    environment.update(extra)
    return environment


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def private_redis() -> Iterator[Optional[str]]:
    """Yield the URL of a fresh redis-server on a free loopback port, or None when none can run."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as folder:
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        process = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while not _answers_ping(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    yield None
                    return
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=10)
