"""Fixtures for the CLI tests: an isolated working folder, the CLI run in-process and as a real process,
and a private redis-server on 127.0.0.1 (skipped with an install hint when the binary is missing)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Mapping, Optional, Sequence

import pytest

from fastapi_maintenance.cli.app import app
from tests.redis_support import RedisServer, free_port, running_redis
from tests.support.cli_runner import separate_streams_runner

REPO_ROOT = Path(__file__).resolve().parents[2]
ANSI_ESCAPE = "\x1b["


@dataclass(frozen=True)
class Ran:
    """One run of the command: exit code and the two streams, separately."""

    exit_code: int
    stdout: str
    stderr: str

    def error_line(self) -> str:
        """The single ``error: ...`` line on stderr; fails unless that is all stderr holds."""
        lines = self.stderr.splitlines()
        assert len(lines) == 1, f"expected one line on stderr, got {lines!r} (stdout {self.stdout!r})"
        assert lines[0].startswith("error: "), lines[0]
        assert "Traceback" not in self.stderr
        return lines[0]


RunCli = Callable[..., Ran]


@pytest.fixture(autouse=True)
def _isolated_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test runs in its own empty folder, so ./maintenance.toml is only there when the test writes it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def run_cli() -> RunCli:
    """Run the command in this process through Typer's CliRunner (bugs raise, they are not swallowed)."""
    runner = separate_streams_runner()

    def run(*args: str, env: Optional[Mapping[str, Optional[str]]] = None) -> Ran:
        result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
        ran = Ran(result.exit_code, result.stdout, result.stderr)
        assert ANSI_ESCAPE not in ran.stdout + ran.stderr, "colour codes in output that is not a terminal"
        return ran

    return run


def cli_command() -> List[str]:
    """The console script installed for this interpreter (else on PATH), else ``python -m fastapi_maintenance``."""
    beside = Path(sys.executable).parent / "fastapi-maintenance"
    script = str(beside) if beside.is_file() else shutil.which("fastapi-maintenance")
    return [script] if script is not None else [sys.executable, "-m", "fastapi_maintenance"]


def process_env(extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """This environment without FASTAPI_MAINTENANCE_* or colour settings, plus ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("FASTAPI_MAINTENANCE_") and key not in ("NO_COLOR", "FORCE_COLOR")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def run_process(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Optional[Mapping[str, str]] = None,
    command: Optional[Sequence[str]] = None,
) -> Ran:
    """Run the command as a real process and wait for it (bounded)."""
    completed = subprocess.run(
        [*(command or cli_command()), *args],
        cwd=cwd,
        env=process_env(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Ran(completed.returncode, completed.stdout, completed.stderr)


def write_config(folder: Path, text: str, name: str = "maintenance.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One private redis-server on 127.0.0.1 for the CLI tests (no persistence)."""
    with running_redis(tmp_path_factory.mktemp("cli-redis")) as server:
        yield server


@dataclass(frozen=True)
class RedisTarget:
    url: str
    key: str

    def config_text(self) -> str:
        return f'backend = {{ type = "redis", url = "{self.url}", key = "{self.key}" }}\n'


@pytest.fixture
def redis_target(redis_server: RedisServer) -> RedisTarget:
    """The shared server and a key of this test's own."""
    redis_server.start()  # no-op unless something stopped it
    return RedisTarget(redis_server.url, f"fastapi_maintenance:cli-test:{uuid.uuid4().hex}")


@pytest.fixture
def unreachable_redis_url() -> str:
    """A Redis URL, with a password, on a loopback port where nothing listens."""
    return f"redis://:hunter2-not-printed@127.0.0.1:{free_port()}/0"
