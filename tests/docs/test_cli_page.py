"""docs/cli.md: every command runs through the real CLI, and its output is the one the page shows."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from fastapi_maintenance.settings.schema import schema_text
from tests.docs.markdown_blocks import doc_block
from tests.docs.runner import client, in_folder, run_python
from tests.docs.shell import ShellResult, run_block

PAGE = "docs/cli.md"


def _run(page: str, block_id: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> ShellResult:
    return run_block(in_folder(doc_block(page, block_id), folder), folder, monkeypatch)


def _shown(page: str, block_id: str, folder: Path) -> str:
    return in_folder(doc_block(page, block_id), folder).code


def test_install_line(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run(PAGE, "install", sandbox, monkeypatch)


@pytest.mark.anyio
async def test_the_tour(configured: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_python(PAGE, "tour-app")["app"]  # finds ./maintenance.toml, as the command does

    result = _run(PAGE, "tour", configured, monkeypatch)
    output = "".join(run.stdout for run in result.cli_runs)
    assert output == _shown(PAGE, "tour-output", configured)
    assert (configured / "maintenance.flag").read_text() == "0"
    # The app reading the same file follows the command (through uvicorn: tests/cli/test_cli_app_agreement.py).
    on_only = dataclasses.replace(doc_block(PAGE, "tour"), code="fastapi-maintenance on\n")
    run_block(on_only, configured, monkeypatch)
    async with client(app) as http:
        assert (await http.get("/")).status_code == 503


def test_status_exit_code(configured: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(PAGE, "exit-code", configured, monkeypatch)
    assert [run.exit_code for run in result.cli_runs] == [0, 10, 0, 0]


def test_the_app_option(configured: Path, example_modules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The tour's app with a backend built in code, which only --app can see.
    main = doc_block(PAGE, "tour-app").code.replace(
        "app.add_middleware(MaintenanceModeMiddleware)",
        'app.add_middleware(MaintenanceModeMiddleware, backend=LocalFileBackend("code.flag"))',
    )
    imports = "from fastapi_maintenance.backends import LocalFileBackend\n"
    (example_modules / "main.py").write_text(imports + main, encoding="utf-8")
    result = _run(PAGE, "app-option", configured, monkeypatch)
    status, on = result.cli_runs
    assert f"backend:          file://{configured / 'code.flag'} -> off" in status.stdout
    assert "the MaintenanceModeMiddleware of the app main:app" in status.stdout
    assert on.exit_code == 0
    assert (configured / "code.flag").read_text() == "1"


def test_status_json(configured: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(PAGE, "status-json", configured, monkeypatch)
    printed = result.cli_runs[0].stdout
    assert json.loads(printed) == json.loads(_shown(PAGE, "status-json-output", configured))
    assert "\x1b[" not in printed, "no colour in JSON output"


def test_on_off_json_keys(configured: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    block = dataclasses.replace(doc_block(PAGE, "tour"), code="fastapi-maintenance on --json\n")
    data = json.loads(run_block(block, configured, monkeypatch).cli_runs[0].stdout)
    assert set(data) == {"maintenance", "previous", "changed", "backend"}
    again = json.loads(run_block(block, configured, monkeypatch).cli_runs[0].stdout)
    assert again["changed"] is False


def test_read_only_backend_refuses_with_status_2(configured: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(PAGE, "read-only", configured, monkeypatch)
    run = result.cli_runs[0]
    assert run.exit_code == 2
    assert run.stderr.startswith("error: ")
    assert len(run.stderr.strip().splitlines()) == 1
    assert "--backend file --file-path" in run.stderr, "says how to choose a writable backend"
    memory = dataclasses.replace(
        doc_block(PAGE, "read-only"), code="fastapi-maintenance --backend memory on  # exit status 2\n"
    )
    run_block(memory, configured, monkeypatch)


def test_check(configured: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (configured / "broken.toml").write_text("retry_after = -5\n", encoding="utf-8")
    result = _run(PAGE, "check", configured, monkeypatch)
    good, bad = result.cli_runs
    assert good.stdout == _shown(PAGE, "check-output", configured)
    assert bad.exit_code == 1
    assert bad.stderr.startswith("error: Invalid maintenance settings")
    assert "broken.toml" in bad.stderr


def test_check_never_prints_secrets(configured: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "do-not-print-this-secret"
    monkeypatch.setenv("FASTAPI_MAINTENANCE_BYPASS__SECRET", secret)
    block = dataclasses.replace(doc_block(PAGE, "check"), code="fastapi-maintenance check --json\n")
    run = run_block(block, configured, monkeypatch).cli_runs[0]
    assert secret not in run.stdout
    assert json.loads(run.stdout)["ok"] is True


def test_schema(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run(PAGE, "schema", sandbox, monkeypatch)
    assert (sandbox / "maintenance.schema.json").read_text(encoding="utf-8") == schema_text()


def test_the_original_backend_flags(configured: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(PAGE, "backend-flags", configured, monkeypatch)
    assert [run.exit_code for run in result.cli_runs] == [0, 0, 0]
    assert (configured / "maintenance.flag").read_text() == "0"
    assert "maintenance mode: on -> off" in result.cli_runs[2].stdout


def test_deploy_script(configured: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(PAGE, "deploy", configured, monkeypatch)
    assert [run.argv for run in result.cli_runs] == [["check"], ["on"], ["off"]]
    assert (configured / "maintenance.flag").read_text() == "0"


def test_the_exit_status_table_matches_the_cli() -> None:
    from fastapi_maintenance.cli import errors

    text = (Path(__file__).resolve().parents[2] / PAGE).read_text(encoding="utf-8")
    for code in (errors.EXIT_OK, errors.EXIT_CONFIG_ERROR, errors.EXIT_USAGE):
        assert f"| {code} |" in text
    assert f"| {errors.EXIT_BACKEND_UNAVAILABLE} | the backend could not be reached" in text
    assert f"| {errors.EXIT_INTERRUPTED} | interrupted" in text
    assert f"| {errors.EXIT_HARD_SWITCH} | `on`/`off` refused" in text
    assert f"| {errors.EXIT_STATUS_ON} | `status --exit-code` only" in text


def test_an_unreachable_backend_is_status_3(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    block = dataclasses.replace(
        doc_block(PAGE, "tour"),
        code="fastapi-maintenance status --backend redis://127.0.0.1:1/0  # exit status 3\n",
    )
    run = run_block(block, sandbox, monkeypatch).cli_runs[0]
    assert run.stderr.startswith("error: ")
    assert len(run.stderr.strip().splitlines()) == 1
