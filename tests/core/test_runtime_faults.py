"""At runtime nothing a backend or a user callable does turns into a 500 or an unbounded wait.

Backend reads and async callbacks are bounded by ``backend_timeout``; then the fault policy (or
the default response) answers. Text states from custom backends go through the on/off parser.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, List, Optional

import anyio
import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastapi_maintenance import MaintenanceModeMiddleware
from fastapi_maintenance.backends import BaseStateBackend, LocalFileBackend
from tests.support.asgi import client_for

TIMEOUT = 0.1
#: Generous: the machine is shared; the point is "bounded", not "fast".
MARGIN = 1.5


class Hanging(BaseStateBackend):
    async def get_value(self) -> bool:
        await anyio.sleep(3600)
        return True  # pragma: no cover

    async def set_value(self, value: bool) -> None:
        await anyio.sleep(3600)  # pragma: no cover


class Texting(BaseStateBackend):
    """A 0.0.5-era custom backend that stores and returns text."""

    def __init__(self, text: Any) -> None:
        self.text = text

    async def get_value(self) -> Any:
        return self.text

    async def set_value(self, value: bool) -> None:
        self.text = "1" if value else "0"


def app_with(backend: BaseStateBackend, **options: Any) -> FastAPI:
    app = FastAPI()
    app.add_api_route("/", lambda: {"ok": True})
    app.add_middleware(MaintenanceModeMiddleware, backend=backend, backend_timeout=TIMEOUT, **options)
    return app


@pytest.mark.anyio
@pytest.mark.parametrize(("policy", "status"), [("closed", 503), ("open", 200), ("last_known", 200)])
async def test_a_hanging_backend_read_is_answered_by_the_fault_policy(
    policy: str, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_with(Hanging(), on_backend_error=policy)
    async with client_for(app) as client:
        for _ in range(3):
            started = time.monotonic()
            assert (await client.get("/")).status_code == status
            assert time.monotonic() - started < TIMEOUT + MARGIN
    warnings = [record for record in caplog.records if "no answer within 0.1 s" in record.getMessage()]
    assert len(warnings) == 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("0", 200),
        ("false", 200),
        ("off", 200),
        (b"0", 200),
        ("1", 503),
        ("true", 503),
        (" on\n", 503),
        ("", 200),
    ],
)
async def test_text_from_a_custom_backend_is_parsed_and_warned_once(
    text: Any, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    async with client_for(app_with(Texting(text))) as client:
        for _ in range(3):
            assert (await client.get("/")).status_code == status
    warned = [record for record in caplog.records if "instead of a bool" in record.getMessage()]
    assert len(warned) == 1


@pytest.mark.anyio
async def test_unrecognised_text_is_a_backend_fault(caplog: pytest.LogCaptureFixture) -> None:
    async with client_for(app_with(Texting("maybe"), on_backend_error="closed")) as client:
        assert (await client.get("/")).status_code == 503
    async with client_for(app_with(Texting("maybe"), on_backend_error="open")) as client:
        assert (await client.get("/")).status_code == 200
    assert any("not an on/off value" in record.getMessage() for record in caplog.records)


@pytest.mark.anyio
async def test_peek_returning_text_is_parsed_too() -> None:
    class PeekingText(Texting):
        def peek(self) -> Any:
            return self.text

    async with client_for(app_with(PeekingText("0"))) as client:
        assert (await client.get("/")).status_code == 200
    async with client_for(app_with(PeekingText("1"))) as client:
        assert (await client.get("/")).status_code == 503


def _read_in_thread(backend: LocalFileBackend) -> List[Any]:
    outcome: List[Any] = []

    def read() -> None:
        try:
            outcome.append(asyncio.run(backend.get_value()))
        except Exception as exc:
            outcome.append(exc)

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(10)
    return outcome


def test_a_state_file_replaced_by_a_fifo_is_never_opened_blocking(tmp_path: Path) -> None:
    path = tmp_path / "maintenance.flag"
    path.write_text("1", encoding="utf-8")
    backend = LocalFileBackend(path, check_interval=0)
    assert asyncio.run(backend.get_value()) is True
    path.unlink()
    os.mkfifo(path)
    outcome = _read_in_thread(backend)
    if not outcome:
        with open(path, "w", encoding="utf-8"):  # let the blocked reader go, then fail
            pass
        pytest.fail("reading a FIFO state file blocked")
    assert isinstance(outcome[0], OSError)
    assert "not a regular file" in str(outcome[0])


@pytest.mark.anyio
async def test_a_fifo_state_file_answers_by_the_fault_policy(tmp_path: Path) -> None:
    path = tmp_path / "maintenance.flag"
    os.mkfifo(path)
    app = app_with(LocalFileBackend(path, check_interval=0), on_backend_error="closed")
    async with client_for(app) as client:
        with anyio.fail_after(10):
            assert (await client.get("/")).status_code == 503


class CoarseClock:
    """``os.stat`` as on a filesystem with whole-second mtimes and a reused inode."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.real_stat = os.stat
        self.mtime_ns: Optional[int] = None  # None: the current whole second

    def __call__(self, target: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        result = self.real_stat(target, *args, **kwargs)
        if os.fspath(target) != self.path:
            return result
        mtime_ns = self.mtime_ns if self.mtime_ns is not None else (time.time_ns() // 10**9) * 10**9
        fields = list(result)
        fields[1] = 4242  # st_ino: the same inode every time
        fields[8] = mtime_ns // 10**9  # st_mtime (int field)
        values = fields[:10]
        return os.stat_result(values, {"st_mtime_ns": mtime_ns, "st_mtime": float(mtime_ns // 10**9)})


@pytest.mark.anyio
async def test_file_backend_sees_changes_within_one_whole_second_mtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "maintenance.flag"
    clock = CoarseClock(path)
    monkeypatch.setattr(os, "stat", clock)
    clock.mtime_ns = (time.time_ns() // 10**9) * 10**9  # frozen: every change lands in this second
    writer = LocalFileBackend(path, check_interval=0)
    reader = LocalFileBackend(path, check_interval=0)
    await writer.set_value(True)
    assert await reader.get_value() is True
    # off, then on, then off again within the same second: same inode, same size, same mtime
    for value in (False, True, False):
        await writer.set_value(value)
        assert os.stat(path).st_mtime_ns == clock.mtime_ns
        assert await reader.get_value() is value


@pytest.mark.anyio
async def test_file_backend_stops_rereading_once_the_mtime_is_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "maintenance.flag"
    path.write_text("1", encoding="utf-8")
    clock = CoarseClock(path)
    clock.mtime_ns = (time.time_ns() // 10**9 - 10) * 10**9  # written ten seconds ago
    monkeypatch.setattr(os, "stat", clock)
    opened: List[Any] = []
    real_open = os.open

    def counting_open(target: Any, *args: Any, **kwargs: Any) -> int:
        if os.fspath(target) == str(path):
            opened.append(target)
        descriptor: int = real_open(target, *args, **kwargs)
        return descriptor

    monkeypatch.setattr(os, "open", counting_open)
    reader = LocalFileBackend(path, check_interval=0)
    for _ in range(5):
        assert await reader.get_value() is True
    assert len(opened) == 1  # read once; the unchanged, old signature is trusted afterwards


# --- random faults from every user-supplied callable and backend method ------------------------------

EXCEPTIONS = st.sampled_from(
    [
        ValueError,
        RuntimeError,
        KeyError,
        ConnectionError,
        TimeoutError,
        ZeroDivisionError,
        AttributeError,
        OSError,
    ]
)
#: What one call does: return normally, raise an exception, or never return (async callables only).
BEHAVIOURS = st.one_of(st.just("ok"), st.just("hang"), EXCEPTIONS)
SYNC_BEHAVIOURS = st.one_of(st.just("ok"), EXCEPTIONS)


async def act(behaviour: Any) -> None:
    if behaviour == "hang":
        await anyio.sleep(3600)
    elif behaviour != "ok":
        raise behaviour("injected")


class Faulty(BaseStateBackend):
    def __init__(self, value: bool, get: Any, peek: Any, set_: Any) -> None:
        self.value, self.get, self.peek_does, self.set_ = value, get, peek, set_

    async def get_value(self) -> bool:
        await act(self.get)
        return self.value

    async def set_value(self, value: bool) -> None:
        await act(self.set_)
        self.value = value

    def peek(self) -> Optional[bool]:
        if self.peek_does != "ok":
            raise self.peek_does("injected")
        return None  # "ask get_value"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=st.booleans(),
    get=BEHAVIOURS,
    peek=SYNC_BEHAVIOURS,
    set_=BEHAVIOURS,
    exempt=BEHAVIOURS,
    respond=BEHAVIOURS,
    policy=st.sampled_from(["last_known", "open", "closed"]),
)
def test_random_faults_never_give_a_500_nor_an_unbounded_wait(
    value: bool, get: Any, peek: Any, set_: Any, exempt: Any, respond: Any, policy: str
) -> None:
    async def exempt_callback(request: Request) -> bool:
        await act(exempt)
        return request.url.path == "/health"

    async def response_callback(request: Request) -> PlainTextResponse:
        await act(respond)
        return PlainTextResponse("custom", status_code=503)

    app = app_with(
        Faulty(value, get, peek, set_),
        on_backend_error=policy,
        exempt_callback=exempt_callback,
        response_callback=response_callback,
    )
    app.add_api_route("/health", lambda: {"ok": True})
    # A request awaits at most three bounded calls: the backend read, exempt_callback, response_callback.
    limit = 3 * TIMEOUT + MARGIN

    async def run() -> None:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            for path in ("/", "/health", "/"):
                started = time.monotonic()
                with anyio.fail_after(30):
                    response = await client.get(path)
                elapsed = time.monotonic() - started
                assert response.status_code in (200, 503), (path, response.status_code, response.text)
                assert elapsed < limit, (path, elapsed)

    logging.getLogger("fastapi_maintenance").disabled = True
    try:
        anyio.run(run)
    finally:
        logging.getLogger("fastapi_maintenance").disabled = False
