"""Signatures of thinking blocks, and the sealed payload of ``redacted_thinking`` blocks.

Each emulator signs the thinking it emits under a secret of its own, so a request that sends a
thinking block back is accepted only if the block is one this emulator wrote, unmodified, as
Vertex checks its own signatures.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["REDACTED_THINKING_TRIGGER", "ThinkingSigner"]

#: Anthropic's documented test prompt that makes a thinking model answer with a
#: ``redacted_thinking`` block (the emulator honours it as the real service does).
REDACTED_THINKING_TRIGGER = (
    "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_"
    "46C9A13E193C177646C7398A98432ECCCE4C1253D5E2D82641AC0E52CC2876CB"
)
_SEALED = b"vrtxR"


class ThinkingSigner:
    """Signs thinking blocks with an HMAC under a secret of its own, and checks signatures."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def sign(self, thinking: str) -> str:
        """The signature of a thinking text."""
        mac = hmac.new(self._secret, thinking.encode(), hashlib.sha256).digest()
        return base64.b64encode(b"vrtx" + mac).decode()

    def verify(self, thinking: str, signature: str) -> bool:
        """Whether ``signature`` is the one :meth:`sign` gives for ``thinking``."""
        return hmac.compare_digest(self.sign(thinking), signature)

    def seal(self, thinking: str) -> str:
        """The opaque ``data`` of a ``redacted_thinking`` block holding ``thinking``."""
        payload = thinking.encode()
        mac = hmac.new(self._secret, b"redacted:" + payload, hashlib.sha256).digest()
        return base64.b64encode(_SEALED + mac + payload).decode()

    def unsealable(self, data: str) -> bool:
        """Whether ``data`` is a ``redacted_thinking`` payload :meth:`seal` made, unmodified."""
        try:
            raw = base64.b64decode(data, validate=True)
        except (ValueError, TypeError):
            return False
        if not raw.startswith(_SEALED) or len(raw) < len(_SEALED) + 32:
            return False
        mac, payload = raw[len(_SEALED) : len(_SEALED) + 32], raw[len(_SEALED) + 32 :]
        expected = hmac.new(self._secret, b"redacted:" + payload, hashlib.sha256).digest()
        return hmac.compare_digest(mac, expected)
