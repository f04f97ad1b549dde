"""Builders shared by the LlamaIndex adapter's tests (test_llama_index_*.py)."""

from __future__ import annotations

from collections.abc import Callable

from llama_index.llms.claude_vertex import ClaudeVertex

MakeLLM = Callable[..., ClaudeVertex]

#: The smallest byte strings the emulator takes for a PNG image and a PDF with one sentence.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
PDF = b"%PDF-1.4\n1 0 obj <<>> stream\nBT (The report covers Vertex AI.) Tj ET\nendstream\n%%EOF"

THINKING = {"type": "enabled", "budget_tokens": 2048}


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"Sunny in {city}"
