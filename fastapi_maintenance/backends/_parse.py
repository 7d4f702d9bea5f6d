"""Turning a stored text into a maintenance state."""

from __future__ import annotations

from typing import Optional

TRUTHY = frozenset({"1", "yes", "y", "true", "t", "on"})
FALSY = frozenset({"0", "no", "n", "false", "f", "off"})


def parse_state(raw: Optional[str]) -> Optional[bool]:
    """True or False for a recognised text, False for a missing or empty one, None for anything else."""
    if raw is None:
        return False
    text = raw.strip().lower()
    if not text:
        return False
    if text in TRUTHY:
        return True
    if text in FALSY:
        return False
    return None


def format_state(value: bool) -> str:
    """The text a writable backend stores."""
    return "1" if value else "0"
