"""The middleware's behaviour on HTTP requests: responses, routes, callbacks, failures."""

from __future__ import annotations

import logging
from typing import Any, Dict, List

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from fastapi_maintenance import (
    MaintenanceModeMiddleware,
    force_maintenance_mode_off,
    force_maintenance_mode_on,
)
from fastapi_maintenance.backends import BaseStateBackend, EnvVarBackend, MemoryBackend
from fastapi_maintenance.routes import _route_context_walker
from tests.support.apps import FlakyBackend
from tests.support.asgi import client_for
from tests.support.lifespan import startup_failure

BODY = '{"detail":"Service temporarily unavailable due to maintenance"}'


def make_app(**middleware: Any) -> FastAPI:
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, **middleware)

    @app.get("/")
    async def root() -> Dict[str, str]:
        return {"message": "Hello World"}

    @app.get("/items/{item_id}")
    def read_item(item_id: int) -> Dict[str, int]:
        return {"item_id": item_id}

    @app.post("/items/{item_id}")
    async def write_item(item_id: int) -> Dict[str, int]:
        return {"written": item_id}

    return app


@pytest.mark.anyio
async def test_default_response_headers_and_body() -> None:
    app = make_app(enable_maintenance=True)
    async with client_for(app) as client:
        response = await client.get("/")
    assert response.status_code == 503
    assert response.text == BODY
    assert response.headers["retry-after"] == "3600"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(BODY))


@pytest.mark.anyio
async def test_maintenance_off_passes_everything_through() -> None:
    app = make_app()
    async with client_for(app) as client:
        assert (await client.get("/items/3")).json() == {"item_id": 3}
        assert (await client.post("/items/4")).json() == {"written": 4}


@pytest.mark.anyio
async def test_unknown_routes_keep_the_apps_404_and_405() -> None:
    app = make_app(enable_maintenance=True)
    async with client_for(app) as client:
        missing = await client.get("/nope")
        assert missing.status_code == 404
        assert missing.json() == {"detail": "Not Found"}
        wrong_method = await client.delete("/items/1")
        assert wrong_method.status_code == 405
        bad_param = await client.get("/items/not-a-number")
        # The route matches (FastAPI validates the parameter later): maintenance answers.
        assert bad_param.status_code == 503


@pytest.mark.anyio
async def test_docs_urls_stay_reachable_during_maintenance() -> None:
    app = make_app(enable_maintenance=True)
    async with client_for(app) as client:
        assert (await client.get("/openapi.json")).status_code == 200
        assert (await client.get("/docs")).status_code == 200
        assert (await client.get("/redoc")).status_code == 200
        assert (await client.get("/docs/oauth2-redirect")).status_code == 200


@pytest.mark.anyio
async def test_docs_urls_follow_the_apps_own_settings() -> None:
    app = FastAPI(docs_url="/api-docs", openapi_url="/api/schema.json", redoc_url=None)
    app.add_middleware(MaintenanceModeMiddleware, enable_maintenance=True)
    async with client_for(app) as client:
        assert (await client.get("/api-docs")).status_code == 200
        assert (await client.get("/api/schema.json")).status_code == 200
        assert (await client.get("/redoc")).status_code == 404


@pytest.mark.anyio
async def test_docs_exemption_can_be_turned_off() -> None:
    app = make_app(enable_maintenance=True, exempt_docs=False)
    async with client_for(app) as client:
        assert (await client.get("/openapi.json")).status_code == 503


@pytest.mark.anyio
@pytest.mark.parametrize("is_async", [True, False])
async def test_decorators_on_sync_and_async_endpoints_with_path_parameters(is_async: bool) -> None:
    app = FastAPI()
    backend = MemoryBackend()
    app.add_middleware(MaintenanceModeMiddleware, backend=backend)
    if is_async:

        @app.get("/open/{name}")
        @force_maintenance_mode_off
        async def open_route(name: str) -> Dict[str, str]:
            return {"name": name}

        @force_maintenance_mode_on
        @app.get("/closed/{number}")
        async def closed_route(number: int) -> Dict[str, int]:
            return {"number": number}

    else:

        @app.get("/open/{name}")
        @force_maintenance_mode_off
        def open_route_sync(name: str) -> Dict[str, str]:
            return {"name": name}

        @force_maintenance_mode_on
        @app.get("/closed/{number}")
        def closed_route_sync(number: int) -> Dict[str, int]:
            return {"number": number}

    @app.get("/plain")
    async def plain() -> str:
        return "plain"

    async with client_for(app) as client:
        assert (await client.get("/open/ada")).json() == {"name": "ada"}
        assert (await client.get("/closed/7")).status_code == 503
        assert (await client.get("/plain")).status_code == 200
        await backend.set_value(True)
        assert (await client.get("/open/ada")).json() == {"name": "ada"}
        assert (await client.get("/closed/7")).status_code == 503
        assert (await client.get("/plain")).status_code == 503


@pytest.mark.anyio
async def test_decorated_routes_through_an_included_router_and_a_shadowing_route() -> None:
    router = APIRouter(prefix="/api")

    @router.get("/status")
    @force_maintenance_mode_off
    async def status() -> str:
        return "ok"

    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, enable_maintenance=True)

    @app.get("/things/{name}")
    async def things(name: str) -> str:
        return name

    @app.get("/things/special")
    @force_maintenance_mode_off
    async def special() -> str:  # pragma: no cover - shadowed by the route above
        return "special"

    app.include_router(router)
    async with client_for(app) as client:
        assert (await client.get("/api/status")).status_code == 200
        # /things/special reaches /things/{name} first: that route is not exempt.
        assert (await client.get("/things/special")).status_code == 503


@pytest.mark.anyio
async def test_routes_added_after_the_first_request_are_seen() -> None:
    app = make_app(enable_maintenance=True)
    async with client_for(app) as client:
        assert (await client.get("/late")).status_code == 404

        @app.get("/late")
        @force_maintenance_mode_off
        async def late() -> str:
            return "late"

        assert (await client.get("/late")).status_code == 200


# FastAPI >= 0.16x keeps an included router as a node (and serves routes added to it later); the
# route table knows by whether FastAPI offers the walker over such nodes.
KEEPS_INCLUDED_ROUTERS = _route_context_walker() is not None


@pytest.mark.anyio
async def test_routes_added_to_an_included_router_after_the_first_request_are_seen() -> None:
    # FastAPI keeps the included router itself, so a route added to it later is served: it must not
    # slip past maintenance as "no such route", and its own mark must count.
    router = APIRouter(prefix="/api")

    @router.get("/early")
    async def early() -> str:
        return "early"

    app = make_app(enable_maintenance=True)
    app.include_router(router)
    async with client_for(app) as client:
        assert (await client.get("/api/early")).status_code == 503

        @router.get("/late")
        async def late() -> str:
            return "late"

        @router.get("/late-exempt")
        @force_maintenance_mode_off
        async def late_exempt() -> str:
            return "late-exempt"

        if KEEPS_INCLUDED_ROUTERS:
            assert (await client.get("/api/late")).status_code == 503
            assert (await client.get("/api/late-exempt")).status_code == 200
        else:  # older FastAPI copied the routes at include_router(): the app itself does not serve them
            assert (await client.get("/api/late")).status_code == 404
            assert (await client.get("/api/late-exempt")).status_code == 404
        assert (await client.get("/api/missing")).status_code == 404


@pytest.mark.anyio
async def test_routes_added_to_a_mounted_app_after_the_first_request_are_seen() -> None:
    sub_app = FastAPI()

    @sub_app.get("/early")
    async def early() -> str:
        return "early"

    app = make_app(enable_maintenance=True)
    app.mount("/sub", sub_app)
    async with client_for(app) as client:
        assert (await client.get("/sub/early")).status_code == 503

        @sub_app.get("/late-exempt")
        @force_maintenance_mode_off
        async def late_exempt() -> str:
            return "late-exempt"

        @sub_app.get("/late")
        async def late() -> str:
            return "late"

        assert (await client.get("/sub/late-exempt")).status_code == 200
        assert (await client.get("/sub/late")).status_code == 503


@pytest.mark.anyio
@pytest.mark.parametrize("is_async", [True, False])
async def test_exempt_and_response_callbacks_sync_and_async(is_async: bool) -> None:
    calls: List[str] = []

    def exempt_sync(request: Request) -> bool:
        calls.append("exempt")
        return request.headers.get("x-ops") == "1"

    def respond_sync(request: Request) -> Response:
        return PlainTextResponse(f"down: {request.url.path}", status_code=503)

    async def exempt_async(request: Request) -> bool:
        return exempt_sync(request)

    async def respond_async(request: Request) -> Response:
        return respond_sync(request)

    app = make_app(
        enable_maintenance=True,
        exempt_callback=exempt_async if is_async else exempt_sync,
        response_callback=respond_async if is_async else respond_sync,
    )
    async with client_for(app) as client:
        blocked = await client.get("/items/1")
        assert blocked.status_code == 503
        assert blocked.text == "down: /items/1"
        assert (await client.get("/items/1", headers={"x-ops": "1"})).status_code == 200
    assert calls == ["exempt", "exempt"]


@pytest.mark.anyio
async def test_exempt_callback_is_not_called_when_maintenance_is_off() -> None:
    calls: List[str] = []

    def exempt(request: Request) -> bool:
        calls.append(request.url.path)
        return False

    app = make_app(exempt_callback=exempt)
    async with client_for(app) as client:
        assert (await client.get("/")).status_code == 200
    assert calls == []


@pytest.mark.anyio
async def test_deprecated_handler_names_still_work_with_a_warning() -> None:
    def exempt(request: Request) -> bool:
        return request.url.path == "/"

    async def respond(request: Request) -> Response:
        return JSONResponse({"down": True}, status_code=503)

    app = make_app(enable_maintenance=True, exempt_handler=exempt, response_handler=respond)
    async with client_for(app) as client:
        with pytest.warns(DeprecationWarning, match="exempt_handler"):
            first = await client.get("/")
        assert first.status_code == 200
        assert (await client.get("/items/2")).json() == {"down": True}


def test_both_old_and_new_callback_names_is_an_error() -> None:
    with pytest.warns(DeprecationWarning, match="exempt_handler"):
        middleware = MaintenanceModeMiddleware(
            Starlette(), exempt_handler=lambda r: True, exempt_callback=lambda r: True
        )
    assert "either exempt_handler or exempt_callback" in startup_failure(middleware)


def test_a_non_callable_callback_fails_at_start_up() -> None:
    failure = startup_failure(MaintenanceModeMiddleware(Starlette(), exempt_callback="yes"))
    assert "keyword argument exempt_callback = 'yes': must be a callable" in failure


@pytest.mark.anyio
async def test_failing_callbacks_never_give_a_500(caplog: pytest.LogCaptureFixture) -> None:
    def exempt(request: Request) -> bool:
        raise RuntimeError("exempt broke")

    def respond(request: Request) -> Response:
        raise RuntimeError("respond broke")

    app = make_app(enable_maintenance=True, exempt_callback=exempt, response_callback=respond)
    async with client_for(app) as client:
        response = await client.get("/")
    assert response.status_code == 503
    assert response.text == BODY
    assert "exempt_callback raised" in caplog.text
    assert "response_callback raised" in caplog.text


@pytest.mark.anyio
async def test_a_callback_returning_no_response_falls_back_to_the_default(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app(enable_maintenance=True, response_callback=lambda request: {"not": "a response"})
    async with client_for(app) as client:
        response = await client.get("/")
    assert response.status_code == 503
    assert response.text == BODY
    assert "not a Response" in caplog.text


class CountingBackend(BaseStateBackend):
    """A user-written backend: only the two abstract methods."""

    def __init__(self) -> None:
        self.value = False
        self.reads = 0

    async def get_value(self) -> bool:
        self.reads += 1
        return self.value

    async def set_value(self, value: bool) -> None:
        self.value = value


@pytest.mark.anyio
async def test_a_user_written_backend_works_as_a_backend() -> None:
    from fastapi_maintenance import get_maintenance_mode, maintenance_mode_on, set_maintenance_mode

    backend = CountingBackend()
    app = make_app(backend=backend)
    async with client_for(app) as client:
        assert (await client.get("/")).status_code == 200
        await set_maintenance_mode(True, backend)
        assert (await client.get("/")).status_code == 503
        assert await get_maintenance_mode(backend) is True
        await set_maintenance_mode(False, backend)
        async with maintenance_mode_on(backend):
            assert (await client.get("/")).status_code == 503
        assert (await client.get("/")).status_code == 200
    assert backend.reads >= 3


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("policy", "last_value", "expected"),
    [
        ("last_known", True, 503),
        ("last_known", False, 200),
        ("open", True, 200),
        ("closed", False, 503),
    ],
)
async def test_a_failing_backend_is_answered_by_the_fault_policy(
    caplog: pytest.LogCaptureFixture, policy: str, last_value: bool, expected: int
) -> None:
    backend = FlakyBackend()
    backend.value = last_value
    app = make_app(backend=backend, on_backend_error=policy)
    caplog.set_level(logging.INFO, logger="fastapi_maintenance")
    async with client_for(app) as client:
        await client.get("/")
        backend.broken = True
        statuses = [(await client.get("/")).status_code for _ in range(5)]
        assert statuses == [expected] * 5
        backend.broken = False
        backend.value = False
        assert (await client.get("/")).status_code == 200
    failures = [record for record in caplog.records if "failed" in record.getMessage()]
    recoveries = [record for record in caplog.records if "recovered" in record.getMessage()]
    assert len(failures) == 1, "one log line per outage, not per request"
    assert len(recoveries) == 1


@pytest.mark.anyio
async def test_a_backend_failing_from_the_start_counts_as_off_by_default() -> None:
    backend = FlakyBackend()
    backend.broken = True
    app = make_app(backend=backend)
    async with client_for(app) as client:
        assert (await client.get("/")).status_code == 200


@pytest.mark.anyio
async def test_two_apps_in_one_process_do_not_share_state() -> None:
    first_backend, second_backend = MemoryBackend(), MemoryBackend()
    first, second = make_app(backend=first_backend), make_app(backend=second_backend)
    await first_backend.set_value(True)
    async with client_for(first) as one, client_for(second) as two:
        assert (await one.get("/")).status_code == 503
        assert (await two.get("/")).status_code == 200


@pytest.mark.anyio
async def test_a_plain_starlette_app_and_a_raw_asgi_app() -> None:
    async def homepage(request: Request) -> Response:
        return PlainTextResponse("home")

    starlette_app = Starlette(routes=[Route("/", homepage)])
    starlette_app.add_middleware(MaintenanceModeMiddleware, enable_maintenance=True)
    async with client_for(starlette_app) as client:
        assert (await client.get("/")).status_code == 503
        assert (await client.get("/missing")).status_code == 404

    async def raw_app(scope: Any, receive: Any, send: Any) -> None:
        await PlainTextResponse("raw")(scope, receive, send)

    wrapped = MaintenanceModeMiddleware(raw_app, backend=MemoryBackend(True))
    async with client_for(wrapped) as client:
        # No router to consult: every path counts as a route.
        assert (await client.get("/anything")).status_code == 503


@pytest.mark.anyio
async def test_env_backend_warns_once_for_an_unrecognised_value(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "maybe")
    app = make_app()
    async with client_for(app) as client:
        for _ in range(5):
            assert (await client.get("/")).status_code == 200
    warnings = [record for record in caplog.records if "not a recognised on/off value" in record.getMessage()]
    assert len(warnings) == 1


@pytest.mark.anyio
async def test_env_backend_with_a_custom_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_APP_DOWN", " TRUE ")
    app = make_app(backend=EnvVarBackend(var_name="MY_APP_DOWN"))
    async with client_for(app) as client:
        assert (await client.get("/")).status_code == 503
