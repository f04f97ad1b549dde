"""Tool arguments from JSON text, complete or cut off mid-stream.

Claude streams a tool call's arguments as pieces of JSON (``input_json_delta``);
:func:`parse_tool_arguments` reads what has arrived so far. It is the one tolerant reading
of such text in the package: the stream accumulator and both adapters use it.
"""

from __future__ import annotations

from typing import Any

from jiter import from_json

__all__ = ["parse_tool_arguments"]


def parse_tool_arguments(text: str) -> dict[str, Any] | None:
    """The arguments in ``text``, a JSON object that may be cut off anywhere.

    An unfinished object yields what it holds so far (an unfinished string value as far as
    it goes, an unfinished key or literal left out). Blank text yields ``{}``.

    Returns:
        The arguments, or ``None`` when ``text`` is not (the start of) a JSON object, so the
        caller chooses between ``{}`` and an error.
    """
    if not text or text.isspace():
        return {}
    try:
        parsed = from_json(text.encode(), partial_mode="trailing-strings")
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None
