"""Images and documents read client-side, by reference or from bytes given inline.

Vertex does not fetch URL sources, so every reference is read here (:func:`load_media`) and
sent as a base64 ``source`` (:mod:`.media_sources` does that for a whole request): ``data:``
URLs, ``http(s)://`` URLs, ``gs://`` objects (read through the Cloud Storage JSON API with the
caller's own credentials) and local files. Bytes given inline are checked by the same rules
(:func:`inline_media`).

Local files (``file://`` URLs and paths) are refused unless the caller names the directories
they may come from (``local_dirs``, the adapters' ``local_media_dirs``): message content often
carries references that came from untrusted users. Inside those directories only regular files
of at most :data:`MAX_FETCH_BYTES` are read, and every refusal reads the same whether or not
the path exists.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlsplit

import httpx2

from .credentials import TokenProvider
from .deadlines import Deadline, DeadlineExceeded
from .errors import ConfigurationError, MediaError
from .media_types import (
    DOCUMENT_MEDIA_TYPES,
    IMAGE_MEDIA_TYPES,
    MAX_FETCH_BYTES,
    MAX_IMAGE_BYTES,
    sniff_inline_media_type,
    sniff_media_type,
)

__all__ = [
    "LocalDirs",
    "Media",
    "aload_media",
    "inline_media",
    "load_media",
    "local_media_dirs",
]

#: Directories local media may be read from (``local_dirs=``); empty: no local file at all.
LocalDirs = Iterable[str | os.PathLike[str]]

#: Where ``gs://`` reads go; ``STORAGE_EMULATOR_HOST`` (the google-cloud-storage convention)
#: points them at an emulator.
STORAGE_HOST = "https://storage.googleapis.com"

_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]", re.ASCII)


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


def inline_media(data: bytes, media_type: str | None = None) -> Media:
    """Bytes given inline as :class:`Media`, checked like any media read from a reference.

    Args:
        data: the raw bytes (not base64); they are kept as they are.
        media_type: their declared type; when missing or generic it is sniffed from the
            leading bytes (bytes of no known type that are UTF-8 text are plain text).

    Raises:
        MediaError: the bytes are of a type Claude does not read, or an image too large.
    """
    media = Media(sniff_inline_media_type(data, media_type), data)
    return _check(media, "The media given inline")


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


def local_media_dirs(dirs: LocalDirs | None) -> tuple[Path, ...]:
    """The directories local media may be read from, resolved (symlinks followed).

    Args:
        dirs: the directories; ``None`` or empty means no local file is read.

    Raises:
        ConfigurationError: one of them is not an existing directory.
    """
    resolved = []
    for directory in dirs or ():
        path = Path(os.path.realpath(os.fspath(directory)))
        if not path.is_dir():
            raise ConfigurationError(
                f"local_media_dirs: {os.fspath(directory)!r} is not a directory. Name existing "
                "directories whose files message content may send."
            )
        resolved.append(path)
    return tuple(resolved)


_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO opens at once (and is then refused)
    | getattr(os, "O_NOFOLLOW", 0)  # the resolved path must still not be a symlink
    | getattr(os, "O_CLOEXEC", 0)
)


def _local_refused(shown: str) -> MediaError:
    return MediaError(
        f"{_describe(shown)} is a local file, and local files are not read by default: message "
        "content may carry paths from untrusted users. To send files of a directory, pass "
        "local_media_dirs=[directory, ...] to the model (local_dirs= to load_media)."
    )


def _local_unreadable(shown: str) -> MediaError:
    # One message for missing, outside the directories, not a regular file, or not readable:
    # the caller learns nothing about the file system outside what it may read.
    return MediaError(
        f"{_describe(shown)} is not a readable regular file inside local_media_dirs. Check the "
        "path, or add its directory to local_media_dirs."
    )


def _inside(path: Path, dirs: tuple[Path, ...]) -> bool:
    return any(path == d or d in path.parents for d in dirs)


def _read_regular(path: Path, shown: str) -> bytes:
    """The bytes of the regular file at ``path`` (no symlink, FIFO or device), size-capped."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except (OSError, ValueError):  # ValueError: a NUL byte in the path
        raise _local_unreadable(shown) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _local_unreadable(shown)
        if info.st_size > MAX_FETCH_BYTES:
            raise MediaError(f"{_describe(shown)} is over {MAX_FETCH_BYTES:,} bytes.")
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(MAX_FETCH_BYTES + 1)
    except OSError:
        raise _local_unreadable(shown) from None
    finally:
        os.close(fd)
    if len(data) > MAX_FETCH_BYTES:  # it grew while read
        raise MediaError(f"{_describe(shown)} is over {MAX_FETCH_BYTES:,} bytes.")
    return data


def _read_local(path: Path, shown: str, local_dirs: LocalDirs) -> Media:
    dirs = local_media_dirs(local_dirs)
    if not dirs:
        raise _local_refused(shown)
    try:
        resolved = Path(os.path.realpath(path))
    except ValueError:  # a NUL byte in the path
        raise _local_unreadable(shown) from None
    if not _inside(resolved, dirs):
        raise _local_unreadable(shown)
    data = _read_regular(resolved, shown)
    return Media(sniff_media_type(data, name=path.name), data)


def _file_url_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise MediaError(f"Cannot read {_describe(url)}: file:// URLs of other hosts are not read.")
    return Path(os.fsdecode(unquote_to_bytes(parts.path)))


def _plan(
    reference: str | Path, tokens: TokenProvider | None, local_dirs: LocalDirs
) -> tuple[str, str | None] | Media:
    """A Media for local references, else (URL to GET, 'gs' or None) for remote ones."""
    if isinstance(reference, Path):
        return _read_local(reference, str(reference), local_dirs)
    if reference.startswith("data:"):
        return _data_url(reference)
    scheme = urlsplit(reference).scheme.lower()
    if scheme == "file":
        return _read_local(_file_url_path(reference), reference, local_dirs)
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
    local_dirs: LocalDirs = (),
    deadline: float = FETCH_DEADLINE,
) -> Media:
    """Read an image or document from a URL, ``gs://`` URI, ``data:`` URL or file.

    Args:
        reference: where the media is; strings must be URLs, local files are ``Path`` objects
            or ``file://`` URLs.
        tokens: the token provider whose credentials read ``gs://`` objects.
        local_dirs: the directories local files may be read from; by default none, and
            every local file is refused.
        deadline: the most seconds a download may take in all (each read also times out
            after 30 s).

    Raises:
        MediaError: the reference cannot be read, is too large, or is of a type Claude
            does not accept; a local file outside ``local_dirs``.
        ConfigurationError: one of ``local_dirs`` is not a directory.
    """
    plan = _plan(reference, tokens, local_dirs)
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
    local_dirs: LocalDirs = (),
    deadline: float = FETCH_DEADLINE,
) -> Media:
    """The async form of :func:`load_media` (local files are read inline)."""
    plan = _plan(reference, tokens, local_dirs)
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
