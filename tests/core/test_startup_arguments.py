"""Keyword arguments are checked when the middleware is built: a bad one stops the server at start-up.

Starlette builds middleware lazily, inside the first lifespan call; these tests run a real uvicorn
(default ``--lifespan auto``) so "lifespan unsupported" and a 500 per request would both show.
"""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path
from typing import Any, Dict

import httpx
import pytest
from fastapi import FastAPI

from fastapi_maintenance import MaintenanceModeMiddleware, MaintenanceSettings
from fastapi_maintenance.backends import BaseStateBackend, MemoryBackend
from fastapi_maintenance.errors import MaintenanceConfigError
from tests.support.asgi import client_for, find_middleware
from tests.support.lifespan import startup_failure, startup_result_async
from tests.support.servers import uvicorn_server

APP = """
from fastapi import FastAPI
from fastapi_maintenance import MaintenanceModeMiddleware, MaintenanceSettings
from fastapi_maintenance.backends import MemoryBackend

app = FastAPI()

@app.get("/")
async def root():
    return {{"ok": True}}

{line}
"""

BAD_ARGUMENTS = {
    "enable_maintenance_text": (
        'app.add_middleware(MaintenanceModeMiddleware, enable_maintenance="false")',
        "keyword argument enable_maintenance = 'false'",
    ),
    "backend_class": (
        "app.add_middleware(MaintenanceModeMiddleware, backend=MemoryBackend)",
        "keyword argument backend = MemoryBackend: a backend class",
    ),
    "backend_unknown_string": (
        'app.add_middleware(MaintenanceModeMiddleware, backend="memcached")',
        "backend = 'memcached' (from keyword argument)",
    ),
    "backend_bad_table": (
        'app.add_middleware(MaintenanceModeMiddleware, backend={"type": "file"})',
        "backend.path: required",
    ),
    "backend_number": (
        "app.add_middleware(MaintenanceModeMiddleware, backend=42)",
        "keyword argument backend = 42",
    ),
    "exempt_callback": (
        'app.add_middleware(MaintenanceModeMiddleware, exempt_callback="yes")',
        "keyword argument exempt_callback = 'yes': must be a callable",
    ),
    "response_callback": (
        "app.add_middleware(MaintenanceModeMiddleware, response_callback=503)",
        "keyword argument response_callback = 503: must be a callable",
    ),
    "settings_and_key": (
        "app.add_middleware(MaintenanceModeMiddleware, settings=MaintenanceSettings(), retry_after=5)",
        "keyword arguments settings and retry_after",
    ),
    "settings_not_settings": (
        'app.add_middleware(MaintenanceModeMiddleware, settings={"retry_after": 5})',
        "keyword argument settings = dict",
    ),
    "unexpected_error_type": (
        textwrap.dedent(
            """
            import fastapi_maintenance.middleware as built

            def explode(*args, **kwargs):
                raise KeyError("exploded while compiling")

            built.plan_from_arguments = explode
            app.add_middleware(MaintenanceModeMiddleware)
            """
        ),
        "building MaintenanceModeMiddleware failed: KeyError: 'exploded while compiling'",
    ),
}


@pytest.mark.http
@pytest.mark.parametrize("case", sorted(BAD_ARGUMENTS))
def test_a_bad_keyword_argument_stops_uvicorn_at_start_up(tmp_path: Path, case: str) -> None:
    line, expected = BAD_ARGUMENTS[case]
    (tmp_path / "app.py").write_text(APP.format(line=line), encoding="utf-8")
    with pytest.raises(RuntimeError) as failure:  # noqa: SIM117 - the server never starts
        with uvicorn_server("app:app", cwd=tmp_path):
            pass  # pragma: no cover
    output = str(failure.value)
    assert expected in output, output
    assert "Application startup failed" in output, output
    assert "unsupported" not in output, output


@pytest.mark.http
def test_from_config_with_a_backend_string_serves(tmp_path: Path) -> None:
    (tmp_path / "maintenance.toml").write_text("retry_after = 60\n", encoding="utf-8")
    line = 'app.add_middleware(MaintenanceModeMiddleware.from_config("maintenance.toml", backend="memory"))'
    (tmp_path / "app.py").write_text(APP.format(line=line), encoding="utf-8")
    with uvicorn_server("app:app", cwd=tmp_path) as base_url:
        assert httpx.get(base_url + "/").json() == {"ok": True}


def test_from_config_accepts_backend_in_every_settings_form(tmp_path: Path) -> None:
    config = tmp_path / "maintenance.toml"
    config.write_text("retry_after = 60\n", encoding="utf-8")
    for value, kind in [
        ("memory", "memory"),
        ("env:APP_MAINTENANCE", "env"),
        (f"file://{tmp_path}/flag", "file"),
        ({"type": "file", "path": str(tmp_path / "flag")}, "file"),
        ({"type": "memory"}, "memory"),
        ("redis://127.0.0.1:6379/0", "redis"),
    ]:
        factory = MaintenanceModeMiddleware.from_config(config, backend=value)
        assert factory.plan.settings.backend.type == kind, value
        assert factory.plan.settings.retry_after == 60


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("value", "kind"),
    [("memory", "MemoryBackend"), ({"type": "memory"}, "MemoryBackend"), ("env", "EnvVarBackend")],
)
async def test_backend_keyword_accepts_the_settings_forms(value: Any, kind: str) -> None:
    app = FastAPI()
    app.add_api_route("/", lambda: {"ok": True})
    app.add_middleware(MaintenanceModeMiddleware, backend=value, enable_maintenance=True)
    started = await startup_result_async(MaintenanceModeMiddleware(FastAPI(), backend=value))
    assert started["type"] == "lifespan.startup.complete"
    async with client_for(app) as client:
        assert (await client.get("/")).status_code == 503
    assert type(find_middleware(app).backend).__name__ == kind


def test_backend_instance_and_settings_object_still_work() -> None:
    backend = MemoryBackend()
    middleware = MaintenanceModeMiddleware(FastAPI(), settings=MaintenanceSettings(), backend=backend)
    assert middleware.backend is backend
    assert isinstance(middleware.backend, BaseStateBackend)


def test_from_config_raises_at_the_call_for_a_bad_argument(tmp_path: Path) -> None:
    config = tmp_path / "maintenance.toml"
    config.write_text("", encoding="utf-8")
    with pytest.raises(MaintenanceConfigError, match="keyword argument enable_maintenance = 'false'"):
        MaintenanceModeMiddleware.from_config(config, enable_maintenance="false")
    with pytest.raises(MaintenanceConfigError, match="backend = 'nope' \\(from keyword argument\\)"):
        MaintenanceModeMiddleware.from_config(config, backend="nope")


def test_a_build_error_of_any_type_fails_the_lifespan_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(settings: Any, kwargs: Dict[str, Any]) -> Any:
        raise AttributeError("no attribute 'frobnicate'")

    monkeypatch.setattr("fastapi_maintenance.middleware.plan_from_arguments", explode)
    message = startup_failure(MaintenanceModeMiddleware(FastAPI()))
    assert message.startswith("building MaintenanceModeMiddleware failed: AttributeError")


@pytest.mark.anyio
async def test_deprecation_warning_points_at_the_users_line_with_add_middleware() -> None:
    app = FastAPI()
    app.add_api_route("/", lambda: {"ok": True})
    app.add_middleware(MaintenanceModeMiddleware, exempt_handler=lambda request: True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with client_for(app) as client:
            await client.get("/")
    deprecations = [item for item in caught if issubclass(item.category, DeprecationWarning)]
    assert deprecations, [str(item.message) for item in caught]
    assert {Path(item.filename) for item in deprecations} == {Path(__file__)}


def test_deprecation_warning_points_at_the_from_config_line(tmp_path: Path) -> None:
    config = tmp_path / "maintenance.toml"
    config.write_text("", encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MaintenanceModeMiddleware.from_config(config, response_handler=lambda request: None)
        line = _line_above()
    (warning,) = [item for item in caught if issubclass(item.category, DeprecationWarning)]
    assert Path(warning.filename) == Path(__file__)
    assert warning.lineno == line


def _line_above() -> int:
    import sys

    return sys._getframe(1).f_lineno - 1
