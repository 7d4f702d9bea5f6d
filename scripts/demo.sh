#!/usr/bin/env bash
# Install the package with uvicorn and run a small demo app on http://127.0.0.1:8000 (no external service).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check -e ".[demo]"
exec python -m uvicorn examples.demo:app --host 127.0.0.1 --port "${PORT:-8000}"
