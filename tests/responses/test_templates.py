"""Response templates: strict at start-up, a fallback at request time, and the whole notice as variables."""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List

import pytest
from fastapi import FastAPI
from starlette.types import Message

from fastapi_maintenance import MaintenanceConfigError, MaintenanceModeMiddleware, MaintenanceState
from fastapi_maintenance.builtin_page import PAGE_TITLE
from fastapi_maintenance.notice import TEMPLATE_VARIABLES, Notice
from fastapi_maintenance.template import MAX_TEMPLATE_BYTES, ResponseTemplate
from tests.responses.driving import BROWSER_ACCEPT, DEFAULT_BODY, Clock, answer, read_page, responder
from tests.support.apps import echo_app
from tests.support.asgi import client_for

UTC = timezone.utc
NOW = datetime(2031, 6, 1, 2, 35, tzinfo=UTC)
SAMPLE = Notice("Back soon", "3600", 3600)


def write(folder: Path, text: str, name: str = "maintenance.html") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("source", "line", "name"),
    [
        ("<h1>{{ message }}</h1>\n<p>{{ mesage }}</p>\n", 2, "mesage"),
        ("<p>\n\n{{ nothing.at.all }}</p>", 3, "nothing"),
        ("{% if until %}{{ untill }}{% endif %}", 1, "untill"),  # also in a branch no sample takes
        ("{{ reason }}", 1, "reason"),  # internal: never shown to clients
        ("{{ actor }}", 1, "actor"),
    ],
)
def test_an_unknown_name_is_a_start_up_error_naming_it(
    tmp_path: Path, source: str, line: int, name: str
) -> None:
    path = write(tmp_path, source)
    with pytest.raises(MaintenanceConfigError) as caught:
        ResponseTemplate(path, SAMPLE)
    text = str(caught.value)
    assert str(path) in text
    assert f"line {line}" in text
    assert f"'{name}' is undefined" in text
    assert "message, retry_after, retry_after_seconds, seconds_left, until, since, path" in text


@pytest.mark.parametrize(
    ("source", "named"),
    [
        ("Try again in {{ retry_after + 60 }} seconds", "TypeError"),
        ('Back at {{ until.strftime("%H:%M") }}', "without an end time"),
        ("{% if until %}{{ since.year + message }}{% endif %}", "with an end time"),
        ("{{ retry_after_seconds // 0 }}", "ZeroDivisionError"),
    ],
)
def test_a_template_that_fails_with_sample_values_stops_the_start_up(
    tmp_path: Path, source: str, named: str
) -> None:
    path = write(tmp_path, source)
    with pytest.raises(MaintenanceConfigError) as caught:
        ResponseTemplate(path, SAMPLE)
    assert str(path) in str(caught.value)
    assert named in str(caught.value)
    assert "(line 1)" in str(caught.value)


def test_jinja_constructs_and_globals_are_fine(tmp_path: Path) -> None:
    source = (
        "{% set greeting = 'Hi' %}{% macro box(x) %}[{{ x }}]{% endmacro %}"
        "{% for i in range(2) %}{{ loop.index }}{% endfor %}{{ box(greeting) }}"
        "{% if until %}{{ until.strftime('%H:%M') }} ({{ seconds_left // 60 }} min){% endif %}"
        "{{ message|upper }}"
    )
    template = ResponseTemplate(write(tmp_path, source), SAMPLE)
    assert template.render(SAMPLE, "/") == "12[Hi]BACK SOON"


def test_the_template_sees_the_whole_notice(tmp_path: Path) -> None:
    source = "\n".join(f"{name}={{{{ {name} }}}}" for name in TEMPLATE_VARIABLES)
    template = ResponseTemplate(write(tmp_path, source), SAMPLE)
    until = datetime(2031, 6, 1, 5, 0, tzinfo=timezone(timedelta(hours=2)))
    notice = Notice("Upgrade", "1500", 1500, until, NOW - timedelta(minutes=5))
    lines = dict(line.split("=", 1) for line in template.render(notice, "/a&b").splitlines())
    assert lines == {
        "message": "Upgrade",
        "retry_after": "1500",
        "retry_after_seconds": "1500",
        "seconds_left": "1500",
        "until": "2031-06-01 03:00:00+00:00",
        "since": "2031-06-01 02:30:00+00:00",
        "path": "/a&amp;b",
    }
    plain = dict(line.split("=", 1) for line in template.render(SAMPLE, "/").splitlines())
    assert (plain["seconds_left"], plain["until"], plain["since"]) == ("None", "None", "None")


def test_a_non_utf8_template_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.html"
    path.write_bytes("<h1>Maintenance</h1>\n<p>Café fermé</p>\n".encode("latin-1"))
    with pytest.raises(
        MaintenanceConfigError, match=r"latin1\.html is not UTF-8 text \(byte 0xe9 on line 2\)"
    ):
        ResponseTemplate(path, SAMPLE)
    with pytest.raises(MaintenanceConfigError, match=r"latin1\.html is not UTF-8"):
        MaintenanceModeMiddleware.from_config(None, response={"template": str(path)})


def test_only_a_regular_file_of_a_sane_size_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    with pytest.raises(MaintenanceConfigError, match=r"pipe\.html: not a regular file"):
        ResponseTemplate(fifo, SAMPLE)  # returns at once: a FIFO without a writer is never waited for
    with pytest.raises(MaintenanceConfigError, match="not a regular file"):
        ResponseTemplate(tmp_path, SAMPLE)
    big = tmp_path / "big.html"
    big.write_bytes(b"x" * (MAX_TEMPLATE_BYTES + 1))
    with pytest.raises(MaintenanceConfigError, match=r"big\.html is larger than 1048576 bytes"):
        ResponseTemplate(big, SAMPLE)
    write(tmp_path, "x" * MAX_TEMPLATE_BYTES, "just-fits.html")
    ResponseTemplate(tmp_path / "just-fits.html", SAMPLE)


@pytest.mark.anyio
async def test_a_failure_at_request_time_sends_the_built_in_page_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path, "<h1>{{ message.encode('ascii').decode() }}</h1>")
    target = responder(Clock(NOW), template=path)
    assert "<h1>Service temporarily unavailable" in (await answer(target, accept="text/html")).text
    state = MaintenanceState(active=True, message="Wartung läuft")
    with caplog.at_level(logging.ERROR, logger="fastapi_maintenance"):
        for _ in range(3):
            got = await answer(target, state, accept=BROWSER_ACCEPT)
            assert got.status == 503
            assert got.headers["content-type"] == "text/html; charset=utf-8"
            page = read_page(got.text)
            assert page.one("h1").text == PAGE_TITLE, "the built-in page"
            assert "Wartung läuft" in got.text
    failures = [record for record in caplog.records if "failed to render" in record.message]
    assert len(failures) == 1
    assert str(path) in failures[0].message
    assert failures[0].exc_info is not None
    assert failures[0].exc_info[0] is UnicodeEncodeError
    json_answer = await answer(target, state)
    assert json_answer.json() == {"detail": "Wartung läuft"}, "JSON clients are not affected"


@pytest.mark.anyio
async def test_template_responses_carry_the_page_headers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "<p>{{ message }}: {{ retry_after_seconds }} s{% if until %}, until {{ until }}{% endif %}</p>",
    )
    clock = Clock(NOW)
    target = responder(clock, template=path, retry_after=NOW + timedelta(minutes=2))
    got = await answer(target, accept="text/html")
    assert got.text == "<p>Service temporarily unavailable due to maintenance: 120 s</p>"
    assert got.headers["retry-after"] == "Sun, 01 Jun 2031 02:37:00 GMT"
    assert got.headers["refresh"] == "120"
    assert got.headers["vary"] == "Accept"
    assert got.headers["cache-control"] == "no-store"
    assert "content-security-policy" not in got.headers, "a template's own assets are the author's business"
    state = MaintenanceState(active=True, message="<Upgrade>", until=NOW + timedelta(seconds=30))
    got = await answer(target, state, accept="text/html")
    assert got.text == "<p>&lt;Upgrade&gt;: 30 s, until 2031-06-01 02:35:30+00:00</p>"
    assert (got.headers["retry-after"], got.headers["refresh"]) == ("30", "30")
    assert (await answer(target)).body == DEFAULT_BODY


# --- through the middleware ---


async def _lifespan_start(app: Any) -> List[Dict[str, Any]]:
    sent: List[Dict[str, Any]] = []
    messages: List[Message] = [{"type": "lifespan.startup"}]

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(dict(message))

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    return sent


@pytest.mark.anyio
async def test_a_misspelt_variable_fails_the_lifespan_start_up(tmp_path: Path) -> None:
    path = write(tmp_path, "<h1>{{ mesage }}</h1>")
    middleware = MaintenanceModeMiddleware(
        FastAPI(), enable_maintenance=True, response={"template": str(path)}
    )
    sent = await _lifespan_start(middleware)
    assert [message["type"] for message in sent] == ["lifespan.startup.failed"]
    assert str(path) in sent[0]["message"]
    assert "'mesage' is undefined" in sent[0]["message"]


@pytest.mark.anyio
async def test_browsers_and_api_clients_through_the_middleware(tmp_path: Path) -> None:
    path = write(tmp_path, "<h1>{{ message }}</h1><p>{{ retry_after_seconds }}</p>")
    with_template = echo_app(
        "/orders", enable_maintenance=True, response={"template": str(path)}, retry_after=600
    )
    built_in = echo_app("/orders", enable_maintenance=True)
    async with client_for(with_template) as http:
        page = await http.get("/orders", headers={"Accept": BROWSER_ACCEPT})
        assert page.status_code == 503
        assert page.text == "<h1>Service temporarily unavailable due to maintenance</h1><p>600</p>"
        assert (page.headers["refresh"], page.headers["vary"]) == ("300", "Accept")
        data = await http.get("/orders", headers={"Accept": "application/json"})
        assert data.content == DEFAULT_BODY
    async with client_for(built_in) as http:
        page = await http.get("/orders", headers={"Accept": BROWSER_ACCEPT})
        assert page.status_code == 503
        assert read_page(page.text).one("h1").text == PAGE_TITLE
        assert page.headers["content-security-policy"].startswith("default-src 'none'")
        data = await http.get("/orders")
        assert data.content == DEFAULT_BODY
        assert data.headers["vary"] == "Accept"
