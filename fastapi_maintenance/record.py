"""``MaintenanceState``: the maintenance state as a record, not a bare bit.

Besides on/off, an operator can say why (``reason``, internal), what clients
are told (``message``), until when (``until``, after which maintenance ends by
itself) and who switched (``actor``); ``since`` is when it was switched on.

This module owns the record: its checks, the switch that builds the next
record from the current one, and the stored text (``1``/``0`` for a record
with no field but ``active``, else a JSON object).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Optional, Union

__all__ = [
    "OFF",
    "ON",
    "Duration",
    "MaintenanceState",
    "decode_active_record",
    "decode_record",
    "encode_state",
    "switched_state",
]

Duration = Union[timedelta, int, float]

_TEXT_FIELDS = ("message", "reason", "actor")
_TIME_FIELDS = ("until", "since")
_FIELDS = ("active", "message", "until", "reason", "actor", "since")  # the stored order


@dataclass(frozen=True)
class MaintenanceState:
    """One stored maintenance state. A state with no field but ``active`` is stored as 0.0.5 stored it."""

    active: bool
    message: Optional[str] = None
    until: Optional[datetime] = None
    reason: Optional[str] = None
    actor: Optional[str] = None
    since: Optional[datetime] = None

    def __post_init__(self) -> None:
        # A record is checked once, when built; readers of a stored record get the same checks.
        if not isinstance(self.active, bool):
            raise TypeError(f"MaintenanceState.active must be True or False, got {self.active!r}")
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise TypeError(
                    f"MaintenanceState.{name} must be a string or None, got {type(value).__name__}"
                )
        for name in _TIME_FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, datetime):
                raise TypeError(
                    f"MaintenanceState.{name} must be a datetime or None, got {type(value).__name__}"
                )
            _check_moment(f"MaintenanceState.{name}", value)

    @property
    def is_plain(self) -> bool:
        """True when nothing but ``active`` is set (stored as ``1``/``0``, as older versions did)."""
        return (
            self.message is None
            and self.until is None
            and self.reason is None
            and self.actor is None
            and self.since is None
        )

    def in_effect(self, now: Optional[datetime] = None) -> bool:
        """Whether maintenance is on at ``now``: active, and ``until`` (if any) not yet reached."""
        if not self.active:
            return False
        if self.until is None:
            return True
        return (now or datetime.now(timezone.utc)) < self.until

    def to_dict(self) -> Dict[str, Any]:
        """The set fields as JSON-ready values (datetimes as RFC 3339 text); ``active`` always."""
        data: Dict[str, Any] = {"active": self.active}
        for name in _FIELDS[1:]:
            value = getattr(self, name)
            if value is not None:
                data[name] = value.isoformat() if isinstance(value, datetime) else value
        return data


#: The two plain records; backends hand out these objects so an unchanged state compares by identity.
ON = MaintenanceState(True)
OFF = MaintenanceState(False)


def plain(active: bool) -> MaintenanceState:
    """The shared plain record for on or off."""
    return ON if active else OFF


def encode_state(state: MaintenanceState) -> str:
    """The stored text: ``1``/``0`` for a plain record (readable by 0.0.5), else a compact JSON object."""
    if state.is_plain:
        return "1" if state.active else "0"
    return json.dumps(state.to_dict(), ensure_ascii=False, separators=(",", ":"))


def decode_record(text: str) -> MaintenanceState:
    """A stored JSON object as a record; ValueError naming what is wrong. Unknown keys are ignored."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not a JSON object: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    active = data.get("active")
    if not isinstance(active, bool):
        raise ValueError(f'"active" must be true or false, got {active!r}')
    fields: Dict[str, Any] = {"active": active}
    for name in _TEXT_FIELDS:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f'"{name}" must be a string, got {value!r}')
        fields[name] = value
    for name in _TIME_FIELDS:
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ValueError(f'"{name}" must be an RFC 3339 date-time text, got {value!r}')
        fields[name] = _parse_datetime(name, value)
    try:
        record = MaintenanceState(**fields)
    except (TypeError, ValueError) as exc:
        raise ValueError(str(exc)) from None
    return plain(active) if record.is_plain else record


def decode_active_record(text: str) -> Optional[MaintenanceState]:
    """An unreadable record that says ``"active": true``, with its unreadable fields dropped; else None.

    Such a record still means "on": reading it as off would open the app because of a typo
    in a message or a date, so readers keep it on and drop only what they cannot read.
    """
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("active") is not True:
        return None
    readable: Dict[str, Any] = {"active": True}
    for name in _FIELDS[1:]:
        field = {"active": True, name: data.get(name)}
        try:
            decode_record(json.dumps(field))
        except ValueError:
            continue
        readable[name] = data.get(name)
    return decode_record(json.dumps(readable))


def _parse_datetime(name: str, text: str) -> datetime:
    candidate = text.strip()
    if candidate.endswith(("Z", "z")):  # datetime.fromisoformat accepts "Z" only from Python 3.11
        candidate = candidate[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(candidate)
    except ValueError:
        raise ValueError(f'"{name}" is not an RFC 3339 date-time: {text!r}') from None
    if value.tzinfo is None:
        raise ValueError(f'"{name}" has no time zone offset: {text!r}')
    return value


def switched_state(
    active: bool,
    current: Optional[MaintenanceState],
    *,
    message: Optional[str] = None,
    until: Optional[datetime] = None,
    duration: Optional[Duration] = None,
    reason: Optional[str] = None,
    actor: Optional[str] = None,
    now: Optional[datetime] = None,
) -> MaintenanceState:
    """The record a switch stores, checked before anything is written (ValueError/TypeError naming the argument).

    Each switch states the whole record: fields not given are cleared. ``since``
    is kept while maintenance stays on (switching on while on), set to ``now``
    when it starts, and only recorded when the switch carries some other field,
    so a bare ``set_maintenance_mode(True)`` still stores ``1``.
    """
    if not isinstance(active, bool):
        raise TypeError(f"value must be True or False, got {active!r}")
    now = now or datetime.now(timezone.utc)
    if until is not None and duration is not None:
        raise ValueError("pass either until= or duration=, not both")
    if not active and (message is not None or until is not None or duration is not None):
        raise ValueError("message=, until= and duration= only apply when switching maintenance on")
    for name, value in (("message", message), ("reason", reason), ("actor", actor)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name}= must be a string, got {type(value).__name__}")
    if duration is not None:
        try:
            until = now + _as_timedelta(duration)
        except OverflowError:
            raise ValueError(f"duration= is too long: {duration!r} ends after the year 9999") from None
    if until is not None:
        if not isinstance(until, datetime):
            raise TypeError(f"until= must be a timezone-aware datetime, got {type(until).__name__}")
        _check_moment("until=", until)
        if until <= now:
            raise ValueError(f"until= is not in the future: {until.isoformat()} (now is {now.isoformat()})")
    if message is None and until is None and reason is None and actor is None:
        return plain(active)
    since: Optional[datetime] = None
    if active:
        # Still on: keep when it started (unknown after a plain ``1``: better unknown than wrong).
        since = current.since if current is not None and current.in_effect(now) else now
    return MaintenanceState(active, message, until, reason, actor, since)


def _check_moment(label: str, value: datetime) -> None:
    """A record's moment must be timezone-aware and stay a datetime once converted to UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{label} must be timezone-aware (like datetime.now(timezone.utc)), got the naive {value.isoformat()}"
        )
    if not _in_utc_range(value):
        raise ValueError(
            f"{label} {value.isoformat()} is out of range once converted to UTC (years 1 to 9999)"
        )


def _in_utc_range(moment: datetime) -> bool:
    """Whether ``moment`` stays a date-time once converted to UTC: readers show and compare it in UTC."""
    try:
        moment.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return False
    return True


def _as_timedelta(duration: Duration) -> timedelta:
    if isinstance(duration, bool) or not isinstance(duration, (timedelta, int, float)):
        raise TypeError(f"duration= must be a timedelta or a number of seconds, got {duration!r}")
    if isinstance(duration, timedelta):
        delta = duration
    else:
        if not math.isfinite(duration):
            raise ValueError(f"duration= must be a finite number of seconds, got {duration!r}")
        try:
            delta = timedelta(seconds=duration)
        except OverflowError:
            raise ValueError(f"duration= is too long: {duration!r} seconds") from None
    if delta <= timedelta(0):
        raise ValueError(f"duration= must be positive, got {duration!r}")
    return delta
