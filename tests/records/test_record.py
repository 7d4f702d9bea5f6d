"""The record itself: checks, the switch that builds the next record, and the stored text."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastapi_maintenance import MaintenanceState
from fastapi_maintenance.backends._parse import parse_record
from fastapi_maintenance.record import OFF, ON, decode_record, encode_state, switched_state

NOW = datetime(2026, 12, 24, 2, 0, tzinfo=timezone.utc)

aware = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc)
) | st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-900, 900)),
)
texts = st.none() | st.text(max_size=40)
records = st.builds(
    MaintenanceState,
    active=st.booleans(),
    message=texts,
    until=st.none() | aware,
    reason=texts,
    actor=texts,
    since=st.none() | aware,
)


@given(records)
def test_every_record_survives_its_stored_text(record: MaintenanceState) -> None:
    text = encode_state(record)
    assert parse_record(text) == record
    if record.is_plain:
        assert text == ("1" if record.active else "0")
    else:
        assert text.startswith("{")


@pytest.mark.parametrize("text", ["1", "0", "on", "OFF", " yes\n", "", "true", "f"])
def test_old_texts_read_as_plain_records(text: str) -> None:
    record = parse_record(text)
    assert record in (ON, OFF)
    assert record is not None
    assert record.is_plain


def test_a_stored_record_is_a_json_object_of_the_set_fields() -> None:
    record = MaintenanceState(True, message="Database upgrade", until=NOW, since=NOW - timedelta(hours=1))
    assert encode_state(record) == (
        '{"active":true,"message":"Database upgrade","until":"2026-12-24T02:00:00+00:00",'
        '"since":"2026-12-24T01:00:00+00:00"}'
    )
    assert decode_record('{"active": true, "until": "2026-12-24T02:00:00Z", "later": 1}').until == NOW


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{", "not a JSON object"),
        ("[1]", "not a JSON object"),
        ('{"message": "x"}', '"active" must be true or false'),
        ('{"active": 1}', '"active" must be true or false'),
        ('{"active": true, "message": 3}', '"message" must be a string'),
        ('{"active": true, "until": "tomorrow"}', '"until" is not an RFC 3339 date-time'),
        ('{"active": true, "until": "2026-12-24T03:00:00"}', '"until" has no time zone offset'),
    ],
)
def test_unreadable_records_are_named(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        decode_record(text)
    assert parse_record(text) is None


def test_naive_datetimes_are_refused_in_a_record() -> None:
    with pytest.raises(ValueError, match="until must be timezone-aware"):
        MaintenanceState(True, until=datetime(2026, 12, 24, 3, 0))


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"until": NOW + timedelta(hours=1), "duration": 60}, ValueError, "either until= or duration="),
        ({"until": datetime(2026, 12, 24, 3, 0)}, ValueError, "until= must be timezone-aware"),
        ({"until": NOW - timedelta(seconds=1)}, ValueError, "until= is not in the future"),
        ({"until": NOW}, ValueError, "until= is not in the future"),
        ({"duration": 0}, ValueError, "duration= must be positive"),
        ({"duration": timedelta(minutes=-5)}, ValueError, "duration= must be positive"),
        ({"duration": float("inf")}, ValueError, "finite number of seconds"),
        ({"duration": "30m"}, TypeError, "duration= must be a timedelta or a number"),
        ({"duration": True}, TypeError, "duration= must be a timedelta or a number"),
        ({"until": "2026-12-24"}, TypeError, "until= must be a timezone-aware datetime"),
        ({"message": 5}, TypeError, "message= must be a string"),
    ],
)
def test_bad_switch_arguments_are_named(kwargs: dict, error: type, fragment: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(error, match=fragment):
        switched_state(True, None, now=NOW, **kwargs)


def test_switching_off_refuses_fields_that_only_apply_when_on() -> None:
    with pytest.raises(ValueError, match="only apply when switching maintenance on"):
        switched_state(False, None, message="back soon", now=NOW)
    assert switched_state(False, None, reason="done", actor="ops", now=NOW) == MaintenanceState(
        False, reason="done", actor="ops"
    )


def test_since_starts_at_the_switch_on_and_is_kept_while_on() -> None:
    first = switched_state(True, OFF, message="upgrade", now=NOW)
    assert first.since == NOW
    later = NOW + timedelta(minutes=10)
    second = switched_state(True, first, message="still upgrading", duration=600, now=later)
    assert second.since == NOW
    assert second.until == later + timedelta(minutes=10)
    assert second.message == "still upgrading"
    # Once the first record's until has passed, a switch on is a new start.
    ended = MaintenanceState(True, message="x", until=NOW + timedelta(minutes=1), since=NOW)
    third = switched_state(True, ended, message="again", now=NOW + timedelta(minutes=2))
    assert third.since == NOW + timedelta(minutes=2)


def test_a_bare_switch_is_the_plain_record_0_0_5_stored() -> None:
    assert switched_state(True, None, now=NOW) is ON
    assert switched_state(False, ON, now=NOW) is OFF
    assert switched_state(True, ON, message="m", now=NOW).since is None  # on since an unknown moment


def test_in_effect_ends_at_until() -> None:
    record = MaintenanceState(True, until=NOW)
    assert record.in_effect(NOW - timedelta(microseconds=1))
    assert not record.in_effect(NOW)
    assert not MaintenanceState(False).in_effect(NOW)
