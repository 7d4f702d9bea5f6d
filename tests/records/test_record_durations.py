"""A duration ending after what a date-time can hold is a ValueError naming duration=, never an OverflowError."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Dict

import pytest
from fastapi import FastAPI

from fastapi_maintenance import MaintenanceModeMiddleware, set_maintenance_mode
from fastapi_maintenance.access.admin_tokens import hash_admin_token, new_admin_token
from fastapi_maintenance.admin import admin_router
from fastapi_maintenance.backends import MemoryBackend
from fastapi_maintenance.record import OFF, switched_state
from tests.support.asgi import client_for

NOW = datetime(2026, 12, 24, 2, 0, tzinfo=timezone.utc)
DEPLOY = new_admin_token("deploy-bot")


@pytest.mark.parametrize("duration", [10**12, 1e15, timedelta(days=999_999_999), 86400 * 365 * 9000])
def test_a_duration_ending_after_9999_is_a_value_error_naming_duration(duration: object) -> None:
    with pytest.raises(ValueError, match="duration="):
        switched_state(True, OFF, duration=duration, now=NOW)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_set_maintenance_mode_raises_value_error_for_a_too_long_duration() -> None:
    backend = MemoryBackend()
    with pytest.raises(ValueError, match="duration="):
        await set_maintenance_mode(True, backend, duration=10**12)
    assert (await backend.get_state()) == OFF


def admin_app(backend: MemoryBackend) -> FastAPI:
    """An app with the admin API at /_m and one route at /."""
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, backend=backend)
    app.include_router(admin_router(tokens={"deploy-bot": hash_admin_token(DEPLOY)}), prefix="/_m")

    @app.get("/")
    async def index() -> Dict[str, bool]:
        return {"ok": True}

    return app


async def put_is_refused(body: Dict[str, object]) -> None:
    """PUT ``body``: 422, the app keeps serving and nothing is stored."""
    backend = MemoryBackend()
    async with client_for(admin_app(backend)) as http:
        answer = await http.put("/_m/", json=body, headers={"Authorization": f"Bearer {DEPLOY}"})
        assert answer.status_code == 422, answer.text
        assert (await http.get("/")).status_code == 200
    assert (await backend.get_state()) == OFF


@pytest.mark.anyio
@pytest.mark.parametrize("duration", [10**12, "P999999999D", 86400 * 365 * 9000])
async def test_the_admin_api_answers_422_for_a_too_long_duration(duration: object) -> None:
    await put_is_refused({"active": True, "duration": duration})
