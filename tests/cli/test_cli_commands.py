"""The commands in-process (Typer's CliRunner) with the env, file and memory backends: output, exit codes
and messages."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from fastapi_maintenance import __version__
from fastapi_maintenance.backends.file import LocalFileBackend
from fastapi_maintenance.cli.errors import (
    EXIT_BACKEND_UNAVAILABLE,
    EXIT_CONFIG_ERROR,
    EXIT_HARD_SWITCH,
    EXIT_OK,
    EXIT_USAGE,
)
from fastapi_maintenance.settings import load_settings_with_sources
from tests.support.processes import REPO_ROOT, write_config

from .conftest import RunCli

SECRET = "correct-horse-battery-staple-42"


def file_config(folder: Path, state: Path, extra: str = "") -> Path:
    return write_config(folder, f'backend = {{ type = "file", path = "{state}" }}\n{extra}')


def window_toml(start: datetime, end: datetime, message: str) -> str:
    return f'[[windows]]\nstart = "{start.isoformat()}"\nend = "{end.isoformat()}"\nmessage = "{message}"\n'


# -- global options ----------------------------------------------------------


def test_version_prints_the_package_version(run_cli: RunCli) -> None:
    ran = run_cli("--version")
    assert ran.exit_code == EXIT_OK
    assert ran.stdout.strip() == f"fastapi-maintenance {__version__}"


def test_help_lists_every_command(run_cli: RunCli) -> None:
    ran = run_cli("--help")
    assert ran.exit_code == EXIT_OK
    for command in ("status", "on", "off", "check", "schema"):
        assert command in ran.stdout
    for option in ("--config", "--backend", "--var-name", "--file-path", "--version"):
        assert option in ran.stdout


def test_without_a_command_the_help_is_printed(run_cli: RunCli) -> None:
    ran = run_cli()
    assert ran.exit_code == EXIT_OK
    assert "status" in ran.stdout
    assert "schema" in ran.stdout


def test_an_unknown_option_is_one_usage_line(run_cli: RunCli) -> None:
    ran = run_cli("status", "--bogus")
    assert ran.exit_code == EXIT_USAGE
    line = ran.error_line()
    assert "--bogus" in line
    assert "fastapi-maintenance status --help" in line


def test_an_unknown_command_is_one_usage_line(run_cli: RunCli) -> None:
    ran = run_cli("up")
    assert ran.exit_code == EXIT_USAGE
    assert "No such command 'up'" in ran.error_line()


# -- schema --------------------------------------------------------------------


def test_schema_prints_exactly_the_committed_schema(run_cli: RunCli) -> None:
    ran = run_cli("schema")
    assert ran.exit_code == EXIT_OK
    committed = (REPO_ROOT / "schemas" / "maintenance.schema.json").read_text(encoding="utf-8")
    assert ran.stdout == committed
    assert json.loads(ran.stdout)["title"] == "fastapi-maintenance configuration"


def test_schema_needs_no_valid_configuration(run_cli: RunCli, tmp_path: Path) -> None:
    write_config(tmp_path, "retry_after = -5\n")
    assert run_cli("schema").exit_code == EXIT_OK


# -- status: env backend ---------------------------------------------------------


def test_status_env_backend_off_by_default(run_cli: RunCli) -> None:
    ran = run_cli("status")
    assert ran.exit_code == EXIT_OK
    assert "maintenance mode: off" in ran.stdout
    assert "env:FASTAPI_MAINTENANCE_MODE -> off" in ran.stdout
    assert "this shell's environment" in ran.stdout
    assert "no scheduled maintenance window" in ran.stdout
    assert ran.stderr == ""


def test_status_env_backend_on_as_json(run_cli: RunCli) -> None:
    ran = run_cli("status", "--json", env={"FASTAPI_MAINTENANCE_MODE": "1"})
    assert ran.exit_code == EXIT_OK
    assert json.loads(ran.stdout) == {
        "maintenance": True,
        "reason": "backend",
        "backend": "env:FASTAPI_MAINTENANCE_MODE",
        "backend_state": True,
        "enabled": None,
        "window": {"active": None, "next": None},
        "config": None,
    }
    assert ran.stdout.count("\n") == 1


def test_status_env_backend_with_the_original_var_name_flag(run_cli: RunCli) -> None:
    ran = run_cli("status", "--backend", "env", "--var-name", "MY_APP_DOWN", env={"MY_APP_DOWN": "yes"})
    assert ran.exit_code == EXIT_OK
    assert "maintenance mode: on" in ran.stdout
    assert "env:MY_APP_DOWN -> on" in ran.stdout


def test_status_env_backend_unrecognised_value_is_off_with_a_warning(run_cli: RunCli) -> None:
    ran = run_cli("status", env={"FASTAPI_MAINTENANCE_MODE": "perhaps"})
    assert ran.exit_code == EXIT_OK
    assert "maintenance mode: off" in ran.stdout
    assert ran.stderr.startswith("warning: ")
    assert "FASTAPI_MAINTENANCE_MODE" in ran.stderr
    assert "'perhaps'" in ran.stderr


# -- status: file backend --------------------------------------------------------


def test_status_file_backend_missing_file_is_off(run_cli: RunCli, tmp_path: Path) -> None:
    ran = run_cli("status", "--backend", "file", "--file-path", str(tmp_path / "state"))
    assert ran.exit_code == EXIT_OK
    assert "maintenance mode: off" in ran.stdout
    assert f"file://{tmp_path / 'state'} -> off" in ran.stdout


def test_status_file_backend_on_as_json(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.write_text("1")
    ran = run_cli("status", "--file-path", str(state), "--json")
    assert ran.exit_code == EXIT_OK
    data = json.loads(ran.stdout)
    assert data["maintenance"] is True
    assert data["backend_state"] is True
    assert data["backend"] == f"file://{state}"


def test_backend_flags_before_the_command_and_after_it(run_cli: RunCli, tmp_path: Path) -> None:
    on_file, off_file = tmp_path / "on", tmp_path / "off"
    on_file.write_text("1")
    off_file.write_text("0")
    before = run_cli("--backend", "file", "--file-path", str(on_file), "status", "--json")
    assert json.loads(before.stdout)["backend"] == f"file://{on_file}"
    both = run_cli("--file-path", str(on_file), "status", "--file-path", str(off_file), "--json")
    assert json.loads(both.stdout)["backend"] == f"file://{off_file}"  # the command's own flag wins
    assert json.loads(both.stdout)["maintenance"] is False


def test_status_reads_dot_maintenance_toml_by_default(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.write_text("on")
    config = file_config(tmp_path, state)
    ran = run_cli("status")
    assert ran.exit_code == EXIT_OK
    assert "maintenance mode: on" in ran.stdout
    assert f"config:           {config} (from ./maintenance.toml)" in ran.stdout


def test_config_env_var_wins_over_dot_maintenance_toml_and_flag_over_both(
    run_cli: RunCli, tmp_path: Path
) -> None:
    file_config(tmp_path, tmp_path / "local-state")
    (tmp_path / "other").mkdir()
    named = file_config(tmp_path / "other", tmp_path / "named-state")
    (tmp_path / "third").mkdir()
    flagged = file_config(tmp_path / "third", tmp_path / "flagged-state")

    by_env = run_cli("status", "--json", env={"FASTAPI_MAINTENANCE_CONFIG": str(named)})
    assert json.loads(by_env.stdout)["backend"] == f"file://{tmp_path / 'named-state'}"
    assert json.loads(by_env.stdout)["config"] == str(named)
    by_flag = run_cli(
        "--config", str(flagged), "status", "--json", env={"FASTAPI_MAINTENANCE_CONFIG": str(named)}
    )
    assert json.loads(by_flag.stdout)["backend"] == f"file://{tmp_path / 'flagged-state'}"
    default = run_cli("status", "--json")
    assert json.loads(default.stdout)["backend"] == f"file://{tmp_path / 'local-state'}"


def test_status_unreadable_state_file_is_exit_3(run_cli: RunCli, tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    ran = run_cli("status", "--file-path", str(folder))
    assert ran.exit_code == EXIT_BACKEND_UNAVAILABLE
    line = ran.error_line()
    assert f"cannot read the maintenance state from file://{folder}" in line
    assert "Is a directory" in line
    assert ran.stdout == ""


def test_status_json_failure_prints_no_json(run_cli: RunCli, tmp_path: Path) -> None:
    ran = run_cli("status", "--json", "--file-path", str(tmp_path))
    assert ran.exit_code == EXIT_BACKEND_UNAVAILABLE
    assert ran.stdout == ""
    ran.error_line()


def test_status_memory_backend_is_refused(run_cli: RunCli) -> None:
    ran = run_cli("status", "--backend", "memory")
    assert ran.exit_code == EXIT_USAGE
    line = ran.error_line()
    assert "memory backend" in line
    assert "--backend file --file-path" in line


def test_status_invalid_configuration_is_exit_1(run_cli: RunCli, tmp_path: Path) -> None:
    write_config(tmp_path, "retry_afterr = 60\n")
    ran = run_cli("status")
    assert ran.exit_code == EXIT_CONFIG_ERROR
    line = ran.error_line()
    assert "retry_afterr" in line
    assert "did you mean 'retry_after'" in line
    assert ran.stdout == ""


# -- status: windows and the hard switch ----------------------------------------


def test_status_inside_an_active_window_is_on(run_cli: RunCli, tmp_path: Path) -> None:
    now = datetime.now(timezone.utc)
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    file_config(tmp_path, tmp_path / "state", window_toml(start, end, "database upgrade"))
    data = json.loads(run_cli("status", "--json").stdout)
    assert data["maintenance"] is True
    assert data["reason"] == "window"
    assert data["backend_state"] is False
    assert data["window"]["active"] == {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "message": "database upgrade",
    }
    human = run_cli("status").stdout
    assert "maintenance mode: on (inside a scheduled window until" in human
    assert "active window" in human
    assert "database upgrade" in human


def test_status_shows_the_next_window(run_cli: RunCli, tmp_path: Path) -> None:
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)
    end = start + timedelta(hours=2)
    tokyo = timezone(timedelta(hours=9))
    file_config(tmp_path, tmp_path / "state", window_toml(start.astimezone(tokyo), end, "reindex"))
    data = json.loads(run_cli("status", "--json").stdout)
    assert data["maintenance"] is False
    assert data["window"]["active"] is None
    assert data["window"]["next"]["start"] == start.isoformat()  # given in +09:00, reported in UTC
    assert f"next window {start.isoformat()}" in run_cli("status").stdout


def test_status_reports_the_enabled_hard_switch(run_cli: RunCli, tmp_path: Path) -> None:
    file_config(tmp_path, tmp_path / "state", "enabled = true\n")
    data = json.loads(run_cli("status", "--json").stdout)
    assert (data["maintenance"], data["reason"], data["enabled"], data["backend_state"]) == (
        True,
        "enabled",
        True,
        False,
    )
    assert "forced by the setting enabled = true" in run_cli("status").stdout


# -- on / off ----------------------------------------------------------------------


def read_with_library(path: Path) -> bool:
    """The state as an app's file backend reads it."""
    return asyncio.run(LocalFileBackend(path).get_value())


def test_on_and_off_switch_the_file_backend_and_say_what_changed(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "state"
    on = run_cli("on", "--backend", "file", "--file-path", str(state))
    assert on.exit_code == EXIT_OK
    assert on.stdout.strip() == f"maintenance mode: off -> on (file://{state})"
    assert state.read_text() == "1"
    assert read_with_library(state) is True

    again = run_cli("on", "--file-path", str(state))
    assert again.exit_code == EXIT_OK
    assert again.stdout.strip() == f"maintenance mode: already on (file://{state})"

    off = run_cli("off", "--file-path", str(state))
    assert off.exit_code == EXIT_OK
    assert off.stdout.strip() == f"maintenance mode: on -> off (file://{state})"
    assert read_with_library(state) is False


def test_on_and_off_through_the_config_file_as_json(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "state"
    file_config(tmp_path, state)
    on = run_cli("on", "--json")
    assert json.loads(on.stdout) == {
        "maintenance": True,
        "previous": False,
        "changed": True,
        "backend": f"file://{state}",
    }
    assert json.loads(run_cli("status", "--json").stdout)["maintenance"] is True
    off = run_cli("off", "--json")
    assert json.loads(off.stdout)["previous"] is True
    assert json.loads(run_cli("status", "--json").stdout)["maintenance"] is False


def test_on_replaces_an_unreadable_state_file(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.write_bytes(b"\xff\xfe\xfa")
    ran = run_cli("on", "--file-path", str(state))
    assert ran.exit_code == EXIT_OK
    assert ran.stdout.strip() == f"maintenance mode: unknown -> on (file://{state})"
    assert read_with_library(state) is True


def test_on_into_a_missing_folder_is_exit_3(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "no-such-folder" / "state"
    ran = run_cli("on", "--file-path", str(state))
    assert ran.exit_code == EXIT_BACKEND_UNAVAILABLE
    line = ran.error_line()
    assert f"cannot write the maintenance state to file://{state}" in line
    assert "No such file or directory" in line


@pytest.mark.parametrize("command", ["on", "off"])
def test_on_off_env_backend_is_refused_with_exit_2(run_cli: RunCli, command: str) -> None:
    ran = run_cli(command, env={"FASTAPI_MAINTENANCE_MODE": "0"})
    assert ran.exit_code == EXIT_USAGE
    line = ran.error_line()
    assert "env backend (env:FASTAPI_MAINTENANCE_MODE) is read-only" in line
    assert "cannot be switched at runtime" in line
    assert "--backend file --file-path PATH" in line
    assert 'backend = "file:///path/to/state"' in line
    assert ran.stdout == ""


def test_on_env_backend_from_the_config_file_names_its_variable(run_cli: RunCli, tmp_path: Path) -> None:
    write_config(tmp_path, 'backend = "env:SHOP_MAINTENANCE"\n')
    ran = run_cli("on")
    assert ran.exit_code == EXIT_USAGE
    assert "env:SHOP_MAINTENANCE" in ran.error_line()


@pytest.mark.parametrize("command", ["on", "off"])
def test_on_off_memory_backend_is_refused_with_exit_2(run_cli: RunCli, tmp_path: Path, command: str) -> None:
    write_config(tmp_path, 'backend = "memory"\n')
    ran = run_cli(command)
    assert ran.exit_code == EXIT_USAGE
    assert "memory backend keeps the state inside the app's own process" in ran.error_line()


def test_on_against_the_enabled_setting_is_refused_with_exit_4(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "state"
    ran = run_cli("on", "--file-path", str(state), env={"FASTAPI_MAINTENANCE_ENABLED": "false"})
    assert ran.exit_code == EXIT_HARD_SWITCH
    line = ran.error_line()
    assert "the setting enabled = false" in line
    assert "FASTAPI_MAINTENANCE_ENABLED" in line
    assert "stays out of maintenance" in line
    assert not state.exists(), "nothing is written"


def test_off_against_enabled_true_is_refused_and_on_with_it_is_fine(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.write_text("1")
    env = {"FASTAPI_MAINTENANCE_ENABLED": "true"}
    off = run_cli("off", "--file-path", str(state), env=env)
    assert off.exit_code == EXIT_HARD_SWITCH
    assert "stays in maintenance" in off.error_line()
    assert state.read_text() == "1"
    assert run_cli("on", "--file-path", str(state), env=env).exit_code == EXIT_OK


def test_off_warns_while_a_window_is_active(run_cli: RunCli, tmp_path: Path) -> None:
    now = datetime.now(timezone.utc)
    file_config(
        tmp_path, tmp_path / "state", window_toml(now - timedelta(minutes=5), now + timedelta(hours=1), "x")
    )
    ran = run_cli("off")
    assert ran.exit_code == EXIT_OK
    assert "a scheduled window is active until" in ran.stderr


# -- check ---------------------------------------------------------------------------


def test_check_without_a_config_file_lists_every_key_as_default(run_cli: RunCli) -> None:
    ran = run_cli("check")
    assert ran.exit_code == EXIT_OK
    assert ran.stdout.startswith("configuration OK: config file none")
    _, sources = load_settings_with_sources()
    keys = {key.split(".")[0] if key.startswith(("bypass.", "admin.")) else key for key in sources}
    for key in keys:
        assert f"  {key} " in ran.stdout, key
    assert "[environment variable" not in ran.stdout


def test_check_reports_each_source_and_masks_the_secret(run_cli: RunCli, tmp_path: Path) -> None:
    config = file_config(
        tmp_path,
        tmp_path / "state",
        f'exempt_paths = ["/health"]\n[bypass]\nsecret = "{SECRET}"\n',
    )
    env = {"FASTAPI_MAINTENANCE_RETRY_AFTER": "120", "FASTAPI_MAINTENANCE_RESPONSE__STATUS_CODE": "502"}
    ran = run_cli("check", env=env)
    assert ran.exit_code == EXIT_OK
    assert SECRET not in ran.stdout + ran.stderr
    lines = {line.split("=", 1)[0].strip(): line for line in ran.stdout.splitlines()[1:]}
    assert lines["retry_after"].endswith("= 120  [environment variable FASTAPI_MAINTENANCE_RETRY_AFTER]")
    assert "[environment variable FASTAPI_MAINTENANCE_RESPONSE__STATUS_CODE]" in lines["response.status_code"]
    assert f'"file://{tmp_path / "state"}"  [file {config}]' in lines["backend"]
    assert f'["/health"]  [file {config}]' in lines["exempt_paths"]
    assert f'"********"  [file {config}]' in lines["bypass.secret"]
    assert "[default]" in lines["read_only"]

    data = json.loads(run_cli("check", "--json", env=env).stdout)
    assert SECRET not in json.dumps(data)
    assert data["ok"] is True
    assert data["config"] == str(config)
    assert data["settings"]["bypass.secret"] == {"value": "********", "source": f"file {config}"}
    assert data["settings"]["retry_after"] == {
        "value": 120,
        "source": "environment variable FASTAPI_MAINTENANCE_RETRY_AFTER",
    }


def test_check_names_the_command_line_as_the_backend_source(run_cli: RunCli, tmp_path: Path) -> None:
    ran = run_cli("check", "--json", "--file-path", str(tmp_path / "s"))
    backend = json.loads(ran.stdout)["settings"]["backend"]
    assert backend["value"] == f"file://{tmp_path / 's'}"
    assert backend["source"].startswith("command line")


def test_check_accepts_the_memory_backend(run_cli: RunCli, tmp_path: Path) -> None:
    write_config(tmp_path, 'backend = "memory"\n')
    ran = run_cli("check", "--json")
    assert ran.exit_code == EXIT_OK
    assert json.loads(ran.stdout)["settings"]["backend"]["value"] == "memory"


def test_check_never_prints_a_redis_password(run_cli: RunCli) -> None:
    url = "redis://admin:s3cr3t-pass@cache.internal:6380/2"
    for args in (("check",), ("check", "--json")):
        ran = run_cli(*args, "--backend", url)
        assert ran.exit_code == EXIT_OK
        assert "s3cr3t-pass" not in ran.stdout + ran.stderr
        assert "redis://cache.internal:6380/2" in ran.stdout


def test_check_invalid_file_is_exit_1_with_the_problem(run_cli: RunCli, tmp_path: Path) -> None:
    config = write_config(tmp_path, "[response]\nstatus_code = 200\n")
    ran = run_cli("check")
    assert ran.exit_code == EXIT_CONFIG_ERROR
    line = ran.error_line()
    assert "response.status_code = 200" in line
    assert f"from file {config}" in line
    assert ran.stdout == ""


def test_check_invalid_environment_variable_is_exit_1(run_cli: RunCli) -> None:
    ran = run_cli("check", env={"FASTAPI_MAINTENANCE_RETRY_AFTER": "soon"})
    assert ran.exit_code == EXIT_CONFIG_ERROR
    assert "environment variable FASTAPI_MAINTENANCE_RETRY_AFTER" in ran.error_line()


def test_check_toml_syntax_error_names_the_line(run_cli: RunCli, tmp_path: Path) -> None:
    write_config(tmp_path, 'retry_after = 60\nbackend = "file:///x\n')
    ran = run_cli("check")
    assert ran.exit_code == EXIT_CONFIG_ERROR
    assert "TOML syntax error at line 2" in ran.error_line()


def test_check_missing_config_file_is_exit_1(run_cli: RunCli, tmp_path: Path) -> None:
    ran = run_cli("--config", str(tmp_path / "nope.toml"), "check")
    assert ran.exit_code == EXIT_CONFIG_ERROR
    assert f"Config file not found: {tmp_path / 'nope.toml'}" in ran.error_line()


def test_check_yaml_config(run_cli: RunCli, tmp_path: Path) -> None:
    config = write_config(tmp_path, "read_only: true\n", name="maintenance.yaml")
    ran = run_cli("check", "--config", str(config), "--json")
    assert ran.exit_code == EXIT_OK
    assert json.loads(ran.stdout)["settings"]["read_only"] == {"value": True, "source": f"file {config}"}


# -- backend flags -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--var-name", "X", "--file-path", "s"), "exclude each other"),
        (("--backend", "redis://localhost/0", "--file-path", "s"), "--backend redis://host:6379/0"),
    ],
)
def test_contradictory_backend_flags_are_usage_errors(
    run_cli: RunCli, args: tuple[str, ...], fragment: str
) -> None:
    for command in ("status", "on", "check"):
        ran = run_cli(command, *args)
        assert ran.exit_code == EXIT_USAGE, command
        assert fragment in ran.error_line()


def test_an_invalid_backend_string_is_a_config_error_from_the_command_line(run_cli: RunCli) -> None:
    ran = run_cli("status", "--backend", "ftp://x")
    assert ran.exit_code == EXIT_CONFIG_ERROR
    line = ran.error_line()
    assert "backend = 'ftp://x' (from the command line)" in line
    assert "not a backend" in line
