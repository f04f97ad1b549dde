"""Small shared pieces of the LlamaIndex adapter: the JSON alias and block keys.

Claude's rules (thinking, sampling, effort...) are the core's call policy
(:func:`claude_vertex.apply_call_policy`), not kept here.
"""

from __future__ import annotations

from typing import Any

__all__ = ["JSON", "REDACTED_THINKING_KEY", "SIGNATURE_KEY"]

JSON = dict[str, Any]

#: Where a ``ThinkingBlock`` keeps the signature Claude gave its thinking (replayed as is).
SIGNATURE_KEY = "signature"
#: Where a ``ThinkingBlock`` keeps the encrypted ``data`` of a ``redacted_thinking`` block.
REDACTED_THINKING_KEY = "redacted_thinking"
