"""``Notice``: what one maintenance response tells the client, whichever form it takes.

The JSON body, the built-in page and a template all render the same notice, so
the message, the end time and the countdown cannot disagree between them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Optional, Tuple

__all__ = [
    "MIN_RETRY_SECONDS",
    "REFRESH_MAX_SECONDS",
    "REFRESH_MIN_SECONDS",
    "TEMPLATE_VARIABLES",
    "Notice",
    "refresh_seconds",
    "rfc3339",
    "seconds_until",
]

MIN_RETRY_SECONDS = 1
"""A known end gives ``Retry-After`` at least this: 0 would invite a retry before every worker agrees it ended."""

REFRESH_MIN_SECONDS = 5
"""The page never reloads faster than this, so a clock a little behind cannot make it reload every second."""

REFRESH_MAX_SECONDS = 300
"""The page reloads at least this often, so an open tab notices an early end within five minutes."""

TEMPLATE_VARIABLES: Tuple[str, ...] = (
    "message",
    "retry_after",
    "retry_after_seconds",
    "seconds_left",
    "until",
    "since",
    "path",
)
"""The names a response template sees (``Notice.template_context``); anything else is a start-up error."""


def seconds_until(end: datetime, now: float) -> int:
    """Whole seconds from ``now`` (unix time) until ``end``, rounded up, at least ``MIN_RETRY_SECONDS``."""
    return max(MIN_RETRY_SECONDS, math.ceil(end.timestamp() - now))


def refresh_seconds(retry_seconds: int) -> int:
    """The ``Refresh`` delay for a page whose ``Retry-After`` is ``retry_seconds``."""
    return min(REFRESH_MAX_SECONDS, max(REFRESH_MIN_SECONDS, retry_seconds))


def rfc3339(moment: datetime) -> str:
    """An aware date-time as RFC 3339 text in UTC (``2031-01-02T03:04:05+00:00``)."""
    return moment.astimezone(timezone.utc).isoformat()


@dataclass(frozen=True)
class Notice:
    """The maintenance notice for one response.

    ``retry_after`` is the header's text (seconds, or an HTTP date when the
    settings give a date); ``retry_after_seconds`` the same as a number.
    ``until`` and ``since`` are set when the end (and start) are known: from the
    stored state or from a scheduled window. Then ``Retry-After`` counts down to
    ``until``.
    """

    message: str
    retry_after: str
    retry_after_seconds: int
    until: Optional[datetime] = None
    since: Optional[datetime] = None

    @property
    def seconds_left(self) -> Optional[int]:
        """Seconds until the known end, or None when no end is known."""
        return self.retry_after_seconds if self.until is not None else None

    @property
    def refresh(self) -> int:
        return refresh_seconds(self.retry_after_seconds)

    def json_document(self) -> Dict[str, str]:
        """``{"detail": message}``, plus ``"until"`` when the end is known."""
        if self.until is None:
            return {"detail": self.message}
        return {"detail": self.message, "until": rfc3339(self.until)}

    def template_context(self, path: str) -> Dict[str, Any]:
        """The variables of a response template, named in ``TEMPLATE_VARIABLES``."""
        until = self.until.astimezone(timezone.utc) if self.until is not None else None
        since = self.since.astimezone(timezone.utc) if self.since is not None else None
        return {
            "message": self.message,
            "retry_after": self.retry_after,
            "retry_after_seconds": self.retry_after_seconds,
            "seconds_left": self.seconds_left,
            "until": until,
            "since": since,
            "path": path,
        }
