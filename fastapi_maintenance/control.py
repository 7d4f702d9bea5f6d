"""Reading and switching the state from application code: which backend a call without ``backend=`` means.

Resolution order for ``backend=None``: the backend of the middleware serving
the current request (a context variable the middleware sets, so two apps in
one process never see each other's state), else the process default set by
``configure_backend``, else an environment-variable backend.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Optional

from .backends.base import BaseStateBackend
from .backends.env import EnvVarBackend
from .state import keeper_for

if TYPE_CHECKING:
    from .middleware import MaintenanceModeMiddleware

#: The middleware serving the current request, if any.
current_middleware: ContextVar[Optional[MaintenanceModeMiddleware]] = ContextVar(
    "fastapi_maintenance_current_middleware", default=None
)


class _Defaults:
    """The process-wide default backend; explicit, set only by ``configure_backend``."""

    configured: Optional[BaseStateBackend] = None
    fallback: Optional[BaseStateBackend] = None


def configured_backend() -> Optional[BaseStateBackend]:
    """The backend set by ``configure_backend``, if any (middleware without ``backend=`` use it)."""
    return _Defaults.configured


def resolve_backend(backend: Optional[BaseStateBackend] = None) -> BaseStateBackend:
    """The backend a call means: explicit, else the serving middleware's, else the configured default."""
    if backend is not None:
        return backend
    middleware = current_middleware.get()
    if middleware is not None:
        return middleware.backend
    if _Defaults.configured is not None:
        return _Defaults.configured
    if _Defaults.fallback is None:
        _Defaults.fallback = EnvVarBackend()
    return _Defaults.fallback


def configure_backend(kind: Optional[str] = None, /, **kwargs: Any) -> BaseStateBackend:
    """Set the default backend used by middleware and functions that are given none.

    ``kind`` is ``"env"`` (``var_name``), ``"file"`` (``file_path``), ``"memory"``
    or ``"redis"`` (``url``, ``key``). Call it before the app serves its first
    request: a middleware picks its backend when it is built. fastapi-maintenance
    0.0.5 named the first argument ``backend_type``; that keyword still works.
    """
    from .backends.factory import backend_from_kind

    if kind is None:
        if "backend_type" not in kwargs:
            raise TypeError("configure_backend() needs the backend kind: 'env', 'file', 'memory' or 'redis'")
        kind = str(kwargs.pop("backend_type"))
    _Defaults.configured = backend_from_kind(kind, **kwargs)
    return _Defaults.configured


async def get_maintenance_mode(backend: Optional[BaseStateBackend] = None) -> bool:
    """The state as the backend and the active override contexts say (an override wins)."""
    keeper = keeper_for(resolve_backend(backend))
    override = keeper.override
    if override is not None:
        return override
    return bool(await keeper.backend.get_value())


async def set_maintenance_mode(value: bool, backend: Optional[BaseStateBackend] = None) -> None:
    """Store the state. On the read-only env backend this logs a warning and changes nothing."""
    target = resolve_backend(backend)
    await target.set_value(bool(value))
    keeper_for(target).last_known = bool(value)
