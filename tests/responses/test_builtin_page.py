"""The built-in page for browsers: its structure, what it shows, and the headers it comes with."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timedelta, timezone
from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastapi_maintenance import MaintenanceState
from fastapi_maintenance.builtin_page import PAGE_TITLE, about
from fastapi_maintenance.notice import REFRESH_MAX_SECONDS, REFRESH_MIN_SECONDS
from fastapi_maintenance.responses import _wants_html as wants_html
from fastapi_maintenance.responses import prefers_html
from tests.responses.driving import (
    BROWSER_ACCEPT,
    DEFAULT_BODY,
    Answer,
    Clock,
    PageParts,
    answer,
    read_page,
    responder,
)

UTC = timezone.utc
NOW = datetime(2031, 6, 1, 2, 35, tzinfo=UTC)
HOSTILE = "<script>alert(\"x\")</script> & <img src=https://evil.example/x.png> 'quoted'"


def check_structure(page: PageParts, message: str) -> None:
    assert page.doctype is not None
    assert page.doctype.lower() == "doctype html"
    assert page.one("html").attrs.get("lang") == "en"
    assert page.one("title").text.strip() == PAGE_TITLE
    assert page.one("h1").text.strip() == PAGE_TITLE
    metas = page.all("meta")
    assert any(meta.attrs.get("charset", "").lower() == "utf-8" for meta in metas)
    viewport = [meta for meta in metas if meta.attrs.get("name") == "viewport"]
    assert len(viewport) == 1
    assert "width=device-width" in viewport[0].attrs["content"]
    for element in page.elements:  # self-contained: nothing is fetched from anywhere
        assert "src" not in element.attrs, element
        assert "href" not in element.attrs, element
        assert element.tag not in ("link", "img", "iframe", "object", "embed", "base"), element
    style = page.one("style").text
    assert "@media (prefers-color-scheme: dark)" in style
    assert "color-scheme: light dark" in style
    assert "@media (max-width:" in style, "narrow screens get their own layout"
    shown = [element for element in page.all("p") if element.attrs.get("class") == "message"]
    assert [element.text for element in shown] == [message], "the message, as text"


def check_csp(got: Answer, page: PageParts) -> None:
    """The policy allows exactly the page's own inline style and script, by hash."""
    policy = got.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert directives["style-src"] == digest(page.one("style").text)
    scripts = page.all("script")
    for script in scripts:
        assert directives["script-src"] == digest(script.text)


@pytest.mark.anyio
async def test_a_browser_gets_the_page_without_an_end_time() -> None:
    got = await answer(responder(Clock(NOW)), accept=BROWSER_ACCEPT)
    assert got.status == 503
    assert got.headers["content-type"] == "text/html; charset=utf-8"
    assert got.headers["retry-after"] == "3600"
    assert got.headers["refresh"] == str(REFRESH_MAX_SECONDS)
    assert got.headers["cache-control"] == "no-store"
    assert got.headers["vary"] == "Accept"
    page = read_page(got.text)
    check_structure(page, "Service temporarily unavailable due to maintenance")
    check_csp(got, page)
    assert page.all("script") == [], "nothing to count down: no script"
    assert page.all("time") == []


@pytest.mark.anyio
async def test_the_page_shows_the_end_time_and_a_countdown() -> None:
    until = NOW + timedelta(minutes=25)
    state = MaintenanceState(active=True, message="Database upgrade", until=until, since=NOW)
    got = await answer(responder(Clock(NOW)), state, accept=BROWSER_ACCEPT)
    assert got.headers["retry-after"] == "1500"
    assert got.headers["refresh"] == "300", "capped"
    page = read_page(got.text)
    check_structure(page, "Database upgrade")
    check_csp(got, page)
    end = page.by_id("end")
    assert end is not None
    assert end.tag == "time"
    assert datetime.fromisoformat(end.attrs["datetime"]) == until
    assert end.text == "Sun 01 Jun 2031, 03:00 UTC", "readable without the script"
    left = page.by_id("left")
    assert left is not None
    assert left.attrs["data-seconds"] == "1500", "the countdown starts from the server's figure"
    assert left.attrs["role"] == "timer"
    assert left.text == "about 25 minutes", "readable without the script"
    (script,) = page.all("script")
    assert 'getElementById("left")' in script.text
    assert "data-seconds" in script.text


@pytest.mark.anyio
async def test_the_message_is_escaped() -> None:
    got = await answer(
        responder(Clock(NOW)), MaintenanceState(active=True, message=HOSTILE), accept="text/html"
    )
    page = read_page(got.text)
    check_structure(page, HOSTILE)
    assert page.all("img") == []
    assert page.all("script") == []
    assert "&lt;script&gt;" in got.text


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("seconds_left", "retry_after", "refresh"),
    [(1500, "1500", "300"), (300, "300", "300"), (60, "60", "60"), (2, "2", str(REFRESH_MIN_SECONDS))],
)
async def test_refresh_follows_retry_after_within_its_bounds(
    seconds_left: int, retry_after: str, refresh: str
) -> None:
    state = MaintenanceState(active=True, until=NOW + timedelta(seconds=seconds_left))
    got = await answer(responder(Clock(NOW)), state, accept="text/html")
    assert (got.headers["retry-after"], got.headers["refresh"]) == (retry_after, refresh)


@pytest.mark.anyio
async def test_refresh_for_configured_seconds_and_dates() -> None:
    clock = Clock(NOW)
    assert (await answer(responder(clock, retry_after=0), accept="text/html")).headers["refresh"] == "5"
    assert (await answer(responder(clock, retry_after=120), accept="text/html")).headers["refresh"] == "120"
    dated = responder(clock, retry_after=NOW + timedelta(seconds=90))
    got = await answer(dated, accept="text/html")
    assert got.headers["retry-after"] == "Sun, 01 Jun 2031 02:36:30 GMT"
    assert got.headers["refresh"] == "90"
    clock.set(NOW + timedelta(seconds=80))
    assert (await answer(dated, accept="text/html")).headers["refresh"] == "10", "counts down to the date"
    clock.set(NOW + timedelta(hours=1))
    assert (await answer(dated, accept="text/html")).headers["refresh"] == "5", "a past date: the floor"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "accept", [None, "application/json", "*/*", "application/json, text/html;q=0.5", "text/html;q=0", ""]
)
async def test_everyone_else_gets_json_with_vary(accept: Optional[str]) -> None:
    got = await answer(responder(Clock(NOW)), accept=accept)
    assert got.body == DEFAULT_BODY
    assert got.headers["vary"] == "Accept"
    assert "refresh" not in got.headers
    assert "content-security-policy" not in got.headers


@pytest.mark.anyio
@pytest.mark.parametrize(
    "accept", ["TEXT/HTML", "application/xhtml+xml", "text/html;q=0.9, application/json;q=0.8"]
)
async def test_html_is_recognised_in_any_spelling(accept: str) -> None:
    got = await answer(responder(Clock(NOW)), accept=accept)
    assert got.headers["content-type"].startswith("text/html")


_MEDIA = st.sampled_from(
    [
        "text/html",
        "TEXT/HTML",
        "application/json",
        "*/*",
        "text/*",
        "application/xhtml+xml",
        "image/webp",
        "x",
    ]
)
_Q = st.one_of(st.none(), st.sampled_from(["0", "0.5", "1", "0.9", "1.0", "bogus", " 0.8 "]))


@st.composite
def accept_headers(draw: st.DrawFn) -> str:
    items = []
    for _ in range(draw(st.integers(min_value=0, max_value=5))):
        q = draw(_Q)
        items.append(draw(_MEDIA) + (f";q={q}" if q is not None else ""))
    return draw(st.sampled_from([",", ", "])).join(items)


@settings(max_examples=300, deadline=None)
@given(accept=st.one_of(accept_headers(), st.text(max_size=60)))
def test_the_quick_look_at_accept_agrees_with_the_full_parse(accept: str) -> None:
    """The shortcut for headers that never mention html is an optimisation only."""
    raw = accept.encode("utf-8")
    assert wants_html([(b"accept", raw)]) == prefers_html(raw.decode("latin-1"))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "less than a minute"),
        (59, "less than a minute"),
        (60, "about 1 minutes"),
        (61, "about 2 minutes"),
        (1500, "about 25 minutes"),
        (89 * 60, "about 89 minutes"),
        (90 * 60, "about 2 hours"),
        (47 * 3600, "about 47 hours"),
        (48 * 3600, "about 2 days"),
    ],
)
def test_the_rough_duration_without_script(seconds: int, text: str) -> None:
    assert about(seconds) == text


def test_the_page_has_no_leftover_placeholders() -> None:
    from fastapi_maintenance.builtin_page import render_page
    from fastapi_maintenance.notice import Notice

    text = render_page(Notice("m", "60", 60, NOW + timedelta(minutes=1), NOW))
    assert not re.search(r"\{[a-z_]+\}", text.split("<script>")[0]), "an f-string field left unfilled"
