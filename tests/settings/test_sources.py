"""Every key through every source: keyword argument, environment variable, TOML file, YAML file, default."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, NamedTuple

import pytest

from fastapi_maintenance.settings import (
    EnvBackendConfig,
    FileBackendConfig,
    MaintenanceSettings,
    MemoryBackendConfig,
    load_settings,
    load_settings_with_sources,
)

START = datetime(2031, 1, 2, 3, 0, tzinfo=timezone(timedelta(hours=2)))
END = datetime(2031, 1, 2, 5, 30, tzinfo=timezone.utc)


class Case(NamedTuple):
    key: str  # the key in the sources report
    data: Dict[str, Any]  # the same value as file data and keyword arguments
    env: Dict[str, str]
    read: Callable[[MaintenanceSettings], Any]
    expected: Any
    default: Any


CASES = [
    Case("enabled", {"enabled": True}, {"ENABLED": "true"}, lambda s: s.enabled, True, None),
    Case(
        "backend",
        {"backend": "memory"},
        {"BACKEND": "memory"},
        lambda s: s.backend,
        MemoryBackendConfig(),
        EnvBackendConfig(var_name="FASTAPI_MAINTENANCE_MODE"),
    ),
    Case(
        "exempt_paths",
        {"exempt_paths": ["/health*", "/admin/**"]},
        {"EXEMPT_PATHS": '["/health*", "/admin/**"]'},
        lambda s: s.exempt_paths,
        ["/health*", "/admin/**"],
        [],
    ),
    Case(
        "maintenance_paths",
        {"maintenance_paths": ["/billing/**"]},
        {"MAINTENANCE_PATHS": '["/billing/**"]'},
        lambda s: s.maintenance_paths,
        ["/billing/**"],
        [],
    ),
    Case(
        "exempt_docs", {"exempt_docs": False}, {"EXEMPT_DOCS": "false"}, lambda s: s.exempt_docs, False, True
    ),
    Case("retry_after", {"retry_after": 120}, {"RETRY_AFTER": "120"}, lambda s: s.retry_after, 120, 3600),
    Case(
        "response.status_code",
        {"response": {"status_code": 500}},
        {"RESPONSE__STATUS_CODE": "500"},
        lambda s: s.response.status_code,
        500,
        503,
    ),
    Case(
        "response.message",
        {"response": {"message": "Back at 10:00 ✓"}},
        {"RESPONSE__MESSAGE": "Back at 10:00 ✓"},
        lambda s: s.response.message,
        "Back at 10:00 ✓",
        "Service temporarily unavailable due to maintenance",
    ),
    Case(
        "on_backend_error",
        {"on_backend_error": "closed"},
        {"ON_BACKEND_ERROR": "closed"},
        lambda s: s.on_backend_error,
        "closed",
        "last_known",
    ),
    Case("read_only", {"read_only": True}, {"READ_ONLY": "1"}, lambda s: s.read_only, True, False),
    Case(
        "allowed_ips",
        {"allowed_ips": ["10.0.0.0/8", "2001:db8::/32", "127.0.0.1"]},
        {"ALLOWED_IPS": '["10.0.0.0/8", "2001:db8::/32", "127.0.0.1"]'},
        lambda s: s.allowed_ips,
        ["10.0.0.0/8", "2001:db8::/32", "127.0.0.1"],
        [],
    ),
    Case(
        "trusted_proxies",
        {"trusted_proxies": ["192.168.0.0/16"]},
        {"TRUSTED_PROXIES": '["192.168.0.0/16"]'},
        lambda s: s.trusted_proxies,
        ["192.168.0.0/16"],
        [],
    ),
    Case(
        "bypass.secret",
        {"bypass": {"secret": "0123456789abcdef-secret"}},
        {"BYPASS__SECRET": "0123456789abcdef-secret"},
        lambda s: s.bypass and s.bypass.secret.get_secret_value(),
        "0123456789abcdef-secret",
        None,
    ),
    Case(
        "windows",
        {"windows": [{"start": START, "end": END, "message": "Upgrade"}]},
        {
            "WINDOWS": '[{"start": "2031-01-02T03:00:00+02:00", "end": "2031-01-02T05:30:00Z", "message": "Upgrade"}]'
        },
        lambda s: [(w.start, w.end, w.message) for w in s.windows],
        [(START, END, "Upgrade")],
        [],
    ),
]
IDS = [case.key for case in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_default(case: Case) -> None:
    settings, sources = load_settings_with_sources()
    assert case.read(settings) == case.default
    assert sources[case.key] == "default"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_keyword_argument(case: Case) -> None:
    settings, sources = load_settings_with_sources(**case.data)
    assert case.read(settings) == case.expected
    assert sources[case.key] == "keyword argument"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_environment_variable(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    for suffix, value in case.env.items():
        monkeypatch.setenv(f"FASTAPI_MAINTENANCE_{suffix}", value)
    settings, sources = load_settings_with_sources()
    assert case.read(settings) == case.expected
    assert sources[case.key] == f"environment variable FASTAPI_MAINTENANCE_{next(iter(case.env))}"


@pytest.mark.parametrize("suffix", [".toml", ".yaml", ".yml"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_config_file(case: Case, suffix: str, write: Callable[..., Path]) -> None:
    path = write(f"maintenance{suffix}", case.data)
    settings, sources = load_settings_with_sources(path)
    assert case.read(settings) == case.expected
    assert sources[case.key] == f"file {path}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_file_named_by_environment(
    case: Case, write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write("from-env.toml", case.data)
    monkeypatch.setenv("FASTAPI_MAINTENANCE_CONFIG", str(path))
    assert case.read(MaintenanceSettings()) == case.expected
    assert case.read(load_settings()) == case.expected


def test_explicit_file_wins_over_the_one_named_by_environment(
    write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_CONFIG", str(write("env.toml", {"retry_after": 1})))
    assert load_settings(write("explicit.toml", {"retry_after": 2})).retry_after == 2


def test_relative_config_path_is_relative_to_the_current_directory(
    write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write("m.yaml", {"retry_after": 5})
    monkeypatch.chdir(tmp_path)
    assert load_settings("m.yaml").retry_after == 5


def test_nested_keys_merge_across_sources(
    write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write("m.toml", {"response": {"status_code": 500, "message": "file"}})
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RESPONSE__MESSAGE", "env")
    settings, sources = load_settings_with_sources(path, response={"status_code": 599})
    assert (settings.response.status_code, settings.response.message) == (599, "env")
    assert sources["response.status_code"] == "keyword argument"
    assert sources["response.message"] == "environment variable FASTAPI_MAINTENANCE_RESPONSE__MESSAGE"
    assert sources["response.template"] == "default"


def test_backend_is_replaced_as_a_whole_by_a_higher_source(
    write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write("m.toml", {"backend": {"type": "file", "path": "state.txt"}})
    monkeypatch.setenv("FASTAPI_MAINTENANCE_BACKEND__TYPE", "memory")
    settings, sources = load_settings_with_sources(path)
    assert settings.backend == MemoryBackendConfig()
    assert sources["backend"] == "environment variable FASTAPI_MAINTENANCE_BACKEND__TYPE"
    assert load_settings(path, backend="env:OTHER").backend == EnvBackendConfig(var_name="OTHER")


def test_backend_set_is_recorded_in_fields_set(write: Callable[..., Path]) -> None:
    assert "backend" not in load_settings().model_fields_set
    assert "backend" in load_settings(write("m.toml", {"backend": "memory"})).model_fields_set


def test_environment_tables_as_json_and_per_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RESPONSE", '{"status_code": 502, "message": "json"}')
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RESPONSE__MESSAGE", "per-key")
    monkeypatch.setenv("FASTAPI_MAINTENANCE_BACKEND", f'{{"type": "file", "path": "{tmp_path}/s"}}')
    settings = load_settings()
    assert (settings.response.status_code, settings.response.message) == (502, "per-key")
    assert settings.backend == FileBackendConfig(path=tmp_path / "s")


def test_environment_variable_names_are_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("fastapi_maintenance_retry_after", "7")
    assert load_settings().retry_after == 7


def test_empty_environment_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_ENABLED", "")
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RETRY_AFTER", "")
    settings, sources = load_settings_with_sources()
    assert (settings.enabled, settings.retry_after) == (None, 3600)
    assert sources["enabled"] == "default"


def test_reserved_variables_are_not_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    monkeypatch.setenv("FASTAPI_MAINTENANCE_CONFIG", "")
    assert load_settings() == MaintenanceSettings()


def test_env_backend_own_variable_is_allowed(
    write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_FLAG", "on")
    path = write("m.yaml", {"backend": {"type": "env", "var_name": "FASTAPI_MAINTENANCE_FLAG"}})
    assert load_settings(path).backend == EnvBackendConfig(var_name="FASTAPI_MAINTENANCE_FLAG")
    assert load_settings(backend="env:FASTAPI_MAINTENANCE_FLAG").backend == EnvBackendConfig(
        var_name="FASTAPI_MAINTENANCE_FLAG"
    )


def test_schema_key_in_a_file_is_ignored(write: Callable[..., Path]) -> None:
    path = write("m.toml", text='"$schema" = "./schemas/maintenance.schema.json"\nretry_after = 9\n')
    assert load_settings(path).retry_after == 9


def test_empty_files_give_defaults(write: Callable[..., Path]) -> None:
    assert load_settings(write("m.toml", text="")) == MaintenanceSettings()
    assert load_settings(write("m.yaml", text="# nothing\n")) == MaintenanceSettings()


def test_template_relative_to_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "conf"
    (folder / "pages").mkdir(parents=True)
    (folder / "pages" / "down.html").write_text("<p>{{ message }}</p>", encoding="utf-8")
    (folder / "m.toml").write_text('[response]\ntemplate = "pages/down.html"\n', encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings, sources = load_settings_with_sources(folder / "m.toml")
    assert settings.response.template == folder / "pages" / "down.html"
    assert sources["response.template"] == f"file {folder / 'm.toml'}"


def test_template_from_keyword_or_environment_is_relative_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "down.html").write_text("down", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_settings(response={"template": "down.html"}).response.template == tmp_path / "down.html"
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RESPONSE__TEMPLATE", "down.html")
    assert load_settings().response.template == tmp_path / "down.html"


def test_settings_instance_can_be_passed_as_a_section() -> None:
    from fastapi_maintenance.settings import ResponseSettings

    settings = load_settings(response=ResponseSettings(status_code=429))
    assert settings.response.status_code == 429


def test_retry_after_datetime_from_every_source(
    write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert load_settings(retry_after=expected).retry_after == expected
    assert load_settings(retry_after="2031-01-02T03:04:05Z").retry_after == expected
    assert (
        load_settings(write("m.toml", text="retry_after = 2031-01-02T05:04:05+02:00\n")).retry_after
        == expected
    )
    assert load_settings(write("m.yaml", text="retry_after: 2031-01-02T03:04:05Z\n")).retry_after == expected
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RETRY_AFTER", "2031-01-02T03:04:05.000Z")
    assert load_settings().retry_after == expected


def test_bypass_every_key(write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    table = {"secret": "s" * 16, "param": "p", "header": "X-Let-Me-In", "cookie": "c", "max_age": 60}
    for settings in (
        load_settings(bypass=table),
        load_settings(write("m.toml", {"bypass": table})),
        load_settings(write("m.yaml", {"bypass": table})),
    ):
        assert settings.bypass is not None
        assert settings.bypass.model_dump() | {"secret": None} == table | {"secret": None}
        assert settings.bypass.secret.get_secret_value() == "s" * 16
    for key, value in table.items():
        monkeypatch.setenv(f"FASTAPI_MAINTENANCE_BYPASS__{key.upper()}", str(value))
    settings, sources = load_settings_with_sources()
    assert settings.bypass is not None
    assert (
        settings.bypass.param,
        settings.bypass.header,
        settings.bypass.cookie,
        settings.bypass.max_age,
    ) == (
        "p",
        "X-Let-Me-In",
        "c",
        60,
    )
    assert sources["bypass.max_age"] == "environment variable FASTAPI_MAINTENANCE_BYPASS__MAX_AGE"


def test_bypass_defaults() -> None:
    settings = load_settings(bypass={"secret": "x" * 16})
    assert settings.bypass is not None
    assert (
        settings.bypass.param,
        settings.bypass.header,
        settings.bypass.cookie,
        settings.bypass.max_age,
    ) == (
        "maintenance_bypass",
        "X-Maintenance-Bypass",
        "fastapi_maintenance_bypass",
        43200,
    )


def test_secret_is_never_in_repr() -> None:
    settings = load_settings(bypass={"secret": "a-very-secret-value!"})
    assert "a-very-secret-value!" not in repr(settings)
    assert "a-very-secret-value!" not in str(settings)
