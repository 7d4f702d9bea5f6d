"""The ``fastapi-maintenance`` command: status, on, off, check and schema, from the app's own settings.

Every expected failure is one ``error: ...`` line on stderr and an exit code from
``fastapi_maintenance.cli.errors``; only a bug shows a traceback.
"""

# No ``from __future__ import annotations`` here: on Python 3.9 Typer reads the parameters' annotations
# without evaluating them, and would miss every option declared with Annotated.
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

import typer
from typer.core import TyperGroup
from typing_extensions import Annotated

from .. import __version__
from ..plan import window_schedule
from ..settings.schema import schema_text
from .config import CliOptions, LoadedConfig, load_config, open_backend, release_unused
from .errors import EXIT_INTERRUPTED, EXIT_OK, CliError
from .output import Output
from .settings_report import setting_rows
from .state import SwitchResult, collected_library_warnings, read_status, switch_state

try:  # typer >= 0.20 ships its own copy of click
    from typer._click.exceptions import ClickException, UsageError
except ImportError:  # pragma: no cover - older typer uses click itself
    from click.exceptions import (  # type: ignore[assignment, no-redef, unused-ignore]
        ClickException,
        UsageError,
    )

__all__ = ["PROG_NAME", "app"]

PROG_NAME = "fastapi-maintenance"


class _OneLineErrors(TyperGroup):
    """Runs the command and turns every expected failure into one stderr line and an exit code."""

    def main(
        self,
        args: Optional[Sequence[str]] = None,
        prog_name: Optional[str] = None,
        complete_var: Optional[str] = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        code = self._exit_code(args, prog_name or PROG_NAME, complete_var, windows_expand_args, extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _exit_code(
        self,
        args: Optional[Sequence[str]],
        prog_name: str,
        complete_var: Optional[str],
        windows_expand_args: bool,
        extra: Any,
    ) -> int:
        output = Output()
        try:
            result = super().main(
                args,
                prog_name,
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        except CliError as exc:
            output.error(exc.message)
            return exc.exit_code
        except UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else prog_name
            output.error(f"{exc.format_message().rstrip('.')} (see '{where} --help')")
            return exc.exit_code
        except ClickException as exc:
            output.error(exc.format_message())
            return exc.exit_code
        except typer.Abort:
            output.error("aborted")
            return EXIT_INTERRUPTED
        except KeyboardInterrupt:
            output.error("interrupted")
            return EXIT_INTERRUPTED
        return result if isinstance(result, int) else EXIT_OK


app = typer.Typer(
    name=PROG_NAME,
    cls=_OneLineErrors,
    help=(
        "Switch and inspect maintenance mode of a fastapi-maintenance app, from the same settings "
        "the app reads (--config, FASTAPI_MAINTENANCE_CONFIG or ./maintenance.toml, and "
        "FASTAPI_MAINTENANCE_* variables).\n\n"
        "Exit codes: 0 ok, 1 invalid configuration, 2 usage error or a backend that cannot do this "
        "(read-only env, in-process memory), 3 backend unreachable, 130 interrupted."
    ),
    add_completion=False,
    pretty_exceptions_enable=False,
)

ConfigOption = Annotated[
    Optional[Path],
    typer.Option(
        "--config",
        "-c",
        help="Config file (TOML or YAML). Default: $FASTAPI_MAINTENANCE_CONFIG, else ./maintenance.toml if present.",
        show_default=False,
    ),
]
BackendOption = Annotated[
    Optional[str],
    typer.Option(
        "--backend",
        "-b",
        help="Backend instead of the configured one: env, file (with --file-path), or a backend string "
        "such as env:VAR, file:///path, redis://host:6379/0.",
        show_default=False,
    ),
]
VarNameOption = Annotated[
    Optional[str],
    typer.Option("--var-name", help="Environment variable of the env backend.", show_default=False),
]
FilePathOption = Annotated[
    Optional[Path],
    typer.Option("--file-path", help="State file of the file backend.", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object (for scripts).")]


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"{PROG_NAME} {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _global_options(
    ctx: typer.Context,
    config: ConfigOption = None,
    backend: BackendOption = None,
    var_name: VarNameOption = None,
    file_path: FilePathOption = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    ctx.obj = CliOptions(config=config, backend=backend, var_name=var_name, file_path=file_path)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


def _options(ctx: typer.Context, given_after: CliOptions) -> CliOptions:
    """Options given before the command, overlaid with those given after it."""
    given_before = ctx.obj if isinstance(ctx.obj, CliOptions) else CliOptions()
    return given_before.overlaid(given_after)


def _config_line(loaded: LoadedConfig) -> str:
    if loaded.config_file is None:
        return "none (environment variables and defaults only)"
    if loaded.config_origin:
        return f"{loaded.config_file} (from {loaded.config_origin})"
    return str(loaded.config_file)


@app.command()
def status(
    ctx: typer.Context,
    config: ConfigOption = None,
    backend: BackendOption = None,
    var_name: VarNameOption = None,
    file_path: FilePathOption = None,
    json_output: JsonOption = False,
) -> None:
    """Print the maintenance state, the backend it came from and the active or next window.

    Exit 0 whenever the state could be read (on or off); 3 when the backend is unreachable.
    """
    loaded = load_config(_options(ctx, CliOptions(config, backend, var_name, file_path)))
    state_backend = open_backend(loaded.settings)
    with collected_library_warnings() as warnings:
        report = read_status(loaded.settings, state_backend)
    output = Output()
    if json_output:
        data = report.as_json()
        data["config"] = str(loaded.config_file) if loaded.config_file is not None else None
        output.json(data)
    else:
        why = ""
        if report.reason == "window" and report.active_window is not None:
            why = f" (inside a scheduled window until {report.active_window.end.isoformat()})"
        elif report.reason == "enabled":
            why = f" (forced by the setting enabled = {str(report.enabled).lower()})"
        shell_note = (
            " (this shell's environment; the app reads its own)" if report.backend.startswith("env:") else ""
        )
        output.line(f"maintenance mode: {output.state(report.maintenance)}{why}")
        output.line(f"backend:          {report.backend} -> {output.state(report.backend_state)}{shell_note}")
        output.line(f"window:           {report.window_line}")
        output.line(output.dim(f"config:           {_config_line(loaded)}"))
    for message in warnings:
        output.warning(message)


def _switch(
    ctx: typer.Context,
    value: bool,
    options: CliOptions,
    json_output: bool,
) -> None:
    loaded = load_config(_options(ctx, options))
    state_backend = open_backend(loaded.settings)
    with collected_library_warnings() as warnings:
        result = switch_state(state_backend, value)
    output = Output()
    if json_output:
        output.json(result.as_json())
    else:
        output.line(_switch_line(output, result))
    for message in [*warnings, *_still_overridden(loaded, value)]:
        output.warning(message)


def _switch_line(output: Output, result: SwitchResult) -> str:
    if not result.changed:
        return f"maintenance mode: already {output.state(result.value)} ({result.backend})"
    before, after = output.state(result.previous), output.state(result.value)
    return f"maintenance mode: {before} -> {after} ({result.backend})"


def _still_overridden(loaded: LoadedConfig, value: bool) -> list[str]:
    """Why the app may not follow the switch: a hard ``enabled`` setting or an active window."""
    notes = []
    enabled = loaded.settings.enabled
    if enabled is not None and enabled != value:
        source = loaded.sources.get("enabled", "the settings")
        notes.append(
            f"the setting enabled = {str(enabled).lower()} (from {source}) overrides the backend: "
            f"the app stays {'in' if enabled else 'out of'} maintenance until that setting is removed"
        )
    active = window_schedule(loaded.settings).active()
    if not value and enabled is None and active is not None:
        notes.append(
            f"a scheduled window is active until {active.end.isoformat()}: "
            "the app stays in maintenance until then"
        )
    return notes


@app.command()
def on(
    ctx: typer.Context,
    config: ConfigOption = None,
    backend: BackendOption = None,
    var_name: VarNameOption = None,
    file_path: FilePathOption = None,
    json_output: JsonOption = False,
) -> None:
    """Switch maintenance mode on through a writable backend (file, redis)."""
    _switch(ctx, True, CliOptions(config, backend, var_name, file_path), json_output)


@app.command()
def off(
    ctx: typer.Context,
    config: ConfigOption = None,
    backend: BackendOption = None,
    var_name: VarNameOption = None,
    file_path: FilePathOption = None,
    json_output: JsonOption = False,
) -> None:
    """Switch maintenance mode off through a writable backend (file, redis)."""
    _switch(ctx, False, CliOptions(config, backend, var_name, file_path), json_output)


@app.command()
def check(
    ctx: typer.Context,
    config: ConfigOption = None,
    backend: BackendOption = None,
    var_name: VarNameOption = None,
    file_path: FilePathOption = None,
    json_output: JsonOption = False,
) -> None:
    """Validate the settings (config file and environment together) and print each value with its source.

    Exit 0 when valid, 1 with the problem otherwise. Secrets are never printed.
    """
    loaded = load_config(_options(ctx, CliOptions(config, backend, var_name, file_path)))
    state_backend = open_backend(loaded.settings)
    backend_name = state_backend.describe()
    release_unused(state_backend)
    rows = setting_rows(loaded.settings, loaded.sources, backend_name)
    output = Output()
    if json_output:
        output.json(
            {
                "ok": True,
                "config": str(loaded.config_file) if loaded.config_file is not None else None,
                "settings": {row.key: {"value": row.value, "source": row.source} for row in rows},
            }
        )
        return
    output.line(f"{output.good('configuration OK')}: config file {_config_line(loaded)}")
    width = max(len(row.key) for row in rows)
    for row in rows:
        shown = "(not set)" if row.value is None else _plain(row.value)
        output.line(f"  {row.key.ljust(width)} = {shown}  {output.dim('[' + row.source + ']')}")


def _plain(value: Any) -> str:
    """Values as they would be written in JSON (strings quoted, lists bracketed, true/false)."""
    return json.dumps(value, ensure_ascii=False)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the config file (schemas/maintenance.schema.json is this output)."""
    Output().raw(schema_text())
