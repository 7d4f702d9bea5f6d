"""README.md: every example runs and does what the text around it says."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi import FastAPI

from fastapi_maintenance import MaintenanceConfigError
from fastapi_maintenance.access.admin_tokens import hash_admin_token, new_admin_token
from fastapi_maintenance.settings.files import parse_toml
from tests.docs.markdown_blocks import ROOT, doc_block
from tests.docs.runner import MAINTENANCE_BODY, client, run_python
from tests.docs.shell import logical_lines, run_block

README = "README.md"


@pytest.mark.anyio
async def test_quick_start_follows_the_environment_variable(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = run_python(README, "quick-start-1")["app"]
    async with client(app) as http:
        assert (await http.get("/")).json() == {"message": "Hello World"}
        monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
        response = await http.get("/")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "3600"
    assert response.headers["cache-control"] == "no-store"
    # The JSON block after "Every route now answers" is the exact body.
    assert response.text == doc_block(README, "quick-start-3").code.strip()
    assert json.loads(doc_block(README, "quick-start-3").code) == json.loads(MAINTENANCE_BODY)


def test_quick_start_shell_lines(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_block(doc_block(README, "quick-start-2"), sandbox, monkeypatch)
    assert result.exported == {"FASTAPI_MAINTENANCE_MODE": "1"}


@pytest.mark.anyio
async def test_switch_over_http_with_a_token(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MaintenanceConfigError, match="no way to authenticate"):
        run_python(README, "quick-start-4")
    token = new_admin_token("deploy-bot")
    monkeypatch.setenv(
        "FASTAPI_MAINTENANCE_ADMIN__TOKENS", json.dumps({"deploy-bot": hash_admin_token(token)})
    )
    app = run_python(README, "quick-start-4")["app"]
    bearer = {"Authorization": f"Bearer {token}"}
    async with client(app) as http:
        assert (await http.put("/_maintenance/", json={"active": True})).status_code == 401
        assert not (sandbox / "maintenance_mode.txt").exists(), "a refused switch writes nothing"
        body = {"active": True, "message": "Back at 03:00", "duration": 1800}
        switched = await http.put("/_maintenance/", headers=bearer, json=body)
        assert switched.status_code == 200
        assert switched.json()["actor"] == "deploy-bot"
        assert json.loads((sandbox / "maintenance_mode.txt").read_text())["active"] is True
        assert (await http.get("/health")).json() == {"ok": True}, "forced off: served during maintenance"
        assert (await http.delete("/_maintenance/", headers=bearer)).status_code == 200
        assert (await http.get("/health")).status_code == 200
    assert json.loads((sandbox / "maintenance_mode.txt").read_text())["active"] is False


@pytest.mark.anyio
async def test_from_config_with_the_example_file(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(ROOT / "example.maintenance.toml", sandbox / "example.maintenance.toml")
    namespace = run_python(README, "quick-start-5")
    app: FastAPI = namespace["app"]

    @app.get("/orders")
    async def orders() -> list[int]:
        return [1]

    @app.get("/healthz")
    async def healthz() -> str:
        return "ok"

    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    async with client(app, peer="198.51.100.1") as outside:
        assert (await outside.get("/orders")).status_code == 503
        assert (await outside.get("/healthz")).status_code == 200, "exempt_paths in the example"
    async with client(app, peer="127.0.0.1") as local:
        # allowed_ips is commented out in the example: a newcomer on localhost sees maintenance.
        assert (await local.get("/orders")).status_code == 503


def test_installation_line(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_block(doc_block(README, "installation-1"), sandbox, monkeypatch)


def test_developer_setup_commands_name_scripts_that_exist() -> None:
    lines = logical_lines(doc_block(README, "set-up-for-developers-1").code)
    assert [line for line, _ in lines] == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    for line, _ in lines:
        script = ROOT / line.split()[1]
        assert script.is_file(), script
        subprocess.run(["bash", "-n", str(script)], check=True)


def test_the_quick_loop_names_the_registered_marker_and_real_folders() -> None:
    lines = [line for line, _ in logical_lines(doc_block(README, "set-up-for-developers-2").code)]
    assert shlex.split(lines[0]) == ["python", "-m", "pytest", "-m", "not slow", "-q"]
    pyproject = ROOT / "pyproject.toml"
    markers = parse_toml(pyproject.read_text(encoding="utf-8"), pyproject)["tool"]["pytest"]["ini_options"]
    assert any(marker.startswith("slow:") for marker in markers["markers"])
    for line in lines[1:]:
        words = shlex.split(line)
        assert words[:3] == ["python", "-m", "pytest"], line
        folders = [word for word in words[3:] if not word.startswith("-")]
        assert folders, line
        assert all((ROOT / folder).is_dir() for folder in folders), line
