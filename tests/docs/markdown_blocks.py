"""The python code blocks of the project's markdown files, found by a CommonMark parser.

``markdown-it-py`` (the parser ``rich`` uses, so it is in every environment that installs
``claude-vertex[cli]``) reads the files: fenced blocks inside lists, ``~~~`` fences and
longer fences are found as a renderer would find them, with their line numbers.

A block that cannot run offline for a true reason is marked by an HTML comment on the line
before it::

    <!-- docs-test: skip — needs llama-index-llms-anthropic, the peer compared against -->

Such a block is still compiled, so a syntax error in it fails the run.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["ROOT", "PythonBlock", "doc_files", "python_blocks"]

ROOT = Path(__file__).resolve().parents[2]

#: The languages of a fence whose block is Python to run.
_PYTHON = {"python", "py", "python3"}
#: ``<!-- docs-test: skip — REASON -->`` (an en or em dash, a hyphen or a colon before REASON).
_SKIP = re.compile(
    r"<!--\s*docs-test:\s*skip\s*[\u2014\u2013:-]?\s*(?P<reason>.*?)\s*-->", re.DOTALL
)
#: ``<!-- docs-test: needs MODULE — REASON -->``: run the block only where MODULE is installed
#: (a package the lock installs on some Python versions only); elsewhere it is a skip.
_NEEDS = re.compile(
    r"<!--\s*docs-test:\s*needs\s+(?P<module>[\w.]+)\s*[\u2014\u2013:-]?\s*(?P<reason>.*?)\s*-->",
    re.DOTALL,
)


def _skip_reason(mark_text: str) -> str | None:
    """Why a block under this HTML comment is not run here, or None to run it."""
    mark = _SKIP.search(mark_text)
    if mark is not None:
        return mark.group("reason") or "marked docs-test: skip"
    needs = _NEEDS.search(mark_text)
    if needs is not None and importlib.util.find_spec(needs.group("module")) is None:
        return f"{needs.group('module')} is not installed here: {needs.group('reason')}"
    return None


@dataclass(frozen=True)
class PythonBlock:
    """One fenced python block: where it is, its source, and why it is not run (if it is not).

    Attributes:
        doc: The markdown file's path relative to the repository root, with ``/`` separators.
        line: The 1-based line of the block's first line of code.
        source: The code.
        skip_reason: The reason of a ``docs-test: skip`` mark, or ``None`` for a block to run.
    """

    doc: str
    line: int
    source: str
    skip_reason: str | None = None

    @property
    def where(self) -> str:
        """``doc:line``, as the test ids and the failure messages name the block."""
        return f"{self.doc}:{self.line}"


def doc_files() -> list[Path]:
    """The markdown files whose python blocks run: READMEs and every ``docs/*.md``."""
    found = {ROOT / "README.md", ROOT / "core" / "README.md"}
    found.update(ROOT.glob("integrations/*/README.md"))
    found.update(ROOT.glob("docs/*.md"))
    return sorted(path for path in found if path.is_file())


def _marks(previous: Token | None, fence: Token) -> bool:
    """Whether ``previous`` is an HTML comment right above the fence ``fence``."""
    if previous is None or previous.type != "html_block" or previous.map is None:
        return False
    return fence.map is not None and previous.map[1] == fence.map[0]


def python_blocks(path: Path, doc: str | None = None) -> list[PythonBlock]:
    """The python blocks of the markdown file ``path``, in order.

    ``doc`` names the file in the blocks; by default, its path relative to the repository.
    """
    doc = path.relative_to(ROOT).as_posix() if doc is None else doc
    tokens = MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
    blocks: list[PythonBlock] = []
    for index, token in enumerate(tokens):
        language = token.info.strip().split(maxsplit=1)[0].lower() if token.info.strip() else ""
        if token.type != "fence" or language not in _PYTHON or token.map is None:
            continue
        skip = None
        previous = tokens[index - 1] if index else None
        if _marks(previous, token):
            assert previous is not None
            skip = _skip_reason(previous.content)
        blocks.append(PythonBlock(doc, token.map[0] + 2, token.content, skip))
    return blocks
