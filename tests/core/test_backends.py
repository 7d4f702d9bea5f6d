"""The built-in backends: env parsing, the file backend's cache and atomic writes, memory."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from fastapi_maintenance.backends import BaseStateBackend, EnvVarBackend, LocalFileBackend, MemoryBackend
from fastapi_maintenance.backends._parse import parse_state


@pytest.mark.parametrize("text", ["1", "yes", "Y", "true", "T", "on", " ON ", "True\n"])
def test_truthy_values(text: str) -> None:
    assert parse_state(text) is True


@pytest.mark.parametrize("text", ["0", "no", "N", "false", "f", "OFF", "", "   ", None])
def test_falsy_and_missing_values(text: str) -> None:
    assert parse_state(text) is False


@pytest.mark.parametrize("text", ["2", "maybe", "enabled", "yes please"])
def test_unrecognised_values(text: str) -> None:
    assert parse_state(text) is None


@pytest.mark.anyio
async def test_env_backend_follows_the_variable_and_is_read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = EnvVarBackend()
    assert backend.var_name is None, "the name given, as 0.0.5 kept it"
    assert backend.variable == "FASTAPI_MAINTENANCE_MODE"
    assert await backend.get_value() is False
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "on")
    assert await backend.get_value() is True
    await backend.set_value(False)
    assert os.environ["FASTAPI_MAINTENANCE_MODE"] == "on"
    assert backend.read_only is True
    assert backend.describe() == "env:FASTAPI_MAINTENANCE_MODE"


@pytest.mark.anyio
async def test_memory_backend() -> None:
    backend = MemoryBackend()
    assert await backend.get_value() is False
    await backend.set_value(True)
    assert backend.peek() is True


@pytest.mark.anyio
async def test_file_backend_reading_never_creates_the_file(tmp_path: Path) -> None:
    path = tmp_path / "state.txt"
    backend = LocalFileBackend(path)
    assert await backend.get_value() is False
    assert backend.peek() is False
    assert not path.exists()


@pytest.mark.anyio
async def test_file_backend_sees_its_own_writes_at_once(tmp_path: Path) -> None:
    backend = LocalFileBackend(tmp_path / "state.txt", check_interval=60)
    backend.peek()
    await backend.set_value(True)
    assert backend.peek() is True
    await backend.set_value(False)
    assert backend.peek() is False
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")], "no temporary file left over"


@pytest.mark.anyio
async def test_file_backend_sees_another_writer_within_the_check_interval(tmp_path: Path) -> None:
    path = tmp_path / "state.txt"
    reader = LocalFileBackend(path, check_interval=0.2)
    assert reader.peek() is False
    await LocalFileBackend(path).set_value(True)
    deadline = time.monotonic() + 1.0
    while reader.peek() is not True:
        assert time.monotonic() < deadline, "a write from elsewhere must be seen within 1 s"
        await anyio.sleep(0.02)


@pytest.mark.anyio
async def test_file_backend_does_not_touch_the_file_between_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.txt"
    path.write_text("1")
    backend = LocalFileBackend(path, check_interval=60)
    assert backend.peek() is True
    stats: list[object] = []
    real_stat = os.stat

    def counting_stat(*args: Any, **kwargs: Any) -> os.stat_result:
        stats.append(args)
        return real_stat(*args, **kwargs)

    monkeypatch.setattr(os, "stat", counting_stat)
    for _ in range(1000):
        assert backend.peek() is True
    assert stats == []


@pytest.mark.anyio
async def test_file_backend_unreadable_file_raises_and_recovers(tmp_path: Path) -> None:
    path = tmp_path / "state.txt"
    path.mkdir()  # a folder where the file should be: unreadable as a state file
    backend = LocalFileBackend(path, check_interval=0)
    with pytest.raises(IsADirectoryError):
        await backend.get_value()
    path.rmdir()
    path.write_text("yes")
    assert await backend.get_value() is True


def _write_many(path: str, count: int) -> None:
    import asyncio

    backend = LocalFileBackend(path)

    async def run() -> None:
        for number in range(count):
            await backend.set_value(number % 2 == 0)

    asyncio.run(run())


@pytest.mark.slow
def test_concurrent_writes_never_show_a_torn_or_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "state.txt"
    path.write_text("0")
    writers = [
        multiprocessing.get_context("spawn").Process(target=_write_many, args=(str(path), 300))
        for _ in range(2)
    ]
    for writer in writers:
        writer.start()
    seen = set()
    deadline = time.monotonic() + 20
    while any(writer.is_alive() for writer in writers) and time.monotonic() < deadline:
        with open(path, encoding="utf-8") as handle:
            seen.add(handle.read())
    for writer in writers:
        writer.join(timeout=10)
        assert writer.exitcode == 0
    assert seen <= {"0", "1"}, f"a reader saw {seen - {'0', '1'}}"
    assert path.read_text() in {"0", "1"}


class LegacyBackend(BaseStateBackend):
    """A custom backend written for fastapi-maintenance 0.0.5, using its helpers."""

    def __init__(self) -> None:
        self.stored = "0"

    async def get_value(self) -> bool:
        return self._str_to_bool(self.stored)

    async def set_value(self, value: bool) -> None:
        self.stored = self._bool_to_str(value)


@pytest.mark.anyio
async def test_a_backend_written_for_0_0_5_keeps_its_helpers() -> None:
    backend = LegacyBackend()
    await backend.set_value(True)
    assert backend.stored == "1"
    assert await backend.get_value() is True
    backend.stored = " Off "
    assert await backend.get_value() is False
    backend.stored = "maybe"
    with pytest.raises(ValueError, match="'maybe' is not an on/off value"):
        await backend.get_value()
