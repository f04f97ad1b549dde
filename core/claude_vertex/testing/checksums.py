"""The checksums Cloud Storage keeps of every object: CRC32C and MD5, base64 as in its JSON API.

google-cloud-storage checks them on uploads (the object resource's ``crc32c``/``md5Hash``) and
downloads (the ``x-goog-hash`` header). CRC32C comes from ``google_crc32c`` (installed with
google-cloud-storage) where it is importable, else from a table in pure Python (slower, same
values), so the emulator needs no extra dependency for it.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import Protocol

__all__ = ["Checksums"]


class _Crc(Protocol):
    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...


def _table() -> tuple[int, ...]:
    rows = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ 0x82F63B78 if value & 1 else value >> 1
        rows.append(value)
    return tuple(rows)


class _PythonCrc32c:
    """CRC32C (Castagnoli), for machines without ``google_crc32c``."""

    _TABLE = _table()

    def __init__(self) -> None:
        self._crc = 0xFFFFFFFF

    def update(self, data: bytes) -> None:
        crc, table = self._crc, self._TABLE
        for byte in data:
            crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
        self._crc = crc

    def digest(self) -> bytes:
        return struct.pack(">I", self._crc ^ 0xFFFFFFFF)


def _new_crc() -> _Crc:
    try:
        import google_crc32c
    except ImportError:  # google-cloud-storage not installed: the pure-Python table
        return _PythonCrc32c()
    checksum: _Crc = google_crc32c.Checksum()  # type: ignore[no-untyped-call]
    return checksum


class Checksums:
    """CRC32C and MD5 of bytes fed in pieces; :attr:`crc32c` and :attr:`md5` in base64."""

    def __init__(self) -> None:
        self._crc = _new_crc()
        self._md5 = hashlib.md5(usedforsecurity=False)

    def update(self, data: bytes) -> None:
        """Add ``data`` to both checksums."""
        self._crc.update(data)
        self._md5.update(data)

    @property
    def crc32c(self) -> str:
        """The CRC32C of the bytes so far: big-endian, base64 (as ``crc32c`` in the JSON API)."""
        return base64.b64encode(self._crc.digest()).decode()

    @property
    def md5(self) -> str:
        """The MD5 of the bytes so far, base64 (as ``md5Hash`` in the JSON API)."""
        return base64.b64encode(self._md5.digest()).decode()
