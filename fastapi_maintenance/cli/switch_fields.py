"""What ``on``/``off`` record besides on/off: message, end, reason and actor, checked before any I/O.

Every refusal is a usage error naming the option, raised before the backend is
even opened, so a typo in ``--until`` never leaves a half-done switch behind.
``--until`` must say its time zone (``Z`` or an offset such as ``+01:00``): an
operator's local time and the servers' clocks need not agree, and guessing
would move the end by hours.
"""

from __future__ import annotations

import getpass
import os
import re
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Optional

from .durations import parse_duration
from .errors import EXIT_USAGE, CliError

__all__ = ["UNTIL_FORMS", "SwitchFields", "default_actor", "switch_fields"]

#: The accepted ``--until`` forms, as the help text and the errors show them.
UNTIL_FORMS = "2026-12-24T03:00Z or 2026-12-24T03:00:00+01:00 (RFC 3339; the time zone is required)"

_LATEST = datetime.max.replace(tzinfo=timezone.utc)
_UNTIL = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(?:([Zz])|([+-]\d{2}:\d{2}))"
)


@dataclass(frozen=True)
class SwitchFields:
    """The record's fields one ``on``/``off`` carries; all None is a bare switch (stored ``1``/``0``)."""

    message: Optional[str] = None
    until: Optional[datetime] = None
    duration: Optional[timedelta] = None
    reason: Optional[str] = None
    actor: Optional[str] = None

    @property
    def bare(self) -> bool:
        return all(value is None for value in self.keywords().values())

    def keywords(self) -> Dict[str, Any]:
        """The keywords for ``set_maintenance_mode``."""
        return {
            "message": self.message,
            "until": self.until,
            "duration": self.duration,
            "reason": self.reason,
            "actor": self.actor,
        }


def default_actor() -> str:
    """``user@host`` of whoever runs the command (``uid<N>`` when the user has no name)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError, ImportError):  # no login name, no passwd entry (a bare container)
        user = f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return f"{user}@{socket.gethostname() or 'localhost'}"


def switch_fields(
    *,
    message: Optional[str] = None,
    for_: Optional[str] = None,
    until: Optional[str] = None,
    reason: Optional[str] = None,
    actor: Optional[str] = None,
    now: Optional[datetime] = None,
) -> SwitchFields:
    """The checked fields; ``actor`` defaults to ``user@host`` whenever the switch records anything."""
    for option, value in (("--message", message), ("--reason", reason), ("--actor", actor)):
        if value is not None and not value.strip():
            raise CliError(f"{option} is empty; give a text or leave the option out", EXIT_USAGE)
    if for_ is not None and until is not None:
        raise CliError("--for and --until both say when maintenance ends; give one of them", EXIT_USAGE)
    now = now or datetime.now(timezone.utc)
    duration = _duration(for_, now) if for_ is not None else None
    end = _until(until, now) if until is not None else None
    fields = SwitchFields(message, end, duration, reason, None)
    if fields.bare and actor is None:
        return fields  # a bare switch stays 0.0.5's ``1``/``0``
    return SwitchFields(message, end, duration, reason, actor if actor is not None else default_actor())


def _duration(text: str, now: datetime) -> timedelta:
    try:
        span = parse_duration(text)
    except ValueError as exc:
        raise CliError(f"--for: {exc}", EXIT_USAGE) from None
    if span >= _LATEST - now:
        raise CliError(f"--for: {text!r} ends after the last moment a date can hold", EXIT_USAGE)
    return span


def _until(text: str, now: datetime) -> datetime:
    match = _UNTIL.fullmatch(text.strip())
    if match is None:
        raise CliError(
            f"--until: {text!r} is not a date and time with a time zone; write {UNTIL_FORMS}", EXIT_USAGE
        )
    day, minutes, seconds, fraction, zulu, offset = match.groups()
    # Spelled out in full: Python 3.9's fromisoformat takes only 3 or 6 fraction digits.
    normal = (
        f"{day}T{minutes}:{seconds or '00'}.{(fraction or '').ljust(6, '0')}{'+00:00' if zulu else offset}"
    )
    try:
        end = datetime.fromisoformat(normal)
    except ValueError as exc:
        raise CliError(f"--until: {text!r} is not a valid date and time ({exc})", EXIT_USAGE) from None
    try:
        end.astimezone(timezone.utc)
    except OverflowError:
        raise CliError(
            f"--until: {text!r} is out of range once converted to UTC (years 1 to 9999)", EXIT_USAGE
        ) from None
    if end <= now:
        raise CliError(
            f"--until {text} is not in the future (now is {now.astimezone(timezone.utc).isoformat(timespec='seconds')}); "
            "nothing was written",
            EXIT_USAGE,
        )
    return end
