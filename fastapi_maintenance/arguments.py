"""The middleware's keyword arguments: its own ones told apart from settings keys, checked, deprecated names mapped.

Everything here runs when a middleware is built, so a wrong argument fails the start-up naming
the argument, never a request.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any, Dict, Tuple

from .backends.base import BaseStateBackend
from .errors import MaintenanceConfigError

__all__ = ["OWN_ARGUMENTS", "check_own_arguments", "split_arguments", "user_stacklevel"]

#: The middleware's own keyword arguments; every other keyword is a settings key.
OWN_ARGUMENTS = frozenset(
    {"enable_maintenance", "backend", "exempt_callback", "response_callback", "clock", "metrics"}
)
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


def check_own_arguments(
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
