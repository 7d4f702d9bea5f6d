"""Which backend ``get/set_maintenance_mode`` and the override contexts reach without ``backend=``.

Each case runs in a fresh interpreter: the rule involves process-wide state (the
most recently built middleware, the shared env backend), and none of these
scripts calls ``configure_backend``. A script prints one JSON line of what it
saw; the assertions are made here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict

import httpx
import pytest

from tests.support.processes import child_env
from tests.support.servers import uvicorn_server

READ_ONLY_WARNING = "Cannot set maintenance mode state via environment variable"

#: Runs an app's lifespan the way a server does: in a task of its own, startup, then ``during``, then shutdown.
LIFESPAN_DRIVER = """
import asyncio


async def run_lifespan(app, during):
    inbox, outbox = asyncio.Queue(), asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    await during()
    await inbox.put({"type": "lifespan.shutdown"})
    assert (await outbox.get())["type"] == "lifespan.shutdown.complete"
    await task
"""


def run_script(source: str, cwd: Path) -> Dict[str, Any]:
    """Run ``source`` in a fresh interpreter in ``cwd``; its last stdout line, as JSON (stderr under "stderr")."""
    env = child_env(path=[cwd])
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: Dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["stderr"] = done.stderr
    return result


@pytest.mark.parametrize(
    "middleware_arguments",
    ["", ", backend=LocalFileBackend('state.txt')", ", backend=MemoryBackend()"],
    ids=["default-env-backend", "file-backend", "memory-backend"],
)
def test_override_in_test_code_reaches_the_app(tmp_path: Path, middleware_arguments: str) -> None:
    """0.0.5's commonest test: ``async with maintenance_mode_on(): await client.get("/")`` answers 503."""
    result = run_script(
        f"""
        import asyncio, json
        from fastapi import FastAPI
        from httpx import ASGITransport, AsyncClient
        from fastapi_maintenance import (
            MaintenanceModeMiddleware, get_maintenance_mode, maintenance_mode_on, set_maintenance_mode,
        )
        from fastapi_maintenance.backends import LocalFileBackend, MemoryBackend
        from fastapi_maintenance.control import resolve_backend

        app = FastAPI()
        app.add_middleware(MaintenanceModeMiddleware{middleware_arguments})

        @app.get("/")
        async def root():
            return {{"ok": True}}

        async def main():
            seen = {{}}
            async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
                # The first request of all comes inside the block: the stack is built there.
                async with maintenance_mode_on():
                    seen["first_request"] = (await client.get("/")).status_code
                    seen["state_inside"] = await get_maintenance_mode()
                seen["after"] = (await client.get("/")).status_code
                async with maintenance_mode_on():
                    seen["again"] = (await client.get("/")).status_code
                await set_maintenance_mode(False)
                seen["after_set_off"] = (await client.get("/")).status_code
            node = app.middleware_stack
            while not isinstance(node, MaintenanceModeMiddleware):
                node = node.app
            seen["functions_share_the_app_backend"] = resolve_backend() is node.backend
            print(json.dumps(seen))

        asyncio.run(main())
        """,
        tmp_path,
    )
    assert result["first_request"] == 503
    assert result["state_inside"] is True
    assert result["after"] == 200
    assert result["again"] == 503
    assert result["after_set_off"] == 200
    assert result["functions_share_the_app_backend"] is True
    if middleware_arguments:
        assert READ_ONLY_WARNING not in result["stderr"]


def test_lifespan_startup_shutdown_and_their_tasks_reach_their_own_app(tmp_path: Path) -> None:
    """Start-up code acts on its app's file backend even when another app was built more recently."""
    result = run_script(
        LIFESPAN_DRIVER
        + textwrap.dedent(
            """
        import json
        from contextlib import asynccontextmanager
        from pathlib import Path
        from fastapi import FastAPI
        from httpx import ASGITransport, AsyncClient
        from fastapi_maintenance import MaintenanceModeMiddleware, get_maintenance_mode, set_maintenance_mode
        from fastapi_maintenance.backends import LocalFileBackend

        switch_off = []  # one asyncio.Event, made inside the running loop (Python 3.9 binds it at creation)
        tasks = []

        @asynccontextmanager
        async def lifespan(app):
            await set_maintenance_mode(True)  # maintenance until the warm-up task says otherwise
            switch_off.append(asyncio.Event())

            async def warm_up():
                await switch_off[-1].wait()
                await set_maintenance_mode(False)

            tasks.append(asyncio.create_task(warm_up()))
            yield
            await set_maintenance_mode(True)  # shutting down

        def make_app(state_file, **kwargs):
            app = FastAPI(**kwargs)
            app.add_middleware(MaintenanceModeMiddleware, backend=LocalFileBackend(state_file))
            app.get("/")(lambda: {"ok": True})
            return app

        a = make_app("a.txt", lifespan=lifespan)
        b = make_app("b.txt")

        async def main():
            seen = {}
            async with AsyncClient(transport=ASGITransport(app=a), base_url="http://t") as client:
                await client.get("/")  # builds a's middleware
            async with AsyncClient(transport=ASGITransport(app=b), base_url="http://t") as client:
                await client.get("/")  # b is now the most recently built

            async def during():
                seen["a_after_startup"] = Path("a.txt").read_text()
                async with AsyncClient(transport=ASGITransport(app=a), base_url="http://t") as client:
                    seen["a_status_after_startup"] = (await client.get("/")).status_code
                    switch_off[-1].set()
                    await tasks[0]
                    seen["a_after_task"] = Path("a.txt").read_text()
                    seen["a_status_after_task"] = (await client.get("/")).status_code

            await run_lifespan(a, during)
            seen["a_after_shutdown"] = Path("a.txt").read_text()
            seen["b_file_exists"] = Path("b.txt").exists()
            # Outside any request or lifespan: the most recently built middleware (b), as in 0.0.5.
            await set_maintenance_mode(True)
            seen["b_after_outside_call"] = Path("b.txt").read_text()
            print(json.dumps(seen))

        asyncio.run(main())
        """
        ),
        tmp_path,
    )
    assert result["a_after_startup"] == "1"
    assert result["a_status_after_startup"] == 503
    assert result["a_after_task"] == "0", "a task started at start-up keeps reaching its app"
    assert result["a_status_after_task"] == 200
    assert result["a_after_shutdown"] == "1"
    assert result["b_file_exists"] is False, "nothing of a's lifespan went to b"
    assert result["b_after_outside_call"] == "1"
    assert READ_ONLY_WARNING not in result["stderr"]


@pytest.mark.http
def test_startup_handler_under_uvicorn_switches_the_file_backend(tmp_path: Path) -> None:
    """0.0.5's documented start-up pattern, served by a real uvicorn."""
    (tmp_path / "startup_app.py").write_text(
        textwrap.dedent(
            """
            from contextlib import asynccontextmanager
            from fastapi import FastAPI
            from fastapi_maintenance import MaintenanceModeMiddleware, force_maintenance_mode_off
            from fastapi_maintenance import set_maintenance_mode
            from fastapi_maintenance.backends import LocalFileBackend

            @asynccontextmanager
            async def lifespan(app):
                await set_maintenance_mode(True)
                yield

            app = FastAPI(lifespan=lifespan)
            app.add_middleware(MaintenanceModeMiddleware, backend=LocalFileBackend("state.txt"))

            @app.get("/")
            async def root():
                return {"ok": True}

            @app.get("/health")
            @force_maintenance_mode_off
            async def health():
                return {"ok": True}
            """
        )
    )
    with uvicorn_server("startup_app:app", cwd=tmp_path, probe_path="/health") as url:
        assert httpx.get(url + "/", timeout=5).status_code == 503
    assert (tmp_path / "state.txt").read_text() == "1"


@pytest.mark.parametrize("first_request", [False, True], ids=["before-any-request", "after-a-request"])
def test_script_after_the_app_is_built(tmp_path: Path, first_request: bool) -> None:
    """A maintenance script that imports the app reaches its file backend, before or after any request."""
    (tmp_path / "myapp.py").write_text(
        textwrap.dedent(
            """
            from fastapi import FastAPI
            from fastapi_maintenance import MaintenanceModeMiddleware
            from fastapi_maintenance.backends import LocalFileBackend

            app = FastAPI()
            app.add_middleware(MaintenanceModeMiddleware, backend=LocalFileBackend("state.txt"))

            @app.get("/")
            async def root():
                return {"ok": True}
            """
        )
    )
    result = run_script(
        f"""
        import asyncio, json
        from pathlib import Path
        from httpx import ASGITransport, AsyncClient
        from fastapi_maintenance import get_maintenance_mode, maintenance_mode_on, set_maintenance_mode
        from myapp import app

        async def main():
            seen = {{}}
            if {first_request!r}:
                async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
                    await client.get("/")
            await set_maintenance_mode(True)
            seen["after_set"] = Path("state.txt").read_text()
            seen["get"] = await get_maintenance_mode()
            await set_maintenance_mode(False)
            async with maintenance_mode_on():
                seen["inside_override"] = Path("state.txt").read_text()
            seen["after_override"] = Path("state.txt").read_text()
            print(json.dumps(seen))

        asyncio.run(main())
        """,
        tmp_path,
    )
    assert result["after_set"] == "1"
    assert result["get"] is True
    assert result["inside_override"] == "1"
    assert result["after_override"] == "0"
    assert READ_ONLY_WARNING not in result["stderr"]


def test_script_with_a_from_config_app_before_any_request(tmp_path: Path) -> None:
    """``from_config`` validates at once, so its backend counts as soon as the factory exists."""
    (tmp_path / "maintenance.toml").write_text('backend = { type = "file", path = "state.txt" }\n')
    result = run_script(
        """
        import asyncio, json
        from pathlib import Path
        from fastapi import FastAPI
        from fastapi_maintenance import MaintenanceModeMiddleware, set_maintenance_mode

        app = FastAPI()
        app.add_middleware(MaintenanceModeMiddleware.from_config("maintenance.toml"))
        asyncio.run(set_maintenance_mode(True))
        print(json.dumps({"state": Path("state.txt").read_text()}))
        """,
        tmp_path,
    )
    assert result["state"] == "1"


def test_declared_apps_with_different_backends_are_not_guessed(tmp_path: Path) -> None:
    """Two unbuilt apps with different backends: no guess; a warning, and the default (env) backend."""
    result = run_script(
        """
        import asyncio, json
        from pathlib import Path
        from fastapi import FastAPI
        from fastapi_maintenance import MaintenanceModeMiddleware, set_maintenance_mode
        from fastapi_maintenance.backends import LocalFileBackend

        apps = []
        for name in ("a.txt", "b.txt"):
            app = FastAPI()
            app.add_middleware(MaintenanceModeMiddleware, backend=LocalFileBackend(name))
            apps.append(app)
        asyncio.run(set_maintenance_mode(True))
        print(json.dumps({"written": sorted(str(path) for path in Path().glob("*.txt"))}))
        """,
        tmp_path,
    )
    assert result["written"] == []
    assert "2 apps declare MaintenanceModeMiddleware with different backends" in result["stderr"]
    assert READ_ONLY_WARNING in result["stderr"]


@pytest.mark.parametrize("declaration", ["add_middleware", "from_config"])
def test_a_built_apps_declaration_does_not_capture_a_later_default_backend_app(
    tmp_path: Path, declaration: str
) -> None:
    """App A (file backend) is built and serving; app B on the default backend: overrides reach B.

    A's declaration stays alive in its ``user_middleware`` (and ``from_config``'s backend in its
    factory), but once a middleware is built, declarations no longer count. (The config file is not
    named ``maintenance.toml``: B would read that one itself.)
    """
    (tmp_path / "app-a.toml").write_text('backend = { type = "file", path = "a.txt" }\n')
    result = run_script(
        f"""
        import asyncio, json
        from pathlib import Path
        from fastapi import FastAPI
        from httpx import ASGITransport, AsyncClient
        from fastapi_maintenance import MaintenanceModeMiddleware, get_maintenance_mode, maintenance_mode_on
        from fastapi_maintenance.backends import LocalFileBackend

        app_a = FastAPI()
        if {declaration!r} == "from_config":
            app_a.add_middleware(MaintenanceModeMiddleware.from_config("app-a.toml"))
        else:
            app_a.add_middleware(MaintenanceModeMiddleware, backend=LocalFileBackend("a.txt"))

        @app_a.get("/")
        async def root_a():
            return {{"app": "a"}}

        app_b = FastAPI()
        app_b.add_middleware(MaintenanceModeMiddleware)

        @app_b.get("/")
        async def root_b():
            return {{"app": "b"}}

        async def main():
            seen = {{}}
            async with AsyncClient(transport=ASGITransport(app=app_a), base_url="http://t") as client:
                seen["a_first"] = (await client.get("/")).status_code
            async with AsyncClient(transport=ASGITransport(app=app_b), base_url="http://t") as client:
                seen["b_first"] = (await client.get("/")).status_code
                async with maintenance_mode_on():
                    seen["state_inside"] = await get_maintenance_mode()
                    seen["b_inside"] = (await client.get("/")).status_code
                seen["b_after"] = (await client.get("/")).status_code
            seen["a_file"] = Path("a.txt").read_text() if Path("a.txt").exists() else None
            print(json.dumps(seen))

        asyncio.run(main())
        """,
        tmp_path,
    )
    assert (result["a_first"], result["b_first"]) == (200, 200)
    assert result["state_inside"] is True
    assert result["b_inside"] == 503
    assert result["b_after"] == 200
    assert result["a_file"] in (None, "0")  # A's file was never switched on


def test_two_apps_in_one_process_keep_apart_during_requests(tmp_path: Path) -> None:
    """During a request, calls act on the serving app, whichever app was built last."""
    result = run_script(
        """
        import asyncio, json
        from fastapi import FastAPI
        from httpx import ASGITransport, AsyncClient
        from fastapi_maintenance import (
            MaintenanceModeMiddleware, force_maintenance_mode_off, get_maintenance_mode, maintenance_mode_on,
            set_maintenance_mode,
        )
        from fastapi_maintenance.backends import MemoryBackend

        def make_app(backend):
            app = FastAPI()
            app.add_middleware(MaintenanceModeMiddleware, backend=backend)

            @app.get("/")
            async def root():
                return {"ok": True}

            @app.post("/down")
            @force_maintenance_mode_off
            async def down():
                await set_maintenance_mode(True)
                return await get_maintenance_mode()

            @app.get("/held")
            @force_maintenance_mode_off
            async def held():
                async with maintenance_mode_on():
                    return await get_maintenance_mode()

            return app

        state_a, state_b = MemoryBackend(), MemoryBackend()
        a, b = make_app(state_a), make_app(state_b)

        async def main():
            seen = {}
            async with AsyncClient(transport=ASGITransport(app=a), base_url="http://a") as client_a, \\
                    AsyncClient(transport=ASGITransport(app=b), base_url="http://b") as client_b:
                await client_a.get("/")
                await client_b.get("/")  # b is the most recently built
                seen["a_held"] = (await client_a.get("/held")).json()
                seen["b_state_after_a_override"] = await state_b.get_value()
                seen["a_down"] = (await client_a.post("/down")).json()
                seen["a_state"] = await state_a.get_value()
                seen["b_state"] = await state_b.get_value()
                seen["a_status"] = (await client_a.get("/")).status_code
                seen["b_status"] = (await client_b.get("/")).status_code
            print(json.dumps(seen))

        asyncio.run(main())
        """,
        tmp_path,
    )
    assert result["a_held"] is True
    assert result["b_state_after_a_override"] is False
    assert result["a_down"] is True
    assert (result["a_state"], result["b_state"]) == (True, False)
    assert (result["a_status"], result["b_status"]) == (503, 200)


def test_a_middleware_on_the_default_backend_leaves_calls_to_configure_backend(tmp_path: Path) -> None:
    """0.0.5's rule: only a middleware with a backend of its own is "the most recent" for calls outside apps.

    An app built earlier on the default backend, still alive, must not capture a later
    ``configure_backend(...)`` + ``set_maintenance_mode(True)`` made before the next app is built.
    """
    result = run_script(
        """
        import asyncio, json
        from pathlib import Path
        from fastapi import FastAPI
        from httpx import ASGITransport, AsyncClient
        from fastapi_maintenance import MaintenanceModeMiddleware, configure_backend, set_maintenance_mode

        def make_app():
            app = FastAPI()
            app.add_middleware(MaintenanceModeMiddleware)

            @app.get("/")
            async def root():
                return {"ok": True}

            return app

        async def main():
            earlier = make_app()
            async with AsyncClient(transport=ASGITransport(app=earlier), base_url="http://t") as client:
                await client.get("/")  # built on the default (environment variable) backend
            configure_backend("file", file_path="state.txt")
            await set_maintenance_mode(True)
            later = make_app()
            async with AsyncClient(transport=ASGITransport(app=later), base_url="http://t") as client:
                status = (await client.get("/")).status_code
            print(json.dumps({"file": Path("state.txt").read_text(), "later": status, "earlier_alive": earlier is not None}))

        asyncio.run(main())
        """,
        tmp_path,
    )
    assert result["file"].strip() == "1"
    assert result["later"] == 503
    assert READ_ONLY_WARNING not in result["stderr"]
