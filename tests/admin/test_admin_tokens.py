"""Named admin tokens: only hashes in the settings, the name bound into the hash, bad input refused at load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastapi_maintenance import MaintenanceConfigError, load_settings
from fastapi_maintenance.access.admin_tokens import (
    AdminTokens,
    hash_admin_token,
    new_admin_token,
    split_admin_token,
)


def test_a_new_token_is_identified_by_its_name_and_only_by_its_own_hash() -> None:
    deploy, other = new_admin_token("deploy-bot"), new_admin_token("other-bot")
    tokens = AdminTokens({"deploy-bot": hash_admin_token(deploy)})
    assert tokens.identify(deploy) == "deploy-bot"
    assert tokens.identify(deploy.encode()) == "deploy-bot"
    assert tokens.identify(other) is None, "a token of a name that is not configured"
    secret = deploy.split(".", 1)[1]
    assert tokens.identify(f"other-bot.{secret}") is None, "the secret under another name"
    assert tokens.identify(deploy + "x") is None
    assert tokens.identify(secret) is None, "the secret alone"
    assert tokens.identify("") is None
    assert tokens.identify(None) is None


def test_two_tokens_of_one_name_differ_and_the_hash_never_contains_the_token() -> None:
    first, second = new_admin_token("ci"), new_admin_token("ci")
    assert first != second
    assert len(first.split(".", 1)[1]) >= 43, "32 random bytes"
    stored = hash_admin_token(first)
    assert stored.startswith("sha256:")
    assert len(stored) == 7 + 64
    assert first.split(".", 1)[1] not in stored


@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_arbitrary_input_is_refused_without_raising(candidate: object) -> None:
    tokens = AdminTokens({"deploy-bot": hash_admin_token(new_admin_token("deploy-bot"))})
    assert tokens.identify(candidate) is None  # type: ignore[arg-type]
    split_admin_token(candidate)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("hashes", "fragment"),
    [
        ({"deploy-bot": "sha256:abc"}, "is not a token hash"),
        ({"deploy-bot": "md5:" + "a" * 32}, "is not a token hash"),
        ({"deploy-bot": "SHA256:" + "A" * 64}, "is not a token hash"),
        (
            {"deploy-bot": "deploy-bot.plain-token-in-the-settings"},
            r"looks like a token \(NAME\.SECRET\), not its hash",
        ),
        ({"bad name": "sha256:" + "a" * 64}, "token name 'bad name' is not valid"),
    ],
)
def test_bad_hashes_and_names_are_refused(hashes: dict[str, str], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        AdminTokens(hashes)


def test_the_settings_section_from_a_file_and_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = hash_admin_token(new_admin_token("deploy-bot"))
    config = tmp_path / "maintenance.toml"
    config.write_text(f'[admin]\ntokens = {{ deploy-bot = "{digest}" }}\n', encoding="utf-8")
    settings = load_settings(config)
    assert settings.admin is not None
    assert settings.admin.tokens == {"deploy-bot": digest}

    monkeypatch.setenv("FASTAPI_MAINTENANCE_ADMIN__TOKENS", json.dumps({"ci": digest}))
    from_env = load_settings()
    assert from_env.admin is not None
    assert from_env.admin.tokens == {"ci": digest}


def test_a_hash_in_the_wrong_format_fails_loading_naming_the_key_and_the_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_ADMIN__TOKENS", '{"deploy-bot": "sha256:1234"}')
    with pytest.raises(MaintenanceConfigError) as caught:
        load_settings()
    text = str(caught.value)
    assert "admin.tokens.deploy-bot" in text
    assert "FASTAPI_MAINTENANCE_ADMIN__TOKENS" in text
    assert "not a token hash" in text


def test_tokens_given_as_text_that_is_not_a_json_table_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_ADMIN__TOKENS", '["sha256:x"]')
    with pytest.raises(MaintenanceConfigError, match="JSON table"):
        load_settings()
