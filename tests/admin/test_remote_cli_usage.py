"""--url's usage errors: refused before any request is made (exit 2, one line), never sent anywhere."""

from __future__ import annotations

from typing import Dict, List

import pytest

from fastapi_maintenance.cli.app import app
from tests.support.cli_runner import separate_streams_runner

TOKEN = {"FASTAPI_MAINTENANCE_ADMIN_TOKEN": "deploy-bot.some-secret"}


@pytest.mark.parametrize(
    ("argv", "env", "fragment"),
    [
        (["--url", "https://app.example/_maintenance", "on"], {}, "FASTAPI_MAINTENANCE_ADMIN_TOKEN"),
        (["--url", "http://app.example/_maintenance", "status"], TOKEN, "use https://"),
        (["--url", "ftp://app.example/_maintenance", "status"], TOKEN, "must be an http(s) URL"),
        (["--url", "https://user:pw@app.example/_m", "status"], TOKEN, "must not carry credentials"),
        (["--url", "https://app.example/_m", "--config", "m.toml", "status"], TOKEN, "--config cannot be"),
        (["--url", "https://app.example/_m", "status", "--app", "main:app"], TOKEN, "--app cannot be"),
        (["--url", "https://app.example/_m", "check"], TOKEN, "check validates settings on this machine"),
    ],
)
def test_refused_before_any_request(argv: List[str], env: Dict[str, str], fragment: str) -> None:
    result = separate_streams_runner().invoke(app, argv, env=env, prog_name="fastapi-maintenance")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    assert fragment in lines[0]
    assert "some-secret" not in result.stderr, "the token is never echoed"
