"""HTTP rounds: each variant served by uvicorn on 127.0.0.1 and loaded by wrk over loopback.

Each variant is measured at the same time as the bare app: both servers share one core, each is
loaded by its own wrk on the other core for the same seconds, and the ratio compares requests per
CPU second of the two server processes. One after the other, the bare app's own throughput swung
by up to 40 percent between neighbouring runs on this shared machine; side by side, whatever slows
the machine slows both. Every round starts fresh servers. Each server is this module run as a
process of its own (``main`` below).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from string import Template
from typing import Any, Callable, Dict, Iterator, List, Sequence, Tuple

import httpx
import uvicorn

from .processes import free_port, pinned_cpus, start_measured, stop
from .report import Round, analyse
from .traffic import check_responses, traffic
from .variants import BuildContext, variant

Log = Callable[[str], None]
#: The wrk script: one path of the traffic per request, in turn; at the end, wrk's counts as JSON.
WRK_SCRIPT = Template(r"""
local paths = {$paths}
local index = 0
request = function()
  index = index % #paths + 1
  return wrk.format("GET", paths[index])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
""")


def cpu_seconds(pid: int) -> float:
    """CPU time of every thread of a process so far (/proc/<pid>/task/*/schedstat, in nanoseconds)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int(task.joinpath("schedstat").read_text(encoding="ascii").split()[0])
        except (FileNotFoundError, ProcessLookupError):  # a thread that ended meanwhile
            continue
    return total / 1e9


class Server:
    """One variant served by uvicorn in its own process, pinned to the measured core."""

    def __init__(self, name: str, context: BuildContext, number: int) -> None:
        self.name = name
        self.maintenance = variant(name).maintenance
        self.port = free_port()
        self.log_path = context.workdir / f"http-{name}-{number}.log"
        arguments = [name, context.route_count, self.port, context.workdir, context.redis_url or ""]
        with open(self.log_path, "wb") as log:
            self.process = start_measured("http_load", arguments, self.maintenance, stdout=log, stderr=log)

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=10)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"server {self.name} did not start:\n{self.log_path.read_text(errors='replace')}")

    async def check(self, route_count: int) -> List[str]:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=10) as client:
            return await check_responses(client, route_count, self.maintenance)


@contextmanager
def serving(names: Sequence[str], context: BuildContext, number: int) -> Iterator[Dict[str, Server]]:
    """One server per variant, started, checked over HTTP, and stopped afterwards whatever happens."""
    servers: Dict[str, Server] = {}
    try:
        for name in names:
            servers[name] = Server(name, context, number)
        for server in servers.values():
            server.wait_ready()
        wrong = {name: asyncio.run(server.check(context.route_count)) for name, server in servers.items()}
        if any(wrong.values()):
            raise RuntimeError(f"HTTP: wrong responses: {wrong}")
        yield servers
    finally:
        for server in servers.values():
            stop(server.process)


def load(wrk: str, port: int, script: Path, seconds: int, connections: int) -> subprocess.Popen[str]:
    """wrk against one server, pinned to the other core than the servers'; read it with ``wrk_counts``."""
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), f"http://127.0.0.1:{port}"]
    load_cpu = pinned_cpus()[0]
    if load_cpu is not None and shutil.which("taskset"):
        command = ["taskset", "-c", str(load_cpu), *command]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wrk_counts(process: subprocess.Popen[str], seconds: int) -> Dict[str, Any]:
    output, errors = process.communicate(timeout=seconds + 60)
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{output}{errors}")
    counts: Dict[str, Any] = json.loads(output.splitlines()[-1])
    return counts


def verify_load(name: str, maintenance: bool, counts: Dict[str, Any]) -> None:
    """Every request under load must have been answered as expected (all 200s off, all 503s on)."""
    if counts["non_2xx"] != (counts["requests"] if maintenance else 0) or counts["socket_errors"]:
        raise RuntimeError(f"HTTP {name}: unexpected answers under load: {counts}")


def side_by_side(
    wrk: str, servers: List[Server], script: Path, seconds: int, connections: int
) -> Dict[str, float]:
    """Load the servers at once for the same seconds; each one's requests per CPU second."""
    before = [cpu_seconds(server.process.pid) for server in servers]
    loads = [load(wrk, server.port, script, seconds, connections) for server in servers]
    rates: Dict[str, float] = {}
    for server, process, started in zip(servers, loads, before):
        counts = wrk_counts(process, seconds)
        verify_load(server.name, server.maintenance, counts)
        rates[server.name] = counts["requests"] / (cpu_seconds(server.process.pid) - started)
    return rates


def run_http(
    names: List[str],
    comparisons: List[Tuple[str, str]],
    context: BuildContext,
    *,
    wrk: str,
    rounds: int,
    seconds: int,
    connections: int,
    log: Log,
) -> Dict[str, Any]:
    """``rounds`` rounds in which every variant other than ``bare`` is loaded side by side with it."""
    setup = f"{context.route_count} routes, {rounds} rounds of {seconds} s, wrk -t1 -c{connections}"
    log(f"HTTP: {', '.join(names)}; {setup}")
    script = context.workdir / "paths.lua"
    paths = ", ".join(f'"{path}"' for path, _ in traffic(context.route_count))
    script.write_text(WRK_SCRIPT.substitute(paths=paths), encoding="utf-8")
    others = [name for name in names if name != "bare"]
    measured: List[Round] = []
    for number in range(rounds):
        throughput: Dict[str, float] = {}
        relative = {"bare": 1.0}
        bare_runs: List[float] = []
        # Fresh servers every round: a process's own speed (memory layout, hash seed) varies by
        # several percent, and must average out rather than persist.
        with serving(names, context, number) as servers:
            for server in servers.values():
                wrk_counts(load(wrk, server.port, script, 1, connections), 1)  # warm-up
            shift = number % len(others)
            for name in others[shift:] + others[:shift]:
                pair = [servers["bare"], servers[name]]
                rates = side_by_side(wrk, pair[:: -1 if number % 2 else 1], script, seconds, connections)
                throughput[name] = rates[name]
                relative[name] = rates[name] / rates["bare"]
                bare_runs.append(rates["bare"])
        throughput["bare"] = statistics.fmean(bare_runs)
        measured.append({"throughput": throughput, "relative": relative})
        shown = ", ".join(f"{name} {relative[name]:.2f}" for name in others)
        log(f"  round {number + 1}/{rounds}: bare {throughput['bare']:.0f}/s; {shown}")
    summaries = analyse(measured, names, comparisons)
    return {
        "route_count": context.route_count,
        "setup": setup,
        "variants": names,
        "rounds": measured,
        **summaries,
    }


def main() -> int:
    """A server process: ``python -m bench.harness.http_load VARIANT ROUTES PORT WORKDIR REDIS_URL``."""
    name, routes, port, workdir, redis_url = sys.argv[1:]
    app = variant(name).build(BuildContext(int(routes), Path(workdir), redis_url or None))
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
