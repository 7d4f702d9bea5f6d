"""Per-route marks: ``@force_maintenance_mode_on`` and ``@force_maintenance_mode_off``.

The decorators only mark the endpoint function and return it unchanged, so
FastAPI sees the same signature (path parameters, dependencies) and a call
costs nothing extra. The middleware reads the mark once, when it compiles the
route table. They work above or below the ``@app.get(...)`` line.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, TypeVar

MARK_ATTRIBUTE = "__fastapi_maintenance_forced__"

F = TypeVar("F", bound=Callable[..., Any])


def _mark(func: F, value: bool) -> F:
    setattr(func, MARK_ATTRIBUTE, value)
    return func


def force_maintenance_mode_on(func: F) -> F:
    """This route always answers with the maintenance response."""
    return _mark(func, True)


def force_maintenance_mode_off(func: F) -> F:
    """This route is always served, even during maintenance."""
    return _mark(func, False)


def forced_mark(endpoint: object) -> Optional[bool]:
    """The mark on an endpoint: True (forced on), False (forced off) or None."""
    value = getattr(endpoint, MARK_ATTRIBUTE, None)
    return value if isinstance(value, bool) else None
