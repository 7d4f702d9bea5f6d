"""Every example of the two documents the project started from runs as written."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any, Dict, List

import httpx
import pytest
from fastapi import FastAPI

from fastapi_maintenance import MaintenanceModeMiddleware
from tests.support.asgi import client_for
from tests.support.servers import uvicorn_server

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
SHARED_SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"

MAINTENANCE_BODY = {"detail": "Service temporarily unavailable due to maintenance"}


def python_blocks(markdown: str) -> List[str]:
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.DOTALL)


def readme_block(heading: str) -> str:
    """The first python block after a heading of the seed README."""
    text = (SEEDS / "README.md").read_text(encoding="utf-8")
    start = text.index(heading)
    return python_blocks(text[start:])[0]


def run_block(code: str, namespace: Dict[str, Any] | None = None) -> Dict[str, Any]:
    scope: Dict[str, Any] = dict(namespace or {})
    exec(compile(code, "<seed example>", "exec"), scope)
    return scope


def test_vendored_seeds_match_the_shared_originals() -> None:
    if not SHARED_SEEDS.is_dir():
        pytest.skip("../shared/seeds is not beside this checkout; the vendored copy is used as is")
    for name in ("README.md", "first-steps.txt"):
        assert (SEEDS / name).read_bytes() == (SHARED_SEEDS / name).read_bytes(), name


def test_the_readme_has_the_six_examples_this_file_runs() -> None:
    assert len(python_blocks((SEEDS / "README.md").read_text(encoding="utf-8"))) == 6


@pytest.mark.anyio
async def test_quick_start(monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_block(readme_block("## Quick Start"))["app"]
    async with client_for(app) as client:
        response = await client.get("/")
        assert response.status_code == 200
        assert response.json() == {"message": "Hello World"}
        monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
        response = await client.get("/")
        assert response.status_code == 503
        assert response.json() == MAINTENANCE_BODY
        assert response.text == '{"detail":"Service temporarily unavailable due to maintenance"}'


@pytest.mark.anyio
async def test_api_controls_with_the_file_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = run_block(readme_block("## Using API Controls"))["app"]
    async with client_for(app) as client:
        assert (await client.get("/")).status_code == 200
        enabled = await client.post("/admin/maintenance/enable")
        assert enabled.status_code == 200
        assert enabled.json() == {"maintenance_mode": True}
        assert (tmp_path / "maintenance_mode.txt").read_text() == "1"
        blocked = await client.get("/")
        assert blocked.status_code == 503
        assert blocked.json() == MAINTENANCE_BODY
        disabled = await client.post("/admin/maintenance/disable")
        assert disabled.status_code == 200
        assert disabled.json() == {"maintenance_mode": False}
        assert (await client.get("/")).status_code == 200


@pytest.mark.anyio
async def test_exempting_routes_with_decorators(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    app: FastAPI = run_block(readme_block("### Using Decorators"))["app"]

    @app.get("/other")
    async def other() -> Dict[str, str]:
        return {"other": "yes"}

    async with client_for(app) as client:
        response = await client.get("/status")
        assert response.status_code == 200
        assert response.json() == {"status": "operational"}
        assert (await client.get("/other")).status_code == 503


@pytest.mark.anyio
async def test_exempting_routes_with_callbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> Dict[str, bool]:
        return {"ok": True}

    @app.get("/orders")
    async def orders() -> List[int]:
        return [1, 2]

    # The block continues the previous one: its imports and `app` are in scope.
    run_block(
        readme_block("### Using Callbacks"),
        {"app": app, "MaintenanceModeMiddleware": MaintenanceModeMiddleware},
    )
    async with client_for(app) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/orders")).status_code == 503
        assert (await client.get("/orders", headers={"X-Admin-Key": "secret-key"})).status_code == 200
        assert (await client.get("/orders", headers={"X-Admin-Key": "wrong"})).status_code == 503


@pytest.mark.anyio
async def test_customizing_responses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "yes")
    app: FastAPI = run_block(readme_block("## Customizing Responses"))["app"]

    @app.get("/")
    async def root() -> Dict[str, str]:
        return {"message": "Hello World"}

    async with client_for(app) as client:
        response = await client.get("/")
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("text/html")
        assert "<h1>Under Maintenance</h1>" in response.text


@pytest.mark.anyio
async def test_context_managers_for_temporary_maintenance() -> None:
    seen: Dict[str, Any] = {}
    app_holder: Dict[str, FastAPI] = {}

    async def perform_deployment() -> None:
        # While the deployment runs, another request to the app is answered with the 503.
        async with client_for(app_holder["app"]) as probe:
            seen["during_deployment"] = (await probe.post("/start-deployment")).status_code

    async def check_database_health() -> None:
        seen["database_checked"] = True

    namespace = run_block(
        readme_block("## Context Managers"),
        {"perform_deployment": perform_deployment, "check_database_health": check_database_health},
    )
    app = namespace["app"]
    app_holder["app"] = app
    async with client_for(app) as client:
        deployed = await client.post("/start-deployment")
        assert deployed.status_code == 200
        assert deployed.json() == {"status": "deployed"}
        assert seen["during_deployment"] == 503
        checked = await client.get("/check-database")
        assert checked.status_code == 200
        assert checked.json() == {"database": "healthy"}
        assert seen["database_checked"] is True
        # After the context the app is out of maintenance again.
        assert (await client.post("/start-deployment")).status_code == 200


FIRST_STEPS_APP = textwrap.dedent(
    """
    from fastapi import FastAPI
    from fastapi_maintenance import MaintenanceModeMiddleware
    app = FastAPI()
    # Add the middleware to your FastAPI application
    app.add_middleware(MaintenanceModeMiddleware)
    @app.get("/")
    async def root():
        return {"message": "Hello World"}
    """
)


def test_first_steps_basic_setup_is_the_quick_start() -> None:
    text = (SEEDS / "first-steps.txt").read_text(encoding="utf-8")
    # The guide lost its indentation in transit; its statements are these, in this order.
    for line in FIRST_STEPS_APP.strip().splitlines():
        assert line.strip() in text


@pytest.mark.anyio
async def test_first_steps_direct_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (SEEDS / "first-steps.txt").read_text(encoding="utf-8")
    line = "app.add_middleware(MaintenanceModeMiddleware, enable_maintenance=True)"
    assert line in text
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "0")
    app = run_block(FIRST_STEPS_APP.replace("app.add_middleware(MaintenanceModeMiddleware)", line))["app"]
    async with client_for(app) as client:
        response = await client.get("/")
        assert response.status_code == 503
        assert response.json() == MAINTENANCE_BODY


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 503),
        ("yes", 503),
        ("true", 503),
        ("on", 503),
        ("0", 200),
        ("no", 200),
        ("false", 200),
        ("off", 200),
    ],
)
@pytest.mark.anyio
async def test_first_steps_environment_values(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: int
) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", value)
    app = run_block(FIRST_STEPS_APP)["app"]
    async with client_for(app) as client:
        assert (await client.get("/")).status_code == expected


@pytest.mark.http
def test_first_steps_export_uvicorn_and_curl(tmp_path: Path) -> None:
    """`export FASTAPI_MAINTENANCE_MODE=1; uvicorn app:app; curl -i http://localhost:8000/` as the guide shows."""
    (tmp_path / "app.py").write_text(FIRST_STEPS_APP, encoding="utf-8")
    with uvicorn_server("app:app", cwd=tmp_path, env={"FASTAPI_MAINTENANCE_MODE": "1"}) as base_url:
        response = httpx.get(base_url + "/")
    assert response.status_code == 503
    assert response.reason_phrase == "Service Unavailable"
    assert response.headers["content-type"] == "application/json"
    assert response.headers["retry-after"] == "3600"
    assert response.text == '{"detail":"Service temporarily unavailable due to maintenance"}'
    with uvicorn_server("app:app", cwd=tmp_path, env={"FASTAPI_MAINTENANCE_MODE": "0"}) as base_url:
        response = httpx.get(base_url + "/")
    assert response.status_code == 200
    assert response.json() == {"message": "Hello World"}
