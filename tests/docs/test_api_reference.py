"""docs/reference/api.md documents every public name, so a new public name cannot go undocumented.

The page is rendered by mkdocstrings from ``:::`` directives; a name counts as documented when it
has a directive of its own or is listed under ``members:`` of its module's directive.
"""

from __future__ import annotations

import importlib
import re
from types import ModuleType
from typing import List

import pytest

import fastapi_maintenance
import fastapi_maintenance.backends
import fastapi_maintenance.settings
from tests.docs.markdown_blocks import ROOT

PAGE = ROOT / "docs" / "reference" / "api.md"


def directives() -> List[str]:
    """Dotted paths the page renders: ``::: path`` directives and the ``members:`` listed under them."""
    text = PAGE.read_text(encoding="utf-8")
    paths: List[str] = []
    for directive in re.finditer(r"^::: ([\w.]+)\n((?:[ \t]+.*\n)*)", text, flags=re.MULTILINE):
        target, options = directive.group(1), directive.group(2)
        paths.append(target)
        paths += [f"{target}.{name}" for name in re.findall(r"^\s+- (\w+)\s*$", options, flags=re.MULTILINE)]
    return paths


def resolve(path: str) -> object:
    """The object a dotted path names, importing modules along the way (as mkdocstrings finds it)."""
    module_name, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), name)
    except ModuleNotFoundError:
        return getattr(resolve(module_name), name)


def documented_objects() -> List[object]:
    return [resolve(path) for path in directives()]


@pytest.mark.parametrize(
    "module", [fastapi_maintenance, fastapi_maintenance.backends, fastapi_maintenance.settings]
)
def test_every_public_name_is_on_the_api_page(module: ModuleType) -> None:
    """Each name of ``__all__`` is rendered, under this module's path or as the same object elsewhere."""
    on_page = documented_objects()
    missing = [
        name for name in module.__all__ if not any(getattr(module, name) is shown for shown in on_page)
    ]
    assert not missing, f"{PAGE.relative_to(ROOT)} does not document {module.__name__}: {missing}"


def test_the_check_sees_a_missing_name() -> None:
    """The parser must not accept everything: it finds directives and members, and nothing else."""
    paths = directives()
    assert "fastapi_maintenance.MaintenanceModeMiddleware" in paths
    assert "fastapi_maintenance.backends.EnvVarBackend" in paths
    assert not any(path.endswith(".decide_later") for path in paths)
    assert fastapi_maintenance.backends.EnvVarBackend in documented_objects()


def test_the_api_page_is_in_the_nav() -> None:
    assert "reference/api.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
