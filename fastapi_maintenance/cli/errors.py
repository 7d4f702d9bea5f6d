"""Exit codes of the ``fastapi-maintenance`` command and the one error type its commands raise.

The codes are part of the interface (deploy scripts and health checks branch on them):

====  ==============================================================================
0     success (for ``status``: the state could be read, whatever it is)
1     invalid configuration (any ``MaintenanceConfigError``, as ``check`` reports it)
2     usage error, or a backend the command cannot use (``on``/``off`` on the
      read-only env backend; the in-process memory backend for status/on/off)
3     the backend is unreachable: unreadable state file, Redis down, write refused
130   interrupted (Ctrl-C)
====  ==============================================================================
"""

from __future__ import annotations

__all__ = [
    "EXIT_BACKEND_UNAVAILABLE",
    "EXIT_CONFIG_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CliError",
]

EXIT_OK = 0
EXIT_CONFIG_ERROR = 1
EXIT_USAGE = 2
EXIT_BACKEND_UNAVAILABLE = 3
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """An expected failure: printed as one ``error: ...`` line on stderr, never as a traceback."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
