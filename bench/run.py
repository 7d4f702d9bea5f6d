"""Run the fastapi-maintenance benchmarks: ``python bench/run.py --help`` (see bench/README.md)."""

from __future__ import annotations

import sys
from pathlib import Path

# The repository root, so that ``bench.harness`` imports; the workers import it as ``harness`` instead,
# with only bench/ on their path (the 0.0.5 workers must not see this repository's package).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness.cli import main

if __name__ == "__main__":
    sys.exit(main())
