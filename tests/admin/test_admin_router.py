"""The admin router in-process: switching, the state it returns, refusals, the app's own auth, start-up errors."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Optional

import pytest
from fastapi import Depends, FastAPI, HTTPException, Request

from fastapi_maintenance import MaintenanceConfigError, MaintenanceModeMiddleware, MaintenanceSettings
from fastapi_maintenance.access.admin_tokens import hash_admin_token, new_admin_token
from fastapi_maintenance.admin import admin_router
from fastapi_maintenance.admin.auth import FailedAttemptLog
from fastapi_maintenance.backends import EnvVarBackend, MemoryBackend
from fastapi_maintenance.control import get_maintenance_state
from fastapi_maintenance.record import MaintenanceState
from tests.admin.conftest import bearer
from tests.support.asgi import client_for

DEPLOY = new_admin_token("deploy-bot")
OTHER = new_admin_token("other-bot")
TOKENS = {"deploy-bot": hash_admin_token(DEPLOY)}


def _app(served: MemoryBackend, **router_options: object) -> FastAPI:
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, backend=served)
    options: Dict[str, object] = {"tokens": TOKENS, **router_options}
    app.include_router(admin_router(**options), prefix="/_maintenance")  # type: ignore[arg-type]

    @app.get("/")
    async def index() -> Dict[str, bool]:
        return {"ok": True}

    return app


def _parse_time(text: str) -> datetime:
    """An RFC 3339 time as the API writes it (``Z`` for UTC, which ``fromisoformat`` reads only from 3.11)."""
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)


@pytest.mark.anyio
async def test_switching_on_with_fields_and_off_again(caplog: pytest.LogCaptureFixture) -> None:
    backend = MemoryBackend()
    caplog.set_level(logging.INFO, logger="fastapi_maintenance.audit")
    async with client_for(_app(backend)) as http:
        before = await http.get("/_maintenance/", headers=bearer(DEPLOY))
        assert before.status_code == 200
        assert before.json() == {
            "active": False,
            "in_effect": False,
            "message": None,
            "until": None,
            "reason": None,
            "actor": None,
            "since": None,
            "backend": "memory",
            "reachable": True,
            "hard_switch": None,
            "windows": [],
        }
        switched = await http.put(
            "/_maintenance/",
            headers=bearer(DEPLOY),
            json={"active": True, "message": "Database upgrade", "duration": 1800, "reason": "ticket 42"},
        )
        assert switched.status_code == 200, switched.text
        body = switched.json()
        assert body["active"] is True
        assert body["in_effect"] is True
        assert body["message"] == "Database upgrade"
        assert body["reason"] == "ticket 42"
        assert body["actor"] == "deploy-bot", "the actor of a change is the token's name"
        until = _parse_time(body["until"])
        assert timedelta(minutes=29) < until - datetime.now(timezone.utc) <= timedelta(minutes=30)
        assert body["since"] is not None

        blocked = await http.get("/")
        assert blocked.status_code == 503
        assert blocked.json()["detail"] == "Database upgrade"
        assert (await http.get("/_maintenance/", headers=bearer(DEPLOY))).json() == body, (
            "the admin routes answer during maintenance"
        )
        off = await http.delete("/_maintenance/", headers=bearer(DEPLOY))
        assert off.status_code == 200
        assert off.json()["active"] is False
        assert (await http.get("/")).status_code == 200
    state = await get_maintenance_state(backend)
    assert state.active is False
    actors = [getattr(record, "actor", None) for record in caplog.records if record.name.endswith("audit")]
    assert actors == ["deploy-bot", "deploy-bot"], "one audit line per change, naming the actor"


@pytest.mark.anyio
async def test_put_off_with_a_reason_and_until_as_a_date() -> None:
    backend = MemoryBackend()
    until = (datetime.now(timezone.utc) + timedelta(hours=2)).replace(microsecond=0)
    async with client_for(_app(backend)) as http:
        on = await http.put(
            "/_maintenance/", headers=bearer(DEPLOY), json={"active": True, "until": until.isoformat()}
        )
        assert _parse_time(on.json()["until"]) == until
        off = await http.put(
            "/_maintenance/", headers=bearer(DEPLOY), json={"active": False, "reason": "done"}
        )
        assert off.json()["active"] is False
        assert off.json()["reason"] == "done"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "body",
    [
        {"active": True, "until": "2031-01-01T00:00:00Z", "duration": 60},
        {"active": True, "until": "2031-01-01T00:00:00"},
        {"active": True, "until": "2001-01-01T00:00:00Z"},
        {"active": True, "duration": -5},
        {"active": False, "message": "off with a message"},
        {"active": True, "colour": "red"},
        {"message": "no active"},
    ],
)
async def test_bad_bodies_get_422_and_change_nothing(body: Dict[str, object]) -> None:
    backend = MemoryBackend()
    async with client_for(_app(backend)) as http:
        answer = await http.put("/_maintenance/", headers=bearer(DEPLOY), json=body)
        assert answer.status_code == 422, answer.text
    assert (await get_maintenance_state(backend)).active is False


REFUSALS: List[Optional[Dict[str, str]]] = [
    None,
    {"Authorization": f"Basic {DEPLOY}"},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer deploy-bot.wrong-secret"},
    {"Authorization": f"Bearer {OTHER}"},
    {"Authorization": f"Bearer other-bot.{DEPLOY.split('.', 1)[1]}"},
    {"Authorization": f"Bearer {hash_admin_token(DEPLOY)}"},
    {"Authorization": f"Bearer {DEPLOY.split('.', 1)[1]}"},
]


@pytest.mark.anyio
@pytest.mark.parametrize("headers", REFUSALS)
async def test_every_way_in_without_the_token_gets_401_and_changes_nothing(
    headers: Optional[Dict[str, str]],
) -> None:
    backend = MemoryBackend()
    async with client_for(_app(backend)) as http:
        for method in ("GET", "PUT", "DELETE"):
            answer = await http.request(
                method, "/_maintenance/", headers=headers, json={"active": True} if method == "PUT" else None
            )
            assert answer.status_code == 401, (method, answer.text)
            assert answer.headers["www-authenticate"].startswith("Bearer")
            assert "active" not in answer.json()
        assert (await http.get("/")).status_code == 200
    assert (await get_maintenance_state(backend)).active is False


@pytest.mark.anyio
async def test_refused_attempts_are_logged_with_the_client_behind_trusted_proxies_at_a_limited_rate(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = MaintenanceSettings(trusted_proxies=["127.0.0.0/8"], admin={"tokens": TOKENS})
    caplog.set_level(logging.WARNING, logger="fastapi_maintenance.admin")
    app = _app(MemoryBackend(), settings=settings, tokens=None)
    async with client_for(app) as http:
        for _ in range(5):
            headers = {**bearer(OTHER), "X-Forwarded-For": "203.0.113.9"}
            assert (await http.get("/_maintenance/", headers=headers)).status_code == 401
    lines = [record for record in caplog.records if record.name == "fastapi_maintenance.admin"]
    assert len(lines) == 1, "at most one line per interval"
    assert "203.0.113.9" in lines[0].getMessage()
    assert getattr(lines[0], "token_name", None) == "other-bot"
    assert OTHER.split(".", 1)[1] not in lines[0].getMessage(), "the presented secret is never logged"


def test_the_failure_log_reports_how_many_lines_it_held_back(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    log = FailedAttemptLog(interval=10.0, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="fastapi_maintenance.admin")
    for _ in range(4):
        log.refused("no Authorization header", "198.51.100.7", None)
    now[0] = 11.0
    log.refused("no Authorization header", "198.51.100.7", None)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert "3 more refused attempts" in messages[1]


@pytest.mark.anyio
async def test_the_apps_own_auth_as_dependencies_names_the_actor() -> None:
    async def require_admin(request: Request) -> None:
        if request.headers.get("x-api-key") != "app-key-123":
            raise HTTPException(status_code=403, detail="not an admin")
        request.state.maintenance_actor = "alice"

    backend = MemoryBackend()
    app = _app(backend, tokens={}, dependencies=[Depends(require_admin)])
    async with client_for(app) as http:
        assert (await http.put("/_maintenance/", json={"active": True})).status_code == 403
        assert (await get_maintenance_state(backend)).active is False
        answer = await http.put("/_maintenance/", headers={"x-api-key": "app-key-123"}, json={"active": True})
        assert answer.status_code == 200
        assert answer.json()["actor"] == "alice"


def test_no_way_to_authenticate_is_a_start_up_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MaintenanceConfigError, match=r"admin\.tokens.*\(tokens=\{\} was given\)"):
        admin_router(tokens={})
    with pytest.raises(MaintenanceConfigError, match="the settings have no admin section"):
        admin_router()
    with pytest.raises(MaintenanceConfigError, match=r"admin\.tokens is empty"):
        admin_router(settings=MaintenanceSettings(admin={"tokens": {}}))
    with pytest.raises(MaintenanceConfigError, match="is not a token hash"):
        admin_router(tokens={"deploy-bot": "sha256:short"})
    monkeypatch.setenv("FASTAPI_MAINTENANCE_ADMIN__TOKENS", '{"deploy-bot": "sha256:short"}')
    with pytest.raises(MaintenanceConfigError, match="FASTAPI_MAINTENANCE_ADMIN__TOKENS"):
        admin_router()


@pytest.mark.anyio
async def test_the_openapi_document_describes_the_routes_unless_asked_not_to() -> None:
    async with client_for(_app(MemoryBackend())) as http:
        document = (await http.get("/openapi.json")).json()
    operations = document["paths"]["/_maintenance/"]
    assert set(operations) == {"get", "put", "delete"}
    put_body = operations["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert put_body == {"$ref": "#/components/schemas/SwitchRequest"}
    schemas = document["components"]["schemas"]
    assert {"SwitchRequest", "MaintenanceStateOut"} <= set(schemas)
    assert set(schemas["MaintenanceStateOut"]["properties"]) >= {
        "active",
        "message",
        "until",
        "reason",
        "actor",
        "since",
        "backend",
        "reachable",
    }
    assert "maintenanceAdminToken" in document["components"]["securitySchemes"]

    async with client_for(_app(MemoryBackend(), include_in_schema=False)) as http:
        hidden = (await http.get("/openapi.json")).json()
        assert "/_maintenance/" not in hidden.get("paths", {})
        assert (await http.get("/_maintenance/", headers=bearer(DEPLOY))).status_code == 200


@pytest.mark.anyio
async def test_an_explicit_backend_and_a_read_only_one() -> None:
    served, other = MemoryBackend(), MemoryBackend()
    async with client_for(_app(served, backend=other)) as http:
        await http.put("/_maintenance/", headers=bearer(DEPLOY), json={"active": True})
        assert (await http.get("/")).status_code == 200, "the app's own backend is untouched"
    assert (await get_maintenance_state(other)).active is True

    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, backend=EnvVarBackend("ADMIN_TEST_STATE"))
    app.include_router(admin_router(tokens=TOKENS), prefix="/_maintenance")
    async with client_for(app) as http:
        answer = await http.put("/_maintenance/", headers=bearer(DEPLOY), json={"active": True})
        assert answer.status_code == 409
        assert "read-only" in answer.json()["detail"]


class _Unreachable(MemoryBackend):
    """A store that has gone away: every read and write fails."""

    async def get_value(self) -> bool:
        raise ConnectionError("store is gone")

    async def get_state(self) -> MaintenanceState:
        raise ConnectionError("store is gone")

    async def set_value(self, value: bool) -> None:
        raise ConnectionError("store is gone")

    async def set_state(self, state: MaintenanceState) -> None:
        raise ConnectionError("store is gone")


@pytest.mark.anyio
async def test_an_unreachable_backend_is_reported_not_a_500() -> None:
    async with client_for(_app(MemoryBackend(), backend=_Unreachable())) as http:
        read = await http.get("/_maintenance/", headers=bearer(DEPLOY))
        assert read.status_code == 200
        assert read.json()["reachable"] is False
        assert read.json()["active"] is None, "nothing was ever read: unknown, not off"
        write = await http.put("/_maintenance/", headers=bearer(DEPLOY), json={"active": True})
        assert write.status_code == 503
        assert "cannot write the maintenance state" in write.json()["detail"]


class _UnnamableBackend(MemoryBackend):
    """A backend whose ``describe()`` is broken: the admin API names it by its class instead of failing."""

    def describe(self) -> str:
        raise RuntimeError("describe is broken")


@pytest.mark.anyio
async def test_a_backend_whose_describe_raises_is_named_by_its_class_not_a_500() -> None:
    backend = _UnnamableBackend()
    async with client_for(_app(backend)) as http:
        state = await http.get("/_maintenance/", headers=bearer(DEPLOY))
        assert state.status_code == 200, state.text
        assert state.json()["backend"] == "_UnnamableBackend"
        switched = await http.put(
            "/_maintenance/", headers=bearer(DEPLOY), json={"active": True, "message": "m"}
        )
        assert switched.status_code == 200, switched.text
        assert (await http.get("/")).status_code == 503
