"""Path globs for ``exempt_paths`` and ``maintenance_paths``, compiled once into one regex.

Syntax (matched against the whole decoded request path, case-sensitively):

- ``*`` matches any run of characters within one path segment (never ``/``);
- ``?`` matches exactly one character within a segment;
- ``**`` matches across segments. As a whole segment, ``/**`` also matches
  nothing at all: ``/admin/**`` matches ``/admin``, ``/admin/`` and
  ``/admin/users/7`` (the folder and everything below it), and ``/a/**/b``
  matches ``/a/b`` and ``/a/x/y/b``;
- every other character is literal. ``/health*`` matches ``/health`` and
  ``/healthz`` but not ``/health/live``; ``/health`` does not match ``/health/``.
"""

from __future__ import annotations

import re
from typing import Callable, List, Optional, Sequence

__all__ = ["PathMatcher", "compile_path_globs", "glob_to_regex", "validate_glob"]

PathMatcher = Callable[[str], bool]


def validate_glob(pattern: str) -> str:
    """Check one glob at load time; return it unchanged."""
    if not isinstance(pattern, str):
        raise ValueError(f"a path glob must be a string, got {type(pattern).__name__}")
    if not pattern:
        raise ValueError("an empty path glob matches nothing; remove it or write a path such as '/health*'")
    if not pattern.startswith("/"):
        raise ValueError(
            f"a path glob must start with '/', like the request path it matches (got {pattern!r})"
        )
    if any(ch in pattern for ch in "\r\n\t\x00"):
        raise ValueError(f"a path glob must not contain control characters (got {pattern!r})")
    return pattern


def glob_to_regex(pattern: str) -> str:
    """The regular expression (without anchors) equivalent to one glob."""
    parts: List[str] = []
    index, length = 0, len(pattern)
    while index < length:
        if pattern.startswith("/**", index) and (index + 3 == length or pattern[index + 3] == "/"):
            # A whole-segment globstar: zero or more further segments.
            parts.append("(?:/.*)?")
            index += 3
        elif pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    return "".join(parts)


def compile_path_globs(patterns: Sequence[str]) -> Optional[PathMatcher]:
    """One precompiled matcher for all ``patterns``, or None when there are none.

    The matcher costs a single regex ``fullmatch`` per call, whatever the number of patterns.
    """
    if not patterns:
        return None
    for pattern in patterns:
        validate_glob(pattern)
    combined = re.compile("|".join(f"(?:{glob_to_regex(pattern)})" for pattern in patterns), re.DOTALL)
    fullmatch = combined.fullmatch

    def matches(path: str) -> bool:
        return fullmatch(path) is not None

    return matches
