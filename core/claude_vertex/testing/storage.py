"""Cloud Storage on loopback: the objects the emulator serves to ``gs://`` media reads.

The JSON API's object read, ``GET /storage/v1/b/{bucket}/o/{object}``: the bytes with
``alt=media``, else the object's metadata; only valid bearer tokens get either.
"""

from __future__ import annotations

import threading
from urllib.parse import parse_qsl

from .auth import UNAUTHENTICATED_MESSAGE, Authority
from .error_bodies import google_error
from .replies import Reply

__all__ = ["ObjectStore"]


class ObjectStore:
    """The stored objects, keyed by bucket and name, and the read route's answers. Thread-safe."""

    def __init__(self, authority: Authority) -> None:
        self._authority = authority
        self._lock = threading.Lock()
        self._objects: dict[tuple[str, str], tuple[bytes, str]] = {}

    def put(self, bucket: str, name: str, data: bytes, content_type: str) -> str:
        """Store an object (replacing one of the same name); returns its ``gs://`` URI."""
        with self._lock:
            self._objects[(bucket, name)] = (bytes(data), content_type)
        return f"gs://{bucket}/{name}"

    def read(self, authorization: str | None, bucket: str, name: str, query: str) -> Reply:
        """A Cloud Storage JSON API read: the bytes with ``alt=media``, else the metadata."""
        with self._lock:
            found = self._objects.get((bucket, name))
        if not self._authority.bearer_valid(authorization):
            return Reply.json(401, google_error(401, UNAUTHENTICATED_MESSAGE))
        if found is None:
            return Reply.json(404, google_error(404, f"No such object: {bucket}/{name}"))
        if ("alt", "media") in parse_qsl(query):
            return Reply(200, found[0], content_type=found[1])
        return Reply.json(
            200,
            {
                "kind": "storage#object",
                "bucket": bucket,
                "name": name,
                "contentType": found[1],
                "size": str(len(found[0])),
            },
        )
