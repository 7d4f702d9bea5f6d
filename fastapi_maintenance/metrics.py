"""Prometheus metrics (the ``metrics`` extra): what maintenance did to traffic, and the state each worker sees.

``MaintenanceMetrics`` registers its metrics once, on the registry given (default: the
``prometheus_client`` default registry), and is passed to one or more middlewares as
``metrics=``. It counts only on the middleware's decision path, which a request takes only
while maintenance could apply to it, so the common "maintenance off" path stays untouched.

Several worker processes (``uvicorn --workers``, gunicorn): set ``PROMETHEUS_MULTIPROC_DIR``
to an empty folder before the server starts, as ``prometheus_client`` documents, and serve
``metrics_endpoint()``, which then aggregates every worker's values. The state gauge shows the
highest value among live workers, the reachability gauge the lowest.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable, Coroutine, Dict, Optional

from starlette.requests import Request
from starlette.responses import Response

from .decorators import force_maintenance_mode_off
from .errors import require_extra
from .record import MaintenanceState
from .rules import Decision, Reason

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

__all__ = ["DEFAULT_NAMESPACE", "MaintenanceMetrics", "metrics_endpoint"]

DEFAULT_NAMESPACE = "fastapi_maintenance"
_PURPOSE = "fastapi_maintenance.metrics (Prometheus metrics)"
#: The rules that answer with maintenance.
_MAINTENANCE = (Reason.ROUTE_FORCED_ON, Reason.OVERRIDE, Reason.HARD_SWITCH, Reason.BACKEND, Reason.WINDOW)
#: Requests served during maintenance, and why (the bypass has its own counter).
_EXEMPTIONS = frozenset(
    {
        Reason.ROUTE_FORCED_OFF,
        Reason.EXEMPT_DOCS,
        Reason.EXEMPT_IP,
        Reason.EXEMPT_CALLBACK,
        Reason.CORS_PREFLIGHT,
        Reason.READ_ONLY,
    }
)


def _prometheus() -> Any:
    return require_extra("prometheus_client", extra="metrics", purpose=_PURPOSE)


class MaintenanceMetrics:
    """The metrics, registered now; give the same object to every middleware that should feed them.

    - ``<ns>_responses_total{reason}``: maintenance responses sent, by the rule that decided
      (``backend``, ``window``, ``override``, ``hard_switch``, ``route_forced_on``).
    - ``<ns>_bypasses_total``: requests let in by the bypass secret (header, cookie or link).
    - ``<ns>_exemptions_total{reason}``: other requests served during maintenance, by exemption.
    - ``<ns>_state``: 1 while the stored record is on, as the workers last saw it.
    - ``<ns>_until_timestamp_seconds``: when that record ends by itself (0: no end, or off); maintenance
      is over once ``time()`` passes it, which no event reports.
    - ``<ns>_backend_reachable``: 0 while a worker cannot read its backend.
    - ``<ns>_state_changes_total``: changes of the stored state seen by the workers.
    """

    def __init__(
        self, registry: Optional[CollectorRegistry] = None, *, namespace: str = DEFAULT_NAMESPACE
    ) -> None:
        prometheus = _prometheus()
        target = prometheus.REGISTRY if registry is None else registry
        common: Dict[str, Any] = {"namespace": namespace, "registry": target}
        self.responses = prometheus.Counter(
            "responses", "Maintenance responses sent, by the rule that decided.", ["reason"], **common
        )
        self.bypasses = prometheus.Counter(
            "bypasses", "Requests let in during maintenance by the bypass secret.", **common
        )
        self.exemptions = prometheus.Counter(
            "exemptions", "Requests served during maintenance by an exemption, by kind.", ["reason"], **common
        )
        self.state = prometheus.Gauge(
            "state",
            "1 while the stored maintenance record is on, as the workers last saw it.",
            multiprocess_mode="livemax",
            **common,
        )
        self.until = prometheus.Gauge(
            "until_timestamp_seconds",
            "When the stored maintenance record ends by itself (unix time), 0 when it has no end or is off.",
            multiprocess_mode="livemax",
            **common,
        )
        self.backend_up = prometheus.Gauge(
            "backend_reachable",
            "1 while the workers can read their state backend, 0 while one cannot.",
            multiprocess_mode="livemin",
            **common,
        )
        self.state_changes = prometheus.Counter(
            "state_changes", "Changes of the stored maintenance state seen by the workers.", **common
        )
        # Children resolved once: a labelled counter looks its child up by value on every call otherwise.
        self._responses = {reason: self.responses.labels(reason.value) for reason in _MAINTENANCE}
        self._exemptions = {reason: self.exemptions.labels(reason.value) for reason in sorted(_EXEMPTIONS)}

    def request_decided(self, decision: Decision) -> None:
        reason = decision.reason
        if reason is None:
            return
        if reason is Reason.EXEMPT_BYPASS:
            self.bypasses.inc()
            return
        child = (self._responses if decision.maintenance else self._exemptions).get(reason)
        if child is not None:
            child.inc()

    def state_seen(self, old: Optional[MaintenanceState], new: MaintenanceState) -> None:
        # The record as stored: its end passes without any event, so the end is a gauge of its own.
        self.state.set(1 if new.active else 0)
        self.until.set(new.until.timestamp() if new.active and new.until is not None else 0)
        if old is not None:
            self.state_changes.inc()

    def backend_reachable(self, reachable: bool) -> None:
        self.backend_up.set(1 if reachable else 0)


def metrics_endpoint(
    registry: Optional[CollectorRegistry] = None,
) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    """An endpoint serving the exposition, reachable during maintenance:
    ``app.add_api_route("/metrics", metrics_endpoint(), include_in_schema=False)``.

    With ``PROMETHEUS_MULTIPROC_DIR`` set it aggregates every worker's files (a fresh registry per
    scrape, as ``prometheus_client`` documents); otherwise it serves ``registry`` (default: the default one).
    """
    prometheus = _prometheus()
    from prometheus_client import multiprocess

    def collect() -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            fresh = prometheus.CollectorRegistry()
            multiprocess.MultiProcessCollector(fresh)  # type: ignore[no-untyped-call]
            return bytes(prometheus.generate_latest(fresh))
        return bytes(prometheus.generate_latest(prometheus.REGISTRY if registry is None else registry))

    @force_maintenance_mode_off
    async def metrics(request: Request) -> Response:
        return Response(collect(), media_type=prometheus.CONTENT_TYPE_LATEST)

    return metrics
