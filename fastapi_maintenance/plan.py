"""Settings and keyword arguments compiled, once, into everything the middleware consults per request.

Compiling is where every check happens, so bad input fails at start-up with a
``MaintenanceConfigError`` rather than at the first request.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Dict, Literal, Optional, Tuple

from starlette.responses import Response

from .access import BypassGate, BypassSigner, ClientAddressResolver, IPRanges, Window, WindowSchedule
from .backends.base import BaseStateBackend
from .backends.factory import build_backend
from .callbacks import RequestCallback, as_async
from .control import default_backend
from .exemptions import RequestExemptions
from .observer import MaintenanceObserver
from .responses import MaintenanceResponder, MaintenanceResponses
from .settings import MaintenanceSettings, compile_path_globs, load_settings

PathMatcher = Callable[[str], bool]
FaultPolicy = Literal["last_known", "open", "closed"]

#: The middleware's own keyword arguments; every other keyword is a settings key.
OWN_ARGUMENTS = frozenset(
    {"enable_maintenance", "backend", "exempt_callback", "response_callback", "clock", "metrics"}
)
Clock = Callable[[], float]
_DEPRECATED = {"exempt_handler": "exempt_callback", "response_handler": "response_callback"}


@dataclass(frozen=True)
class Plan:
    """What the middleware needs, compiled from settings and keyword arguments."""

    settings: MaintenanceSettings
    backend: BaseStateBackend
    hard_switch: Optional[bool]
    on_backend_error: FaultPolicy
    maintenance_paths: Optional[PathMatcher]
    exempt_paths: Optional[PathMatcher]
    exempt_docs: bool
    read_only: bool
    schedule: Optional[WindowSchedule]
    exemptions: RequestExemptions
    responder: MaintenanceResponder
    observer: Optional[MaintenanceObserver] = None


def split_arguments(kwargs: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Separate the middleware's own arguments from settings keys, mapping deprecated names."""
    own: Dict[str, Any] = {}
    options: Dict[str, Any] = {}
    for name, value in kwargs.items():
        if name in _DEPRECATED:
            new_name = _DEPRECATED[name]
            warnings.warn(
                f"MaintenanceModeMiddleware({name}=...) is deprecated; use {new_name}=... instead.",
                DeprecationWarning,
                stacklevel=4,
            )
            if kwargs.get(new_name) is not None:
                raise TypeError(f"pass either {name} or {new_name}, not both")
            if value is not None:
                own[new_name] = value
        elif name in OWN_ARGUMENTS:
            if value is not None:
                own[name] = value
        else:
            options[name] = value
    return own, options


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
    if backend is None:
        if "backend" not in settings.model_fields_set:
            backend = default_backend()
        else:
            backend = build_backend(settings.backend)
    for name, callback in (("exempt_callback", exempt_callback), ("response_callback", response_callback)):
        if callback is not None and not callable(callback):
            raise TypeError(f"{name} must be a callable taking the Request, got {callback!r}")
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
        maintenance_paths=compile_path_globs(settings.maintenance_paths),
        exempt_paths=compile_path_globs(settings.exempt_paths),
        exempt_docs=settings.exempt_docs,
        read_only=settings.read_only,
        schedule=schedule,
        exemptions=RequestExemptions(
            allowed_ips=IPRanges(settings.allowed_ips) if settings.allowed_ips else None,
            client_resolver=ClientAddressResolver(settings.trusted_proxies),
            bypass=_bypass_gate(settings, clock),
            exempt_callback=as_async(exempt_callback) if exempt_callback is not None else None,
        ),
        responder=MaintenanceResponder(
            responses,
            as_async(response_callback) if response_callback is not None else None,
            schedule,
            clock=clock,
        ),
        observer=metrics,
    )


def _bypass_gate(settings: MaintenanceSettings, clock: Clock) -> Optional[BypassGate]:
    bypass = settings.bypass
    if bypass is None:
        return None
    signer = BypassSigner(bypass.secret.get_secret_value(), bypass.max_age, clock=clock)
    return BypassGate(signer, param_name=bypass.param, cookie_name=bypass.cookie, header_name=bypass.header)


def window_schedule(settings: MaintenanceSettings, clock: Clock = time.time) -> WindowSchedule:
    """The settings' windows, merged and ready for look-ups (the CLI's status uses it too)."""
    return WindowSchedule(
        [Window(item.start, item.end, item.message) for item in settings.windows], clock=clock
    )


def plan_from_arguments(settings: Optional[MaintenanceSettings], kwargs: Dict[str, Any]) -> Plan:
    """The plan for ``MaintenanceModeMiddleware(app, **kwargs)``: settings keys validated, sources loaded."""
    own, options = split_arguments(kwargs)
    if settings is None:
        settings = load_settings(**options)
    elif options:
        names = ", ".join(sorted(options))
        raise TypeError(
            f"pass settings keys ({names}) inside settings=MaintenanceSettings(...), not beside it"
        )
    return compile_plan(settings, **own)
