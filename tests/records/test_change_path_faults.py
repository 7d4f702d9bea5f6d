"""What user code on the change path raises is logged, never served: a backend's ``describe()``, metrics hooks."""

from __future__ import annotations

import logging
from typing import Any, List, Optional

import pytest
from fastapi import FastAPI

from fastapi_maintenance import MaintenanceModeMiddleware
from fastapi_maintenance.backends import BackendUnavailable, BaseStateBackend, MemoryBackend
from fastapi_maintenance.record import MaintenanceState
from fastapi_maintenance.rules import Decision
from tests.support.asgi import client_for

pytestmark = pytest.mark.anyio


class UnnamableBackend(BaseStateBackend):
    """A user backend whose ``describe()`` is broken; reading and writing work."""

    def __init__(self) -> None:
        self.value = False
        self.broken = False

    async def get_value(self) -> bool:
        if self.broken:
            raise BackendUnavailable("store unreachable")
        return self.value

    async def set_value(self, value: bool) -> None:
        self.value = value

    def describe(self) -> str:
        raise RuntimeError("describe is broken")


class RaisingObserver:
    """A metrics observer whose change and outage hooks raise (deciding works)."""

    def __init__(self) -> None:
        self.seen: List[str] = []

    def request_decided(self, decision: Decision) -> None:
        pass

    def state_seen(self, old: Optional[MaintenanceState], new: MaintenanceState) -> None:
        self.seen.append("state_seen")
        raise RuntimeError("state_seen is broken")

    def backend_reachable(self, reachable: bool) -> None:
        self.seen.append(f"reachable={reachable}")
        raise RuntimeError("backend_reachable is broken")


def app_on(backend: BaseStateBackend, **kwargs: Any) -> FastAPI:
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, backend=backend, **kwargs)

    @app.get("/x")
    async def x() -> str:
        return "ok"

    return app


async def test_a_backend_whose_describe_raises_still_switches(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="fastapi_maintenance")
    backend = UnnamableBackend()
    async with client_for(app_on(backend)) as http:
        assert (await http.get("/x")).status_code == 200
        backend.value = True
        assert (await http.get("/x")).status_code == 503
        backend.value = False
        assert (await http.get("/x")).status_code == 200
    changed = [
        r.getMessage() for r in caplog.records if r.getMessage().startswith("Maintenance state changed")
    ]
    assert changed == [
        "Maintenance state changed in UnnamableBackend: off -> on",
        "Maintenance state changed in UnnamableBackend: on -> off",
    ]
    assert "UnnamableBackend.describe() raised" in caplog.text


async def test_an_outage_of_a_backend_whose_describe_raises_is_answered_by_the_policy(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="fastapi_maintenance")
    backend = UnnamableBackend()
    async with client_for(app_on(backend, on_backend_error="closed")) as http:
        assert (await http.get("/x")).status_code == 200
        backend.broken = True
        assert (await http.get("/x")).status_code == 503  # the "closed" policy, not a 500
        backend.broken = False
        assert (await http.get("/x")).status_code == 200
    assert "Maintenance state backend UnnamableBackend failed" in caplog.text
    assert "Maintenance state backend UnnamableBackend recovered." in caplog.text


async def test_metrics_hooks_that_raise_on_a_change_or_an_outage_stay_out_of_the_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Breakable(MemoryBackend):
        broken = False

        def peek_state(self) -> Optional[MaintenanceState]:
            if self.broken:
                raise BackendUnavailable("store unreachable")
            return super().peek_state()

    backend = Breakable()
    observer = RaisingObserver()
    async with client_for(app_on(backend, metrics=observer, on_backend_error="closed")) as http:
        assert (await http.get("/x")).status_code == 200
        await backend.set_value(True)
        assert (await http.get("/x")).status_code == 503
        backend.broken = True
        assert (await http.get("/x")).status_code == 503
        backend.broken = False
        await backend.set_value(False)
        assert (await http.get("/x")).status_code == 200
    assert observer.seen.count("state_seen") >= 2
    assert "reachable=False" in observer.seen
    assert "reachable=True" in observer.seen
    assert "maintenance observer" in caplog.text
