"""A private redis-server on 127.0.0.1 for tests: start, stop, freeze and restart it on the same port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import pytest

from tests.support.processes import free_port, stop_process

INSTALL_HINT = "redis-server is not on PATH; install it (apt-get install redis-server) to run the Redis tests"


def redis_server_binary() -> str:
    """The redis-server executable, or skip the calling test with an install hint."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip(INSTALL_HINT)
    return binary


def redis_backend_setting(url: str, key: str) -> str:
    """The TOML line that points the settings' backend at one key of a Redis server."""
    return f'backend = {{ type = "redis", url = "{url}", key = "{key}" }}\n'


class RedisServer:
    """One redis-server process without persistence; the port stays the same across restarts."""

    def __init__(self, binary: str, workdir: Path, port: Optional[int] = None) -> None:
        self.binary = binary
        self.workdir = workdir
        self.port = port or free_port()
        self._process: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, deadline: float = 10.0) -> None:
        if self.running:
            return
        log = open(self.workdir / "redis.log", "ab")  # noqa: SIM115 - handed to the child process
        try:
            self._process = subprocess.Popen(
                [
                    self.binary,
                    "--port", str(self.port),
                    "--bind", "127.0.0.1",
                    "--save", "",
                    "--appendonly", "no",
                    "--dir", str(self.workdir),
                    "--daemonize", "no",
                    "--loglevel", "warning",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        finally:
            log.close()
        self._wait_for_ping(deadline)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.kill(process.pid, signal.SIGCONT)  # a frozen server must wake up to exit
        stop_process(process, grace=5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def freeze(self) -> None:
        """Stop the process without closing its sockets: clients connect but get no answer."""
        assert self._process is not None, "the server is not running"
        os.kill(self._process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self._process is not None, "the server is not running"
        os.kill(self._process.pid, signal.SIGCONT)

    def _wait_for_ping(self, deadline: float) -> None:
        end = time.monotonic() + deadline
        while True:
            if self._process is not None and self._process.poll() is not None:
                log = (self.workdir / "redis.log").read_text(errors="replace")
                raise RuntimeError(f"redis-server on port {self.port} exited at start-up:\n{log}")
            if _answers_ping(self.port):
                return
            if time.monotonic() > end:
                self.stop()
                raise RuntimeError(f"redis-server on port {self.port} did not answer PING within {deadline}s")
            time.sleep(0.02)


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def running_redis(folder: Path) -> Iterator[RedisServer]:
    """A private redis-server working in ``folder``, started now and stopped afterwards (skips without the binary)."""
    server = RedisServer(redis_server_binary(), folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()
