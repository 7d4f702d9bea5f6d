"""The options every command shares: the same option before the command and after it, the one after winning."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest
from typer.core import TyperGroup
from typer.main import get_command

from fastapi_maintenance.cli.app import app
from fastapi_maintenance.cli.errors import EXIT_OK, EXIT_USAGE
from tests.support.processes import write_config

from .conftest import RunCli

SHARED = ("--config", "--backend", "--var-name", "--file-path", "--app", "--json")
COMMANDS_WITH_TARGET = ("status", "on", "off", "check")


def _described(param: Any) -> Tuple[Any, ...]:
    return (tuple(param.opts), tuple(param.secondary_opts), param.help, param.metavar, param.default)


def test_each_command_declares_the_shared_options_as_the_group_does() -> None:
    group = get_command(app)
    assert isinstance(group, TyperGroup)
    ctx = group.make_context("fastapi-maintenance", [], resilient_parsing=True)
    group_params = {param.opts[0]: _described(param) for param in group.params}
    for name in (*COMMANDS_WITH_TARGET, "admin-token"):
        command = group.get_command(ctx, name)
        assert command is not None
        own = {param.opts[0]: _described(param) for param in command.params if param.opts}
        expected = SHARED if name in COMMANDS_WITH_TARGET else ("--json",)
        assert [opt for opt in own if opt in group_params] == list(expected), name
        for opt in expected:
            assert own[opt] == group_params[opt], (name, opt)
        assert "--url" not in own, "--url is given before the command only"


def _app_module(folder: Path, state: Path) -> str:
    """A module of this test's own (unique name: the CLI imports it in this process) with the middleware."""
    name = f"shared_options_app_{uuid.uuid4().hex}"
    (folder / f"{name}.py").write_text(
        "from starlette.applications import Starlette\n"
        "from fastapi_maintenance import MaintenanceModeMiddleware\n"
        "from fastapi_maintenance.backends.file import LocalFileBackend\n"
        "app = Starlette()\n"
        f"app.add_middleware(MaintenanceModeMiddleware, backend=LocalFileBackend({str(state)!r}))\n"
    )
    return f"{name}:app"


def _config(folder: Path, state: Path) -> str:
    folder.mkdir()
    return str(write_config(folder, f'backend = {{ type = "file", path = "{state}" }}\n'))


#: option -> (value before the command, value after it, options given with both, what status --json shows)
Case = Tuple[str, Callable[[Path], Tuple[str, str]], List[str], Callable[[Dict[str, Any]], Any]]
CASES: Dict[str, Case] = {
    "config": (
        "--config",
        lambda tmp: (_config(tmp / "one", tmp / "one.flag"), _config(tmp / "two", tmp / "two.flag")),
        [],
        lambda data: data["config"],
    ),
    "backend": (
        "--backend",
        lambda tmp: (f"file://{tmp / 'one.flag'}", f"file://{tmp / 'two.flag'}"),
        [],
        lambda data: data["backend"],
    ),
    "var-name": (
        "--var-name",
        lambda tmp: ("SHARED_OPTION_ONE", "SHARED_OPTION_TWO"),
        ["--backend", "env"],
        lambda data: data["backend"],
    ),
    "file-path": (
        "--file-path",
        lambda tmp: (str(tmp / "one.flag"), str(tmp / "two.flag")),
        ["--backend", "file"],
        lambda data: data["backend"],
    ),
    "app": (
        "--app",
        lambda tmp: (_app_module(tmp, tmp / "one.flag"), _app_module(tmp, tmp / "two.flag")),
        [],
        lambda data: data["app"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_shared_option_before_or_after_the_command_and_the_one_after_wins(
    run_cli: RunCli, tmp_path: Path, case: str
) -> None:
    option, values, fixed, shown = CASES[case]
    first, second = values(tmp_path)

    def status_json(*args: str) -> Any:
        ran = run_cli(*args)
        assert ran.exit_code == EXIT_OK, ran.stderr
        return shown(json.loads(ran.stdout))

    alone_first = status_json("status", option, first, *fixed, "--json")
    alone_second = status_json("status", option, second, *fixed, "--json")
    assert alone_first != alone_second, "the two values must be told apart"
    assert status_json(option, first, "status", *fixed, "--json") == alone_first
    assert status_json(option, first, "status", option, second, *fixed, "--json") == alone_second
    assert status_json(option, second, "status", option, first, *fixed, "--json") == alone_first


@pytest.mark.parametrize("command", ["on", "off"])
def test_switching_writes_through_the_backend_given_after_the_command(
    run_cli: RunCli, tmp_path: Path, command: str
) -> None:
    before, after = tmp_path / "before.flag", tmp_path / "after.flag"
    ran = run_cli("--json", "--backend", f"file://{before}", command, "--backend", f"file://{after}")
    assert ran.exit_code == EXIT_OK, ran.stderr
    assert json.loads(ran.stdout)["backend"] == f"file://{after}"
    assert not before.exists()
    assert after.read_text().strip() == ("1" if command == "on" else "0")


def test_check_uses_the_backend_given_after_the_command(run_cli: RunCli, tmp_path: Path) -> None:
    ran = run_cli("--backend", f"file://{tmp_path / 'a'}", "check", "--backend", f"file://{tmp_path / 'b'}")
    assert ran.exit_code == EXIT_OK, ran.stderr
    assert f"file://{tmp_path / 'b'}" in ran.stdout
    assert f"file://{tmp_path / 'a'}" not in ran.stdout


@pytest.mark.parametrize(
    "args", [["--json", "admin-token", "deploy-bot"], ["admin-token", "deploy-bot", "--json"]]
)
def test_admin_token_prints_json_with_json_before_or_after_it(run_cli: RunCli, args: List[str]) -> None:
    ran = run_cli(*args)
    assert ran.exit_code == EXIT_OK, ran.stderr
    assert json.loads(ran.stdout)["name"] == "deploy-bot"


def test_url_after_the_command_is_a_usage_error(run_cli: RunCli) -> None:
    ran = run_cli("status", "--url", "https://app.example/_maintenance")
    assert ran.exit_code == EXIT_USAGE
    assert "No such option: --url" in ran.error_line()
