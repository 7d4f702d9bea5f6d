"""Serve one variant with uvicorn on 127.0.0.1, for the HTTP harness.

Run as ``python -m harness.serve --variant NAME --routes N --port P --workdir DIR``
with ``bench/`` as the working directory.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

import uvicorn

from .variants import BuildContext, variant


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="harness.serve")
    parser.add_argument("--variant", required=True)
    parser.add_argument("--routes", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--redis-url", default=None)
    arguments = parser.parse_args(argv)
    spec = variant(arguments.variant)
    app = spec.build(BuildContext(arguments.routes, Path(arguments.workdir), arguments.redis_url))
    config = uvicorn.Config(app, host="127.0.0.1", port=arguments.port, log_level="warning", access_log=False)
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
