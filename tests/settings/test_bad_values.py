"""Values that used to validate and then fail later (a 500 per request, a bare Python error, a hang):
each is now a MaintenanceConfigError at load time naming the source and the key."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable

import pytest

from fastapi_maintenance import MaintenanceConfigError, load_settings
from fastapi_maintenance.settings.files import MAX_ALIAS_NODES, MAX_FILE_SIZE
from tests.support.config_errors import error_of

Write = Callable[..., Path]
SECRET = "Vq4xW8s2YtN7mP3kL9aB"


def test_secret_with_a_trailing_newline_says_so(write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_BYPASS__SECRET", SECRET + "\n")
    message = error_of()
    assert (
        "bypass.secret = <hidden> (from environment variable FASTAPI_MAINTENANCE_BYPASS__SECRET)" in message
    )
    assert "ends with a newline" in message
    assert SECRET not in message


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        (" " + SECRET, "starts or ends with whitespace"),
        (SECRET + " ", "starts or ends with whitespace"),
        (SECRET[:8] + "\x07" + SECRET[8:], "control character at position 8"),
        (SECRET[:8] + "\t" + SECRET[8:], "control character at position 8"),
        ("a" * 1025, "is 1025 characters long; at most 1024"),
    ],
)
def test_secret_that_clients_could_not_send_is_refused(write: Write, secret: str, reason: str) -> None:
    path = write("m.toml", {"bypass": {"secret": secret}})
    message = error_of(path)
    assert f"config file {path}" in message
    assert "bypass.secret = <hidden>" in message
    assert reason in message
    assert secret.strip() not in message


def test_a_secret_of_1024_characters_is_fine() -> None:
    assert load_settings(bypass={"secret": "a" * 1024}).bypass is not None


def test_bypass_max_age_is_bounded(write: Write) -> None:
    path = write("m.toml", {"bypass": {"secret": SECRET, "max_age": 10**20}})
    message = error_of(path)
    assert "bypass.max_age = 100000000000000000000" in message
    assert f"file {path}" in message
    assert "less than or equal to 31622400" in message
    assert load_settings(bypass={"secret": SECRET, "max_age": 31622400}).bypass is not None


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"])
def test_retry_after_date_times_out_of_range_in_utc(write: Write, value: str) -> None:
    path = write("m.toml", text=f"retry_after = {value}\n")
    message = error_of(path)
    assert "retry_after" in message
    assert f"file {path}" in message
    assert "out of range once converted to UTC" in message
    assert "out of range once converted to UTC" in error_of(retry_after=value)


def test_window_date_times_out_of_range_in_utc(write: Write) -> None:
    text = "[[windows]]\nstart = 2031-01-01T00:00:00Z\nend = 9999-12-31T23:59:59-05:00\n"
    message = error_of(write("m.toml", text=text))
    assert "windows.0.end" in message
    assert "out of range once converted to UTC" in message


def test_message_with_a_lone_surrogate(monkeypatch: pytest.MonkeyPatch) -> None:
    message = error_of(response={"message": "down \ud800 now"})
    assert "response.message" in message
    assert "(from keyword argument)" in message
    assert "lone surrogate" in message
    # A variable holding bytes that are not UTF-8 reaches Python as lone surrogates too.
    monkeypatch.setitem(os.environb, b"FASTAPI_MAINTENANCE_RESPONSE__MESSAGE", b"caf\xe9 closed")
    message = error_of()
    assert "response.message" in message
    assert "environment variable FASTAPI_MAINTENANCE_RESPONSE__MESSAGE" in message
    assert "lone surrogate" in message


def test_window_message_with_a_lone_surrogate() -> None:
    window = {"start": "2031-01-01T00:00:00Z", "end": "2031-01-02T00:00:00Z", "message": "\udcff"}
    assert "windows.0.message" in error_of(windows=[window])


def test_toml_nested_5000_deep(write: Write) -> None:
    path = write("m.toml", text="x = " + "[" * 5000 + "]" * 5000 + "\n")
    message = error_of(path)
    assert str(path) in message
    assert "nested" in message


def test_yaml_nested_5000_deep(write: Write) -> None:
    path = write("m.yaml", text="x: " + "[" * 5000 + "]" * 5000 + "\n")
    message = error_of(path)
    assert str(path) in message
    assert "nested" in message


def test_environment_json_nested_deep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_MAINTENANCE_EXEMPT_PATHS", "[" * 100_000 + "]" * 100_000)
    message = error_of()
    assert "environment variable FASTAPI_MAINTENANCE_EXEMPT_PATHS" in message
    assert "nested" in message


def test_nul_in_paths(write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    message = error_of(backend={"type": "file", "path": "/srv/state\x00.txt"})
    assert "backend.path" in message
    assert "NUL character" in message
    path = write("m.toml", {"response": {"template": "page\x00.html"}})
    message = error_of(path)
    assert "response.template" in message
    assert "NUL character" in message
    monkeypatch.setenv("FASTAPI_MAINTENANCE_CONFIG", "/srv/app/main\x01.toml")  # setenv refuses NUL itself
    message = error_of(Path("/srv/app") / "m\x00.toml")
    assert "NUL character" in message


def test_yaml_duplicate_keys_name_the_key_and_lines(write: Write) -> None:
    path = write("m.yaml", text="retry_after: 60\nread_only: true\nretry_after: 120\n")
    message = error_of(path)
    assert str(path) in message
    assert "duplicate key 'retry_after' (first at line 1, again at line 3)" in message
    nested = write("n.yaml", text="response:\n  status_code: 503\n  status_code: 500\n")
    assert "duplicate key 'status_code' (first at line 2, again at line 3)" in error_of(nested)


def test_yaml_merge_keys_are_not_duplicates(write: Write) -> None:
    path = write("m.yaml", text="base: &base {status_code: 503}\nresponse:\n  <<: *base\n  message: down\n")
    with pytest.raises(MaintenanceConfigError, match="base: unknown key"):
        load_settings(path)  # the merge itself worked; "base" is just not a settings key
    merged = write("n.yaml", text="response:\n  <<: {status_code: 500}\n  status_code: 503\n")
    assert load_settings(merged).response.status_code == 503


def test_config_that_is_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "maintenance.toml"
    os.mkfifo(fifo)
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(error_of(fifo)), daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():  # unblock the reader so the thread ends, then fail
        with open(fifo, "w", encoding="utf-8"):
            pass
        pytest.fail("reading a FIFO config file blocked")
    assert f"Config file {fifo} is not a regular file" in outcome[0]


def test_config_that_is_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "maintenance.toml"
    link.symlink_to("/dev/zero")
    assert "is not a regular file" in error_of(link)


def test_config_size_is_bounded(write: Write) -> None:
    path = write("m.toml", text="# padding\n" * (MAX_FILE_SIZE // 10 + 1))
    message = error_of(path)
    assert f"Config file {path} is larger than 1024 KiB" in message


def test_yaml_alias_bomb_is_refused(write: Write) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 10):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 9)}]")
    path = write("m.yaml", text="\n".join(lines) + "\n")
    message = error_of(path)
    assert str(path) in message
    assert f"aliases expand to more than {MAX_ALIAS_NODES} nodes" in message


def test_yaml_alias_to_itself_is_refused(write: Write) -> None:
    path = write("m.yaml", text="exempt_paths: &loop [*loop]\n")
    message = error_of(path)
    assert str(path) in message
    assert "YAML alias at line 1 refers to a node containing itself" in message


def test_small_yaml_aliases_still_work(write: Write) -> None:
    path = write("m.yaml", text="allowed_ips: &office [10.0.0.0/8]\ntrusted_proxies: *office\n")
    settings = load_settings(path)
    assert settings.trusted_proxies == ["10.0.0.0/8"]
