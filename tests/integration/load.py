"""A bounded concurrent load on one URL, recording every response, and checks that it settled.

Each sample keeps the status (None for a transport error), the worker PID the
app reported and when the request started, so a test can look at what was
answered before, during and after an event (a toggle, an outage).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Set, TypeVar

import anyio
import httpx

PID_HEADER = "x-worker-pid"
_T = TypeVar("_T")


@dataclass(frozen=True)
class Sample:
    """One request: when it started and how long it took (monotonic seconds), and what it got."""

    started: float
    elapsed: float
    status: Optional[int]
    pid: Optional[str]
    error: Optional[str]


class Load:
    """``concurrency`` tasks sending GET ``path`` until stopped, ``max_requests`` sent or ``max_seconds`` passed.

    Odd-numbered tasks send ``Connection: close`` when ``fresh_connections`` is
    set, so new connections keep reaching every worker of a multi-process server.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        path: str = "/",
        *,
        concurrency: int = 20,
        max_requests: int = 3000,
        max_seconds: float = 10.0,
        pause: float = 0.0,
        fresh_connections: bool = False,
    ) -> None:
        self.client = client
        self.path = path
        self.concurrency = concurrency
        self.max_requests = max_requests
        self.max_seconds = max_seconds
        self.pause = pause
        self.fresh_connections = fresh_connections
        self.samples: List[Sample] = []
        self.finished = False
        self._sent = 0
        self._stop = anyio.Event()

    async def run(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        try:
            async with anyio.create_task_group() as group:
                for index in range(self.concurrency):
                    group.start_soon(self._send_repeatedly, index, deadline)
        finally:
            self.finished = True

    def stop(self) -> None:
        self._stop.set()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Load]:
        """Send the load in the background for the length of the block; stop it and wait for it after."""
        async with anyio.create_task_group() as group:
            group.start_soon(self.run)
            try:
                yield self
            finally:
                self.stop()

    async def _send_repeatedly(self, index: int, deadline: float) -> None:
        headers = {"Connection": "close"} if self.fresh_connections and index % 2 else {}
        while not self._stop.is_set() and self._sent < self.max_requests and time.monotonic() < deadline:
            self._sent += 1
            started = time.monotonic()
            try:
                response = await self.client.get(self.path, headers=headers)
            except httpx.HTTPError as exc:  # connection refused or reset, protocol error, client timeout
                self.samples.append(
                    Sample(started, time.monotonic() - started, None, None, f"{type(exc).__name__}: {exc}")
                )
            else:
                self.samples.append(
                    Sample(
                        started,
                        time.monotonic() - started,
                        response.status_code,
                        response.headers.get(PID_HEADER),
                        None,
                    )
                )
            if self.pause:
                await anyio.sleep(self.pause)

    # -- what was answered --------------------------------------------------

    def statuses(self) -> Counter[Optional[int]]:
        return Counter(sample.status for sample in self.samples)

    def errors(self) -> List[str]:
        return [sample.error for sample in self.samples if sample.error is not None]

    def pids(self) -> Set[str]:
        return {sample.pid for sample in self.samples if sample.pid is not None}

    def between(self, start: float, end: float) -> List[Sample]:
        """The samples of requests started in [start, end)."""
        return [sample for sample in self.samples if start <= sample.started < end]

    def summary(self) -> str:
        return f"{len(self.samples)} requests, statuses {dict(self.statuses())}, first errors {self.errors()[:3]}"

    # -- waiting for agreement ------------------------------------------------

    async def _wait(
        self, attempt: Callable[[], Optional[_T]], failure: Callable[[], str], deadline: float
    ) -> _T:
        """Call ``attempt`` every 20 ms until it gives a result; fail with ``failure()`` at the deadline or when the load ends."""
        end = time.monotonic() + deadline
        while True:
            result = attempt()
            if result is not None:
                return result
            if time.monotonic() > end or self.finished:
                raise AssertionError(
                    f"{failure()} within {deadline} s (load finished: {self.finished}); {self.summary()}"
                )
            await anyio.sleep(0.02)

    def _since(self, after: float) -> List[Sample]:
        return [sample for sample in self.samples if sample.started >= after]

    async def settle(self, expected: int, *, after: float, window: int = 40, deadline: float = 5.0) -> float:
        """Wait until the last ``window`` answers to requests started after ``after`` are all ``expected``.

        Returns the start time of the oldest of those agreeing answers; fails
        with what was seen if that does not happen within ``deadline`` seconds
        or the load ends first.
        """

        def agreed_since() -> Optional[float]:
            tail = self._since(after)[-window:]
            if len(tail) == window and all(sample.status == expected for sample in tail):
                return min(sample.started for sample in tail)
            return None

        def failure() -> str:
            tail = self._since(after)[-window:]
            seen = dict(Counter(sample.status for sample in tail))
            return f"the answers did not settle to {expected} (last {len(tail)} answers: {seen})"

        return await self._wait(agreed_since, failure, deadline)

    async def reach_workers(self, count: int, expected: int, *, after: float, deadline: float = 10.0) -> None:
        """Wait until ``count`` different workers answered ``expected`` to requests started after ``after``."""

        def workers() -> Set[str]:
            return {sample.pid for sample in self._since(after) if sample.status == expected and sample.pid}

        def reached() -> Optional[bool]:
            return True if len(workers()) >= count else None

        await self._wait(
            reached, lambda: f"only workers {sorted(workers())} answered {expected}, {count} wanted", deadline
        )

    async def steady(
        self, expected: int, *, after: float, count: int = 60, deadline: float = 10.0
    ) -> Dict[str, int]:
        """Wait for ``count`` answers to requests started after ``after``; all must be ``expected``.

        Returns how many of them each worker PID gave (empty for an in-process app).
        """

        def enough() -> Optional[List[Sample]]:
            recent = self._since(after)
            return recent if len(recent) >= count else None

        recent = await self._wait(
            enough, lambda: f"only {len(self._since(after))} of {count} answers", deadline
        )
        wrong = [sample for sample in recent if sample.status != expected]
        assert not wrong, (
            f"after settling to {expected}, {len(wrong)} of {len(recent)} answers differ: {wrong[:5]}"
        )
        return dict(Counter(sample.pid for sample in recent if sample.pid is not None))
