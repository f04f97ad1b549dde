"""The Messages API response object (a Message) the emulator sends for an answer."""

from __future__ import annotations

import secrets
import string

from .answers import Answer
from .jsontypes import JSON
from .prompt_cache import Usage

__all__ = ["message_json"]

_ID_ALPHABET = string.ascii_letters + string.digits


def message_json(answer: Answer, model: str, usage: Usage) -> JSON:
    """The Messages API response object for ``answer``; ``model`` is the dash-form id."""
    return {
        "id": "msg_vrtx_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(24)),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [dict(block) for block in answer.content],
        "stop_reason": answer.stop_reason,
        "stop_sequence": answer.stop_sequence,
        "usage": {
            "input_tokens": usage.input_tokens,
            "output_tokens": answer.output_tokens,
            "cache_creation_input_tokens": usage.cache_creation_input_tokens,
            "cache_read_input_tokens": usage.cache_read_input_tokens,
            **_cache_creation(usage),
            **_server_tool_use(answer),
            "service_tier": "standard",
        },
    }


def _cache_creation(usage: Usage) -> JSON:
    """The breakdown of cache writes by lifetime, where the usage shows it."""
    if not usage.breakdown_shown:
        return {}
    return {
        "cache_creation": {
            "ephemeral_5m_input_tokens": usage.ephemeral_5m_input_tokens,
            "ephemeral_1h_input_tokens": usage.ephemeral_1h_input_tokens,
        }
    }


def _server_tool_use(answer: Answer) -> JSON:
    """The count of server tool calls, present when the answer made any."""
    if not answer.web_search_requests:
        return {}
    return {"server_tool_use": {"web_search_requests": answer.web_search_requests}}
