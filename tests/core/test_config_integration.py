"""Settings compiled into the middleware: from_config, the twelve-factor path, settings=, responses."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Dict, List

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message

from fastapi_maintenance import MaintenanceConfigError, MaintenanceModeMiddleware, MaintenanceSettings
from fastapi_maintenance.backends import LocalFileBackend, MemoryBackend
from tests.support.apps import echo_endpoint
from tests.support.asgi import client_for, find_middleware
from tests.support.lifespan import startup_failure_async
from tests.support.servers import uvicorn_server

REPO = Path(__file__).resolve().parents[2]
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def routes(app: FastAPI) -> FastAPI:
    for path in ("/", "/health", "/healthz", "/admin/users/{user}", "/billing/invoices/{number}", "/shop"):
        app.add_api_route(path, echo_endpoint(path), methods=["GET", "POST"])
    return app


@pytest.mark.anyio
async def test_from_config_toml_with_globs_retry_after_date_and_response(tmp_path: Path) -> None:
    config = tmp_path / "maintenance.toml"
    config.write_text(
        """
backend = {type = "file", path = "state/flag"}
exempt_paths = ["/health*", "/admin/**"]
maintenance_paths = ["/billing/**"]
retry_after = 2031-01-02T03:04:05Z

[response]
status_code = 599
message = "Back soon"
""",
        encoding="utf-8",
    )
    (tmp_path / "state").mkdir()
    app = routes(FastAPI())
    app.add_middleware(MaintenanceModeMiddleware.from_config(config))
    async with client_for(app) as client:
        assert (await client.get("/shop")).status_code == 200
        billing = await client.get("/billing/invoices/7")
        assert billing.status_code == 599, "maintenance_paths are down even with maintenance off"
        assert billing.json() == {"detail": "Back soon"}
        assert billing.headers["retry-after"] == "Thu, 02 Jan 2031 03:04:05 GMT"
        backend = find_middleware(app).backend
        assert isinstance(backend, LocalFileBackend)
        assert backend.file_path == tmp_path / "state" / "flag", "relative to the config file's folder"
        await backend.set_value(True)
        assert (await client.get("/shop")).status_code == 599
        for exempt in ("/health", "/healthz", "/admin/users/3"):
            assert (await client.get(exempt)).status_code == 200, exempt


@pytest.mark.anyio
async def test_from_config_yaml(tmp_path: Path) -> None:
    config = tmp_path / "maintenance.yaml"
    config.write_text(
        "# yaml-language-server: $schema=./schemas/maintenance.schema.json\n"
        "enabled: true\nexempt_paths: ['/health']\nretry_after: 120\n",
        encoding="utf-8",
    )
    app = routes(FastAPI())
    app.add_middleware(MaintenanceModeMiddleware.from_config(str(config)))
    async with client_for(app) as client:
        blocked = await client.get("/shop")
        assert blocked.status_code == 503
        assert blocked.headers["retry-after"] == "120"
        assert (await client.get("/health")).status_code == 200


@pytest.mark.anyio
async def test_keyword_arguments_win_over_every_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "maintenance.toml"
    config.write_text('enabled = false\nbackend = "memory"\nretry_after = 10\n', encoding="utf-8")
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RETRY_AFTER", "20")
    backend = MemoryBackend()
    factory = MaintenanceModeMiddleware.from_config(
        config, backend=backend, enable_maintenance=True, retry_after=30
    )
    app = routes(FastAPI())
    app.add_middleware(factory)
    async with client_for(app) as client:
        response = await client.get("/shop")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert find_middleware(app).backend is backend


def test_from_config_fails_at_once_naming_the_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "maintenance.toml"
    config.write_text("exempt_pathz = ['/health']\n", encoding="utf-8")
    with pytest.raises(MaintenanceConfigError) as error:
        MaintenanceModeMiddleware.from_config(config)
    assert str(config) in str(error.value)
    assert "exempt_pathz" in str(error.value)
    with pytest.raises(MaintenanceConfigError, match=r"missing\.toml"):
        MaintenanceModeMiddleware.from_config(tmp_path / "missing.toml")


@pytest.mark.anyio
async def test_the_twelve_factor_path_reads_the_environment_and_the_named_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "ops.toml"
    config.write_text('exempt_paths = ["/health"]\nretry_after = 60\n', encoding="utf-8")
    monkeypatch.setenv("FASTAPI_MAINTENANCE_CONFIG", str(config))
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RETRY_AFTER", "90")
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "on")
    app = routes(FastAPI())
    app.add_middleware(MaintenanceModeMiddleware)
    async with client_for(app) as client:
        blocked = await client.get("/shop")
        assert blocked.status_code == 503
        assert blocked.headers["retry-after"] == "90", "env wins over the file"
        assert (await client.get("/health")).status_code == 200


def test_from_config_without_a_path_validates_the_environment_at_import_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RETRY_AFTER", "soon")
    with pytest.raises(MaintenanceConfigError, match="retry_after"):
        MaintenanceModeMiddleware.from_config()


@pytest.mark.anyio
async def test_settings_object_and_settings_keys_beside_it(tmp_path: Path) -> None:
    settings = MaintenanceSettings(enabled=True, exempt_paths=["/health"])
    app = routes(FastAPI())
    app.add_middleware(MaintenanceModeMiddleware, settings=settings)
    async with client_for(app) as client:
        assert (await client.get("/shop")).status_code == 503
        assert (await client.get("/health")).status_code == 200
    failure = await startup_failure_async(
        MaintenanceModeMiddleware(FastAPI(), settings=settings, read_only=True)
    )
    assert "inside settings=" in failure
    assert "read_only" in failure


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("options", "named"),
    [({"exempt_pathz": ["/x"]}, "exempt_pathz"), ({"allowed_ips": ["10.0.0.1/8"]}, "allowed_ips")],
)
async def test_invalid_settings_fail_the_lifespan_start_up(options: Dict[str, Any], named: str) -> None:
    """Built lazily by Starlette: bad settings fail the start-up with the message, so the server stops."""
    middleware = MaintenanceModeMiddleware(routes(FastAPI()), **options)
    sent: List[Dict[str, Any]] = []
    messages = [{"type": "lifespan.startup"}]

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(dict(message))

    await middleware({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    assert [message["type"] for message in sent] == ["lifespan.startup.failed"]
    assert named in sent[0]["message"]
    # A server that skipped the lifespan meets the same error at the first request.
    with pytest.raises(MaintenanceConfigError, match=named):
        async with client_for(middleware) as client:
            await client.get("/")


@pytest.mark.anyio
async def test_html_template_for_browsers_and_json_for_everyone_else(tmp_path: Path) -> None:
    (tmp_path / "down.html").write_text(
        "<h1>{{ message }}</h1><p>Retry after {{ retry_after }} s, path {{ path }}</p>", encoding="utf-8"
    )
    config = tmp_path / "maintenance.toml"
    config.write_text(
        'enabled = true\nretry_after = 300\n[response]\nmessage = "Upgrading <db>"\ntemplate = "down.html"\n',
        encoding="utf-8",
    )
    app = routes(FastAPI())
    app.add_middleware(MaintenanceModeMiddleware.from_config(config))
    async with client_for(app) as client:
        page = await client.get("/shop", headers={"Accept": BROWSER_ACCEPT})
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["retry-after"] == "300"
        assert page.headers["cache-control"] == "no-store"
        assert page.text == "<h1>Upgrading &lt;db&gt;</h1><p>Retry after 300 s, path /shop</p>"
        for accept in ("application/json", "*/*", "application/json, text/html;q=0.5", ""):
            data = await client.get("/shop", headers={"Accept": accept})
            assert data.headers["content-type"] == "application/json", accept
            assert data.json() == {"detail": "Upgrading <db>"}


def test_a_broken_template_fails_at_start_up(tmp_path: Path) -> None:
    (tmp_path / "down.html").write_text("<h1>{{ message </h1>", encoding="utf-8")
    config = tmp_path / "maintenance.toml"
    config.write_text('[response]\ntemplate = "down.html"\n', encoding="utf-8")
    with pytest.raises(MaintenanceConfigError, match=r"down\.html, line 1"):
        MaintenanceModeMiddleware.from_config(config)


@pytest.mark.anyio
async def test_the_example_config_file_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(REPO / "example.maintenance.toml", tmp_path / "maintenance.toml")
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    app = routes(FastAPI())
    app.add_middleware(MaintenanceModeMiddleware.from_config(tmp_path / "maintenance.toml"))
    async with client_for(app, peer="198.51.100.1") as client:
        assert (await client.get("/shop")).status_code == 503
        assert (await client.get("/healthz")).status_code == 200
    async with client_for(app) as local:
        # The example leaves allowed_ips commented out, so localhost sees maintenance too.
        assert (await local.get("/shop")).status_code == 503


APP_MODULE = """
from fastapi import FastAPI
from fastapi_maintenance import MaintenanceModeMiddleware

app = FastAPI()
app.add_middleware(MaintenanceModeMiddleware)

@app.get("/")
async def root():
    return {"message": "Hello World"}
"""


@pytest.mark.http
@pytest.mark.parametrize("lifespan", ["auto", "on"])
def test_bad_environment_stops_uvicorn_at_start_up(tmp_path: Path, lifespan: str) -> None:
    """A bad setting is a start-up failure, never a 500 at the first request, under uvicorn's default too."""
    (tmp_path / "app.py").write_text(APP_MODULE, encoding="utf-8")
    with pytest.raises(RuntimeError, match="FASTAPI_MAINTENANCE_EXEMPT_PATHZ"):  # noqa: SIM117
        with uvicorn_server(
            "app:app",
            cwd=tmp_path,
            env={"FASTAPI_MAINTENANCE_EXEMPT_PATHZ": '["/x"]'},
            extra_args=["--lifespan", lifespan],
        ):
            pass  # pragma: no cover - never starts
    with uvicorn_server("app:app", cwd=tmp_path, extra_args=["--lifespan", "on"]) as base_url:
        assert httpx.get(base_url + "/").status_code == 200
