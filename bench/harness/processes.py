"""Child processes of the benchmark: their environment, the core each is pinned to, and a private
redis-server on 127.0.0.1 for the Redis variant, so no other user's keys are touched."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from subprocess import Popen
from typing import Any, Iterator, Optional, Sequence, Tuple

from fastapi_maintenance.settings.backend import DEFAULT_ENV_VAR

REPO_ROOT = Path(__file__).resolve().parents[2]


def pinned_cpus() -> Tuple[Optional[int], Optional[int]]:
    """(CPU for load generators, CPU for the measured processes), or (None, None) on a single CPU.

    Left to the scheduler, the same server measured twice in a row differed by up to 25 percent on a
    2-core machine, depending on the core it landed on and whether the load generator shared it.
    """
    allowed = sorted(os.sched_getaffinity(0))
    return (None, None) if len(allowed) < 2 else (allowed[0], allowed[-1])


def start_measured(module: str, arguments: Sequence[object], maintenance: bool, **popen: Any) -> Popen[Any]:
    """``python -m bench.harness.<module> ARGUMENTS`` pinned to the measured core, importing this checkout,
    with no maintenance settings from this environment; the env backend's variable says ``maintenance``."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("FASTAPI_MAINTENANCE_")
    }
    environment.update({DEFAULT_ENV_VAR: "1" if maintenance else "0"}, PYTHONPATH=str(REPO_ROOT))
    command = [sys.executable, "-m", f"bench.harness.{module}", *map(str, arguments)]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=environment, **popen)
    measured_cpu = pinned_cpus()[1]
    if measured_cpu is not None:
        os.sched_setaffinity(process.pid, {measured_cpu})
    return process


def stop(process: Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
    """The URL of a fresh redis-server on a free loopback port, or None when none can run."""
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
            while not _answers_ping(port) and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0" if _answers_ping(port) else None
        finally:
            stop(process)
