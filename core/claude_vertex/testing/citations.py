"""Citations: the text blocks that cite the documents and search results of the last user turn.

Each source with citations enabled gets a block quoting its first sentence, with the location
type the Messages API uses for it (characters, content blocks, PDF pages or a search result).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence

from .jsontypes import JSON
from .prompt_text import ECHO_CHARS

__all__ = ["cited_blocks"]

_SENTENCE = re.compile(r"\s*(.+?[.!?])(?=\s|$)", re.DOTALL)
_PDF_TEXT = re.compile(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj")


def _first_sentence(text: str) -> str:
    match = _SENTENCE.match(text)
    return (match.group(1) if match else text.strip())[:ECHO_CHARS]


def _pdf_text(source: JSON) -> str:
    """The literal strings a PDF's text operators show (enough for a citation)."""
    try:
        data = base64.b64decode(str(source.get("data", "")))
    except (ValueError, TypeError):
        return ""
    parts = [m.group(1).decode("latin-1") for m in _PDF_TEXT.finditer(data)]
    return " ".join(p.replace("\\(", "(").replace("\\)", ")") for p in parts)


def _citation_for(block: JSON, index: int) -> JSON:
    """The citation of the first sentence of a document or search result."""
    if block["type"] == "search_result":
        texts = [str(b.get("text", "")) for b in block.get("content") or [] if isinstance(b, dict)]
        return {
            "type": "search_result_location",
            "cited_text": _first_sentence(texts[0] if texts else ""),
            "search_result_index": index,
            "source": block.get("source"),
            "title": block.get("title"),
            "start_block_index": 0,
            "end_block_index": 1,
        }
    source = block.get("source") or {}
    title = block.get("title")
    if source.get("type") == "text":
        cited = _first_sentence(str(source.get("data", "")))
        return {
            "type": "char_location",
            "cited_text": cited,
            "document_index": index,
            "document_title": title,
            "start_char_index": 0,
            "end_char_index": len(cited),
        }
    if source.get("type") == "content":
        inner = source.get("content")
        first = (
            inner
            if isinstance(inner, str)
            else next((str(b.get("text", "")) for b in inner or [] if b.get("type") == "text"), "")
        )
        return {
            "type": "content_block_location",
            "cited_text": _first_sentence(first),
            "document_index": index,
            "document_title": title,
            "start_block_index": 0,
            "end_block_index": 1,
        }
    return {
        "type": "page_location",
        "cited_text": _first_sentence(_pdf_text(source)),
        "document_index": index,
        "document_title": title,
        "start_page_number": 1,
        "end_page_number": 2,
    }


def _citable(message_blocks: Sequence[JSON]) -> list[JSON]:
    """Documents and search results in order, including those inside tool results."""
    found: list[JSON] = []
    for block in message_blocks:
        if block.get("type") in ("document", "search_result"):
            found.append(block)
        elif block.get("type") == "tool_result" and isinstance(block.get("content"), list):
            found.extend(
                b
                for b in block["content"]
                if isinstance(b, dict) and b.get("type") == "search_result"
            )
    return found


def cited_blocks(messages: Sequence[JSON], user_blocks: Sequence[JSON]) -> list[JSON]:
    """Text blocks citing each citable source of the last user turn that enables citations.

    Documents are numbered across the whole request (``document_index``), search results
    likewise (``search_result_index``), as the Messages API does.
    """
    every: list[JSON] = []
    for message in messages:
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, list):
            every.extend(_citable([b for b in content if isinstance(b, dict)]))
    latest = {id(block) for block in _citable(user_blocks)}
    counters = {"document": 0, "search_result": 0}
    cited: list[JSON] = []
    for block in every:
        index = counters[block["type"]]
        counters[block["type"]] += 1
        enabled = (block.get("citations") or {}).get("enabled") is True
        if id(block) in latest and enabled:
            citation = _citation_for(block, index)
            text = citation["cited_text"] or "(see the cited source)"
            cited.append({"type": "text", "text": text, "citations": [citation]})
    return cited
