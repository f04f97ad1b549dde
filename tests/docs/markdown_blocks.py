"""The python code blocks (and shell examples) of the project's markdown files, found by a
CommonMark parser.

``markdown-it-py`` (the parser ``rich`` uses, so it is in every environment that installs
``claude-vertex[cli]``) reads the files: fenced blocks inside lists, ``~~~`` fences and
longer fences are found as a renderer would find them, with their line numbers.

A block that cannot run offline for a true reason is marked by an HTML comment on the line
before it::

    <!-- docs-test: skip — needs llama-index-llms-anthropic, the peer compared against -->

Such a block is still compiled, so a syntax error in it fails the run.

:func:`shell_examples` finds the commands of shell blocks (and of a section's inline code)
that run a given program, with the same marks, for tests that run them.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["ROOT", "PythonBlock", "ShellExample", "doc_files", "python_blocks", "shell_examples"]

ROOT = Path(__file__).resolve().parents[2]

#: The languages of a fence whose block is Python to run.
_PYTHON = {"python", "py", "python3"}
#: The languages of a fence whose lines are shell commands (``$ `` prompts allowed).
_SHELL = {"bash", "sh", "shell", "console"}
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


@dataclass(frozen=True)
class ShellExample:
    """One shell command of a markdown file: where it is, the command, why it is not run.

    Attributes:
        doc: The markdown file's path relative to the repository root.
        line: The 1-based line of the command.
        command: The command as a reader would type it (a ``$ `` prompt removed).
        skip_reason: The reason of a ``docs-test: skip`` mark on its block, or ``None``.
    """

    doc: str
    line: int
    command: str
    skip_reason: str | None = None

    @property
    def where(self) -> str:
        """``doc:line``."""
        return f"{self.doc}:{self.line}"


def _language(token: Token) -> str:
    info = token.info.strip()
    return info.split(maxsplit=1)[0].lower() if info else ""


def _fenced_commands(tokens: list[Token], index: int) -> list[tuple[int, str, str | None]]:
    """The commands of the shell block ``tokens[index]``: (line, command, skip reason).

    In a ``console`` block only the lines after a ``$`` prompt are commands (the rest is what
    they print); in a ``bash``/``sh``/``shell`` block every line is. A line ending in ``\\``,
    ``&&``, ``||`` or ``|`` goes on, as in bash, on the next.
    """
    token = tokens[index]
    assert token.map is not None
    previous = tokens[index - 1] if index else None
    skip = (
        _skip_reason(previous.content) if previous is not None and _marks(previous, token) else None
    )
    prompted = _language(token) == "console"
    found: list[tuple[int, str, str | None]] = []
    pending: tuple[int, str] | None = None
    for offset, line in enumerate(token.content.splitlines()):
        if pending is not None:
            start, command = pending[0], pending[1] + " " + line.strip()
        elif prompted and not line.startswith("$ "):
            continue
        else:
            start, command = token.map[0] + 2 + offset, line.removeprefix("$ ").strip()
        if command.endswith("\\"):
            pending = (start, command[:-1].rstrip())
        elif command.endswith(("&&", "||", "|")):
            pending = (start, command)
        else:
            pending = None
            if command and not command.startswith("#"):
                found.append((start, command, skip))
    return found


def _listed_commands(tokens: list[Token], heading: str) -> list[tuple[int, str, str | None]]:
    """The inline code spans of the section titled ``heading``, up to the next heading of its
    level or above."""
    found: list[tuple[int, str, str | None]] = []
    level = None
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            if level is not None and token.tag <= level:
                break
            if tokens[index + 1].content == heading:
                level = token.tag
            continue
        if level is None or token.type != "inline" or token.map is None:
            continue
        for child in token.children or ():
            if child.type == "code_inline":
                found.append((token.map[0] + 1, child.content, None))
    return found


def shell_examples(
    path: Path, programs: tuple[str, ...], *, listed_under: str | None = None
) -> list[ShellExample]:
    """The commands of ``path`` that run one of ``programs`` (``claude-vertex ask``, say).

    From every shell block (a command there may also sit in a pipeline), and, with
    ``listed_under``, from the inline code of the section with that title (a list of commands
    with one example each), where a command must start with the program and be more than
    the program alone (which names the command).
    """
    doc = path.relative_to(ROOT).as_posix()
    tokens = MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
    candidates = [
        (line, command, skip, True)
        for index, token in enumerate(tokens)
        if token.type == "fence" and _language(token) in _SHELL
        for line, command, skip in _fenced_commands(tokens, index)
    ]
    if listed_under is not None:
        candidates += [
            (line, command, skip, False)
            for line, command, skip in _listed_commands(tokens, listed_under)
        ]
    examples = []
    for line, command, skip, in_pipeline in candidates:
        if in_pipeline:
            runs = command.startswith(programs) or any(
                f"| {p}" in command or f"$({p}" in command for p in programs
            )
        else:  # a list names the command (the program alone), then gives its example
            runs = command.startswith(programs) and command not in programs
        if runs:
            examples.append(ShellExample(doc, line, command, skip))
    return sorted(examples, key=lambda example: example.line)
