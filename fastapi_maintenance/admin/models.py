"""The admin API's request and response bodies, typed so that the OpenAPI document describes them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, List, Optional, Sequence

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from ..record import MaintenanceState

__all__ = ["MaintenanceStateOut", "SwitchRequest", "WindowOut"]


class SwitchRequest(BaseModel):
    """``PUT``: switch maintenance on (with what clients are told and until when) or off."""

    model_config = ConfigDict(extra="forbid")

    active: bool = Field(description="true switches maintenance on, false switches it off.")
    message: Optional[str] = Field(
        default=None, max_length=2000, description="Shown to clients instead of the configured message."
    )
    until: Optional[AwareDatetime] = Field(
        default=None, description="When maintenance ends by itself (RFC 3339 with a UTC offset)."
    )
    duration: Optional[timedelta] = Field(
        default=None,
        description="How long maintenance lasts from now: seconds, or an ISO 8601 duration such as PT30M. "
        "Excludes until.",
    )
    reason: Optional[str] = Field(
        default=None,
        max_length=2000,
        description="Internal note (never shown to clients), kept in the audit log.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> SwitchRequest:
        if self.until is not None and self.duration is not None:
            raise ValueError("give either until or duration, not both")
        if self.duration is not None and self.duration <= timedelta(0):
            raise ValueError("duration must be positive")
        if not self.active and (
            self.message is not None or self.until is not None or self.duration is not None
        ):
            raise ValueError("message, until and duration only apply when switching on (active: true)")
        return self


class WindowOut(BaseModel):
    """A scheduled maintenance window of the serving app."""

    start: datetime
    end: datetime
    message: Optional[str] = None


class MaintenanceStateOut(BaseModel):
    """The stored state as this worker reads it from its backend."""

    active: Optional[bool] = Field(
        description="Whether the stored state is on; null when the backend cannot be read and no state is known."
    )
    in_effect: Optional[bool] = Field(
        description="Whether maintenance is on now: active and until (if any) not yet reached."
    )
    message: Optional[str] = Field(default=None, description="What clients are told.")
    until: Optional[datetime] = Field(default=None, description="When maintenance ends by itself.")
    reason: Optional[str] = Field(default=None, description="Internal note, never shown to clients.")
    actor: Optional[str] = Field(default=None, description="Who switched (an admin token's name).")
    since: Optional[datetime] = Field(default=None, description="When maintenance was switched on.")
    backend: str = Field(description="The backend holding the state (secret-free description).")
    reachable: bool = Field(description="Whether this worker could read its backend just now.")
    hard_switch: Optional[bool] = Field(
        default=None,
        description="The serving app's hard switch (enabled), which overrides the stored state; null when not set.",
    )
    windows: List[WindowOut] = Field(
        default_factory=list, description="The serving app's scheduled maintenance windows."
    )

    @classmethod
    def of(
        cls,
        state: Optional[MaintenanceState],
        *,
        backend: str,
        reachable: bool,
        hard_switch: Optional[bool] = None,
        windows: Sequence[WindowOut] = (),
    ) -> MaintenanceStateOut:
        fields: dict[str, Any] = {"active": None, "in_effect": None}
        if state is not None:
            fields = {
                "active": state.active,
                "in_effect": state.in_effect(),
                "message": state.message,
                "until": state.until,
                "reason": state.reason,
                "actor": state.actor,
                "since": state.since,
            }
        return cls(
            **fields, backend=backend, reachable=reachable, hard_switch=hard_switch, windows=list(windows)
        )
