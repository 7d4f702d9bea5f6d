"""Override contexts, the state functions and configure_backend."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import anyio
import pytest
from fastapi import FastAPI

from fastapi_maintenance import (
    MaintenanceModeMiddleware,
    configure_backend,
    get_maintenance_mode,
    maintenance_mode_off,
    maintenance_mode_on,
    set_maintenance_mode,
)
from fastapi_maintenance.backends import EnvVarBackend, LocalFileBackend, MemoryBackend
from fastapi_maintenance.control import resolve_backend
from tests.support.asgi import client_for, find_middleware


def simple_app(**middleware: object) -> FastAPI:
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, **middleware)  # type: ignore[arg-type]

    @app.get("/")
    async def root() -> Dict[str, str]:
        return {"message": "Hello World"}

    return app


@pytest.mark.anyio
async def test_an_override_opened_inside_a_request_applies_to_other_requests() -> None:
    app = simple_app()
    entered, release = anyio.Event(), anyio.Event()
    results: Dict[str, int] = {}

    @app.post("/deploy")
    async def deploy() -> Dict[str, bool]:
        async with maintenance_mode_on():
            entered.set()
            await release.wait()
        return {"ok": True}

    async with client_for(app) as client:

        async def call() -> None:
            results["deploy"] = (await client.post("/deploy")).status_code

        async with anyio.create_task_group() as group:
            group.start_soon(call)
            await entered.wait()
            assert (await client.get("/")).status_code == 503
            release.set()
        assert results["deploy"] == 200
        assert (await client.get("/")).status_code == 200
    # Outside any request, with no backend given and none configured, the env backend is meant.
    assert isinstance(resolve_backend(), EnvVarBackend)


@pytest.mark.anyio
async def test_nested_contexts_restore_in_order_on_a_writable_backend() -> None:
    backend = MemoryBackend()
    app = simple_app(backend=backend)
    async with client_for(app) as client:
        async with maintenance_mode_on(backend):
            assert backend.peek() is True
            assert (await client.get("/")).status_code == 503
            async with maintenance_mode_off(backend):
                assert backend.peek() is False
                assert (await client.get("/")).status_code == 200
            assert backend.peek() is True
            assert (await client.get("/")).status_code == 503
        assert backend.peek() is False
        assert (await client.get("/")).status_code == 200


@pytest.mark.anyio
async def test_the_value_from_before_the_outermost_context_is_restored() -> None:
    backend = MemoryBackend(True)
    async with maintenance_mode_off(backend):
        async with maintenance_mode_on(backend):
            assert await get_maintenance_mode(backend) is True
        assert await get_maintenance_mode(backend) is False
    assert backend.peek() is True


@pytest.mark.anyio
async def test_contexts_restore_when_the_block_raises() -> None:
    backend = MemoryBackend()
    with pytest.raises(ValueError, match="deployment failed"):
        async with maintenance_mode_on(backend), maintenance_mode_on(backend):
            raise ValueError("deployment failed")
    assert backend.peek() is False
    assert await get_maintenance_mode(backend) is False


@pytest.mark.anyio
async def test_concurrent_contexts_exiting_out_of_order() -> None:
    backend = MemoryBackend()
    app = simple_app(backend=backend)
    first_in, second_in, first_may_leave, second_may_leave = (anyio.Event() for _ in range(4))
    first_out = anyio.Event()

    async def first() -> None:
        async with maintenance_mode_on(backend):
            first_in.set()
            await first_may_leave.wait()
        first_out.set()

    async def second() -> None:
        await first_in.wait()
        async with maintenance_mode_off(backend):
            second_in.set()
            await second_may_leave.wait()

    async with client_for(app) as client, anyio.create_task_group() as group:
        group.start_soon(first)
        group.start_soon(second)
        await second_in.wait()
        # The most recently entered active context wins.
        assert (await client.get("/")).status_code == 200
        first_may_leave.set()
        await first_out.wait()
        # The first one left, the second is still active.
        assert (await client.get("/")).status_code == 200
        assert backend.peek() is False
        second_may_leave.set()
    async with client_for(app) as client:
        assert (await client.get("/")).status_code == 200
    assert backend.peek() is False


@pytest.mark.anyio
async def test_on_the_read_only_env_backend_the_override_lives_in_memory(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = simple_app()
    async with client_for(app) as client:
        assert (await client.get("/")).status_code == 200
        middleware_backend = find_middleware(app).backend
        async with maintenance_mode_on(middleware_backend):
            assert (await client.get("/")).status_code == 503
            assert await get_maintenance_mode(middleware_backend) is True
        assert (await client.get("/")).status_code == 200
    assert "read-only" not in caplog.text, "no write-through is attempted on the env backend"


@pytest.mark.anyio
async def test_context_manager_as_a_decorator() -> None:
    backend = MemoryBackend()
    seen = []

    @maintenance_mode_on(backend)
    async def migrate() -> str:
        seen.append(await get_maintenance_mode(backend))
        return "migrated"

    assert await migrate() == "migrated"
    assert await migrate() == "migrated"
    assert seen == [True, True]
    assert backend.peek() is False


@pytest.mark.anyio
async def test_an_override_writes_through_to_a_shared_file(tmp_path: Path) -> None:
    path = tmp_path / "state"
    here, other_process = LocalFileBackend(path), LocalFileBackend(path)
    async with maintenance_mode_on(here):
        assert path.read_text() == "1"
        assert await other_process.get_value() is True
    assert path.read_text() == "0"
    assert await other_process.get_value() is False


@pytest.mark.anyio
async def test_functions_act_on_the_serving_middlewares_backend() -> None:
    backend = MemoryBackend()
    app = simple_app(backend=backend)

    @app.post("/down")
    async def down() -> Dict[str, bool]:
        await set_maintenance_mode(True)
        return {"now": await get_maintenance_mode()}

    async with client_for(app) as client:
        assert (await client.post("/down")).json() == {"now": True}
        assert backend.peek() is True
        assert (await client.get("/")).status_code == 503


@pytest.mark.anyio
async def test_configure_backend_sets_the_default_for_middleware_and_functions(tmp_path: Path) -> None:
    configure_backend("file", file_path=str(tmp_path / "flag"))
    app = simple_app()
    await set_maintenance_mode(True)
    assert (tmp_path / "flag").read_text() == "1"
    async with client_for(app) as client:
        assert (await client.get("/")).status_code == 503
        await set_maintenance_mode(False)
        assert (await client.get("/")).status_code == 200


def test_configure_backend_rejects_an_unknown_kind() -> None:
    from fastapi_maintenance import MaintenanceConfigError

    with pytest.raises(MaintenanceConfigError, match="carrier-pigeon"):
        configure_backend("carrier-pigeon")


@pytest.mark.anyio
async def test_set_on_the_env_backend_warns_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await set_maintenance_mode(True)
    assert await get_maintenance_mode() is False
    assert "read-only" in caplog.text


@pytest.mark.anyio
async def test_configure_backend_keeps_the_0_0_5_keyword(tmp_path: Path) -> None:
    """fastapi-maintenance 0.0.5 called it configure_backend(backend_type=..., **kwargs)."""
    backend = configure_backend(backend_type="file", file_path=str(tmp_path / "flag"))
    assert isinstance(backend, LocalFileBackend)
    await set_maintenance_mode(True)
    assert (tmp_path / "flag").read_text() == "1"
    with pytest.raises(TypeError, match="needs the backend kind"):
        configure_backend()
