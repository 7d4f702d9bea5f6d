"""``python -m fastapi_maintenance``: the same command as the ``fastapi-maintenance`` script."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
