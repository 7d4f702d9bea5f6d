"""Tokens and Redis credentials never reach the command's output, valid or not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fastapi_maintenance.access.admin_tokens import AdminTokens, hash_admin_token, new_admin_token
from fastapi_maintenance.cli.errors import EXIT_CONFIG_ERROR, EXIT_OK
from fastapi_maintenance.errors import MaintenanceConfigError
from fastapi_maintenance.settings import load_settings
from fastapi_maintenance.settings.backend import redact_url_credentials
from tests.support.processes import write_config

from .conftest import RunCli

TOKEN = new_admin_token("deploy-bot")
SECRET = TOKEN.split(".", 1)[1]
LOOKS_LIKE = "looks like a token (NAME.SECRET), not its hash"


def test_a_token_pasted_as_its_hash_is_never_echoed() -> None:
    with pytest.raises(ValueError, match="looks like a token") as caught:
        AdminTokens({"deploy-bot": TOKEN})
    assert SECRET not in str(caught.value)
    assert LOOKS_LIKE in str(caught.value)


def test_any_bad_hash_value_is_never_echoed() -> None:
    with pytest.raises(ValueError, match="not a token hash") as caught:
        AdminTokens({"deploy-bot": "hunter2-not-a-hash"})
    assert "hunter2" not in str(caught.value)
    assert "is not a token hash" in str(caught.value)


def test_loading_settings_with_a_pasted_token_names_the_key_not_the_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_ADMIN__TOKENS", json.dumps({"deploy-bot": TOKEN}))
    with pytest.raises(MaintenanceConfigError) as caught:
        load_settings()
    text = str(caught.value)
    assert SECRET not in text
    assert "admin.tokens.deploy-bot" in text
    assert LOOKS_LIKE in text


def test_check_with_a_pasted_token_in_the_file_fails_without_showing_it(
    run_cli: RunCli, tmp_path: Path
) -> None:
    write_config(tmp_path, f'[admin]\ntokens = {{ deploy-bot = "{TOKEN}" }}\n')
    for args in (("check",), ("check", "--json")):
        ran = run_cli(*args)
        assert ran.exit_code == EXIT_CONFIG_ERROR
        assert SECRET not in ran.stdout + ran.stderr
        assert LOOKS_LIKE in ran.stdout + ran.stderr


def test_check_hides_the_configured_hashes(run_cli: RunCli, tmp_path: Path) -> None:
    digest = hash_admin_token(TOKEN)
    write_config(tmp_path, f'[admin]\ntokens = {{ deploy-bot = "{digest}" }}\n')
    for args in (("check",), ("check", "--json")):
        ran = run_cli(*args)
        assert ran.exit_code == EXIT_OK, ran.stderr
        assert digest[len("sha256:") :] not in ran.stdout + ran.stderr


@pytest.mark.parametrize(
    "url",
    [
        "redis://cache:6379/0?password=hunter2secret",
        "redis://cache:6379/0?username=hunter2secret&password=hunter2secret",
        "redis://cache:6379/0?db=1&PASSWORD=hunter2secret&socket_timeout=2",
    ],
)
def test_redis_query_credentials_are_redacted(url: str) -> None:
    redacted = redact_url_credentials(f"backend {url!r} is wrong")
    assert "hunter2secret" not in redacted
    assert "=***" in redacted


def test_a_bad_redis_url_with_a_query_password_is_named_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_BACKEND", "redis://cache:badport/0?password=hunter2secret")
    with pytest.raises(MaintenanceConfigError) as caught:
        load_settings()
    assert "hunter2secret" not in str(caught.value)
    assert "password=***" in str(caught.value)
