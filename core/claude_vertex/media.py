"""Images and documents by reference, read client-side and sent inline as base64.

Vertex does not fetch URL sources, so both adapters turn every reference into a base64
``source`` block here: ``data:`` URLs, ``http(s)://`` URLs, ``gs://`` objects (read through the
Cloud Storage JSON API with the caller's own credentials) and local files.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlsplit

import httpx2

from .credentials import TokenProvider
from .deadlines import Deadline, DeadlineExceeded
from .errors import MediaError

__all__ = ["IMAGE_MEDIA_TYPES", "MAX_IMAGE_BYTES", "Media", "aload_media", "load_media"]

#: Image types the Messages API accepts.
IMAGE_MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
#: Document types sent as base64 ``document`` sources.
DOCUMENT_MEDIA_TYPES = ("application/pdf", "text/plain")
#: The largest image the API accepts (decoded bytes).
MAX_IMAGE_BYTES = 5 * 1024 * 1024
#: The largest file read at all (the API's request size).
MAX_FETCH_BYTES = 32 * 1024 * 1024
#: Where ``gs://`` reads go; ``STORAGE_EMULATOR_HOST`` (the google-cloud-storage convention)
#: points them at an emulator.
STORAGE_HOST = "https://storage.googleapis.com"

_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]", re.ASCII)
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
_GENERIC = {"", "application/octet-stream", "binary/octet-stream"}
_SUFFIXES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".md": "text/plain",
}


@dataclass(frozen=True)
class Media:
    """Bytes of an image or document with their media type."""

    media_type: str
    data: bytes

    @property
    def base64(self) -> str:
        """The data, base64-encoded."""
        return base64.b64encode(self.data).decode("ascii")

    @property
    def is_image(self) -> bool:
        """Whether this is an image type the API accepts."""
        return self.media_type in IMAGE_MEDIA_TYPES

    def source(self) -> dict[str, Any]:
        """The Messages API ``source`` for this media (``text`` for plain text documents)."""
        if self.media_type == "text/plain":
            return {
                "type": "text",
                "media_type": "text/plain",
                "data": self.data.decode("utf-8", "replace"),
            }
        return {"type": "base64", "media_type": self.media_type, "data": self.base64}

    def block(self) -> dict[str, Any]:
        """A Messages API ``image`` or ``document`` block holding this media."""
        return {"type": "image" if self.is_image else "document", "source": self.source()}


def sniff_media_type(data: bytes, declared: str | None = None, name: str = "") -> str:
    """The media type of ``data``: the declared one unless generic, else from bytes or name."""
    declared = (declared or "").split(";")[0].strip().lower()
    if declared == "image/jpg":
        declared = "image/jpeg"
    if declared not in _GENERIC:
        return declared
    for magic, media_type in _MAGIC:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    suffix = Path(urlsplit(name).path).suffix.lower()
    return _SUFFIXES.get(suffix, "application/octet-stream")


def _check(media: Media, reference: str) -> Media:
    allowed = IMAGE_MEDIA_TYPES + DOCUMENT_MEDIA_TYPES
    if media.media_type not in allowed:
        raise MediaError(
            f"{reference} is {media.media_type!r}, which Claude does not read. Send one of: "
            f"{', '.join(allowed)}."
        )
    if media.is_image and len(media.data) > MAX_IMAGE_BYTES:
        raise MediaError(
            f"{reference} is an image of {len(media.data):,} bytes; Claude on Vertex accepts "
            f"at most {MAX_IMAGE_BYTES:,}. Resize or recompress it."
        )
    return media


def _describe(reference: str) -> str:
    return repr(reference if len(reference) < 80 else reference[:77] + "...")


def _data_url(url: str) -> Media:
    header, sep, payload = url[5:].partition(",")
    if not sep:
        raise MediaError("Malformed data: URL (no comma); expected data:<type>;base64,<data>.")
    media_type, *params = header.split(";")
    try:
        data = (
            base64.b64decode(payload, validate=True)
            if "base64" in params
            else unquote_to_bytes(payload)
        )
    except (binascii.Error, ValueError):
        raise MediaError("The data: URL does not hold valid base64.") from None
    return Media(sniff_media_type(data, media_type), data)


def _storage_request(uri: str) -> tuple[str, str]:
    """The download URL of a ``gs://bucket/object`` URI, and the bucket."""
    parts = urlsplit(uri)
    bucket, name = parts.netloc, parts.path.lstrip("/")
    if not _BUCKET.fullmatch(bucket) or not name or parts.query or parts.fragment:
        raise MediaError(
            f"Malformed Cloud Storage URI {_describe(uri)}; expected gs://bucket/path/to/object."
        )
    host = os.environ.get("STORAGE_EMULATOR_HOST", "").rstrip("/") or STORAGE_HOST
    return f"{host}/storage/v1/b/{bucket}/o/{quote(name, safe='')}?alt=media", bucket


def _read_file(path: Path) -> Media:
    try:
        size = path.stat().st_size
        if size > MAX_FETCH_BYTES:
            raise MediaError(f"{str(path)!r} is {size:,} bytes; the limit is {MAX_FETCH_BYTES:,}.")
        data = path.read_bytes()
    except OSError as exc:
        raise MediaError(f"Cannot read {str(path)!r}: {exc.strerror or exc}.") from None
    return Media(sniff_media_type(data, name=path.name), data)


def _plan(reference: str | Path, tokens: TokenProvider | None) -> tuple[str, str | None] | Media:
    """A Media for local references, else (URL to GET, 'gs' or None) for remote ones."""
    if isinstance(reference, Path):
        return _read_file(reference)
    if reference.startswith("data:"):
        return _data_url(reference)
    scheme = urlsplit(reference).scheme.lower()
    if scheme == "file":
        return _read_file(Path(unquote_to_bytes(urlsplit(reference).path).decode()))
    if scheme == "gs":
        if tokens is None:
            raise MediaError("Reading gs:// objects needs credentials.")
        return _storage_request(reference)[0], "gs"
    if scheme in ("http", "https"):
        return reference, None
    raise MediaError(
        f"Cannot read {_describe(reference)}: use a data:, http(s)://, gs:// or "
        "file:// URL, or a pathlib.Path."
    )


def _finish(response: httpx2.Response, body: bytes, reference: str) -> Media:
    if response.status_code != 200:
        hint = (
            " Check that the object exists and the credentials may read it "
            "(roles/storage.objectViewer)."
            if reference.startswith("gs://")
            else ""
        )
        raise MediaError(
            f"Fetching {_describe(reference)} failed with HTTP {response.status_code}.{hint}"
        )
    media_type = sniff_media_type(body, response.headers.get("content-type"), reference)
    return _check(Media(media_type, body), _describe(reference))


_TIMEOUT = httpx2.Timeout(30.0, connect=10.0)
#: The most seconds one download may take in all, connect to last byte (``deadline=``).
FETCH_DEADLINE = 60.0


def _append(body: bytearray, chunk: bytes, reference: str | Path) -> None:
    body += chunk
    if len(body) > MAX_FETCH_BYTES:
        raise MediaError(f"{_describe(str(reference))} is over {MAX_FETCH_BYTES:,} bytes.")


def _fetch_error(exc: httpx2.HTTPError, reference: str | Path, deadline: Deadline) -> MediaError:
    if isinstance(exc, DeadlineExceeded):
        return MediaError(
            f"Fetching {_describe(str(reference))} took longer than its deadline of "
            f"{deadline.seconds:g} s (the server sends too slowly). Download it yourself, or "
            "pass a longer deadline=."
        )
    return MediaError(f"Fetching {_describe(str(reference))} failed: {type(exc).__name__}.")


def load_media(
    reference: str | Path,
    *,
    tokens: TokenProvider | None = None,
    deadline: float = FETCH_DEADLINE,
) -> Media:
    """Read an image or document from a URL, ``gs://`` URI, ``data:`` URL or file.

    Args:
        reference: where the media is; strings must be URLs, local files are ``Path`` objects
            or ``file://`` URLs.
        tokens: the token provider whose credentials read ``gs://`` objects.
        deadline: the most seconds a download may take in all (each read also times out
            after 30 s).

    Raises:
        MediaError: the reference cannot be read, is too large, or is of a type Claude
            does not accept.
    """
    plan = _plan(reference, tokens)
    if isinstance(plan, Media):
        return _check(plan, _describe(str(reference)))
    url, kind = plan
    bound = Deadline.after(deadline)
    token = tokens.token(timeout=bound.left()) if kind and tokens else None
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with (
            httpx2.Client(timeout=bound.cap(_TIMEOUT), follow_redirects=True) as http,
            http.stream("GET", url, headers=headers) as response,
        ):
            bound.bound(response)
            body = bytearray()
            for chunk in response.iter_bytes():
                _append(body, chunk, reference)
    except httpx2.HTTPError as exc:
        raise _fetch_error(exc, reference, bound) from None
    return _finish(response, bytes(body), str(reference))


async def aload_media(
    reference: str | Path,
    *,
    tokens: TokenProvider | None = None,
    deadline: float = FETCH_DEADLINE,
) -> Media:
    """The async form of :func:`load_media` (local files are read inline)."""
    plan = _plan(reference, tokens)
    if isinstance(plan, Media):
        return _check(plan, _describe(str(reference)))
    url, kind = plan
    bound = Deadline.after(deadline)
    token = await tokens.atoken(timeout=bound.left()) if kind and tokens else None
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        async with (
            httpx2.AsyncClient(timeout=bound.cap(_TIMEOUT), follow_redirects=True) as http,
            http.stream("GET", url, headers=headers) as response,
        ):
            bound.bound(response)
            body = bytearray()
            async for chunk in response.aiter_bytes():
                _append(body, chunk, reference)
    except httpx2.HTTPError as exc:
        raise _fetch_error(exc, reference, bound) from None
    return _finish(response, bytes(body), str(reference))
