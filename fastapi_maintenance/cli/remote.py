"""``--url``: the command drives an app's admin API instead of a backend it reaches itself.

The token comes from ``FASTAPI_MAINTENANCE_ADMIN_TOKEN`` only: a command-line argument would be
visible to every user of the machine in ``ps``. The local settings play no part (the app's
own settings decide there); the admin API is a backend like any other to the commands, so the
output, ``--json`` and the exit codes are the same as with a local backend.
"""

from __future__ import annotations

import os

from ..admin.client import TOKEN_ENV_VAR, AdminApiBackend
from ..settings import MaintenanceSettings
from .config import CliOptions, Target
from .errors import EXIT_USAGE, CliError

__all__ = ["remote_target"]


def remote_target(options: CliOptions) -> Target:
    """The admin API at ``--url`` as the command's target, with the token from the environment."""
    url = options.url
    assert url is not None
    given = [
        flag
        for flag, value in (
            ("--config", options.config),
            ("--backend", options.backend),
            ("--var-name", options.var_name),
            ("--file-path", options.file_path),
            ("--app", options.app),
        )
        if value is not None
    ]
    if given:
        raise CliError(
            f"--url drives the app's admin API, which uses the app's own settings and backend; "
            f"{', '.join(given)} cannot be combined with it",
            EXIT_USAGE,
        )
    token = os.environ.get(TOKEN_ENV_VAR, "")
    if not token.strip():
        raise CliError(
            f"--url needs the admin token in the environment variable {TOKEN_ENV_VAR} (never as an "
            "argument: other users of this machine can read arguments in ps); "
            "create one with 'fastapi-maintenance admin-token NAME'",
            EXIT_USAGE,
        )
    try:
        backend = AdminApiBackend(url, token.strip())
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    return Target(
        settings=MaintenanceSettings.model_construct(),
        backend=backend,
        hard_switch=None,
        hard_switch_source="",
        sources={},
        config_file=None,
        config_line=f"none (the app's admin API at {backend.url.rstrip('/')})",
    )
