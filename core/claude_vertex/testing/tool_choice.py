"""Which tools the emulated model calls.

It follows ``tool_choice``, and among the tools it may call prefers those that share a word
with the user's text.
"""

from __future__ import annotations

from collections.abc import Sequence

from .jsontypes import JSON
from .prompt_text import words

__all__ = ["chosen_tools", "ranked_tools"]


def ranked_tools(tools: Sequence[JSON], user_text: str) -> list[JSON]:
    """Tools ordered for calling: those sharing a word with the user's text first."""
    asked = words(user_text)

    def shares_word(tool: JSON) -> bool:
        name_words = words(str(tool.get("name", "")).replace("_", " ").replace("-", " "))
        return bool(asked & (name_words | words(str(tool.get("description", "")))))

    return sorted(tools, key=lambda tool: not shares_word(tool))


def chosen_tools(body: JSON, user_text: str, answered: bool) -> list[JSON]:
    """The tools the emulated model calls, following ``tool_choice``."""
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and t.get("name")]
    choice = body.get("tool_choice") or {"type": "auto"}
    kind = choice.get("type", "auto")
    if not tools or kind == "none" or (kind == "auto" and answered):
        return []
    if kind == "tool":
        return [t for t in tools if t.get("name") == choice.get("name")][:1]
    ranked = ranked_tools(tools, user_text)
    parallel = kind == "any" and not choice.get("disable_parallel_tool_use", False)
    return ranked[:2] if parallel else ranked[:1]
