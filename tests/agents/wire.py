"""What the emulator saw: the checks every agent-framework test makes of the wire.

The emulator refuses (400) whatever Vertex would refuse: the first-party ``anthropic_version``,
a ``model`` in a Messages body, a beta Vertex does not serve. So a run whose requests all got
a 2xx was well formed; :func:`assert_well_formed` checks that, and the version and body itself.
"""

from __future__ import annotations

from claude_vertex import VERTEX_ANTHROPIC_VERSION
from claude_vertex.testing import VertexEmulator
from claude_vertex.testing.request_log import RecordedRequest

__all__ = ["PYDANTIC_AI_MISSING", "assert_well_formed", "model_requests"]


def model_requests(emulator: VertexEmulator) -> list[RecordedRequest]:
    """The requests to Vertex's model routes (not the token endpoint)."""
    return [r for r in emulator.requests if r.route in ("create", "stream", "count_tokens")]


def assert_well_formed(emulator: VertexEmulator, *, failures: int = 0) -> None:
    """Every model request (but ``failures`` injected ones) was accepted and well formed.

    Accepted: no request of any route got a 4xx but the injected 429s (``failures``); well
    formed: Vertex's ``anthropic_version`` in the body, and a ``model`` only in count-tokens
    bodies (Messages calls carry it in the URL).
    """
    sent = model_requests(emulator)
    assert sent
    refused = [r for r in emulator.requests + emulator.token_requests if 400 <= r.status < 500]
    assert len(refused) == failures, refused
    assert all(r.status == 429 for r in refused), refused
    for request in sent:
        assert request.status in (200, 429), request
        assert request.body["anthropic_version"] == VERTEX_ANTHROPIC_VERSION
        assert ("model" in request.body) == (request.route == "count_tokens")


#: Why pydantic-ai may be missing: the agents group installs it on Python 3.11+ only.
PYDANTIC_AI_MISSING = (
    "pydantic-ai is installed on Python 3.11+ only: its releases for Python 3.10 (2.54 and "
    "older) call BetaMessageParam(...), which anthropic 2.14 makes an uncallable Union"
)
