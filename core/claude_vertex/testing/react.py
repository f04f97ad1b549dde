"""The ReAct text protocol: the next step a model following it writes.

LlamaIndex's ReAct agents describe their tools in the system prompt instead of sending
``tools``; :func:`react_step` answers such a request with ``Thought:``/``Action:``/``Action
Input:`` or, after an observation, ``Thought:``/``Answer:``.
"""

from __future__ import annotations

import json
import re

from .jsontypes import JSON
from .prompt_text import ECHO_CHARS, system_text
from .schema_examples import ArgumentHints, example_from_schema
from .tool_choice import ranked_tools

__all__ = ["REACT_OBSERVATION", "react_step"]


#: One tool of a ReAct prompt, as LlamaIndex's ReAct agents list them in the system prompt.
_REACT_TOOL = re.compile(
    r"^> Tool Name: (?P<name>[^\n]+)\nTool Description: (?P<description>.*?)\n"
    r"Tool Args: (?P<args>\{[^\n]*\})[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
REACT_OBSERVATION = "Observation:"


def react_step(body: JSON, user_text: str) -> str | None:
    """The next step of a ReAct loop, when the system prompt asks for that text protocol.

    A request without ``tools`` whose system prompt lists tools as ``> Tool Name:`` /
    ``Tool Description:`` / ``Tool Args: {json schema}`` entries and asks for ``Action Input:``
    gets the text a model following the protocol writes: ``Thought:``, ``Action:`` (the tool
    sharing a word with the user's text, else the first) and ``Action Input:`` (JSON built
    from the schema with the user's quoted strings and numbers); after an ``Observation:``
    turn, ``Thought:`` and ``Answer:`` quoting the observation. Other requests get ``None``.
    """
    system = system_text(body)
    if body.get("tools") or "Action Input:" not in system:
        return None
    tools: list[JSON] = []
    for match in _REACT_TOOL.finditer(system):
        try:
            schema = json.loads(match["args"])
        except ValueError:
            schema = {"type": "object"}
        tools.append(
            {
                "name": match["name"].strip(),
                "description": match["description"],
                "input_schema": schema if isinstance(schema, dict) else {},
            }
        )
    if not tools:
        return None
    if user_text.startswith(REACT_OBSERVATION):
        observation = user_text[len(REACT_OBSERVATION) :].strip()[:ECHO_CHARS]
        return f"Thought: I can answer without using any more tools.\nAnswer: {observation}"
    tool = ranked_tools(tools, user_text)[0]
    arguments = example_from_schema(tool["input_schema"], ArgumentHints(user_text))
    return (
        "Thought: I need to use a tool to help me answer the question.\n"
        f"Action: {tool['name']}\nAction Input: {json.dumps(arguments)}"
    )
