"""The colour decision: a terminal gets colour unless NO_COLOR (non-empty) or TERM=dumb; anything else is plain."""

from __future__ import annotations

import io

import pytest

from fastapi_maintenance.cli.output import Output, wants_colour

from .conftest import ANSI_ESCAPE


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _colour_friendly_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def test_a_terminal_gets_colour() -> None:
    assert wants_colour(FakeTerminal()) is True


def test_a_pipe_or_file_gets_none() -> None:
    assert wants_colour(io.StringIO()) is False


def test_no_color_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert wants_colour(FakeTerminal()) is False


def test_an_empty_no_color_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "")  # no-color.org: only a non-empty value counts
    assert wants_colour(FakeTerminal()) is True


def test_a_dumb_terminal_gets_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "dumb")
    assert wants_colour(FakeTerminal()) is False


def test_states_are_painted_only_when_colour_is_on() -> None:
    coloured = Output(colour_out=True, colour_err=True)
    plain = Output(colour_out=False, colour_err=False)
    assert ANSI_ESCAPE in coloured.state(True)
    assert ANSI_ESCAPE in coloured.state(False)
    assert plain.state(True) == "on"
    assert plain.state(False) == "off"
    assert plain.state(None) == coloured.state(None) == "unknown"
