"""The catch-all: every code block in README.md and docs/ is run by a test, or says why it cannot be.

Python, JSON, text and HTML blocks need a specific test (one that asserts what the page claims).
TOML and YAML blocks without one are at least loaded through ``load_settings``; shell blocks without
one go through the line checker in ``shell.py`` (which runs the CLI commands).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import List, Optional

import pytest
import yaml

from fastapi_maintenance import load_settings
from tests.docs import coverage
from tests.docs.conftest import HERE
from tests.docs.coverage import covered_blocks
from tests.docs.markdown_blocks import DOCS, ROOT, Block, all_blocks, markdown_files, relative
from tests.docs.runner import write_block
from tests.docs.shell import SHELL_LANGS, run_block

CONFIG_LANGS = frozenset({"toml", "yaml"})
KNOWN_LANGS = frozenset({"python", "json", "text", "html", *CONFIG_LANGS, *SHELL_LANGS})
BLOCKS = all_blocks()
COVERED = covered_blocks()


def _generic(kind: frozenset[str]) -> List[Block]:
    return [
        block
        for block in BLOCKS
        if block.lang in kind and block.block_id is not None and block.key not in COVERED
    ]


def test_the_harness_sees_the_pages() -> None:
    files = {block.file for block in BLOCKS}
    assert "README.md" in files
    assert "docs/first-steps.md" in files
    assert len(BLOCKS) > 50


@pytest.mark.parametrize("block", BLOCKS, ids=lambda block: block.where)
def test_every_block_is_tested_or_says_why_not(block: Block) -> None:
    assert block.lang in KNOWN_LANGS, (
        f"{block.where}: code block language {block.lang!r} is not one the tests know"
    )
    if block.not_tested is not None:
        return
    assert block.block_id is not None
    if block.lang in CONFIG_LANGS or block.lang in SHELL_LANGS:
        return  # covered at least by the generic tests below
    assert block.key in COVERED, (
        f"{block.where} ({block.lang}, id {block.block_id!r}) is run by no test in tests/docs/; "
        "add a test, or mark it <!-- not-tested: reason -->"
    )


def test_every_referenced_block_exists() -> None:
    existing = {block.key for block in BLOCKS if block.block_id is not None}
    missing = sorted(COVERED - existing)
    assert not missing, f"tests refer to blocks that no page has: {missing}"


def test_block_ids_are_unique_per_page() -> None:
    seen: dict[tuple[str, str], str] = {}
    for block in BLOCKS:
        if block.block_id is None:
            continue
        assert block.key not in seen, (
            f"{block.where}: id {block.block_id!r} already used at {seen[block.key]}"
        )
        seen[block.key] = block.where


def test_every_marker_comment_sits_right_above_a_code_block() -> None:
    marker = re.compile(r"^\s*<!--\s*(test|not-tested)\s*:")
    for path in markdown_files():
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if not marker.match(line):
                continue
            following = next((text for text in lines[number:] if text.strip()), "")
            assert following.lstrip().startswith(("```", "~~~")), (
                f"{relative(path)}:{number}: marker is not followed by a code block"
            )


@pytest.mark.parametrize(
    "block", [b for b in BLOCKS if b.lang == "python"], ids=lambda block: f"{block.where}"
)
def test_python_blocks_compile(block: Block) -> None:
    compile(block.code, block.where, "exec")


def test_config_blocks_without_a_test_of_their_own_load(tmp_path: Path) -> None:
    """TOML/YAML blocks that no specific test loads are at least loaded here (each in its own folder)."""
    for index, block in enumerate(_generic(CONFIG_LANGS)):
        folder = tmp_path / str(index)
        folder.mkdir()
        if block.lang == "yaml":
            assert isinstance(yaml.safe_load(block.code), dict), f"{block.where}: not a YAML mapping"
        load_settings(write_block(block, folder))


@pytest.mark.parametrize("block", _generic(SHELL_LANGS), ids=lambda block: block.where)
def test_shell_blocks(block: Block, sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_block(block, sandbox, monkeypatch)


def test_every_page_is_in_the_nav() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    in_nav = set(re.findall(r":\s*([\w/\-]+\.md)\s*$", config, flags=re.MULTILINE))
    pages = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    assert pages - in_nav == set(), f"pages missing from the nav in mkdocs.yml: {sorted(pages - in_nav)}"
    assert in_nav - pages == set(), f"the nav names pages that do not exist: {sorted(in_nav - pages)}"


def _why_not_the_whole_docs_run(config: pytest.Config) -> Optional[str]:
    """Why this session cannot tell which named blocks were run (None: every docs test was selected)."""
    if coverage.DESELECTED:
        return f"{len(coverage.DESELECTED)} docs tests were deselected (-k or -m)"
    if any("::" in arg for arg in config.args):
        return "single tests were selected"
    selected = {nodeid.split("::")[0].rpartition("/")[2] for nodeid in coverage.SELECTED}
    absent = sorted(path.name for path in HERE.glob("test_*.py") if path.name not in selected)
    return f"docs test modules not collected: {absent}" if absent else None


def test_every_named_block_was_run_by_a_passing_test(request: pytest.FixtureRequest) -> None:
    """Runs last (tests/docs/conftest.py): naming a block in a test is not enough, a passing test must fetch it."""
    why_not = _why_not_the_whole_docs_run(request.config)
    if why_not is not None:
        pytest.skip(f"compares named and run blocks only when all of tests/docs runs: {why_not}")
    missing = sorted(COVERED - coverage.RAN)
    not_passed = sorted(coverage.NOT_PASSED - {request.node.nodeid})
    if missing and not_passed:
        pytest.skip(f"blocks {missing} were not run, and these docs tests did not pass: {not_passed}")
    assert not missing, f"blocks named by a test that no passing test ran: {missing}"
