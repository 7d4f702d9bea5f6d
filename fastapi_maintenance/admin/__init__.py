"""The admin API: read and switch maintenance over HTTP with a named token (``admin_router``)."""

from __future__ import annotations

from .auth import ACTOR_STATE_ATTRIBUTE
from .models import MaintenanceStateOut, SwitchRequest
from .router import admin_router

__all__ = ["ACTOR_STATE_ATTRIBUTE", "MaintenanceStateOut", "SwitchRequest", "admin_router"]
