"""``--url``: the command drives an app's admin API instead of a backend it reaches itself.

The token comes from ``FASTAPI_MAINTENANCE_ADMIN_TOKEN`` only: a command-line argument would be
visible to every user of the machine in ``ps``. The local settings play no part: the app's hard
switch and windows come from its admin API, and the admin API is a backend like any other to the
commands, so the output, ``--json`` and the exit codes are the same as with a local backend.
"""

from __future__ import annotations

import asyncio
import os

from ..admin.client import TOKEN_ENV_VAR, AdminApiBackend
from ..backends.base import BackendUnavailable
from ..settings import MaintenanceSettings, WindowSettings
from .config import CliOptions, Target
from .errors import EXIT_BACKEND_UNAVAILABLE, EXIT_USAGE, CliError

__all__ = ["remote_target"]


def remote_target(options: CliOptions) -> Target:
    """The admin API at ``--url`` as the command's target, with the token from the environment."""
    url = options.url
    assert url is not None
    given = options.settings_flags_given(with_app=True)
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
    try:
        hard_switch, windows = asyncio.run(backend.app_view())
    except BackendUnavailable as exc:
        raise CliError(
            f"cannot read the maintenance state from {backend.describe()}: {exc}", EXIT_BACKEND_UNAVAILABLE
        ) from None
    # The app's own settings decide there; the command sees them as the admin API reports them.
    settings = MaintenanceSettings.model_construct(
        enabled=hard_switch,
        windows=[WindowSettings(start=item.start, end=item.end, message=item.message) for item in windows],
    )
    return Target(
        settings=settings,
        backend=backend,
        hard_switch=hard_switch,
        hard_switch_source=f"the app's hard switch (enabled = {str(hard_switch).lower()})",
        sources={},
        config_file=None,
        config_line=f"none (the app's own settings, through its admin API at {backend.url.rstrip('/')})",
    )
