"""docs/responses.md: the record's message and end, the built-in page, template variables, the headers table.

The older examples of the page (message, Retry-After, the template for browsers, the callback) are
run by test_access_and_responses.py.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List

import pytest

from fastapi_maintenance import MaintenanceModeMiddleware, MaintenanceState
from fastapi_maintenance.notice import REFRESH_MAX_SECONDS, REFRESH_MIN_SECONDS, TEMPLATE_VARIABLES
from fastapi_maintenance.responses import MaintenanceResponder
from tests.docs.markdown_blocks import ROOT, doc_block
from tests.docs.runner import BROWSER_ACCEPT, write_block
from tests.responses.driving import Answer, Clock, answer

RESPONSES = "docs/responses.md"
UTC = timezone.utc
NOW = datetime(2031, 6, 1, 2, 0, tzinfo=UTC)


def page_text() -> str:
    return (ROOT / RESPONSES).read_text(encoding="utf-8")


def _template_responder(sandbox: Path, clock: Clock, **overrides: object) -> MaintenanceResponder:
    """The responder compiled from the page's config and template blocks."""
    (sandbox / "maintenance.html").write_text(doc_block(RESPONSES, "template-html").code, encoding="utf-8")
    config = write_block(doc_block(RESPONSES, "template-toml"), sandbox)
    return MaintenanceModeMiddleware.from_config(config, clock=clock, **overrides).plan.responder


@pytest.mark.anyio
async def test_the_json_with_a_message_and_an_end() -> None:
    clock = Clock(NOW)
    responder = MaintenanceModeMiddleware.from_config(None, clock=clock).plan.responder
    state = MaintenanceState(
        active=True,
        message="Database upgrade, back at 03:00 UTC",
        until=datetime(2031, 6, 1, 3, 0, tzinfo=UTC),
        reason="migration 42",
        actor="ops@example",
    )
    got = await answer(responder, state)
    assert got.text + "\n" == doc_block(RESPONSES, "json-until").code
    assert got.headers["retry-after"] == "3600"
    assert "migration 42" not in got.text
    assert "ops@example" not in got.text


@pytest.mark.anyio
async def test_the_template_example_with_an_end_and_with_a_date(sandbox: Path) -> None:
    clock = Clock(NOW)
    responder = _template_responder(sandbox, clock)
    state = MaintenanceState(active=True, until=datetime(2031, 6, 1, 3, 0, tzinfo=UTC))
    page = await answer(responder, state, accept=BROWSER_ACCEPT)
    assert "<h1>Back in a few minutes</h1>" in page.text
    assert "<p>We expect to be back at 03:00 UTC.</p>" in page.text
    assert "<p>Please try again in 3600 seconds.</p>" in page.text
    # A Retry-After date: the example prints seconds, not "try again in Thu, 02 Jan 2031 ... seconds".
    dated = _template_responder(sandbox, clock, retry_after="2031-06-01T02:02:00Z")
    page = await answer(dated, accept=BROWSER_ACCEPT)
    assert page.headers["retry-after"] == "Sun, 01 Jun 2031 02:02:00 GMT"
    assert "<p>Please try again in 120 seconds.</p>" in page.text
    assert "We expect" not in page.text


def test_the_variables_table_lists_exactly_what_a_template_sees() -> None:
    text = page_text()
    section = text[text.index("The template sees these variables") :]
    rows = re.findall(r"^\| `([a-z_]+)` \|", section.split("\n\n", 2)[1], flags=re.MULTILINE)
    assert sorted(rows) == sorted(TEMPLATE_VARIABLES)


def test_the_refresh_bounds_in_the_text() -> None:
    text = " ".join(page_text().split())
    assert f"at least every {REFRESH_MAX_SECONDS} seconds" in text
    assert f"at most every {REFRESH_MIN_SECONDS} seconds" in text


def _headers_table() -> Dict[str, List[str]]:
    text = page_text()
    section = text[text.index("## Headers") :]
    table: Dict[str, List[str]] = {}
    for line in section.splitlines()[1:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`"):
            table[cells[0].strip("`").split(":")[0]] = cells[1:4]
    return table


@pytest.mark.anyio
async def test_the_headers_table_matches_the_responses(sandbox: Path) -> None:
    table = _headers_table()
    assert set(table) == {"Retry-After", "Cache-Control", "Vary", "Refresh", "Content-Security-Policy"}
    clock = Clock(NOW)
    built_in = MaintenanceModeMiddleware.from_config(None, clock=clock).plan.responder
    templated = _template_responder(sandbox, clock)
    answers: List[Answer] = [
        await answer(built_in),
        await answer(built_in, accept=BROWSER_ACCEPT),
        await answer(templated, accept=BROWSER_ACCEPT),
    ]
    assert answers[1].headers["content-type"].startswith("text/html")
    for header, cells in table.items():
        for got, cell in zip(answers, cells):
            assert (header.lower() in got.headers) == (cell == "yes"), (header, cell)


def test_the_screenshots_exist() -> None:
    text = page_text()
    for scheme in ("light", "dark"):
        name = f"images/maintenance-page-{scheme}.png"
        assert f"]({name})" in text
        assert (ROOT / "docs" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_until_in_the_json_is_rfc3339_utc() -> None:
    document = json.loads(doc_block(RESPONSES, "json-until").code)
    until = datetime.fromisoformat(document["until"])
    assert until.utcoffset() == timedelta(0)
