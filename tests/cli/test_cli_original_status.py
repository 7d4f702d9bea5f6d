"""The original (0.0.5) command's ``status`` invocations, as scripts wrote them, keep their exit status:
0 for on and for off, 1 for each failure that command reported, 2 for a usage error its parser refused.

Each runs the installed console script as a process. The expected codes are those of 0.0.5's own
``status`` command, read from its source: exit 1 for ``--backend file`` without ``--file-path``,
for an unsupported backend and for any error while reading; the other backend's flag is ignored."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Sequence

import pytest

from tests.support.cli import run_cli_process as run_process

pytestmark = pytest.mark.timeout(60)

ON, OFF = "on", "off"


def _prepare(folder: Path) -> None:
    (folder / "on.txt").write_text("1")
    (folder / "off.txt").write_text("0")
    (folder / "a-folder").mkdir()


CASES: Dict[str, tuple[Sequence[str], Dict[str, str], int, str]] = {
    # name: (arguments, environment, exit status, what stdout/stderr shows)
    "default-off": (["status"], {}, 0, OFF),
    "default-on": (["status"], {"FASTAPI_MAINTENANCE_MODE": "1"}, 0, ON),
    "env-off": (["status", "--backend", "env"], {}, 0, OFF),
    "env-on": (["status", "--backend", "env"], {"FASTAPI_MAINTENANCE_MODE": "true"}, 0, ON),
    "env-var-name-on": (
        ["status", "--backend", "env", "--var-name", "SHOP_DOWN"],
        {"SHOP_DOWN": "yes"},
        0,
        ON,
    ),
    "env-var-name-off": (
        ["status", "--backend", "env", "--var-name", "SHOP_DOWN"],
        {"SHOP_DOWN": "0"},
        0,
        OFF,
    ),
    "env-empty-var-name": (
        ["status", "--backend", "env", "--var-name", ""],
        {"FASTAPI_MAINTENANCE_MODE": "1"},
        0,
        ON,
    ),
    "env-unrecognised-value": (["status", "--backend", "env"], {"FASTAPI_MAINTENANCE_MODE": "maybe"}, 0, OFF),
    "env-ignores-file-path": (["status", "--backend", "env", "--file-path", "on.txt"], {}, 0, OFF),
    "file-on": (["status", "--backend", "file", "--file-path", "on.txt"], {}, 0, ON),
    "file-off": (["status", "--backend", "file", "--file-path", "off.txt"], {}, 0, OFF),
    "file-missing": (["status", "--backend", "file", "--file-path", "never-written.txt"], {}, 0, OFF),
    "file-all-parameters": (
        ["status", "--backend", "file", "--var-name", "X", "--file-path", "on.txt"],
        {},
        0,
        ON,
    ),
    "file-without-path": (["status", "--backend", "file"], {}, 1, "--backend file needs --file-path"),
    "unsupported-backend": (["status", "--backend", "invalid"], {}, 1, "invalid"),
    "file-unreadable": (
        ["status", "--backend", "file", "--file-path", "a-folder"],
        {},
        1,
        "cannot read the maintenance state",
    ),
    "unknown-option": (["status", "--bogus"], {}, 2, "--bogus"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_original_status_invocation_keeps_its_exit_status(tmp_path: Path, case: str) -> None:
    args, env, expected, shown = CASES[case]
    _prepare(tmp_path)
    ran = run_process(args, cwd=tmp_path, env=env)
    assert ran.exit_code == expected, (ran.stdout, ran.stderr)
    if expected == 0:
        assert f"maintenance mode: {shown}\n" in ran.stdout
    else:
        assert shown in ran.error_line()
        assert ran.stdout == ""
