"""From command-line options to the same settings and backend the app would use.

The config file is ``--config``, else the file named by ``FASTAPI_MAINTENANCE_CONFIG``,
else ``./maintenance.toml`` when it exists, else none (environment and defaults only).
The original CLI's backend flags (``--backend``, ``--var-name``, ``--file-path``) become
a ``backend`` override, which wins over the environment and the file.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from ..backends.base import BaseStateBackend
from ..backends.factory import build_backend
from ..errors import MaintenanceConfigError
from ..settings import CONFIG_ENV_VAR, MaintenanceSettings, load_settings_with_sources
from .errors import EXIT_CONFIG_ERROR, EXIT_USAGE, CliError

__all__ = [
    "COMMAND_LINE_LABEL",
    "DEFAULT_CONFIG_NAME",
    "CliOptions",
    "LoadedConfig",
    "backend_override",
    "load_config",
    "open_backend",
    "release_unused",
]

DEFAULT_CONFIG_NAME = "maintenance.toml"
_KEYWORD_LABEL = "keyword argument"
COMMAND_LINE_LABEL = "command line (--backend/--var-name/--file-path)"


@dataclass(frozen=True)
class CliOptions:
    """The options that choose the settings; given before the command, after it, or both."""

    config: Optional[Path] = None
    backend: Optional[str] = None
    var_name: Optional[str] = None
    file_path: Optional[Path] = None

    def overlaid(self, other: CliOptions) -> CliOptions:
        """These options with every option ``other`` sets taking its place (the command's win)."""
        given = {name: value for name, value in vars(other).items() if value is not None}
        return replace(self, **given)


@dataclass(frozen=True)
class LoadedConfig:
    """Validated settings, where each value came from, and which config file was read (if any)."""

    settings: MaintenanceSettings
    sources: Dict[str, str]
    config_file: Optional[Path]
    config_origin: str


def _config_choice(options: CliOptions) -> Tuple[Optional[Path], str]:
    """(the file to pass to the settings loader, a label saying why it was chosen)."""
    if options.config is not None:
        return options.config, "--config"
    named = os.environ.get(CONFIG_ENV_VAR, "").strip()
    if named:
        return None, CONFIG_ENV_VAR  # the loader reads it and names the variable in its errors
    default = Path(DEFAULT_CONFIG_NAME)
    if default.is_file():
        return default, f"./{DEFAULT_CONFIG_NAME}"
    return None, ""


def backend_override(options: CliOptions) -> Optional[Any]:
    """The ``backend`` setting the flags ask for, or None when they ask for nothing."""
    kind = options.backend.strip() if options.backend is not None else None
    var_name, file_path = options.var_name, options.file_path
    if kind is None:
        if var_name is not None and file_path is not None:
            raise CliError(
                "--var-name (env backend) and --file-path (file backend) exclude each other; give one",
                EXIT_USAGE,
            )
        if file_path is not None:
            return {"type": "file", "path": str(file_path)}
        if var_name is not None:
            return {"type": "env", "var_name": var_name}
        return None
    if kind.lower() == "file":
        if file_path is None:
            raise CliError("--backend file needs --file-path PATH (the state file)", EXIT_USAGE)
        if var_name is not None:
            raise CliError("--var-name belongs to the env backend, not to --backend file", EXIT_USAGE)
        return {"type": "file", "path": str(file_path)}
    if kind.lower() == "env":
        if file_path is not None:
            raise CliError("--file-path belongs to the file backend, not to --backend env", EXIT_USAGE)
        return {"type": "env"} if var_name is None else {"type": "env", "var_name": var_name}
    if var_name is not None or file_path is not None:
        raise CliError(
            "--var-name and --file-path go with --backend env and --backend file only; "
            "other backends are given whole, e.g. --backend redis://host:6379/0",
            EXIT_USAGE,
        )
    return kind  # any backend string the settings accept: env:VAR, file:///path, redis://..., memory


def _relabel(text: str) -> str:
    return text.replace(f"(from {_KEYWORD_LABEL})", "(from the command line)")


def load_config(options: CliOptions) -> LoadedConfig:
    """Load and validate the settings as the app would, plus the command-line backend flags."""
    config_file, origin = _config_choice(options)
    overrides: Dict[str, Any] = {}
    backend = backend_override(options)
    if backend is not None:
        overrides["backend"] = backend
    try:
        settings, sources = load_settings_with_sources(config_file, **overrides)
    except MaintenanceConfigError as exc:
        raise CliError(_relabel(str(exc)), EXIT_CONFIG_ERROR) from None
    labels = {key: COMMAND_LINE_LABEL if label == _KEYWORD_LABEL else label for key, label in sources.items()}
    if config_file is None and origin == CONFIG_ENV_VAR:
        config_file = Path(os.environ[CONFIG_ENV_VAR].strip())
    if config_file is not None and not config_file.is_absolute():
        config_file = Path.cwd() / config_file
    return LoadedConfig(settings, labels, config_file, origin)


def open_backend(settings: MaintenanceSettings) -> BaseStateBackend:
    """The backend the settings name, built the way the app builds it (no connection is made yet)."""
    try:
        return build_backend(settings.backend)
    except ValueError as exc:  # MaintenanceConfigError included: a missing extra, a bad Redis URL
        raise CliError(str(exc), EXIT_CONFIG_ERROR) from None


def release_unused(backend: BaseStateBackend) -> None:
    """Release a backend that was built but never used from an event loop (``check``)."""
    asyncio.run(backend.aclose())
