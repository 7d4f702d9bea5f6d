"""The app the admin API's end-to-end tests run under uvicorn (``tests.admin.served_admin_app:app``).

Settings come from the file named by ``FASTAPI_MAINTENANCE_CONFIG`` (tokens, backend, proxies);
audit lines go to the file named by ``ADMIN_TEST_AUDIT_LOG`` (one per line, with the actor), and
the metrics are served at ``/metrics`` (from every worker when ``PROMETHEUS_MULTIPROC_DIR`` is set).
"""

from __future__ import annotations

import logging
import os
from typing import Dict

from fastapi import FastAPI

from fastapi_maintenance import MaintenanceModeMiddleware, load_settings
from fastapi_maintenance.admin import admin_router
from fastapi_maintenance.metrics import MaintenanceMetrics, metrics_endpoint

AUDIT_LOG_VAR = "ADMIN_TEST_AUDIT_LOG"


def _audit_to_file() -> None:
    path = os.environ.get(AUDIT_LOG_VAR)
    if not path:
        return
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s | actor=%(actor)s action=%(action)s pid=%(process)d"))
    audit = logging.getLogger("fastapi_maintenance.audit")
    audit.addHandler(handler)
    audit.setLevel(logging.INFO)


def build_app() -> FastAPI:
    _audit_to_file()
    settings = load_settings()
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, settings=settings, metrics=MaintenanceMetrics())
    app.include_router(admin_router(settings=settings), prefix="/_maintenance")
    app.add_api_route("/metrics", metrics_endpoint(), include_in_schema=False)

    @app.get("/")
    async def index() -> Dict[str, int]:
        return {"pid": os.getpid()}

    return app


app = build_app()
