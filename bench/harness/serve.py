"""Serve one variant with uvicorn on 127.0.0.1, for the HTTP harness.

Run from the repository root as
``python -m bench.harness.serve VARIANT ROUTES PORT WORKDIR REDIS_URL`` (REDIS_URL may be empty).
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn

from .variants import BuildContext, variant


def main() -> int:
    name, routes, port, workdir, redis_url = sys.argv[1:]
    app = variant(name).build(BuildContext(int(routes), Path(workdir), redis_url or None))
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
