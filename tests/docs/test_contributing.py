"""CONTRIBUTING.md's map of the package names every module, and every file it names exists."""

from __future__ import annotations

import re
from typing import List

from tests.docs.markdown_blocks import ROOT

PAGE = ROOT / "CONTRIBUTING.md"
PACKAGE = ROOT / "fastapi_maintenance"
_NAMED_FILE = re.compile(r"`([\w./-]+\.(?:py|md|json|toml|sh))`")


def named_files() -> List[str]:
    return _NAMED_FILE.findall(PAGE.read_text(encoding="utf-8"))


def test_every_module_of_the_package_is_on_the_map() -> None:
    named = set(named_files())
    modules = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name not in ("__init__.py", "__main__.py")
    )
    missing = [module for module in modules if module not in named]
    assert not missing, f"CONTRIBUTING.md does not say what these modules own: {missing}"


def test_every_file_the_page_names_exists() -> None:
    names = named_files()
    assert names, "the page names no files"
    absent = [name for name in names if not (PACKAGE / name).exists() and not (ROOT / name).exists()]
    assert not absent, f"CONTRIBUTING.md names files that do not exist: {absent}"


def test_the_quick_loop_is_the_one_readme_gives() -> None:
    page = PAGE.read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in ('python -m pytest -m "not slow" -q', "bash scripts/test.sh"):
        assert command in page, command
        assert command in readme, command
