"""The variants compared by the benchmark: what sits in front of the same app, and what it must answer.

``fastapi_maintenance`` is imported when a variant is built, in the process that drives it.
"""

from __future__ import annotations

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
    from fastapi_maintenance.backends.redis import RedisBackend

    return _with_maintenance_middleware(context, backend=RedisBackend(context.redis_url))


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
    Variant("ours-redis", False, "ours, Redis backend, off", _with_redis_backend),
    Variant("ours-toml", False, "ours, settings from TOML (file backend, exempt globs), off", _from_toml),
    Variant("ours-on", True, "ours, env backend, on", _with_env_backend, _ON),
)
BY_NAME: Dict[str, Variant] = {variant.name: variant for variant in VARIANTS}


def variant(name: str) -> Variant:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown variant {name!r}; known: {', '.join(BY_NAME)}") from None
