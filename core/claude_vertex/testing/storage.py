"""Cloud Storage on loopback: the buckets and objects the emulator keeps, spooled to disk.

:class:`ObjectStore` holds each object's bytes in a file of its own under a temporary folder
the emulator owns (made on first use, removed by :meth:`ObjectStore.close`), so objects of any
size never have to live in memory; :class:`StoredObject` is one object's metadata, and
:meth:`StoredObject.resource` its JSON API resource. New bytes arrive through a
:class:`Spool` (an upload in progress, checksummed as it is written) and become an object with
:meth:`ObjectStore.commit`, which replaces an object of the same name atomically: a download
already reading the old generation finishes reading it.

Buckets exist on first use: any well-formed bucket name can be read, listed and written
(real Cloud Storage answers 404 for a bucket nobody created; the emulator does not model
bucket creation rights).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from .checksums import Checksums
from .jsontypes import JSON

__all__ = ["BUCKET_NAME", "ObjectStore", "Spool", "StoredObject", "rfc3339"]

#: Cloud Storage bucket names: 3 to 63 lowercase letters, digits, dashes, underscores, dots.
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]")


def rfc3339(moment: float) -> str:
    """A Unix time as Google's APIs write timestamps: ``2026-11-30T12:00:00.123456Z``."""
    stamp = datetime.fromtimestamp(moment, timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class StoredObject:
    """One object generation: where its bytes are and what the JSON API says of it."""

    bucket: str
    name: str
    path: Path = field(repr=False)
    size: int
    content_type: str
    crc32c: str
    md5: str
    generation: int
    created: float
    #: The object's custom metadata (``metadata`` in the JSON API).
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        """``gs://bucket/name``."""
        return f"gs://{self.bucket}/{self.name}"

    def resource(self, base_url: str) -> JSON:
        """The JSON API object resource; ``base_url`` is the emulator's, for the links."""
        quoted = quote(self.name, safe="")
        path = f"/storage/v1/b/{self.bucket}/o/{quoted}"
        resource: JSON = {
            "kind": "storage#object",
            "id": f"{self.bucket}/{self.name}/{self.generation}",
            "selfLink": f"{base_url}{path}",
            "mediaLink": (f"{base_url}/download{path}?generation={self.generation}&alt=media"),
            "name": self.name,
            "bucket": self.bucket,
            "generation": str(self.generation),
            "metageneration": "1",
            "contentType": self.content_type,
            "storageClass": "STANDARD",
            "size": str(self.size),
            "md5Hash": self.md5,
            "crc32c": self.crc32c,
            "etag": f"CL{self.generation}EAE=",
            "timeCreated": rfc3339(self.created),
            "updated": rfc3339(self.created),
            "timeStorageClassUpdated": rfc3339(self.created),
        }
        if self.metadata:
            resource["metadata"] = dict(self.metadata)
        return resource


class Spool:
    """Bytes on their way to becoming an object: a temporary file, checksummed as written.

    Use it as a context manager, or call :meth:`discard` if it is never committed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = 0
        self.checksums = Checksums()
        self._file: BinaryIO | None = path.open("wb")

    def write(self, data: bytes) -> None:
        """Append ``data``."""
        if self._file is None:
            raise ValueError("the spool is closed")
        self._file.write(data)
        self.size += len(data)
        self.checksums.update(data)

    def close(self) -> None:
        """Finish writing (the bytes stay, for :meth:`ObjectStore.commit`)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def discard(self) -> None:
        """Close and delete the bytes."""
        self.close()
        with contextlib.suppress(OSError):
            self.path.unlink()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class ObjectStore:
    """The stored objects, keyed by bucket and name, with their bytes on disk. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._objects: dict[tuple[str, str], StoredObject] = {}
        self._buckets: dict[str, float] = {}
        self._folder: Path | None = None
        self._cleanup: Callable[[], object] | None = None
        self._files = itertools.count(1)
        self._generation = int(time.time() * 1_000_000)

    # ----------------------------------------------------------- files

    def _new_path(self) -> Path:
        with self._lock:
            if self._folder is None:
                folder = Path(tempfile.mkdtemp(prefix="claude-vertex-storage-"))
                self._folder = folder
                # Removed at exit too, should the emulator never be stopped.
                self._cleanup = weakref.finalize(self, shutil.rmtree, folder, True)
            return self._folder / f"{next(self._files):08d}"

    def spool(self) -> Spool:
        """A new :class:`Spool` in the store's temporary folder."""
        return Spool(self._new_path())

    def close(self) -> None:
        """Forget every object and bucket and remove the temporary folder."""
        with self._lock:
            cleanup, self._cleanup, self._folder = self._cleanup, None, None
            self._objects.clear()
            self._buckets.clear()
        if cleanup is not None:
            cleanup()

    # ----------------------------------------------------------- objects

    def commit(
        self,
        bucket: str,
        name: str,
        spool: Spool,
        content_type: str,
        metadata: dict[str, str] | None = None,
    ) -> StoredObject:
        """Make the spooled bytes the object ``bucket/name`` (a new generation)."""
        spool.close()
        with self._lock:
            self._generation += 1
            stored = StoredObject(
                bucket,
                name,
                spool.path,
                spool.size,
                content_type,
                spool.checksums.crc32c,
                spool.checksums.md5,
                self._generation,
                time.time(),
                dict(metadata or {}),
            )
            replaced = self._objects.get((bucket, name))
            self._objects[(bucket, name)] = stored
            self._buckets.setdefault(bucket, stored.created)
        if replaced is not None:
            _remove(replaced.path)
        return stored

    def put(self, bucket: str, name: str, data: bytes, content_type: str) -> str:
        """Store an object (replacing one of the same name); returns its ``gs://`` URI."""
        with self.spool() as spool:
            spool.write(bytes(data))
        return self.commit(bucket, name, spool, content_type).uri

    def get(self, bucket: str, name: str) -> StoredObject | None:
        """The current generation of ``bucket/name``, or ``None``."""
        with self._lock:
            return self._objects.get((bucket, name))

    def delete(self, bucket: str, name: str) -> bool:
        """Delete ``bucket/name``; whether it existed."""
        with self._lock:
            removed = self._objects.pop((bucket, name), None)
        if removed is None:
            return False
        _remove(removed.path)
        return True

    def listing(self, bucket: str, prefix: str = "") -> list[StoredObject]:
        """The objects of ``bucket`` whose names start with ``prefix``, sorted by name."""
        with self._lock:
            found = [
                stored
                for (owner, name), stored in self._objects.items()
                if owner == bucket and name.startswith(prefix)
            ]
        return sorted(found, key=lambda stored: stored.name)

    # ----------------------------------------------------------- buckets

    def bucket_exists(self, bucket: str) -> bool:
        """Whether ``bucket`` was used (or created) before."""
        with self._lock:
            return bucket in self._buckets

    def bucket_created(self, bucket: str) -> float:
        """When ``bucket`` came to exist (now, if this is its first use)."""
        with self._lock:
            return self._buckets.setdefault(bucket, time.time())


def _remove(path: Path) -> None:
    # A reader that opened the file keeps reading it (POSIX); elsewhere the folder's removal
    # at stop takes what could not be removed now.
    with contextlib.suppress(OSError):
        os.unlink(path)
