"""Fenced code blocks of README.md and docs/, each with a stable id, so tests can run exactly what a page shows.

A block gets its id from an HTML comment on the line before its opening fence::

    <!-- test: quick-app -->
    ```python
    ...
    ```

or is declared not runnable, with a reason, by ``<!-- not-tested: output of a real terminal -->``.
A block without a comment (README.md's, for instance) gets the fallback id
``<heading-slug>-<n>``: the slug of the nearest heading above it and its position among the blocks
under that heading (marked blocks count too, so adding a marker never renumbers the others).
``--8<-- "path"`` lines (pymdownx.snippets) are replaced by the file they include, as the site shows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from tests.docs.coverage import record_fetch

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
_MARKER = re.compile(r"^\s*<!--\s*(?P<kind>test|not-tested)\s*:\s*(?P<value>.*?)\s*-->\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(?P<title>.+?)\s*#*\s*$")
_SNIPPET = re.compile(r"""^\s*--8<--\s+["'](?P<path>[^"']+)["']\s*$""")


@dataclass(frozen=True)
class Block:
    """One fenced code block as a reader sees it (indentation removed, snippets expanded)."""

    file: str  # path relative to the repository root, with forward slashes
    line: int  # 1-based line of the opening fence
    lang: str  # first word of the info string, lower case ("" when none)
    code: str
    block_id: Optional[str]  # from a test marker or the fallback rule; None when marked not-tested
    not_tested: Optional[str]  # the reason given by a not-tested marker
    marked: bool  # True when an HTML comment names the block (test or not-tested)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def key(self) -> Tuple[str, str]:
        assert self.block_id is not None, f"{self.where} is marked not-tested"
        return self.file, self.block_id


def slugify(title: str) -> str:
    text = re.sub(r"[`*_\[\]()]", "", title.lower())
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def markdown_files() -> List[Path]:
    """README.md and every page under docs/ (sorted)."""
    pages = sorted(DOCS.rglob("*.md")) if DOCS.is_dir() else []
    return [ROOT / "README.md", *pages]


def relative(path: Path) -> str:
    return path.resolve().relative_to(ROOT).as_posix()


def _expand_snippets(code: str, where: str) -> str:
    lines: List[str] = []
    for line in code.splitlines(keepends=True):
        match = _SNIPPET.match(line)
        if match is None:
            lines.append(line)
            continue
        included = ROOT / match.group("path")
        if not included.is_file():
            raise AssertionError(f"{where}: snippet {match.group('path')!r} does not exist")
        lines.append(included.read_text(encoding="utf-8"))
    return "".join(lines)


def _dedent(lines: List[str], indent: str) -> str:
    stripped = [line[len(indent) :] if line.startswith(indent) else line.lstrip() for line in lines]
    return "".join(stripped)


def parse(text: str, file: str) -> List[Block]:
    """Every fenced block of one Markdown text, in order."""
    lines = text.splitlines(keepends=True)
    blocks: List[Block] = []
    heading = ""
    per_heading: Dict[str, int] = {}
    previous = ""  # the last non-blank line before the current one
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line.rstrip("\n"))
        if fence is None:
            title = _HEADING.match(line)
            if title is not None:
                heading = slugify(title.group("title"))
            if line.strip():
                previous = line
            index += 1
            continue
        indent, marker = fence.group("indent"), fence.group("fence")
        closing = re.compile(rf"^[ \t]*{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
        end = index + 1
        while end < len(lines) and not closing.match(lines[end].rstrip("\n")):
            end += 1
        if end >= len(lines):
            raise AssertionError(f"{file}:{index + 1}: code fence never closed")
        info = fence.group("info").strip()
        lang = info.split()[0].lower().lstrip(".{") if info else ""
        where = f"{file}:{index + 1}"
        code = _expand_snippets(_dedent(lines[index + 1 : end], indent), where)
        comment = _MARKER.match(previous)
        # Every block counts, marked or not, so a fallback id never changes when a marker is added.
        per_heading[heading] = per_heading.get(heading, 0) + 1
        block_id: Optional[str]
        reason: Optional[str] = None
        if comment is not None and comment.group("kind") == "test":
            block_id = comment.group("value")
        elif comment is not None:
            block_id, reason = None, comment.group("value")
            if not reason:
                raise AssertionError(f"{where}: a not-tested marker needs a reason")
        else:
            block_id = f"{heading or 'top'}-{per_heading[heading]}"
        blocks.append(Block(file, index + 1, lang, code, block_id, reason, comment is not None))
        previous = ""
        index = end + 1
    return blocks


@cache
def blocks_of(file: str) -> Tuple[Block, ...]:
    return tuple(parse((ROOT / file).read_text(encoding="utf-8"), file))


def all_blocks() -> List[Block]:
    return [block for path in markdown_files() for block in blocks_of(relative(path))]


def doc_block(file: str, block_id: str) -> Block:
    """The block ``block_id`` of ``file`` (relative to the repository root); fails clearly when it is gone."""
    found = [block for block in blocks_of(file) if block.block_id == block_id]
    if not found:
        known = ", ".join(sorted(b.block_id for b in blocks_of(file) if b.block_id))
        raise AssertionError(f"{file} has no code block {block_id!r} (blocks: {known})")
    if len(found) > 1:
        raise AssertionError(f"{file}: the id {block_id!r} names {len(found)} blocks")
    record_fetch(found[0].key)
    return found[0]


def doc_code(file: str, block_id: str) -> str:
    return doc_block(file, block_id).code
