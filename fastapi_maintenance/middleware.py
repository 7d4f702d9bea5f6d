"""``MaintenanceModeMiddleware``: a thin pure-ASGI middleware over a compiled plan and the rule engine.

Per request it reads the application-wide state (overrides, hard switch,
backend cache) first; when that is off and no route can be forced on, the
request goes straight to the app. Only when maintenance could apply does it
look up the route, evaluate exemptions and ask the rule engine.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Awaitable, FrozenSet, Optional, Tuple, Union

from starlette._utils import get_route_path
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .backends.base import BaseStateBackend
from .changes import ChangeListener
from .control import current_middleware, lifespan_middleware, register_built, register_declared
from .errors import MaintenanceConfigError
from .plan import Plan, compile_plan, plan_from_arguments, split_arguments
from .record import MaintenanceState
from .routes import RouteTable, router_of
from .rules import Decision, Facts, Reason, decide, exemptions_matter, global_state
from .settings import MaintenanceSettings, load_settings
from .state import keeper_for

logger = logging.getLogger("fastapi_maintenance")

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DOCS_ATTRIBUTES = ("openapi_url", "docs_url", "redoc_url", "swagger_ui_oauth2_redirect_url")


class MaintenanceModeMiddleware:
    """Answer requests with a 503 while maintenance mode is on, except where the rules say otherwise.

    Keyword arguments: ``enable_maintenance`` (hard switch), ``backend``,
    ``exempt_callback`` and ``response_callback`` (sync or async, taking the
    Request), ``settings`` (a ``MaintenanceSettings``), and any settings key
    (``exempt_paths=[...]``, ``retry_after=600``, ...). Without ``settings``
    the settings come from ``load_settings``: ``FASTAPI_MAINTENANCE_*`` variables
    and the config file found by ``settings.discovery``. ``on_change(old, new)`` (sync or
    async) is called in each worker when it sees the backend's record change.
    """

    def __init__(
        self,
        app: Optional[ASGIApp] = None,
        /,
        *,
        settings: Optional[MaintenanceSettings] = None,
        on_change: Optional[ChangeListener] = None,
        _plan: Optional[Plan] = None,
        **kwargs: Any,
    ) -> None:
        # Positional for Starlette's middleware protocol; ``app=`` too (Litestar's DefineMiddleware).
        if "app" in kwargs:
            if app is not None:
                raise TypeError("MaintenanceModeMiddleware got the app twice (positional and app=)")
            app = kwargs.pop("app")
        if app is None:
            raise TypeError("MaintenanceModeMiddleware needs the ASGI app to wrap, as first argument or app=")
        self.app = app
        if on_change is not None and not callable(on_change):
            raise TypeError(f"on_change must be a callable taking (old, new) states, got {on_change!r}")
        self._startup_failure: Optional[_StartupFailure] = None
        if _plan is None:
            try:
                _plan = plan_from_arguments(settings, kwargs)
            except Exception as exc:
                # Starlette builds middleware lazily, inside the first lifespan or request call, where a
                # raised error reads as "lifespan unsupported" to uvicorn's --lifespan auto and then as a
                # 500 per request. Failing the lifespan start-up instead stops the server with the message.
                # Any error counts (a bug in a user's backend constructor too), named as what it is.
                self._startup_failure = _StartupFailure(_as_config_error(exc))
                return
        plan = _plan
        # The plan owns every compiled value; the middleware holds only what it learns from its app.
        self.plan = plan
        self._keeper = keeper_for(plan.backend)
        self._closes_backend = type(plan.backend).aclose is not BaseStateBackend.aclose
        self._table: Optional[RouteTable] = None
        self._routes: Optional[list[Any]] = None
        self._logged_no_router = False
        self._route_count = -1
        self._docs_paths: FrozenSet[str] = frozenset()
        self._may_force_on = plan.maintenance_paths is not None
        self._on_change = on_change
        if on_change is not None:
            self._keeper.add_listener(self._changed)  # held weakly: the keeper may outlive this app
        register_built(self)

    @property
    def settings(self) -> MaintenanceSettings:
        """The validated settings this middleware runs with."""
        return self.plan.settings

    @property
    def backend(self) -> BaseStateBackend:
        """Where this middleware reads the state (the functions without ``backend=`` reach it too)."""
        return self.plan.backend

    @classmethod
    def from_config(
        cls, path: Union[str, os.PathLike[str], None] = None, **kwargs: Any
    ) -> ConfiguredMaintenanceMiddleware:
        """Load and validate a TOML or YAML file now; return a factory for ``app.add_middleware``.

        ``kwargs`` are the middleware's own arguments (``backend``,
        ``exempt_callback``, ``response_callback``, ``enable_maintenance``) or
        settings keys; both win over every settings source.
        """
        on_change = kwargs.pop("on_change", None)
        own, options = split_arguments(kwargs)
        settings = load_settings(path, **options)
        return ConfiguredMaintenanceMiddleware(compile_plan(settings, **own), on_change)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope_type = scope["type"]
        if self._startup_failure is not None:
            await self._startup_failure(scope, receive, send)
            return
        if scope_type != "http" and scope_type != "websocket":
            if scope_type == "lifespan" and self._routes is None:
                self._compile_routes(scope)  # at start-up, so a missing router is logged then
            # Start-up and shutdown code (and the tasks it starts) act on this middleware's backend.
            lifespan_token = lifespan_middleware.set(self) if scope_type == "lifespan" else None
            try:
                if scope_type == "lifespan" and self._closes_backend:
                    await self.app(scope, receive, self._closing_backend_on_shutdown(send))
                else:
                    await self.app(scope, receive, send)
            finally:
                if lifespan_token is not None:
                    lifespan_middleware.reset(lifespan_token)
            return
        token = current_middleware.set(self)
        try:
            routes = self._routes
            if routes is None or len(routes) != self._route_count:
                self._compile_routes(scope)
            # Levels 4 to 6 of the precedence table, from memory whenever the backend allows.
            plan = self.plan
            keeper = self._keeper
            overrides = keeper.overrides
            state: Optional[Decision]
            record: Optional[MaintenanceState] = None
            if overrides:
                record = overrides[-1].state
                state = global_state(override=record.in_effect())
            elif plan.hard_switch is not None:
                state = global_state(hard_switch=plan.hard_switch)
            else:
                record = keeper.peek()
                if (
                    record is not None
                    and not record.active
                    and plan.schedule is None
                    and not self._may_force_on
                ):
                    # The common day: the backend says off, no window, nothing can force a route on.
                    await self.app(scope, receive, send)
                    return
                state = self._backend_state(record)
            if state is None:
                state = await self._state_after_read()
                record = keeper.last_state
            if state.maintenance or self._may_force_on:
                decision, early = await self._decide(scope, state)
                if early is not None:
                    await early(scope, receive, send)
                    return
                if decision.maintenance:
                    await plan.responder(scope, receive, send, decision.reason, self._shown(record, state))
                    return
            await self.app(scope, receive, send)
        finally:
            current_middleware.reset(token)

    def _compile_routes(self, scope: Scope) -> None:
        """Index the app's routes and docs URLs; again only if the top-level route list changes size."""
        app = scope.get("app")
        router = router_of(app) or router_of(self.app)
        table = RouteTable(router)
        if router is None:
            self._routes = []
            if not self._logged_no_router:
                self._logged_no_router = True
                logger.info(
                    "fastapi-maintenance: the app has no Starlette router, so route-level features are off "
                    "(route decorators, unknown paths keeping their 404/405); exempt_paths, "
                    "maintenance_paths and request exemptions still apply"
                )
        else:
            self._routes = router.routes
        self._table = table
        self._route_count = table.size
        docs = {getattr(app, name, None) for name in _DOCS_ATTRIBUTES} if self.plan.exempt_docs else set()
        self._docs_paths = frozenset(path for path in docs if isinstance(path, str) and path)
        self._may_force_on = table.has_forced_on or self.plan.maintenance_paths is not None

    def _backend_state(self, record: Optional[MaintenanceState]) -> Optional[Decision]:
        """Level 6 from a peeked record; the fault policy while the backend is down; None to await a read.

        A record with ``until`` is compared with the clock here, so maintenance ends in every
        worker at ``until`` without any write; a record without one costs no clock read.
        """
        if record is None:
            if not self._keeper.down:
                return None
            return self._with_windows(self._fault_value())
        return self._with_windows(record.active if record.until is None else record.in_effect())

    async def _state_after_read(self) -> Decision:
        """Levels 4 to 6 when the backend has no answer in memory: await it, or apply the fault policy."""
        record = await self._keeper.read(self.plan.backend_timeout)
        return self._with_windows(self._fault_value() if record is None else record.in_effect())

    def _with_windows(self, backend_state: bool) -> Decision:
        schedule = self.plan.schedule
        in_window = not backend_state and schedule is not None and schedule.is_active()
        return global_state(backend_state=backend_state, in_window=in_window)

    def _shown(self, record: Optional[MaintenanceState], state: Decision) -> Optional[MaintenanceState]:
        """The record the response may show: the one maintenance came from, while it is in effect.

        While the backend is down under the ``last_known`` policy, that is the last record seen.
        """
        keeper = self._keeper
        if record is None and keeper.down and state.reason is Reason.BACKEND:
            record = keeper.last_state if self.plan.on_backend_error == "last_known" else None
        return record if record is not None and record.in_effect() else None

    def _changed(self, old: MaintenanceState, new: MaintenanceState) -> Optional[Awaitable[None]]:
        on_change = self._on_change
        return on_change(old, new) if on_change is not None else None

    def _fault_value(self) -> bool:
        policy = self.plan.on_backend_error
        if policy == "open":
            return False
        if policy == "closed":
            return True
        return bool(self._keeper.last_known)

    async def _decide(self, scope: Scope, state: Decision) -> Tuple[Decision, Optional[Response]]:
        """The full chain for a request that maintenance could apply to; maybe an early response (bypass link)."""
        plan = self.plan
        route_path = get_route_path(scope)
        table = self._table
        assert table is not None
        in_maintenance_paths = plan.maintenance_paths is not None and plan.maintenance_paths(route_path)
        if not state.maintenance and not in_maintenance_paths and not table.has_forced_on:
            return state, None
        verdict = table.verdict(scope)  # the router's own answer; the table keeps itself current
        self._may_force_on = table.has_forced_on or plan.maintenance_paths is not None
        found = verdict.reached
        forced = verdict.mark
        if in_maintenance_paths:
            forced = True
        elif (
            forced is None
            and verdict.certain
            and plan.exempt_paths is not None
            and plan.exempt_paths(route_path)
        ):
            forced = False
        exemption: Optional[Reason] = None
        if found and exemptions_matter(forced, state):
            exemption, early = await plan.exemptions.check(scope, route_path, self._docs_paths)
            if early is not None:
                return Decision(False, exemption), early
        decision = decide(
            Facts(
                route_found=found,
                forced=forced,
                exemption=exemption,
                state=state,
                read_only=plan.read_only,
                safe_method=scope.get("method", "GET") in _SAFE_METHODS,
            )
        )
        return decision, None

    def _closing_backend_on_shutdown(self, send: Send) -> Send:
        """Forward lifespan messages untouched; close the backend just before shutdown completes."""

        async def forward(message: Message) -> None:
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                try:
                    await self.backend.aclose()
                except Exception:
                    logger.exception("closing the maintenance state backend failed")
            await send(message)

        return forward


def _as_config_error(exc: Exception) -> MaintenanceConfigError:
    """A MaintenanceConfigError as it is; any other error wrapped, its type and message kept."""
    if isinstance(exc, MaintenanceConfigError):
        return exc
    error = MaintenanceConfigError(f"building MaintenanceModeMiddleware failed: {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


class _StartupFailure:
    """Stands in for a middleware whose settings are invalid: fails the lifespan start-up with the message.

    Servers stop on ``lifespan.startup.failed`` (uvicorn does even with ``--lifespan auto``). Without a
    lifespan (a server or test client that never sends one), requests raise the same error.
    """

    def __init__(self, error: MaintenanceConfigError) -> None:
        self.error = error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            raise self.error
        message = await receive()
        if message["type"] == "lifespan.startup":
            logger.error("fastapi-maintenance settings are invalid: %s", self.error)
            await send({"type": "lifespan.startup.failed", "message": str(self.error)})


class ConfiguredMaintenanceMiddleware:
    """What ``from_config`` returns: a validated plan waiting for its app (``app.add_middleware(factory)``)."""

    def __init__(self, plan: Plan, on_change: Optional[ChangeListener] = None) -> None:
        self.plan = plan
        register_declared(plan.backend)
        self.on_change = on_change

    def __call__(self, app: ASGIApp) -> MaintenanceModeMiddleware:
        return MaintenanceModeMiddleware(app, _plan=self.plan, on_change=self.on_change)
