"""Which config file a load reads when none is passed: one rule for the middleware, the settings and the CLI.

1. the path passed in (``from_config(path)``, ``load_settings(path)``, the CLI's ``--config``);
2. else the file named by ``FASTAPI_MAINTENANCE_CONFIG`` (an empty value counts as not set);
3. else ``maintenance.toml``, ``maintenance.yaml`` or ``maintenance.yml`` in the working directory,
   when exactly one of them exists (two are refused: which one counts would be a guess);
4. else none: environment variables and defaults only.

The working directory is the one the server (or the command) was started in, the same folder
``uvicorn main:app`` imports ``main`` from, so a file next to ``main.py`` is found by both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from ..errors import MaintenanceConfigError

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_NAMES",
    "ConfigChoice",
    "ConfigOrigin",
    "choose_config_file",
]

CONFIG_ENV_VAR = "FASTAPI_MAINTENANCE_CONFIG"
#: Looked for in the working directory, in this order; more than one present is an error.
DEFAULT_CONFIG_NAMES = ("maintenance.toml", "maintenance.yaml", "maintenance.yml")


class ConfigOrigin:
    """Why a config file was chosen (the values of ``ConfigChoice.origin``)."""

    PASSED = "passed"
    ENV_VAR = "env_var"
    WORKING_DIRECTORY = "working_directory"
    NONE = "none"


@dataclass(frozen=True)
class ConfigChoice:
    """The config file a load reads (absolute, or None) and why that one."""

    path: Optional[Path]
    origin: str
    #: As the user wrote it: the variable's value or ``./maintenance.toml``; for messages.
    given_as: str = ""

    def describe_origin(self) -> str:
        """A phrase for messages: ``named by FASTAPI_MAINTENANCE_CONFIG``, ``found as ./maintenance.toml``."""
        if self.origin == ConfigOrigin.ENV_VAR:
            return f"named by {CONFIG_ENV_VAR}"
        if self.origin == ConfigOrigin.WORKING_DIRECTORY:
            return f"found as {self.given_as} in the working directory"
        return ""


def _absolute(text: str, cwd: Path, origin: str) -> Path:
    if "\x00" in text:
        named = f" ({origin})" if origin else ""
        raise MaintenanceConfigError(
            f"Config file path {text!r}{named} contains a NUL character; not a usable path"
        )
    path = Path(text)
    return path if path.is_absolute() else cwd / path


def choose_config_file(
    passed: Union[str, os.PathLike[str], None] = None, *, cwd: Optional[Path] = None
) -> ConfigChoice:
    """Apply the rule above; ``cwd`` defaults to the process's working directory."""
    folder = cwd if cwd is not None else Path.cwd()
    if passed is not None:
        text = os.fspath(passed)
        return ConfigChoice(_absolute(text, folder, ""), ConfigOrigin.PASSED, text)
    named = os.environ.get(CONFIG_ENV_VAR, "").strip()
    if named:
        return ConfigChoice(
            _absolute(named, folder, f"named by {CONFIG_ENV_VAR}"), ConfigOrigin.ENV_VAR, named
        )
    # exists(), not is_file(): a folder or a FIFO by that name is reported by the reader, never skipped.
    present = [name for name in DEFAULT_CONFIG_NAMES if (folder / name).exists()]
    if len(present) > 1:
        raise MaintenanceConfigError(
            f"Both {' and '.join(present)} are in the working directory {folder}; keep one, "
            f"or name the one to read with {CONFIG_ENV_VAR}"
        )
    if present:
        return ConfigChoice(folder / present[0], ConfigOrigin.WORKING_DIRECTORY, f"./{present[0]}")
    return ConfigChoice(None, ConfigOrigin.NONE)
