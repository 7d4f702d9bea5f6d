"""Fixtures for running documentation examples: a scratch working directory and importable example modules."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory: relative paths in examples (state files, config files) land here."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def example_modules(sandbox: Path) -> Iterator[Path]:
    """A folder on sys.path for example modules (``main.py``); they are forgotten afterwards."""
    before = set(sys.modules)
    sys.path.insert(0, str(sandbox))
    yield sandbox
    sys.path.remove(str(sandbox))
    for name in set(sys.modules) - before:
        module = sys.modules.get(name)
        if module is not None and str(getattr(module, "__file__", "") or "").startswith(str(sandbox)):
            del sys.modules[name]
