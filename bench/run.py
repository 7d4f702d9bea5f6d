"""Run the fastapi-maintenance benchmarks: ``python bench/run.py --help`` (see bench/README.md)."""

from __future__ import annotations

import sys
from pathlib import Path

# The repository root, so that ``bench.harness`` and this checkout's ``fastapi_maintenance`` import.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness.cli import main

if __name__ == "__main__":
    sys.exit(main())
