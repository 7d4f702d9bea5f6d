"""The named regressions under a real uvicorn on 127.0.0.1, with raw request lines (no client normalising).

The server runs ``tests.routes.served_routes:app`` with ``FASTAPI_MAINTENANCE_MODE=1`` and
``maintenance_paths = ["/exports/**"]``; a second server runs it with maintenance off.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import List, Tuple
from urllib.parse import urlsplit

import pytest

from tests.routes.served_routes import ran
from tests.routes.test_router_agreement import CLOSED_WHILE_ON, OPEN_WHILE_ON
from tests.support.servers import uvicorn_server

pytestmark = [pytest.mark.http, pytest.mark.timeout(90)]

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = "tests.routes.served_routes:app"


def raw_get(base_url: str, target: str, host: str = "testserver") -> Tuple[int, str]:
    """Send ``GET target`` byte for byte (``//``, ``%2F`` and ``..`` stay as written); status and body."""
    address = urlsplit(base_url)
    assert address.hostname == "127.0.0.1"
    with socket.create_connection((address.hostname, address.port or 80), timeout=10) as connection:
        request = f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        connection.sendall(request.encode("latin-1"))
        chunks: List[bytes] = []
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, body.decode(errors="replace")


def test_maintenance_on_under_uvicorn() -> None:
    env = {"FASTAPI_MAINTENANCE_MODE": "1"}
    with uvicorn_server(APP, cwd=REPO_ROOT, env=env, probe_path="/orders/abc") as base_url:
        for path, endpoint in CLOSED_WHILE_ON:
            status, body = raw_get(base_url, path)
            assert (status, ran(body)) == (503, None), (path, endpoint, body)
        for path, endpoint in OPEN_WHILE_ON:
            status, body = raw_get(base_url, path)
            assert (status, ran(body)) == (200, endpoint), path
        assert raw_get(base_url, "/panel", host="admin.example.com") == (200, "ran:host_panel")
        assert raw_get(base_url, "/api/users/7/avatar") == (200, "ran:avatar")


def test_maintenance_off_under_uvicorn_still_closes_forced_routes_and_maintenance_paths() -> None:
    with uvicorn_server(APP, cwd=REPO_ROOT, probe_path="/orders/abc") as base_url:
        for path in ("/exports/a", "/exports/2024/a.csv", "/exports/a/", "/exports//a", "/exports/a%2F"):
            status, body = raw_get(base_url, path)
            assert (status, ran(body)) == (503, None), path
        for path in ("/downloads/a", "/downloads/2024/a.zip", "/downloads//a", "/downloads/a%2F"):
            status, body = raw_get(base_url, path)
            assert (status, ran(body)) == (503, None), path
        assert raw_get(base_url, "/reset", host="admin.example.com")[0] == 503
        for path, endpoint in CLOSED_WHILE_ON:
            status, body = raw_get(base_url, path)
            assert (status, ran(body)) == (200, endpoint), path


def test_root_path_under_uvicorn() -> None:
    env = {"FASTAPI_MAINTENANCE_MODE": "1"}
    extra = ["--root-path", "/proxy"]
    # The proxy strips /proxy; uvicorn puts it back in front of the path and in root_path.
    with uvicorn_server(APP, cwd=REPO_ROOT, env=env, extra_args=extra, probe_path="/orders/abc") as base_url:
        for path in (
            "/files/2024/report.pdf",
            "/files//x",
            "/api/users/7",
            "/app/settings",
            "/sub/static/a/b",
        ):
            status, body = raw_get(base_url, path)
            assert (status, ran(body)) == (503, None), path
        assert raw_get(base_url, "/orders/abc") == (200, "ran:order_by_slug")
        assert raw_get(base_url, "/sub/status") == (200, "ran:sub_status")
