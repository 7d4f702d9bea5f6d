"""The variants compared by the benchmark: what sits in front of the same app, and what it must answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Optional

from starlette.types import ASGIApp

from fastapi_maintenance import MaintenanceModeMiddleware
from fastapi_maintenance.backends import BaseStateBackend, EnvVarBackend, LocalFileBackend, MemoryBackend

from .apps import PassThroughMiddleware, build_app


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


def _floor(context: BuildContext) -> ASGIApp:
    app = build_app(context.route_count)
    app.add_middleware(PassThroughMiddleware)
    return app


def _ours(backend: Callable[[BuildContext], BaseStateBackend]) -> Callable[[BuildContext], ASGIApp]:
    """The app behind ``app.add_middleware(MaintenanceModeMiddleware, backend=...)``, as users write it."""

    def build(context: BuildContext) -> ASGIApp:
        app = build_app(context.route_count)
        app.add_middleware(MaintenanceModeMiddleware, backend=backend(context))
        return app

    return build


def _state_file_off(context: BuildContext) -> str:
    path = context.workdir / "maintenance-off.txt"
    path.write_text("0", encoding="utf-8")
    return path.as_posix()


def _redis_backend(context: BuildContext) -> BaseStateBackend:
    """Imported here: the Redis client library is optional, and the variant is skipped without it."""
    from fastapi_maintenance.backends.redis import RedisBackend

    if context.redis_url is None:
        raise RuntimeError("the redis variant needs a Redis URL")
    return RedisBackend(context.redis_url)


def _from_toml(context: BuildContext) -> ASGIApp:
    """Settings from a file: a file backend plus exempt globs, none of which matches the traffic,
    so every request is still judged."""
    config = context.workdir / "maintenance.toml"
    config.write_text(
        'exempt_paths = ["/admin/**", "/internal/*", "/status"]\n'
        "retry_after = 3600\n"
        f'[backend]\ntype = "file"\npath = "{_state_file_off(context)}"\n',
        encoding="utf-8",
    )
    app = build_app(context.route_count)
    app.add_middleware(MaintenanceModeMiddleware.from_config(config))
    return app


_OFF = {"FASTAPI_MAINTENANCE_MODE": "0"}
_ON = {"FASTAPI_MAINTENANCE_MODE": "1"}

BY_NAME: Dict[str, Variant] = {
    variant.name: variant
    for variant in (
        Variant("bare", False, "bare FastAPI app", lambda context: build_app(context.route_count)),
        Variant("floor", False, "bare app + do-nothing pure-ASGI middleware", _floor),
        Variant(
            "bare-503",
            True,
            "bare app whose routes return the same 503",
            lambda context: build_app(context.route_count, answer_503=True),
        ),
        Variant("ours-env", False, "ours, env backend, off", _ours(lambda context: EnvVarBackend()), _OFF),
        Variant(
            "ours-file",
            False,
            "ours, file backend, off",
            _ours(lambda context: LocalFileBackend(file_path=_state_file_off(context))),
        ),
        Variant("ours-memory", False, "ours, memory backend, off", _ours(lambda context: MemoryBackend())),
        Variant("ours-redis", False, "ours, Redis backend, off", _ours(_redis_backend)),
        Variant("ours-toml", False, "ours, settings from TOML (file backend, exempt globs), off", _from_toml),
        Variant("ours-on", True, "ours, env backend, on", _ours(lambda context: EnvVarBackend()), _ON),
    )
}


def variant(name: str) -> Variant:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown variant {name!r}; known: {', '.join(BY_NAME)}") from None
