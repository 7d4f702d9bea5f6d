"""Which documentation blocks the tests in tests/docs/ run, found by reading the test sources (no import).

A block counts as covered by a specific test when a test module calls one of the runner functions
with the page and the block id as string literals, or as names bound to string literals at module
level: ``run_python(PAGE, "main-py")``.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Optional, Set, Tuple

HERE = Path(__file__).resolve().parent
#: Functions that take (page, block id) as their first two arguments.
RUNNERS = frozenset({"doc_block", "doc_code", "run_python", "install_module", "load_block", "shell_block"})


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
    """(page, block id) for every literal call to a runner in tests/docs/test_*.py."""
    covered: Set[Tuple[str, str]] = set()
    for path in sorted(HERE.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        names = _constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if name not in RUNNERS:
                continue
            page, block_id = _text(node.args[0], names), _text(node.args[1], names)
            if page is not None and block_id is not None:
                covered.add((page, block_id))
    return covered
