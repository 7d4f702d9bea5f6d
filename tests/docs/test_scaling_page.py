"""docs/scaling.md, against a real redis-server on 127.0.0.1 (skipped, saying how to install it, without one)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any, Dict, List

import anyio
import pytest
from fastapi import FastAPI

from fastapi_maintenance import MaintenanceModeMiddleware
from fastapi_maintenance.backends import BackendUnavailable, RedisBackend
from tests.docs.markdown_blocks import Block, doc_block
from tests.docs.runner import client, load_block, run_python, write_block
from tests.docs.shell import run_block
from tests.redis_support import RedisServer

PAGE = "docs/scaling.md"
SHOWN_URL = "redis://localhost:6379/0"


def _here(block: Block, server: RedisServer) -> Block:
    return dataclasses.replace(block, code=block.code.replace(SHOWN_URL, server.url))


def test_file_backend_settings_and_workers(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings, _ = load_block(PAGE, "file-toml", sandbox)
    assert settings.backend.type == "file"
    assert str(settings.backend.path) == "/var/run/myapp/maintenance"
    run_block(doc_block(PAGE, "workers"), sandbox, monkeypatch)


def test_redis_settings(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings, _ = load_block(PAGE, "redis-toml", sandbox)
    backend: Any = settings.backend
    assert (backend.type, backend.url, backend.key) == ("redis", SHOWN_URL, "shop:maintenance")
    run_block(doc_block(PAGE, "redis-env"), sandbox, monkeypatch)


async def _eventually(app: FastAPI, status: int, seconds: float = 5.0) -> int:
    deadline = time.monotonic() + seconds
    async with client(app) as http:
        while True:
            code = (await http.get("/orders")).status_code
            if code == status or time.monotonic() > deadline:
                return code
            await anyio.sleep(0.02)


@pytest.mark.anyio
async def test_two_app_instances_follow_the_cli(
    redis_server: RedisServer, sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = _here(doc_block(PAGE, "redis-lifespan"), redis_server)
    apps: List[FastAPI] = []
    backends: List[RedisBackend] = []
    try:
        for _ in range(2):  # two independent instances, as on two hosts
            scope: Dict[str, Any] = {"__name__": "docs_scaling"}
            exec(compile(block.code, block.where, "exec"), scope)
            apps.append(scope["app"])
            backends.append(scope["backend"])
        async with apps[0].router.lifespan_context(apps[0]), apps[1].router.lifespan_context(apps[1]):
            for backend in backends:
                assert backend.peek() is False, "started: the state is known before the first request"
            # The CLI with the page's TOML (same URL and key) switches both instances.
            write_block(_here(doc_block(PAGE, "redis-toml"), redis_server), sandbox)
            on = dataclasses.replace(doc_block(PAGE, "redis-cli"), code="fastapi-maintenance on\n")
            run_block(on, sandbox, monkeypatch)
            assert [await _eventually(app, 503) for app in apps] == [503, 503]
            off = dataclasses.replace(on, code="fastapi-maintenance off\n")
            run_block(off, sandbox, monkeypatch)
            assert [await _eventually(app, 200) for app in apps] == [200, 200]
    finally:
        for backend in backends:
            await backend.aclose()
    # The lifespan example also runs as the page shows it (the code that builds the module).
    assert run_python(PAGE, "redis-lifespan")["backend"].key == "shop:maintenance"


@pytest.mark.anyio
async def test_the_cli_lines_with_the_default_key(
    redis_server: RedisServer, sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = RedisBackend(redis_server.url)
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, backend=backend)

    @app.get("/orders")
    async def orders() -> List[int]:
        return []

    try:
        block = _here(doc_block(PAGE, "redis-cli"), redis_server)
        lines = block.code.splitlines(keepends=True)
        run_block(dataclasses.replace(block, code=lines[0]), sandbox, monkeypatch)
        assert await _eventually(app, 503) == 503
        result = run_block(dataclasses.replace(block, code=lines[1]), sandbox, monkeypatch)
        assert result.cli_runs[0].stdout.startswith("maintenance mode: on")
        run_block(dataclasses.replace(block, code=lines[2]), sandbox, monkeypatch)
        assert await _eventually(app, 200) == 200
        run_block(block, sandbox, monkeypatch)  # the whole block as the page shows it
    finally:
        await backend.aclose()


@pytest.mark.anyio
async def test_start_raises_while_redis_is_unreachable() -> None:
    backend = RedisBackend("redis://127.0.0.1:1/0", timeout=0.2)
    try:
        with pytest.raises(BackendUnavailable):
            await backend.start()
    finally:
        await backend.aclose()
