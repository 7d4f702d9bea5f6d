"""The variants compared by the benchmark: what sits in front of the same app, and what it must answer.

A variant's ``impl`` says which interpreter runs it: ``plain`` and ``ours``
run with this repository's ``fastapi_maintenance``; ``fm005`` runs in the
virtual environment holding fastapi-maintenance 0.0.5 from PyPI. The 0.0.5
variants use the very same construction code as ours (both packages spell
``MaintenanceModeMiddleware(backend=EnvVarBackend())`` alike), so the only
difference is the package the interpreter imports.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Tuple

from starlette.types import ASGIApp

from .apps import PassThroughMiddleware, build_app

ENV_VAR = "FASTAPI_MAINTENANCE_MODE"
#: Globs in the TOML variant's settings; none matches the benchmark's traffic, so every request is judged.
TOML_EXEMPT_GLOBS = ("/admin/**", "/internal/*", "/status")


@dataclass(frozen=True)
class BuildContext:
    route_count: int
    workdir: Path
    redis_url: Optional[str] = None


@dataclass(frozen=True)
class Variant:
    name: str
    maintenance: bool
    description: str
    build: Callable[[BuildContext], ASGIApp]
    env: Dict[str, str] = field(default_factory=dict)
    needs_redis: bool = False


def _bare(context: BuildContext) -> ASGIApp:
    return build_app(context.route_count)


def _floor(context: BuildContext) -> ASGIApp:
    app = build_app(context.route_count)
    app.add_middleware(PassThroughMiddleware)
    return app


def _bare_503(context: BuildContext) -> ASGIApp:
    return build_app(context.route_count, answer_503=True)


def _with_maintenance_middleware(context: BuildContext, **options: Any) -> ASGIApp:
    """The app behind ``app.add_middleware(MaintenanceModeMiddleware, **options)``, as users write it."""
    from fastapi_maintenance import MaintenanceModeMiddleware

    app = build_app(context.route_count)
    app.add_middleware(MaintenanceModeMiddleware, **options)
    return app


def _with_env_backend(context: BuildContext) -> ASGIApp:
    from fastapi_maintenance.backends import EnvVarBackend

    return _with_maintenance_middleware(context, backend=EnvVarBackend())


def _state_file(context: BuildContext, value: bool) -> Path:
    path = context.workdir / f"maintenance-{'on' if value else 'off'}.txt"
    path.write_text("1" if value else "0", encoding="utf-8")
    return path


def _with_file_backend(value: bool) -> Callable[[BuildContext], ASGIApp]:
    def build(context: BuildContext) -> ASGIApp:
        from fastapi_maintenance.backends import LocalFileBackend

        backend = LocalFileBackend(file_path=str(_state_file(context, value)))
        return _with_maintenance_middleware(context, backend=backend)

    return build


def _with_memory_backend(context: BuildContext) -> ASGIApp:
    from fastapi_maintenance.backends import MemoryBackend

    return _with_maintenance_middleware(context, backend=MemoryBackend())


def _with_redis_backend(context: BuildContext) -> ASGIApp:
    if context.redis_url is None:
        raise RuntimeError("the redis variant needs --redis-url")
    # Imported by name: the Redis backend is optional and may not exist in every checkout.
    redis_module = importlib.import_module("fastapi_maintenance.backends.redis")
    return _with_maintenance_middleware(context, backend=redis_module.RedisBackend(context.redis_url))


def toml_settings(state_file: Path) -> str:
    """The TOML variant's settings file: a file backend plus exempt globs."""
    globs = ", ".join(f'"{glob}"' for glob in TOML_EXEMPT_GLOBS)
    return (
        "# fastapi-maintenance benchmark: settings loaded with MaintenanceModeMiddleware.from_config\n"
        f"exempt_paths = [{globs}]\n"
        "retry_after = 3600\n"
        "\n[backend]\n"
        'type = "file"\n'
        f'path = "{state_file.as_posix()}"\n'
    )


def _from_toml(context: BuildContext) -> ASGIApp:
    from fastapi_maintenance import MaintenanceModeMiddleware

    config = context.workdir / "maintenance.toml"
    config.write_text(toml_settings(_state_file(context, False)), encoding="utf-8")
    app = build_app(context.route_count)
    app.add_middleware(MaintenanceModeMiddleware.from_config(config))
    return app


_OFF = {ENV_VAR: "0"}
_ON = {ENV_VAR: "1"}

VARIANTS: Tuple[Variant, ...] = (
    Variant("bare", False, "bare FastAPI app", _bare),
    Variant("floor", False, "bare app + do-nothing pure-ASGI middleware", _floor),
    Variant("bare-503", True, "bare app whose routes return the same 503", _bare_503),
    Variant("ours-env", False, "ours, env backend, off", _with_env_backend, _OFF),
    Variant("ours-file", False, "ours, file backend, off", _with_file_backend(False)),
    Variant("ours-memory", False, "ours, memory backend, off", _with_memory_backend),
    Variant("ours-redis", False, "ours, Redis backend, off", _with_redis_backend, needs_redis=True),
    Variant("ours-toml", False, "ours, settings from TOML (file backend, exempt globs), off", _from_toml),
    Variant("ours-on", True, "ours, env backend, on", _with_env_backend, _ON),
)
BY_NAME: Dict[str, Variant] = {variant.name: variant for variant in VARIANTS}


def variant(name: str) -> Variant:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown variant {name!r}; known: {', '.join(BY_NAME)}") from None
