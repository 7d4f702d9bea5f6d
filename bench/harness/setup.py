"""The bench's own setup: the fastapi-maintenance 0.0.5 virtual environment, and wrk.

Neither is part of CI. The virtual environment pins the same fastapi,
starlette, pydantic, anyio and uvicorn as the interpreter running the bench,
so both packages are measured on the same framework and server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Callable, Dict, Tuple

from .pool import BENCH_DIR

Log = Callable[[str], None]
FM005_VENV = BENCH_DIR / ".venv-fm005"
FM005_REQUIREMENT = "fastapi-maintenance==0.0.5"
# uvicorn too: the HTTP harness serves 0.0.5's variants from this environment.
PINNED = ("fastapi", "starlette", "pydantic", "anyio", "uvicorn")
_PROBE = (
    "import json, importlib.metadata as m\n"
    f"names = {json.dumps(['fastapi-maintenance', *PINNED])}\n"
    "found = {}\n"
    "for name in names:\n"
    "    try:\n"
    "        found[name] = m.version(name)\n"
    "    except m.PackageNotFoundError:\n"
    "        found[name] = None\n"
    "print(json.dumps(found))\n"
)


def wanted_versions() -> Dict[str, str]:
    wanted = {name: metadata.version(name) for name in PINNED}
    wanted["fastapi-maintenance"] = "0.0.5"
    return wanted


def _installed(python: Path) -> Dict[str, str]:
    output = subprocess.run(
        [str(python), "-I", "-c", _PROBE], capture_output=True, text=True, check=True
    ).stdout
    found: Dict[str, str] = json.loads(output)
    return found


def ensure_fm005_venv(log: Log, venv: Path = FM005_VENV) -> Tuple[Path, Path]:
    """Create (or repair) the 0.0.5 virtual environment; return its python and its root."""
    python = venv / "bin" / "python"
    wanted = wanted_versions()
    if python.exists() and _installed(python) == wanted:
        return python, venv
    if not python.exists():
        log(f"setup: creating {venv} (python -m venv)")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    requirements = [FM005_REQUIREMENT] + [f"{name}=={wanted[name]}" for name in PINNED]
    log(f"setup: pip install {' '.join(requirements)} into {venv}")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *requirements], check=True)
    installed = _installed(python)
    if installed != wanted:
        raise RuntimeError(f"{venv}: installed {installed}, wanted {wanted}")
    return python, venv


def ensure_wrk(log: Log) -> str:
    """The wrk binary; installed from Debian's packages with apt-get when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise RuntimeError(
            "wrk is not installed; run `apt-get install wrk` as root, or skip HTTP with --no-http"
        )
    log("setup: apt-get install wrk")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "wrk"]
    if subprocess.run(install, env=environment).returncode != 0:
        subprocess.run(["apt-get", "update"], env=environment, check=True)
        subprocess.run(install, env=environment, check=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("apt-get install wrk did not provide a wrk binary")
    return found
