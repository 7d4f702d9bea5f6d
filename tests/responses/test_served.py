"""The page and a template's start-up check under a real uvicorn on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from fastapi_maintenance.builtin_page import PAGE_TITLE
from tests.responses.driving import BROWSER_ACCEPT, DEFAULT_BODY, read_page
from tests.support.servers import uvicorn_server

MAIN = """
from fastapi import FastAPI
from fastapi_maintenance import MaintenanceModeMiddleware

app = FastAPI()
app.add_middleware(MaintenanceModeMiddleware, enable_maintenance=True, **OPTIONS)


@app.get("/")
async def root():
    return {"message": "Hello World"}
"""


def main_module(folder: Path, options: str) -> Path:
    (folder / "main.py").write_text(f"OPTIONS = {options}\n{MAIN}", encoding="utf-8")
    return folder


@pytest.mark.http
def test_a_browser_and_curl_against_a_real_server(tmp_path: Path) -> None:
    with uvicorn_server("main:app", cwd=main_module(tmp_path, "{}")) as base_url:
        page = httpx.get(base_url + "/", headers={"Accept": BROWSER_ACCEPT})
        data = httpx.get(base_url + "/")
    assert page.status_code == 503
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert (page.headers["retry-after"], page.headers["refresh"]) == ("3600", "300")
    assert page.headers["vary"] == "Accept"
    assert page.headers["cache-control"] == "no-store"
    assert read_page(page.text).one("h1").text == PAGE_TITLE
    assert data.status_code == 503
    assert data.content == DEFAULT_BODY
    assert data.headers["vary"] == "Accept"


@pytest.mark.http
def test_a_misspelt_template_variable_stops_uvicorn(tmp_path: Path) -> None:
    (tmp_path / "maintenance.html").write_text(
        "<h1>{{ message }}</h1>\n<p>{{ retry_afterr }}</p>\n", encoding="utf-8"
    )
    folder = main_module(tmp_path, '{"response": {"template": "maintenance.html"}}')
    with pytest.raises(RuntimeError) as caught, uvicorn_server("main:app", cwd=folder):
        pass  # pragma: no cover - never starts
    output = str(caught.value)
    assert "server exited" in output
    assert "maintenance.html, line 2: 'retry_afterr' is undefined" in output
