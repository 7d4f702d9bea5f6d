"""The JSON answer and Retry-After, from the settings alone, from a maintenance record and from a window."""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime, timedelta, timezone
from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastapi_maintenance import MaintenanceState
from fastapi_maintenance.access import Window, WindowSchedule
from fastapi_maintenance.rules import Reason
from tests.responses.driving import DEFAULT_BODY, Clock, answer, responder

UTC = timezone.utc
NOW = datetime(2031, 6, 1, 2, 0, tzinfo=UTC)


@pytest.mark.anyio
async def test_without_any_field_the_body_is_the_one_0_0_5_sent() -> None:
    target = responder(Clock(NOW))
    for state in (
        None,
        MaintenanceState(active=True),
        MaintenanceState(active=True, reason="db", actor="ops"),
    ):
        got = await answer(target, state)
        assert got.status == 503
        assert got.body == DEFAULT_BODY, state
        assert got.headers["content-type"] == "application/json"
        assert got.headers["retry-after"] == "3600"
        assert got.headers["cache-control"] == "no-store"
        assert got.headers["vary"] == "Accept"
        assert "refresh" not in got.headers
        assert "until" not in got.text


@pytest.mark.anyio
async def test_the_states_message_replaces_the_configured_one() -> None:
    target = responder(Clock(NOW), message="Configured")
    got = await answer(target, MaintenanceState(active=True, message='Zurück um 03:00 <b>"bald"</b>'))
    assert got.json() == {"detail": 'Zurück um 03:00 <b>"bald"</b>'}
    assert "Zurück".encode() in got.body, "UTF-8 as FastAPI sends it, not \\u escapes"
    assert got.headers["retry-after"] == "3600", "no end known: the configured Retry-After"
    assert (await answer(target, MaintenanceState(active=True))).json() == {"detail": "Configured"}


@pytest.mark.anyio
async def test_until_counts_retry_after_down_and_is_in_the_body() -> None:
    clock = Clock(NOW)
    target = responder(clock)
    until = datetime(2031, 6, 1, 5, 30, tzinfo=timezone(timedelta(hours=2)))  # 03:30 UTC
    state = MaintenanceState(active=True, message="Database upgrade", until=until, since=NOW)
    got = await answer(target, state)
    assert got.json() == {"detail": "Database upgrade", "until": "2031-06-01T03:30:00+00:00"}
    assert datetime.fromisoformat(got.json()["until"]) == until
    assert got.headers["retry-after"] == "5400"
    for offset, expected in [(0.4, "5400"), (1, "5399"), (5399, "1"), (5399.999, "1")]:
        clock.set(NOW + timedelta(seconds=offset))
        assert (await answer(target, state)).headers["retry-after"] == expected, offset


@pytest.mark.anyio
async def test_a_state_that_is_not_in_effect_says_nothing() -> None:
    """A forced-on route while the stored state is off or has ended: the settings speak, not the old record."""
    clock = Clock(NOW)
    target = responder(clock)
    off = MaintenanceState(active=False, message="old news", until=NOW + timedelta(hours=1))
    ended = MaintenanceState(active=True, message="ended", until=NOW)
    for state in (off, ended):
        got = await answer(target, state, reason=Reason.ROUTE_FORCED_ON)
        assert got.body == DEFAULT_BODY
        assert got.headers["retry-after"] == "3600"


@pytest.mark.anyio
async def test_a_configured_date_stays_an_http_date() -> None:
    clock = Clock(NOW)
    target = responder(clock, retry_after=datetime(2031, 6, 1, 3, 0, tzinfo=UTC))
    got = await answer(target)
    assert got.body == DEFAULT_BODY
    assert got.headers["retry-after"] == "Sun, 01 Jun 2031 03:00:00 GMT"
    state = MaintenanceState(active=True, until=NOW + timedelta(minutes=10))
    assert (await answer(target, state)).headers["retry-after"] == "600", "a known end wins over the setting"


@pytest.mark.anyio
async def test_a_window_gives_its_message_start_and_end() -> None:
    clock = Clock(NOW)
    windows = [
        Window(NOW - timedelta(minutes=5), NOW + timedelta(hours=1), "Planned upgrade"),
        Window(NOW + timedelta(hours=3), NOW + timedelta(hours=4)),
    ]
    target = responder(clock, WindowSchedule(windows, clock=clock))
    got = await answer(target, reason=Reason.WINDOW)
    assert got.json() == {"detail": "Planned upgrade", "until": "2031-06-01T03:00:00+00:00"}
    assert got.headers["retry-after"] == "3600"
    clock.set(NOW + timedelta(hours=3, minutes=30))
    got = await answer(target, reason=Reason.WINDOW)
    assert got.json() == {
        "detail": "Service temporarily unavailable due to maintenance",
        "until": "2031-06-01T06:00:00+00:00",
    }
    assert got.headers["retry-after"] == "1800"


@pytest.mark.anyio
async def test_the_backend_record_speaks_when_the_backend_is_what_is_on() -> None:
    """Inside a window but switched on in the backend as well: the request was decided on the record."""
    clock = Clock(NOW)
    schedule = WindowSchedule([Window(NOW, NOW + timedelta(hours=1), "Window")], clock=clock)
    target = responder(clock, schedule)
    state = MaintenanceState(active=True, message="Operator", until=NOW + timedelta(minutes=5))
    got = await answer(target, state, reason=Reason.BACKEND)
    assert got.json()["detail"] == "Operator"
    assert got.headers["retry-after"] == "300"


@pytest.mark.anyio
async def test_a_message_that_cannot_be_sent_falls_back_once_logged(caplog: pytest.LogCaptureFixture) -> None:
    target = responder(Clock(NOW))
    broken = MaintenanceState(active=True, message="lone surrogate \ud800")
    with caplog.at_level(logging.ERROR, logger="fastapi_maintenance"):
        for accept in (None, "text/html"):
            got = await answer(target, broken, accept=accept)
            assert got.status == 503
            assert got.body == DEFAULT_BODY
    failures = [
        record for record in caplog.records if "building the maintenance response failed" in record.message
    ]
    assert len(failures) == 1, "logged once"


@settings(max_examples=200, deadline=None)
@given(
    message=st.one_of(st.none(), st.text(max_size=200)),
    seconds_left=st.one_of(st.none(), st.floats(min_value=0.001, max_value=10 * 365 * 86400)),
    offset_minutes=st.integers(min_value=-14 * 60, max_value=14 * 60),
)
@pytest.mark.anyio
async def test_any_record_gives_valid_json_and_a_retry_after_that_never_goes_below_one(
    message: Optional[str], seconds_left: Optional[float], offset_minutes: int
) -> None:
    clock = Clock(NOW)
    target = responder(clock)
    until = None
    if seconds_left is not None:
        until = (NOW + timedelta(seconds=seconds_left)).astimezone(
            timezone(timedelta(minutes=offset_minutes))
        )
    got = await answer(target, MaintenanceState(active=True, message=message, until=until))
    document = json.loads(got.body)
    assert document["detail"] == (
        message if message is not None else "Service temporarily unavailable due to maintenance"
    )
    if until is None:
        assert set(document) == {"detail"}
        assert got.headers["retry-after"] == "3600"
    else:
        assert set(document) == {"detail", "until"}
        assert datetime.fromisoformat(document["until"]) == until
        assert document["until"].endswith("+00:00")
        expected = max(1, math.ceil(until.timestamp() - clock.now))
        assert got.headers["retry-after"] == str(expected)
