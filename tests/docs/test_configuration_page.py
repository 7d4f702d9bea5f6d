"""docs/configuration.md."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi import FastAPI

from fastapi_maintenance import (
    MaintenanceConfigError,
    MaintenanceModeMiddleware,
    MaintenanceSettings,
    load_settings,
)
from fastapi_maintenance.backends import LocalFileBackend
from fastapi_maintenance.settings import FileBackendConfig
from fastapi_maintenance.settings.files import parse_toml, parse_yaml
from fastapi_maintenance.settings.schema import schema_text
from tests.docs.markdown_blocks import ROOT, doc_block
from tests.docs.runner import SHOWN_FOLDER, client, run_python, write_block
from tests.docs.shell import run_block
from tests.support.apps import echo_endpoint
from tests.support.asgi import find_middleware
from tests.support.lifespan import startup_failure_async

PAGE = "docs/configuration.md"


def _route(app: FastAPI, *paths: str) -> FastAPI:
    for path in paths:
        app.add_api_route(path, echo_endpoint(path))
    return app


def _shown_error(block_id: str, folder: Path) -> str:
    return doc_block(PAGE, block_id).code.strip().replace(SHOWN_FOLDER, str(folder))


@pytest.mark.anyio
async def test_keyword_arguments(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _route(run_python(PAGE, "kwargs")["app"], "/healthz", "/shop")
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    async with client(app) as http:
        assert (await http.get("/healthz")).status_code == 200
        blocked = await http.get("/shop")
    assert blocked.json() == {"detail": "Back soon"}
    assert blocked.headers["retry-after"] == "600"


@pytest.mark.anyio
async def test_from_config_with_the_toml_block(sandbox: Path) -> None:
    write_block(doc_block(PAGE, "toml"), sandbox)
    (sandbox / "run").mkdir()
    app = _route(run_python(PAGE, "from-config")["app"], "/health", "/shop")
    async with client(app, peer="198.51.100.7") as http:
        assert (await http.get("/shop")).status_code == 200
        backend = find_middleware(app).backend
        assert isinstance(backend, LocalFileBackend)
        assert backend.file_path == sandbox / "run" / "maintenance", "relative to the file's folder"
        await backend.set_value(True)
        blocked = await http.get("/shop")
        assert blocked.json() == {"detail": "Scheduled maintenance, back at 14:00 UTC"}
        assert blocked.headers["retry-after"] == "900"
        assert (await http.get("/health")).status_code == 200
    async with client(app, peer="10.9.8.7") as inside:
        assert (await inside.get("/shop")).status_code == 200, "allowed_ips"


def test_from_config_validates_on_the_spot(sandbox: Path) -> None:
    (sandbox / "maintenance.toml").write_text("retry_after = -1\n", encoding="utf-8")
    with pytest.raises(MaintenanceConfigError, match="retry_after"):
        run_python(PAGE, "from-config")


def test_environment_only(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_block(doc_block(PAGE, "env-only"), sandbox, monkeypatch)
    assert set(result.exported) == {
        "FASTAPI_MAINTENANCE_BACKEND",
        "FASTAPI_MAINTENANCE_EXEMPT_PATHS",
        "FASTAPI_MAINTENANCE_RETRY_AFTER",
        "FASTAPI_MAINTENANCE_RESPONSE__MESSAGE",
    }
    settings = load_settings()
    assert settings.backend.type == "redis"
    assert settings.exempt_paths == ["/health*", "/admin/**"]
    assert settings.retry_after == 900
    assert settings.response.message == "Scheduled maintenance, back at 14:00 UTC"


@pytest.mark.anyio
async def test_settings_object(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    namespace = run_python(PAGE, "settings-object")
    app = _route(namespace["app"], "/healthz", "/articles")
    app.add_api_route("/articles", echo_endpoint("post"), methods=["POST"])
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    async with client(app) as http:
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/articles")).status_code == 200, "read_only"
        assert (await http.post("/articles")).status_code == 503
    middleware = MaintenanceModeMiddleware(FastAPI(), settings=namespace["settings"], retry_after=5)
    assert "inside settings=" in await startup_failure_async(middleware)


def test_settings_object_reads_the_environment_and_the_named_file(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (sandbox / "ops.toml").write_text('exempt_paths = ["/from-file"]\nretry_after = 5\n', encoding="utf-8")
    monkeypatch.setenv("FASTAPI_MAINTENANCE_CONFIG", str(sandbox / "ops.toml"))
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RETRY_AFTER", "7")
    settings = MaintenanceSettings(exempt_paths=["/from-kwargs"])
    assert settings.exempt_paths == ["/from-kwargs"]
    assert settings.retry_after == 7


def test_sources_example(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (sandbox / "maintenance.toml").write_text(
        'exempt_paths = ["/health*"]\nretry_after = 300\n', encoding="utf-8"
    )
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RESPONSE__MESSAGE", "Back soon")
    namespace = run_python(PAGE, "sources")
    assert namespace["settings"].retry_after == 60
    shown = doc_block(PAGE, "sources-output").code.replace(SHOWN_FOLDER, str(sandbox))
    assert capsys.readouterr().out == shown


def test_nested_keys_merge_and_backend_is_replaced_whole(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = sandbox / "maintenance.toml"
    config.write_text(
        '[response]\nmessage = "From the file"\n\n[backend]\ntype = "env"\nvar_name = "MY_FLAG"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RESPONSE__STATUS_CODE", "599")
    monkeypatch.setenv("FASTAPI_MAINTENANCE_BACKEND", "memory")
    settings = load_settings(config)
    assert settings.response.message == "From the file"
    assert settings.response.status_code == 599
    assert settings.backend.type == "memory"


def test_environment_variable_rules(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_READ_ONLY", "true")
    monkeypatch.setenv("FASTAPI_MAINTENANCE_ALLOWED_IPS", '["10.0.0.0/8"]')
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RESPONSE", '{"status_code": 503}')
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RETRY_AFTER", "")  # empty: not set
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")  # not a settings key
    settings = load_settings()
    assert settings.read_only is True
    assert settings.allowed_ips == ["10.0.0.0/8"]
    assert settings.retry_after == 3600
    monkeypatch.setenv("FASTAPI_MAINTENANCE_READONLY", "true")
    with pytest.raises(MaintenanceConfigError, match="did you mean FASTAPI_MAINTENANCE_READ_ONLY"):
        load_settings()


def test_toml_and_yaml_blocks_are_the_same_configuration(sandbox: Path) -> None:
    toml_folder, yaml_folder = sandbox / "toml", sandbox / "yaml"
    toml_folder.mkdir()
    yaml_folder.mkdir()
    from_toml = load_settings(write_block(doc_block(PAGE, "toml"), toml_folder))
    from_yaml = load_settings(write_block(doc_block(PAGE, "yaml"), yaml_folder))
    toml_backend, yaml_backend = from_toml.backend, from_yaml.backend
    assert isinstance(toml_backend, FileBackendConfig)
    assert isinstance(yaml_backend, FileBackendConfig)
    assert toml_backend.path == toml_folder / "run" / "maintenance"
    assert yaml_backend.path == yaml_folder / "run" / "maintenance"
    left = from_toml.model_dump(exclude={"backend"})
    right = from_yaml.model_dump(exclude={"backend"})
    assert left == right
    assert from_toml.windows[0].message == "Database upgrade until 03:00 UTC"


def test_editor_schema_lines_and_the_saved_schema(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_block(doc_block(PAGE, "schema-save"), sandbox, monkeypatch)
    saved = sandbox / "maintenance.schema.json"
    assert saved.read_text(encoding="utf-8") == schema_text()
    assert doc_block(PAGE, "toml").code.startswith("#:schema ./maintenance.schema.json\n")
    assert doc_block(PAGE, "yaml").code.startswith(
        "# yaml-language-server: $schema=./maintenance.schema.json\n"
    )
    schema = json.loads(saved.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for block_id, parse in (("toml", parse_toml), ("yaml", parse_yaml)):
        document = _as_json(parse(doc_block(PAGE, block_id).code, sandbox / f"x.{block_id}"))
        assert list(validator.iter_errors(document)) == [], block_id
    assert list(validator.iter_errors({"exempt_pathz": []})), "the schema rejects unknown keys"
    (sandbox / "with-key.toml").write_text('"$schema" = "./maintenance.schema.json"\n', encoding="utf-8")
    load_settings(sandbox / "with-key.toml")
    (sandbox / "empty.toml").write_text("", encoding="utf-8")
    assert load_settings(sandbox / "empty.toml").model_dump() == MaintenanceSettings().model_dump()


def _as_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    return value


def _check_error(page: str, block_id: str, config_text: str, folder: Path) -> None:
    config = folder / "maintenance.toml"
    config.write_text(config_text, encoding="utf-8")
    with pytest.raises(MaintenanceConfigError) as error:
        load_settings(config)
    assert str(error.value) == _shown_error(block_id, folder)
    assert isinstance(error.value, ValueError)
    assert page == PAGE


def test_error_messages_are_the_real_ones(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _check_error(PAGE, "error-unknown-key", 'exempt_pathz = ["/health"]\n', sandbox)
    _check_error(PAGE, "error-value", "[response]\nstatus_code = 200\n", sandbox)
    _check_error(PAGE, "error-syntax", "retry_after = 60\nread_only = yes\n", sandbox)
    (sandbox / "maintenance.toml").unlink()  # else load_settings() would find it in the working directory
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RETRY_AFTER", "soon")
    with pytest.raises(MaintenanceConfigError) as error:
        load_settings()
    assert str(error.value) == _shown_error("error-env", sandbox)
    assert doc_block(PAGE, "error-env").lang == "text"


@pytest.mark.anyio
async def test_add_middleware_validates_when_the_stack_is_built() -> None:
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, retry_after="soon")  # nothing is checked yet
    with pytest.raises(MaintenanceConfigError, match="retry_after"):
        async with client(app) as http:
            await http.get("/")


def test_the_complete_example_is_the_repository_file(sandbox: Path) -> None:
    block = doc_block(PAGE, "example-file")
    assert block.code == (ROOT / "example.maintenance.toml").read_text(encoding="utf-8")
    load_settings(write_block(block, sandbox))
