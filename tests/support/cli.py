"""Running the operator CLI from tests: in this process (Typer's CliRunner) or as a real process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional

from tests.support.processes import child_env


@dataclass(frozen=True)
class Ran:
    """One run of the command: exit code and the two streams, separately."""

    exit_code: int
    stdout: str
    stderr: str

    def error_line(self) -> str:
        """The single ``error: ...`` line on stderr; fails unless that is all stderr holds."""
        lines = self.stderr.splitlines()
        assert len(lines) == 1, f"expected one line on stderr, got {lines!r} (stdout {self.stdout!r})"
        assert lines[0].startswith("error: "), lines[0]
        assert "Traceback" not in self.stderr
        return lines[0]


def cli_command() -> List[str]:
    """The console script installed for this interpreter (else on PATH), else ``python -m fastapi_maintenance``."""
    beside = Path(sys.executable).parent / "fastapi-maintenance"
    script = str(beside) if beside.is_file() else shutil.which("fastapi-maintenance")
    return [script] if script is not None else [sys.executable, "-m", "fastapi_maintenance"]


def run_cli_process(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Optional[Mapping[str, str]] = None,
    command: Optional[Sequence[str]] = None,
    timeout: float = 60,
) -> Ran:
    """Run the command as a real process in ``cwd`` with a clean environment plus ``env``; wait (bounded)."""
    completed = subprocess.run(
        [*(command or cli_command()), *args],
        cwd=cwd,
        env=child_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Ran(completed.returncode, completed.stdout, completed.stderr)


def run_cli_in_process(
    args: Sequence[str],
    *,
    env: Optional[Mapping[str, Optional[str]]] = None,
    cwd: Optional[Path] = None,
    timeout: float = 60,
) -> Ran:
    """Run the command through CliRunner, the way the console script does; bugs raise, they are not swallowed.

    It runs in a thread of its own: the CLI starts its own event loop, which cannot nest in a
    test's running loop.
    """
    # Imported here: the CLI and Typer's test runner need the optional `cli` extra.
    from fastapi_maintenance.cli.app import app
    from tests.support.cli_runner import separate_streams_runner

    outcome: List[Any] = []

    def invoke() -> None:
        saved = os.getcwd()
        if cwd is not None:
            os.chdir(cwd)
        try:
            outcome.append(
                separate_streams_runner().invoke(app, list(args), env=env, prog_name="fastapi-maintenance")
            )
        finally:
            os.chdir(saved)

    thread = threading.Thread(target=invoke, name="cli-under-test")
    thread.start()
    thread.join(timeout=timeout)
    assert outcome, f"fastapi-maintenance {' '.join(args)} did not finish within {timeout} s"
    result = outcome[0]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)
