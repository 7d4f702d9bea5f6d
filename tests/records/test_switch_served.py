"""A switch with a message and an end, end to end: written by the installed command (a real process) or by
``set_maintenance_mode``, served by the real middleware under a real uvicorn on 127.0.0.1.

What a client sees while it lasts (the JSON ``detail`` and ``until``, a ``Retry-After`` counting down, the
built-in page for a browser), what ``status`` prints, the actor reaching the serving worker's change line,
and, once ``until`` has passed, a 200 with nothing written by anyone.
"""

from __future__ import annotations

import html
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

import anyio
import httpx
import pytest

from fastapi_maintenance import MaintenanceState, set_maintenance_mode
from fastapi_maintenance.backends import LocalFileBackend
from fastapi_maintenance.cli.switch_fields import default_actor
from fastapi_maintenance.notice import refresh_seconds
from tests.support.cli import Ran, run_cli_process
from tests.support.servers import uvicorn_server

pytestmark = [pytest.mark.http, pytest.mark.anyio, pytest.mark.timeout(120)]

#: Long enough for a command process to start on a busy machine, short enough to wait for.
LASTS = 8
MESSAGE = 'Database upgrade <b>& "friends"</b>, back soon'
STATE_FILE = "state.flag"

SERVED_APP = """\
import logging

from fastapi import FastAPI

from fastapi_maintenance import MaintenanceModeMiddleware

# The worker's own log: the change line it writes when it sees the record change in the file.
library_log = logging.getLogger("fastapi_maintenance")
library_log.addHandler(logging.FileHandler("worker.log"))
library_log.setLevel(logging.INFO)

app = FastAPI()
app.add_middleware(MaintenanceModeMiddleware)  # ./maintenance.toml, as the command reads it too


@app.get("/")
def home() -> dict:
    return {"hello": "world"}
"""


@dataclass(frozen=True)
class FileFingerprint:
    content: bytes
    inode: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> FileFingerprint:
        status = path.stat()
        return cls(path.read_bytes(), status.st_ino, status.st_mtime_ns)


def served_folder(tmp_path: Path) -> Path:
    (tmp_path / "servedapp.py").write_text(SERVED_APP, encoding="utf-8")
    (tmp_path / "maintenance.toml").write_text(
        f'backend = {{ type = "file", path = "{STATE_FILE}" }}\n', encoding="utf-8"
    )
    return tmp_path


def command(folder: Path, *args: str) -> Ran:
    """The installed console script, run in the app's folder (it finds ./maintenance.toml as the app does)."""
    return run_cli_process(args, cwd=folder)


async def switch_on(way: str, folder: Path) -> Optional[str]:
    """Switch on with the message and an end ``LASTS`` seconds away; return the actor it should record."""
    if way == "command --for":  # the actor left to its default
        ran = await anyio.to_thread.run_sync(
            lambda: command(folder, "on", "--message", MESSAGE, "--for", f"{LASTS}s", "--reason", "PG 17")
        )
        assert ran.exit_code == 0, ran.stderr
        assert ran.stdout.startswith("maintenance mode: off -> on (file://")
        return default_actor()
    until = datetime.now(timezone.utc) + timedelta(seconds=LASTS)
    if way == "command --until":
        stamp = until.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        ran = await anyio.to_thread.run_sync(
            lambda: command(
                folder, "on", "-m", MESSAGE, "--until", stamp, "--actor", "ann@ops", "-r", "PG 17"
            )
        )
        assert ran.exit_code == 0, ran.stderr
        return "ann@ops"
    await set_maintenance_mode(
        True,
        LocalFileBackend(folder / STATE_FILE),
        message=MESSAGE,
        until=until,
        reason="PG 17",
        actor="ann@ops",
    )
    return "ann@ops"


async def first_answer(http: httpx.AsyncClient, status: int, within: float) -> httpx.Response:
    deadline = time.monotonic() + within
    while True:
        response = await http.get("/")
        if response.status_code == status or time.monotonic() > deadline:
            return response
        await anyio.sleep(0.05)


def seconds_left(until: datetime) -> float:
    return (until - datetime.now(timezone.utc)).total_seconds()


@pytest.mark.parametrize("way", ["command --for", "command --until", "set_maintenance_mode"])
async def test_a_switch_with_a_message_and_an_end_is_served_then_ends_by_itself(
    way: str, tmp_path: Path
) -> None:
    folder = served_folder(tmp_path)
    state_file = folder / STATE_FILE
    with uvicorn_server("servedapp:app", cwd=folder) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=5.0) as http:
            assert (await http.get("/")).status_code == 200
            actor = await switch_on(way, folder)
            written = FileFingerprint.of(state_file)
            record = await LocalFileBackend(state_file).get_state()
            assert (record.active, record.message, record.reason, record.actor) == (
                True,
                MESSAGE,
                "PG 17",
                actor,
            )
            assert record.until is not None
            assert record.since is not None

            # While it lasts: the message and the end, in JSON ...
            first = await first_answer(http, 503, within=3.0)
            left_then = seconds_left(record.until)
            assert first.status_code == 503
            assert first.json() == {
                "detail": MESSAGE,
                "until": record.until.astimezone(timezone.utc).isoformat(),
            }
            retry_first = int(first.headers["retry-after"])
            assert math.ceil(left_then) <= retry_first <= math.ceil(left_then) + 1
            assert "Accept" in first.headers["vary"]

            # ... and on the built-in page for a browser.
            page = await http.get("/", headers={"Accept": "text/html,application/xhtml+xml;q=0.9"})
            assert page.status_code == 503
            assert page.headers["content-type"].startswith("text/html")
            assert html.escape(MESSAGE) in page.text
            assert MESSAGE not in page.text, "the message is escaped"
            assert f'datetime="{record.until.astimezone(timezone.utc).isoformat()}"' in page.text
            assert 'role="timer"' in page.text
            assert int(page.headers["refresh"]) == refresh_seconds(int(page.headers["retry-after"]))
            assert "Accept" in page.headers["vary"]

            # The countdown counts down.
            await anyio.sleep(1.2)
            later = await http.get("/")
            assert later.status_code == 503
            assert int(later.headers["retry-after"]) < retry_first

            # status prints every field and the time left.
            status = await anyio.to_thread.run_sync(lambda: command(folder, "status"))
            assert status.exit_code == 0, status.stderr
            lines = status.stdout.splitlines()
            assert lines[0] == "maintenance mode: on"
            assert f"message:          {MESSAGE}" in lines
            assert "reason:           PG 17" in lines
            assert f"actor:            {actor}" in lines
            assert f"since:            {record.since.astimezone(timezone.utc).isoformat()}" in lines
            [until_line] = [line for line in lines if line.startswith("until:")]
            assert until_line.startswith(
                f"until:            {record.until.astimezone(timezone.utc).isoformat()} ("
            )
            assert until_line.endswith("s left)")

            # After until: a 200 within a second, and nobody wrote anything.
            await anyio.sleep(max(0.0, seconds_left(record.until)))
            after = await first_answer(http, 200, within=1.0)
            assert after.status_code == 200, after.text
            assert after.json() == {"hello": "world"}
            assert FileFingerprint.of(state_file) == written

            ended = await anyio.to_thread.run_sync(lambda: command(folder, "status", "--exit-code"))
            assert ended.exit_code == 0, "ended: maintenance is off"
            assert ended.stdout.splitlines()[:2] == [
                "maintenance mode: off",
                f"backend:          file://{state_file} -> off",
            ]
            assert (
                f"until:            {record.until.astimezone(timezone.utc).isoformat()} (ended)"
                in ended.stdout
            )
            assert FileFingerprint.of(state_file) == written, "status reads, never writes"

    # The serving worker saw the change, actor and all, in its own log.
    worker_log = (folder / "worker.log").read_text(encoding="utf-8")
    assert f"Maintenance state changed in file://{state_file}: off -> on" in worker_log
    assert f"actor={actor!r}" in worker_log


async def test_the_command_switching_off_with_a_reason_is_served_at_once(tmp_path: Path) -> None:
    folder = served_folder(tmp_path)
    with uvicorn_server("servedapp:app", cwd=folder) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=5.0) as http:
            on = await anyio.to_thread.run_sync(lambda: command(folder, "on", "-m", MESSAGE, "--for", "1h"))
            assert on.exit_code == 0, on.stderr
            assert (await first_answer(http, 503, within=3.0)).json()["detail"] == MESSAGE
            off = await anyio.to_thread.run_sync(lambda: command(folder, "off", "--reason", "done early"))
            assert off.exit_code == 0, off.stderr
            assert off.stdout.splitlines() == [
                f"maintenance mode: on -> off (file://{folder / STATE_FILE})",
                "reason:           done early",
                f"actor:            {default_actor()}",
            ]
            assert (await first_answer(http, 200, within=3.0)).status_code == 200
    stored = await LocalFileBackend(folder / STATE_FILE).get_state()
    assert stored == MaintenanceState(False, reason="done early", actor=default_actor())
    assert "reason='done early'" in (folder / "worker.log").read_text(encoding="utf-8")
