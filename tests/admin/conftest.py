"""A served app with the admin API under a real uvicorn on 127.0.0.1, its state file, audit log and tokens."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional

import pytest

from fastapi_maintenance.access.admin_tokens import hash_admin_token, new_admin_token
from tests.support.processes import child_env
from tests.support.servers import uvicorn_server

APP = "tests.admin.served_admin_app:app"


def bearer(token: str) -> Dict[str, str]:
    """The Authorization header that presents ``token`` to the admin API."""
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Served:
    """One running server: where it answers, its files and the token it accepts."""

    url: str
    state_file: Path
    audit_log: Path
    token: str

    @property
    def admin_url(self) -> str:
        return f"{self.url}/_maintenance"

    def audit_lines(self) -> list[str]:
        return self.audit_log.read_text(encoding="utf-8").splitlines() if self.audit_log.exists() else []


def write_settings(folder: Path, tokens: Mapping[str, str], extra: str = "") -> Path:
    table = ", ".join(f'{name} = "{value}"' for name, value in tokens.items())
    config = folder / "maintenance.toml"
    config.write_text(
        f'backend = "file://{folder / "state"}"\n'
        'trusted_proxies = ["127.0.0.1"]\n'
        f"{extra}"
        "[admin]\n"
        f"tokens = {{ {table} }}\n",
        encoding="utf-8",
    )
    return config


@contextmanager
def served_admin_app(
    folder: Path, *, workers: int = 1, env: Optional[Dict[str, str]] = None, settings: str = ""
) -> Iterator[Served]:
    token = new_admin_token("deploy-bot")
    config = write_settings(folder, {"deploy-bot": hash_admin_token(token)}, settings)
    (folder / "state").write_text("0", encoding="utf-8")
    audit_log = folder / "audit.log"
    environment = {"FASTAPI_MAINTENANCE_CONFIG": str(config), "ADMIN_TEST_AUDIT_LOG": str(audit_log)}
    environment.update(env or {})
    extra: Sequence[str] = ("--workers", str(workers)) if workers > 1 else ()
    with uvicorn_server(APP, cwd=folder, env=environment, extra_args=extra) as url:
        yield Served(url, folder / "state", audit_log, token)


def start_failure(folder: Path, config: Path) -> subprocess.CompletedProcess[str]:
    """Run uvicorn on the app with ``config`` and expect it to stop by itself (a start-up error)."""
    environment = child_env({"FASTAPI_MAINTENANCE_CONFIG": str(config)})
    command = [sys.executable, "-m", "uvicorn", APP, "--host", "127.0.0.1", "--port", "0"]
    return subprocess.run(command, cwd=folder, env=environment, capture_output=True, text=True, timeout=60)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with served_admin_app(tmp_path) as running:
        yield running
