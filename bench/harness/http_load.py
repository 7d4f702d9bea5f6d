"""The HTTP harness: each variant served by uvicorn on 127.0.0.1, loaded by wrk over loopback.

Every round starts fresh servers for all variants. Each variant is then
measured *at the same time* as the bare app: both servers share one core,
each is loaded by its own wrk on the other core for the same seconds, and
the ratio compares requests per CPU second of the two server processes.
Measured one after the other, as the in-process rounds are, the bare app's
own throughput swung by up to 40 percent between neighbouring 3-second runs
on this shared machine; side by side, whatever slows the machine slows both.
Clocks: ``cpu`` is requests per CPU second of the server process (every
thread, from /proc, in nanoseconds); ``wall`` is wrk's requests per second,
which for two servers sharing a core is about half of what one would reach.
Each server is this module run as a process of its own (``main`` below).
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

from .processes import free_port, pinned_cpus, start_measured
from .stats import Round, analyse
from .traffic import check_responses, traffic
from .variants import BuildContext, variant

Log = Callable[[str], None]


#: The wrk script: cycles through the paths, one per request, and prints wrk's counts as JSON at the end.
WRK_SCRIPT = Template(r"""
local paths = {$paths}
local count = #paths
local index = 0
request = function()
  index = index % count + 1
  return wrk.format("GET", paths[index])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "seconds": %.6f, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout))
end
""")


def cpu_seconds(pid: int) -> float:
    """CPU time of every thread of a process so far, in seconds (nanosecond counters of /proc/<pid>/task/*/schedstat)."""
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
        folder = context.workdir / f"http-{name}-{context.route_count}-{number}"
        folder.mkdir(parents=True, exist_ok=True)
        self.log_path = folder / "stderr.log"
        arguments = [name, context.route_count, self.port, folder, context.redis_url or ""]
        with open(self.log_path, "wb") as log:
            self.process = start_measured(
                "http_load", arguments, variant(name).env, stdout=log, stderr=subprocess.STDOUT
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server {self.name} exited:\n{self.log_path.read_text(errors='replace')}")
            try:
                httpx.get(f"{self.url}/health", timeout=10)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server {self.name} did not start within {timeout} s") from None
                time.sleep(0.1)

    async def check(self, route_count: int) -> List[str]:
        """Problems in real HTTP answers to a sample of the traffic and an unknown path."""
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            return await check_responses(client, route_count, self.maintenance)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def serving(names: List[str], context: BuildContext, number: int) -> Iterator[Dict[str, Server]]:
    """One server per variant, started, checked over HTTP, and stopped afterwards whatever happens."""
    servers: Dict[str, Server] = {}
    try:
        for name in names:
            servers[name] = Server(name, context, number)
        for server in servers.values():
            server.wait_ready()
        wrong = {name: asyncio.run(server.check(context.route_count)) for name, server in servers.items()}
        wrong = {name: problems for name, problems in wrong.items() if problems}
        if wrong:
            raise RuntimeError(f"HTTP: wrong responses: {wrong}")
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def start_wrk(wrk: str, port: int, script: Path, seconds: int, connections: int) -> subprocess.Popen[str]:
    """wrk against one server, pinned to the other core than the servers'; read it with ``wrk_result``."""
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), f"http://127.0.0.1:{port}"]
    load_cpu = pinned_cpus()[0]
    if load_cpu is not None and shutil.which("taskset"):
        command = ["taskset", "-c", str(load_cpu), *command]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wrk_result(process: subprocess.Popen[str], seconds: int) -> Dict[str, Any]:
    """The counts the script's ``done`` printed last, and the requests per second they make."""
    output, errors = process.communicate(timeout=seconds + 60)
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{output}{errors}")
    result: Dict[str, Any] = json.loads(output.splitlines()[-1])
    result["rate"] = result["requests"] / result["seconds"]
    return result


def verify_load(name: str, maintenance: bool, result: Dict[str, Any]) -> None:
    """Every request under load must have been answered as expected (all 200s off, all 503s on)."""
    expected_non_2xx = result["requests"] if maintenance else 0
    if result["non_2xx"] != expected_non_2xx or result["socket_errors"]:
        raise RuntimeError(f"HTTP {name}: unexpected answers under load: {result}")


def run_side_by_side(
    wrk: str, servers: List[Server], script: Path, seconds: int, connections: int
) -> Dict[str, Dict[str, Any]]:
    """Load several servers at once for the same seconds; each result with its server's CPU seconds."""
    before = [cpu_seconds(server.process.pid) for server in servers]
    loads = [start_wrk(wrk, server.port, script, seconds, connections) for server in servers]
    results = [wrk_result(load, seconds) for load in loads]
    for server, result, started in zip(servers, results, before):
        result["server_cpu"] = cpu_seconds(server.process.pid) - started
        verify_load(server.name, server.maintenance, result)
    return {server.name: result for server, result in zip(servers, results)}


def rotated(names: Sequence[str], round_number: int) -> List[str]:
    """The order for one round: rotated each round, reversed every other cycle, so no variant keeps a slot."""
    shift = round_number % len(names)
    order = list(names[shift:]) + list(names[:shift])
    if (round_number // len(names)) % 2:
        order.reverse()
    return order


def _throughput(result: Dict[str, Any], clock: str) -> float:
    """Requests per CPU second of the server (``cpu``), or per elapsed second as wrk saw them (``wall``)."""
    return float(result["requests"] / result["server_cpu"] if clock == "cpu" else result["rate"])


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
    clock: str = "cpu",
) -> Dict[str, Any]:
    """``rounds`` rounds in which every variant other than ``bare`` is loaded side by side with it."""
    log(
        f"HTTP: {', '.join(names)}; {context.route_count} routes, {rounds} rounds of {seconds} s, wrk -c{connections}"
    )
    script = context.workdir / f"paths-{context.route_count}.lua"
    paths = ", ".join(f'"{target.path}"' for target in traffic(context.route_count))
    script.write_text(WRK_SCRIPT.substitute(paths=paths), encoding="utf-8")
    others = [name for name in names if name != "bare"]
    raw: List[Dict[str, Any]] = []
    measured_rounds: List[Dict[str, Round]] = []
    for number in range(rounds):
        measured: Dict[str, Round] = {
            each: {"throughput": {}, "relative": {"bare": 1.0}} for each in ("cpu", "wall")
        }
        bare_runs: Dict[str, List[float]] = {"cpu": [], "wall": []}
        # Fresh server processes every round: a process's own speed (memory layout, hash seed, the
        # core it lands on) varies by several percent, and must average out rather than persist.
        with serving(names, context, number) as servers:
            for server in servers.values():
                wrk_result(start_wrk(wrk, server.port, script, 1, connections), 1)  # warm-up
            for name in rotated(others, number):
                pair = [servers["bare"], servers[name]]
                if number % 2:
                    pair.reverse()  # which wrk starts first alternates too
                results = run_side_by_side(wrk, pair, script, seconds, connections)
                raw += [{"round": number, "variant": v, "paired_with": name, **r} for v, r in results.items()]
                for each in ("cpu", "wall"):
                    ours, bare = _throughput(results[name], each), _throughput(results["bare"], each)
                    measured[each]["throughput"][name] = ours
                    measured[each]["relative"][name] = ours / bare
                    bare_runs[each].append(bare)
        for each, runs in bare_runs.items():
            measured[each]["throughput"]["bare"] = statistics.fmean(runs)
        measured_rounds.append(measured)
        shown = measured[clock]
        log(
            f"  round {number + 1}/{rounds} ({clock}): bare {shown['throughput']['bare']:.0f}/s; "
            + ", ".join(f"{name} {shown['relative'][name]:.2f}" for name in others)
        )
    return {
        "route_count": context.route_count,
        "seconds": seconds,
        "connections": connections,
        "variants": names,
        "rounds": measured_rounds,
        "wrk": raw,
        **analyse(measured_rounds, names, comparisons, clock),
    }


def main() -> int:
    """A server process: ``python -m bench.harness.http_load VARIANT ROUTES PORT WORKDIR REDIS_URL``."""
    name, routes, port, workdir, redis_url = sys.argv[1:]
    app = variant(name).build(BuildContext(int(routes), Path(workdir), redis_url or None))
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
