"""``on``/``off`` with a message, an end, a reason and an actor; ``status`` showing them (CLI in-process)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastapi_maintenance import MaintenanceState
from fastapi_maintenance.backends import LocalFileBackend
from fastapi_maintenance.cli.durations import format_span, parse_duration
from fastapi_maintenance.cli.errors import EXIT_OK, EXIT_USAGE, CliError
from fastapi_maintenance.cli.switch_fields import default_actor, switch_fields
from fastapi_maintenance.record import encode_state

from .conftest import RunCli

NOW = datetime(2026, 12, 24, 2, 0, tzinfo=timezone.utc)


def stored(path: Path) -> MaintenanceState:
    return asyncio.run(LocalFileBackend(path).get_state())


# -- the duration grammar --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("30m", 1800),
        ("2h", 7200),
        ("1d", 86400),
        ("1h30m", 5400),
        ("1d2h3m4s", 93784),
        ("0h5m", 300),
    ],
)
def test_durations_that_are_accepted(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "30",
        "1.5h",
        "-5m",
        "+5m",
        "30M",
        "5 m",
        "1h 30m",
        "30m1h",
        "1h1h",
        "5min",
        "m",
        "0s",
        "0h0m",
        "1w",
        " 5m",
    ],
)
def test_durations_that_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|longer than any date"):
        parse_duration(text)


@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=4, max_size=4))
def test_any_written_duration_is_its_sum(counts: list[int]) -> None:
    text = "".join(f"{count}{unit}" for count, unit in zip(counts, "dhms") if count)
    seconds = counts[0] * 86400 + counts[1] * 3600 + counts[2] * 60 + counts[3]
    if seconds == 0:
        return
    assert parse_duration(text) == timedelta(seconds=seconds)


@given(st.integers(min_value=1, max_value=10**9))
def test_the_time_left_as_shown_reads_back_as_the_same_span(seconds: int) -> None:
    shown = format_span(timedelta(seconds=seconds))
    assert parse_duration(shown.replace(" ", "")) == timedelta(seconds=seconds)


def test_time_left_rounds_up_and_never_goes_below_zero() -> None:
    assert format_span(timedelta(seconds=59.2)) == "1m"
    assert format_span(timedelta(seconds=-3)) == "0s"


# -- --until and the other fields ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-24T03:00Z", datetime(2026, 12, 24, 3, 0, tzinfo=timezone.utc)),
        ("2026-12-24t03:00:30z", datetime(2026, 12, 24, 3, 0, 30, tzinfo=timezone.utc)),
        ("2026-12-24 04:00:00+01:00", datetime(2026, 12, 24, 3, 0, tzinfo=timezone.utc)),
        ("2026-12-24T03:00:00.5Z", datetime(2026, 12, 24, 3, 0, 0, 500000, tzinfo=timezone.utc)),
        ("2026-12-23T22:00-05:00", datetime(2026, 12, 24, 3, 0, tzinfo=timezone.utc)),
    ],
)
def test_until_forms_that_are_accepted(text: str, expected: datetime) -> None:
    assert switch_fields(until=text, now=NOW).until == expected


@given(
    st.datetimes(
        min_value=datetime(2027, 1, 1), max_value=datetime(9000, 1, 1), timezones=st.just(timezone.utc)
    )
)
def test_any_rfc3339_text_python_writes_is_read_back(moment: datetime) -> None:
    assert switch_fields(until=moment.isoformat(), now=NOW).until == moment
    assert switch_fields(until=moment.isoformat().replace("+00:00", "Z"), now=NOW).until == moment


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2026-12-24T03:00", "time zone"),
        ("2026-12-24", "time zone"),
        ("tomorrow", "time zone"),
        ("2026-12-24T03:00+0100", "time zone"),
        ("2026-02-30T03:00Z", "not a valid date"),
        ("2026-12-24T25:00Z", "not a valid date"),
        ("2026-12-24T01:59Z", "not in the future"),
        ("2026-12-24T02:00Z", "not in the future"),
    ],
)
def test_until_forms_that_are_refused(text: str, says: str) -> None:
    with pytest.raises(CliError) as raised:
        switch_fields(until=text, now=NOW)
    assert raised.value.exit_code == EXIT_USAGE
    assert raised.value.message.startswith("--until")
    assert says in raised.value.message


def test_the_actor_defaults_to_user_at_host_whenever_the_switch_records_something() -> None:
    assert "@" in default_actor()
    assert switch_fields(message="m", now=NOW).actor == default_actor()
    assert switch_fields(reason="r", now=NOW).actor == default_actor()
    assert switch_fields(for_="5m", now=NOW).actor == default_actor()
    assert switch_fields(message="m", actor="ann@ops", now=NOW).actor == "ann@ops"
    assert switch_fields(now=NOW).bare, "a bare switch stays 1/0"
    assert switch_fields(actor="ann@ops", now=NOW).actor == "ann@ops"


# -- on/off through the command ----------------------------------------------------------


def test_on_with_every_field_stores_the_record_and_shows_it(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "state"
    before = datetime.now(timezone.utc)
    ran = run_cli(
        "on", "--file-path", str(state), "--message", "Back at 03:00", "--for", "1h30m",
        "--reason", "PG 17", "--actor", "ann@ops",
    )  # fmt: skip
    assert ran.exit_code == EXIT_OK, ran.stderr
    record = stored(state)
    assert (record.active, record.message, record.reason, record.actor) == (
        True,
        "Back at 03:00",
        "PG 17",
        "ann@ops",
    )
    assert record.until is not None
    assert record.since is not None
    assert (
        before + timedelta(minutes=90) <= record.until <= datetime.now(timezone.utc) + timedelta(minutes=90)
    )
    lines = ran.stdout.splitlines()
    assert lines[0] == f"maintenance mode: off -> on (file://{state})"
    assert lines[1:] == [
        "message:          Back at 03:00",
        f"until:            {record.until.isoformat()} (1h 30m left)",
        "reason:           PG 17",
        "actor:            ann@ops",
        f"since:            {record.since.isoformat()}",
    ]
    assert ran.stderr == ""


def test_on_with_a_message_records_the_default_actor(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "state"
    assert run_cli("on", "--file-path", str(state), "-m", "Upgrade").exit_code == EXIT_OK
    assert stored(state).actor == default_actor()
    assert stored(state).until is None


def test_bare_on_and_off_still_store_one_and_zero(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "state"
    run_cli("on", "--file-path", str(state), "-m", "x")
    off = run_cli("off", "--file-path", str(state))
    assert off.stdout == f"maintenance mode: on -> off (file://{state})\n"
    assert state.read_text() == "0"
    on = run_cli("on", "--file-path", str(state), "--json")
    assert set(json.loads(on.stdout)) == {"maintenance", "previous", "changed", "backend"}
    assert state.read_text() == "1"


def test_on_while_on_replaces_the_record_without_a_moment_off(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "state"
    run_cli("on", "--file-path", str(state), "-m", "first", "--for", "1h")
    first = stored(state)
    again = run_cli("on", "--file-path", str(state), "-m", "second", "--json")
    data = json.loads(again.stdout)
    assert (data["maintenance"], data["previous"], data["changed"]) == (True, True, False)
    assert data["record"]["message"] == "second"
    assert "until" not in data["record"], "each switch states the whole record"
    assert stored(state).since == first.since
    text = run_cli("on", "--file-path", str(state), "-m", "third")
    assert text.stdout.splitlines()[0] == f"maintenance mode: on, record replaced (file://{state})"
    same = run_cli("on", "--file-path", str(state), "-m", "third", "--actor", default_actor())
    assert same.stdout.splitlines()[0] == f"maintenance mode: already on (file://{state})"


def test_off_with_a_reason_records_it_and_the_actor(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "state"
    run_cli("on", "--file-path", str(state))
    off = run_cli("off", "--file-path", str(state), "--reason", "done early", "--json")
    assert json.loads(off.stdout)["record"] == {
        "active": False,
        "reason": "done early",
        "actor": default_actor(),
    }
    assert stored(state) == MaintenanceState(False, reason="done early", actor=default_actor())


@pytest.mark.parametrize(
    ("arguments", "names"),
    [
        (["--for", "30"], "--for"),
        (["--for", "1.5h"], "--for"),
        (["--for", "99999999999999d"], "--for"),
        (["--for", "3000000d"], "--for"),
        (["--until", "2026-12-24T03:00"], "--until"),
        (["--until", "2000-01-01T00:00Z"], "--until"),
        (["--until", "9999-12-31T23:59:59-05:00"], "--until"),
        (["--for", "5m", "--until", "2999-01-01T00:00Z"], "--for and --until"),
        (["--message", "  "], "--message"),
        (["--reason", ""], "--reason"),
        (["--actor", ""], "--actor"),
    ],
)
def test_bad_fields_are_usage_errors_and_nothing_is_written(
    run_cli: RunCli, tmp_path: Path, arguments: list[str], names: str
) -> None:
    state = tmp_path / "state"
    state.write_text("0")
    ran = run_cli("on", "--file-path", str(state), *arguments)
    assert ran.exit_code == EXIT_USAGE
    assert ran.error_line().startswith(f"error: {names}")
    assert state.read_text() == "0"
    assert ran.stdout == ""


def test_off_takes_no_message_or_end(run_cli: RunCli, tmp_path: Path) -> None:
    for option in ("--message", "--for", "--until"):
        ran = run_cli("off", "--file-path", str(tmp_path / "state"), option, "x")
        assert ran.exit_code == EXIT_USAGE
        assert f"No such option: {option}" in ran.error_line()


def test_a_record_too_long_for_the_file_is_a_usage_error(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "state"
    ran = run_cli("on", "--file-path", str(state), "--message", "x" * 70000)
    assert ran.exit_code == EXIT_USAGE
    assert "nothing was written" in ran.error_line()
    assert not state.exists()


def test_a_backend_that_stores_only_on_off_refuses_fields(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "boolapp.py").write_text(
        "from fastapi import FastAPI\n"
        "from fastapi_maintenance import MaintenanceModeMiddleware\n"
        "from fastapi_maintenance.backends import BaseStateBackend\n\n"
        "class FlagBackend(BaseStateBackend):\n"
        "    async def get_value(self):\n"
        "        return open('flag').read() == 'up'\n"
        "    async def set_value(self, value):\n"
        "        open('flag', 'w').write('up' if value else 'down')\n\n"
        "app = FastAPI()\n"
        "app.add_middleware(MaintenanceModeMiddleware, backend=FlagBackend())\n",
        encoding="utf-8",
    )
    (tmp_path / "flag").write_text("down")
    refused = run_cli("--app", "boolapp:app", "on", "--message", "x")
    assert refused.exit_code == EXIT_USAGE
    assert "FlagBackend" in refused.error_line()
    assert (tmp_path / "flag").read_text() == "down"
    plain = run_cli("--app", "boolapp:app", "on")
    assert plain.exit_code == EXIT_OK, plain.stderr
    assert (tmp_path / "flag").read_text() == "up"


# -- status -----------------------------------------------------------------------------


def test_status_shows_every_field_and_the_time_left(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "state"
    run_cli(
        "on", "--file-path", str(state), "-m", "Upgrade", "--for", "2h", "-r", "PG 17", "--actor", "ann@ops"
    )
    record = stored(state)
    assert record.until is not None
    assert record.since is not None
    ran = run_cli("status", "--file-path", str(state))
    lines = ran.stdout.splitlines()
    assert lines[:2] == ["maintenance mode: on", f"backend:          file://{state} -> on"]
    assert lines[2] == "message:          Upgrade"
    assert re.fullmatch(
        re.escape(f"until:            {record.until.isoformat()} (")
        + r"(2h|1h 59m 5\ds)"
        + re.escape(" left)"),
        lines[3],
    ), lines[3]
    assert lines[4:7] == [
        "reason:           PG 17",
        "actor:            ann@ops",
        f"since:            {record.since.isoformat()}",
    ]
    assert lines[7].startswith("window:")
    data = json.loads(run_cli("status", "--file-path", str(state), "--json").stdout)
    assert data["maintenance"] is True
    assert data["reason"] == "backend", "the decision's reason keeps its key; the record's is inside 'record'"
    assert data["record"] == {
        "active": True,
        "message": "Upgrade",
        "until": record.until.isoformat(),
        "reason": "PG 17",
        "actor": "ann@ops",
        "since": record.since.isoformat(),
        "seconds_left": data["record"]["seconds_left"],
        "ended": False,
    }
    assert 7190 <= data["record"]["seconds_left"] <= 7200


def test_status_shows_an_end_that_has_passed_as_ended(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "state"
    past = datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)
    state.write_text(encode_state(MaintenanceState(True, message="Upgrade", until=past, actor="ann@ops")))
    ran = run_cli("status", "--file-path", str(state), "--exit-code")
    assert ran.exit_code == EXIT_OK, "ended: maintenance is off"
    assert ran.stdout.splitlines()[:4] == [
        "maintenance mode: off",
        f"backend:          file://{state} -> off",
        "message:          Upgrade",
        f"until:            {past.isoformat()} (ended)",
    ]
    record = json.loads(run_cli("status", "--file-path", str(state), "--json").stdout)["record"]
    assert (record["seconds_left"], record["ended"]) == (0, True)
    assert state.read_text() == encode_state(
        MaintenanceState(True, message="Upgrade", until=past, actor="ann@ops")
    )


def test_status_of_a_plain_state_is_as_before(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.write_text("1")
    data = json.loads(run_cli("status", "--file-path", str(state), "--json").stdout)
    assert "record" not in data
    assert len(run_cli("status", "--file-path", str(state)).stdout.splitlines()) == 4


# -- the audit line ------------------------------------------------------------------------


def test_every_switch_logs_the_audit_line_with_the_actor(
    run_cli: RunCli, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fastapi_maintenance.audit")
    state = tmp_path / "state"
    run_cli("on", "--file-path", str(state), "-m", "Upgrade", "--until", "2999-01-01T00:00Z", "-r", "PG 17")
    run_cli("off", "--file-path", str(state), "--actor", "bob@ops")
    run_cli("on", "--file-path", str(state))
    lines = [record for record in caplog.records if record.name == "fastapi_maintenance.audit"]
    fields = [
        (line.action, line.active, line.client_message, line.until, line.reason, line.actor, line.backend)  # type: ignore[attr-defined]
        for line in lines
    ]
    assert fields == [
        ("set", True, "Upgrade", "2999-01-01T00:00:00+00:00", "PG 17", default_actor(), f"file://{state}"),
        ("set", False, None, None, None, "bob@ops", f"file://{state}"),
        ("set", True, None, None, None, None, f"file://{state}"),
    ]
    assert "by bob@ops" in lines[1].getMessage()


def test_library_warnings_still_stay_off_the_log_while_the_command_runs(
    run_cli: RunCli, caplog: pytest.LogCaptureFixture
) -> None:
    ran = run_cli("status", env={"FASTAPI_MAINTENANCE_MODE": "perhaps"})
    assert ran.stderr.startswith("warning: ")
    assert not [record for record in caplog.records if record.name.startswith("fastapi_maintenance")]
