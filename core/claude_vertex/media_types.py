"""What Claude on Vertex accepts as images and documents: pure facts, no I/O.

The accepted media types, the size limits, the leading bytes that tell a type, and the options
only a document block takes. :mod:`.validation`, the media pipeline (:mod:`.media`,
:mod:`.media_sources`) and the emulator's rules all read them from here.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import urlsplit

__all__ = [
    "DOCUMENT_MEDIA_TYPES",
    "DOCUMENT_OPTIONS",
    "DOCUMENT_SIGNATURES",
    "GENERIC_MEDIA_TYPE",
    "IMAGE_MEDIA_TYPES",
    "IMAGE_SIGNATURES",
    "MAX_FETCH_BYTES",
    "MAX_IMAGE_BYTES",
    "base64_decoded_size",
    "sniff_inline_media_type",
    "sniff_media_type",
]

#: Image types the Messages API accepts.
IMAGE_MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
#: Document types: PDFs go as base64 ``document`` sources, plain text as ``text`` sources.
DOCUMENT_MEDIA_TYPES = ("application/pdf", "text/plain")
#: The largest image the API accepts (decoded bytes).
MAX_IMAGE_BYTES = 5 * 1024 * 1024
#: The largest file read at all (the API's request size).
MAX_FETCH_BYTES = 32 * 1024 * 1024
#: Options a ``document`` block takes besides its source (an ``image`` block takes none).
DOCUMENT_OPTIONS = ("title", "context", "citations")
#: The media type of bytes whose type is unknown.
GENERIC_MEDIA_TYPE = "application/octet-stream"

#: Leading bytes of each image type Vertex accepts (a WebP also has ``WEBP`` at offset 8).
IMAGE_SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}
#: Leading bytes of each binary document type.
DOCUMENT_SIGNATURES = {"application/pdf": (b"%PDF-",)}

_WEBP_FORM = b"WEBP"  # the RIFF form type of a WebP, at bytes 8-12
_GENERIC = {"", GENERIC_MEDIA_TYPE, "binary/octet-stream"}
_ALIASES = {"image/jpg": "image/jpeg"}
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


def _from_leading_bytes(data: bytes) -> str | None:
    for media_type, prefixes in (IMAGE_SIGNATURES | DOCUMENT_SIGNATURES).items():
        if data.startswith(prefixes) and (media_type != "image/webp" or data[8:12] == _WEBP_FORM):
            return media_type
    return None


def sniff_media_type(data: bytes, declared: str | None = None, name: str = "") -> str:
    """The media type of ``data``: the declared one unless generic, else from bytes or name.

    Args:
        data: the bytes (only their first dozen are looked at).
        declared: the type the source gave (a ``Content-Type``, say); parameters such as
            ``charset`` are dropped, ``image/jpg`` reads as ``image/jpeg``.
        name: a file name or URL whose suffix decides when neither does.

    Returns:
        The media type, ``application/octet-stream`` when nothing tells it.
    """
    kind = (declared or "").split(";")[0].strip().lower()
    kind = _ALIASES.get(kind, kind)
    if kind not in _GENERIC:
        return kind
    sniffed = _from_leading_bytes(data)
    if sniffed is not None:
        return sniffed
    suffix = PurePosixPath(urlsplit(name).path).suffix.lower()
    return _SUFFIXES.get(suffix, GENERIC_MEDIA_TYPE)


def sniff_inline_media_type(data: bytes, declared: str | None = None) -> str:
    """The media type of bytes given inline, with no name to tell it by.

    As :func:`sniff_media_type`; bytes of no known type that are UTF-8 text are plain text.
    """
    media_type = sniff_media_type(data, declared)
    if media_type != GENERIC_MEDIA_TYPE:
        return media_type
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return media_type
    return "text/plain"


def base64_decoded_size(encoded: str) -> int:
    """About how many bytes the base64 text ``encoded`` holds (without decoding it)."""
    return len(encoded) * 3 // 4
