"""A CliRunner that keeps stderr apart from stdout on every Click that Typer may bring."""

from __future__ import annotations

import inspect

from typer.testing import CliRunner


def separate_streams_runner() -> CliRunner:
    """Click 8.2+ always captures stderr separately; before, ``mix_stderr=False`` asks for it (Python 3.9)."""
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg, unused-ignore]
    return CliRunner()
