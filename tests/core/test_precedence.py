"""The precedence table: the pure engine, and the real middleware against an independent reference model."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Tuple

import anyio
import pytest
from fastapi import FastAPI, Request
from hypothesis import given, settings
from hypothesis import strategies as st

from fastapi_maintenance import (
    MaintenanceModeMiddleware,
    force_maintenance_mode_off,
    force_maintenance_mode_on,
    maintenance_mode_off,
    maintenance_mode_on,
)
from fastapi_maintenance.backends import MemoryBackend
from fastapi_maintenance.rules import Decision, Facts, Reason, decide, global_state
from tests.support.asgi import client_for


def reference_blocks(
    *,
    route_found: bool,
    mark: Optional[bool],
    exempt: bool,
    overrides: List[bool],
    hard_switch: Optional[bool],
    backend_state: bool,
    in_window: bool,
    read_only: bool,
    safe_method: bool,
) -> bool:
    """The table as the docs state it, written independently of the engine."""
    if not route_found:
        return False
    if mark is not None:
        return mark
    if exempt:
        return False
    if overrides:
        on = overrides[-1]
    elif hard_switch is not None:
        on = hard_switch
    else:
        on = backend_state or in_window  # a scheduled window turns maintenance on like the backend does
    if on and read_only and safe_method:
        return False
    return on


def test_engine_reasons_for_each_level() -> None:
    assert decide(Facts(route_found=False, forced=True)) == Decision(False, Reason.NO_ROUTE)
    assert decide(Facts(forced=True, exemption=Reason.EXEMPT_DOCS)) == Decision(True, Reason.ROUTE_FORCED_ON)
    assert decide(Facts(forced=False, state=global_state(override=True))) == Decision(
        False, Reason.ROUTE_FORCED_OFF
    )
    assert decide(Facts(exemption=Reason.EXEMPT_IP, state=global_state(override=True))) == Decision(
        False, Reason.EXEMPT_IP
    )
    assert decide(Facts(state=global_state(override=False, hard_switch=True))) == Decision(
        False, Reason.OVERRIDE
    )
    assert decide(Facts(state=global_state(hard_switch=False, backend_state=True))) == Decision(
        False, Reason.HARD_SWITCH
    )
    assert decide(Facts(state=global_state(backend_state=True))) == Decision(True, Reason.BACKEND)
    assert decide(Facts(state=global_state(in_window=True))) == Decision(True, Reason.WINDOW)
    assert decide(Facts(state=global_state(hard_switch=False, in_window=True))) == Decision(
        False, Reason.HARD_SWITCH
    )
    assert decide(
        Facts(state=global_state(backend_state=True), read_only=True, safe_method=True)
    ) == Decision(False, Reason.READ_ONLY)
    assert decide(Facts(forced=True, read_only=True, safe_method=True)) == Decision(
        True, Reason.ROUTE_FORCED_ON
    )
    assert decide(Facts()) == Decision(False, Reason.BACKEND)


@given(
    route_found=st.booleans(),
    forced=st.sampled_from([None, True, False]),
    exempt=st.booleans(),
    overrides=st.lists(st.booleans(), max_size=3),
    hard_switch=st.sampled_from([None, True, False]),
    backend_state=st.booleans(),
    in_window=st.booleans(),
    read_only=st.booleans(),
    safe_method=st.booleans(),
)
def test_engine_agrees_with_the_reference_model(
    route_found: bool,
    forced: Optional[bool],
    exempt: bool,
    overrides: List[bool],
    hard_switch: Optional[bool],
    backend_state: bool,
    in_window: bool,
    read_only: bool,
    safe_method: bool,
) -> None:
    facts = Facts(
        route_found=route_found,
        forced=forced,
        exemption=Reason.EXEMPT_CALLBACK if exempt else None,
        state=global_state(
            override=overrides[-1] if overrides else None,
            hard_switch=hard_switch,
            backend_state=backend_state,
            in_window=in_window,
        ),
        read_only=read_only,
        safe_method=safe_method,
    )
    expected = reference_blocks(
        route_found=route_found,
        mark=forced,
        exempt=exempt,
        overrides=overrides,
        hard_switch=hard_switch,
        backend_state=backend_state,
        in_window=in_window,
        read_only=read_only,
        safe_method=safe_method,
    )
    assert decide(facts).maintenance is expected


SECRET = "correct-horse-battery-staple"
WINDOW_START = datetime(2031, 1, 1, tzinfo=timezone.utc)
_APPS: Dict[Tuple[Optional[bool], bool], Tuple[FastAPI, MemoryBackend, List[float]]] = {}


def app_for(hard_switch: Optional[bool], read_only: bool) -> Tuple[FastAPI, MemoryBackend, List[float]]:
    """One real app per middleware configuration, reused across examples; every rule is configured."""
    key = (hard_switch, read_only)
    if key not in _APPS:
        now = [0.0]
        backend = MemoryBackend()
        app = FastAPI()

        def exempt(request: Request) -> bool:
            return request.headers.get("x-exempt") == "yes"

        app.add_middleware(
            MaintenanceModeMiddleware,
            backend=backend,
            enable_maintenance=hard_switch,
            exempt_callback=exempt,
            read_only=read_only,
            allowed_ips=["203.0.113.0/24"],
            trusted_proxies=["127.0.0.1"],
            bypass={"secret": SECRET},
            exempt_paths=["/public/**"],
            maintenance_paths=["/legacy/**"],
            windows=[
                {"start": WINDOW_START.isoformat(), "end": (WINDOW_START + timedelta(days=1)).isoformat()}
            ],
            clock=lambda: now[0],
        )
        for prefix, mark in [
            ("on", True),
            ("off", False),
            ("plain", None),
            ("public", None),
            ("legacy", None),
        ]:
            app.add_api_route(f"/{prefix}/{{item}}", _endpoint(mark), methods=["GET", "POST"])
        _APPS[key] = (app, backend, now)
    return _APPS[key]


def _endpoint(mark: Optional[bool]) -> Any:
    async def endpoint(item: int) -> int:
        return item

    if mark is True:
        return force_maintenance_mode_on(endpoint)
    if mark is False:
        return force_maintenance_mode_off(endpoint)
    return endpoint


#: How each exemption kind is produced: (client address, headers).
EXEMPTIONS: Dict[Optional[str], Tuple[str, Dict[str, str]]] = {
    None: ("198.51.100.1", {}),
    "ip": ("203.0.113.9", {}),
    "forwarded-ip": ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}),
    "bypass-header": ("198.51.100.1", {"X-Maintenance-Bypass": SECRET}),
    "callback": ("198.51.100.1", {"x-exempt": "yes"}),
}


@settings(max_examples=200, deadline=None)
@given(
    route=st.sampled_from(["on", "off", "plain", "public", "legacy", "missing"]),
    exemption=st.sampled_from(list(EXEMPTIONS)),
    overrides=st.lists(st.booleans(), max_size=3),
    hard_switch=st.sampled_from([None, True, False]),
    backend_state=st.booleans(),
    in_window=st.booleans(),
    read_only=st.booleans(),
    method=st.sampled_from(["GET", "POST"]),
    item=st.integers(min_value=0, max_value=10**6),
)
def test_the_real_middleware_follows_the_table(
    route: str,
    exemption: Optional[str],
    overrides: List[bool],
    hard_switch: Optional[bool],
    backend_state: bool,
    in_window: bool,
    read_only: bool,
    method: str,
    item: int,
) -> None:
    """Decorator marks, path globs, every exemption, overrides, hard switch, backend and windows, end to end."""
    app, backend, now = app_for(hard_switch, read_only)
    now[0] = (WINDOW_START + timedelta(hours=1 if in_window else -1)).timestamp()
    peer, headers = EXEMPTIONS[exemption]
    expected_block = reference_blocks(
        route_found=route != "missing",
        mark={"on": True, "legacy": True, "off": False, "public": False}.get(route),
        exempt=exemption is not None,
        overrides=overrides,
        hard_switch=hard_switch,
        backend_state=backend_state,
        in_window=in_window,
        read_only=read_only,
        safe_method=method == "GET",
    )

    async def scenario() -> int:
        await backend.set_value(backend_state)
        async with AsyncExitStack() as stack, client_for(app, peer, base_url="http://t") as http:
            for value in overrides:
                context = maintenance_mode_on(backend) if value else maintenance_mode_off(backend)
                await stack.enter_async_context(context)
            response = await http.request(method, f"/{route}/{item}", headers=headers)
        assert backend.peek() is backend_state, "overrides restore the backend when they exit"
        return response.status_code

    status = anyio.run(scenario)
    if route == "missing":
        assert status == 404
    else:
        assert status == (503 if expected_block else 200)


@pytest.mark.anyio
async def test_exemptions_are_not_evaluated_when_they_cannot_matter() -> None:
    calls: List[str] = []

    def exempt(request: Request) -> bool:
        calls.append(request.url.path)
        return True

    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, backend=MemoryBackend(True), exempt_callback=exempt)

    @app.get("/on")
    @force_maintenance_mode_on
    async def on() -> str:
        return "on"

    async with client_for(app) as client:
        assert (await client.get("/on")).status_code == 503
        assert (await client.get("/missing")).status_code == 404
    assert calls == []
