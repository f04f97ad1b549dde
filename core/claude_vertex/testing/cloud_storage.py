"""The Cloud Storage JSON API subset the emulator answers, enough for google-cloud-storage.

With ``STORAGE_EMULATOR_HOST`` pointing at the emulator, google-cloud-storage (and the core's
``gs://`` media reads) send these here:

- ``GET /storage/v1/b/{bucket}`` (a bucket's resource), ``POST /storage/v1/b`` (create one);
- ``GET /storage/v1/b/{bucket}/o`` (list, with ``prefix``, ``delimiter``, ``maxResults``,
  ``pageToken``, ``startOffset``, ``endOffset``);
- ``GET /storage/v1/b/{bucket}/o/{object}`` (the resource, or the bytes with ``alt=media``),
  ``GET /download/storage/v1/b/{bucket}/o/{object}`` (the bytes), both with ``Range``;
  ``DELETE`` the same path;
- ``POST /upload/storage/v1/b/{bucket}/o`` with ``uploadType=media``, ``multipart`` or
  ``resumable``; a resumable session takes ``PUT`` chunks with ``Content-Range`` (``308`` and
  ``Range`` until the last byte is in) and ``DELETE`` (cancel, ``499``).

Every call needs a valid bearer token from the emulator, except a resumable session's chunks,
whose session URL is their credential (as on Google's service). Errors have the JSON API's
shape, ``{"error": {"code", "message", "errors": [{"message", "domain", "reason"}]}}``.
Uploads are streamed to disk (:mod:`.storage`), never held in memory.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from .auth import Authority
from .jsontypes import JSON
from .replies import FileReply, Reply
from .request_log import Incoming
from .storage import BUCKET_NAME, ObjectStore, Spool, StoredObject, rfc3339

__all__ = ["CloudStorage", "storage_error"]

_BUCKETS = re.compile(r"/storage/v1/b")
_BUCKET = re.compile(r"/storage/v1/b/([^/]+)")
_OBJECTS = re.compile(r"/storage/v1/b/([^/]+)/o")
_OBJECT = re.compile(r"/(download/)?storage/v1/b/([^/]+)/o/([^/]+)")
_UPLOAD = re.compile(r"/upload/storage/v1/b/([^/]+)/o")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_CONTENT_RANGE = re.compile(r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)")
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?')
#: The most entries a list page holds, and its default size.
MAX_LIST_RESULTS = 1000
_PIECE = 1 << 20
_ANONYMOUS = (
    "Anonymous caller does not have storage.objects.get access to the Google Cloud Storage "
    "object. Permission 'storage.objects.get' denied on resource (or it may not exist)."
)
_PRECONDITION = "At least one of the pre-conditions you specified did not hold."


def storage_error(code: int, message: str, reason: str) -> Reply:
    """An error answer of the Cloud Storage JSON API."""
    error = {"message": message, "domain": "global", "reason": reason}
    return Reply.json(code, {"error": {"code": code, "message": message, "errors": [error]}})


def _query(incoming: Incoming) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(incoming.path).query, keep_blank_values=True))


def _base_url(incoming: Incoming) -> str:
    return "http://" + incoming.headers.get("host", "127.0.0.1")


@dataclass
class _Session:
    """A resumable upload in progress."""

    bucket: str
    name: str
    content_type: str
    metadata: dict[str, str]
    #: The checksums the client declared when it began, to check at the end.
    declared: dict[str, str]
    preconditions: dict[str, str]
    spool: Spool
    total: int | None = None
    done: StoredObject | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class CloudStorage:
    """Answers the JSON API requests from an :class:`ObjectStore`.

    Args:
        authority: Decides which bearer tokens are valid.
        objects: Where the buckets and objects are kept.
    """

    def __init__(self, authority: Authority, objects: ObjectStore) -> None:
        self._authority = authority
        self._objects = objects
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}

    @staticmethod
    def handles(path: str) -> bool:
        """Whether ``path`` (without its query) is a Cloud Storage path."""
        return path.startswith(("/storage/v1/", "/download/storage/v1/", "/upload/storage/v1/"))

    @staticmethod
    def streams_body(method: str, path: str) -> bool:
        """Whether the request is an upload, whose body is streamed to disk."""
        return method in ("POST", "PUT") and urlsplit(path).path.startswith("/upload/")

    def close(self) -> None:
        """Abandon the resumable sessions in progress."""
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for session in sessions:
            session.spool.discard()

    # ----------------------------------------------------------- dispatch

    def answer(self, incoming: Incoming) -> Reply | FileReply:
        """The answer to a Cloud Storage request."""
        path = urlsplit(incoming.path).path
        method = incoming.method
        upload = _UPLOAD.fullmatch(path)
        if upload and method in ("PUT", "DELETE") and "upload_id" in _query(incoming):
            return self._session_request(incoming)
        refusal = self._auth_refusal(incoming)
        if refusal is not None:
            return refusal
        if upload and method == "POST":
            return self._upload(incoming, unquote(upload.group(1)))
        return self._metadata_request(incoming, path, method)

    def _metadata_request(self, incoming: Incoming, path: str, method: str) -> Reply | FileReply:
        found = _OBJECT.fullmatch(path)
        if found:
            bucket, name = unquote(found.group(2)), unquote(found.group(3))
            if method == "GET":
                media = bool(found.group(1)) or _query(incoming).get("alt") == "media"
                return self._read(incoming, bucket, name, media)
            if method == "DELETE":
                return self._delete(incoming, bucket, name)
        listing = _OBJECTS.fullmatch(path)
        if listing and method == "GET":
            return self._list(incoming, unquote(listing.group(1)))
        bucket_path = _BUCKET.fullmatch(path)
        if bucket_path and method == "GET":
            return self._bucket(incoming, unquote(bucket_path.group(1)))
        if _BUCKETS.fullmatch(path) and method == "POST":
            return self._create_bucket(incoming)
        return storage_error(404, f"Not Found: {method} {path}", "notFound")

    def _auth_refusal(self, incoming: Incoming) -> Reply | None:
        authorization = incoming.headers.get("authorization")
        if not authorization:  # Google's answer to an anonymous call on a private bucket
            return storage_error(401, _ANONYMOUS, "required")
        if not self._authority.bearer_valid(authorization):
            return storage_error(401, "Invalid Credentials", "authError")
        return None

    # ----------------------------------------------------------- buckets

    def _bucket_resource(self, incoming: Incoming, bucket: str) -> JSON:
        created = rfc3339(self._objects.bucket_created(bucket))
        return {
            "kind": "storage#bucket",
            "id": bucket,
            "name": bucket,
            "selfLink": f"{_base_url(incoming)}/storage/v1/b/{bucket}",
            "location": "US",
            "locationType": "multi-region",
            "storageClass": "STANDARD",
            "metageneration": "1",
            "etag": "CAE=",
            "timeCreated": created,
            "updated": created,
        }

    def _bucket(self, incoming: Incoming, bucket: str) -> Reply:
        if not BUCKET_NAME.fullmatch(bucket):
            return storage_error(400, f"Invalid bucket name: '{bucket}'", "invalid")
        return Reply.json(200, self._bucket_resource(incoming, bucket))

    def _create_bucket(self, incoming: Incoming) -> Reply:
        body = _json_object(incoming.raw_body)
        name = body.get("name") if body is not None else None
        if not isinstance(name, str) or not BUCKET_NAME.fullmatch(name):
            return storage_error(400, f"Invalid bucket name: '{name}'", "invalid")
        if self._objects.bucket_exists(name):
            message = (
                "Your previous request to create the named bucket succeeded and you already own it."
            )
            return storage_error(409, message, "conflict")
        return Reply.json(200, self._bucket_resource(incoming, name))

    # ----------------------------------------------------------- reads

    def _current(
        self, incoming: Incoming, bucket: str, name: str
    ) -> tuple[StoredObject | None, Reply | None]:
        stored = self._objects.get(bucket, name)
        query = _query(incoming)
        wanted = query.get("generation")
        if stored is None or (wanted and wanted != str(stored.generation)):
            return None, storage_error(404, f"No such object: {bucket}/{name}", "notFound")
        if _precondition_fails(query, stored):
            return None, storage_error(412, _PRECONDITION, "conditionNotMet")
        return stored, None

    def _read(self, incoming: Incoming, bucket: str, name: str, media: bool) -> Reply | FileReply:
        stored, refusal = self._current(incoming, bucket, name)
        if stored is None:
            assert refusal is not None
            return refusal
        if not media:
            return Reply.json(200, stored.resource(_base_url(incoming)))
        return _download(stored, incoming.headers.get("range"))

    def _delete(self, incoming: Incoming, bucket: str, name: str) -> Reply:
        stored, refusal = self._current(incoming, bucket, name)
        if stored is None:
            assert refusal is not None
            return refusal
        self._objects.delete(bucket, name)
        return Reply(204, b"")

    def _list(self, incoming: Incoming, bucket: str) -> Reply:
        query = _query(incoming)
        try:
            size = min(int(query.get("maxResults") or MAX_LIST_RESULTS), MAX_LIST_RESULTS)
            after = _decode_token(query.get("pageToken", ""))
        except ValueError:
            return storage_error(400, "Invalid maxResults or pageToken.", "invalid")
        if size < 1:
            return storage_error(400, "Invalid maxResults: must be positive.", "invalid")
        entries = _entries(
            self._objects.listing(bucket, query.get("prefix", "")),
            query.get("prefix", ""),
            query.get("delimiter", ""),
            (query.get("startOffset", ""), query.get("endOffset", "")),
        )
        page = [entry for entry in entries if after is None or entry[0] > after]
        shown, rest = page[:size], page[size:]
        base = _base_url(incoming)
        result: JSON = {"kind": "storage#objects"}
        items = [entry.resource(base) for _, entry in shown if isinstance(entry, StoredObject)]
        prefixes = [key for key, entry in shown if entry is None]
        if prefixes:
            result["prefixes"] = prefixes
        if items:
            result["items"] = items
        if rest:
            result["nextPageToken"] = _encode_token(shown[-1][0])
        return Reply.json(200, result)

    # ----------------------------------------------------------- uploads

    def _upload(self, incoming: Incoming, bucket: str) -> Reply:
        query = _query(incoming)
        kind = query.get("uploadType")
        if not BUCKET_NAME.fullmatch(bucket):
            return storage_error(400, f"Invalid bucket name: '{bucket}'", "invalid")
        stream = incoming.stream if incoming.stream is not None else [incoming.raw_body]
        if kind == "media":
            return self._media_upload(incoming, bucket, query, stream)
        if kind == "multipart":
            return self._multipart_upload(incoming, bucket, query, stream)
        if kind == "resumable":
            return self._begin_session(incoming, bucket, query, stream)
        return storage_error(400, f"Invalid upload type: {kind!r}", "invalidParameter")

    def _media_upload(
        self,
        incoming: Incoming,
        bucket: str,
        query: Mapping[str, str],
        stream: Iterable[bytes],
    ) -> Reply:
        name = query.get("name")
        if not name:
            return storage_error(400, "Required parameter: name", "required")
        spool = self._objects.spool()
        for part in stream:
            spool.write(part)
        content_type = incoming.headers.get("content-type") or "application/octet-stream"
        return self._finish(incoming, bucket, name, spool, content_type, {}, query)

    def _multipart_upload(
        self,
        incoming: Incoming,
        bucket: str,
        query: Mapping[str, str],
        stream: Iterable[bytes],
    ) -> Reply:
        boundary = _BOUNDARY.search(incoming.headers.get("content-type", ""))
        if boundary is None:
            return storage_error(400, "A multipart upload needs a boundary.", "invalid")
        with self._objects.spool() as whole:
            for part in stream:
                whole.write(part)
        spool = self._objects.spool()
        try:
            metadata, content_type, data = _split_multipart(whole, boundary.group(1).encode())
            _copy_range(whole.path, data, spool)
        except ValueError as problem:
            spool.discard()
            return storage_error(400, str(problem), "invalid")
        finally:
            whole.discard()
        name = metadata.get("name") or query.get("name")
        if not isinstance(name, str) or not name:
            spool.discard()
            return storage_error(400, "Required parameter: name", "required")
        return self._finish(
            incoming,
            bucket,
            name,
            spool,
            str(metadata.get("contentType") or content_type),
            metadata,
            query,
        )

    def _finish(
        self,
        incoming: Incoming,
        bucket: str,
        name: str,
        spool: Spool,
        content_type: str,
        metadata: Mapping[str, object],
        query: Mapping[str, str],
        hash_header: str | None = None,
    ) -> Reply:
        """Commit a complete upload, after its preconditions and declared checksums."""
        spool.close()
        problem = _checksum_problem(spool, metadata, hash_header)
        if problem is None and _precondition_fails(query, self._objects.get(bucket, name)):
            problem = storage_error(412, _PRECONDITION, "conditionNotMet")
        if problem is not None:
            spool.discard()
            return problem
        custom = metadata.get("metadata")
        stored = self._objects.commit(
            bucket,
            name,
            spool,
            content_type,
            {str(k): str(v) for k, v in custom.items()} if isinstance(custom, dict) else None,
        )
        return Reply.json(200, stored.resource(_base_url(incoming)))

    def _begin_session(
        self,
        incoming: Incoming,
        bucket: str,
        query: Mapping[str, str],
        stream: Iterable[bytes],
    ) -> Reply:
        metadata = _json_object(b"".join(stream)) or {}
        name = metadata.get("name") or query.get("name")
        if not isinstance(name, str) or not name:
            return storage_error(400, "Required parameter: name", "required")
        content_type = (
            incoming.headers.get("x-upload-content-type")
            or str(metadata.get("contentType") or "")
            or "application/octet-stream"
        )
        declared = {
            key: value
            for key in ("crc32c", "md5Hash")
            if isinstance(value := metadata.get(key), str)
        }
        custom = metadata.get("metadata")
        upload_id = "ADPycd" + secrets.token_urlsafe(24)
        session = _Session(
            bucket,
            name,
            content_type,
            {str(k): str(v) for k, v in custom.items()} if isinstance(custom, dict) else {},
            declared,
            {k: v for k, v in query.items() if k.startswith("if")},
            self._objects.spool(),
        )
        length = incoming.headers.get("x-upload-content-length")
        if length and length.isdigit():
            session.total = int(length)
        with self._lock:
            self._sessions[upload_id] = session
        location = (
            f"{_base_url(incoming)}/upload/storage/v1/b/{bucket}/o?uploadType=resumable"
            f"&name={quote(name, safe='')}&upload_id={upload_id}"
        )
        headers = (("Location", location), ("X-GUploader-UploadID", upload_id))
        return Reply(200, b"", headers)

    def _session_request(self, incoming: Incoming) -> Reply:
        upload_id = _query(incoming)["upload_id"]
        with self._lock:
            session = self._sessions.get(upload_id)
            if session is not None and incoming.method == "DELETE":
                del self._sessions[upload_id]
        if session is None:
            return storage_error(404, "No such upload session.", "notFound")
        if incoming.method == "DELETE":
            session.spool.discard()
            return storage_error(499, "Client Closed Request", "clientClosedRequest")
        with session.lock:  # chunks of one session are taken one at a time
            return self._chunk(incoming, upload_id, session)

    def _chunk(self, incoming: Incoming, upload_id: str, session: _Session) -> Reply:
        if session.done is not None:
            return Reply.json(200, session.done.resource(_base_url(incoming)))
        span = _CONTENT_RANGE.fullmatch(incoming.headers.get("content-range", "bytes */*"))
        if span is None:
            return storage_error(400, "Invalid Content-Range header.", "invalid")
        first, _, total = span.groups()
        stream = incoming.stream if incoming.stream is not None else [incoming.raw_body]
        if first is not None:
            received = session.spool.size
            if int(first) > received:
                message = (
                    f"Invalid request. According to the Content-Range header, the upload offset "
                    f"is {first} byte(s), which exceeds already uploaded size of {received} "
                    "byte(s)."
                )
                return storage_error(400, message, "invalid")
            _append(session.spool, stream, skip=received - int(first))
        if total != "*":
            session.total = int(total)
        received = session.spool.size
        if session.total is not None and received > session.total:
            message = f"Invalid request: {received} bytes sent, {session.total} declared."
            return storage_error(400, message, "invalid")
        if session.total is None or received < session.total:
            headers = (("Range", f"bytes=0-{received - 1}"),) if received else ()
            return Reply(308, b"", headers)
        return self._complete(incoming, upload_id, session)

    def _complete(self, incoming: Incoming, upload_id: str, session: _Session) -> Reply:
        reply = self._finish(
            incoming,
            session.bucket,
            session.name,
            session.spool,
            session.content_type,
            {**session.declared, "metadata": session.metadata},
            session.preconditions,
            incoming.headers.get("x-goog-hash"),
        )
        if reply.status == 200:
            session.done = self._objects.get(session.bucket, session.name)
        else:
            with self._lock:
                self._sessions.pop(upload_id, None)
        return reply


# ----------------------------------------------------------- helpers


def _json_object(raw: bytes) -> dict[str, object] | None:
    try:
        value = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _precondition_fails(query: Mapping[str, str], stored: StoredObject | None) -> bool:
    generation = str(stored.generation) if stored is not None else "0"
    match = query.get("ifGenerationMatch")
    not_match = query.get("ifGenerationNotMatch")
    return (match is not None and match != generation) or (
        not_match is not None and not_match == generation
    )


def _checksum_problem(
    spool: Spool, metadata: Mapping[str, object], hash_header: str | None
) -> Reply | None:
    """A 400 if a checksum the client declared differs from that of the bytes received."""
    declared: dict[str, object] = {
        "crc32c": metadata.get("crc32c"),
        "md5": metadata.get("md5Hash"),
    }
    for item in (hash_header or "").split(","):
        kind, _, sent = item.strip().partition("=")
        if kind in declared and sent:
            declared[kind] = sent
    actual = {"crc32c": spool.checksums.crc32c, "md5": spool.checksums.md5}
    for kind, value in declared.items():
        if isinstance(value, str) and value != actual[kind]:
            label = kind.upper()
            message = (
                f'Provided {label} "{value}" doesn\'t match calculated {label} "{actual[kind]}".'
            )
            return storage_error(400, message, "invalid")
    return None


def _append(spool: Spool, stream: Iterable[bytes], skip: int) -> None:
    """Write ``stream`` to ``spool``, dropping its first ``skip`` bytes (already received)."""
    for part in stream:
        if skip >= len(part):
            skip -= len(part)
            continue
        spool.write(part[skip:])
        skip = 0


def _download(stored: StoredObject, range_header: str | None) -> Reply | FileReply:
    """The object's bytes, or the ``Range`` asked for, streamed from its file."""
    headers = [
        ("x-goog-hash", f"crc32c={stored.crc32c},md5={stored.md5}"),
        ("x-goog-generation", str(stored.generation)),
        ("x-goog-metageneration", "1"),
        ("x-goog-stored-content-length", str(stored.size)),
        ("x-goog-stored-content-encoding", "identity"),
        ("ETag", f'"{stored.md5}"'),
        ("Accept-Ranges", "bytes"),
    ]
    start, end, status = 0, stored.size - 1, 200
    wanted = _RANGE.fullmatch((range_header or "").strip())
    if wanted is not None and wanted.group(1) + wanted.group(2):
        first, last = wanted.groups()
        if first:
            start, end = int(first), min(int(last), stored.size - 1) if last else stored.size - 1
        else:
            start = max(0, stored.size - int(last))
        if start >= stored.size or start > end:
            message = "The requested range cannot be satisfied."
            refusal = storage_error(416, message, "requestedRangeNotSatisfiable")
            return Reply(416, refusal.body, (("Content-Range", f"bytes */{stored.size}"),))
        status = 206
        headers.append(("Content-Range", f"bytes {start}-{end}/{stored.size}"))
    handle: BinaryIO = stored.path.open("rb")
    handle.seek(start)
    return FileReply(status, handle, end - start + 1, tuple(headers), stored.content_type)


#: A listing entry: its name (or prefix) and the object (``None`` for a prefix).
_Entry = tuple[str, "StoredObject | None"]


def _entries(
    objects: Iterable[StoredObject], prefix: str, delimiter: str, offsets: tuple[str, str]
) -> list[_Entry]:
    """The objects under ``prefix``, with those past ``delimiter`` collapsed to prefixes."""
    start, end = offsets
    entries: list[_Entry] = []
    seen: set[str] = set()
    for stored in objects:
        if (start and stored.name < start) or (end and stored.name >= end):
            continue
        rest = stored.name[len(prefix) :]
        cut = rest.find(delimiter) if delimiter else -1
        if cut < 0:
            entries.append((stored.name, stored))
            continue
        collapsed = prefix + rest[: cut + len(delimiter)]
        if collapsed not in seen:
            seen.add(collapsed)
            entries.append((collapsed, None))
    return sorted(entries, key=lambda entry: entry[0])


def _encode_token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _decode_token(token: str) -> str | None:
    if not token:
        return None
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError) as problem:
        raise ValueError("bad page token") from problem


def _split_multipart(
    whole: Spool, boundary: bytes
) -> tuple[dict[str, object], str, tuple[int, int]]:
    """A multipart/related upload's metadata, its data's content type and the data's span."""
    delimiter = b"--" + boundary
    with whole.path.open("rb") as body:
        head = body.read(min(whole.size, 4 * _PIECE))
        body.seek(max(0, whole.size - 1024))
        tail_at = body.tell()
        tail = body.read()
    first = head.find(delimiter)
    meta_start = head.find(b"\r\n\r\n", first) + 4
    meta_end = head.find(b"\r\n" + delimiter, meta_start)
    headers_end = head.find(b"\r\n\r\n", meta_end + 2)
    closing = tail.rfind(b"\r\n" + delimiter + b"--")
    if min(first, meta_start - 4, meta_end, headers_end, closing) < 0:
        raise ValueError("Malformed multipart body.")
    metadata = _json_object(head[meta_start:meta_end])
    if metadata is None:
        raise ValueError("The multipart metadata is not a JSON object.")
    part_headers = head[meta_end + len(delimiter) + 2 : headers_end].decode("latin-1")
    content_type = "application/octet-stream"
    for line in part_headers.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "content-type":
            content_type = value.strip()
    return metadata, content_type, (headers_end + 4, tail_at + closing)


def _copy_range(path: Path, span: tuple[int, int], spool: Spool) -> None:
    """Copy the bytes ``span`` (start, end) of the file at ``path`` to ``spool``."""
    start, end = span
    if end < start:
        raise ValueError("Malformed multipart body.")
    with path.open("rb") as source:
        source.seek(start)
        remaining = end - start
        while remaining > 0:
            piece = source.read(min(remaining, _PIECE))
            if not piece:
                raise ValueError("Malformed multipart body.")
            spool.write(piece)
            remaining -= len(piece)
