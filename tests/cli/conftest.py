"""Fixtures for the CLI tests: an isolated working folder, the CLI run in-process, and a Redis key of each
test's own on the shared redis-server. Running the CLI as a process and writing config files live in
tests/support."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Optional

import pytest

from tests.redis_support import RedisServer, redis_backend_setting
from tests.support.cli import Ran, run_cli_in_process
from tests.support.processes import free_port

ANSI_ESCAPE = "\x1b["

RunCli = Callable[..., Ran]


@pytest.fixture(autouse=True)
def _isolated_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test runs in its own empty folder, so ./maintenance.toml is only there when the test writes it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def run_cli() -> RunCli:
    """Run the command in this process (bugs raise, they are not swallowed); no colour codes off a terminal."""

    def run(*args: str, env: Optional[Mapping[str, Optional[str]]] = None) -> Ran:
        ran = run_cli_in_process(args, env=env)
        assert ANSI_ESCAPE not in ran.stdout + ran.stderr, "colour codes in output that is not a terminal"
        return ran

    return run


@dataclass(frozen=True)
class RedisTarget:
    url: str
    key: str

    def config_text(self) -> str:
        return redis_backend_setting(self.url, self.key)


@pytest.fixture
def redis_target(redis_server: RedisServer) -> RedisTarget:
    """The shared server and a key of this test's own."""
    redis_server.start()  # no-op unless something stopped it
    return RedisTarget(redis_server.url, f"fastapi_maintenance:cli-test:{uuid.uuid4().hex}")


@pytest.fixture
def unreachable_redis_url() -> str:
    """A Redis URL, with a password, on a loopback port where nothing listens."""
    return f"redis://:hunter2-not-printed@127.0.0.1:{free_port()}/0"
