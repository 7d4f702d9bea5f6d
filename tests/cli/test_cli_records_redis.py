"""``on``/``off`` with fields through a Redis config: the record stored whole, ``status`` reading it back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis

from fastapi_maintenance.cli.errors import EXIT_OK
from fastapi_maintenance.cli.switch_fields import default_actor
from fastapi_maintenance.record import decode_record
from tests.support.processes import write_config

from .conftest import RedisTarget, RunCli

pytestmark = [pytest.mark.redis, pytest.mark.timeout(60)]


def stored_text(target: RedisTarget) -> str:
    client = redis.Redis.from_url(target.url)
    try:
        value = client.get(target.key)
    finally:
        client.close()
    assert isinstance(value, bytes)
    return value.decode()


def test_a_record_through_redis(run_cli: RunCli, tmp_path: Path, redis_target: RedisTarget) -> None:
    write_config(tmp_path, redis_target.config_text())
    on = run_cli("on", "--message", "Upgrade", "--for", "2h", "--reason", "PG 17")
    assert on.exit_code == EXIT_OK, on.stderr
    record = decode_record(stored_text(redis_target))
    assert (record.message, record.reason, record.actor) == ("Upgrade", "PG 17", default_actor())
    assert record.until is not None
    status = json.loads(run_cli("status", "--json").stdout)
    assert status["record"]["message"] == "Upgrade"
    assert status["record"]["until"] == record.until.isoformat()
    assert 7190 <= status["record"]["seconds_left"] <= 7200
    off = run_cli("off")
    assert off.exit_code == EXIT_OK
    assert stored_text(redis_target) == "0", "a bare off is stored as before"
