"""Settings and keyword arguments compiled, once, into everything the middleware consults per request.

Telling the middleware's own arguments from settings keys is ``arguments.py``'s; the schedule of
windows is ``settings.model.window_schedule``; a backend from settings is ``control.settings_backend``.

Compiling is where every check happens, so bad input fails at start-up with a
``MaintenanceConfigError`` rather than at the first request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Optional

import anyio
from starlette.requests import Request
from starlette.responses import Response

from .access import BypassGate, BypassSigner, ClientAddressResolver, IPRanges, WindowSchedule
from .arguments import check_own_arguments, split_arguments
from .backends.base import BaseStateBackend
from .callbacks import RequestCallback, as_async
from .control import settings_backend
from .errors import MaintenanceConfigError
from .exemptions import RequestExemptions
from .observer import MaintenanceObserver
from .responses import MaintenanceResponder, MaintenanceResponses
from .settings import FaultPolicy, MaintenanceSettings, PathMatcher, compile_path_globs, load_settings
from .settings.model import window_schedule

__all__ = ["Clock", "Plan", "compile_plan", "plan_from_arguments", "split_arguments"]

Clock = Callable[[], float]


@dataclass(frozen=True)
class Plan:
    """What the middleware needs, compiled from settings and keyword arguments."""

    settings: MaintenanceSettings
    backend: BaseStateBackend
    hard_switch: Optional[bool]
    on_backend_error: FaultPolicy
    backend_timeout: float
    maintenance_paths: Optional[PathMatcher]
    exempt_paths: Optional[PathMatcher]
    exempt_docs: bool
    read_only: bool
    schedule: Optional[WindowSchedule]
    exemptions: RequestExemptions
    responder: MaintenanceResponder
    observer: Optional[MaintenanceObserver] = None


def compile_plan(
    settings: MaintenanceSettings,
    *,
    enable_maintenance: Optional[bool] = None,
    backend: Optional[BaseStateBackend] = None,
    exempt_callback: Optional[RequestCallback[bool]] = None,
    response_callback: Optional[RequestCallback[Response]] = None,
    clock: Clock = time.time,
    metrics: Optional[MaintenanceObserver] = None,
) -> Plan:
    """Compile settings plus the middleware's own arguments (which win over every settings source).

    ``clock`` (unix seconds) drives scheduled windows and bypass cookie expiry; tests inject one.
    ``metrics`` (a ``MaintenanceMetrics``, or any ``MaintenanceObserver``) is told what the middleware decides.
    """
    check_own_arguments(enable_maintenance, backend, exempt_callback, response_callback, clock)
    if metrics is not None and not all(
        callable(getattr(metrics, name, None))
        for name in ("request_decided", "state_seen", "backend_reachable")
    ):
        raise MaintenanceConfigError(
            f"keyword argument metrics = {metrics!r}: must be a fastapi_maintenance.metrics.MaintenanceMetrics "
            "(or an object with request_decided, state_seen and backend_reachable)"
        )
    if backend is None:
        backend = settings_backend(settings)
    timeout = settings.backend_timeout
    response = settings.response
    schedule = window_schedule(settings, clock) if settings.windows else None
    responses = MaintenanceResponses(
        status_code=response.status_code,
        message=response.message,
        retry_after=settings.retry_after,
        template=response.template,
        clock=clock,
    )
    return Plan(
        settings=settings,
        backend=backend,
        hard_switch=enable_maintenance if enable_maintenance is not None else settings.enabled,
        on_backend_error=settings.on_backend_error,
        backend_timeout=timeout,
        maintenance_paths=compile_path_globs(settings.maintenance_paths),
        exempt_paths=compile_path_globs(settings.exempt_paths),
        exempt_docs=settings.exempt_docs,
        read_only=settings.read_only,
        schedule=schedule,
        exemptions=RequestExemptions(
            allowed_ips=IPRanges(settings.allowed_ips) if settings.allowed_ips else None,
            client_resolver=ClientAddressResolver(settings.trusted_proxies, header=settings.forwarded_header),
            bypass=_bypass_gate(settings, clock),
            exempt_callback=_bounded(exempt_callback, timeout),
        ),
        responder=MaintenanceResponder(
            responses, _bounded(response_callback, timeout), schedule, clock=clock
        ),
        observer=metrics,
    )


def _bounded(
    callback: Optional[Callable[[Request], Any]], timeout: float
) -> Optional[Callable[[Request], Awaitable[Any]]]:
    """The callback awaited at most ``timeout`` seconds; then TimeoutError, which its caller treats as a failure.

    A sync callback runs inline and cannot be interrupted: only awaiting is bounded.
    """
    if callback is None:
        return None
    call = as_async(callback)

    async def bounded(request: Request) -> Any:
        with anyio.fail_after(timeout):
            return await call(request)

    return bounded


def _bypass_gate(settings: MaintenanceSettings, clock: Clock) -> Optional[BypassGate]:
    bypass = settings.bypass
    if bypass is None:
        return None
    signer = BypassSigner(bypass.secret.get_secret_value(), bypass.max_age, clock=clock)
    return BypassGate(signer, param_name=bypass.param, cookie_name=bypass.cookie, header_name=bypass.header)


def plan_from_arguments(settings: Optional[MaintenanceSettings], kwargs: Dict[str, Any]) -> Plan:
    """The plan for ``MaintenanceModeMiddleware(app, **kwargs)``: settings keys validated, sources loaded."""
    own, options = split_arguments(kwargs)
    if settings is None:
        settings = load_settings(**options)
    elif not isinstance(settings, MaintenanceSettings):
        raise MaintenanceConfigError(
            f"keyword argument settings = {type(settings).__name__}: expected a MaintenanceSettings"
        )
    elif options:
        names = ", ".join(sorted(options))
        raise MaintenanceConfigError(
            f"keyword arguments settings and {names}: pass settings keys ({names}) inside "
            "settings=MaintenanceSettings(...), not beside it"
        )
    return compile_plan(settings, **own)
