"""The README's demo command: the demo app behaves as its docstring says, and the script serves it."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from examples.demo import DEMO_TOKEN, app
from fastapi_maintenance.access.admin_tokens import hash_admin_token, new_admin_token
from tests.support.asgi import client_for
from tests.support.processes import child_env, free_port
from tests.support.servers import wait_until_serving

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.anyio
async def test_the_demo_app_switches_maintenance_through_its_admin_api_with_the_token() -> None:
    assert DEMO_TOKEN is not None, "without FASTAPI_MAINTENANCE_ADMIN__TOKENS the demo makes up a token"
    bearer = {"Authorization": f"Bearer {DEMO_TOKEN}"}
    async with client_for(app) as client:
        assert (await client.get("/")).json() == {"message": "Hello World"}
        refused = await client.put("/_maintenance/", json={"active": True})
        assert refused.status_code == 401, "no token, no switch"
        assert (await client.get("/")).status_code == 200
        switched = await client.put(
            "/_maintenance/", headers=bearer, json={"active": True, "message": "Back soon", "duration": 600}
        )
        assert switched.status_code == 200
        assert switched.json()["actor"] == "demo"
        blocked = await client.get("/")
        assert blocked.status_code == 503
        assert blocked.json()["detail"] == "Back soon"
        assert int(blocked.headers["retry-after"]) <= 600
        assert (await client.get("/health")).json() == {"ok": True, "maintenance": True}
        assert (await client.delete("/_maintenance/")).status_code == 401
        assert (await client.delete("/_maintenance/", headers=bearer)).json()["active"] is False
        assert (await client.get("/")).status_code == 200


@pytest.mark.http
def test_the_demo_script_serves_the_app_on_loopback() -> None:
    """The test command has installed the package and uvicorn, so the script starts without pip."""
    port = free_port()
    token = new_admin_token("deploy-bot")
    environment = child_env(
        {
            "PORT": str(port),
            "FASTAPI_MAINTENANCE_ADMIN__TOKENS": f'{{"deploy-bot": "{hash_admin_token(token)}"}}',
        }
    )
    process = subprocess.Popen(
        ["bash", "scripts/demo.sh"],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url + "/health", process, timeout=30)
        assert httpx.get(base_url + "/").json() == {"message": "Hello World"}
        assert httpx.put(base_url + "/_maintenance/", json={"active": True}).status_code == 401
        assert httpx.get(base_url + "/").status_code == 200
        switched = httpx.put(
            base_url + "/_maintenance/", headers={"Authorization": f"Bearer {token}"}, json={"active": True}
        )
        assert switched.status_code == 200
        assert httpx.get(base_url + "/").status_code == 503
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        if process.stdout:
            process.stdout.close()
