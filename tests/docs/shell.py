"""Shell blocks of the docs, checked line by line.

``fastapi-maintenance`` commands run for real (in-process, through the CLI's own entry point) in
a scratch directory with the variables the block exported, and ``python -c`` one-liners run in a
subprocess. Everything else that would install software, start a server or reach the network is
checked for form instead: ``pip install`` must
name extras that exist in pyproject.toml, ``export`` must set a variable the library reads to a
value it accepts, ``uvicorn`` options are parsed by uvicorn's own command-line parser, ``curl``
must target the local server. Any other command fails the check, so a new kind of line needs a
decision here rather than slipping through.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from fastapi_maintenance import load_settings
from fastapi_maintenance.access.admin_tokens import TOKEN_ENV_VAR as ADMIN_TOKEN_VAR
from fastapi_maintenance.backends._parse import parse_state
from fastapi_maintenance.settings import CONFIG_ENV_VAR, ENV_PREFIX, MaintenanceSettings
from fastapi_maintenance.settings.files import parse_toml
from tests.docs.markdown_blocks import ROOT, Block
from tests.support.cli import run_cli_in_process

_EXIT_NOTE = re.compile(r"#\s*exit status (\d+)\s*$")
_REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)(?:\[(?P<extras>[A-Za-z0-9_,\- ]*)\])?$")
#: Packages other than ours that a page may tell readers to install.
OTHER_PACKAGES = frozenset({"uvicorn", "httpx", "pytest"})
SHELL_LANGS = frozenset({"bash", "sh", "shell", "console"})


@dataclass
class CliRun:
    argv: List[str]
    exit_code: int
    stdout: str
    stderr: str


@dataclass
class ShellResult:
    """What a block did: the CLI runs in order, and the environment it exported."""

    cli_runs: List[CliRun] = field(default_factory=list)
    exported: Dict[str, str] = field(default_factory=dict)


def project_extras() -> List[str]:
    pyproject = ROOT / "pyproject.toml"
    data = parse_toml(pyproject.read_text(encoding="utf-8"), pyproject)
    return list(data["project"]["optional-dependencies"])


def logical_lines(code: str) -> List[Tuple[str, Optional[int]]]:
    """(command, expected exit status) per command line: comments dropped, continuations joined."""
    joined: List[str] = []
    pending = ""
    for raw in code.splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    assert not pending, "a shell block ends with a line continuation"
    result: List[Tuple[str, Optional[int]]] = []
    for line in joined:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        note = _EXIT_NOTE.search(stripped)
        expected = int(note.group(1)) if note else None
        words = shlex.split(stripped, comments=True)
        if words:
            result.append((shlex.join(words), expected))
    return result


def check_pip(words: List[str], where: str) -> None:
    assert words[:2] == ["pip", "install"], f"{where}: only 'pip install' is documented, got {words}"
    extras_known = set(project_extras())
    requirements = [word for word in words[2:] if not word.startswith("-")]
    assert requirements, f"{where}: pip install without a package"
    for requirement in requirements:
        local = re.fullmatch(r"\.\[(?P<extras>[A-Za-z0-9_, \-]+)\]", requirement)
        if local is not None:  # this checkout with extras: pip install -e ".[docs]"
            unknown = sorted({extra.strip() for extra in local.group("extras").split(",")} - extras_known)
            assert not unknown, f"{where}: extras {unknown} do not exist"
            continue
        assert requirement != ".", f"{where}: installing the checkout itself is fine but say which extras"
        match = _REQUIREMENT.match(requirement)
        assert match is not None, f"{where}: {requirement!r} is not a plain requirement"
        name = match.group("name")
        extras = [extra.strip() for extra in (match.group("extras") or "").split(",") if extra.strip()]
        if name == "fastapi-maintenance":
            unknown = sorted(set(extras) - extras_known)
            assert not unknown, (
                f"{where}: extras {unknown} do not exist (pyproject.toml has {sorted(extras_known)})"
            )
        else:
            assert name in OTHER_PACKAGES, f"{where}: {name!r} is not a package the docs may install"


def check_export(name: str, value: str, where: str) -> None:
    if name == "FASTAPI_MAINTENANCE_MODE" or not name.startswith(ENV_PREFIX):
        assert parse_state(value) is not None, f"{where}: {name}={value!r} is not an on/off value"
    elif name == ADMIN_TOKEN_VAR:
        assert value, f"{where}: {name} (the admin token for --url) is empty"
    elif name == CONFIG_ENV_VAR:
        assert Path(value).suffix in (".toml", ".yaml", ".yml"), f"{where}: {name} must name a TOML/YAML file"
    else:
        key = name[len(ENV_PREFIX) :].lower().split("__")[0]
        assert key in MaintenanceSettings.model_fields, f"{where}: {name} names no settings key"


def check_uvicorn(words: List[str], where: str) -> None:
    import uvicorn.main

    command = uvicorn.main.main.__self__  # type: ignore[attr-defined]
    try:
        context = command.make_context("uvicorn", list(words[1:]))
    except Exception as exc:
        raise AssertionError(f"{where}: uvicorn rejects {shlex.join(words)}: {exc}") from None
    target = str(context.params["app"])
    assert re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", target), (
        f"{where}: {target!r} is not module:attribute"
    )
    host = context.params.get("host")
    assert host in ("127.0.0.1", "0.0.0.0", None), f"{where}: unexpected --host {host}"


def check_curl(words: List[str], where: str) -> None:
    urls = [word for word in words[1:] if word.startswith("http")]
    assert len(urls) == 1, f"{where}: curl needs exactly one URL"
    assert urls[0].startswith(("http://127.0.0.1:8000/", "http://localhost:8000/")), (
        f"{where}: examples talk to the local server on port 8000, got {urls[0]}"
    )
    allowed = {"-i", "-s", "-X", "-H", "-d", "--head", "-I"}
    options = [word for word in words[1:] if word.startswith("-")]
    assert set(options) <= allowed, f"{where}: curl options {sorted(set(options) - allowed)} not documented"


def run_cli(argv: List[str], cwd: Path, env: Dict[str, str]) -> CliRun:
    """Run the CLI in-process the way the console script does, capturing its output."""
    ran = run_cli_in_process(argv, env=env, cwd=cwd)
    return CliRun(argv, ran.exit_code, ran.stdout, ran.stderr)


def run_block(block: Block, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> ShellResult:
    """Check every line of a shell block; run its ``fastapi-maintenance`` commands in ``cwd``."""
    assert block.lang in SHELL_LANGS, f"{block.where}: not a shell block"
    result = ShellResult()
    for command, expected in logical_lines(block.code):
        where = f"{block.where}: {command}"
        words = shlex.split(command)
        inline: Dict[str, str] = {}
        while words and re.fullmatch(r"[A-Za-z_]\w*=.*", words[0]):
            name, _, value = words.pop(0).partition("=")
            check_export(name, value, where)
            inline[name] = value
        if not words:
            result.exported.update(inline)
            continue
        program = words[0]
        if words[:2] in (["set", "-e"], ["set", "-euo"]):
            continue  # shell options of a script: nothing to check
        if program == "export":
            for assignment in words[1:]:
                name, equals, value = assignment.partition("=")
                assert equals, f"{where}: export without a value"
                check_export(name, value, where)
                result.exported[name] = value
        elif program == "pip":
            check_pip(words, where)
        elif program == "uvicorn":
            check_uvicorn(words, where)
        elif program == "curl":
            check_curl(words, where)
        elif program == "mkdocs":
            assert words[1:2] in (["serve"], ["build"]), f"{where}: only mkdocs serve/build are documented"
            assert set(words[2:]) <= {"--strict"}, f"{where}: undocumented mkdocs options {words[2:]}"
            assert (ROOT / "mkdocs.yml").is_file(), f"{where}: there is no mkdocs.yml"
        elif words[:2] == ["python", "-c"] and len(words) == 3:
            ran = subprocess.run(
                [sys.executable, "-c", words[2]], capture_output=True, timeout=30, check=False
            )
            assert ran.returncode == 0, f"{where}: exit status {ran.returncode}: {ran.stderr.decode()}"
        elif program == "fastapi-maintenance" or words[:3] == ["python", "-m", "fastapi_maintenance"]:
            argv = words[1:] if program == "fastapi-maintenance" else words[3:]
            redirect: Optional[str] = None
            if len(argv) >= 2 and argv[-2] == ">":
                argv, redirect = argv[:-2], argv[-1]
            env = {**result.exported, **inline}
            run = run_cli(argv, cwd, env)
            wanted = 0 if expected is None else expected
            assert run.exit_code == wanted, (
                f"{where}: exit status {run.exit_code}, the page says {wanted}\n{run.stdout}{run.stderr}"
            )
            if redirect is not None:
                (cwd / redirect).write_text(run.stdout, encoding="utf-8")
            result.cli_runs.append(run)
        else:
            raise AssertionError(f"{where}: the docs harness does not know how to check {program!r}")
    settings_env = {
        name: value
        for name, value in result.exported.items()
        if name.startswith(ENV_PREFIX) and name not in (CONFIG_ENV_VAR, ADMIN_TOKEN_VAR)
    }
    if settings_env:
        for name, value in settings_env.items():
            monkeypatch.setenv(name, value)
        load_settings()  # the exported settings variables are valid together
    return result
