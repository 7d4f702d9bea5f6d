"""Several processes sharing one state file: each sees the whole record, and the last one written.

(The end by ``until`` across processes is tested under uvicorn in tests/integration/test_until_workers.py.)
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import List

import pytest
from hypothesis import HealthCheck, given, settings

from fastapi_maintenance.backends import LocalFileBackend
from fastapi_maintenance.control import get_maintenance_state
from tests.support.switching import Switch, switch_sequences, write_switches

REPO_ROOT = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import datetime
    from fastapi_maintenance import set_maintenance_mode
    from fastapi_maintenance.backends import LocalFileBackend

    until = datetime.fromisoformat(sys.argv[2])
    asyncio.run(set_maintenance_mode(True, LocalFileBackend(sys.argv[1]), message=sys.argv[3], until=until))
    """
)

READER = textwrap.dedent(
    """
    import asyncio, sys
    from fastapi_maintenance.backends import LocalFileBackend

    state = asyncio.run(LocalFileBackend(sys.argv[1]).get_state())
    print(state.active, state.message, state.until.isoformat(), state.since is not None)
    """
)


def run_python(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.anyio
async def test_a_record_written_by_one_process_is_read_whole_by_others(tmp_path: Path) -> None:
    path = tmp_path / "state"
    until = datetime.now(timezone.utc) + timedelta(minutes=5)
    run_python(WRITER, str(path), until.isoformat(), "Wartung läuft, bis gleich")
    assert run_python(READER, str(path)) == f"True Wartung läuft, bis gleich {until.isoformat()} True"
    here = LocalFileBackend(path)
    state = await get_maintenance_state(here)
    assert state.message == "Wartung läuft, bis gleich"
    assert state.until == until
    assert await here.get_value() is True


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=switch_sequences(max_size=8))
def test_two_writers_any_sequence_every_reader_ends_with_the_last_record(
    tmp_path: Path, sequence: List[Switch]
) -> None:
    path = tmp_path / f"state-{len(list(tmp_path.iterdir()))}"

    async def run() -> None:
        writers = [LocalFileBackend(path), LocalFileBackend(path)]
        readers = [LocalFileBackend(path, check_interval=0.0), LocalFileBackend(path)]
        for reader in readers:
            reader.peek_state()  # each reader has a cached view before the writes begin
        last = await write_switches(writers, sequence)
        for reader in readers:
            assert await get_maintenance_state(reader) == last
            assert reader.peek_state() == last

    asyncio.run(run())
