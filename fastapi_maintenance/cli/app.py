"""The ``fastapi-maintenance`` command: status, on, off, check and schema, from the app's own settings.

Every expected failure is one ``error: ...`` line on stderr and an exit code from
``fastapi_maintenance.cli.errors``; only a bug shows a traceback.
"""

# No ``from __future__ import annotations`` here: on Python 3.9 Typer reads the parameters' annotations
# without evaluating them, and would miss every option declared with Annotated.
import json
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, Optional

import typer
from typer.core import TyperGroup
from typing_extensions import Annotated

from .. import __version__
from ..record import MaintenanceState
from ..settings.model import window_schedule
from ..settings.schema import schema_text
from .admin_token import create_admin_token
from .config import CliOptions, Target, load_target, release_unused
from .durations import DURATION_FORMS
from .errors import (
    EXIT_BACKEND_UNAVAILABLE,
    EXIT_HARD_SWITCH,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_ORIGINAL_FAILURE,
    EXIT_STATUS_ON,
    EXIT_USAGE,
    CliError,
)
from .output import Output
from .settings_report import setting_rows
from .shared_options import with_shared_options
from .state import SwitchResult, collected_library_warnings, read_status, record_rows, switch_state
from .switch_fields import UNTIL_FORMS, SwitchFields, switch_fields

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
        "Switch and inspect maintenance mode of a fastapi-maintenance app, with the settings and backend "
        "the app uses: its own middleware with --app main:app, else the same settings it reads "
        "(--config, else FASTAPI_MAINTENANCE_CONFIG, else ./maintenance.toml or .yaml, and the "
        "FASTAPI_MAINTENANCE_* variables).\n\n"
        "Exit codes: 0 ok, 1 invalid configuration, 2 usage error or a backend that cannot do this "
        "(read-only env, in-process memory), 3 backend unreachable, 4 on/off refused because the app's "
        "hard switch forces the other state, 10 maintenance on (status --exit-code only), 130 interrupted."
    ),
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"{PROG_NAME} {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
@with_shared_options(before_command=True)
def _global_options(
    ctx: typer.Context,
    options: CliOptions,
    json_output: bool,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


def _warn_notes(output: Output, target: Target) -> None:
    for note in target.notes:
        output.warning(note)


@app.command()
@with_shared_options()
def status(
    options: CliOptions,
    json_output: bool,
    exit_code: Annotated[
        bool,
        typer.Option(
            "--exit-code",
            help=f"Exit {EXIT_OK} when maintenance is off and {EXIT_STATUS_ON} when it is on "
            "(errors keep their own codes).",
        ),
    ] = False,
) -> int:
    """Print the maintenance state, the backend it came from, the record's fields (message, end and the
    time left, reason, actor, since) and the active or next window.

    Exit 0 whenever the state could be read (on or off), 3 when the backend is unreachable; with
    --exit-code, 0 for off and 10 for on.
    """
    output = Output()
    target = load_target(options)
    _warn_notes(output, target)
    with collected_library_warnings() as warnings:
        try:
            report = read_status(target.settings, target.backend, target.hard_switch)
        except CliError as exc:
            if exc.exit_code == EXIT_BACKEND_UNAVAILABLE and options.original_backend_form:
                raise CliError(exc.message, EXIT_ORIGINAL_FAILURE) from None
            raise
    if json_output:
        data = report.as_json()
        data["config"] = str(target.config_file) if target.config_file is not None else None
        if target.app is not None:
            data["app"] = target.app
        output.json(data)
    else:
        why = ""
        if report.reason == "window" and report.active_window is not None:
            why = f" (inside a scheduled window until {report.active_window.end.isoformat()})"
        elif report.reason == "enabled":
            why = f" (forced by {target.hard_switch_source})"
        shell_note = (
            " (this shell's environment; the app reads its own)"
            if report.backend.startswith("env:") and target.app is None
            else ""
        )
        output.line(f"maintenance mode: {output.state(report.maintenance)}{why}")
        output.line(f"backend:          {report.backend} -> {output.state(report.backend_state)}{shell_note}")
        _record_lines(output, report.record, report.now)
        output.line(f"window:           {report.window_line}")
        output.line(output.dim(f"config:           {target.config_line}"))
    for message in warnings:
        output.warning(message)
    if exit_code and report.maintenance:
        return EXIT_STATUS_ON
    return EXIT_OK


def _refuse_when_overridden(target: Target, value: bool) -> None:
    """``on``/``off`` that the app's hard switch would override: refused before anything is written."""
    if target.hard_switch is None or target.hard_switch == value:
        return
    stays = "in" if target.hard_switch else "out of"
    raise CliError(
        f"{target.hard_switch_source} overrides the backend: the app stays {stays} maintenance whatever "
        f"the backend says, so '{'on' if value else 'off'}' would change nothing; nothing was written "
        "(remove that setting first)",
        EXIT_HARD_SWITCH,
    )


def _record_lines(output: Output, record: Optional[MaintenanceState], now: datetime) -> None:
    """The record's fields under the state line, aligned with it; nothing for a bare on/off."""
    if record is None:
        return
    for label, text in record_rows(record, now):
        output.line(f"{label + ':':<18}{text}")


def _switch(value: bool, options: CliOptions, json_output: bool, fields: SwitchFields) -> None:
    target = load_target(options)
    output = Output()
    _warn_notes(output, target)
    _refuse_when_overridden(target, value)
    with collected_library_warnings() as warnings:
        result = switch_state(target.backend, value, fields)
    if json_output:
        output.json(result.as_json())
    else:
        output.line(_switch_line(output, result))
        _record_lines(output, result.record, result.now or datetime.now(timezone.utc))
    for message in [*warnings, *_window_notes(target, value)]:
        output.warning(message)


def _switch_line(output: Output, result: SwitchResult) -> str:
    if result.updated:
        return f"maintenance mode: {output.state(result.value)}, record replaced ({result.backend})"
    if not result.changed:
        return f"maintenance mode: already {output.state(result.value)} ({result.backend})"
    before, after = output.state(result.previous), output.state(result.value)
    return f"maintenance mode: {before} -> {after} ({result.backend})"


def _window_notes(target: Target, value: bool) -> list[str]:
    """An active window keeps the app in maintenance after ``off`` (until the window ends)."""
    active = window_schedule(target.settings).active()
    if value or target.hard_switch is not None or active is None:
        return []
    return [
        f"a scheduled window is active until {active.end.isoformat()}: the app stays in maintenance until then"
    ]


MessageOption = Annotated[
    Optional[str],
    typer.Option(
        "--message",
        "-m",
        metavar="TEXT",
        help="What clients are told (the JSON detail, the page).",
        show_default=False,
    ),
]
ForOption = Annotated[
    Optional[str],
    typer.Option(
        "--for",
        metavar="DURATION",
        help=f"End maintenance by itself after this long: {DURATION_FORMS}.",
        show_default=False,
    ),
]
UntilOption = Annotated[
    Optional[str],
    typer.Option(
        "--until",
        metavar="DATETIME",
        help=f"End maintenance by itself at this moment: {UNTIL_FORMS}.",
        show_default=False,
    ),
]
ReasonOption = Annotated[
    Optional[str],
    typer.Option(
        "--reason",
        "-r",
        metavar="TEXT",
        help="Why, for operators and the audit log (never shown to clients).",
        show_default=False,
    ),
]
ActorOption = Annotated[
    Optional[str],
    typer.Option(
        "--actor",
        metavar="NAME",
        help="Who switched, recorded with the other fields (default: user@host when any field is given).",
        show_default=False,
    ),
]


@app.command()
@with_shared_options()
def on(
    options: CliOptions,
    json_output: bool,
    message: MessageOption = None,
    for_: ForOption = None,
    until: UntilOption = None,
    reason: ReasonOption = None,
    actor: ActorOption = None,
) -> None:
    """Switch maintenance mode on through a writable backend (file, redis), with an optional message,
    end (--for or --until), reason and actor; switching on while on replaces them.

    Without any of those options the backend stores a bare 1, as older versions did. Exit 2, writing
    nothing, for a bad duration or date or an --until in the past; exit 4, writing nothing, when the
    app's hard switch (enabled = false) would keep it out of maintenance.
    """
    fields = switch_fields(message=message, for_=for_, until=until, reason=reason, actor=actor)
    _switch(True, options, json_output, fields)


@app.command()
@with_shared_options()
def off(
    options: CliOptions,
    json_output: bool,
    reason: ReasonOption = None,
    actor: ActorOption = None,
) -> None:
    """Switch maintenance mode off through a writable backend (file, redis), with an optional reason
    and actor.

    Exit 4, writing nothing, when the app's hard switch (enabled = true) would keep it in maintenance.
    """
    fields = switch_fields(reason=reason, actor=actor)
    _switch(False, options, json_output, fields)


@app.command()
@with_shared_options()
def check(
    options: CliOptions,
    json_output: bool,
) -> None:
    """Validate the settings (config file and environment together) and print each value with its source.

    Exit 0 when valid, 1 with the problem otherwise. Secrets are never printed.
    """
    if options.url is not None:
        raise CliError(
            "check validates settings on this machine; with --url the app's own settings apply "
            "(status shows what its admin API reports)",
            EXIT_USAGE,
        )
    target = load_target(options)
    output = Output()
    _warn_notes(output, target)
    backend_name = target.backend.describe()
    release_unused(target.backend)
    rows = setting_rows(target.settings, target.sources, backend_name)
    if json_output:
        data: dict[str, Any] = {
            "ok": True,
            "config": str(target.config_file) if target.config_file is not None else None,
            "settings": {row.key: {"value": row.value, "source": row.source} for row in rows},
        }
        if target.app is not None:
            data["app"] = target.app
        output.json(data)
        return
    where = target.config_line if target.app is not None else f"config file {target.config_line}"
    output.line(f"{output.good('configuration OK')}: {where}")
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


@app.command("admin-token")
@with_shared_options()
def admin_token(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME", help="Who will use the token (letters, digits, '-', '_'), e.g. deploy-bot."
        ),
    ],
    json_output: bool,
) -> None:
    """Print a new admin API token for NAME, once, and the settings lines that allow it (its hash only)."""
    created = create_admin_token(name)
    output = Output()
    if json_output:
        output.json(created.as_json())
        return
    for line in created.text_lines():
        output.line(line)
