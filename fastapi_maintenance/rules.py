"""The decision: is this request served or answered with the maintenance response?

A pure function over facts, with no I/O and no Starlette import, so the
precedence table can be read in one place and tested exhaustively. The rules
form an ordered chain; the first rule that speaks wins:

====  =====================================================  ==========
level rule                                                   outcome
====  =====================================================  ==========
0     the request reaches no route (the app's own 404/405)   serve
1     route forced on (decorator) or a ``maintenance_paths``  maintenance
2     route forced off (decorator) or an ``exempt_paths``     serve
3     request exemption: docs URL, allowed IP, bypass,        serve
      ``exempt_callback``
4     innermost active override context                      its value
5     ``enable_maintenance`` (settings key ``enabled``)       its value
6     backend state, or inside a scheduled window            its value
====  =====================================================  ==========

With ``read_only`` set, maintenance that comes from levels 4 to 6 blocks only
unsafe methods: GET, HEAD and OPTIONS are served.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Optional


class Reason(str, Enum):
    """Why a request was served or blocked: the rule that spoke."""

    NO_ROUTE = "no_route"
    ROUTE_FORCED_ON = "route_forced_on"
    ROUTE_FORCED_OFF = "route_forced_off"
    EXEMPT_DOCS = "exempt_docs"
    EXEMPT_IP = "exempt_ip"
    EXEMPT_BYPASS = "exempt_bypass"
    EXEMPT_CALLBACK = "exempt_callback"
    CORS_PREFLIGHT = "cors_preflight"
    OVERRIDE = "override"
    HARD_SWITCH = "hard_switch"
    BACKEND = "backend"
    WINDOW = "window"
    READ_ONLY = "read_only"


@dataclass(frozen=True)
class Decision:
    """The outcome and the rule that decided it (``reason`` is None when nothing asked for maintenance)."""

    maintenance: bool
    reason: Optional[Reason]


# Decisions are immutable: the application-wide ones are built once and shared by every request.
_OVERRIDE = {True: Decision(True, Reason.OVERRIDE), False: Decision(False, Reason.OVERRIDE)}
_HARD_SWITCH = {True: Decision(True, Reason.HARD_SWITCH), False: Decision(False, Reason.HARD_SWITCH)}
_BACKEND_ON = Decision(True, Reason.BACKEND)
_BACKEND_OFF = Decision(False, Reason.BACKEND)
_WINDOW_ON = Decision(True, Reason.WINDOW)


@dataclass(frozen=True)
class Facts:
    """What is known about one request and the maintenance state.

    ``forced`` is the route-level mark: True (forced on / maintenance path),
    False (forced off / exempt path) or None. ``exemption`` is the first
    request exemption that applies, or None. ``state`` is the
    application-wide decision of levels 4 to 6, as ``global_state`` computes it.
    """

    route_found: bool = True
    forced: Optional[bool] = None
    exemption: Optional[Reason] = None
    state: Decision = _BACKEND_OFF
    read_only: bool = False
    safe_method: bool = False


def global_state(
    override: Optional[bool] = None,
    hard_switch: Optional[bool] = None,
    backend_state: bool = False,
    in_window: bool = False,
) -> Decision:
    """Levels 4 to 6: the application-wide state, before any per-request rule.

    ``override`` and ``hard_switch`` are None when they do not speak.
    """
    if override is not None:
        return _OVERRIDE[override]
    if hard_switch is not None:
        return _HARD_SWITCH[hard_switch]
    if backend_state:
        return _BACKEND_ON
    if in_window:
        return _WINDOW_ON
    return _BACKEND_OFF


def decide(facts: Facts) -> Decision:
    """Walk the precedence chain; the first rule that speaks wins."""
    if not facts.route_found:
        return Decision(False, Reason.NO_ROUTE)
    if facts.forced is True:
        return Decision(True, Reason.ROUTE_FORCED_ON)
    if facts.forced is False:
        return Decision(False, Reason.ROUTE_FORCED_OFF)
    if facts.exemption is not None:
        return Decision(False, facts.exemption)
    state = facts.state
    if state.maintenance and facts.read_only and facts.safe_method:
        return Decision(False, Reason.READ_ONLY)
    return state


def exemptions_matter(forced: Optional[bool], state: Decision) -> bool:
    """Whether request exemptions can change the outcome: only when nothing above them spoke and maintenance is on.

    The middleware uses this to skip evaluating exemptions (an exempt callback
    can be costly) when they cannot change what ``decide`` returns.
    """
    return forced is None and state.maintenance
