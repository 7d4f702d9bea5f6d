"""Reading and switching the state from application code: which backend a call without ``backend=`` means.

Resolution order for ``backend=None``: the backend of the middleware serving
the current request (a context variable the middleware sets, so two apps in
one process never see each other's state), else the process default set by
``configure_backend``, else an environment-variable backend.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any, Dict, Optional

from .audit import SET, audit
from .backends.base import BaseStateBackend
from .backends.env import EnvVarBackend
from .record import Duration, MaintenanceState, switched_state
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
    """Whether maintenance is on now, as the overrides and the backend say (False once ``until`` has passed)."""
    return (await get_maintenance_state(backend)).in_effect()


async def get_maintenance_state(backend: Optional[BaseStateBackend] = None) -> MaintenanceState:
    """The whole record: the innermost active override context's, else the backend's.

    The record is returned as stored: past its ``until`` it still says
    ``active=True``; ``in_effect()`` tells whether maintenance is on now.
    """
    keeper = keeper_for(resolve_backend(backend))
    overrides = keeper.overrides
    if overrides:
        return overrides[-1].state
    state = await keeper.backend.get_state()
    keeper.observe(state)
    return state


async def set_maintenance_mode(
    value: bool,
    backend: Optional[BaseStateBackend] = None,
    *,
    message: Optional[str] = None,
    until: Optional[datetime] = None,
    duration: Optional[Duration] = None,
    reason: Optional[str] = None,
    actor: Optional[str] = None,
) -> None:
    """Store the state, with what clients are told (``message``), when it ends (``until`` or ``duration``),
    why (``reason``, never shown to clients) and who switched (``actor``).

    Each call states the whole record: fields not given are cleared, and
    switching on while on keeps ``since``. Bad values raise ``ValueError`` or
    ``TypeError`` before anything is written. On the read-only env backend this
    logs a warning and changes nothing.
    """
    target = resolve_backend(backend)
    keeper = keeper_for(target)
    fields: Dict[str, Any] = {
        "message": message,
        "until": until,
        "duration": duration,
        "reason": reason,
        "actor": actor,
    }
    state = switched_state(bool(value), None, **fields)  # every check, before any I/O
    if state.active and not state.is_plain:
        current = await target.get_state()  # for ``since``: kept while maintenance stays on
        keeper.observe(current)
        state = switched_state(True, current, **fields)
    await target.set_state(state)
    if target.read_only:
        return
    audit(SET, state, target)
    keeper.observe(state)
