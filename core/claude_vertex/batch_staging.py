"""Batch files in Cloud Storage: ``gs://`` URIs, uploads and downloads, streamed through disk.

google-cloud-storage (the ``batch`` extra) does the transfers: resumable uploads in chunks,
retries and checksums, and it honours ``STORAGE_EMULATOR_HOST`` (the emulator serves it).
It is imported only when a transfer starts, so ``import claude_vertex`` never loads it, and
without it a :class:`~claude_vertex.errors.MissingExtraError` says what to install.

Files pass through a temporary file on disk, never through memory whole: the input is
written line by line to a spool file (so every line is checked before a byte is uploaded)
and then uploaded in :data:`UPLOAD_CHUNK_BYTES` chunks; an output file is downloaded as a
stream into a spool file and read back line by line. Memory stays flat whatever the size.

The storage client authenticates with the settings' own token provider
(:class:`SharedTokenCredentials`): one token, refreshed once, for model calls, job calls and
Cloud Storage alike.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from google.auth.credentials import Credentials

from .credentials import TokenProvider
from .errors import ClaudeVertexError, ConfigurationError, MissingExtraError

if TYPE_CHECKING:
    from google.cloud.storage import Client as StorageClient

__all__ = [
    "UPLOAD_CHUNK_BYTES",
    "CloudStorageError",
    "GcsUri",
    "SharedTokenCredentials",
    "checked_chunk_bytes",
    "download_lines",
    "list_uris",
    "parse_gcs_uri",
    "storage_client",
    "upload_file",
]

#: What to install for batch jobs.
INSTALL_BATCH = 'pip install "claude-vertex[batch]"'
#: Bytes per chunk of a resumable upload (a multiple of 256 KiB, as Cloud Storage requires).
UPLOAD_CHUNK_BYTES = 16 * 1024 * 1024
#: Bytes a downloaded file is read in.
READ_CHUNK_BYTES = 1024 * 1024
#: The content type of the JSONL files.
JSONL = "application/jsonl"

# Bucket names: 3 to 63 of [a-z0-9._-], starting and ending with a letter or digit
# (Cloud Storage's naming rules; dotted names may be longer, up to 222).
_BUCKET = re.compile(r"[a-z0-9](?:[a-z0-9._-]{1,220})[a-z0-9]", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class CloudStorageError(ClaudeVertexError):
    """A Cloud Storage call failed (after google-cloud-storage's own retries).

    Attributes:
        uri: the ``gs://`` location of the call.
        status_code: the HTTP status, when Cloud Storage answered.
    """

    def __init__(self, action: str, uri: object, detail: str, status_code: int | None) -> None:
        hint = _STORAGE_HINTS.get(status_code or 0, "Check the network path to Cloud Storage.")
        super().__init__(f"Cloud Storage could not {action} {uri}: {detail} -> {hint}")
        self.uri = str(uri)
        self.status_code = status_code


_STORAGE_HINTS = {
    401: "Check the credentials (gcloud auth application-default login, or credentials=...).",
    403: (
        "Grant the caller roles/storage.objectAdmin on the bucket (and the Vertex AI service "
        "agent read and write access, for the job's own reads and writes)."
    ),
    404: "Check that the bucket exists, in the job's region, and the object's name.",
    412: "The object changed while it was written; try again.",
    429: "Cloud Storage is rate limiting; try again later.",
}


@contextmanager
def storage_errors(action: str, uri: object) -> Iterator[None]:
    """Within the block, a failed Cloud Storage call raises :class:`CloudStorageError`."""
    from google.api_core import exceptions as api_exceptions
    from google.auth import exceptions as auth_exceptions
    from google.resumable_media import common as media_common
    from requests import exceptions as requests_exceptions

    try:
        yield
    except api_exceptions.GoogleAPICallError as exc:
        code = exc.code if isinstance(exc.code, int) else None
        raise CloudStorageError(action, uri, _clipped(exc.message), code) from exc
    except media_common.InvalidResponse as exc:
        status = getattr(exc.response, "status_code", None)
        raise CloudStorageError(action, uri, _clipped(str(exc)), status) from exc
    except (
        api_exceptions.GoogleAPIError,
        auth_exceptions.GoogleAuthError,
        requests_exceptions.RequestException,
    ) as exc:
        raise CloudStorageError(action, uri, _clipped(str(exc)), None) from exc


def _clipped(text: object, limit: int = 500) -> str:
    value = " ".join(str(text).split())
    return value if len(value) <= limit else value[:limit] + "..."


@dataclass(frozen=True)
class GcsUri:
    """A Cloud Storage location: a bucket and an object name (or a prefix of names)."""

    bucket: str
    name: str = ""

    def __str__(self) -> str:
        return f"gs://{self.bucket}/{self.name}" if self.name else f"gs://{self.bucket}"

    def child(self, *parts: str) -> GcsUri:
        """The location ``parts`` below this one, joined with ``/``."""
        return GcsUri(self.bucket, "/".join(p.strip("/") for p in (self.name, *parts) if p))


def parse_gcs_uri(uri: str, *, what: str = "staging location") -> GcsUri:
    """Read ``gs://bucket[/prefix]``, checking it before any I/O.

    Raises:
        ConfigurationError: not a ``gs://`` URI, a bucket name Cloud Storage refuses, or an
            object name with control characters, ``.``/``..`` segments or over 1,024 bytes.
    """
    hint = "Give it as gs://BUCKET/PREFIX, for example gs://my-bucket/batches."
    if not isinstance(uri, str) or not uri.startswith("gs://"):
        raise ConfigurationError(f"Invalid {what} {uri!r}: not a gs:// URI. {hint}")
    bucket, _, name = uri[len("gs://") :].partition("/")
    name = name.strip("/")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket or len(bucket.split(".")[0]) > 63:
        raise ConfigurationError(
            f"Invalid {what} {uri!r}: {bucket!r} is not a Cloud Storage bucket name (3 to 63 "
            f"lowercase letters, digits, '-', '_' or '.'). {hint}"
        )
    segments = name.split("/") if name else []
    if (
        _CONTROL.search(name)
        or any(s in ("", ".", "..") for s in segments)
        or len(name.encode("utf-8")) > 1024
    ):
        raise ConfigurationError(
            f"Invalid {what} {uri!r}: object names must not hold control characters, empty, "
            f"'.' or '..' segments, and must be at most 1,024 bytes. {hint}"
        )
    return GcsUri(bucket, name)


def _storage() -> Any:
    """The ``google.cloud.storage`` module, or the error that says how to install it."""
    try:
        storage = importlib.import_module("google.cloud.storage")
    except ImportError as missing:
        raise MissingExtraError(
            f"Batch jobs stage their files in Cloud Storage with google-cloud-storage, which "
            f"is not installed: {INSTALL_BATCH} ({missing})."
        ) from None
    return storage


class SharedTokenCredentials(Credentials):
    """google-auth credentials that take their token from a provider: one shared token.

    google-cloud-storage asks them for a token as its requests need one; they hand out the
    provider's (refreshed single-flight, ahead of expiry). After a 401 they drop the refused
    token so the provider fetches a new one.
    """

    def __init__(self, tokens: TokenProvider) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._tokens = tokens
        self._quota_project_id = tokens.quota_project_id

    def refresh(self, request: object) -> None:
        """Take the provider's token (a new one when the one held was refused)."""
        if self.token is not None and not self.expired:  # refused while valid: a 401
            self._tokens.invalidate(self.token)
        self.token = self._tokens.token(timeout=60.0)
        inner = self._tokens.credentials
        expiry = getattr(inner, "expiry", None) if inner is not None else None
        self.expiry = expiry if isinstance(expiry, dt.datetime) else None

    def __repr__(self) -> str:
        return f"SharedTokenCredentials({self._tokens.description})"


def storage_client(tokens: TokenProvider, project: str) -> StorageClient:
    """A google-cloud-storage client for ``project`` on the shared token of ``tokens``.

    It honours ``STORAGE_EMULATOR_HOST`` as google-cloud-storage does.

    Raises:
        MissingExtraError: google-cloud-storage is not installed.
    """
    storage = _storage()
    client: StorageClient = storage.Client(
        project=project, credentials=SharedTokenCredentials(tokens)
    )
    return client


def checked_chunk_bytes(chunk_bytes: int) -> int:
    """``chunk_bytes`` if it can be a resumable upload's chunk size, else raise.

    Raises:
        ConfigurationError: not a positive multiple of 256 KiB.
    """
    if not isinstance(chunk_bytes, int) or chunk_bytes <= 0 or chunk_bytes % (256 * 1024):
        raise ConfigurationError(
            f"upload_chunk_bytes={chunk_bytes!r} must be a positive multiple of 262144 "
            "(256 KiB), as Cloud Storage's resumable uploads require."
        )
    return chunk_bytes


def upload_file(
    client: StorageClient, path: Path, uri: GcsUri, *, chunk_bytes: int = UPLOAD_CHUNK_BYTES
) -> int:
    """Upload the file ``path`` to ``uri`` in resumable chunks; its size in bytes.

    Each chunk of ``chunk_bytes`` (a multiple of 256 KiB) is in memory while it is sent.
    """
    blob = client.bucket(uri.bucket).blob(uri.name, chunk_size=checked_chunk_bytes(chunk_bytes))
    size = path.stat().st_size
    with path.open("rb") as handle, storage_errors("upload to", uri):
        # No size: google-cloud-storage would send a file under 8 MiB as one multipart
        # request built in memory; without it every upload is resumable, chunk by chunk.
        blob.upload_from_file(handle, content_type=JSONL, checksum="crc32c")
    return size


def _download(client: StorageClient, uri: GcsUri, spool: IO[bytes]) -> None:
    blob = client.bucket(uri.bucket).blob(uri.name)
    with storage_errors("download", uri):
        blob.download_to_file(spool)  # streamed to disk; checksum checked when one is sent
    spool.seek(0)


def download_lines(client: StorageClient, uri: GcsUri) -> Iterator[tuple[int, str]]:
    """The lines of the text file at ``uri`` with their numbers (from 1), blank lines skipped.

    The file is downloaded as a stream to a temporary file first, then read a line at a time.
    """
    with tempfile.TemporaryFile(prefix="claude-vertex-batch-") as spool:
        _download(client, uri, spool)
        with open(spool.fileno(), encoding="utf-8", closefd=False) as text:
            for number, line in enumerate(text, start=1):
                if line.strip():
                    yield number, line


def list_uris(client: StorageClient, prefix: GcsUri) -> Iterator[GcsUri]:
    """The objects under ``prefix`` (as a folder), in name order, read page by page."""
    folder = f"{prefix.name}/" if prefix.name else ""
    with storage_errors("list", prefix):
        for blob in client.list_blobs(prefix.bucket, prefix=folder):
            yield GcsUri(prefix.bucket, blob.name)
