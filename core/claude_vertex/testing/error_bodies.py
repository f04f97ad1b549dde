"""The two error bodies the emulator answers with: Google's front door's and the model layer's.

Google's gateway (auth, paths, projects, quotas) answers ``{"error": {"code", "message",
"status"}}`` with the ``status`` string Google pairs with each HTTP code; the model layer answers
Anthropic's ``{"type": "error", "error": {"type", "message"}, "request_id": "req_vrtx_..."}``
(the request id as claude-code #12429 shows Vertex's).
"""

from __future__ import annotations

import secrets

from .jsontypes import JSON

__all__ = ["GOOGLE_STATUS", "anthropic_error", "google_error", "new_request_id"]


#: The ``status`` string Google puts next to each HTTP code.
GOOGLE_STATUS: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def google_error(code: int, message: str, status: str | None = None) -> JSON:
    """The error body of Google's front door: ``{"error": {"code", "message", "status"}}``."""
    return {
        "error": {
            "code": code,
            "message": message,
            "status": status or GOOGLE_STATUS.get(code, "UNKNOWN"),
        }
    }


def new_request_id() -> str:
    """A fresh request id, in the form Vertex's Claude endpoints use (``req_vrtx_`` + hex)."""
    return "req_vrtx_" + secrets.token_hex(12)


def anthropic_error(error_type: str, message: str, request_id: str | None = None) -> JSON:
    """The error body of the model layer, with ``request_id`` (a fresh one if not given)."""
    return {
        "type": "error",
        "error": {"type": error_type, "message": message},
        "request_id": request_id or new_request_id(),
    }
