"""docs/cli.md, "A message, an end, a reason": the commands run through the real CLI, and their output is
the page's, up to the moments (times, time left) and the actor, which differ on every run."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from fastapi_maintenance import MaintenanceState
from fastapi_maintenance.backends import LocalFileBackend
from fastapi_maintenance.cli.switch_fields import default_actor
from tests.docs.markdown_blocks import doc_block
from tests.docs.runner import in_folder
from tests.docs.shell import run_block

PAGE = "docs/cli.md"
SHOWN_ACTOR = "ann@ops-1"
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?\+00:00")
_LEFT = re.compile(r"\((?:\d+[dhms] ?)+ left\)")


def _without_moments(text: str) -> str:
    return _LEFT.sub("(<left>)", _MOMENT.sub("<moment>", text))


def stored(folder: Path) -> MaintenanceState:
    return asyncio.run(LocalFileBackend(folder / "maintenance.flag").get_state())


def test_on_with_a_message_and_status(configured: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_block(in_folder(doc_block(PAGE, "record-on"), configured), configured, monkeypatch)
    printed = "".join(run.stdout for run in result.cli_runs).replace(default_actor(), SHOWN_ACTOR)
    shown = in_folder(doc_block(PAGE, "record-on-output"), configured).code
    assert _without_moments(printed) == _without_moments(shown)
    assert "(30m left)" in printed.splitlines()[2], "the end is 30 minutes after the switch, rounded up"
    record = stored(configured)
    assert (record.message, record.reason, record.actor) == (
        "Database upgrade, back at 03:00 UTC",
        "PostgreSQL 17, OPS-412",
        default_actor(),
    )


def test_the_shown_times_agree_with_each_other() -> None:
    shown = doc_block(PAGE, "record-on-output").code
    assert "until:            2026-12-24T03:00:00+00:00 (30m left)" in shown
    assert "since:            2026-12-24T02:30:00+00:00" in shown


def test_refused_fields_write_nothing(configured: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_block(doc_block(PAGE, "record-refused"), configured, monkeypatch)
    for run, option in zip(result.cli_runs, ["--for", "--until", "--for and --until"]):
        assert run.stderr.startswith(f"error: {option}"), run.stderr
        assert len(run.stderr.splitlines()) == 1
    assert not (configured / "maintenance.flag").exists()


def test_off_with_a_reason(configured: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_block(in_folder(doc_block(PAGE, "record-on"), configured), configured, monkeypatch)
    result = run_block(doc_block(PAGE, "record-off"), configured, monkeypatch)
    assert (
        result.cli_runs[0]
        .stdout.splitlines()[0]
        .endswith("on -> off (file://" + str(configured / "maintenance.flag") + ")")
    )
    assert stored(configured) == MaintenanceState(False, reason="upgrade done early", actor=default_actor())


def test_the_option_table_names_the_grammar_the_command_takes() -> None:
    from fastapi_maintenance.cli.durations import parse_duration

    text = (Path(__file__).resolve().parents[2] / PAGE).read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| `--for DURATION`"))
    for example in re.findall(r"`(\d[\dhdms]*)`", row):
        parse_duration(example)
    assert "`d`, `h`, `m`, `s`" in row


def test_the_state_page_switches_from_the_command_line(
    configured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_block(doc_block("docs/maintenance-state.md", "cli-switch"), configured, monkeypatch)
    on, status, off = result.cli_runs
    assert "message:          Database upgrade, back at 03:00 UTC" in on.stdout
    assert re.search(r"^until: +\S+ \((30m|29m 5\ds) left\)$", status.stdout, re.MULTILINE), status.stdout
    assert f"actor:            {default_actor()}" in status.stdout
    assert off.stdout.splitlines()[1:] == [
        "reason:           upgrade done early",
        f"actor:            {default_actor()}",
    ]
    assert stored(configured) == MaintenanceState(False, reason="upgrade done early", actor=default_actor())
