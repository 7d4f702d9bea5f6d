"""The command line's spans of time: ``--for 1h30m`` in, ``29m 59s left`` out.

The grammar is deliberately small, so that a typo is refused instead of guessed at:
one or more ``<whole number><unit>`` parts with the units ``d`` (days), ``h``
(hours), ``m`` (minutes) and ``s`` (seconds), largest unit first, each unit at
most once, no spaces, lower case: ``90s``, ``30m``, ``2h``, ``1d``, ``1h30m``,
``1d12h``. A bare number is refused because it would be unclear whether it
means seconds or minutes.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

__all__ = ["DURATION_FORMS", "format_span", "parse_duration"]

#: The examples every error message and help text shows.
DURATION_FORMS = "90s, 30m, 2h, 1d or combined largest unit first like 1h30m"

_UNIT_SECONDS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_GRAMMAR = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
#: Enough digits for any span a datetime can hold (about 3.6 million days), few enough to parse at once.
_MAX_DIGITS = 12


def parse_duration(text: str) -> timedelta:
    """``text`` as a positive span; ValueError saying what is wrong (the caller names the argument)."""
    match = _GRAMMAR.fullmatch(text)
    if not text or match is None:
        raise ValueError(f"{text!r} is not a duration; write {DURATION_FORMS}")
    if any(part is not None and len(part) > _MAX_DIGITS for part in match.groups()):
        raise ValueError(f"{text!r} is longer than any date can hold")
    seconds = sum(
        int(part) * unit for part, (_, unit) in zip(match.groups(), _UNIT_SECONDS) if part is not None
    )
    if seconds <= 0:
        raise ValueError(f"{text!r} is not a positive duration")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"{text!r} is longer than any date can hold") from None


def format_span(span: timedelta) -> str:
    """A span for people, whole seconds rounded up, largest unit first: ``1h 29m 59s``, ``0s`` for none."""
    left = max(0, math.ceil(span.total_seconds()))
    parts = []
    for name, unit in _UNIT_SECONDS:
        count, left = divmod(left, unit)
        if count:
            parts.append(f"{count}{name}")
    return " ".join(parts) or "0s"
