"""The README's demo command: the demo app behaves as its docstring says, and the script serves it."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from examples.demo import app
from tests.support.asgi import client_for
from tests.support.processes import child_env, free_port
from tests.support.servers import wait_until_serving

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.anyio
async def test_the_demo_app_switches_maintenance_from_its_admin_routes() -> None:
    async with client_for(app) as client:
        assert (await client.get("/")).json() == {"message": "Hello World"}
        assert (await client.post("/admin/maintenance/on")).json() == {"maintenance_mode": True}
        blocked = await client.get("/")
        assert blocked.status_code == 503
        assert blocked.headers["retry-after"] == "120"
        assert (await client.get("/health")).json() == {"ok": True, "maintenance": True}
        assert (await client.post("/admin/maintenance/off")).json() == {"maintenance_mode": False}
        assert (await client.get("/")).status_code == 200


@pytest.mark.http
def test_the_demo_script_serves_the_app_on_loopback() -> None:
    """The test command has installed the package and uvicorn, so the script starts without pip."""
    port = free_port()
    environment = child_env({"PORT": str(port)})
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
        assert httpx.post(base_url + "/admin/maintenance/on").status_code == 200
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
