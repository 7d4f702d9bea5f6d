"""The file backend's faults under a running load: state file unreadable, deleted, replaced.

Unreadable (the path turned into a directory, or the file holding bytes that
are not UTF-8) is a fault: the ``on_backend_error`` policy answers, logged once
when it starts and once at recovery. Deleted is not a fault: a missing state
file is the backend's documented "off" (reading never creates it), so every
policy serves traffic and nothing is logged. Replaced (an atomic swap for a new
file, as an editor or another process does it) is followed within a second.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import httpx
import pytest

from fastapi_maintenance.backends import LocalFileBackend
from tests.support.logs import library_messages

from .conftest import one_route_app, serving, write_config
from .faults import POLICY_CASES, fault_then_recovery, status_for
from .load import Load

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]

#: Short enough to keep the tests quick; the replacement test uses the settings' default instead.
CHECK_INTERVAL = 0.1


def swap_in(path: Path, content: bytes) -> None:
    """Replace the state file atomically by a new file (new inode) holding ``content``."""
    temporary = path.with_name(path.name + ".new")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def new_load(client: httpx.AsyncClient) -> Load:
    return Load(client, concurrency=10, max_requests=4000, max_seconds=30.0, pause=0.02)


@pytest.mark.parametrize("fault", ["directory", "not_utf8"])
@pytest.mark.parametrize("policy", ["last_known", "open", "closed"])
async def test_unreadable_state_file_answered_by_the_policy(
    tmp_path: Path, policy: str, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fastapi_maintenance")
    case = POLICY_CASES[policy]
    state_file = tmp_path / "state" / "flag"
    state_file.parent.mkdir()
    config = write_config(tmp_path, f'on_backend_error = "{policy}"\n')
    backend = LocalFileBackend(state_file, check_interval=CHECK_INTERVAL)
    writer = LocalFileBackend(state_file)  # as another process (or the CLI) writes it

    async def break_store() -> None:
        if fault == "directory":
            state_file.unlink()
            state_file.mkdir()
        else:
            swap_in(state_file, b"\xff\xfe\xfa not text")

    async def repair_store() -> None:
        if fault == "directory":
            state_file.rmdir()  # missing again: off
        else:
            await writer.set_value(case.state_before)  # an ordinary atomic write replaces the bad file

    async with serving(one_route_app(config, backend)) as client, new_load(client).running() as load:
        await fault_then_recovery(
            load,
            case,
            set_state=writer.set_value,
            break_store=break_store,
            repair_store=repair_store,
            state_after_repair=False if fault == "directory" else case.state_before,
            label=f"state file {fault}",
            hold=1.0,
        )

    warnings = library_messages(caplog, logging.WARNING)
    assert len(warnings) == 1, f"one warning per fault, got {warnings}"
    assert "failed" in warnings[0]
    assert str(state_file.name) in warnings[0]
    assert len([text for text in library_messages(caplog, logging.INFO) if "recovered" in text]) == 1


@pytest.mark.parametrize("policy", ["last_known", "open", "closed"])
async def test_deleted_state_file_means_off_whatever_the_policy(
    tmp_path: Path, policy: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fastapi_maintenance")
    state_file = tmp_path / "flag"
    config = write_config(tmp_path, f'on_backend_error = "{policy}"\n')
    backend = LocalFileBackend(state_file, check_interval=CHECK_INTERVAL)
    writer = LocalFileBackend(state_file)

    async with serving(one_route_app(config, backend)) as client, new_load(client).running() as load:
        await writer.set_value(True)
        await load.settle(503, after=time.monotonic())
        state_file.unlink()
        await load.settle(200, after=time.monotonic())
        await load.steady(200, after=time.monotonic(), count=100)
        assert not state_file.exists(), "reading must not create the state file"
        for value in (True, False):
            await writer.set_value(value)
            await load.settle(status_for(value), after=time.monotonic())
    assert load.errors() == [], load.summary()
    assert set(load.statuses()) == {200, 503}, load.summary()
    assert library_messages(caplog, logging.WARNING) == [], "a missing state file is not a fault"


async def test_replaced_state_file_is_followed_within_a_second(tmp_path: Path) -> None:
    """Settings-built backend with its default check interval; each swap must show within 1 s."""
    state_file = tmp_path / "flag"
    state_file.write_text("0", encoding="utf-8")
    config = write_config(tmp_path, f'backend = {{ type = "file", path = "{state_file}" }}\n')
    async with serving(one_route_app(config)) as client, new_load(client).running() as load:
        await load.settle(200, after=time.monotonic())
        for value in (True, False, True, False):
            swap_in(state_file, b"1" if value else b"0")
            await load.settle(status_for(value), after=time.monotonic(), window=10, deadline=1.0)
    assert load.errors() == [], load.summary()
    assert set(load.statuses()) == {200, 503}, load.summary()
