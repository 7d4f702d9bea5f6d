"""The options every command shares, declared once, accepted before the command and after it.

``--config``, ``--backend``, ``--var-name``, ``--file-path``, ``--app`` and ``--json`` are options of
the group and of each command, so ``fastapi-maintenance --json status`` and ``fastapi-maintenance
status --json`` both work; ``--url`` is accepted before the command only. Typer builds options from a
function's parameters, so ``with_shared_options`` writes these parameters into the function's
signature and hands the function what they add up to: one ``CliOptions`` and one ``json_output``,
those given after the command taking the place of those given before it.
"""

# No ``from __future__ import annotations`` here: on Python 3.9 Typer reads the parameters' annotations
# without evaluating them, and would miss every option declared with Annotated.
import functools
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import typer
from typing_extensions import Annotated

from ..access.admin_tokens import TOKEN_ENV_VAR
from .config import CliOptions

__all__ = ["with_shared_options"]

ConfigOption = Annotated[
    Optional[Path],
    typer.Option(
        "--config",
        "-c",
        metavar="PATH",
        help="Config file (TOML or YAML). Default: $FASTAPI_MAINTENANCE_CONFIG, else ./maintenance.toml "
        "or ./maintenance.yaml if present: the app's own rule.",
        show_default=False,
    ),
]
BackendOption = Annotated[
    Optional[str],
    typer.Option(
        "--backend",
        "-b",
        metavar="VALUE",
        help="Backend instead of the configured one: env, file (with --file-path), or a backend string "
        "such as env:VAR, file:///path, redis://host:6379/0.",
        show_default=False,
    ),
]
VarNameOption = Annotated[
    Optional[str],
    typer.Option(
        "--var-name", metavar="NAME", help="Environment variable of the env backend.", show_default=False
    ),
]
FilePathOption = Annotated[
    Optional[Path],
    typer.Option("--file-path", metavar="PATH", help="State file of the file backend.", show_default=False),
]
AppOption = Annotated[
    Optional[str],
    typer.Option(
        "--app",
        "-a",
        metavar="MODULE:ATTRIBUTE",
        help="Import the app (like uvicorn main:app, from the working directory) and use the settings and "
        "backend of its MaintenanceModeMiddleware. Not combined with --config or the backend options.",
        show_default=False,
    ),
]
UrlOption = Annotated[
    Optional[str],
    typer.Option(
        "--url",
        metavar="URL",
        help=f"Drive the admin API of a running app (https://app.example/_maintenance) instead of a backend; "
        f"the token comes from ${TOKEN_ENV_VAR}. Not combined with --config, --app or the backend options.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object (for scripts).")]


#: Each option that fills a field of ``CliOptions``, by that field's name, in the order ``--help`` lists them.
_TARGET_OPTIONS: Dict[str, Any] = {
    "config": ConfigOption,
    "backend": BackendOption,
    "var_name": VarNameOption,
    "file_path": FilePathOption,
    "app": AppOption,
    "url": UrlOption,
}
_BEFORE_COMMAND_ONLY = frozenset({"url"})

#: The parameters a decorated function declares to receive the shared options.
_OPTIONS, _JSON, _CONTEXT = "options", "json_output", "ctx"


@dataclass(frozen=True)
class _SharedOptions:
    """The shared options in effect at one level of the command line (``ctx.obj``)."""

    options: CliOptions
    json_output: bool


def _given_before(ctx: typer.Context) -> _SharedOptions:
    return ctx.obj if isinstance(ctx.obj, _SharedOptions) else _SharedOptions(CliOptions(), False)


def with_shared_options(
    *, before_command: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command (or, with ``before_command``, the group's callback) the shared options.

    The function declares ``options`` and/or ``json_output`` where the options belong in ``--help``,
    and ``ctx`` if it needs the context itself.
    """

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        declared = inspect.signature(function).parameters
        targets = [
            name
            for name in _TARGET_OPTIONS
            if _OPTIONS in declared and (before_command or name not in _BEFORE_COMMAND_ONLY)
        ]
        keyword = inspect.Parameter.KEYWORD_ONLY
        parameters = [inspect.Parameter(_CONTEXT, keyword, annotation=typer.Context)]
        for parameter in declared.values():
            if parameter.name == _OPTIONS:
                parameters += [
                    inspect.Parameter(name, keyword, default=None, annotation=_TARGET_OPTIONS[name])
                    for name in targets
                ]
            elif parameter.name == _JSON:
                parameters.append(inspect.Parameter(_JSON, keyword, default=False, annotation=JsonOption))
            elif parameter.name != _CONTEXT:
                parameters.append(parameter.replace(kind=keyword))

        @functools.wraps(function)
        def with_options(**given: Any) -> Any:
            ctx: typer.Context = given.pop(_CONTEXT)
            before = _given_before(ctx)
            after = CliOptions(**{name: given.pop(name) for name in targets})
            ctx.obj = _SharedOptions(
                before.options.overlaid(after), given.pop(_JSON, False) or before.json_output
            )
            passed: Dict[str, Any] = {_CONTEXT: ctx} if _CONTEXT in declared else {}
            if _OPTIONS in declared:
                passed[_OPTIONS] = ctx.obj.options
            if _JSON in declared:
                passed[_JSON] = ctx.obj.json_output
            return function(**passed, **given)

        # Typer reads both the signature and the type hints (``__annotations__``, which ``wraps`` copied
        # from the function); both must describe the parameters Typer is to build options from.
        with_options.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        with_options.__annotations__ = {p.name: p.annotation for p in parameters}
        return with_options

    return decorate
