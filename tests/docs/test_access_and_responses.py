"""docs/exemptions.md and docs/responses.md."""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path
from typing import Any, List, Tuple

import pytest
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from fastapi_maintenance import (
    MaintenanceConfigError,
    MaintenanceModeMiddleware,
    MaintenanceSettings,
    force_maintenance_mode_on,
    load_settings,
)
from fastapi_maintenance.settings import compile_path_globs, format_retry_after
from tests.docs.markdown_blocks import ROOT, doc_block
from tests.docs.runner import BROWSER_ACCEPT, MAINTENANCE_BODY, client, load_block, run_python, write_block
from tests.docs.shell import run_block
from tests.support.apps import echo_app, echo_endpoint

EXEMPTIONS = "docs/exemptions.md"
RESPONSES = "docs/responses.md"
SECRET = "Vq4xW8s2YtN7mP3kL9aB"


# --- exemptions ---


@pytest.mark.anyio
async def test_path_globs_from_the_toml_block(sandbox: Path) -> None:
    settings, path = load_block(EXEMPTIONS, "paths-toml", sandbox)
    assert settings.exempt_paths == ["/health*", "/admin/**", "/static/**"]
    assert settings.maintenance_paths == ["/exports/**"]
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware.from_config(path, enable_maintenance=False))
    for route in ("/healthz", "/admin/users/{user}", "/exports/{name}", "/shop"):
        app.add_api_route(route, echo_endpoint(route))
    async with client(app) as http:
        assert (await http.get("/shop")).status_code == 200
        assert (await http.get("/exports/all.csv")).status_code == 503, "always in maintenance"


def _glob_table() -> List[List[str]]:
    text = (ROOT / EXEMPTIONS).read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`/"):
            rows.append(cells)
    return rows


def test_every_row_of_the_glob_table() -> None:
    rows = _glob_table()
    assert len(rows) == 6
    for pattern_cell, matches, misses in rows:
        pattern = pattern_cell.strip("`")
        matcher = compile_path_globs([pattern])
        assert matcher is not None
        for path in re.findall(r"`([^`]+)`", matches):
            assert matcher(path), f"{pattern} should match {path}"
        for path in re.findall(r"`([^`]+)`", misses):
            assert not matcher(path), f"{pattern} should not match {path}"


@pytest.mark.anyio
async def test_exempt_callback(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_python(EXEMPTIONS, "callback")["app"]
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    async with client(app) as http:
        assert (await http.get("/orders")).status_code == 503
        assert (await http.get("/orders", headers={"X-Internal-Tool": "deploy-bot"})).status_code == 200
        assert (await http.get("/orders", headers={"X-Internal-Tool": "someone"})).status_code == 503
        assert (await http.get("/status")).json() == {"status": "maintenance"}


@pytest.mark.anyio
async def test_a_raising_callback_is_logged_and_not_exempt(caplog: pytest.LogCaptureFixture) -> None:
    def broken(request: Any) -> bool:
        raise RuntimeError("bug in the callback")

    app = echo_app("/orders", enable_maintenance=True, exempt_callback=broken)
    with caplog.at_level(logging.ERROR, logger="fastapi_maintenance"):
        async with client(app) as http:
            assert (await http.get("/orders")).status_code == 503
    assert "exempt_callback raised" in caplog.text


@pytest.mark.anyio
async def test_docs_urls_follow_the_app_and_can_be_blocked(sandbox: Path) -> None:
    app = FastAPI(docs_url="/api-docs", openapi_url="/api/openapi.json")
    app.add_middleware(MaintenanceModeMiddleware, enable_maintenance=True)
    async with client(app) as http:
        assert (await http.get("/api-docs")).status_code == 200
        assert (await http.get("/api/openapi.json")).status_code == 200
    settings, path = load_block(EXEMPTIONS, "exempt-docs", sandbox)
    assert settings.exempt_docs is False
    blocked = FastAPI()
    blocked.add_middleware(MaintenanceModeMiddleware.from_config(path, enable_maintenance=True))
    async with client(blocked) as http:
        assert (await http.get("/docs")).status_code == 503


@pytest.mark.anyio
async def test_allowed_ips(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_python(EXEMPTIONS, "allowed-ips")["app"]
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    for peer, status in [
        ("203.0.113.7", 200),
        ("10.20.30.40", 200),
        ("2001:db8::1", 200),
        ("::ffff:10.1.2.3", 200),
        ("203.0.113.8", 503),
    ]:
        async with client(app, peer=peer) as http:
            assert (await http.get("/orders")).status_code == status, peer


def test_a_range_with_host_bits_is_rejected_with_the_right_form() -> None:
    with pytest.raises(MaintenanceConfigError, match=r"'10\.0\.0\.0/8'"):
        load_settings(allowed_ips=["10.1.2.3/8"])


@pytest.mark.anyio
async def test_trusted_proxies_as_the_page_describes(sandbox: Path) -> None:
    _, path = load_block(EXEMPTIONS, "proxies", sandbox)
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware.from_config(path, enable_maintenance=True))
    app.add_api_route("/orders", echo_endpoint("/orders"))
    cases = [
        ("198.51.100.9", {"X-Forwarded-For": "203.0.113.7"}, 503),  # untrusted peer: header ignored
        ("203.0.113.7", {"X-Forwarded-For": "198.51.100.9"}, 200),  # judged by the peer address
        ("10.2.2.2", {"X-Forwarded-For": "203.0.113.7, 10.1.1.1"}, 200),
        ("10.2.2.2", {"X-Forwarded-For": "203.0.113.7, 198.51.100.1"}, 503),
        ("10.2.2.2", {"Forwarded": "for=203.0.113.7"}, 503),  # not the named header
        ("10.2.2.2", {"X-Forwarded-For": "203.0.113.7, unknown"}, 503),
        ("10.2.2.2", {"X-Forwarded-For": "[[garbage"}, 503),
    ]
    for peer, headers, status in cases:
        async with client(app, peer=peer) as http:
            assert (await http.get("/orders", headers=headers)).status_code == status, (peer, headers)


@pytest.mark.anyio
async def test_a_proxy_writing_forwarded_as_the_page_describes(sandbox: Path) -> None:
    _, path = load_block(EXEMPTIONS, "proxies-forwarded", sandbox)
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware.from_config(path, enable_maintenance=True))
    app.add_api_route("/orders", echo_endpoint("/orders"))
    cases = [
        ({"Forwarded": "for=203.0.113.7"}, 200),
        ({"X-Forwarded-For": "203.0.113.7"}, 503),  # passed through from the client: forged
        ({"X-Forwarded-For": "203.0.113.7", "Forwarded": "for=198.51.100.1"}, 503),
    ]
    for headers, status in cases:
        async with client(app, peer="10.2.2.2") as http:
            assert (await http.get("/orders", headers=headers)).status_code == status, headers


def test_bypass_secret_and_generator_lines(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_block(doc_block(EXEMPTIONS, "bypass-secret"), sandbox, monkeypatch)
    assert result.exported == {"FASTAPI_MAINTENANCE_BYPASS__SECRET": SECRET}
    settings = load_settings()
    assert settings.bypass is not None
    assert settings.bypass.secret.get_secret_value() == SECRET
    assert SECRET not in repr(settings)
    assert "**********" in repr(settings.bypass)
    run_block(doc_block(EXEMPTIONS, "bypass-generate"), sandbox, monkeypatch)
    with pytest.raises(MaintenanceConfigError, match=r"bypass\.secret"):
        load_settings(bypass={"secret": "too-short"})


@pytest.mark.anyio
async def test_bypass_link_header_and_cookie(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_BYPASS__SECRET", SECRET)
    app = echo_app("/orders", enable_maintenance=True)
    link_line = doc_block(EXEMPTIONS, "bypass-link").code
    url = re.search(r'"(http://[^"]+)"', link_line)
    assert url is not None
    async with client(app, base_url="http://127.0.0.1:8000") as http:
        link = await http.get(url.group(1))
        shown = doc_block(EXEMPTIONS, "bypass-link-response").code.strip().splitlines()
        assert shown[0] == f"HTTP/1.1 {link.status_code} {link.reason_phrase}"
        real = [
            (name.decode(), value.decode()) for name, value in link.headers.raw if name != b"content-length"
        ]
        shown_headers = [tuple(line.split(": ", 1)) for line in shown[1:]]
        assert [name for name, _ in shown_headers] == [name for name, _ in real]
        for (name, shown_value), (_, real_value) in zip(shown_headers, real):
            if name == "set-cookie":  # the signed value differs on every run; its form and flags do not
                pattern = re.escape(shown_value).replace(
                    re.escape(shown_value.split(";")[0].split("=", 1)[1]), "[A-Za-z0-9_-]{55}"
                )
                assert re.fullmatch(pattern, real_value), real_value
                assert SECRET not in real_value
            else:
                assert shown_value == real_value
        http.cookies.clear()
        assert (await http.get("/orders")).status_code == 503
        cookie = link.headers["set-cookie"].split(";")[0]
        assert (await http.get("/orders", headers={"Cookie": cookie})).status_code == 200
        wrong = await http.get("/orders?maintenance_bypass=not-the-secret-at-all")
        assert wrong.status_code == 503
        assert wrong.text == MAINTENANCE_BODY
    async with client(app, base_url="https://127.0.0.1:8000") as https:
        secure = await https.get(url.group(1).replace("http://127.0.0.1:8000", ""))
        assert secure.headers["set-cookie"].endswith("; Secure")
    header_block = doc_block(EXEMPTIONS, "bypass-header")
    run_block(header_block, sandbox, monkeypatch)
    header = re.search(r'-H "([^:]+): ([^"]+)"', header_block.code)
    assert header is not None
    async with client(app) as http:
        response = await http.get("/orders", headers={header.group(1): header.group(2)})
        assert response.status_code == 200
        assert "set-cookie" not in response.headers
    run_block(doc_block(EXEMPTIONS, "bypass-link"), sandbox, monkeypatch)


@pytest.mark.anyio
async def test_bypass_names_from_the_file_and_the_secret_from_the_environment(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_BYPASS__SECRET", SECRET)
    settings, path = load_block(EXEMPTIONS, "bypass-toml", sandbox)
    assert settings.bypass is not None
    assert settings.bypass.max_age == 3600
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware.from_config(path, enable_maintenance=True))
    app.add_api_route("/orders", echo_endpoint("/orders"))
    async with client(app) as http:
        link = await http.get(f"/orders?letmein={SECRET}")
        assert link.status_code == 307
        assert link.headers["set-cookie"].startswith("ops_bypass=")
        assert "Max-Age=3600" in link.headers["set-cookie"]
        http.cookies.clear()
        assert (await http.get("/orders", headers={"X-Ops-Bypass": SECRET})).status_code == 200
        assert (await http.get("/orders", headers={"X-Maintenance-Bypass": SECRET})).status_code == 503


@pytest.mark.anyio
async def test_cors_preflight_is_let_through() -> None:
    app = echo_app("/orders", enable_maintenance=True)
    app.add_middleware(CORSMiddleware, allow_origins=["https://shop.example"], allow_methods=["*"])
    preflight = {"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
    async with client(app) as http:
        assert (await http.options("/orders", headers=preflight)).status_code == 200


@pytest.mark.anyio
async def test_read_only(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app: FastAPI = run_python(EXEMPTIONS, "read-only")["app"]

    @app.get("/exports")
    @force_maintenance_mode_on
    async def exports() -> List[str]:
        return []

    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    async with client(app) as http:
        assert (await http.get("/articles")).status_code == 200
        assert (await http.post("/articles")).status_code == 503
        assert (await http.get("/exports")).status_code == 503, "forced on: blocked for every method"


# --- responses ---


@pytest.mark.anyio
async def test_message_status_and_retry_after(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from_kwargs = run_python(RESPONSES, "message-status")["app"]
    _, path = load_block(RESPONSES, "message-status-toml", sandbox)
    from_file = FastAPI()
    from_file.add_middleware(MaintenanceModeMiddleware.from_config(path))
    from_file.add_api_route("/", echo_endpoint("/"))
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    for app in (from_kwargs, from_file):
        async with client(app) as http:
            response = await http.get("/")
        assert response.status_code == 503
        assert response.json() == {"detail": "We are upgrading the database, back at 14:00 UTC"}
        assert response.headers["retry-after"] == "1800"
        assert response.headers["cache-control"] == "no-store"


def test_retry_after_date(sandbox: Path) -> None:
    settings, _ = load_block(RESPONSES, "retry-after-date", sandbox)
    assert format_retry_after(settings.retry_after) == "Thu, 02 Jan 2031 03:04:05 GMT"
    text = (ROOT / RESPONSES).read_text(encoding="utf-8")
    assert "`Retry-After: Thu, 02 Jan 2031 03:04:05 GMT`" in text


@pytest.mark.anyio
async def test_template_for_browsers_json_for_the_rest(sandbox: Path) -> None:
    _, config = load_block_with_template(sandbox)
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware.from_config(config, enable_maintenance=True))
    app.add_api_route("/shop/<cart>", echo_endpoint("/shop"))
    async with client(app) as http:
        page = await http.get("/shop/<cart>", headers={"Accept": BROWSER_ACCEPT})
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["retry-after"] == "600"
        assert page.headers["cache-control"] == "no-store"
        assert "<h1>Back in a few minutes</h1>" in page.text
        assert "Please try again in 600 seconds." in page.text
        assert "You asked for /shop/&lt;cart&gt;." in page.text, "autoescaped"
        for accept in ("application/json", "*/*", "application/json, text/html;q=0.5", None):
            headers = {"Accept": accept} if accept is not None else {}
            data = await http.get("/shop/<cart>", headers=headers)
            assert data.headers["content-type"] == "application/json", accept
            assert data.json() == {"detail": "Back in a few minutes"}


def load_block_with_template(sandbox: Path) -> Tuple[MaintenanceSettings, Path]:
    (sandbox / "maintenance.html").write_text(doc_block(RESPONSES, "template-html").code, encoding="utf-8")
    return load_block(RESPONSES, "template-toml", sandbox)


def test_template_problems_stop_the_app_at_start_up(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_block(doc_block(RESPONSES, "template-toml"), sandbox)
    with pytest.raises(MaintenanceConfigError, match=r"maintenance\.html"):
        MaintenanceModeMiddleware.from_config(config)  # the file is missing
    (sandbox / "maintenance.html").write_text("<h1>{{ message </h1>\n", encoding="utf-8")
    with pytest.raises(MaintenanceConfigError, match="line 1"):
        MaintenanceModeMiddleware.from_config(config)
    (sandbox / "maintenance.html").write_text("<h1>{{ message }}</h1>\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "jinja2", None)
    with pytest.raises(MaintenanceConfigError, match=r"fastapi-maintenance\[templates\]"):
        MaintenanceModeMiddleware.from_config(config)


@pytest.mark.anyio
async def test_response_callback(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = run_python(RESPONSES, "callback")["app"]
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    async with client(app) as http:
        response = await http.get("/orders")
    assert response.status_code == 503
    assert response.json() == {
        "error": "maintenance",
        "path": "/orders",
        "status_page": "https://status.example.com",
    }
    assert response.headers["retry-after"] == "900"
    assert response.headers["cache-control"] == "no-store"

    def returns_nothing(request: Any) -> Any:
        return {"not": "a response"}

    broken = echo_app("/orders", enable_maintenance=True, response_callback=returns_nothing)
    async with client(broken) as http:
        fallback = await http.get("/orders")
    assert fallback.status_code == 503
    assert fallback.text == MAINTENANCE_BODY
    assert "not a Response" in caplog.text
