"""``admin_router()``: read and switch maintenance over HTTP, for deploy pipelines that cannot reach the store.

Its routes are marked ``force_maintenance_mode_off`` (they answer during maintenance, or
nobody could switch it off again) and always need authentication: the built-in named
bearer tokens, the application's own dependencies, or both.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, List, Mapping, Optional, Sequence

from fastapi import APIRouter, Depends, HTTPException
from fastapi.params import Depends as DependsParam

from ..access.admin_tokens import AdminTokens
from ..access.client_ip import ClientAddressResolver
from ..backends.base import BackendUnavailable, BaseStateBackend
from ..changes import backend_label
from ..control import current_middleware, get_maintenance_state, resolve_backend, set_maintenance_mode
from ..decorators import force_maintenance_mode_off
from ..errors import MaintenanceConfigError
from ..record import MaintenanceState
from ..settings import MaintenanceSettings, load_settings
from ..state import keeper_for
from .auth import BearerTokenAuth, FailedAttemptLog, app_actor
from .models import MaintenanceStateOut, SwitchRequest, WindowOut

__all__ = ["admin_router"]

#: What a failing store raises: the backends' own signal, OS errors (files, sockets) and time-outs.
_STORE_ERRORS = (BackendUnavailable, OSError, asyncio.TimeoutError)
_NO_AUTH = (
    "admin_router() has no way to authenticate callers: configure at least one token in the settings "
    'key admin.tokens (config file [admin] tokens = {{ NAME = "sha256:..." }}, or the environment '
    "variable FASTAPI_MAINTENANCE_ADMIN__TOKENS as a JSON table; create one with "
    "'fastapi-maintenance admin-token NAME'), or pass the application's own auth as "
    "admin_router(dependencies=[Depends(...)]){found}"
)


def admin_router(
    *,
    settings: Optional[MaintenanceSettings] = None,
    tokens: Optional[Mapping[str, str]] = None,
    backend: Optional[BaseStateBackend] = None,
    dependencies: Optional[Sequence[DependsParam]] = None,
    include_in_schema: bool = True,
    tags: Optional[List[str]] = None,
) -> APIRouter:
    """The admin API: ``GET`` the state, ``PUT`` to switch (on with fields, or off), ``DELETE`` to switch off.

    Use it as ``app.include_router(admin_router(), prefix="/_maintenance")``.

    - ``settings``: where the tokens (``admin.tokens``) and ``trusted_proxies`` come from; default:
      loaded now, as the middleware loads them (``FASTAPI_MAINTENANCE_*``, the config file).
    - ``tokens``: name -> ``"sha256:<hex>"``, instead of the settings' ``admin.tokens``.
    - ``backend``: the backend to act on; default: the one of the middleware serving the request.
    - ``dependencies``: the application's own auth (``[Depends(require_admin)]``); it may set
      ``request.state.maintenance_actor`` to name the caller. With tokens configured too, both apply.
    - ``include_in_schema=False`` leaves the routes out of the OpenAPI document.

    Raises ``MaintenanceConfigError`` when neither tokens nor dependencies are given.
    """
    if settings is None:
        settings = load_settings()
    hashes = tokens if tokens is not None else (settings.admin.tokens if settings.admin is not None else {})
    try:
        configured = AdminTokens(hashes)
    except ValueError as exc:
        raise MaintenanceConfigError(f"admin_router(tokens=...): {exc}") from None
    extra = list(dependencies or [])
    if not configured and not extra:
        if tokens is not None:
            found = " (tokens={} was given)"
        elif settings.admin is not None:
            found = " (admin.tokens is empty)"
        else:
            found = " (the settings have no admin section)"
        raise MaintenanceConfigError(_NO_AUTH.format(found=found))

    actor_of: Callable[..., Any]
    if configured:
        actor_of = BearerTokenAuth(
            configured,
            ClientAddressResolver(settings.trusted_proxies, header=settings.forwarded_header),
            FailedAttemptLog(),
        ).dependency()
    else:
        actor_of = app_actor

    router = APIRouter(
        dependencies=extra,
        include_in_schema=include_in_schema,
        tags=list(tags) if tags is not None else ["maintenance"],
        responses={401: {"description": "No valid admin token"}},
    )

    @router.get("/", response_model=MaintenanceStateOut, summary="Read the maintenance state")
    @force_maintenance_mode_off
    async def read_state(actor: Optional[str] = Depends(actor_of)) -> MaintenanceStateOut:
        return await _read(resolve_backend(backend))

    @router.put("/", response_model=MaintenanceStateOut, summary="Switch maintenance on or off")
    @force_maintenance_mode_off
    async def switch(body: SwitchRequest, actor: Optional[str] = Depends(actor_of)) -> MaintenanceStateOut:
        target = resolve_backend(backend)
        await _write(target, body, actor)
        return await _read(target)

    @router.delete("/", response_model=MaintenanceStateOut, summary="Switch maintenance off")
    @force_maintenance_mode_off
    async def switch_off(actor: Optional[str] = Depends(actor_of)) -> MaintenanceStateOut:
        target = resolve_backend(backend)
        await _write(target, SwitchRequest(active=False), actor)
        return await _read(target)

    return router


async def _read(target: BaseStateBackend) -> MaintenanceStateOut:
    """The stored state (when the backend cannot be read, the last state this worker knew), and what
    else decides for the serving app: its hard switch and its windows."""
    hard_switch: Optional[bool] = None
    windows: List[WindowOut] = []
    middleware = current_middleware.get()
    if middleware is not None and middleware.backend is target:
        hard_switch = middleware.plan.hard_switch
        windows = [
            WindowOut(start=w.start, end=w.end, message=w.message) for w in middleware.plan.settings.windows
        ]
    state: Optional[MaintenanceState]
    try:
        state = await get_maintenance_state(target)
        reachable = True
    except Exception:  # whatever the store raised, the answer says "unreachable", never a 500
        state, reachable = keeper_for(target).last_state, False
    return MaintenanceStateOut.of(
        state, backend=backend_label(target), reachable=reachable, hard_switch=hard_switch, windows=windows
    )


async def _write(target: BaseStateBackend, body: SwitchRequest, actor: Optional[str]) -> None:
    if target.read_only:
        raise HTTPException(
            status_code=409,
            detail=f"the backend {backend_label(target)} is read-only: the state cannot be switched at runtime",
        )
    try:
        if body.active:
            await set_maintenance_mode(
                True,
                target,
                message=body.message,
                until=body.until,
                duration=body.duration,
                reason=body.reason,
                actor=actor,
            )
        else:
            await set_maintenance_mode(False, target, reason=body.reason, actor=actor)
    except _STORE_ERRORS as exc:
        raise HTTPException(
            status_code=503, detail=f"cannot write the maintenance state to {backend_label(target)}: {exc}"
        ) from None
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
