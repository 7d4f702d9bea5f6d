"""The installed command as a real process: the missing extra, ``python -m``, failures, colour on a
terminal only, and ``on``/``status``/``off`` visibly switching a running uvicorn app (file and Redis).

Each launch costs an interpreter start and the package import, so the launches are few; the
commands are covered backend by backend in-process (test_cli_commands.py, test_cli_redis.py)."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import httpx
import pytest

from fastapi_maintenance.cli import MISSING_EXTRA_MESSAGE
from fastapi_maintenance.cli.errors import (
    EXIT_BACKEND_UNAVAILABLE,
    EXIT_CONFIG_ERROR,
    EXIT_OK,
    EXIT_USAGE,
)
from tests.support.cli import cli_command
from tests.support.cli import run_cli_process as run_process
from tests.support.processes import REPO_ROOT, write_config
from tests.support.processes import child_env as process_env
from tests.support.servers import uvicorn_server

from .conftest import ANSI_ESCAPE, RedisTarget

pytestmark = pytest.mark.timeout(90)

SERVED_APP = """
from fastapi import FastAPI

from fastapi_maintenance import MaintenanceModeMiddleware

app = FastAPI()
app.add_middleware(MaintenanceModeMiddleware)  # settings from FASTAPI_MAINTENANCE_CONFIG


@app.get("/")
def home() -> dict:
    return {"hello": "world"}
"""


# -- the missing extra, python -m --------------------------------------------------------


def test_console_script_without_typer_says_which_extra_to_install(tmp_path: Path) -> None:
    hide = tmp_path / "hide-typer"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text("import sys\nsys.modules['typer'] = None\n")
    env = {"PYTHONPATH": f"{hide}{os.pathsep}{process_env()['PYTHONPATH']}"}
    ran = run_process(["status"], cwd=tmp_path, env=env)
    assert ran.exit_code == 1
    assert ran.stderr.splitlines() == [MISSING_EXTRA_MESSAGE]
    assert 'pip install "fastapi-maintenance[cli]"' in ran.stderr
    assert ran.stdout == ""


def test_python_dash_m_runs_the_same_command(tmp_path: Path) -> None:
    ran = run_process(["schema"], cwd=tmp_path, command=[sys.executable, "-m", "fastapi_maintenance"])
    assert ran.exit_code == EXIT_OK
    assert ran.stdout == (REPO_ROOT / "schemas" / "maintenance.schema.json").read_text(encoding="utf-8")


# -- commands and failures as processes (file and redis: see the running-app tests below) ------------


def test_env_backend_as_a_process(tmp_path: Path) -> None:
    status = run_process(["status", "--json"], cwd=tmp_path, env={"FASTAPI_MAINTENANCE_MODE": "on"})
    assert status.exit_code == EXIT_OK
    assert json.loads(status.stdout)["maintenance"] is True
    on = run_process(["--backend", "env", "--var-name", "SHOP_DOWN", "on"], cwd=tmp_path)
    assert on.exit_code == EXIT_USAGE
    assert "env backend (env:SHOP_DOWN) is read-only" in on.error_line()
    check = run_process(["check"], cwd=tmp_path)
    assert check.exit_code == EXIT_OK
    assert check.stdout.startswith("configuration OK")


def test_a_bad_config_as_a_process_is_one_line_and_exit_1(tmp_path: Path) -> None:
    write_config(tmp_path, "[response]\nstatus_code = 99\n")
    ran = run_process(["check"], cwd=tmp_path)
    assert ran.exit_code == EXIT_CONFIG_ERROR
    assert "response.status_code = 99" in ran.error_line()
    assert ran.stdout == ""


def test_an_unreadable_state_file_as_a_process_is_exit_3(tmp_path: Path) -> None:
    ran = run_process(["status", "--file-path", str(tmp_path)], cwd=tmp_path)
    assert ran.exit_code == EXIT_BACKEND_UNAVAILABLE
    assert f"cannot read the maintenance state from file://{tmp_path}" in ran.error_line()


@pytest.mark.redis
def test_an_unreachable_redis_as_a_process_is_exit_3(tmp_path: Path, unreachable_redis_url: str) -> None:
    ran = run_process(["on", "--backend", unreachable_redis_url], cwd=tmp_path)
    assert ran.exit_code == EXIT_BACKEND_UNAVAILABLE
    assert "cannot write the maintenance state to redis://127.0.0.1:" in ran.error_line()
    assert "hunter2" not in ran.stderr


# -- colour only on a terminal -------------------------------------------------------------


def run_on_terminal(args: List[str], cwd: Path, env: Optional[Dict[str, str]] = None) -> str:
    """Run with stdout and stderr on a pseudo-terminal; return everything it printed."""
    leader, follower = pty.openpty()
    environment = process_env({"TERM": "xterm-256color", **(env or {})})
    try:
        process = subprocess.Popen(
            [*cli_command(), *args], cwd=cwd, env=environment, stdout=follower, stderr=follower
        )
    finally:
        os.close(follower)
    chunks: List[bytes] = []
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    data = os.read(leader, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif process.poll() is not None:
                break
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
        os.close(leader)
    return b"".join(chunks).decode(errors="replace")


def test_colour_on_a_terminal_none_with_no_color_or_json(tmp_path: Path) -> None:
    env = {"FASTAPI_MAINTENANCE_MODE": "1"}
    coloured = run_on_terminal(["status"], tmp_path, env)
    assert "maintenance mode:" in coloured
    assert ANSI_ESCAPE in coloured
    plain = run_on_terminal(["status"], tmp_path, {**env, "NO_COLOR": "1"})
    assert "maintenance mode:" in plain
    assert ANSI_ESCAPE not in plain
    as_json = run_on_terminal(["status", "--json"], tmp_path, env)
    assert ANSI_ESCAPE not in as_json
    assert json.loads(as_json)["maintenance"] is True


# -- a running app follows on/off ---------------------------------------------------------------


def wait_for_status(url: str, expected: int, within: float = 10.0) -> httpx.Response:
    deadline = time.monotonic() + within
    response = httpx.get(url, timeout=5)
    while response.status_code != expected:
        if time.monotonic() > deadline:
            pytest.fail(f"{url} answered {response.status_code}, not {expected}, within {within}s")
        time.sleep(0.05)
        response = httpx.get(url, timeout=5)
    return response


def switch_a_running_app(tmp_path: Path, config_text: str) -> None:
    (tmp_path / "served_app.py").write_text(SERVED_APP)
    config = write_config(tmp_path, config_text)
    env = {"FASTAPI_MAINTENANCE_CONFIG": str(config)}
    with uvicorn_server("served_app:app", cwd=tmp_path, env=env) as base_url:
        assert httpx.get(base_url + "/", timeout=5).json() == {"hello": "world"}

        on = run_process(["on"], cwd=tmp_path, env=env)
        assert on.exit_code == EXIT_OK, on.stderr
        assert "off -> on" in on.stdout
        blocked = wait_for_status(base_url + "/", 503)
        assert "Retry-After" in blocked.headers
        status = run_process(["status", "--json"], cwd=tmp_path, env=env)
        assert status.exit_code == EXIT_OK
        assert json.loads(status.stdout)["maintenance"] is True

        off = run_process(["off"], cwd=tmp_path, env=env)
        assert off.exit_code == EXIT_OK, off.stderr
        assert "on -> off" in off.stdout
        assert wait_for_status(base_url + "/", 200).json() == {"hello": "world"}


@pytest.mark.http
def test_on_and_off_switch_a_running_app_through_a_state_file(tmp_path: Path) -> None:
    switch_a_running_app(tmp_path, f'backend = {{ type = "file", path = "{tmp_path / "state"}" }}\n')


@pytest.mark.http
@pytest.mark.redis
def test_on_and_off_switch_a_running_app_through_redis(tmp_path: Path, redis_target: RedisTarget) -> None:
    switch_a_running_app(tmp_path, redis_target.config_text())
