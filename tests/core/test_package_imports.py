"""The package root loads its public names on first use, so the CLI does not import the request stack."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import fastapi_maintenance
from tests.support.processes import child_env

REQUEST_STACK = (
    "fastapi_maintenance.middleware",
    "fastapi_maintenance.plan",
    "fastapi_maintenance.responses",
    "fastapi_maintenance.routes",
    "starlette.requests",
    "starlette.responses",
)


def test_every_public_name_has_its_module_and_resolves() -> None:
    assert set(fastapi_maintenance.__all__) == {"__version__", *fastapi_maintenance._MODULES}
    for name in fastapi_maintenance.__all__:
        assert getattr(fastapi_maintenance, name) is not None
        assert name in dir(fastapi_maintenance)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        fastapi_maintenance.no_such_name  # noqa: B018


def test_the_cli_does_not_import_the_request_stack() -> None:
    code = (
        "import json, sys\n"
        "import fastapi_maintenance.cli.app\n"
        f"print(json.dumps([name for name in {list(REQUEST_STACK)!r} if name in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=child_env(), capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == []


def test_subpackages_are_attributes_of_the_root_after_a_plain_import() -> None:
    code = (
        "import fastapi_maintenance\n"
        "print(fastapi_maintenance.backends.EnvVarBackend.__name__, fastapi_maintenance.settings.__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=child_env(), capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["EnvVarBackend", "fastapi_maintenance.settings"]


def test_the_package_root_alone_imports_nothing_else() -> None:
    code = "import json, sys\nimport fastapi_maintenance\nprint(json.dumps(sorted(m for m in sys.modules if m.startswith('fastapi_maintenance'))))\n"
    done = subprocess.run(
        [sys.executable, "-c", code], env=child_env(), capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == ["fastapi_maintenance"]
