"""Records through the public functions, the override contexts and the middleware, per backend."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple

import pytest
from fastapi import FastAPI

from fastapi_maintenance import (
    MaintenanceModeMiddleware,
    MaintenanceState,
    get_maintenance_mode,
    maintenance_mode_off,
    maintenance_mode_on,
    set_maintenance_mode,
)
from fastapi_maintenance.backends import (
    BackendUnavailable,
    BaseStateBackend,
    EnvVarBackend,
    LocalFileBackend,
    MemoryBackend,
    RecordNotSupported,
)
from fastapi_maintenance.control import get_maintenance_state
from fastapi_maintenance.record import OFF, ON
from fastapi_maintenance.rules import Reason
from fastapi_maintenance.state import keeper_for
from tests.support.apps import echo_app
from tests.support.asgi import client_for, find_middleware

pytestmark = pytest.mark.anyio


class BoolBackend(BaseStateBackend):
    """A user-written backend as 0.0.5 documented them: get_value and set_value only."""

    def __init__(self) -> None:
        self.value = False
        self.writes: List[bool] = []

    async def get_value(self) -> bool:
        return self.value

    async def set_value(self, value: bool) -> None:
        self.writes.append(value)
        self.value = value


RECORD_BACKENDS = ["memory", "file"]


@pytest.fixture
def make_backend(tmp_path: Path) -> Callable[[str], BaseStateBackend]:
    def make(kind: str) -> BaseStateBackend:
        if kind == "memory":
            return MemoryBackend()
        if kind == "file":
            return LocalFileBackend(tmp_path / "state")
        raise AssertionError(kind)

    return make


def app_with(backend: BaseStateBackend, **kwargs: Any) -> FastAPI:
    return echo_app("/", backend=backend, **kwargs)


@pytest.mark.parametrize("kind", RECORD_BACKENDS)
async def test_a_record_is_written_and_read_whole(
    kind: str, make_backend: Callable[[str], BaseStateBackend]
) -> None:
    backend = make_backend(kind)
    until = datetime.now(timezone.utc) + timedelta(hours=1)
    await set_maintenance_mode(
        True, backend, message="DB upgrade", until=until, reason="ticket 42", actor="ann"
    )
    state = await get_maintenance_state(backend)
    assert (state.active, state.message, state.until, state.reason, state.actor) == (
        True,
        "DB upgrade",
        until,
        "ticket 42",
        "ann",
    )
    assert state.since is not None
    assert state.since <= datetime.now(timezone.utc)
    assert await get_maintenance_mode(backend) is True
    assert await backend.get_value() is True
    await set_maintenance_mode(False, backend)
    assert await get_maintenance_state(backend) == OFF


async def test_the_file_holds_1_or_0_for_a_plain_state_and_json_for_a_record(tmp_path: Path) -> None:
    path = tmp_path / "state"
    backend = LocalFileBackend(path)
    await set_maintenance_mode(True, backend)
    assert path.read_text() == "1"
    await set_maintenance_mode(False, backend)
    assert path.read_text() == "0"
    await set_maintenance_mode(True, backend, message="Back at 03:00")
    assert path.read_text().startswith('{"active":true,"message":"Back at 03:00","since":"')
    # A file written by an older version or by hand keeps working.
    for text, expected in (("1\n", ON), ("off", OFF), ("", OFF)):
        path.write_text(text)
        assert await LocalFileBackend(path).get_state() is expected


async def test_switching_on_while_on_updates_without_a_moment_off(tmp_path: Path) -> None:
    path = tmp_path / "state"
    backend = LocalFileBackend(path)
    observer = LocalFileBackend(path, check_interval=0.0)
    await set_maintenance_mode(True, backend, message="first")
    first = await observer.get_state()
    await set_maintenance_mode(True, backend, message="second", duration=timedelta(minutes=30))
    second = await observer.get_state()
    assert second.active
    assert second.message == "second"
    assert second.since == first.since
    assert second.until is not None
    # Every text the file ever held said "on": the write is one atomic replace.
    assert second.in_effect()


@pytest.mark.parametrize("kind", RECORD_BACKENDS)
async def test_bad_values_raise_before_anything_is_written(
    kind: str, make_backend: Callable[[str], BaseStateBackend]
) -> None:
    backend = make_backend(kind)
    await set_maintenance_mode(True, backend, message="keep me")
    before = await backend.get_state()
    naive = datetime(2030, 1, 1, 3, 0)
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    soon = datetime.now(timezone.utc) + timedelta(minutes=1)
    for kwargs, fragment in (
        ({"until": naive}, "timezone-aware"),
        ({"until": past}, "not in the future"),
        ({"until": soon, "duration": 60}, "either until= or duration="),
    ):
        with pytest.raises(ValueError, match=fragment):
            await set_maintenance_mode(True, backend, **kwargs)
        with pytest.raises(ValueError, match=fragment):
            maintenance_mode_on(backend, **kwargs)
    assert await backend.get_state() == before


async def test_a_bool_backend_keeps_working_and_refuses_a_record_by_name() -> None:
    backend = BoolBackend()
    await set_maintenance_mode(True, backend)  # 0.0.5's positional call
    assert backend.writes == [True]
    assert await get_maintenance_state(backend) is ON
    with pytest.raises(RecordNotSupported, match=r"BoolBackend stores only on/off .* cannot store message"):
        await set_maintenance_mode(True, backend, message="x")
    assert backend.writes == [True]
    async with client_for(app_with(backend)) as http:
        assert (await http.get("/")).status_code == 503
        backend.value = False
        assert (await http.get("/")).status_code == 200


async def test_until_ends_maintenance_on_the_decision_path_without_a_write(tmp_path: Path) -> None:
    path = tmp_path / "state"
    past = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()
    path.write_text(f'{{"active": true, "message": "ended", "until": "{past}"}}')
    backend = LocalFileBackend(path)
    async with client_for(app_with(backend)) as http:
        assert (await http.get("/")).status_code == 200
    assert await get_maintenance_mode(backend) is False
    assert (await get_maintenance_state(backend)).active is True  # the record as stored
    assert path.read_text().startswith('{"active": true')  # nothing was written


async def test_until_passing_under_the_middleware(tmp_path: Path) -> None:
    backend = MemoryBackend()
    await set_maintenance_mode(True, backend, duration=0.3)
    async with client_for(app_with(backend)) as http:
        assert (await http.get("/")).status_code == 503
        await asyncio.sleep(0.35)
        assert (await http.get("/")).status_code == 200
    assert (await backend.get_state()).active is True


async def test_the_responder_gets_the_record_the_request_was_decided_on() -> None:
    backend = MemoryBackend()
    app = app_with(backend)
    seen: List[Tuple[Optional[Reason], Optional[MaintenanceState]]] = []
    async with client_for(app) as http:
        assert (await http.get("/")).status_code == 200
        middleware = find_middleware(app)
        original = middleware.plan.responder

        async def recording(scope: Any, receive: Any, send: Any, reason: Any, state: Any = None) -> None:
            seen.append((reason, state))
            await original(scope, receive, send, reason, state)

        middleware.plan = dataclasses.replace(middleware.plan, responder=recording)  # type: ignore[arg-type]
        await set_maintenance_mode(True, backend, message="upgrade")
        assert (await http.get("/")).status_code == 503
        async with maintenance_mode_on(backend, message="override"):
            assert (await http.get("/")).status_code == 503
        await set_maintenance_mode(True, backend)
        assert (await http.get("/")).status_code == 503
    assert [(reason, state.message if state else None) for reason, state in seen] == [
        (Reason.BACKEND, "upgrade"),
        (Reason.OVERRIDE, "override"),
        (Reason.BACKEND, None),
    ]


@pytest.mark.parametrize("kind", RECORD_BACKENDS)
async def test_an_override_with_a_message_is_served_and_the_record_before_it_comes_back(
    kind: str, make_backend: Callable[[str], BaseStateBackend]
) -> None:
    backend = make_backend(kind)
    await set_maintenance_mode(True, backend, message="planned", reason="r1")
    before = await backend.get_state()
    async with maintenance_mode_on(backend, message="emergency", actor="bot"):
        inside = await get_maintenance_state(backend)
        assert (inside.message, inside.actor, inside.since) == ("emergency", "bot", before.since)
        assert await backend.get_state() == inside  # written through for other processes
        async with maintenance_mode_off(backend, reason="smoke test"):
            assert await get_maintenance_mode(backend) is False
        assert await get_maintenance_state(backend) == inside
    assert await backend.get_state() == before


async def test_an_override_on_the_read_only_env_backend_serves_its_message_from_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FASTAPI_MAINTENANCE_MODE", raising=False)
    backend = EnvVarBackend()
    async with maintenance_mode_on(backend, message="from memory"):
        assert (await get_maintenance_state(backend)).message == "from memory"
        assert await get_maintenance_mode(backend) is True
    assert await get_maintenance_state(backend) is OFF


async def test_an_override_with_a_message_on_a_bool_backend_is_refused_before_it_applies() -> None:
    backend = BoolBackend()
    with pytest.raises(RecordNotSupported):
        async with maintenance_mode_on(backend, message="x"):
            raise AssertionError("not reached")
    assert backend.writes == []
    assert await get_maintenance_mode(backend) is False
    async with maintenance_mode_on(backend):  # without fields: as in 0.0.5
        assert backend.writes == [True]
    assert backend.writes == [True, False]


async def test_every_change_logs_one_audit_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    backend = LocalFileBackend(tmp_path / "state")
    caplog.set_level(logging.INFO, logger="fastapi_maintenance.audit")
    until = datetime.now(timezone.utc) + timedelta(hours=1)
    await set_maintenance_mode(True, backend, message="m", until=until, reason="why", actor="ann")
    async with maintenance_mode_off(backend, actor="bot"):
        pass
    await set_maintenance_mode(False, backend, reason="done")
    lines = [record for record in caplog.records if record.name == "fastapi_maintenance.audit"]
    fields = [
        (r.action, r.active, r.client_message, r.until, r.reason, r.actor, r.backend)  # type: ignore[attr-defined]
        for r in lines
    ]
    where = backend.describe()
    assert fields == [
        ("set", True, "m", until.isoformat(), "why", "ann", where),
        ("override_enter", False, None, None, None, "bot", where),
        ("override_exit", True, "m", until.isoformat(), "why", "ann", where),
        ("set", False, None, None, "done", None, where),
    ]
    assert all(r.levelno == logging.INFO for r in lines)
    assert "maintenance set: on" in lines[0].getMessage()


async def test_a_read_only_backend_switch_is_not_audited(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("FASTAPI_MAINTENANCE_MODE", raising=False)
    caplog.set_level(logging.INFO)
    await set_maintenance_mode(True, EnvVarBackend())
    assert not [r for r in caplog.records if r.name == "fastapi_maintenance.audit"]
    assert "read-only" in caplog.text


@pytest.fixture
def shared_file(tmp_path: Path) -> Path:
    return tmp_path / "state"


async def test_on_change_is_called_with_old_and_new_sync_and_async(
    shared_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    writer = LocalFileBackend(shared_file)
    reader = LocalFileBackend(shared_file, check_interval=0.0)  # another worker's view of the same file
    calls: List[Tuple[str, MaintenanceState, MaintenanceState]] = []
    done = asyncio.Event()

    def sync_callback(old: MaintenanceState, new: MaintenanceState) -> None:
        calls.append(("sync", old, new))
        raise RuntimeError("a broken callback must not reach the request")

    async def async_callback(old: MaintenanceState, new: MaintenanceState) -> None:
        calls.append(("async", old, new))
        done.set()
        raise RuntimeError("nor must an async one")

    caplog.set_level(logging.INFO)
    app_one = app_with(reader, on_change=sync_callback)
    app_two = app_with(reader, on_change=async_callback)
    async with client_for(app_one) as one, client_for(app_two) as two:
        assert (await one.get("/")).status_code == 200
        assert (await two.get("/")).status_code == 200
        await set_maintenance_mode(True, writer, message="now")
        assert (await one.get("/")).status_code == 503  # the callback's exception stays out of the answer
        await asyncio.wait_for(done.wait(), 5)
        assert (await two.get("/")).status_code == 503
    new = await writer.get_state()
    assert [(kind, old, state) for kind, old, state in calls] == [("sync", OFF, new), ("async", OFF, new)]
    changed = [r for r in caplog.records if r.getMessage().startswith("Maintenance state changed in")]
    # One line per backend object that saw the change: the writer's (its own write) and the reader's.
    assert len(changed) == 2
    assert all(r.levelno == logging.INFO for r in changed)
    assert "off -> on message='now'" in changed[0].getMessage()
    assert "on_change callback" in caplog.text


class BreakableMemory(MemoryBackend):
    """A record backend whose in-memory answer can be made to report an outage, as Redis's does."""

    broken = False

    def peek_state(self) -> Optional[MaintenanceState]:
        if self.broken:
            raise BackendUnavailable("store unreachable")
        return super().peek_state()


@pytest.mark.parametrize(("policy", "expected"), [("last_known", "before the outage"), ("closed", None)])
async def test_during_an_outage_the_last_known_record_is_what_the_response_shows(
    policy: str, expected: Optional[str]
) -> None:
    backend = BreakableMemory()
    await set_maintenance_mode(True, backend, message="before the outage")
    app = app_with(backend, on_backend_error=policy)
    seen: List[Optional[MaintenanceState]] = []
    async with client_for(app) as http:
        assert (await http.get("/")).status_code == 503
        middleware = find_middleware(app)
        original = middleware.plan.responder

        async def recording(scope: Any, receive: Any, send: Any, reason: Any, state: Any = None) -> None:
            seen.append(state)
            await original(scope, receive, send, reason, state)

        middleware.plan = dataclasses.replace(middleware.plan, responder=recording)  # type: ignore[arg-type]
        backend.broken = True
        assert (await http.get("/")).status_code == 503
    assert [state.message if state else None for state in seen] == [expected]


async def test_from_config_passes_on_change_to_each_middleware(tmp_path: Path) -> None:
    config = tmp_path / "maintenance.toml"
    state_file = tmp_path / "state"
    config.write_text(f'backend = {{ type = "file", path = "{state_file}" }}\n')
    calls: List[Tuple[bool, bool]] = []
    app = FastAPI()
    app.add_middleware(
        MaintenanceModeMiddleware.from_config(
            config, on_change=lambda old, new: calls.append((old.active, new.active))
        )
    )

    @app.get("/")
    async def root() -> str:
        return "ok"

    async with client_for(app) as http:
        assert (await http.get("/")).status_code == 200
        await set_maintenance_mode(True, find_middleware(app).backend, actor="ops")
        assert (await http.get("/")).status_code == 503
    assert calls == [(False, True)]


def test_on_change_must_be_callable() -> None:
    with pytest.raises(TypeError, match="on_change must be a callable"):
        MaintenanceModeMiddleware(app_with(MemoryBackend()), backend=MemoryBackend(), on_change="nope")  # type: ignore[arg-type]


async def test_a_record_too_long_for_the_file_is_refused_before_it_is_written(tmp_path: Path) -> None:
    path = tmp_path / "state"
    backend = LocalFileBackend(path)
    await set_maintenance_mode(True, backend, message="short")
    before = path.read_text()
    with pytest.raises(ValueError, match="longer than 65536 bytes; shorten its message"):
        await set_maintenance_mode(True, backend, message="x" * 70_000)
    assert path.read_text() == before
    assert os.listdir(tmp_path) == ["state"]  # no temporary file left behind


async def test_an_app_that_is_gone_is_no_longer_called_nor_kept_alive() -> None:
    backend = MemoryBackend()
    calls: List[str] = []
    app = app_with(backend, on_change=lambda old, new: calls.append("first app"))
    async with client_for(app) as http:
        assert (await http.get("/")).status_code == 200
    await set_maintenance_mode(True, backend)
    assert calls == ["first app"]
    del app, http
    gc.collect()
    await set_maintenance_mode(False, backend)
    assert calls == ["first app"]
    assert keeper_for(backend).changes.listeners == []
