"""Scheduled maintenance windows: maintenance is on inside any window, and Retry-After counts
down to its end.

Windows are half-open intervals ``[start, end)``: at ``start`` maintenance is on, at ``end``
it is off again. Overlapping or touching windows are merged at construction, so at any
instant at most one window is active and its end is the real end of maintenance.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

__all__ = ["Window", "WindowSchedule"]


def _require_aware(label: str, value: object) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{label} must be a datetime, got {type(value).__name__} {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{label} {value.isoformat()} has no time zone; give an offset (e.g. 2030-01-01T02:00:00+00:00)"
        )
    return value


@dataclass(frozen=True)
class Window:
    """One maintenance window; ``start`` and ``end`` are time-zone-aware, ``end > start``."""

    start: datetime
    end: datetime
    message: Optional[str] = None

    def __post_init__(self) -> None:
        _require_aware("window start", self.start)
        _require_aware("window end", self.end)
        if self.end.timestamp() <= self.start.timestamp():  # instants: fold-aware, unlike `<=`
            raise ValueError(
                f"window end {self.end.isoformat()} must be after its start {self.start.isoformat()}"
            )
        if self.message is not None and not isinstance(self.message, str):
            raise ValueError(f"window message must be a string, got {type(self.message).__name__}")


def _merge(windows: Sequence[Window]) -> List[Tuple[float, float, Window]]:
    """Sort and merge; compares instants (timestamps), never wall-clock times."""
    spans: List[Tuple[float, float, Window]] = []
    for index, window in enumerate(windows):
        if not isinstance(window, Window):
            raise ValueError(f"window #{index} must be a Window, got {type(window).__name__}")
        spans.append((window.start.timestamp(), window.end.timestamp(), window))
    spans.sort(key=lambda span: (span[0], span[1]))
    merged: List[Tuple[float, float, Window]] = []
    for start, end, window in spans:
        if merged and start <= merged[-1][1]:  # overlapping or touching
            last_start, last_end, last = merged[-1]
            if end > last_end:
                message = last.message if last.message is not None else window.message
                merged[-1] = (last_start, end, Window(last.start, window.end, message))
            elif last.message is None and window.message is not None:
                merged[-1] = (last_start, last_end, Window(last.start, last.end, window.message))
        else:
            merged.append((start, end, window))
    return merged


class WindowSchedule:
    """Sorted, merged windows with O(log n) look-ups; an empty schedule answers at once.

    A merged window keeps the message of the earliest-starting window that had one. Every
    method takes an optional aware ``now``; without it the injected ``clock`` (unix seconds,
    ``time.time`` by default) is read, which avoids building a datetime per request.
    """

    __slots__ = ("_clock", "_ends", "_starts", "_windows")

    def __init__(self, windows: Sequence[Window] = (), *, clock: Callable[[], float] = time.time) -> None:
        merged = _merge(windows)
        self._windows: Tuple[Window, ...] = tuple(w for _, _, w in merged)
        self._starts: Tuple[float, ...] = tuple(start for start, _, _ in merged)
        self._ends: Tuple[float, ...] = tuple(end for _, end, _ in merged)
        self._clock = clock

    @property
    def windows(self) -> Tuple[Window, ...]:
        """The merged windows, in time order."""
        return self._windows

    def __bool__(self) -> bool:
        return bool(self._windows)

    def __len__(self) -> int:
        return len(self._windows)

    def __iter__(self) -> Iterator[Window]:
        return iter(self._windows)

    def _timestamp(self, now: Optional[datetime]) -> float:
        return self._clock() if now is None else _require_aware("now", now).timestamp()

    def _active_index(self, ts: float) -> int:
        index = bisect_right(self._starts, ts) - 1
        return index if index >= 0 and ts < self._ends[index] else -1

    def active(self, now: Optional[datetime] = None) -> Optional[Window]:
        """The window in force at ``now`` (``start <= now < end``), or None."""
        if not self._windows:
            return None
        index = self._active_index(self._timestamp(now))
        return self._windows[index] if index >= 0 else None

    def is_active(self, now: Optional[datetime] = None) -> bool:
        return bool(self._windows) and self._active_index(self._timestamp(now)) >= 0

    def next(self, now: Optional[datetime] = None) -> Optional[Window]:
        """The first window starting strictly after ``now`` (an active window is not "next")."""
        if not self._windows:
            return None
        index = bisect_right(self._starts, self._timestamp(now))
        return self._windows[index] if index < len(self._windows) else None

    def retry_after_seconds(self, now: Optional[datetime] = None) -> Optional[int]:
        """Whole seconds until the active window ends (rounded up, at least 1), or None."""
        if not self._windows:
            return None
        ts = self._timestamp(now)
        index = self._active_index(ts)
        if index < 0:
            return None
        return max(1, math.ceil(self._ends[index] - ts))

    def describe(self, now: Optional[datetime] = None) -> str:
        """One line for ``status`` output: the active or next window, in UTC."""
        window = self.active(now)
        label = "active"
        if window is None:
            window, label = self.next(now), "next"
        if window is None:
            return "no scheduled maintenance window"
        start = window.start.astimezone(timezone.utc).isoformat()
        end = window.end.astimezone(timezone.utc).isoformat()
        suffix = f": {window.message}" if window.message else ""
        return f"{label} window {start} .. {end}{suffix}"
