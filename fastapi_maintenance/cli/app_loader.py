"""``--app module:attribute``: the settings and backend of the app's own ``MaintenanceModeMiddleware``.

The app is imported the way ``uvicorn main:app`` imports it (the working directory first on
``sys.path``). Its middleware is built from the entry in ``app.user_middleware`` exactly as
Starlette builds it (``cls(app, *args, **kwargs)``), without building the rest of the stack, so
the command reads and writes the very backend the app uses, with the app's hard switch.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from typing import Any, List, Optional

from starlette.types import Receive, Scope, Send

from ..errors import MaintenanceConfigError
from ..middleware import ConfiguredMaintenanceMiddleware, MaintenanceModeMiddleware
from .errors import EXIT_CONFIG_ERROR, EXIT_USAGE, CliError

__all__ = ["AppMiddleware", "load_app_middleware"]

_MIDDLEWARE_NAME = MaintenanceModeMiddleware.__name__


@dataclass(frozen=True)
class AppMiddleware:
    """The app's maintenance middleware, built, and the ``--app`` value that named it."""

    spec: str
    middleware: MaintenanceModeMiddleware


async def _never_called(scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover
    raise RuntimeError("the command builds the middleware only to read its settings; it serves nothing")


def _import_module(spec: str, module_name: str) -> Any:
    folder = os.getcwd()
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and (module_name == missing or module_name.startswith(missing + ".")):
            raise CliError(
                f"--app {spec}: no module named {missing!r} in the working directory {folder} "
                "or on the Python path",
                EXIT_USAGE,
            ) from None
        raise CliError(f"--app {spec}: importing {module_name} failed: {exc}", EXIT_CONFIG_ERROR) from None
    except MaintenanceConfigError as exc:
        raise CliError(f"--app {spec}: {exc}", EXIT_CONFIG_ERROR) from None
    except Exception as exc:  # the user's module raised while being imported
        raise CliError(
            f"--app {spec}: importing {module_name} failed: {type(exc).__name__}: {exc}", EXIT_CONFIG_ERROR
        ) from None


def _attribute(spec: str, module: Any, module_name: str, path: str) -> Any:
    value = module
    for part in path.split("."):
        if not hasattr(value, part):
            raise CliError(f"--app {spec}: module {module_name} has no attribute {path!r}", EXIT_USAGE)
        value = getattr(value, part)
    return value


def _is_maintenance_entry(factory: Any) -> bool:
    if isinstance(factory, ConfiguredMaintenanceMiddleware):
        return True
    return isinstance(factory, type) and issubclass(factory, MaintenanceModeMiddleware)


def _build(spec: str, app: Any) -> MaintenanceModeMiddleware:
    if isinstance(app, MaintenanceModeMiddleware):  # a plain ASGI app wrapped by hand
        return app
    stack = getattr(app, "user_middleware", None)
    if not isinstance(stack, list):
        raise CliError(
            f"--app {spec}: a {type(app).__name__} is neither a Starlette/FastAPI app nor a {_MIDDLEWARE_NAME}",
            EXIT_USAGE,
        )
    entries: List[Any] = [entry for entry in stack if _is_maintenance_entry(getattr(entry, "cls", None))]
    if not entries:
        raise CliError(
            f"--app {spec}: the app has no {_MIDDLEWARE_NAME} in its middleware stack "
            f"(add it with app.add_middleware({_MIDDLEWARE_NAME}, ...))",
            EXIT_USAGE,
        )
    if len(entries) > 1:
        raise CliError(
            f"--app {spec}: the app has {len(entries)} {_MIDDLEWARE_NAME} entries in its middleware stack; "
            "which one the command should follow would be a guess",
            EXIT_USAGE,
        )
    entry = entries[0]
    args = tuple(getattr(entry, "args", ()))
    kwargs = dict(getattr(entry, "kwargs", None) or getattr(entry, "options", None) or {})
    try:
        built = entry.cls(_never_called, *args, **kwargs)
    except Exception as exc:  # whatever the arguments make the middleware raise, as the app's start-up would
        problem = str(exc) if isinstance(exc, MaintenanceConfigError) else f"{type(exc).__name__}: {exc}"
        raise CliError(
            f"--app {spec}: its {_MIDDLEWARE_NAME} arguments: {problem}", EXIT_CONFIG_ERROR
        ) from None
    if not isinstance(
        built, MaintenanceModeMiddleware
    ):  # pragma: no cover - a factory returning something else
        raise CliError(f"--app {spec}: the middleware entry built a {type(built).__name__}", EXIT_USAGE)
    return built


def _startup_error(middleware: MaintenanceModeMiddleware) -> Optional[MaintenanceConfigError]:
    """The settings error the middleware keeps for the app's start-up, if it has one."""
    failure = middleware._startup_failure
    return failure.error if failure is not None else None


def load_app_middleware(spec: str) -> AppMiddleware:
    """Import ``module:attribute`` and build its maintenance middleware; ``CliError`` for each way it fails."""
    module_name, colon, path = spec.strip().partition(":")
    if not colon or not module_name or not path:
        raise CliError(f"--app takes module:attribute, like main:app (got {spec!r})", EXIT_USAGE)
    module = _import_module(spec, module_name)
    middleware = _build(spec, _attribute(spec, module, module_name, path))
    error = _startup_error(middleware)
    if error is not None:
        raise CliError(f"--app {spec}: {error}", EXIT_CONFIG_ERROR)
    return AppMiddleware(spec, middleware)
