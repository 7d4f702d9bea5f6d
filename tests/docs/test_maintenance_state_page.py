"""docs/maintenance-state.md and the stored format in docs/backends.md."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict

import anyio
import pytest

from fastapi_maintenance import MaintenanceState, get_maintenance_state, set_maintenance_mode
from fastapi_maintenance.backends import LocalFileBackend, MemoryBackend
from fastapi_maintenance.record import decode_record, encode_state
from tests.docs.markdown_blocks import doc_block
from tests.docs.runner import client, run_python

PAGE = "docs/maintenance-state.md"
BACKENDS = "docs/backends.md"


@pytest.mark.anyio
async def test_switch_with_fields(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scope = run_python(PAGE, "switch-with-fields")
    before = datetime.now(timezone.utc)
    await scope["start_upgrade"]()
    state = await get_maintenance_state(LocalFileBackend(sandbox / "maintenance_mode.txt"))
    assert state.message == "Database upgrade, back at 03:00 UTC"
    assert state.reason == "PostgreSQL 17 upgrade, ticket OPS-412"
    assert state.actor == "ann@ops"
    assert state.since is not None
    assert state.until is not None
    assert before + timedelta(minutes=30) <= state.until <= datetime.now(timezone.utc) + timedelta(minutes=30)
    assert capsys.readouterr().out.startswith("Database upgrade, back at 03:00 UTC ")


@pytest.mark.anyio
async def test_override_with_message() -> None:
    backend = MemoryBackend()
    seen = []

    async def spy() -> None:
        seen.append(await get_maintenance_state(backend))

    run_python(PAGE, "override-with-message")  # runs as shown
    code = doc_block(PAGE, "override-with-message").code
    assert "...  # the migration" in code
    scope: Dict[str, Any] = {"spy": spy}
    exec(compile(code.replace("...  # the migration", "await spy()"), "override-with-message", "exec"), scope)
    await scope["migrate"](backend)
    assert [(s.active, s.message, s.reason) for s in seen] == [
        (True, "Migrating your data, a few minutes", "schema v12")
    ]
    assert await backend.get_state() == MaintenanceState(False)


@pytest.mark.anyio
async def test_on_change(sandbox: Path) -> None:
    scope = run_python(PAGE, "on-change")
    async with client(scope["app"]) as http:
        assert (await http.get("/")).status_code == 200
        await set_maintenance_mode(True, LocalFileBackend("maintenance_mode.txt"), message="m")
        await anyio.sleep(0.6)  # the file backend's check_interval
        assert (await http.get("/")).status_code == 503
        await anyio.sleep(0.05)  # the async callback runs as its own task
        assert scope["consumer_paused"] is True
        await set_maintenance_mode(False, LocalFileBackend("maintenance_mode.txt"))
        await anyio.sleep(0.6)
        assert (await http.get("/")).status_code == 200
        await anyio.sleep(0.05)
        assert scope["consumer_paused"] is False


@pytest.mark.anyio
async def test_audit_logging(sandbox: Path) -> None:
    audit = logging.getLogger("fastapi_maintenance.audit")
    handlers, level = list(audit.handlers), audit.level
    try:
        run_python(PAGE, "audit-logging")
        await set_maintenance_mode(True, MemoryBackend(), reason="tests", actor="ci")
        for handler in audit.handlers:
            handler.flush()
        lines = (sandbox / "maintenance-audit.log").read_text().splitlines()
        assert lines == ["maintenance set: on on memory, by ci, reason: tests [actor=ci reason=tests]"]
    finally:
        for handler in audit.handlers:
            if handler not in handlers:
                handler.close()
        audit.handlers[:] = handlers
        audit.setLevel(level)


def test_stored_record_is_what_a_backend_writes_and_reads() -> None:
    text = doc_block(BACKENDS, "stored-record").code.strip()
    record = decode_record(text)
    assert record == MaintenanceState(
        True,
        message="Database upgrade, back at 03:00 UTC",
        until=datetime(2026, 12, 24, 3, tzinfo=timezone.utc),
        reason="ticket OPS-412",
        actor="ann@ops",
        since=datetime(2026, 12, 24, 2, tzinfo=timezone.utc),
    )
    assert encode_state(record) == text
    assert json.loads(text)["active"] is True
