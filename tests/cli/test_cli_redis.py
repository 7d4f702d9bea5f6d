"""The commands in-process against a real redis-server on 127.0.0.1: state written where every worker
reads it, the backend closed after each command, and an unreachable server as exit 3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, List

import pytest
import redis

from fastapi_maintenance.backends.redis import RedisBackend
from fastapi_maintenance.cli.errors import EXIT_BACKEND_UNAVAILABLE, EXIT_OK, EXIT_USAGE
from tests.support.processes import write_config

from .conftest import RedisTarget, RunCli

pytestmark = [pytest.mark.redis, pytest.mark.timeout(60)]


def stored(target: RedisTarget) -> Any:
    client = redis.Redis.from_url(target.url)
    try:
        return client.get(target.key)
    finally:
        client.close()


def test_status_on_off_check_through_a_redis_config(
    run_cli: RunCli, tmp_path: Path, redis_target: RedisTarget
) -> None:
    write_config(tmp_path, redis_target.config_text())
    port = redis_target.url.split(":")[2].split("/")[0]
    described = f"redis://127.0.0.1:{port}/0 key={redis_target.key}"

    status = run_cli("status", "--json")
    assert status.exit_code == EXIT_OK
    assert json.loads(status.stdout)["backend"] == described
    assert json.loads(status.stdout)["maintenance"] is False

    on = run_cli("on")
    assert on.exit_code == EXIT_OK
    assert on.stdout.strip() == f"maintenance mode: off -> on ({described})"
    assert stored(redis_target) == b"1"
    assert "maintenance mode: on" in run_cli("status").stdout

    off = run_cli("off")
    assert off.stdout.strip() == f"maintenance mode: on -> off ({described})"
    assert stored(redis_target) == b"0"
    assert json.loads(run_cli("status", "--json").stdout)["backend_state"] is False

    check = run_cli("check", "--json")
    assert check.exit_code == EXIT_OK
    assert json.loads(check.stdout)["settings"]["backend"]["value"] == described


def test_backend_flag_takes_a_redis_url(run_cli: RunCli, redis_server: Any) -> None:
    ran = run_cli("status", "--backend", redis_server.url, "--json")
    assert ran.exit_code == EXIT_OK
    assert json.loads(ran.stdout)["backend"].startswith(f"{redis_server.url} key=")


def test_every_command_closes_the_redis_backend(
    run_cli: RunCli, tmp_path: Path, redis_target: RedisTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: List[str] = []
    original = RedisBackend.aclose

    async def recording_aclose(self: RedisBackend) -> None:
        closed.append(self.key)
        await original(self)

    monkeypatch.setattr(RedisBackend, "aclose", recording_aclose)
    write_config(tmp_path, redis_target.config_text())
    for command in ("status", "on", "off", "check"):
        before = len(closed)
        assert run_cli(command).exit_code == EXIT_OK, command
        assert closed[before:] == [redis_target.key], command


@pytest.mark.parametrize(("command", "verb"), [("status", "read"), ("on", "write"), ("off", "write")])
def test_unreachable_redis_is_one_line_and_exit_3(
    run_cli: RunCli, unreachable_redis_url: str, command: str, verb: str
) -> None:
    ran = run_cli(command, "--backend", unreachable_redis_url)
    assert ran.exit_code == EXIT_BACKEND_UNAVAILABLE
    line = ran.error_line()
    direction = "from" if verb == "read" else "to"
    assert f"cannot {verb} the maintenance state {direction} redis://127.0.0.1:" in line
    assert "hunter2" not in ran.stdout + ran.stderr
    assert ran.stdout == ""


def test_check_does_not_need_a_reachable_redis(run_cli: RunCli, unreachable_redis_url: str) -> None:
    ran = run_cli("check", "--backend", unreachable_redis_url)
    assert ran.exit_code == EXIT_OK
    assert "hunter2" not in ran.stdout


def test_status_json_of_an_unreachable_redis_prints_nothing_on_stdout(
    run_cli: RunCli, unreachable_redis_url: str
) -> None:
    ran = run_cli("status", "--json", "--backend", unreachable_redis_url)
    assert ran.exit_code == EXIT_BACKEND_UNAVAILABLE
    assert ran.stdout == ""


def test_redis_flags_do_not_mix_with_file_flags(run_cli: RunCli, redis_target: RedisTarget) -> None:
    ran = run_cli("on", "--backend", redis_target.url, "--var-name", "X")
    assert ran.exit_code == EXIT_USAGE
    assert stored(redis_target) is None
