"""Which documentation blocks the tests in tests/docs/ name, and which ones passing tests actually ran.

Named (read from the test sources, no import): a test module calls a function with the page (a path
ending in ``.md``) and the block id as its first two arguments, each a string literal or a name bound
to one at module level: ``run_python(PAGE, "main-py")``, ``doc_block(README, "quick-start-1")``.

Ran: every block is fetched through ``doc_block`` (directly, or by ``run_python``, ``load_block`` and
the other runners); the fetches made while a test runs count once that test has passed (the hooks
are in tests/docs/conftest.py). A block a test names but never fetches, or fetches in a test that
fails or is skipped, is not run; the catalog's last test compares the two.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Optional, Set, Tuple

HERE = Path(__file__).resolve().parent

Key = Tuple[str, str]
#: Blocks fetched by tests that passed, in this session.
RAN: Set[Key] = set()
#: Blocks fetched by the test running now.
_fetched_now: Set[Key] = set()
#: Node ids of the docs tests in this session: selected, left out by -k/-m, skipped or failed.
SELECTED: Set[str] = set()
DESELECTED: Set[str] = set()
NOT_PASSED: Set[str] = set()


def record_fetch(key: Key) -> None:
    _fetched_now.add(key)


def test_started() -> None:
    _fetched_now.clear()


def test_passed() -> None:
    RAN.update(_fetched_now)


def _constants(tree: ast.Module) -> Dict[str, str]:
    names: Dict[str, str] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = node.value.value
    return names


def _text(node: ast.expr, names: Dict[str, str]) -> Optional[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return names.get(node.id)
    return None


def covered_blocks() -> Set[Tuple[str, str]]:
    """(page, block id) for every such call in tests/docs/test_*.py."""
    covered: Set[Tuple[str, str]] = set()
    for path in sorted(HERE.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        names = _constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            page, block_id = _text(node.args[0], names), _text(node.args[1], names)
            if page is not None and page.endswith(".md") and block_id is not None:
                covered.add((page, block_id))
    return covered
