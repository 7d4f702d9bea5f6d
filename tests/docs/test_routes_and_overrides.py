"""docs/decorators.md, docs/context-managers.md and docs/precedence.md."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from fastapi import FastAPI, WebSocket
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from fastapi_maintenance import (
    Facts,
    MaintenanceModeMiddleware,
    Reason,
    decide,
    force_maintenance_mode_off,
    force_maintenance_mode_on,
    global_state,
    maintenance_mode_on,
)
from fastapi_maintenance import rules as rules_module
from fastapi_maintenance.backends import MemoryBackend
from tests.docs.markdown_blocks import ROOT
from tests.docs.runner import MAINTENANCE_BODY, client, run_python
from tests.support.apps import echo_endpoint
from tests.support.asgi import drive_websocket, websocket_scope

DECORATORS = "docs/decorators.md"
CONTEXTS = "docs/context-managers.md"
PRECEDENCE = "docs/precedence.md"


@pytest.mark.anyio
async def test_decorator_example(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_python(DECORATORS, "decorators")["app"]
    async with client(app) as http:
        # Maintenance off: only the forced-on route is down.
        assert (await http.get("/health")).json() == {"status": "ok"}
        assert (await http.get("/orders/7")).json() == {"order_id": 7}
        invoice = await http.post("/orders/7/invoice")
        assert invoice.status_code == 503
        assert invoice.text == MAINTENANCE_BODY
        # Maintenance on: only the forced-off routes are served.
        monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
        assert (await http.get("/health")).status_code == 200
        assert (await http.get("/admin/users/3")).json() == {"user_id": 3}
        assert (await http.get("/orders/7")).status_code == 503
        assert (await http.post("/orders/7/invoice")).status_code == 503
        assert (await http.get("/nowhere")).status_code == 404, "no route: the app's own 404"
        assert (await http.delete("/orders/7")).status_code == 405, "wrong method: the app's own 405"


@pytest.mark.anyio
async def test_forced_routes_beat_the_hard_switch_overrides_and_exemptions() -> None:
    backend = MemoryBackend()
    app = FastAPI()
    app.add_middleware(
        MaintenanceModeMiddleware, backend=backend, enable_maintenance=True, allowed_ips=["127.0.0.1"]
    )

    @force_maintenance_mode_off  # above the route line works too
    @app.get("/health")
    def health() -> str:
        return "ok"

    @app.get("/down")
    @force_maintenance_mode_on
    def down() -> str:
        return "never"

    @app.get("/plain")
    def plain() -> str:
        return "plain"

    async with client(app) as http, maintenance_mode_on(backend):
        assert (await http.get("/health")).status_code == 200
        assert (await http.get("/down")).status_code == 503, "allowed IP does not lift a forced-on route"
        assert (await http.get("/plain")).status_code == 200, "the allowed IP is exempt at level 3"


@pytest.mark.anyio
async def test_marks_inside_mounts_and_on_websockets() -> None:
    async def status_page(request: Request) -> PlainTextResponse:
        return PlainTextResponse("up")

    force_maintenance_mode_off(status_page)
    app = FastAPI()
    app.mount("/legacy", Starlette(routes=[Route("/status", status_page)]))
    app.add_middleware(MaintenanceModeMiddleware, enable_maintenance=True)

    @app.websocket("/ws/live")
    @force_maintenance_mode_off
    async def live(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("live")
        await websocket.close()

    @app.websocket("/ws/plain")
    async def plain(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.close()

    async with client(app) as http:
        assert (await http.get("/legacy/status")).text == "up"
    live_messages = await drive_websocket(app, websocket_scope("/ws/live"))
    assert [message["type"] for message in live_messages] == [
        "websocket.accept",
        "websocket.send",
        "websocket.close",
    ]
    refused = await drive_websocket(app, websocket_scope("/ws/plain"))
    assert [(message["type"], message.get("code")) for message in refused] == [
        ("websocket.accept", None),
        ("websocket.close", 1013),
    ], "refused before the app sees it: close code 1013 (Try Again Later)"


@pytest.mark.anyio
async def test_routes_added_after_the_first_request_are_picked_up() -> None:
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, enable_maintenance=True)
    async with client(app) as http:
        assert (await http.get("/late")).status_code == 404

        @app.get("/late")
        @force_maintenance_mode_off
        def late() -> str:
            return "late"

        assert (await http.get("/late")).status_code == 200


@pytest.mark.anyio
async def test_glob_settings_example_and_their_level(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app: FastAPI = run_python(DECORATORS, "globs-kwargs")["app"]
    for path in ("/health", "/healthz", "/admin/users/{user}", "/billing/invoices/{number}", "/shop"):
        app.add_api_route(path, echo_endpoint(path), methods=["GET"])

    @app.get("/billing/status")
    @force_maintenance_mode_off
    def billing_status() -> str:
        return "never served: maintenance_paths is level 1"

    async with client(app) as http:
        assert (await http.get("/shop")).status_code == 200
        assert (await http.get("/billing/invoices/7")).status_code == 503, "down while the rest runs"
        assert (await http.get("/billing/status")).status_code == 503
        monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
        for path in ("/health", "/healthz", "/admin/users/3"):
            assert (await http.get(path)).status_code == 200, path
        assert (await http.get("/shop")).status_code == 503


@pytest.mark.anyio
async def test_forced_on_beats_exempt_paths() -> None:
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, exempt_paths=["/reports/**"])

    @app.get("/reports/export")
    @force_maintenance_mode_on
    def export() -> str:
        return "never"

    async with client(app) as http:
        assert (await http.get("/reports/export")).status_code == 503


# --- context managers ---


@pytest.mark.anyio
async def test_deploy_endpoint(sandbox: Path) -> None:
    seen: List[int] = []
    holder: Dict[str, Any] = {}

    async def run_migrations() -> None:
        async with client(holder["app"]) as probe:
            seen.append((await probe.get("/orders")).status_code)
        assert (sandbox / "maintenance_mode.txt").read_text() == "1", "written through"
        if holder.get("fail"):
            raise RuntimeError("migration failed")

    namespace = run_python(CONTEXTS, "deploy-endpoint", {"run_migrations": run_migrations})
    app = holder["app"] = namespace["app"]
    async with client(app, raise_app_exceptions=False) as http:
        assert (await http.get("/orders")).status_code == 200
        assert (await http.post("/admin/migrate")).json() == {"migrated": True}
        assert seen == [503], "another request during the block got the 503"
        assert (await http.get("/orders")).status_code == 200, "the state from before is back"
        assert (sandbox / "maintenance_mode.txt").read_text() == "0"
        holder["fail"] = True
        assert (await http.post("/admin/migrate")).status_code == 500
        assert seen == [503, 503]
        assert (await http.get("/orders")).status_code == 200, "restored after an exception too"


@pytest.mark.anyio
async def test_an_override_beats_the_hard_switch_but_not_a_forced_route() -> None:
    backend = MemoryBackend()
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, backend=backend, enable_maintenance=True)

    @app.get("/health")
    @force_maintenance_mode_off
    def health() -> str:
        return "ok"

    @app.get("/shop")
    def shop() -> str:
        return "open"

    from fastapi_maintenance import maintenance_mode_off

    async with client(app) as http:
        assert (await http.get("/shop")).status_code == 503
        async with maintenance_mode_off(backend):
            assert (await http.get("/shop")).status_code == 200
        async with maintenance_mode_on(backend):
            assert (await http.get("/health")).status_code == 200


def test_nesting_example() -> None:
    run_python(CONTEXTS, "nesting")  # the block asserts the state at each step


def test_maintenance_script(sandbox: Path) -> None:
    """The script's override reaches an app process that only shares the file with it."""
    app = run_python(CONTEXTS, "deploy-endpoint", {"run_migrations": None})["app"]
    seen: List[int] = []

    async def status() -> int:
        async with client(app) as http:
            return (await http.get("/orders")).status_code

    async def run_migrations() -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            code = await status()
            if code == 503:
                break
            await asyncio.sleep(0.05)
        seen.append(code)

    assert asyncio.run(status()) == 200
    run_python(CONTEXTS, "script", {"run_migrations": run_migrations})
    assert seen == [503]
    deadline = time.monotonic() + 5
    while asyncio.run(status()) != 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert asyncio.run(status()) == 200, "served again after the script"


def test_context_manager_as_decorator(sandbox: Path) -> None:
    calls: List[str] = []

    async def reindex_everything() -> None:
        calls.append((sandbox / "maintenance_mode.txt").read_text())

    namespace = run_python(CONTEXTS, "as-decorator", {"reindex_everything": reindex_everything})
    asyncio.run(namespace["rebuild_search_index"]())
    asyncio.run(namespace["rebuild_search_index"]())
    assert calls == ["1", "1"], "each call runs inside a fresh context"
    assert (sandbox / "maintenance_mode.txt").read_text() == "0"


# --- precedence ---


def test_decide_example() -> None:
    run_python(PRECEDENCE, "decide")  # the block asserts each decision


def _docs_table() -> Dict[int, List[str]]:
    text = (ROOT / PRECEDENCE).read_text(encoding="utf-8")
    rows: Dict[int, List[str]] = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].isdigit():
            rows[int(cells[0])] = cells[1:]
    return rows


def _rules_table() -> Dict[int, str]:
    doc = rules_module.__doc__ or ""
    return {
        int(match.group(1)): match.group(2).strip()
        for match in re.finditer(r"^(\d)\s+.*?\s{2,}(serve|maintenance|its value)\s*$", doc, flags=re.M)
    }


#: For each level: facts where that level is the highest that speaks, and the outcome it must give.
LEVEL_FACTS: Dict[int, List[Tuple[Facts, bool]]] = {
    0: [(Facts(route_found=False, forced=True, state=global_state(hard_switch=True)), False)],
    1: [(Facts(forced=True, exemption=Reason.EXEMPT_IP, state=global_state(hard_switch=False)), True)],
    2: [(Facts(forced=False, state=global_state(override=True)), False)],
    3: [
        (Facts(exemption=reason, state=global_state(override=True)), False)
        for reason in (
            Reason.EXEMPT_DOCS,
            Reason.CORS_PREFLIGHT,
            Reason.EXEMPT_IP,
            Reason.EXEMPT_BYPASS,
            Reason.EXEMPT_CALLBACK,
        )
    ],
    4: [
        (Facts(state=global_state(override=False, hard_switch=True)), False),
        (Facts(state=global_state(override=True, hard_switch=False)), True),
    ],
    5: [
        (Facts(state=global_state(hard_switch=True)), True),
        (Facts(state=global_state(hard_switch=False, backend_state=True)), False),
    ],
    6: [
        (Facts(state=global_state(backend_state=True)), True),
        (Facts(state=global_state(in_window=True)), True),
        (Facts(), False),
    ],
}


def test_the_page_table_matches_rules_py_and_decide() -> None:
    docs, rules = _docs_table(), _rules_table()
    assert sorted(docs) == sorted(rules) == list(range(7))
    for level, (_rule, outcome, reasons) in docs.items():
        members = [Reason[name] for name in re.findall(r"`([A-Z_]+)`", reasons)]
        expected_outcome = rules[level]
        if expected_outcome == "serve":
            assert outcome.startswith("served"), level
        elif expected_outcome == "maintenance":
            assert outcome == "maintenance", level
        else:
            assert "value" in outcome, level
        for facts, maintenance in LEVEL_FACTS[level]:
            decision = decide(facts)
            assert decision.reason in members, (level, facts, decision)
            assert decision.maintenance is maintenance, (level, facts, decision)
    documented = set(re.findall(r"`([A-Z_]+)`", (ROOT / PRECEDENCE).read_text(encoding="utf-8")))
    assert {member.name for member in Reason} <= documented, "every Reason is on the page"


def test_read_only_never_lifts_a_forced_route() -> None:
    decision = decide(Facts(forced=True, read_only=True, safe_method=True))
    assert decision.maintenance is True


@pytest.mark.anyio
async def test_exempt_callback_is_not_called_while_nothing_is_blocked() -> None:
    calls: List[str] = []

    def exempt(request: Request) -> bool:
        calls.append(request.url.path)
        return False

    backend = MemoryBackend()
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, backend=backend, exempt_callback=exempt)

    @app.get("/")
    def root() -> str:
        return "root"

    async with client(app) as http:
        await http.get("/")
        assert calls == []
        await backend.set_value(True)
        await http.get("/")
        assert calls == ["/"]
