#!/usr/bin/env bash
# Install everything the tests need, then run every check: ruff, mypy --strict, pytest, the docs build.
# Works on a fresh machine with only Python; as root it also installs redis-server, wrk and chromium (Debian).
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install --quiet --disable-pip-version-check -e ".[dev]"

# As root on Debian, the system tools some tests drive: redis-server (Redis backend), wrk (HTTP bench
# harness) and chromium (the screenshot script of the built-in maintenance page).
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing ${missing[*]} (apt-get)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) \
        || echo "could not install ${missing[*]}: the tests that need them will be skipped"
fi

echo "== ruff"
python -m ruff check .
python -m ruff format --check .
echo "== mypy --strict"
python -m mypy
echo "== pytest"
python -m pytest "$@"
if [ -f mkdocs.yml ]; then
    echo "== mkdocs build --strict"
    NO_MKDOCS_2_WARNING=1 python -m mkdocs build --strict --quiet --site-dir "$(mktemp -d)"
fi
