"""docs/operations.md."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List

import httpx
import pytest
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from fastapi_maintenance import (
    MaintenanceConfigError,
    MaintenanceModeMiddleware,
    load_settings,
    maintenance_mode_off,
)
from fastapi_maintenance.access import Window, WindowSchedule
from fastapi_maintenance.backends import MemoryBackend
from tests.docs.markdown_blocks import doc_block
from tests.docs.runner import client, load_block, run_python, write_block
from tests.docs.shell import run_block
from tests.support.apps import FlakyBackend
from tests.support.asgi import find_middleware
from tests.support.servers import uvicorn_server

PAGE = "docs/operations.md"
FIRST_STEPS = "docs/first-steps.md"


def _orders(app: FastAPI) -> FastAPI:
    async def orders() -> List[int]:
        return []

    app.add_api_route("/orders", orders, methods=["GET", "POST"])
    return app


@pytest.mark.anyio
async def test_fault_policies(sandbox: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings, path = load_block(PAGE, "fault-policy", sandbox)
    assert settings.on_backend_error == "closed"
    expectations = {"closed": (False, 503), "open": (True, 200), "last_known": (True, 503)}
    for policy, (stored, during_outage) in expectations.items():
        backend = FlakyBackend(stored)
        app = FastAPI()
        factory = (
            MaintenanceModeMiddleware.from_config(path, backend=backend)
            if policy == "closed"
            else MaintenanceModeMiddleware.from_config(path, backend=backend, on_backend_error=policy)
        )
        app.add_middleware(factory)
        _orders(app)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="fastapi_maintenance"):
            async with client(app) as http:
                await http.get("/orders")  # one successful read
                backend.broken = True
                statuses = {(await http.get("/orders")).status_code for _ in range(5)}
                assert statuses == {during_outage}, policy
                backend.broken = False
                await http.get("/orders")
        assert len([r for r in caplog.records if "failed" in r.getMessage()]) == 1, "once per outage"
        assert len([r for r in caplog.records if "recovered" in r.getMessage()]) == 1
    path.unlink()  # the plain middleware below would find ./maintenance.toml in the working directory
    never_read = FastAPI()
    broken = FlakyBackend(True)
    broken.broken = True
    never_read.add_middleware(MaintenanceModeMiddleware, backend=broken)
    async with client(_orders(never_read)) as http:
        assert (await http.get("/orders")).status_code == 200, "last_known with nothing read: off"


@pytest.mark.anyio
async def test_health_endpoint(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_python(PAGE, "health")["app"]
    async with client(app) as http:
        assert (await http.get("/health")).json() == {"status": "ok", "maintenance": False}
        monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
        assert (await http.get("/health")).json() == {"status": "ok", "maintenance": True}
        backend = find_middleware(app).backend
        async with maintenance_mode_off(backend):
            assert (await http.get("/health")).json() == {"status": "ok", "maintenance": False}


@pytest.mark.anyio
async def test_cors_outside_gives_the_503_its_headers(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_python(PAGE, "cors")["app"]
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    origin = {"Origin": "https://shop.example.com"}
    preflight = {**origin, "Access-Control-Request-Method": "POST"}
    async with client(app) as http:
        allowed = await http.options("/orders", headers=preflight)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://shop.example.com"
        blocked = await http.post("/orders", headers=origin)
        assert blocked.status_code == 503
        assert blocked.headers["access-control-allow-origin"] == "https://shop.example.com"
    # The other order: the preflight still passes, but the 503 has no CORS headers.
    wrong = FastAPI()
    wrong.add_middleware(CORSMiddleware, allow_origins=["https://shop.example.com"], allow_methods=["*"])
    wrong.add_middleware(MaintenanceModeMiddleware)
    async with client(_orders(wrong)) as http:
        assert (await http.options("/orders", headers=preflight)).status_code == 200
        blocked = await http.post("/orders", headers=origin)
        assert blocked.status_code == 503
        assert "access-control-allow-origin" not in blocked.headers


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


@pytest.mark.anyio
async def test_windows(sandbox: Path) -> None:
    settings, path = load_block(PAGE, "windows", sandbox)
    assert len(settings.windows) == 2
    now = [_at("2031-06-01T00:59:59+00:00")]
    backend = MemoryBackend()
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware.from_config(path, backend=backend, clock=lambda: now[0]))
    _orders(app)
    switched_off = FastAPI()
    switched_off.add_middleware(
        MaintenanceModeMiddleware.from_config(path, enable_maintenance=False, clock=lambda: now[0])
    )
    _orders(switched_off)
    async with client(app) as http, client(switched_off) as off_http:
        assert (await http.get("/orders")).status_code == 200, "a second before the start"
        now[0] = _at("2031-06-01T01:00:00+00:00")
        at_start = await http.get("/orders")
        assert at_start.status_code == 503, "start is included"
        assert at_start.json() == {
            "detail": "Database upgrade until 03:00 UTC",
            "until": "2031-06-01T03:00:00+00:00",
        }
        assert at_start.headers["retry-after"] == "7200"
        assert (await off_http.get("/orders")).status_code == 200, "enabled = false wins"
        async with maintenance_mode_off(backend):
            assert (await http.get("/orders")).status_code == 200, "an override wins"
        now[0] = _at("2031-06-01T03:00:00+00:00")
        assert (await http.get("/orders")).status_code == 200, "end is excluded"
        now[0] = _at("2031-06-16T00:00:00-04:00")
        second = await http.get("/orders")
        assert second.status_code == 503
        assert second.json() == {
            "detail": "Service temporarily unavailable due to maintenance",
            "until": "2031-06-16T04:30:00+00:00",
        }
        assert second.headers["retry-after"] == "1800"
        await backend.set_value(True)
        assert (await http.get("/orders")).headers["retry-after"] == "3600", "backend on: no countdown"


def test_windows_merge_and_need_an_offset(sandbox: Path) -> None:
    utc = timezone.utc
    schedule = WindowSchedule(
        [
            Window(datetime(2031, 1, 1, 1, tzinfo=utc), datetime(2031, 1, 1, 2, tzinfo=utc)),
            Window(datetime(2031, 1, 1, 2, tzinfo=utc), datetime(2031, 1, 1, 4, tzinfo=utc), "second"),
        ]
    )
    assert len(schedule) == 1, "touching windows merge"
    assert schedule.windows[0].message == "second"
    with pytest.raises(MaintenanceConfigError, match="windows"):
        load_settings(windows=[{"start": "2031-01-01T01:00:00", "end": "2031-01-01T02:00:00"}])


def test_status_shows_the_next_window(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_block(doc_block(PAGE, "windows"), sandbox)
    status = doc_block("docs/cli.md", "status-json")
    result = run_block(status, sandbox, monkeypatch)
    assert '"next": {"start": "2031-06-01T01:00:00+00:00"' in result.cli_runs[0].stdout


def test_from_config_without_a_path_checks_the_environment_at_once(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RETRY_AFTER", "soon")
    with pytest.raises(MaintenanceConfigError, match="FASTAPI_MAINTENANCE_RETRY_AFTER"):
        run_python(PAGE, "from-config-env")
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RETRY_AFTER", "60")
    assert isinstance(run_python(PAGE, "from-config-env")["app"], FastAPI)


@pytest.fixture
def main_module(tmp_path: Path) -> Path:
    (tmp_path / "main.py").write_text(doc_block(FIRST_STEPS, "main-py").code, encoding="utf-8")
    return tmp_path


@pytest.mark.http
def test_lifespan_auto_versus_on_with_a_bad_setting(
    main_module: Path, sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the page says about uvicorn: a bad setting stops it at start-up, with auto and with on."""
    run_block(doc_block(PAGE, "lifespan-on"), sandbox, monkeypatch)
    bad: Dict[str, str] = {"FASTAPI_MAINTENANCE_RETRY_AFTER": "soon"}
    for lifespan in ("auto", "on"):
        with pytest.raises(RuntimeError, match="FASTAPI_MAINTENANCE_RETRY_AFTER"):  # noqa: SIM117
            with uvicorn_server("main:app", cwd=main_module, env=bad, extra_args=["--lifespan", lifespan]):
                pass  # pragma: no cover - never starts
    with uvicorn_server("main:app", cwd=main_module) as base_url:
        assert httpx.get(base_url + "/").status_code == 200


def test_logging_line(sandbox: Path) -> None:
    logger = logging.getLogger("fastapi_maintenance")
    level = logger.level
    try:
        run_python(PAGE, "logging")
        assert logger.getEffectiveLevel() == logging.INFO
    finally:
        logger.setLevel(level)
