"""Exit codes of the ``fastapi-maintenance`` command and the one error type its commands raise.

The codes are part of the interface (deploy scripts and health checks branch on them):

====  ==============================================================================
0     success (for ``status``: the state could be read, whatever it is; with
      ``status --exit-code``: maintenance is off)
1     invalid configuration (any ``MaintenanceConfigError``, as ``check`` reports it;
      an app named by ``--app`` that fails to import or has invalid settings)
2     usage error (a bad ``--for`` or ``--until``, an ``--until`` not in the future:
      nothing written), or a backend the command cannot use (``on``/``off`` on the
      read-only env backend; the in-process memory backend for status/on/off);
      an ``--app`` whose module, attribute or middleware is missing; ``--url`` without
      the token variable, or plain http to another machine
3     the backend is unreachable: unreadable state file, Redis down, write refused
      (``--url``: the app unreachable, or its admin API refusing the token)
4     ``on``/``off`` refused, nothing written: the app's hard switch (``enabled``)
      forces the opposite state, so the app would not follow
10    ``status --exit-code`` only: maintenance is on
130   interrupted (Ctrl-C)
====  ==============================================================================

The original (0.0.5) invocation ``status --backend env|file`` keeps that command's codes:
0 for on and off, 1 for every failure (so an unreadable state file is 1 there, not 3).
"""

from __future__ import annotations

__all__ = [
    "EXIT_BACKEND_UNAVAILABLE",
    "EXIT_CONFIG_ERROR",
    "EXIT_HARD_SWITCH",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_ORIGINAL_FAILURE",
    "EXIT_STATUS_ON",
    "EXIT_USAGE",
    "CliError",
]

EXIT_OK = 0
EXIT_CONFIG_ERROR = 1
EXIT_USAGE = 2
EXIT_BACKEND_UNAVAILABLE = 3
EXIT_HARD_SWITCH = 4
EXIT_STATUS_ON = 10
EXIT_INTERRUPTED = 130
#: Every failure of the original ``status --backend env|file`` invocation, as 0.0.5 exited.
EXIT_ORIGINAL_FAILURE = 1


class CliError(Exception):
    """An expected failure: printed as one ``error: ...`` line on stderr, never as a traceback."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
