"""The media facts: pure, and what validation reads instead of the media loader."""

from __future__ import annotations

import ast
import base64
from pathlib import Path

import pytest

import claude_vertex
from claude_vertex.media_types import (
    GENERIC_MEDIA_TYPE,
    base64_decoded_size,
    sniff_inline_media_type,
    sniff_media_type,
)

PACKAGE = Path(claude_vertex.__file__).parent


def _imports(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / module).read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
    return found


@pytest.mark.parametrize("module", ["media_types.py", "validation.py"])
def test_media_facts_and_validation_import_no_io(module: str) -> None:
    imports = _imports(module)
    assert imports.isdisjoint({".media", ".media_sources", ".client", ".credentials", "httpx2"})
    assert imports <= {"__future__", "collections.abc", "typing", "pathlib", "urllib.parse"} | {
        ".errors",
        ".media_types",
    }


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", GENERIC_MEDIA_TYPE),  # audio, not an image
        (b"%PDF-1.7", "application/pdf"),
    ],
)
def test_sniffing_by_leading_bytes(data: bytes, expected: str) -> None:
    assert sniff_media_type(data) == expected


def test_sniffing_falls_back_to_the_name_suffix() -> None:
    assert sniff_media_type(b"", None, "https://x/notes.md?v=2") == "text/plain"
    assert sniff_media_type(b"", "binary/octet-stream", "/srv/photos/a.JPG") == "image/jpeg"


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        (b"Just words.", None, "text/plain"),
        (b"\xff\xfe\x00binary", None, GENERIC_MEDIA_TYPE),
        (b"Just words.", "text/csv", "text/csv"),  # a declared type is kept
    ],
)
def test_inline_bytes_of_no_known_type_are_text_if_utf8(
    data: bytes, declared: str | None, expected: str
) -> None:
    assert sniff_inline_media_type(data, declared) == expected


@pytest.mark.parametrize("size", [0, 1, 2, 3, 1000, 4096])
def test_base64_size_estimate_is_within_two_bytes(size: int) -> None:
    estimate = base64_decoded_size(base64.b64encode(b"x" * size).decode())
    assert size <= estimate <= size + 2
