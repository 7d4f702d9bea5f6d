"""Scheduled maintenance windows: edges, time zones, merging, injected clocks."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone, tzinfo
from typing import List, Optional, Tuple
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastapi_maintenance.access.windows import Window, WindowSchedule

UTC = timezone.utc
SECOND = timedelta(seconds=1)
ZONES: List[tzinfo] = [
    UTC,
    timezone(timedelta(hours=5, minutes=30)),
    timezone(timedelta(hours=-8)),
    ZoneInfo("America/New_York"),
    ZoneInfo("Asia/Tokyo"),
]


def at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@pytest.mark.parametrize("window_zone", ZONES, ids=str)
@pytest.mark.parametrize("now_zone", [UTC, ZoneInfo("Europe/Paris")], ids=str)
def test_edges_of_a_window(window_zone: tzinfo, now_zone: tzinfo) -> None:
    # 2030-03-10 is a DST change in New York: 01:00 EST to 03:30 EDT is 1.5 h, not 2.5 h.
    start = datetime(2030, 3, 10, 1, 0, tzinfo=window_zone)
    end = datetime(2030, 3, 10, 3, 30, tzinfo=window_zone)
    window = Window(start, end, "database upgrade")
    schedule = WindowSchedule([window])

    def check(moment: datetime, active: bool, retry: Optional[int]) -> None:
        local = moment.astimezone(now_zone)
        assert (schedule.active(local) is window) is active
        assert schedule.is_active(local) is active
        assert schedule.retry_after_seconds(local) == retry

    length = int(end.timestamp() - start.timestamp())
    check(start - SECOND, False, None)
    check(start, True, length)
    check(start + SECOND, True, length - 1)
    check(end - SECOND, True, 1)
    check(end, False, None)
    check(end + SECOND, False, None)
    assert schedule.next((start - SECOND).astimezone(now_zone)) is window
    assert schedule.next(start.astimezone(now_zone)) is None  # active is not "next"
    assert schedule.next(end) is None


def test_injected_clock_is_used_when_no_time_is_given() -> None:
    start = datetime(2030, 1, 1, 9, tzinfo=ZoneInfo("Asia/Tokyo"))
    now = [start.timestamp() - 1]
    schedule = WindowSchedule([Window(start, start + timedelta(minutes=10))], clock=lambda: now[0])
    assert schedule.active() is None
    assert schedule.retry_after_seconds() is None
    assert schedule.next() is not None
    now[0] += 1
    assert schedule.active() is not None
    assert schedule.retry_after_seconds() == 600
    now[0] += 599.5
    assert schedule.retry_after_seconds() == 1
    now[0] += 0.5
    assert not schedule.is_active()
    assert "no scheduled" in schedule.describe()


def test_retry_after_rounds_up_and_is_at_least_one() -> None:
    end = datetime(2030, 1, 1, 12, tzinfo=UTC)
    schedule = WindowSchedule([Window(end - timedelta(hours=1), end)])
    assert schedule.retry_after_seconds(end - timedelta(seconds=1.5)) == 2
    assert schedule.retry_after_seconds(end - timedelta(microseconds=1)) == 1
    assert schedule.retry_after_seconds(end - timedelta(seconds=59.000001)) == 60


def test_dst_fold_is_compared_as_instants() -> None:
    new_york = ZoneInfo("America/New_York")
    # 01:30 happens twice on 2024-11-03: first EDT (05:30 UTC), then EST (06:30 UTC).
    first = datetime(2024, 11, 3, 1, 30, tzinfo=new_york)
    second = first.replace(fold=1)
    window = Window(first, second)
    schedule = WindowSchedule([window])
    assert schedule.active(datetime(2024, 11, 3, 6, 0, tzinfo=UTC)) is window
    assert schedule.retry_after_seconds(datetime(2024, 11, 3, 6, 0, tzinfo=UTC)) == 1800
    assert schedule.active(datetime(2024, 11, 3, 6, 30, tzinfo=UTC)) is None
    with pytest.raises(ValueError, match="must be after"):
        Window(second, first)


def test_empty_schedule() -> None:
    schedule = WindowSchedule([])
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert not schedule
    assert len(schedule) == 0
    assert schedule.active(now) is None
    assert schedule.next(now) is None
    assert schedule.retry_after_seconds(now) is None
    assert not schedule.is_active(now)
    assert schedule.describe(now) == "no scheduled maintenance window"


def test_overlapping_touching_and_contained_windows_merge() -> None:
    t = datetime(2030, 6, 1, tzinfo=UTC)
    paris = ZoneInfo("Europe/Paris")  # UTC+2 in June
    hours = [timedelta(hours=h) for h in range(12)]
    windows = [
        Window(t + hours[4], t + hours[5], "b"),
        Window(t + hours[1], t + hours[3]),
        Window((t + hours[2]).astimezone(paris), (t + hours[4]).astimezone(paris), "a"),  # overlaps, touches
        Window(t + hours[2] + hours[1] / 2, t + hours[3], "inner"),  # contained, starts later than "a"
        Window(t + hours[7], t + hours[8]),
        Window(t + hours[9], t + hours[10], "late"),
        Window(t + hours[9], t + hours[11]),
    ]
    schedule = WindowSchedule(windows)
    assert len(schedule) == 3
    merged = schedule.windows
    assert (merged[0].start, merged[0].end, merged[0].message) == (t + hours[1], t + hours[5], "a")
    assert (merged[1].start, merged[1].end, merged[1].message) == (t + hours[7], t + hours[8], None)
    assert (merged[2].start, merged[2].end, merged[2].message) == (t + hours[9], t + hours[11], "late")
    assert schedule.retry_after_seconds(t + hours[2]) == 3 * 3600  # counts to the merged end
    assert schedule.active(t + hours[6]) is None
    assert schedule.next(t + hours[6]) is merged[1]
    assert list(schedule) == list(merged)
    assert "active window" in schedule.describe(t + hours[2])
    assert schedule.describe(t + hours[6]).startswith("next window 2030-06-01T07:00:00+00:00")


@pytest.mark.parametrize(
    ("start", "end", "fragment"),
    [
        (
            datetime(2030, 1, 1),
            datetime(2030, 1, 2, tzinfo=UTC),
            "start 2030-01-01T00:00:00 has no time zone",
        ),
        (datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 2), "end 2030-01-02T00:00:00 has no time zone"),
        (datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC), "must be after"),
        (datetime(2030, 1, 2, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC), "must be after"),
        ("2030-01-01T00:00:00Z", datetime(2030, 1, 1, tzinfo=UTC), "must be a datetime"),
    ],
)
def test_bad_windows_are_refused_with_the_problem_named(
    start: datetime, end: datetime, fragment: str
) -> None:
    with pytest.raises(ValueError, match=fragment):
        Window(start, end)


def test_bad_inputs_to_the_schedule() -> None:
    with pytest.raises(ValueError, match="message"):
        Window(datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 2, tzinfo=UTC), 5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="window #1"):
        WindowSchedule([Window(datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 2, tzinfo=UTC)), "x"])  # type: ignore[list-item]
    schedule = WindowSchedule([Window(datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 2, tzinfo=UTC))])
    with pytest.raises(ValueError, match="now 2030-01-01T12:00:00 has no time zone"):
        schedule.active(datetime(2030, 1, 1, 12))


BASE = datetime(2030, 1, 1, tzinfo=UTC).timestamp()
spans = st.lists(
    st.tuples(st.integers(0, 200), st.integers(1, 40), st.sampled_from(range(len(ZONES)))),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(spans, st.integers(-10, 260))
def test_schedule_agrees_with_the_plain_windows(raw: List[Tuple[int, int, int]], offset: int) -> None:
    windows = [
        Window(at(BASE + s).astimezone(ZONES[z]), at(BASE + s + length).astimezone(ZONES[z]))
        for s, length, z in raw
    ]
    schedule = WindowSchedule(windows)
    now = at(BASE + offset).astimezone(ZONES[offset % len(ZONES)])
    covered = any(w.start <= now < w.end for w in windows)
    active = schedule.active(now)
    assert (active is not None) is covered
    merged = schedule.windows
    for left, right in zip(merged, merged[1:]):
        assert left.end < right.start  # sorted, disjoint, not touching
    if active is not None:
        # the merged end is the first instant after now not covered by any window
        end = active.end
        assert not any(w.start <= end < w.end for w in windows)
        step = now
        while step < end:
            assert any(w.start <= step < w.end for w in windows)
            step += SECOND
        assert schedule.retry_after_seconds(now) == math.ceil((end - now).total_seconds())
    else:
        assert schedule.retry_after_seconds(now) is None
        upcoming = [w.start for w in windows if w.start > now]
        following = schedule.next(now)
        assert (following.start if following else None) == (min(upcoming) if upcoming else None)
