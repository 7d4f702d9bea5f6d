"""docs/migrating.md: the old names still work, and each "now" of the differences list holds."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any, Dict, List

import pytest
from fastapi import FastAPI

import fastapi_maintenance
from fastapi_maintenance import MaintenanceModeMiddleware, force_maintenance_mode_off
from fastapi_maintenance.backends import LocalFileBackend
from tests.docs.markdown_blocks import doc_block
from tests.docs.runner import MAINTENANCE_BODY, client, run_python
from tests.docs.shell import run_block
from tests.support.lifespan import startup_failure

PAGE = "docs/migrating.md"


def _routes(app: FastAPI) -> FastAPI:
    async def health() -> str:
        return "ok"

    async def orders() -> List[int]:
        return []

    app.add_api_route("/health", health)
    app.add_api_route("/orders", orders)
    return app


def test_upgrade_line(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_block(doc_block(PAGE, "upgrade"), sandbox, monkeypatch)


@pytest.mark.anyio
async def test_old_names_work_with_a_deprecation_warning(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace = run_python(PAGE, "old-names")
    app = _routes(namespace["app"])
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DeprecationWarning)
        async with client(app) as http:
            blocked = await http.get("/orders")
            exempt = await http.get("/health")
    messages = [str(item.message) for item in caught if issubclass(item.category, DeprecationWarning)]
    assert any("exempt_handler=...) is deprecated; use exempt_callback=" in message for message in messages)
    assert any(
        "response_handler=...) is deprecated; use response_callback=" in message for message in messages
    )
    assert exempt.status_code == 200
    assert blocked.status_code == 503
    assert blocked.text == "Down for maintenance"


@pytest.mark.anyio
async def test_new_names_without_warnings(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = run_python(PAGE, "old-names")
    app = _routes(
        run_python(PAGE, "new-names", {name: old[name] for name in old if not name.startswith("__")})["app"]
    )
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        async with client(app) as http:
            assert (await http.get("/orders")).text == "Down for maintenance"
            assert (await http.get("/health")).status_code == 200


def test_both_names_fail_the_start_up() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        middleware = MaintenanceModeMiddleware(FastAPI(), exempt_handler=bool, exempt_callback=bool)
    assert "not both" in startup_failure(middleware)


def test_the_api_names_of_0_0_5_are_all_here() -> None:
    for name in (
        "MaintenanceModeMiddleware",
        "force_maintenance_mode_on",
        "force_maintenance_mode_off",
        "maintenance_mode_on",
        "maintenance_mode_off",
        "get_maintenance_mode",
        "set_maintenance_mode",
        "configure_backend",
    ):
        assert hasattr(fastapi_maintenance, name), name
    from fastapi_maintenance.backends import BaseStateBackend, EnvVarBackend  # noqa: F401


@pytest.mark.anyio
async def test_what_behaves_differently(sandbox: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, enable_maintenance=True)

    @app.get("/items")
    @force_maintenance_mode_off
    async def read_items() -> List[int]:
        return []

    @app.post("/items")
    async def create_item() -> Dict[str, bool]:
        return {"created": True}

    async with client(app) as http:
        blocked = await http.post("/items")
        assert blocked.headers["cache-control"] == "no-store"
        assert blocked.text == MAINTENANCE_BODY
        assert (await http.get("/items")).status_code == 200
        assert blocked.status_code == 503, "the mark belongs to GET /items only"

    state = sandbox / "state.txt"
    file_app = FastAPI()
    file_app.add_middleware(MaintenanceModeMiddleware, backend=LocalFileBackend(state, check_interval=0))
    _routes(file_app)
    async with client(file_app) as http:
        assert (await http.get("/orders")).status_code == 200
        assert not state.exists(), "reading never creates the state file"
        state.write_text("maybe")
        with caplog.at_level(logging.WARNING, logger="fastapi_maintenance"):
            statuses = set()
            for _ in range(3):
                statuses.add((await http.get("/orders")).status_code)
                await http.get("/orders")
        assert statuses == {200}
    assert sum("not a recognised on/off value" in r.getMessage() for r in caplog.records) == 1

    def failing(request: Any) -> bool:
        raise RuntimeError("bug")

    callback_app = _routes(FastAPI())
    callback_app.add_middleware(MaintenanceModeMiddleware, enable_maintenance=True, exempt_callback=failing)
    async with client(callback_app) as http:
        assert (await http.get("/orders")).status_code == 503, "logged and ignored, not a 500"
