"""Parent side of the worker protocol: start a variant's worker process, ask it things, stop it."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Dict, List, Optional, Tuple

from .variants import variant

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = BENCH_DIR.parent


def pinned_cpus() -> Tuple[Optional[int], Optional[int]]:
    """(CPU for load generators, CPU for the measured processes), or (None, None) on a single CPU.

    Pinning keeps a measured process on one core for its whole life: left to the scheduler, the same
    server measured twice in a row differs by up to 25 percent on this machine, depending on the core
    it lands on and whether the load generator shares it.
    """
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None, None
    return allowed[0], allowed[-1]


def pin(pid: int, cpu: Optional[int]) -> None:
    if cpu is not None:
        os.sched_setaffinity(pid, {cpu})


class WorkerError(RuntimeError):
    """A worker failed, answered with an error, or did not answer in time."""


@dataclass(frozen=True)
class Places:
    """Where things are for one benchmark run."""

    workdir: Path
    fm005_python: Optional[Path] = None
    fm005_root: Optional[Path] = None
    redis_url: Optional[str] = None
    #: The folder holding the fastapi_maintenance measured (a snapshot of the working tree in a full run).
    repo: Path = REPO_ROOT


def clean_environment(extra: Dict[str, str], *, repo_on_path: Optional[Path]) -> Dict[str, str]:
    """This process's environment minus any maintenance variable or PYTHONPATH, plus ``extra``."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("FASTAPI_MAINTENANCE_") and name != "PYTHONPATH"
    }
    if repo_on_path is not None:
        environment["PYTHONPATH"] = str(repo_on_path)
    environment.update(extra)
    return environment


def interpreter_for(name: str, places: Places) -> tuple[List[str], Dict[str, str], Optional[Path]]:
    """Command prefix, environment and expected package folder for the processes of a variant (or of
    several, ``a,b,c``, which must agree on the package and on their environment variables)."""
    specs = [variant(part) for part in name.split(",")]
    environment: Dict[str, str] = {}
    for spec in specs:
        for key, value in spec.env.items():
            if environment.setdefault(key, value) != value:
                raise WorkerError(f"variants {name} need different values of {key}")
    impls = {spec.impl for spec in specs}
    if "fm005" in impls:
        if impls != {"fm005"}:
            raise WorkerError(f"{name}: 0.0.5 variants cannot share a process with others")
        if places.fm005_python is None or places.fm005_root is None:
            raise WorkerError(f"{name} needs the fastapi-maintenance 0.0.5 virtual environment")
        # -E: ignore PYTHONPATH and friends; the repo must not be importable from this process.
        command = [str(places.fm005_python), "-E", "-s"]
        return command, clean_environment(environment, repo_on_path=None), places.fm005_root
    expected = places.repo / "fastapi_maintenance" if "ours" in impls else None
    return [sys.executable], clean_environment(environment, repo_on_path=places.repo), expected


class Worker:
    """One variant's long-lived worker process."""

    def __init__(
        self,
        name: str,
        route_count: int,
        places: Places,
        *,
        distinct: Optional[int] = None,
        pinned: bool = False,
    ) -> None:
        self.name = name
        self.route_count = route_count
        self.folder = places.workdir / f"{name.replace(',', '+')}-{route_count}-{os.getpid()}-{id(self)}"
        self.folder.mkdir(parents=True, exist_ok=True)
        prefix, environment, expected = interpreter_for(name, places)
        command = [
            *prefix,
            "-m",
            "harness.worker",
            "--variant",
            name,
            "--routes",
            str(route_count),
            "--workdir",
            str(self.folder),
        ]
        if places.redis_url is not None:
            command += ["--redis-url", places.redis_url]
        if distinct is not None:
            command += ["--distinct", str(distinct)]
        if expected is not None:
            command += ["--expect-package", str(expected)]
        self.log_path = self.folder / "stderr.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            command,
            cwd=BENCH_DIR,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            bufsize=0,
        )
        if pinned:
            pin(self.process.pid, pinned_cpus()[1])
        self._buffer = b""
        self.info: Dict[str, Any] = {}

    def _stdin(self) -> IO[bytes]:
        assert self.process.stdin is not None
        return self.process.stdin

    def _read_line(self, deadline: float) -> bytes:
        stdout = self.process.stdout
        assert stdout is not None
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._failure("no answer in time")
            ready, _, _ = select.select([stdout], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(stdout.fileno(), 65536)
            if not chunk:
                raise self._failure("exited")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _answer(self, deadline: float) -> Dict[str, Any]:
        answer: Dict[str, Any] = json.loads(self._read_line(deadline))
        if "error" in answer:
            raise self._failure(answer["error"])
        return answer

    def _failure(self, what: str) -> WorkerError:
        self._log.flush()
        tail = self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        return WorkerError(f"worker {self.name} ({self.route_count} routes): {what}\n{tail}")

    def wait_ready(self, timeout: float = 180.0) -> Dict[str, Any]:
        answer = self._answer(time.monotonic() + timeout)
        self.info = answer["info"]
        return self.info

    def ask(self, command: str, timeout: float = 300.0) -> Dict[str, Any]:
        try:
            self._stdin().write(command.encode("ascii") + b"\n")
        except BrokenPipeError:
            raise self._failure("exited") from None
        return self._answer(time.monotonic() + timeout)

    def run(self, count: int) -> Dict[str, float]:
        """Seconds for ``count`` requests, per clock (``wall``, ``cpu``); any wrong status is an error."""
        answer = self.ask(f"run {count}")
        if answer["unexpected"]:
            raise self._failure(f"{answer['unexpected']} of {count} responses had the wrong status")
        return {"wall": float(answer["elapsed"]), "cpu": float(answer["cpu"])}

    def interleave(self, count: int, block: int) -> Dict[str, Any]:
        """Alternating blocks over the variants sharing this worker; any wrong status is an error."""
        answer = self.ask(f"interleave {count} {block}")
        wrong = {name: found for name, found in answer["unexpected"].items() if found}
        if wrong:
            raise self._failure(f"responses with the wrong status: {wrong}")
        return answer

    def check(self) -> List[str]:
        problems: List[str] = self.ask("check")["problems"]
        return problems

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self._stdin().write(b"quit\n")
                self._stdin().close()
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()


def start_workers(
    names: List[str],
    route_count: int,
    places: Places,
    *,
    distinct: Optional[int] = None,
    pinned: bool = False,
) -> Dict[str, Worker]:
    """Start the workers together (their imports overlap), then wait for each to be ready."""
    workers: Dict[str, Worker] = {}
    try:
        for name in names:
            workers[name] = Worker(name, route_count, places, distinct=distinct, pinned=pinned)
        for worker in workers.values():
            worker.wait_ready()
    except BaseException:
        stop_workers(workers)
        raise
    return workers


def stop_workers(workers: Dict[str, Worker]) -> None:
    for worker in workers.values():
        worker.close()
