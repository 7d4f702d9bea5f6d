"""docs/backends.md."""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from fastapi_maintenance import (
    MaintenanceModeMiddleware,
    get_maintenance_mode,
    load_settings,
    maintenance_mode_on,
    set_maintenance_mode,
)
from fastapi_maintenance.backends import EnvVarBackend, LocalFileBackend, MemoryBackend
from tests.docs.markdown_blocks import doc_block
from tests.docs.runner import MAINTENANCE_BODY, client, load_block, run_python
from tests.docs.shell import run_block
from tests.support.asgi import find_middleware

PAGE = "docs/backends.md"


@pytest.mark.anyio
async def test_env_backend_with_another_variable(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = run_python(PAGE, "env-custom")["app"]
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    async with client(app) as http:
        assert (await http.get("/")).status_code == 200, "the default variable no longer counts"
        monkeypatch.setenv("MY_APP_MAINTENANCE", "on")
        assert (await http.get("/")).status_code == 503
        backend = find_middleware(app).backend
        assert isinstance(backend, EnvVarBackend)
        assert backend.read_only
        await set_maintenance_mode(False, backend)  # read-only: a warning, no change
        assert (await http.get("/")).status_code == 503
    assert "read-only" in caplog.text


@pytest.mark.anyio
async def test_file_backend_switched_from_code(sandbox: Path) -> None:
    app = run_python(PAGE, "file-backend")["app"]
    async with client(app) as http:
        assert (await http.get("/")).status_code == 200
        assert not (sandbox / "maintenance_mode.txt").exists(), "reading never creates the file"
        backend = find_middleware(app).backend
        await set_maintenance_mode(True, backend)
        blocked = await http.get("/")
        assert blocked.status_code == 503, "a write in this process is visible at once"
        assert blocked.text == MAINTENANCE_BODY
        assert (sandbox / "maintenance_mode.txt").read_text() == "1"
        await set_maintenance_mode(False, backend)
        assert (await http.get("/")).status_code == 200


@pytest.mark.anyio
async def test_file_backend_switched_by_the_cli(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_python(PAGE, "file-backend")["app"]
    block = doc_block(PAGE, "file-cli")
    on_only = dataclasses.replace(block, code=block.code.splitlines(keepends=True)[0])
    async with client(app) as http:
        assert (await http.get("/")).status_code == 200
        run_block(on_only, sandbox, monkeypatch)
        assert (sandbox / "maintenance_mode.txt").read_text() == "1"
        deadline = time.monotonic() + 5
        status = 200
        while time.monotonic() < deadline and status != 503:
            status = (await http.get("/")).status_code
            await anyio.sleep(0.05)
        assert status == 503, "another process's write is seen within check_interval"
    result = run_block(block, sandbox, monkeypatch)
    assert [run.argv[-1] for run in result.cli_runs] == ["on", "off"]
    assert (sandbox / "maintenance_mode.txt").read_text() == "0"


@pytest.mark.anyio
async def test_an_unreadable_state_file_is_a_fault_not_a_500(sandbox: Path) -> None:
    app = run_python(PAGE, "file-backend")["app"]
    (sandbox / "maintenance_mode.txt").mkdir()  # a folder where the file should be
    async with client(app) as http:
        assert (await http.get("/")).status_code == 200, "last_known, nothing known yet: off"


@pytest.mark.anyio
async def test_memory_backend(sandbox: Path) -> None:
    namespace = run_python(PAGE, "memory-backend")
    state: MemoryBackend = namespace["state"]
    async with client(namespace["app"]) as http:
        assert (await http.get("/")).status_code == 200
        await state.set_value(True)
        assert (await http.get("/")).status_code == 503


def test_backend_settings(sandbox: Path) -> None:
    settings, path = load_block(PAGE, "backend-strings", sandbox)
    assert settings.backend.type == "file"
    assert settings.backend.path == path.parent / "state" / "maintenance"
    for line in doc_block(PAGE, "backend-strings").code.splitlines():
        if line.startswith("#   backend = "):
            config = sandbox / "each.toml"
            config.write_text(line[len("#   ") :].split("  ")[0] + "\n", encoding="utf-8")
            assert load_settings(config).backend.type in ("env", "file", "memory", "redis")


def test_backend_from_the_environment(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_block(doc_block(PAGE, "backend-env"), sandbox, monkeypatch)
    backend: Any = load_settings().backend
    assert backend.type == "file"
    assert str(backend.path) == "/var/run/myapp/maintenance"


@pytest.mark.anyio
async def test_configure_backend(sandbox: Path) -> None:
    app = run_python(PAGE, "configure-backend")["app"]
    async with client(app) as http:
        assert (await http.get("/")).status_code == 200
        backend = find_middleware(app).backend
        assert isinstance(backend, LocalFileBackend)
        assert backend.file_path == str(sandbox / "maintenance_mode.txt"), "made absolute, still a str"
        await set_maintenance_mode(True)  # outside a request: the configured default
        assert (sandbox / "maintenance_mode.txt").read_text() == "1"
        assert (await http.get("/")).status_code == 503
        assert await get_maintenance_mode() is True


@pytest.mark.anyio
async def test_the_settings_backend_wins_over_configure_backend(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_BACKEND", "memory")
    app = run_python(PAGE, "configure-backend")["app"]
    async with client(app) as http:
        await http.get("/")
    assert isinstance(find_middleware(app).backend, MemoryBackend)


@pytest.mark.anyio
async def test_without_backend_functions_act_on_the_serving_middleware(sandbox: Path) -> None:
    namespace = run_python(PAGE, "memory-backend")
    app: FastAPI = namespace["app"]
    state: MemoryBackend = namespace["state"]

    @app.post("/down")
    async def down() -> bool:
        await set_maintenance_mode(True)
        return await get_maintenance_mode()

    async with client(app) as http:
        assert (await http.post("/down")).json() is True
    assert await state.get_value() is True
    assert await get_maintenance_mode() is True, "outside a request: the most recently built middleware"


@pytest.mark.anyio
async def test_startup_hook_switches_the_app_file(sandbox: Path) -> None:
    seen = []

    async def warm_caches() -> None:
        seen.append((sandbox / "maintenance_mode.txt").read_text())

    app = run_python(PAGE, "startup-hook", {"warm_caches": warm_caches})["app"]
    other = FastAPI()
    other.add_middleware(MaintenanceModeMiddleware, backend=MemoryBackend())
    for built in (app, other):  # other is built last, so rule 3 alone would pick it
        async with client(built) as http:
            await http.get("/")
    with TestClient(app):
        assert seen == ["1"], "on while the caches warm, in the app's own file"
    assert (sandbox / "maintenance_mode.txt").read_text() == "0"


@pytest.mark.anyio
async def test_sqlite_backend(sandbox: Path, caplog: pytest.LogCaptureFixture) -> None:
    namespace = run_python(PAGE, "sqlite-backend")
    backend_class = namespace["SQLiteBackend"]
    app = run_python(PAGE, "sqlite-app", {"SQLiteBackend": backend_class})["app"]
    async with client(app) as http:
        assert (await http.get("/")).status_code == 200
        backend: Any = find_middleware(app).backend
        assert backend.describe() == "sqlite:app.db"
        assert backend.peek() is False, "answered from memory after the first read"
        await set_maintenance_mode(True, backend)
        assert (await http.get("/")).status_code == 503
        # Another writer (an admin tool) switches it off; the app follows within ttl.
        await backend_class("app.db").set_value(False)
        deadline = time.monotonic() + 10
        status = 503
        while time.monotonic() < deadline and status != 200:
            await anyio.sleep(0.1)
            status = (await http.get("/")).status_code
        assert status == 200
        async with maintenance_mode_on(backend):
            assert (await http.get("/")).status_code == 503
        assert (await http.get("/")).status_code == 200
        (sandbox / "app.db").unlink()
        (sandbox / "app.db").mkdir()  # the database becomes unreadable
        backend._read_at = 0.0  # expire the cache now rather than waiting ttl seconds
        with caplog.at_level(logging.WARNING, logger="fastapi_maintenance"):
            statuses = {(await http.get("/")).status_code for _ in range(3)}
        assert statuses == {200}, "get_value raising: the fault policy answers (last known: off)"
        assert "sqlite:app.db" in caplog.text
