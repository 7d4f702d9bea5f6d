"""Starting child processes for tests: a free loopback port and the environment a child gets."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Dict, Optional, Union

REPO_ROOT = Path(__file__).resolve().parents[2]

# Variables of the outer shell that would change what a child does: the package's own settings
# (read by every process that loads settings) and the colour switches of the CLI's output.
SETTINGS_PREFIX = "FASTAPI_MAINTENANCE_"
COLOUR_VARIABLES = ("NO_COLOR", "FORCE_COLOR")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def stop_process(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Ask a child to exit (SIGTERM); kill it if it has not within ``grace`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def child_env(
    extra: Optional[Mapping[str, str]] = None, *, path: Iterable[Union[str, Path]] = ()
) -> Dict[str, str]:
    """This process's environment for a child: no maintenance settings or colour switches from the
    outer shell, this checkout first on ``PYTHONPATH`` (after the folders in ``path``), then ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(SETTINGS_PREFIX) and key not in COLOUR_VARIABLES
    }
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [*map(str, path), str(REPO_ROOT), env.get("PYTHONPATH")])
    )
    env.update(extra or {})
    return env


def write_config(folder: Path, text: str, name: str = "maintenance.toml") -> Path:
    """Write a config file (``maintenance.toml`` unless named) into ``folder``; return its path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
