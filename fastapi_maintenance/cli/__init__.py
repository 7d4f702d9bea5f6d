"""The ``fastapi-maintenance`` command-line interface (the ``cli`` extra: Typer).

``main()`` is the console script. Typer is imported only here, lazily, so that the
library itself never needs it and a missing extra is one clear line, not a traceback.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

__all__ = ["MISSING_EXTRA_MESSAGE", "main"]

MISSING_EXTRA_MESSAGE = (
    "fastapi-maintenance: the command-line interface needs the 'cli' extra (Typer): "
    'pip install "fastapi-maintenance[cli]"'
)
_CLI_DEPENDENCIES = ("typer", "click", "rich")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); return its exit code."""
    try:
        from typer.main import get_command

        from .app import PROG_NAME, app
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in _CLI_DEPENDENCIES:
            raise
        sys.stderr.write(MISSING_EXTRA_MESSAGE + "\n")
        return 1
    code: int = get_command(app).main(
        args=list(argv) if argv is not None else None, prog_name=PROG_NAME, standalone_mode=False
    )
    return code
