"""What a route answers: a complete reply, a streamed one, or a stored file's bytes.

:class:`Reply` is written in one piece, :class:`StreamReply` as SSE events, :class:`FileReply`
(a stored object's bytes) in pieces read from disk as they are sent. The HTTP server
(:mod:`.server`) writes them to the socket; everything else in the emulator only builds them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO, Literal

__all__ = ["Answer", "FileReply", "Reply", "StreamReply"]


@dataclass(frozen=True)
class Reply:
    """A complete HTTP answer: written to the socket in one piece."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "application/json; charset=UTF-8"

    @classmethod
    def json(cls, status: int, payload: object, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
        """A reply whose body is ``payload`` encoded as JSON."""
        return cls(status, json.dumps(payload).encode(), headers)


@dataclass(frozen=True)
class StreamReply:
    """A ``200`` SSE answer, sent as chunked transfer encoding one event per chunk.

    ``events`` may be lazy: the server writes each event as it is made, so the first arrives
    before the last is encoded, as from Vertex. ``ending`` says how the body ends:
    ``complete`` with the terminating chunk, ``truncated`` with the terminating chunk but
    fewer events, ``dropped`` by closing the socket without it.
    """

    events: Iterable[bytes]
    ending: Literal["complete", "truncated", "dropped"] = "complete"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FileReply:
    """An answer whose body is ``length`` bytes of an open file, from its current position.

    The server sends them in pieces as it reads them, then closes the file, so a large object
    never has to be in memory.
    """

    status: int
    file: BinaryIO
    length: int
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "application/octet-stream"


#: Any answer of a route.
Answer = Reply | StreamReply | FileReply
