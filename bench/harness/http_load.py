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
"""

from __future__ import annotations

import http.client
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from .processes import REPO_ROOT, child_env, free_port, pin, pinned_cpus
from .stats import Round, analyse, rotated
from .traffic import UNKNOWN_PATH, problem_with, traffic
from .variants import variant

Log = Callable[[str], None]


@dataclass(frozen=True)
class Places:
    """Where one HTTP run keeps its files, and the Redis server its Redis variant uses."""

    workdir: Path
    redis_url: Optional[str] = None


_RATE = re.compile(r"Requests/sec:\s+([0-9.]+)")
_TOTAL = re.compile(r"(\d+) requests in")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def lua_script(paths: List[str]) -> str:
    """A wrk script cycling through ``paths``, one per request."""
    quoted = ",\n".join(f'  "{path}"' for path in paths)
    return (
        f"local paths = {{\n{quoted}\n}}\n"
        "local count = #paths\n"
        "local next_index = 0\n"
        "request = function()\n"
        "  next_index = next_index % count + 1\n"
        '  return wrk.format("GET", paths[next_index])\n'
        "end\n"
    )


def cpu_seconds(pid: int) -> float:
    """CPU time of every thread of a process so far, in seconds (nanosecond counters of /proc/<pid>/task/*/schedstat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int(task.joinpath("schedstat").read_text(encoding="ascii").split()[0])
        except (FileNotFoundError, ProcessLookupError):  # a thread that ended meanwhile
            continue
    return total / 1e9


def get(port: int, path: str) -> Tuple[int, bytes, Optional[str]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read(), response.getheader("Retry-After")
    finally:
        connection.close()


class Server:
    """One variant served by uvicorn in its own process."""

    def __init__(self, name: str, route_count: int, places: Places, *, suffix: str = "") -> None:
        spec = variant(name)
        self.name = name
        self.maintenance = spec.maintenance
        self.route_count = route_count
        self.port = free_port()
        self.folder = places.workdir / f"http-{name}-{route_count}-{suffix}"
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "bench.harness.serve",
            "--variant",
            name,
            "--routes",
            str(route_count),
        ]
        command += ["--port", str(self.port), "--workdir", str(self.folder)]
        if places.redis_url is not None:
            command += ["--redis-url", places.redis_url]
        self.log_path = self.folder / "stderr.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=child_env(spec.env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        pin(self.process.pid, pinned_cpus()[1])

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server {self.name} exited:\n{self.log_path.read_text(errors='replace')}")
            try:
                get(self.port, "/health")
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server {self.name} did not start within {timeout} s") from None
                time.sleep(0.1)

    def check(self, sample: int = 32) -> List[str]:
        """Problems in real HTTP responses to a sample of the traffic and an unknown path."""
        problems = []
        checks: List[Tuple[str, Optional[Dict[str, Any]]]] = [
            (t.path, t.body) for t in traffic(self.route_count, sample)
        ]
        checks.append((UNKNOWN_PATH, None))
        for path, expected in checks:
            status, body, retry_after = get(self.port, path)
            problem = problem_with(path, status, body, retry_after, self.maintenance, expected)
            if problem is not None:
                problems.append(problem)
        return problems

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def start_servers(names: List[str], route_count: int, places: Places, number: int) -> Dict[str, Server]:
    """Start one server per variant, wait for each, and check its answers over HTTP."""
    servers: Dict[str, Server] = {}
    try:
        for name in names:
            servers[name] = Server(name, route_count, places, suffix=str(number))
        for server in servers.values():
            server.wait_ready()
        problems = {name: server.check() for name, server in servers.items()}
    except BaseException:
        for server in servers.values():
            server.stop()
        raise
    wrong = {name: found for name, found in problems.items() if found}
    if wrong:
        for server in servers.values():
            server.stop()
        raise RuntimeError(f"HTTP: wrong responses: {wrong}")
    return servers


def start_wrk(wrk: str, port: int, script: Path, seconds: int, connections: int) -> subprocess.Popen[str]:
    """wrk against one server, pinned to the other core than the servers'; read it with ``wrk_result``."""
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), f"http://127.0.0.1:{port}"]
    load_cpu = pinned_cpus()[0]
    if load_cpu is not None and shutil.which("taskset"):
        command = ["taskset", "-c", str(load_cpu), *command]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wrk_result(process: subprocess.Popen[str], seconds: int) -> Dict[str, Any]:
    output, errors = process.communicate(timeout=seconds + 60)
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{output}{errors}")
    rate = _RATE.search(output)
    total = _TOTAL.search(output)
    if rate is None or total is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    non_2xx = _NON_2XX.search(output)
    socket_errors = _SOCKET_ERRORS.search(output)
    return {
        "rate": float(rate.group(1)),
        "requests": int(total.group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(value) for value in socket_errors.groups()) if socket_errors else 0,
    }


def run_side_by_side(
    wrk: str, servers: List[Server], script: Path, seconds: int, connections: int
) -> List[Dict[str, Any]]:
    """Load several servers at once for the same seconds; each result with its server's CPU seconds."""
    before = [cpu_seconds(server.process.pid) for server in servers]
    loads = [start_wrk(wrk, server.port, script, seconds, connections) for server in servers]
    results = [wrk_result(load, seconds) for load in loads]
    for server, result, started in zip(servers, results, before):
        result["server_cpu"] = cpu_seconds(server.process.pid) - started
        verify_load(server.name, server.maintenance, result)
    return results


def verify_load(name: str, maintenance: bool, result: Dict[str, Any]) -> None:
    """Every request under load must have been answered as expected (all 200s off, all 503s on)."""
    expected_non_2xx = result["requests"] if maintenance else 0
    if result["non_2xx"] != expected_non_2xx or result["socket_errors"]:
        raise RuntimeError(f"HTTP {name}: unexpected answers under load: {result}")


def _throughput(result: Dict[str, Any]) -> Dict[str, float]:
    """Requests per CPU second of the server (``cpu``) and per elapsed second as wrk saw them (``wall``)."""
    return {"cpu": result["requests"] / result["server_cpu"], "wall": result["rate"]}


def run_http(
    names: List[str],
    comparisons: List[Tuple[str, str]],
    route_count: int,
    places: Places,
    *,
    wrk: str,
    rounds: int,
    seconds: int,
    connections: int,
    log: Log,
    reference: str = "bare",
    clock: str = "cpu",
) -> Dict[str, Any]:
    log(
        f"HTTP: {', '.join(names)}; {route_count} routes, {rounds} rounds of {seconds} s each, wrk -c{connections}"
    )
    script = places.workdir / f"paths-{route_count}.lua"
    script.write_text(lua_script([t.path for t in traffic(route_count)]), encoding="utf-8")
    raw: List[Dict[str, Any]] = []
    others = [name for name in names if name != reference]
    measured_rounds: List[Dict[str, Round]] = []
    for number in range(rounds):
        # Fresh server processes every round: a process's own speed (memory layout, hash seed, the
        # core it lands on) varies by several percent, and must average out rather than persist.
        servers = start_servers(names, route_count, places, number)
        try:
            for server in servers.values():
                wrk_result(start_wrk(wrk, server.port, script, 1, connections), 1)  # warm-up
            measured: Dict[str, Round] = {
                "cpu": {"throughput": {}, "relative": {reference: 1.0}},
                "wall": {"throughput": {}, "relative": {reference: 1.0}},
            }
            reference_runs: Dict[str, List[float]] = {"cpu": [], "wall": []}
            for name in rotated(others, number):
                pair = [servers[reference], servers[name]]
                if number % 2:
                    pair.reverse()  # which wrk starts first alternates too
                results = {
                    server.name: result
                    for server, result in zip(pair, run_side_by_side(wrk, pair, script, seconds, connections))
                }
                for variant_name, result in results.items():
                    raw.append({"round": number, "variant": variant_name, "paired_with": name, **result})
                ours, bare = _throughput(results[name]), _throughput(results[reference])
                for each in ("cpu", "wall"):
                    measured[each]["throughput"][name] = ours[each]
                    measured[each]["relative"][name] = ours[each] / bare[each]
                    reference_runs[each].append(bare[each])
            for each, runs in reference_runs.items():
                measured[each]["throughput"][reference] = statistics.fmean(runs)
            measured_rounds.append(measured)
        finally:
            for server in servers.values():
                server.stop()
        shown = measured_rounds[-1][clock]
        relative = shown["relative"]
        log(
            f"  round {number + 1}/{rounds} ({clock}): {reference} {shown['throughput'][reference]:.0f}/s; "
            + ", ".join(f"{n} {relative[n]:.2f}" for n in others)
        )
    return {
        "route_count": route_count,
        "seconds": seconds,
        "connections": connections,
        "variants": names,
        "rounds": measured_rounds,
        "wrk": raw,
        **analyse(measured_rounds, names, comparisons, clock),
    }
