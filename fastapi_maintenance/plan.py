"""Settings and keyword arguments compiled, once, into everything the middleware consults per request.

Compiling is where every check happens, so bad input fails at start-up with a
``MaintenanceConfigError`` rather than at the first request.
"""

from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple

import anyio
from starlette.requests import Request
from starlette.responses import Response

from .access import BypassGate, BypassSigner, ClientAddressResolver, IPRanges, Window, WindowSchedule
from .backends.base import BaseStateBackend
from .backends.factory import build_backend
from .callbacks import RequestCallback, as_async
from .control import default_backend
from .errors import MaintenanceConfigError
from .exemptions import RequestExemptions
from .responses import MaintenanceResponder, MaintenanceResponses
from .settings import FaultPolicy, MaintenanceSettings, PathMatcher, compile_path_globs, load_settings

#: The middleware's own keyword arguments; every other keyword is a settings key.
OWN_ARGUMENTS = frozenset({"enable_maintenance", "backend", "exempt_callback", "response_callback", "clock"})
Clock = Callable[[], float]
_DEPRECATED = {"exempt_handler": "exempt_callback", "response_handler": "response_callback"}
#: Packages between the user's code and the middleware's construction (Starlette builds middleware
#: lazily, from its own code, inside a server or test client): warnings skip their frames.
_LIBRARY_PACKAGES = frozenset(
    {
        "fastapi_maintenance",
        "starlette",
        "fastapi",
        "anyio",
        "asyncio",
        "uvicorn",
        "httpx",
        "contextlib",
        "concurrent",
        "threading",
        "sniffio",
        "runpy",
        "importlib",
    }
)


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


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning raised by our caller point at the first frame of user code.

    That is the ``from_config(...)`` line, or, for ``app.add_middleware(...)`` (whose middleware
    Starlette builds later from its own code), the user's line that started the app (a test
    client, for instance). Without any user frame (a server started it), the outermost frame.
    """
    frame = sys._getframe(1)
    level = 1
    outermost = 1
    while frame is not None:
        package = str(frame.f_globals.get("__name__", "")).partition(".")[0]
        if package not in _LIBRARY_PACKAGES and level > 1:
            return level
        outermost = level
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return outermost


def split_arguments(kwargs: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Separate the middleware's own arguments from settings keys, mapping deprecated names.

    ``backend`` given in a settings form (a string such as ``"memory"`` or a table as a dict) is a
    settings key, validated with the others; a backend object is the middleware's own argument.
    """
    own: Dict[str, Any] = {}
    options: Dict[str, Any] = {}
    for name, value in kwargs.items():
        if name in _DEPRECATED:
            new_name = _DEPRECATED[name]
            warnings.warn(
                f"MaintenanceModeMiddleware({name}=...) is deprecated; use {new_name}=... instead.",
                DeprecationWarning,
                stacklevel=user_stacklevel(),
            )
            if kwargs.get(new_name) is not None:
                raise MaintenanceConfigError(
                    f"keyword arguments {name} and {new_name}: pass either {name} or {new_name}, not both"
                )
            if value is not None:
                own[new_name] = value
        elif name == "backend" and isinstance(value, (str, dict)):
            options[name] = value
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
) -> Plan:
    """Compile settings plus the middleware's own arguments (which win over every settings source).

    ``clock`` (unix seconds) drives scheduled windows and bypass cookie expiry; tests inject one.
    """
    _check_arguments(enable_maintenance, backend, exempt_callback, response_callback, clock)
    if backend is None:
        if "backend" not in settings.model_fields_set:
            backend = default_backend()
        else:
            backend = build_backend(settings.backend)
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
    )


def _check_arguments(
    enable_maintenance: Any, backend: Any, exempt_callback: Any, response_callback: Any, clock: Any
) -> None:
    """The middleware's own keyword arguments, checked now: a wrong type would fail every request."""
    if enable_maintenance is not None and not isinstance(enable_maintenance, bool):
        raise MaintenanceConfigError(
            f"keyword argument enable_maintenance = {enable_maintenance!r}: must be True or False "
            "(or None, or left out, to follow the backend), not a "
            f"{type(enable_maintenance).__name__}"
        )
    if backend is not None and not isinstance(backend, BaseStateBackend):
        if isinstance(backend, type) and issubclass(backend, BaseStateBackend):
            raise MaintenanceConfigError(
                f"keyword argument backend = {backend.__name__}: a backend class, not a backend; "
                f"pass an instance, backend={backend.__name__}(...), or a settings form such as "
                "backend='memory'"
            )
        raise MaintenanceConfigError(
            f"keyword argument backend = {backend!r}: expected a BaseStateBackend instance or a settings "
            "form (a string such as 'memory', 'file:///srv/maintenance.flag', 'redis://host:6379/0', "
            "or a dict such as {'type': 'memory'})"
        )
    for name, callback in (("exempt_callback", exempt_callback), ("response_callback", response_callback)):
        if callback is not None and not callable(callback):
            raise MaintenanceConfigError(
                f"keyword argument {name} = {callback!r}: must be a callable taking the Request"
            )
    if not callable(clock):
        raise MaintenanceConfigError(f"keyword argument clock = {clock!r}: must be a callable")


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
