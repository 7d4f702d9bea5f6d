"""How the CLI writes: plain text, colour only on a terminal (never with NO_COLOR), JSON always plain."""

from __future__ import annotations

import json
import os
import sys
from typing import IO, Any, Optional

import typer

__all__ = ["Output", "wants_colour"]


def wants_colour(stream: IO[str]) -> bool:
    """Colour for a person at a terminal: not when NO_COLOR is set (no-color.org), TERM=dumb or piped."""
    if os.environ.get("NO_COLOR", "") != "" or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


class Output:
    """Lines for stdout and stderr; the colour decision is made per stream, once."""

    def __init__(self, *, colour_out: Optional[bool] = None, colour_err: Optional[bool] = None) -> None:
        self.colour_out = wants_colour(sys.stdout) if colour_out is None else colour_out
        self.colour_err = wants_colour(sys.stderr) if colour_err is None else colour_err

    def _paint(self, text: str, colour: bool, **style: Any) -> str:
        return typer.style(text, **style) if colour else text

    def line(self, text: str = "") -> None:
        typer.echo(text, color=self.colour_out)

    def json(self, data: Any) -> None:
        """One JSON document on one line: for scripts, never coloured."""
        typer.echo(json.dumps(data, ensure_ascii=False, sort_keys=False), color=False)

    def raw(self, text: str) -> None:
        typer.echo(text, nl=False, color=False)

    def error(self, message: str) -> None:
        label = self._paint("error:", self.colour_err, fg="red", bold=True)
        typer.echo(f"{label} {message}", err=True, color=self.colour_err)

    def warning(self, message: str) -> None:
        label = self._paint("warning:", self.colour_err, fg="yellow", bold=True)
        typer.echo(f"{label} {message}", err=True, color=self.colour_err)

    def state(self, value: Optional[bool]) -> str:
        """``on`` (red), ``off`` (green) or ``unknown``, for stdout."""
        if value is None:
            return "unknown"
        return self._paint(
            "on" if value else "off", self.colour_out, fg="red" if value else "green", bold=True
        )

    def dim(self, text: str) -> str:
        return self._paint(text, self.colour_out, dim=True)

    def good(self, text: str) -> str:
        return self._paint(text, self.colour_out, fg="green", bold=True)
