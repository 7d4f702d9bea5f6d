"""Screenshots of the built-in maintenance page, light and dark, for docs/responses.md.

Serves the real maintenance response (the responder with a sample maintenance
record and a fixed clock) with uvicorn on 127.0.0.1, and photographs it with
headless Chromium, so the images show exactly what a browser gets, headers
(Content-Security-Policy included) and all.

Needs: Chromium on PATH (Debian: ``apt-get install chromium``) and this package
installed with its dev extra (uvicorn). Installs nothing.

    python scripts/screenshot_page.py [--out docs/images] [--width 960] [--height 640]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import List, Optional

import uvicorn
from starlette.types import Receive, Scope, Send

from fastapi_maintenance import MaintenanceState
from fastapi_maintenance.responses import MaintenanceResponder, MaintenanceResponses
from fastapi_maintenance.rules import Reason

ROOT = Path(__file__).resolve().parents[1]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
NOW = datetime(2031, 6, 1, 2, 35, tzinfo=timezone.utc)
SAMPLE = MaintenanceState(
    active=True,
    message="We are upgrading the database to make checkout faster. Your basket is safe.",
    until=NOW + timedelta(minutes=25),
    since=NOW - timedelta(minutes=35),
    reason="not shown to clients",
    actor="ops@example",
)


class SamplePage:
    """An ASGI app answering every request as the middleware would while ``SAMPLE`` is in effect."""

    def __init__(self) -> None:
        clock = NOW.timestamp
        self.responder = MaintenanceResponder(MaintenanceResponses(clock=clock), None, None, clock=clock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.responder(scope, receive, send, Reason.BACKEND, SAMPLE)


def find_browser() -> Optional[str]:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Serving:
    """uvicorn in a thread on a free loopback port, stopped on exit."""

    def __init__(self) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            SamplePage(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise SystemExit("the sample server did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}/"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def shoot(browser: str, url: str, out: Path, width: int, height: int, dark: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="maintenance-shot-") as profile:
        command: List[str] = [
            browser,
            "--headless",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            f"--screenshot={out}",
        ]
        if os.geteuid() == 0:
            command.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        if dark:
            command.append("--force-dark-mode")  # prefers-color-scheme: dark
        command.append(url)
        env = {**os.environ, "TZ": "UTC", "LANG": "en_US.UTF-8"}
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
        if result.returncode != 0 or not out.is_file():
            raise SystemExit(f"{browser} failed ({result.returncode}):\n{result.stderr[-2000:]}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="folder for the PNG files")
    parser.add_argument("--width", type=int, default=960)
    parser.add_argument("--height", type=int, default=640)
    args = parser.parse_args(argv)
    browser = find_browser()
    if browser is None:
        print(
            "needs headless Chromium on PATH (one of: " + ", ".join(BROWSERS) + "); "
            "on Debian: apt-get install chromium",
            file=sys.stderr,
        )
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with Serving() as url:
        for scheme in ("light", "dark"):
            out = args.out / f"maintenance-page-{scheme}.png"
            shoot(browser, url, out, args.width, args.height, dark=scheme == "dark")
            print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
