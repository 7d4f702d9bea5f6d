"""The one config-file discovery rule, as ``load_settings``/``MaintenanceSettings`` users and a server meet it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fastapi_maintenance import MaintenanceConfigError, MaintenanceSettings, load_settings
from fastapi_maintenance.settings import load_settings_with_sources
from fastapi_maintenance.settings.discovery import DEFAULT_CONFIG_NAMES
from tests.support.processes import child_env


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name", DEFAULT_CONFIG_NAMES)
def test_a_config_file_in_the_working_directory_is_read(folder: Path, name: str) -> None:
    text = "retry_after = 77\n" if name.endswith(".toml") else "retry_after: 77\n"
    (folder / name).write_text(text, encoding="utf-8")
    settings, sources = load_settings_with_sources()
    assert settings.retry_after == 77
    assert sources["retry_after"] == f"file {folder / name}"
    assert MaintenanceSettings().retry_after == 77


def test_no_file_means_environment_and_defaults(folder: Path) -> None:
    assert load_settings().retry_after == 3600


def test_the_variable_wins_over_the_working_directory(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (folder / "maintenance.toml").write_text("retry_after = 1\n", encoding="utf-8")
    (folder / "named.toml").write_text("retry_after = 2\n", encoding="utf-8")
    monkeypatch.setenv("FASTAPI_MAINTENANCE_CONFIG", "named.toml")
    assert load_settings().retry_after == 2
    assert load_settings(folder / "maintenance.toml").retry_after == 1, "a path passed in wins over both"


def test_a_missing_named_file_is_an_error_not_a_fall_back(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (folder / "maintenance.toml").write_text("retry_after = 1\n", encoding="utf-8")
    monkeypatch.setenv("FASTAPI_MAINTENANCE_CONFIG", "gone.toml")
    with pytest.raises(MaintenanceConfigError, match=r"gone\.toml.*named by FASTAPI_MAINTENANCE_CONFIG"):
        load_settings()


def test_an_error_in_the_found_file_says_where_it_was_found(folder: Path) -> None:
    (folder / "maintenance.toml").write_text("retry_after = -1\n", encoding="utf-8")
    with pytest.raises(MaintenanceConfigError, match=r"retry_after = -1 \(from file .*maintenance.toml\)"):
        load_settings()
    (folder / "maintenance.toml").unlink()
    (folder / "maintenance.toml").mkdir()
    with pytest.raises(
        MaintenanceConfigError, match=r"found as \./maintenance\.toml in the working directory"
    ):
        load_settings()


def test_two_config_files_stop_the_server_start_up_naming_both(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(
        "from fastapi import FastAPI\n"
        "from fastapi_maintenance import MaintenanceModeMiddleware\n"
        "app = FastAPI()\n"
        "app.add_middleware(MaintenanceModeMiddleware)\n",
        encoding="utf-8",
    )
    (tmp_path / "maintenance.toml").write_text("retry_after = 1\n", encoding="utf-8")
    (tmp_path / "maintenance.yml").write_text("retry_after: 2\n", encoding="utf-8")
    env = child_env(path=[tmp_path])
    # Port 0: the start-up fails before anything is bound; nothing listens beyond loopback either way.
    ran = subprocess.run(
        [sys.executable, "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", "0"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode != 0
    assert "Both maintenance.toml and maintenance.yml are in the working directory" in ran.stdout + ran.stderr
