"""Moments beyond what a date-time in UTC can hold are refused where they come in, never stored."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from fastapi_maintenance import MaintenanceState
from fastapi_maintenance.record import OFF, decode_record, switched_state
from tests.records.test_record_durations import put_is_refused

NOW = datetime(2026, 12, 24, 2, 0, tzinfo=timezone.utc)
#: A local time still in year 9999 that is in year 10000 once converted to UTC (and one before year 1).
BEYOND_UTC = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5)))
BEFORE_UTC = datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=5)))


def test_an_until_beyond_utc_is_refused_by_the_switch() -> None:
    with pytest.raises(ValueError, match=r"until=.*out of range"):
        switched_state(True, OFF, until=BEYOND_UTC, now=NOW)


@pytest.mark.parametrize("field", ["until", "since"])
@pytest.mark.parametrize("moment", [BEYOND_UTC, BEFORE_UTC])
def test_a_record_refuses_moments_beyond_utc(field: str, moment: datetime) -> None:
    with pytest.raises(ValueError, match=rf"{field} .*out of range"):
        MaintenanceState(True, **{field: moment})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="out of range"):
        decode_record(json.dumps({"active": True, field: moment.isoformat()}))


@pytest.mark.anyio
async def test_the_admin_api_answers_422_for_an_until_beyond_utc() -> None:
    await put_is_refused({"active": True, "until": BEYOND_UTC.isoformat()})
