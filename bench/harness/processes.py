"""Child processes of the benchmark: where they run, their environment, and the core each is pinned to."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = BENCH_DIR.parent


def pinned_cpus() -> Tuple[Optional[int], Optional[int]]:
    """(CPU for load generators, CPU for the measured processes), or (None, None) on a single CPU.

    Left to the scheduler, the same server measured twice in a row differed by up to 25 percent on a
    2-core machine, depending on the core it landed on and whether the load generator shared it.
    """
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None, None
    return allowed[0], allowed[-1]


def pin(pid: int, cpu: Optional[int]) -> None:
    if cpu is not None:
        os.sched_setaffinity(pid, {cpu})


def child_env(extra: Mapping[str, str]) -> Dict[str, str]:
    """This environment without maintenance settings, with this checkout importable, plus ``extra``."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("FASTAPI_MAINTENANCE_")
    }
    environment["PYTHONPATH"] = str(REPO_ROOT)
    environment.update(extra)
    return environment


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
