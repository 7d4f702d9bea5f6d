#!/usr/bin/env bash
# Run the test suite under every other CPython this machine has (3.9 to 3.13), each in its own venv
# under .venvs/ (gitignored). By hand, not in CI: pip resolves each Python's own newest FastAPI,
# Starlette, Typer and Click, so this is where version-specific breakage shows.
# Usage: bash scripts/test-pythons.sh [3.9 3.10 ...] [-- pytest arguments]
set -uo pipefail
cd "$(dirname "$0")/.."

versions=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do versions+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ "${#versions[@]}" -gt 0 ] || versions=(3.9 3.10 3.11 3.12 3.13)

find_python() {
    local version=$1 candidate
    for candidate in "python$version" "$HOME/.pyenv/versions/$version"*/bin/python; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys' >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

failed=()
for version in "${versions[@]}"; do
    if ! python_bin=$(find_python "$version"); then
        echo "== Python $version: not found, skipped"
        continue
    fi
    venv=".venvs/py$version"
    echo "== Python $version ($python_bin) in $venv"
    if [ ! -x "$venv/bin/python" ]; then
        "$python_bin" -m venv "$venv" || { failed+=("$version (venv)"); continue; }
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[dev]" \
        || { failed+=("$version (install)"); continue; }
    "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@" || failed+=("$version")
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "== failed: ${failed[*]}"
    exit 1
fi
echo "== every Python found passed"
