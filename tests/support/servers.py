"""Real servers on 127.0.0.1 for HTTP-level tests: started as subprocesses, always stopped."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import httpx

from tests.support.processes import child_env, free_port, stop_process


def wait_until_serving(url: str, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise RuntimeError(f"server exited with {process.returncode}:\n{output}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise TimeoutError(f"server at {url} did not answer within {timeout} s")


@contextmanager
def uvicorn_server(
    app: str,
    *,
    cwd: Path,
    env: Optional[Mapping[str, str]] = None,
    extra_args: Sequence[str] = (),
    probe_path: str = "/",
) -> Iterator[str]:
    """Run ``uvicorn app`` on a free loopback port; yield its base URL; stop it afterwards."""
    port = free_port()
    environment = child_env(env, path=[cwd])
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--log-level", "warning", *extra_args]
    process = subprocess.Popen(
        command, cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url + probe_path, process)
        yield base_url
    finally:
        stop_process(process)
        if process.stdout:
            process.stdout.close()
