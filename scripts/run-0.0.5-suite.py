#!/usr/bin/env python3
"""Run fastapi-maintenance 0.0.5's own test suite against the installed package.

The 0.0.5 sdist is downloaded at run time into a temporary folder (nothing of it
is kept). Only its imports of 0.0.5's private modules (``_core``, ``_context``,
``_constants``) are adapted, each by a rule listed in ``IMPORT_RULES``; no test
body or assertion is touched. Every test that does not pass must be listed in
``EXPECTED_FAILURES`` with why: "internal" (it inspects 0.0.5's private
internals) or "deliberate" (a documented difference, see docs/migrating.md).
The script exits non-zero on any unlisted failure, and on a listed test that now
passes (the list is stale).

    python scripts/run-0.0.5-suite.py [--keep DIR] [pytest args...]
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

VERSION = "0.0.5"

#: Exact import lines of the suite, and what each becomes. ``{constants}`` is replaced by
#: assignments of 0.0.5's own constant values (read from its ``_constants.py``): a constant's
#: value is its contract, so the tests keep comparing with what 0.0.5 used.
IMPORT_RULES: Dict[str, str] = {
    # _constants: 0.0.5's values, inlined.
    "from fastapi_maintenance._constants import MAINTENANCE_MODE_ENV_VAR_NAME": "{constants}",
    "from fastapi_maintenance._constants import DEFAULT_JSON_RESPONSE_CONTENT": "{constants}",
    "from fastapi_maintenance._constants import (\n"
    "    FORCE_MAINTENANCE_MODE_OFF_ATTR,\n"
    "    FORCE_MAINTENANCE_MODE_ON_ATTR,\n"
    ")": "{constants}",
    # _core: the public functions, and the resolution rule for "the default backend".
    "from fastapi_maintenance._core import configure_backend": "from fastapi_maintenance import configure_backend",
    "from fastapi_maintenance._core import _get_default_backend, configure_backend": (
        "from fastapi_maintenance import configure_backend\n"
        "from fastapi_maintenance.control import resolve_backend as _get_default_backend"
    ),
    "from fastapi_maintenance._core import (\n"
    "    _backend as core_backend,  # For inspecting internal state\n"
    ")": "from fastapi_maintenance.control import configured_backend\n\ncore_backend = configured_backend()",
    "from fastapi_maintenance._core import _backend as core_backend  # For reset": (
        "from fastapi_maintenance.control import configured_backend\n\ncore_backend = configured_backend()"
    ),
    # A module reference (``import fastapi_maintenance._core`` and attribute access on it).
    "import fastapi_maintenance._core": "import fastapi_maintenance.control",
    # _context: 0.0.5's process-wide "an override is active" flag has no public equivalent (an override
    # here belongs to one backend). A test that reads it fails as internal; the module's other tests run.
    "from fastapi_maintenance._context import is_maintenance_override_ctx_active": (
        "def is_maintenance_override_ctx_active():\n"
        "    raise NotImplementedError('0.0.5 internal: the process-wide override flag')"
    ),
    # The fixture that resets that flag between tests: nothing to reset, an override ends with its block.
    "from fastapi_maintenance._context import _set_maintenance_override_ctx_flag": (
        "def _set_maintenance_override_ctx_flag(value):\n        pass"
    ),
}

#: Attribute access on a private module, rewritten with the module's import above.
MODULE_RENAMES = {"fastapi_maintenance._core.": "fastapi_maintenance.control."}

_FLAG = "reads 0.0.5's process-wide override flag (_context), which has no equivalent: an override belongs to a backend"
_MARK = "checks 0.0.5's private mark attributes on the endpoint; the decorators' effect is tested in test_middleware"

#: test id -> (kind, reason). kind is "internal" (inspects 0.0.5's internals) or "deliberate"
#: (a difference documented in docs/migrating.md).
EXPECTED_FAILURES: Dict[str, Tuple[str, str]] = {
    "test_backends::test_local_file_backend_requires_file_path": (
        "internal",
        "imports 0.0.5's private factory fastapi_maintenance.backends._get_backend",
    ),
    "test_backends::test_local_file_backend_get_value_file_not_exists_creates_and_returns_false": (
        "deliberate",
        "reading a missing state file no longer creates it (missing still means off)",
    ),
    "test_backends::test_local_file_backend_get_value_invalid_content_returns_false": (
        "deliberate",
        "a state file holding no on/off value counts as off with one warning instead of raising ValueError",
    ),
    "test_context::test_maintenance_mode_on_basic_with_file_backend": ("internal", _FLAG),
    "test_context::test_maintenance_mode_on_nested_contexts": ("internal", _FLAG),
    "test_context::test_override_maintenance_mode_exception_handling": ("internal", _FLAG),
    "test_context::test_maintenance_mode_context_flag_directly": ("internal", _FLAG),
    "test_context::test_maintenance_mode_on_with_asyncio_cancel": ("internal", _FLAG),
    "test_context::test_maintenance_mode_context_manager_with_env_backend_logs_warnings": (
        "deliberate",
        "an override on the read-only env backend takes effect in memory (0.0.5 warned twice and stayed off)",
    ),
    "test_core::test_get_default_backend_is_env_var_backend": (
        "internal",
        "checks 0.0.5's module global fastapi_maintenance._core._backend",
    ),
    "test_decorators::test_force_maintenance_mode_off_sync": ("internal", _MARK),
    "test_decorators::test_force_maintenance_mode_off_async": ("internal", _MARK),
    "test_decorators::test_force_maintenance_mode_on_sync": ("internal", _MARK),
    "test_decorators::test_force_maintenance_mode_on_async": ("internal", _MARK),
    "test_cli.py (module not collected: 23 tests)": (
        "internal",
        "imports 0.0.5's Typer command functions (status, version_callback) and mocks its private "
        "cli._get_backend; the command line itself is tested in tests/cli",
    ),
}

#: Where the adapted suite is written (set by main).
_SUITE = Path()

PRIVATE_MODULE = re.compile(r"fastapi_maintenance\._(core|context|constants)\b")


def download(into: Path) -> Path:
    """The 0.0.5 sdist, fetched by pip and unpacked; returns its top folder."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"fastapi-maintenance=={VERSION}",
            "-d",
            str(into),
        ],
        check=True,
    )
    (archive,) = into.glob(f"fastapi_maintenance-{VERSION}.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / f"fastapi_maintenance-{VERSION}"


def constants_of(sdist: Path) -> Dict[str, object]:
    """0.0.5's private constants, evaluated from its source without importing the package."""
    tree = ast.parse((sdist / "src" / "fastapi_maintenance" / "_constants.py").read_text())
    values: Dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.literal_eval(node.value)
    return values


def adapt(source: str, constants: Dict[str, object], name: str) -> Tuple[str, List[str]]:
    """The test module with its private imports rewritten; also the rules applied."""
    applied = []
    for old, new in IMPORT_RULES.items():
        if old not in source:
            continue
        if new == "{constants}":
            names = re.findall(r"[A-Z][A-Z0-9_]+", old.split("import", 1)[1])
            new = "\n".join(f"{item} = {constants[item]!r}" for item in names)
        source = source.replace(old, new)
        applied.append(old.splitlines()[0])
    for old, new in MODULE_RENAMES.items():
        source = source.replace(old, new)
    leftover = [line for line in source.splitlines() if PRIVATE_MODULE.search(line)]
    if leftover:
        raise SystemExit(f"{name}: private 0.0.5 imports without a rule: {leftover}")
    return source, applied


def _count_tests(module: object) -> int:
    """How many test functions a suite module defines (for one that could not be collected)."""
    source = (_SUITE / f"{module}.py").read_text()
    return len(re.findall(r"^(?:async )?def test_", source, flags=re.MULTILINE))


def outcomes(junit: Path) -> Dict[str, str]:
    """test id -> "passed", "failed" or "skipped", from pytest's JUnit XML."""
    results: Dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        module = case.get("classname", "").split(".")[-1]
        test_id = f"{module}::{case.get('name')}"
        if not module:  # the module failed to import: its tests were never collected
            test_id = f"{case.get('name')}.py (module not collected: {_count_tests(case.get('name'))} tests)"
        if case.find("failure") is not None or case.find("error") is not None:
            results[test_id] = "failed"
        elif case.find("skipped") is not None:
            results[test_id] = "skipped"
        else:
            results[test_id] = "passed"
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--keep", type=Path, help="work in this folder and keep it (to read the adapted tests)"
    )
    args, pytest_args = parser.parse_known_args()
    with tempfile.TemporaryDirectory(prefix="fastapi-maintenance-0.0.5-") as temp:
        work = args.keep or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        sdist = download(work)
        constants = constants_of(sdist)
        global _SUITE
        suite = _SUITE = work / "suite"
        suite.mkdir(exist_ok=True)
        for path in sorted((sdist / "tests").glob("*.py")):
            adapted, applied = adapt(path.read_text(), constants, path.name)
            (suite / path.name).write_text(adapted)
            for rule in applied:
                print(f"adapted {path.name}: {rule}")
        junit = work / "junit.xml"
        # Run from the temporary folder so the installed package (not a source tree) is imported.
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--rootdir",
                str(suite),
                "-o",
                "addopts=",
                "--continue-on-collection-errors",
                f"--junitxml={junit}",
                *pytest_args,
                str(suite),
            ],
            cwd=suite,
            check=False,
        )
        return report(outcomes(junit))


def _weight(tests: Iterable[str]) -> int:
    """How many tests the ids stand for: a module that was not collected counts with all its tests."""
    total = 0
    for test in tests:
        found = re.search(r"module not collected: (\d+) tests", test)
        total += int(found.group(1)) if found else 1
    return total


def report(results: Dict[str, str]) -> int:
    passed = [test for test, outcome in results.items() if outcome == "passed"]
    failed = [test for test, outcome in results.items() if outcome == "failed"]
    skipped = [test for test, outcome in results.items() if outcome == "skipped"]
    by_kind: Dict[str, List[str]] = {"internal": [], "deliberate": []}
    unexpected = []
    for test in failed:
        entry = EXPECTED_FAILURES.get(test)
        if entry is None:
            unexpected.append(test)
        else:
            by_kind[entry[0]].append(test)
    stale = sorted(test for test in EXPECTED_FAILURES if results.get(test) == "passed")
    missing = sorted(test for test in EXPECTED_FAILURES if test not in results)
    print()
    for kind, tests in by_kind.items():
        for test in sorted(tests):
            print(f"failed as {kind}: {test}: {EXPECTED_FAILURES[test][1]}")
    for test in sorted(unexpected):
        print(f"UNEXPECTED FAILURE: {test}")
    for test in stale:
        print(f"LISTED BUT PASSED: {test}")
    for test in missing:
        print(f"LISTED BUT NOT RUN: {test}")
    print(
        f"\n0.0.5 suite: {_weight(results)} tests: {len(passed)} passed, "
        f"{_weight(by_kind['internal'])} failed as internal, {_weight(by_kind['deliberate'])} failed as "
        f"deliberate, {_weight(unexpected)} failed unexpectedly, {len(skipped)} skipped"
    )
    return 1 if unexpected or stale or missing or skipped else 0


if __name__ == "__main__":
    sys.exit(main())
