"""An admin token of the wrong shape is a usage error before any request, and is never echoed."""

from __future__ import annotations

import pytest

from fastapi_maintenance.admin.client import AdminApiBackend
from fastapi_maintenance.cli.app import app
from tests.support.cli_runner import separate_streams_runner

BAD_TOKENS = [
    "deploy-bot.s\u00e9cret-caf\u00e9",  # non-ASCII secret: an HTTP header cannot carry it
    "d\u00e9ploy.some-secret-value",  # non-ASCII name
    "deploy-bot.some\x01secret",  # control character
    "deploy-bot.some secret",  # inner space
    "just-some-secret-without-a-name",  # no NAME. part
    "deploy-bot.",  # no secret
    "bad name.some-secret-value",  # not a token name
]


@pytest.mark.parametrize("token", BAD_TOKENS)
@pytest.mark.parametrize("url", ["http://127.0.0.1:9/_maintenance", "https://app.example/_maintenance"])
def test_the_cli_exits_2_with_one_line_that_does_not_show_the_token(token: str, url: str) -> None:
    result = separate_streams_runner().invoke(
        app,
        ["--url", url, "status"],
        env={"FASTAPI_MAINTENANCE_ADMIN_TOKEN": token},
        prog_name="fastapi-maintenance",
    )
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    assert "admin token" in lines[0]
    secret = token.partition(".")[2] or token
    assert secret.strip() not in result.stdout + result.stderr


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_the_backend_refuses_it_with_a_value_error(token: str) -> None:
    with pytest.raises(ValueError, match="admin token") as caught:
        AdminApiBackend("https://app.example/_maintenance", token)
    assert token not in str(caught.value)
