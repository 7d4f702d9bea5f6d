"""docs/index.md, docs/installation.md and docs/first-steps.md."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fastapi_maintenance import MaintenanceConfigError, load_settings
from fastapi_maintenance.cli import MISSING_EXTRA_MESSAGE, main
from tests.docs.markdown_blocks import doc_block
from tests.docs.runner import MAINTENANCE_BODY, client, install_module, run_python
from tests.docs.shell import project_extras, run_block

INDEX = "docs/index.md"
INSTALL = "docs/installation.md"
FIRST = "docs/first-steps.md"


@pytest.mark.anyio
async def test_index_example(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_python(INDEX, "hello")["app"]
    async with client(app) as http:
        assert (await http.get("/")).json() == {"message": "Hello World"}
        monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
        response = await http.get("/")
    assert response.status_code == 503
    assert response.text == doc_block(INDEX, "hello-response").code.strip() == MAINTENANCE_BODY
    assert response.headers["retry-after"] == "3600"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "block_id", ["install-core", "install-extras", "install-combined", "install-uvicorn"]
)
def test_install_lines(block_id: str, sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_block(doc_block(INSTALL, block_id), sandbox, monkeypatch)


def test_every_user_extra_is_documented() -> None:
    shown = doc_block(INSTALL, "install-extras").code
    for extra in ("toml", "yaml", "templates", "redis", "cli", "metrics", "all"):
        assert extra in project_extras()
        assert f'"fastapi-maintenance[{extra}]"' in shown


def test_missing_extra_message(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = sandbox / "maintenance.yaml"
    config.write_text("retry_after: 60\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "yaml", None)  # PyYAML not installed
    with pytest.raises(MaintenanceConfigError) as error:
        load_settings(config)
    shown = doc_block(INSTALL, "missing-extra-message").code.strip()
    assert str(error.value) == shown.replace("/srv/app/maintenance.yaml", str(config))


def test_the_cli_without_its_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "typer", None)
    monkeypatch.delitem(sys.modules, "fastapi_maintenance.cli.app", raising=False)
    assert main(["status"]) == 1
    error = capsys.readouterr().err
    assert error.strip() == MISSING_EXTRA_MESSAGE
    assert '"fastapi-maintenance[cli]"' in error
    assert len(error.strip().splitlines()) == 1


@pytest.mark.anyio
async def test_main_py_and_the_curl_output(example_modules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    main_module = install_module(FIRST, "main-py", example_modules)
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    async with client(main_module.app) as http:
        response = await http.get("/")
        docs = await http.get("/docs")
        missing = await http.get("/nope")
    shown = doc_block(FIRST, "curl-output").code
    head, _, body = shown.partition("\n\n")
    status_line, *header_lines = head.splitlines()
    assert status_line == f"HTTP/1.1 {response.status_code} {response.reason_phrase}"
    real = [(name.decode(), value.decode()) for name, value in response.headers.raw]
    shown_headers = [tuple(line.split(": ", 1)) for line in header_lines]
    assert shown_headers == [pair for pair in real if pair[0] != "content-length"], "same headers, same order"
    assert body.strip() == response.text
    assert docs.status_code == 200, "FastAPI's docs stay reachable"
    assert missing.status_code == 404, "the app's own 404"


TRUTHY_FROM_THE_TABLE = ["1", "yes", "Y", " true ", "T", "ON"]
FALSY_FROM_THE_TABLE = ["0", "no", "n", "false", "f", "OFF", ""]


@pytest.mark.parametrize(
    ("value", "status"),
    [(value, 503) for value in TRUTHY_FROM_THE_TABLE] + [(value, 200) for value in FALSY_FROM_THE_TABLE],
)
@pytest.mark.anyio
async def test_values_from_the_table(
    value: str, status: int, sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = run_python(FIRST, "main-py")["app"]
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", value)
    async with client(app) as http:
        assert (await http.get("/")).status_code == status


@pytest.mark.anyio
async def test_anything_else_is_off_with_one_warning(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = run_python(FIRST, "main-py")["app"]
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "maybe")
    async with client(app) as http:
        for _ in range(3):
            assert (await http.get("/")).status_code == 200
    warnings = [record for record in caplog.records if "maybe" in record.getMessage()]
    assert len(warnings) == 1


@pytest.mark.parametrize(("block_id", "value"), [("export-on", "1"), ("export-off", "0")])
def test_export_blocks(block_id: str, value: str, sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_block(doc_block(FIRST, block_id), sandbox, monkeypatch)
    assert result.exported == {"FASTAPI_MAINTENANCE_MODE": value}


def test_curl_line(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_block(doc_block(FIRST, "curl"), sandbox, monkeypatch)


@pytest.mark.anyio
async def test_hard_switch_wins_over_the_environment(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "0")
    app = run_python(FIRST, "hard-switch")["app"]
    async with client(app) as http:
        response = await http.get("/")
    assert response.status_code == 503
    assert response.text == MAINTENANCE_BODY


@pytest.mark.anyio
async def test_the_readers_own_tests_pass(example_modules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_module(FIRST, "main-py", example_modules)
    namespace = run_python(FIRST, "test-main")
    tests = [name for name in namespace if name.startswith("test_")]
    assert tests == ["test_maintenance_answers_503", "test_normal_service"]
    for name in tests:
        marks = [mark.name for mark in getattr(namespace[name], "pytestmark", [])]
        assert marks == ["anyio"], name
        with monkeypatch.context() as patch:
            await namespace[name](patch)
