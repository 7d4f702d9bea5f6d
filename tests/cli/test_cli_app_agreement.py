"""The command and the app agree: the one config discovery rule, ``--app module:attribute``, the hard
switch refusal (exit 4), ``status --exit-code`` and the flags as ``--help`` shows them.

Every case runs the installed console script as a process, in a folder laid out as a user's project
(``main.py`` beside ``maintenance.toml``); where the app's own view matters, a real uvicorn serves it."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import httpx
import pytest

from fastapi_maintenance.cli.errors import (
    EXIT_BACKEND_UNAVAILABLE,
    EXIT_CONFIG_ERROR,
    EXIT_HARD_SWITCH,
    EXIT_OK,
    EXIT_STATUS_ON,
    EXIT_USAGE,
)
from tests.docs.markdown_blocks import doc_block
from tests.support.cli import run_cli_process as run_process
from tests.support.processes import write_config
from tests.support.servers import uvicorn_server

from .test_cli_processes import wait_for_status

pytestmark = pytest.mark.timeout(90)

CLI_PAGE = "docs/cli.md"

PLAIN_MAIN = """
from fastapi import FastAPI

from fastapi_maintenance import MaintenanceModeMiddleware

app = FastAPI()
app.add_middleware(MaintenanceModeMiddleware)


@app.get("/")
def home() -> dict:
    return {"hello": "world"}
"""


def write_main(folder: Path, text: str, name: str = "main.py") -> None:
    (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")


# -- one discovery rule -----------------------------------------------------------------------


@pytest.mark.http
def test_the_tour_literally_maintenance_toml_beside_main_py_switches_the_served_app(tmp_path: Path) -> None:
    write_main(tmp_path, PLAIN_MAIN)
    (tmp_path / "maintenance.toml").write_text(doc_block(CLI_PAGE, "tour-config").code, encoding="utf-8")
    with uvicorn_server("main:app", cwd=tmp_path) as base_url:
        assert httpx.get(base_url + "/", timeout=5).status_code == 200
        on = run_process(["on"], cwd=tmp_path)
        assert on.exit_code == EXIT_OK, on.stderr
        assert f"off -> on (file://{tmp_path / 'maintenance.flag'})" in on.stdout
        assert wait_for_status(base_url + "/", 503).headers["Retry-After"]
        off = run_process(["off"], cwd=tmp_path)
        assert off.exit_code == EXIT_OK, off.stderr
        assert wait_for_status(base_url + "/", 200).json() == {"hello": "world"}


@pytest.mark.http
def test_a_maintenance_yaml_beside_main_py_is_found_by_both(tmp_path: Path) -> None:
    write_main(tmp_path, PLAIN_MAIN)
    write_config(tmp_path, "backend: {type: file, path: state.flag}\n", name="maintenance.yaml")
    with uvicorn_server("main:app", cwd=tmp_path) as base_url:
        on = run_process(["on"], cwd=tmp_path)
        assert on.exit_code == EXIT_OK, on.stderr
        assert f"file://{tmp_path / 'state.flag'}" in on.stdout
        wait_for_status(base_url + "/", 503)


def test_two_config_files_in_the_working_directory_are_refused_naming_both(tmp_path: Path) -> None:
    write_config(tmp_path, "retry_after = 60\n")
    write_config(tmp_path, "retry_after: 60\n", name="maintenance.yaml")
    ran = run_process(["status"], cwd=tmp_path)
    assert ran.exit_code == EXIT_CONFIG_ERROR
    line = ran.error_line()
    assert "maintenance.toml and maintenance.yaml" in line
    assert "FASTAPI_MAINTENANCE_CONFIG" in line


def test_the_config_variable_wins_over_the_working_directory_file(tmp_path: Path) -> None:
    write_config(tmp_path, 'backend = { type = "file", path = "local.flag" }\n')
    named = write_config(tmp_path, 'backend = { type = "file", path = "named.flag" }\n', name="named.toml")
    ran = run_process(["status", "--json"], cwd=tmp_path, env={"FASTAPI_MAINTENANCE_CONFIG": str(named)})
    assert ran.exit_code == EXIT_OK, ran.stderr
    assert json.loads(ran.stdout)["backend"] == f"file://{tmp_path / 'named.flag'}"


# -- --app module:attribute ---------------------------------------------------------------------

CODE_BACKEND_MAIN = """
from fastapi import FastAPI

from fastapi_maintenance import MaintenanceModeMiddleware
from fastapi_maintenance.backends.file import LocalFileBackend

app = FastAPI()
app.add_middleware(MaintenanceModeMiddleware, backend=LocalFileBackend("from-code.flag"), retry_after=42)


@app.get("/")
def home() -> dict:
    return {"hello": "world"}
"""


@pytest.mark.http
def test_app_option_switches_the_backend_given_in_code_and_the_served_app_follows(tmp_path: Path) -> None:
    write_main(tmp_path, CODE_BACKEND_MAIN)
    with uvicorn_server("main:app", cwd=tmp_path) as base_url:
        # Without --app the command cannot know a backend built in code: it reads the env default.
        plain = run_process(["status", "--json"], cwd=tmp_path)
        assert json.loads(plain.stdout)["backend"] == "env:FASTAPI_MAINTENANCE_MODE"
        on = run_process(["--app", "main:app", "on"], cwd=tmp_path)
        assert on.exit_code == EXIT_OK, on.stderr
        assert f"file://{tmp_path / 'from-code.flag'}" in on.stdout
        blocked = wait_for_status(base_url + "/", 503)
        assert blocked.headers["Retry-After"] == "42"
        status = run_process(["status", "--app", "main:app", "--json"], cwd=tmp_path)
        assert json.loads(status.stdout)["maintenance"] is True
        assert json.loads(status.stdout)["app"] == "main:app"
        off = run_process(["off", "-a", "main:app"], cwd=tmp_path)
        assert off.exit_code == EXIT_OK, off.stderr
        wait_for_status(base_url + "/", 200)


def test_app_option_reads_a_from_config_factory_in_a_package_module(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    write_config(tmp_path / "shop", 'backend = { type = "file", path = "shop.flag" }\n', name="settings.toml")
    write_main(
        tmp_path / "shop",
        """
        from pathlib import Path

        from fastapi import FastAPI

        from fastapi_maintenance import MaintenanceModeMiddleware

        api = FastAPI()
        api.add_middleware(MaintenanceModeMiddleware.from_config(Path(__file__).parent / "settings.toml"))
        """,
        name="web.py",
    )
    (tmp_path / "shop" / "shop.flag").write_text("1")
    ran = run_process(["status", "--app", "shop.web:api", "--exit-code"], cwd=tmp_path)
    assert ran.exit_code == EXIT_STATUS_ON, ran.stderr
    assert f"backend:          file://{tmp_path / 'shop' / 'shop.flag'} -> on" in ran.stdout
    assert "config:           the MaintenanceModeMiddleware of the app shop.web:api" in ran.stdout


def test_app_option_reads_a_wrapped_asgi_app(tmp_path: Path) -> None:
    write_main(
        tmp_path,
        """
        from fastapi_maintenance import MaintenanceModeMiddleware
        from fastapi_maintenance.backends.file import LocalFileBackend

        async def inner(scope, receive, send):
            pass

        app = MaintenanceModeMiddleware(inner, backend=LocalFileBackend("wrapped.flag"), enable_maintenance=True)
        """,
    )
    ran = run_process(["status", "--app", "main:app", "--json"], cwd=tmp_path)
    assert ran.exit_code == EXIT_OK, ran.stderr
    data = json.loads(ran.stdout)
    assert (data["maintenance"], data["reason"], data["enabled"]) == (True, "enabled", True)


@pytest.mark.parametrize(
    ("spec", "main_text", "code", "fragment"),
    [
        ("main", PLAIN_MAIN, EXIT_USAGE, "--app takes module:attribute, like main:app (got 'main')"),
        ("nowhere:app", PLAIN_MAIN, EXIT_USAGE, "no module named 'nowhere' in the working directory"),
        ("main:application", PLAIN_MAIN, EXIT_USAGE, "module main has no attribute 'application'"),
        (
            "main:app",
            "from fastapi import FastAPI\napp = FastAPI()\n",
            EXIT_USAGE,
            "the app has no MaintenanceModeMiddleware in its middleware stack",
        ),
        ("main:app", "app = 42\n", EXIT_USAGE, "a int is neither a Starlette/FastAPI app"),
        (
            "main:app",
            PLAIN_MAIN.replace(
                "add_middleware(MaintenanceModeMiddleware)",
                "add_middleware(MaintenanceModeMiddleware, exempt_paths=42)",
            ),
            EXIT_CONFIG_ERROR,
            "exempt_paths = 42 (from keyword argument)",
        ),
        (
            "main:app",
            "import not_installed_anywhere\n",
            EXIT_CONFIG_ERROR,
            "importing main failed: No module named 'not_installed_anywhere'",
        ),
        (
            "main:app",
            "raise RuntimeError('database URL missing')\n",
            EXIT_CONFIG_ERROR,
            "RuntimeError: database",
        ),
        (
            "main:app",
            PLAIN_MAIN.replace(
                "add_middleware(MaintenanceModeMiddleware)",
                "add_middleware(MaintenanceModeMiddleware, retry_after=-5)",
            ),
            EXIT_CONFIG_ERROR,
            "retry_after = -5",
        ),
        (
            "main:app",
            PLAIN_MAIN + "app.add_middleware(MaintenanceModeMiddleware)\n",
            EXIT_USAGE,
            "the app has 2 MaintenanceModeMiddleware entries",
        ),
    ],
    ids=[
        "no-colon",
        "missing-module",
        "missing-attribute",
        "no-middleware",
        "not-an-app",
        "bad-middleware-argument",
        "import-error-inside",
        "module-raises",
        "invalid-middleware-settings",
        "two-middlewares",
    ],
)
def test_app_option_failures_are_one_line_with_their_exit_code(
    tmp_path: Path, spec: str, main_text: str, code: int, fragment: str
) -> None:
    write_main(tmp_path, main_text)
    ran = run_process(["status", "--app", spec], cwd=tmp_path)
    assert ran.exit_code == code, ran.stderr
    assert fragment in ran.error_line()
    assert ran.stdout == ""


def test_app_option_is_not_combined_with_the_settings_options(tmp_path: Path) -> None:
    write_main(tmp_path, PLAIN_MAIN)
    ran = run_process(["--app", "main:app", "on", "--backend", "file", "--file-path", "x"], cwd=tmp_path)
    assert ran.exit_code == EXIT_USAGE
    assert "--backend, --file-path cannot be combined with it" in ran.error_line()
    assert not (tmp_path / "x").exists()


# -- the hard switch: on/off refused with exit 4 -----------------------------------------------


def test_on_is_refused_with_exit_4_when_the_apps_enable_maintenance_false_overrides(tmp_path: Path) -> None:
    write_main(
        tmp_path,
        CODE_BACKEND_MAIN.replace("retry_after=42", "enable_maintenance=False"),
    )
    ran = run_process(["on", "--app", "main:app"], cwd=tmp_path)
    assert ran.exit_code == EXIT_HARD_SWITCH
    line = ran.error_line()
    assert "enabled = false in main:app" in line
    assert "nothing was written" in line
    assert not (tmp_path / "from-code.flag").exists()


def test_on_is_refused_with_exit_4_when_the_config_files_enabled_false_overrides(tmp_path: Path) -> None:
    write_config(tmp_path, 'enabled = false\nbackend = { type = "file", path = "state.flag" }\n')
    ran = run_process(["on"], cwd=tmp_path)
    assert ran.exit_code == EXIT_HARD_SWITCH
    assert f"the setting enabled = false (from file {tmp_path / 'maintenance.toml'})" in ran.error_line()
    assert not (tmp_path / "state.flag").exists()


# -- status --exit-code ----------------------------------------------------------------------------


def test_status_exit_code_is_0_for_off_10_for_on_and_keeps_the_error_codes(tmp_path: Path) -> None:
    state = tmp_path / "state.flag"
    write_config(tmp_path, f'backend = {{ type = "file", path = "{state}" }}\n')
    assert run_process(["status", "--exit-code"], cwd=tmp_path).exit_code == EXIT_OK
    state.write_text("1")
    on = run_process(["status", "--exit-code"], cwd=tmp_path)
    assert on.exit_code == EXIT_STATUS_ON
    assert "maintenance mode: on" in on.stdout
    assert run_process(["status"], cwd=tmp_path).exit_code == EXIT_OK, "without the flag: 0 for on too"
    state.unlink()
    state.mkdir()
    broken = run_process(["status", "--exit-code"], cwd=tmp_path)
    assert broken.exit_code == EXIT_BACKEND_UNAVAILABLE


# -- flags as --help shows them -------------------------------------------------------------------


def test_help_shows_boolean_flags_without_a_value(tmp_path: Path) -> None:
    ran = run_process(["status", "--help"], cwd=tmp_path)
    assert ran.exit_code == EXIT_OK
    flag_lines = [
        line for line in ran.stdout.splitlines() if line.strip().startswith(("--json", "--exit-code"))
    ]
    assert len(flag_lines) == 2, ran.stdout
    assert "<bool>" not in ran.stdout
    assert "--app MODULE:ATTRIBUTE" in ran.stdout
    given_a_value = run_process(["status", "--json", "true"], cwd=tmp_path)
    assert given_a_value.exit_code == EXIT_USAGE
    # Click 8.1 says "Got unexpected extra argument (true)", 8.2 and later "... argument(s) (true)".
    assert re.search(r"unexpected extra argument(\(s\))? \(true\)", given_a_value.error_line()), given_a_value


def test_json_and_the_other_shared_options_work_before_the_command(tmp_path: Path) -> None:
    state = tmp_path / "state.flag"
    state.write_text("1")
    ran = run_process(["--json", "--file-path", str(state), "status"], cwd=tmp_path)
    assert ran.exit_code == EXIT_OK, ran.stderr
    assert json.loads(ran.stdout)["maintenance"] is True
    off = run_process(["--json", "--backend", "file", "--file-path", str(state), "off"], cwd=tmp_path)
    assert json.loads(off.stdout) == {
        "maintenance": False,
        "previous": True,
        "changed": True,
        "backend": f"file://{state}",
    }
