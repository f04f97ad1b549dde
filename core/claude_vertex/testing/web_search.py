"""The emulated model's use of the ``web_search`` server tool.

Vertex runs web search on the server: a call the model makes to it comes back in the same
answer as a ``server_tool_use`` block (id ``srvtoolu_...``, input ``{"query": ...}``) followed
by a ``web_search_tool_result`` block with the results, and the usage counts it in
``server_tool_use.web_search_requests``; the client never sees a ``tool_use`` for it. The
results here are made up but shaped as the Messages API's (``web_search_result`` entries
with ``url``, ``title``, ``encrypted_content``, ``page_age``).
"""

from __future__ import annotations

import hashlib

from .jsontypes import JSON

__all__ = ["WEB_SEARCH_PREFIX", "is_web_search", "web_search_blocks"]

#: ``type`` prefix of the web search server tool (``web_search_20250305``).
WEB_SEARCH_PREFIX = "web_search_"

#: At most this many characters of the user's text become the search query.
QUERY_CHARS = 200


def is_web_search(tool: JSON) -> bool:
    """Whether ``tool`` (an entry of ``tools``) is the web search server tool."""
    kind = tool.get("type")
    return isinstance(kind, str) and kind.startswith(WEB_SEARCH_PREFIX)


def web_search_blocks(user_text: str, call_id: str) -> tuple[JSON, JSON]:
    """The ``server_tool_use`` block of a search for ``user_text``, and its result block."""
    query = user_text[:QUERY_CHARS] or "search"
    slug = hashlib.sha256(query.encode()).hexdigest()[:12]
    results = [
        {
            "type": "web_search_result",
            "url": f"https://example.com/{slug}/{rank}",
            "title": f"Result {rank} for {query[:60]}",
            "encrypted_content": hashlib.sha256(f"{slug}:{rank}".encode()).hexdigest(),
            "page_age": None,
        }
        for rank in (1, 2)
    ]
    call: JSON = {
        "type": "server_tool_use",
        "id": call_id,
        "name": "web_search",
        "input": {"query": query},
    }
    result: JSON = {"type": "web_search_tool_result", "tool_use_id": call_id, "content": results}
    return call, result
