"""A stored record saying "active": true stays on when other fields are unreadable (fail closed)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Dict

import pytest
from fastapi import FastAPI

from fastapi_maintenance import MaintenanceModeMiddleware, MaintenanceState
from fastapi_maintenance.backends import LocalFileBackend
from fastapi_maintenance.backends._parse import RecordReader
from tests.support.asgi import client_for

BAD_FIELDS = [
    {"until": "not a date"},
    {"until": "2031-01-02T03:04:05"},  # no offset
    {"until": "9999-12-31T23:59:59-05:00"},  # beyond UTC
    {"since": 12},
    {"message": 42},
    {"message": ["a"], "reason": {"x": 1}, "actor": False},
]


@pytest.mark.parametrize("bad", BAD_FIELDS)
def test_active_true_with_unreadable_fields_counts_as_on_without_them(
    bad: Dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="fastapi_maintenance.backends")
    text = json.dumps({"active": True, "message": "Back at 03:00", "reason": "db", **bad})
    reader = RecordReader("test store")
    for _ in range(3):
        record = reader.record(text)
        assert record.in_effect()
        assert record.active is True
    kept = {name: value for name, value in json.loads(text).items() if name not in bad and name != "active"}
    assert {name: getattr(record, name) for name in kept} == kept
    for name in bad:
        assert getattr(record, name) is None
    warnings = [entry for entry in caplog.records if entry.name == "fastapi_maintenance.backends"]
    assert len(warnings) == 1, "warned once for one stored text"
    assert "treated as on" in warnings[0].getMessage()


@pytest.mark.parametrize(
    "text", ['{"active": false, "until": "bad"}', '{"until": "bad"}', '{"active": "yes"}']
)
def test_records_not_saying_active_true_still_count_as_off(text: str) -> None:
    assert RecordReader("test store").record(text) == MaintenanceState(False)


@pytest.mark.anyio
async def test_the_middleware_answers_503_for_such_a_stored_file(tmp_path: Path) -> None:
    state_file = tmp_path / "state"
    state_file.write_text('{"active": true, "until": "tomorrow", "message": "Upgrading"}', encoding="utf-8")
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, backend=LocalFileBackend(state_file))

    @app.get("/")
    async def index() -> Dict[str, bool]:
        return {"ok": True}

    async with client_for(app) as http:
        answer = await http.get("/")
    assert answer.status_code == 503
