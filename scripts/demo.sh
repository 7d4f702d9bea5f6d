#!/usr/bin/env bash
# Install the package with uvicorn (when missing) and run a small demo app on http://127.0.0.1:8000 (no external service).
set -euo pipefail
cd "$(dirname "$0")/.."
# Install only what is missing: run from a checkout that already has the package and uvicorn, it starts at once.
if ! python -c "import examples.demo, uvicorn" 2>/dev/null; then
    python -m pip install --quiet --disable-pip-version-check -e ".[demo]"
fi
exec python -m uvicorn examples.demo:app --host 127.0.0.1 --port "${PORT:-8000}"
