"""Which documentation blocks the tests in tests/docs/ run, found by reading the test sources (no import).

A block counts as covered by a specific test when a test module calls a function with the page
(a path ending in ``.md``) and the block id as its first two arguments, each a string literal or a
name bound to one at module level: ``run_python(PAGE, "main-py")``, ``doc_block(README, "quick-start-1")``.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Optional, Set, Tuple

HERE = Path(__file__).resolve().parent


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
