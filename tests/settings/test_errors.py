"""Every configuration error: it names the file, the dotted key, the bad value and what is allowed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import pytest

from fastapi_maintenance.errors import MaintenanceConfigError, require_extra
from fastapi_maintenance.settings import MaintenanceSettings, load_settings
from fastapi_maintenance.settings.files import parse_toml
from tests.support.config_errors import error_of

Write = Callable[..., Path]


def test_is_a_value_error() -> None:
    assert issubclass(MaintenanceConfigError, ValueError)


def test_direct_construction_raises_the_same_error() -> None:
    with pytest.raises(MaintenanceConfigError, match=r"response\.status_code = 99"):
        MaintenanceSettings(response={"status_code": 99})


# --- unknown keys -----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".toml", ".yaml"])
def test_unknown_top_level_key_in_a_file(write: Write, suffix: str) -> None:
    path = write(f"m{suffix}", {"exempt_pathz": ["/health"]})
    message = error_of(path)
    assert str(path) in message
    assert "exempt_pathz: unknown key" in message
    assert "did you mean 'exempt_paths'?" in message


def test_unknown_nested_keys_suggest_the_closest(write: Write) -> None:
    path = write("m.toml", {"response": {"stauts_code": 500}, "backend": {"type": "file", "pth": "x"}})
    message = error_of(path)
    assert "response.stauts_code: unknown key" in message
    assert "did you mean 'status_code'?" in message
    assert "valid keys in response: status_code, message, template" in message
    assert "backend.pth: unknown key" in message
    assert "did you mean 'path'?" in message


def test_unknown_keyword_argument() -> None:
    message = error_of(retry_aftr=5)
    assert "retry_aftr: unknown key (from keyword argument)" in message
    assert "did you mean 'retry_after'?" in message


def test_unknown_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_EXEMPT_PATHZ", '["/x"]')
    message = error_of()
    assert "Unknown environment variable FASTAPI_MAINTENANCE_EXEMPT_PATHZ" in message
    assert "did you mean FASTAPI_MAINTENANCE_EXEMPT_PATHS?" in message


def test_unknown_nested_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RESPONSE__STATUSCODE", "500")
    message = error_of()
    assert (
        "response.statuscode: unknown key (from environment variable FASTAPI_MAINTENANCE_RESPONSE__STATUSCODE)"
        in message
    )
    assert "did you mean 'status_code'?" in message


# --- bad values -------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".toml", ".yaml"])
def test_status_code_out_of_range_in_a_file(write: Write, suffix: str) -> None:
    path = write(f"m{suffix}", {"response": {"status_code": 700}})
    message = error_of(path)
    assert f"(config file {path})" in message
    assert f"response.status_code = 700 (from file {path})" in message
    assert "allowed: an integer from 400 to 599" in message


def test_bad_value_from_the_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RESPONSE__STATUS_CODE", "abc")
    message = error_of()
    assert (
        "response.status_code = 'abc' (from environment variable FASTAPI_MAINTENANCE_RESPONSE__STATUS_CODE)"
        in message
    )


def test_backend_type_not_known(write: Write) -> None:
    path = write("m.toml", {"backend": {"type": "mongo"}})
    message = error_of(path)
    assert f"backend.type = 'mongo' (from file {path}) is not a backend type" in message
    assert "'env', 'file', 'memory', 'redis'" in message


def test_backend_table_without_type() -> None:
    message = error_of(backend={"path": "/x"})
    assert "backend.type: missing" in message
    assert "'env', 'file', 'memory', 'redis'" in message


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("mongo://db", "not a backend; use 'env', 'env:VAR_NAME', 'file:///absolute/path'"),
        ("env:", "needs a variable name"),
        ("env:1BAD", "environment variable name"),
        ("file://host/x", "absolute file URL"),
        ("file:relative.txt", "table form"),
        ("redis://", "must name a host"),
        ("redis://host:port/0", "port that is not a number"),
        ("redis://host:6379/db", "database (the path) must be a number"),
    ],
)
def test_backend_strings(value: str, needle: str) -> None:
    message = error_of(backend=value)
    assert "backend" in message
    assert needle in message


def test_redis_password_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_BACKEND", "redis://user:hunter2secret@host:badport/0")
    message = error_of()
    assert "hunter2secret" not in message
    assert "redis://***@host:badport/0" in message
    assert "hunter2secret" not in error_of(backend={"type": "redis", "url": "redis://:hunter2secret@:1/x"})


@pytest.mark.parametrize(
    ("value", "needle"),
    [(-1, "seconds must be 0 or more"), ("soon", "RFC 3339"), (True, "boolean"), (1.5, "whole seconds")],
)
def test_retry_after(value: object, needle: str) -> None:
    message = error_of(retry_after=value)
    assert "retry_after = " in message
    assert needle in message


def test_retry_after_needs_an_offset(write: Write) -> None:
    path = write("m.toml", text="retry_after = 2031-01-02T03:04:05\n")
    message = error_of(path)
    assert "retry_after = 2031-01-02T03:04:05 (from file" in message
    assert "has no UTC offset" in message


def test_windows(write: Write) -> None:
    path = write(
        "m.toml",
        text=(
            "[[windows]]\nstart = 2031-01-02T03:00:00Z\nend = 2031-01-02T03:00:00Z\n"
            "[[windows]]\nstart = 2031-01-02T03:00:00\nend = 2031-01-02T04:00:00Z\n"
            "[[windows]]\nstart = 2031-01-02T03:00:00Z\n"
        ),
    )
    message = error_of(path)
    assert "windows.0.end = 2031-01-02T03:00:00+00:00" in message
    assert "end must be after start" in message
    assert "windows.1.start = 2031-01-02T03:00:00 " in message
    assert "windows.2.end: required but missing" in message


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ("10.0.0.1/8", "has host bits set after the prefix; write the network address '10.0.0.0/8'"),
        ("[::1]", "not an IPv4 or IPv6 address"),
        ("10.0.0.256", "not an IPv4 or IPv6 address"),
        ("example.com", "not an IPv4 or IPv6 address"),
    ],
)
def test_ip_entries(entry: str, needle: str) -> None:
    for key in ("allowed_ips", "trusted_proxies"):
        message = error_of(**{key: ["127.0.0.1", entry]})
        assert f"{key}.1 = {entry!r}" in message
        assert needle in message


def test_bypass_secret_too_short_is_not_echoed(write: Write) -> None:
    path = write("m.toml", {"bypass": {"secret": "tiny-secret"}})
    message = error_of(path)
    assert "tiny-secret" not in message
    assert "bypass.secret = <hidden>" in message
    assert "at least 16 characters" in message


def test_bypass_secret_is_required() -> None:
    assert "bypass.secret: required but missing" in error_of(bypass={"max_age": 10})


@pytest.mark.parametrize(("key", "value"), [("header", "X Bad"), ("cookie", ""), ("param", "a;b")])
def test_bypass_names_must_be_http_tokens(key: str, value: str) -> None:
    message = error_of(bypass={"secret": "s" * 16, key: value})
    assert f"bypass.{key} = {value!r}" in message
    assert "HTTP token" in message


def test_bypass_max_age_must_be_positive() -> None:
    message = error_of(bypass={"secret": "s" * 16, "max_age": 0})
    assert "bypass.max_age = 0" in message
    assert "allowed: whole seconds > 0" in message


def test_on_backend_error() -> None:
    message = error_of(on_backend_error="retry")
    assert "on_backend_error = 'retry'" in message
    assert "'last_known', 'open' or 'closed'" in message


def test_boolean_keys() -> None:
    message = error_of(enabled="perhaps", exempt_docs="sometimes")
    assert "enabled = 'perhaps'" in message
    assert "exempt_docs = 'sometimes'" in message


def test_several_problems_are_listed_together(write: Write) -> None:
    path = write("m.yaml", {"retry_after": -5, "response": {"status_code": 99}, "exempt_paths": ["nope"]})
    message = error_of(path)
    assert message.count("\n  - ") == 3


def test_template_must_exist(write: Write) -> None:
    path = write("m.toml", {"response": {"template": "missing.html"}})
    message = error_of(path)
    assert "response.template" in message
    assert f"template file not found: {path.parent / 'missing.html'}" in message


# --- files ------------------------------------------------------------------------------------


def test_toml_syntax_error_names_file_and_line(write: Write) -> None:
    path = write("m.toml", text="retry_after = 10\nexempt_docs = true\nresponse = {status_code = }\n")
    message = error_of(path)
    assert str(path) in message
    assert "TOML syntax error at line 3" in message


def test_yaml_syntax_error_names_file_and_line(write: Write) -> None:
    path = write("m.yaml", text="retry_after: 10\nexempt_paths: [/a, /b\nread_only: true\n")
    message = error_of(path)
    assert str(path) in message
    assert "YAML syntax error at line 3" in message


def test_yaml_top_level_must_be_a_mapping(write: Write) -> None:
    path = write("m.yml", text="- retry_after\n")
    assert "the top level must be a mapping" in error_of(path)


def test_yaml_keys_must_be_strings(write: Write) -> None:
    path = write("m.yaml", text="response:\n  1: x\n")
    assert "every key must be a string" in error_of(path)


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    assert error_of(missing) == f"Config file not found: {missing}"


def test_missing_file_named_by_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_CONFIG", str(tmp_path / "nope.yaml"))
    message = error_of()
    assert f"Config file not found: {tmp_path / 'nope.yaml'}" in message
    assert "named by FASTAPI_MAINTENANCE_CONFIG" in message


def test_unsupported_suffix(write: Write) -> None:
    path = write("m.json", text="{}")
    assert "unsupported suffix '.json'; use .toml, .yaml or .yml" in error_of(path)


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "conf.toml"
    folder.mkdir()
    assert "is a directory" in error_of(folder)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_bytes(b"retry_after = 1\n# \xff\n")
    assert "is not UTF-8 text" in error_of(path)


# --- environment ------------------------------------------------------------------------------


def test_environment_list_must_be_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_EXEMPT_PATHS", "/health")
    message = error_of()
    assert "environment variable FASTAPI_MAINTENANCE_EXEMPT_PATHS: expected JSON" in message
    assert "'/health'" in message


def test_environment_list_must_be_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_ALLOWED_IPS", '"10.0.0.0/8"')
    assert "expected a JSON list" in error_of()


def test_environment_table_and_per_key_conflict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_BACKEND", "memory")
    monkeypatch.setenv("FASTAPI_MAINTENANCE_BACKEND__TYPE", "file")
    message = error_of()
    assert "FASTAPI_MAINTENANCE_BACKEND__TYPE" in message
    assert "use one or the other" in message


# --- optional dependencies --------------------------------------------------------------------


def test_missing_pyyaml_names_the_extra(write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write("m.yaml", text="retry_after: 1\n")
    monkeypatch.setitem(sys.modules, "yaml", None)
    message = error_of(path)
    assert 'pip install "fastapi-maintenance[yaml]"' in message
    assert str(path) in message


def test_missing_jinja2_names_the_extra(write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    (write("page.html", text="x"))
    path = write("m.toml", {"response": {"template": "page.html"}})
    monkeypatch.setitem(sys.modules, "jinja2", None)
    message = error_of(path)
    assert "response.template" in message
    assert 'pip install "fastapi-maintenance[templates]"' in message


def test_missing_tomli_on_old_python_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "tomli", None)
    monkeypatch.setattr(sys, "version_info", (3, 10, 0, "final", 0))
    with pytest.raises(MaintenanceConfigError) as caught:
        parse_toml("a = 1\n", tmp_path / "m.toml")
    assert 'pip install "fastapi-maintenance[toml]"' in str(caught.value)


def test_require_extra_returns_the_module() -> None:
    import json

    assert require_extra("json", extra="x", purpose="y") is json


def test_a_toml_error_at_the_end_of_the_file_names_the_last_line(tmp_path: Path) -> None:
    config = tmp_path / "maintenance.toml"
    config.write_text('exempt_paths = ["/health",\n  "/status"\n', encoding="utf-8")
    with pytest.raises(MaintenanceConfigError) as error:
        load_settings(config)
    assert f"{config}: TOML syntax error at line 2 (end of file)" in str(error.value)


def test_a_retry_after_that_is_neither_seconds_nor_a_date_says_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_RETRY_AFTER", "soon")
    with pytest.raises(
        MaintenanceConfigError, match=r"neither whole seconds \(an integer >= 0\) nor a date-time"
    ):
        load_settings()
