"""docs/admin.md and docs/metrics.md: the admin API, its tokens, the remote CLI, the app's own auth, metrics."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from fastapi_maintenance import MaintenanceConfigError, load_settings
from fastapi_maintenance.access.admin_tokens import AdminTokens, hash_admin_token, new_admin_token
from fastapi_maintenance.admin.models import MaintenanceStateOut
from tests.docs.markdown_blocks import doc_block
from tests.docs.runner import client, load_block, run_python
from tests.docs.shell import run_block
from tests.support.servers import uvicorn_server

PAGE = "docs/admin.md"
METRICS = "docs/metrics.md"


def _allow(monkeypatch: pytest.MonkeyPatch, name: str = "deploy-bot") -> str:
    token = new_admin_token(name)
    monkeypatch.setenv("FASTAPI_MAINTENANCE_ADMIN__TOKENS", json.dumps({name: hash_admin_token(token)}))
    return token


@pytest.mark.anyio
async def test_the_app_refuses_to_start_without_tokens_and_switches_with_one(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(MaintenanceConfigError, match="no way to authenticate"):
        run_python(PAGE, "app")
    token = _allow(monkeypatch)
    app = run_python(PAGE, "app")["app"]
    async with client(app) as http:
        assert (await http.put("/_maintenance/", json={"active": True})).status_code == 401
        switched = await http.put(
            "/_maintenance/",
            headers={"Authorization": f"Bearer {token}"},
            json={"active": True, "message": "Database upgrade, back at 03:00", "duration": 1800},
        )
        assert switched.status_code == 200
        assert (await http.get("/")).status_code == 503
        answer = MaintenanceStateOut.model_validate(switched.json())
        assert answer.actor == "deploy-bot"


def test_admin_token_prints_a_token_that_its_settings_line_allows(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_block(doc_block(PAGE, "admin-token"), sandbox, monkeypatch)
    (run,) = result.cli_runs
    token = re.search(r"^\s+(deploy-bot\.\S+)$", run.stdout, flags=re.MULTILINE)
    assert token is not None, run.stdout
    settings_lines = [
        line.strip() for line in run.stdout.splitlines() if line.strip().startswith(("[admin]", "tokens ="))
    ]
    config = sandbox / "maintenance.toml"
    config.write_text("\n".join(settings_lines) + "\n", encoding="utf-8")
    settings = load_settings(config)
    assert settings.admin is not None
    assert AdminTokens(settings.admin.tokens).identify(token.group(1)) == "deploy-bot"
    assert token.group(1).split(".", 1)[1] not in config.read_text(), "the settings hold only the hash"


def test_the_settings_block_loads(sandbox: Path) -> None:
    settings, _ = load_block(PAGE, "settings", sandbox)
    assert settings.admin is not None
    assert list(settings.admin.tokens) == ["deploy-bot"]


def test_the_answer_block_is_what_the_api_answers() -> None:
    shown = json.loads(doc_block(PAGE, "answer").code)
    assert set(shown) == set(MaintenanceStateOut.model_fields)
    MaintenanceStateOut.model_validate(shown)


@pytest.mark.http
def test_curl_and_the_remote_cli_against_a_served_app(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (sandbox / "main.py").write_text(doc_block(PAGE, "app").code, encoding="utf-8")
    token = new_admin_token("deploy-bot")
    env = {"FASTAPI_MAINTENANCE_ADMIN__TOKENS": json.dumps({"deploy-bot": hash_admin_token(token)})}
    run_block(doc_block(PAGE, "curl"), sandbox, monkeypatch)  # the lines' form; the calls are made below
    with uvicorn_server("main:app", cwd=sandbox, env=env) as url:
        bearer = {"Authorization": f"Bearer {token}"}
        for line in doc_block(PAGE, "curl").code.splitlines():
            method = "PUT" if "-X PUT" in line else "DELETE" if "-X DELETE" in line else "GET"
            body = re.search(r"-d '([^']*)'", line)
            answer = httpx.request(
                method,
                url + "/_maintenance/",
                headers=bearer,
                json=json.loads(body.group(1)) if body else None,
            )
            assert answer.status_code == 200, (line, answer.text)
        block = doc_block(PAGE, "remote-cli")
        port = url.rsplit(":", 1)[1]
        local = dataclasses.replace(
            block,
            code=f"export FASTAPI_MAINTENANCE_ADMIN_TOKEN={token}\n"
            + block.code.replace("127.0.0.1:8000", f"127.0.0.1:{port}"),
        )
        result = run_block(local, sandbox, monkeypatch)
        on, status, off = result.cli_runs
        assert "off -> on" in on.stdout
        assert "on" in status.stdout.splitlines()[0]
        assert "on -> off" in off.stdout
        assert json.loads((sandbox / "maintenance_mode.txt").read_text())["actor"] == "deploy-bot"


@pytest.mark.anyio
async def test_the_apps_own_auth(sandbox: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = run_python(PAGE, "own-auth")["app"]
    caplog.set_level(logging.INFO, logger="fastapi_maintenance.audit")
    async with client(app) as http:
        assert (await http.put("/_maintenance/", json={"active": True})).status_code == 403
        switched = await http.put("/_maintenance/", headers={"x-api-key": "k-7f3a9c"}, json={"active": True})
        assert switched.json()["actor"] == "alice"
        assert (await http.get("/")).status_code == 404, "no route: the app's own 404"
    assert [getattr(record, "actor", None) for record in caplog.records] == ["alice"]


@pytest.mark.anyio
async def test_the_metrics_page_app_counts_maintenance_responses(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_block(doc_block(METRICS, "install"), sandbox, monkeypatch)
    registered = set(REGISTRY._names_to_collectors)  # the page registers on the default registry
    try:
        app: FastAPI = run_python(METRICS, "app")["app"]

        @app.get("/orders")
        async def orders() -> list[int]:
            return [1]

        (sandbox / "maintenance_mode.txt").write_text("1", encoding="utf-8")
        async with client(app) as http:
            for _ in range(3):
                assert (await http.get("/orders")).status_code == 503
            assert (await http.get("/anything")).status_code == 404
            exposition = (await http.get("/metrics")).text
    finally:
        for name, collector in list(REGISTRY._names_to_collectors.items()):
            if name not in registered:
                with contextlib.suppress(KeyError):
                    REGISTRY.unregister(collector)
    assert 'fastapi_maintenance_responses_total{reason="backend"} 3.0' in exposition
    assert 'fastapi_maintenance_exemptions_total{reason="route_forced_off"} 1.0' in exposition, (
        "the scrape itself"
    )
