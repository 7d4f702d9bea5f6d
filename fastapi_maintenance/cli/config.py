"""From command-line options to the same settings, backend and hard switch the app uses.

Either ``--app module:attribute`` (the app's own middleware, see ``app_loader``), or the settings
loaded by the library's one discovery rule (``settings.discovery``): ``--config``, else the file
named by ``FASTAPI_MAINTENANCE_CONFIG``, else ``maintenance.toml``/``.yaml``/``.yml`` in the working
directory, else none. The original CLI's backend flags (``--backend``, ``--var-name``,
``--file-path``) become a ``backend`` override, which wins over the environment and the file.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ..backends.base import BaseStateBackend
from ..backends.factory import build_backend
from ..errors import MaintenanceConfigError
from ..settings import CONFIG_ENV_VAR, MaintenanceSettings, load_settings_with_sources
from ..settings.discovery import ConfigChoice, ConfigOrigin, choose_config_file
from .errors import EXIT_CONFIG_ERROR, EXIT_USAGE, CliError

__all__ = [
    "COMMAND_LINE_LABEL",
    "CliOptions",
    "Target",
    "backend_override",
    "load_target",
    "release_unused",
]

_KEYWORD_LABEL = "keyword argument"
COMMAND_LINE_LABEL = "command line (--backend/--var-name/--file-path)"
#: ``--backend`` values of the original (0.0.5) command.
ORIGINAL_BACKENDS = ("env", "file")


@dataclass(frozen=True)
class CliOptions:
    """The options that choose the settings; given before the command, after it, or both."""

    config: Optional[Path] = None
    backend: Optional[str] = None
    var_name: Optional[str] = None
    file_path: Optional[Path] = None
    app: Optional[str] = None
    #: The admin API of a running app (``--url``), instead of settings and a backend of our own.
    url: Optional[str] = None

    def overlaid(self, other: CliOptions) -> CliOptions:
        """These options with every option ``other`` sets taking its place (the command's win)."""
        given = {name: value for name, value in vars(other).items() if value is not None}
        return replace(self, **given)

    def settings_flags_given(self, *, with_app: bool = False) -> List[str]:
        """The options naming settings or a backend of our own that are set (``--app`` too if asked)."""
        flags = [
            ("--config", self.config),
            ("--backend", self.backend),
            ("--var-name", self.var_name),
            ("--file-path", self.file_path),
        ]
        if with_app:
            flags.append(("--app", self.app))
        return [flag for flag, value in flags if value is not None]

    @property
    def original_backend_form(self) -> bool:
        """``--backend env`` or ``--backend file``: the original command's invocation."""
        return self.backend is not None and self.backend.strip().lower() in ORIGINAL_BACKENDS


@dataclass(frozen=True)
class Target:
    """What a command acts on: the settings, the backend and the hard switch the app itself uses."""

    settings: MaintenanceSettings
    backend: BaseStateBackend
    #: ``enabled`` as the app applies it (the middleware's ``enable_maintenance`` wins over the setting).
    hard_switch: Optional[bool]
    hard_switch_source: str
    #: Key -> where its value came from (``check``).
    sources: Dict[str, str]
    config_file: Optional[Path]
    #: For the ``config:`` line: the file and why it was read, or the app that was imported.
    config_line: str
    app: Optional[str] = None
    #: Warnings about the options themselves (flags the original command ignored, ignored here too).
    notes: List[str] = field(default_factory=list)


def backend_override(options: CliOptions) -> Tuple[Optional[Any], List[str]]:
    """The ``backend`` setting the flags ask for (None: nothing), and warnings about flags left unused.

    Follows the original command: an empty ``--backend`` or ``--var-name`` means the default, and
    with ``--backend env|file`` the other backend's flag is ignored (with a warning here).
    """
    kind = options.backend.strip() if options.backend is not None and options.backend.strip() else None
    var_name = options.var_name if options.var_name else None
    file_path = options.file_path
    if kind is None:
        if var_name is not None and file_path is not None:
            raise CliError(
                "--var-name (env backend) and --file-path (file backend) exclude each other; give one, "
                "or say which backend with --backend env|file",
                EXIT_USAGE,
            )
        if file_path is not None:
            return {"type": "file", "path": str(file_path)}, []
        if var_name is not None:
            return {"type": "env", "var_name": var_name}, []
        return None, []
    if kind.lower() == "file":
        if file_path is None:
            raise CliError("--backend file needs --file-path PATH (the state file)", EXIT_CONFIG_ERROR)
        notes = (
            ["--var-name belongs to the env backend and is ignored with --backend file"] if var_name else []
        )
        return {"type": "file", "path": str(file_path)}, notes
    if kind.lower() == "env":
        notes = (
            ["--file-path belongs to the file backend and is ignored with --backend env"] if file_path else []
        )
        return ({"type": "env"} if var_name is None else {"type": "env", "var_name": var_name}), notes
    if var_name is not None or file_path is not None:
        raise CliError(
            "--var-name and --file-path go with --backend env and --backend file only; "
            "other backends are given whole, e.g. --backend redis://host:6379/0",
            EXIT_USAGE,
        )
    return kind, []  # any backend string the settings accept: env:VAR, file:///path, redis://..., memory


def _relabel(text: str) -> str:
    return text.replace(f"(from {_KEYWORD_LABEL})", "(from the command line)")


def _config_label(choice: ConfigChoice) -> str:
    if choice.origin == ConfigOrigin.PASSED:
        return "--config"
    if choice.origin == ConfigOrigin.ENV_VAR:
        return CONFIG_ENV_VAR
    return choice.given_as


def open_backend(settings: MaintenanceSettings) -> BaseStateBackend:
    """The backend the settings name, built the way the app builds it (no connection is made yet)."""
    try:
        return build_backend(settings.backend)
    except ValueError as exc:  # MaintenanceConfigError included: a missing extra, a bad Redis URL
        raise CliError(str(exc), EXIT_CONFIG_ERROR) from None


def _from_settings(options: CliOptions) -> Target:
    """Load and validate the settings as the app would, plus the command-line backend flags."""
    overrides: Dict[str, Any] = {}
    backend, notes = backend_override(options)
    if backend is not None:
        overrides["backend"] = backend
    try:
        choice = choose_config_file(options.config)
        settings, sources = load_settings_with_sources(options.config, **overrides)
    except MaintenanceConfigError as exc:
        raise CliError(_relabel(str(exc)), EXIT_CONFIG_ERROR) from None
    labels = {key: COMMAND_LINE_LABEL if label == _KEYWORD_LABEL else label for key, label in sources.items()}
    if choice.path is None:
        line = "none (environment variables and defaults only)"
    else:
        line = f"{choice.path} (from {_config_label(choice)})"
    return Target(
        settings=settings,
        backend=open_backend(settings),
        hard_switch=settings.enabled,
        hard_switch_source=f"the setting enabled = {str(settings.enabled).lower()} "
        f"(from {labels.get('enabled', 'the settings')})",
        sources=labels,
        config_file=choice.path,
        config_line=line,
        notes=notes,
    )


def _from_app(options: CliOptions, spec: str) -> Target:
    given = options.settings_flags_given()
    if given:
        raise CliError(
            f"--app takes the settings and the backend from the app itself; {', '.join(given)} "
            "cannot be combined with it",
            EXIT_USAGE,
        )
    from .app_loader import load_app_middleware  # imports the app, hence the middleware: only for --app

    loaded = load_app_middleware(spec)
    middleware = loaded.middleware
    label = f"the app {spec}"
    hard_switch = middleware.plan.hard_switch
    return Target(
        settings=middleware.settings,
        backend=middleware.backend,
        hard_switch=hard_switch,
        hard_switch_source=f"the app's hard switch (enabled = {str(hard_switch).lower()} in {spec})",
        sources={key: label for key in _setting_keys(middleware.settings)},
        config_file=None,
        config_line=f"the {type(middleware).__name__} of the app {spec}",
        app=spec,
    )


def _setting_keys(settings: MaintenanceSettings) -> List[str]:
    """The keys ``check`` lists, in the order a load reports them (tables expanded)."""
    from ..settings.explain import value_sources
    from ..settings.sources import LoadContext

    return list(value_sources(settings, LoadContext(config_file=None)))


def load_target(options: CliOptions) -> Target:
    """The app's admin API with ``--url``; the app's own middleware with ``--app``; else the settings
    the discovery rule finds."""
    if options.url is not None:
        from .remote import remote_target

        return remote_target(options)
    if options.app is not None:
        return _from_app(options, options.app)
    return _from_settings(options)


def release_unused(backend: BaseStateBackend) -> None:
    """Release a backend that was built but never used from an event loop (``check``)."""
    asyncio.run(backend.aclose())
