"""The ``anthropic-beta`` values Vertex AI accepts, and where each one goes.

Vertex checks the ``anthropic-beta`` header against an allow-list and answers 400
"Unexpected value(s) ... for the anthropic-beta header" to anything else, so betas that are
not in :data:`VERTEX_BETAS` are dropped (with a warning) before a request is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["NOT_NEEDED", "VERTEX_BETAS", "Beta"]


@dataclass(frozen=True)
class Beta:
    """How one beta travels to Vertex."""

    #: ``header``: in ``anthropic-beta``; ``body``: in the body's ``anthropic_beta`` list
    #: (Vertex refuses a few betas as a header but honours them in the body).
    placement: Literal["header", "body"] = "header"
    #: Whether the count-tokens endpoint accepts it (it refuses some that messages accept).
    count_tokens: bool = True


#: Betas Vertex accepts. Betas that Vertex refuses but whose feature works without them
#: (``prompt-caching-2024-07-31``, ``structured-outputs-2025-11-13``, ``effort-2025-11-24``)
#: are deliberately absent, as are features Vertex does not offer (Files API, code
#: execution, MCP connector, Skills, web fetch).
VERTEX_BETAS: dict[str, Beta] = {
    "interleaved-thinking-2025-05-14": Beta(),
    "fine-grained-tool-streaming-2025-05-14": Beta(count_tokens=False),
    "token-efficient-tools-2025-02-19": Beta(),
    "output-128k-2025-02-19": Beta(count_tokens=False),
    "context-1m-2025-08-07": Beta(placement="body"),
    "context-management-2025-06-27": Beta(),
    # Compaction (context_management edits of type compact_20260112): accepted as a header on
    # Vertex (LiteLLM #27290, #30114). Whether count-tokens takes it is unconfirmed.
    "compact-2026-01-12": Beta(),
    "computer-use-2024-10-22": Beta(),
    "computer-use-2025-01-24": Beta(),
    "computer-use-2025-11-24": Beta(),
    "tool-search-tool-2025-10-19": Beta(),
    # count-tokens answers 400 to it (claude-code #12429): dropped for count-tokens calls.
    "web-search-2025-03-05": Beta(count_tokens=False),
}

#: Betas Vertex refuses although their feature works there without the header: dropped with a
#: warning that says so.
NOT_NEEDED = frozenset(
    {"prompt-caching-2024-07-31", "structured-outputs-2025-11-13", "effort-2025-11-24"}
)
