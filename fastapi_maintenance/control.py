"""Reading and switching the state from application code: which backend a call without ``backend=`` means.

Resolution order for ``backend=None``:

1. the middleware serving the current request (a context variable set per
   request, so two apps in one process never see each other's state);
2. the middleware whose lifespan is running (a context variable set while it
   forwards the lifespan scope, inherited by the tasks start-up code starts);
3. the most recently built middleware in the process, when it has a backend of
   its own (fastapi-maintenance 0.0.5's rule, kept for scripts and test code;
   held weakly; one built on the default backend clears it). Starlette builds
   middleware at the first lifespan or request, so until the first middleware
   in the process is built, the backend passed to the newest
   ``add_middleware(MaintenanceModeMiddleware, backend=...)`` declaration, or to
   ``from_config``, counts; once any is built, declarations no longer count (a
   built app keeps its declaration, which must not capture a later app's calls);
4. the default set by ``configure_backend``;
5. the environment variable: one process-wide ``EnvVarBackend``, the same
   instance every middleware without a backend of its own uses, so overrides
   entered here reach those apps.
"""

from __future__ import annotations

import gc
import logging
import weakref
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Dict, List, Optional

from .audit import SET, audit
from .backends.base import BaseStateBackend
from .backends.env import EnvVarBackend
from .backends.factory import build_backend
from .record import Duration, MaintenanceState, switched_state
from .state import keeper_for

if TYPE_CHECKING:
    from .middleware import MaintenanceModeMiddleware
    from .settings import MaintenanceSettings

logger = logging.getLogger("fastapi_maintenance")

#: The middleware serving the current request, if any.
current_middleware: ContextVar[Optional[MaintenanceModeMiddleware]] = ContextVar(
    "fastapi_maintenance_current_middleware", default=None
)

#: The middleware whose lifespan (start-up, shutdown and the tasks they start) is running, if any.
lifespan_middleware: ContextVar[Optional[MaintenanceModeMiddleware]] = ContextVar(
    "fastapi_maintenance_lifespan_middleware", default=None
)


class _Defaults:
    """Process-wide resolution state, kept only because 0.0.5's functions work without an app at hand."""

    configured: Optional[BaseStateBackend] = None
    fallback: Optional[EnvVarBackend] = None
    #: The most recently built middleware (weakly: a discarded app is forgotten).
    latest: Optional[Callable[[], Optional[MaintenanceModeMiddleware]]] = None
    #: Backends of ``from_config`` factories not yet built into an app, newest last (weakly).
    declared: ClassVar[List[Callable[[], Optional[BaseStateBackend]]]] = []
    #: Whether any middleware has been built in this process: from then on, declarations do not count.
    built_any: ClassVar[bool] = False


def configured_backend() -> Optional[BaseStateBackend]:
    """The backend set by ``configure_backend``, if any."""
    return _Defaults.configured


def default_backend() -> BaseStateBackend:
    """What a middleware without a backend of its own uses: the configured default, else the shared env backend."""
    if _Defaults.configured is not None:
        return _Defaults.configured
    if _Defaults.fallback is None:
        _Defaults.fallback = EnvVarBackend()
    return _Defaults.fallback


def settings_backend(settings: MaintenanceSettings) -> BaseStateBackend:
    """The backend of a middleware given no backend object: from its settings, else the shared default.

    Sharing the default means overrides made from code and the middleware meet, as in 0.0.5.
    """
    if "backend" not in settings.model_fields_set:
        return default_backend()
    return build_backend(settings.backend)


def register_built(middleware: MaintenanceModeMiddleware) -> None:
    """Remember ``middleware`` as the most recently built one (0.0.5's rule for calls outside any app).

    As in 0.0.5, only a middleware with a backend of its own counts: one built on the default backend
    clears the rule, so calls fall through to the default, which a later ``configure_backend`` sets.
    """
    _Defaults.built_any = True
    backend = middleware.backend
    own = backend is not _Defaults.configured and backend is not _Defaults.fallback
    _Defaults.latest = weakref.ref(middleware) if own else None


def register_declared(backend: BaseStateBackend) -> None:
    """Remember the backend of a ``from_config`` factory until an app builds it."""
    _Defaults.declared = [ref for ref in _Defaults.declared if ref() is not None and ref() is not backend]
    _Defaults.declared.append(weakref.ref(backend))


def resolve_backend(backend: Optional[BaseStateBackend] = None) -> BaseStateBackend:
    """The backend a call means: explicit, else by the resolution order in this module's docstring."""
    if backend is not None:
        return backend
    middleware = current_middleware.get() or lifespan_middleware.get()
    if middleware is None and _Defaults.latest is not None:
        middleware = _Defaults.latest()
    if middleware is not None:
        return middleware.backend
    declared = _declared_backend()
    if declared is not None:
        return declared
    return default_backend()


def _declared_backend() -> Optional[BaseStateBackend]:
    """The backend given to a middleware that is declared but not yet built, when that is unambiguous.

    Only before any middleware is built: a built app's declaration stays alive in its
    ``user_middleware``, and would otherwise capture the calls meant for a later app.
    """
    if _Defaults.built_any:
        return None
    for ref in reversed(_Defaults.declared):
        found = ref()
        if found is not None:
            return found
    # ``app.add_middleware(MaintenanceModeMiddleware, backend=...)`` only stores a declaration naming the
    # class; nothing of ours runs until Starlette builds the stack. Find those declarations by what refers
    # to the class (a scan of tracked objects, made only while no middleware has been built).
    from starlette.middleware import Middleware

    from .middleware import MaintenanceModeMiddleware

    backends: List[BaseStateBackend] = []
    classes = [MaintenanceModeMiddleware, *_subclasses(MaintenanceModeMiddleware)]
    for referrer in gc.get_referrers(*classes):
        if isinstance(referrer, Middleware):
            kwargs: Any = referrer.kwargs
        elif isinstance(referrer, dict) and referrer.get("cls") in classes and "kwargs" in referrer:
            kwargs = referrer["kwargs"]  # a declaration whose attributes live in a materialised __dict__
        else:
            continue
        found = kwargs.get("backend") if isinstance(kwargs, dict) else None
        if isinstance(found, BaseStateBackend) and all(found is not other for other in backends):
            backends.append(found)
    if len(backends) == 1:
        return backends[0]
    if backends:
        logger.warning(
            "%d apps declare MaintenanceModeMiddleware with different backends and none is built yet; "
            "pass backend= to say which one is meant. Using the default backend.",
            len(backends),
        )
    return None


def _subclasses(cls: type) -> List[type]:
    found: List[type] = []
    sub: type
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


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
