"""Fixtures for running documentation examples (a scratch working directory, importable example modules),
and the hooks that record which blocks passing tests ran (see coverage.py)."""

from __future__ import annotations

import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import List

import pytest

from tests.docs import coverage
from tests.docs.markdown_blocks import doc_block
from tests.docs.runner import write_block

HERE = Path(__file__).resolve().parent
#: Compares the blocks tests name with those passing tests ran: it must run after every other docs test.
LAST = "test_every_named_block_was_run_by_a_passing_test"


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory: relative paths in examples (state files, config files) land here."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def configured(sandbox: Path) -> Path:
    """The sandbox holding the config file of docs/cli.md's tour, where the page's commands run."""
    write_block(doc_block("docs/cli.md", "tour-config"), sandbox)
    return sandbox


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


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    coverage.test_started()  # before the fixtures, which fetch blocks too


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.passed:
        coverage.test_passed()
    if report.skipped or report.failed:
        coverage.NOT_PASSED.add(item.nodeid)
    return report


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    last = [item for item in items if item.name == LAST]
    items[:] = [item for item in items if item.name != LAST] + last
    coverage.SELECTED.update(item.nodeid for item in items if item.path.is_relative_to(HERE))


def pytest_deselected(items: List[pytest.Item]) -> None:
    coverage.DESELECTED.update(item.nodeid for item in items if item.path.is_relative_to(HERE))
