"""The admin API under a real uvicorn on 127.0.0.1: switching with httpx and the CLI, refusals, start-up errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Dict, List, Optional

import httpx
import pytest

from fastapi_maintenance.access.admin_tokens import hash_admin_token, new_admin_token
from tests.admin.conftest import Served, bearer, served_admin_app, start_failure, write_settings
from tests.support.cli import Ran, run_cli_process

pytestmark = pytest.mark.http


def test_switching_with_a_valid_token_over_http(served: Served) -> None:
    assert httpx.get(served.url + "/").status_code == 200
    answer = httpx.put(
        served.admin_url + "/",
        headers=bearer(served.token),
        json={"active": True, "message": "Back at 03:00", "duration": 600, "reason": "deploy 17"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["active"] is True
    assert body["actor"] == "deploy-bot"
    assert body["backend"].startswith("file:")
    assert body["reachable"] is True
    assert json.loads(served.state_file.read_text())["message"] == "Back at 03:00"
    blocked = httpx.get(served.url + "/")
    assert blocked.status_code == 503
    assert blocked.json()["detail"] == "Back at 03:00"
    assert (
        httpx.get(served.admin_url + "/", headers=bearer(served.token)).json()["message"] == "Back at 03:00"
    )
    off = httpx.delete(served.admin_url + "/", headers=bearer(served.token))
    assert off.json()["active"] is False
    assert httpx.get(served.url + "/").status_code == 200
    audit = served.audit_lines()
    assert len(audit) == 2, audit
    assert all("actor=deploy-bot" in line for line in audit), audit
    assert "by deploy-bot" in audit[0]


def test_every_way_in_without_a_valid_token_is_refused_and_changes_nothing(served: Served) -> None:
    other = new_admin_token("other-bot")
    secret = served.token.split(".", 1)[1]
    attempts: List[Optional[Dict[str, str]]] = [
        None,
        {"Authorization": f"Basic {served.token}"},
        {"Authorization": f"Token {served.token}"},
        {"Authorization": "Bearer deploy-bot.not-the-secret"},
        {"Authorization": f"Bearer {other}"},
        {"Authorization": f"Bearer other-bot.{secret}"},
        {"Authorization": f"Bearer {hash_admin_token(served.token)}"},
    ]
    before = served.state_file.read_text()
    for headers in attempts:
        for method in ("PUT", "DELETE", "GET"):
            answer = httpx.request(
                method,
                served.admin_url + "/",
                headers=headers,
                json={"active": True} if method == "PUT" else None,
            )
            assert answer.status_code == 401, (headers, method, answer.text)
            assert answer.headers["www-authenticate"].startswith("Bearer")
    assert served.state_file.read_text() == before
    assert httpx.get(served.url + "/").status_code == 200
    assert served.audit_lines() == []


def test_the_openapi_document_has_the_routes(served: Served) -> None:
    document = httpx.get(served.url + "/openapi.json").json()
    assert set(document["paths"]["/_maintenance/"]) == {"get", "put", "delete"}
    assert "SwitchRequest" in document["components"]["schemas"]


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        ({}, "admin.tokens is empty"),
        ({"deploy-bot": "sha256:0123"}, "admin.tokens.deploy-bot"),
        ({"deploy-bot": "plain-secret-in-the-settings"}, "is not a token hash"),
    ],
)
def test_no_usable_token_stops_the_server_at_start_up_and_changes_nothing(
    tmp_path: Path, tokens: Dict[str, str], expected: str
) -> None:
    config = write_settings(tmp_path, tokens)
    (tmp_path / "state").write_text("0", encoding="utf-8")
    result = start_failure(tmp_path, config)
    assert result.returncode != 0
    assert "MaintenanceConfigError" in result.stderr
    assert expected in result.stderr
    assert (tmp_path / "state").read_text() == "0"


def _cli(args: List[str], token: Optional[str], cwd: Path) -> Ran:
    env = {"NO_COLOR": "1"}
    if token is not None:
        env["FASTAPI_MAINTENANCE_ADMIN_TOKEN"] = token
    return run_cli_process(args, cwd=cwd, env=env, command=[sys.executable, "-m", "fastapi_maintenance"])


def test_the_cli_switches_the_served_app_remotely(served: Served, tmp_path: Path) -> None:
    url = served.admin_url
    on = _cli(
        ["--url", url, "on", "--message", "Upgrading", "--for", "30m", "--json"], served.token, tmp_path
    )
    assert on.exit_code == 0, on.stderr
    result = json.loads(on.stdout)
    assert result["maintenance"] is True
    assert result["previous"] is False
    assert httpx.get(served.url + "/").json()["detail"] == "Upgrading"

    status = _cli(["--url", url, "status", "--json"], served.token, tmp_path)
    assert status.exit_code == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["maintenance"] is True
    assert report["record"]["message"] == "Upgrading"
    assert report["record"]["actor"] == "deploy-bot", "the admin API names the actor: the token"

    off = _cli(["--url", url, "off"], served.token, tmp_path)
    assert off.exit_code == 0, off.stderr
    assert "on -> off" in off.stdout
    assert httpx.get(served.url + "/").status_code == 200
    assert [line.split(" | ")[1].split()[0] for line in served.audit_lines()] == ["actor=deploy-bot"] * 2


def test_the_cli_without_a_valid_token_fails_with_the_contracts_exit_codes(
    served: Served, tmp_path: Path
) -> None:
    missing = _cli(["--url", served.admin_url, "on"], None, tmp_path)
    assert missing.exit_code == 2
    assert "FASTAPI_MAINTENANCE_ADMIN_TOKEN" in missing.stderr
    wrong = _cli(["--url", served.admin_url, "on"], new_admin_token("deploy-bot"), tmp_path)
    assert wrong.exit_code == 3
    assert "refused the token" in wrong.stderr
    plain_http = _cli(["--url", "http://app.example/_maintenance", "status"], served.token, tmp_path)
    assert plain_http.exit_code == 2
    assert "https" in plain_http.stderr
    assert served.state_file.read_text() == "0"
    assert httpx.get(served.url + "/").status_code == 200


def test_the_cli_sees_the_apps_hard_switch_and_windows_through_the_api(tmp_path: Path) -> None:
    settings = (
        "enabled = false\n"
        '[[windows]]\nstart = 2031-01-02T01:00:00Z\nend = 2031-01-02T03:00:00Z\nmessage = "Upgrade"\n'
    )
    with served_admin_app(tmp_path, settings=settings) as served:
        view = httpx.get(served.admin_url + "/", headers=bearer(served.token)).json()
        assert view["hard_switch"] is False
        assert [window["message"] for window in view["windows"]] == ["Upgrade"]
        refused = _cli(["--url", served.admin_url, "on"], served.token, tmp_path)
        assert refused.exit_code == 4, refused.stderr
        assert "nothing was written" in refused.stderr
        assert served.state_file.read_text() == "0"
        status = _cli(["--url", served.admin_url, "status"], served.token, tmp_path)
        assert status.exit_code == 0, status.stderr
        assert "forced by the app's hard switch (enabled = false)" in status.stdout
        assert "2031-01-02T01:00:00+00:00" in status.stdout, "the next window, from the app's settings"
