"""Disk-backed lookups for batch jobs of any size, in bounded memory.

A batch of a million requests has a million ``custom_id`` values; a Python set or dict of
them would grow with the job. :class:`DiskIndex` keeps them in a temporary SQLite file
(the standard library's ``sqlite3``) with a small page cache instead: memory stays flat
whatever the count, and lookups stay fast (a B-tree on the key). It serves two needs:

* the check that every ``custom_id`` of an input is unique (:meth:`DiskIndex.add`, which
  gives the line that used an id first);
* results matched to the input: the input's ids are added in order, each output line is
  attached to its ``custom_id`` as it streams past (:meth:`DiskIndex.attach`), and the ids
  are walked in input order (:meth:`DiskIndex.in_order`).

The file lives in the system's temporary directory and is removed by :meth:`DiskIndex.close`
(and when the object is collected).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import weakref
from collections.abc import Iterator

__all__ = ["DiskIndex"]

#: SQLite's page cache per index, in KiB (negative ``cache_size`` is KiB): what memory holds.
CACHE_KIB = 4096
#: Rows fetched at a time when walking an index in line order.
_PAGE = 1000


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


class DiskIndex:
    """Keys, each with a line number and an optional text, in a temporary file.

    Rows are numbered as they are added (so walking them in that order is a plain scan), with
    a unique index on the key. Not thread-safe: one owner at a time.
    """

    def __init__(self) -> None:
        handle, self._path = tempfile.mkstemp(prefix="claude-vertex-batch-", suffix=".sqlite")
        os.close(handle)
        self._finalizer = weakref.finalize(self, _remove, self._path)
        self._db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            f"cache_size=-{CACHE_KIB}",
            "temp_store=FILE",
        ):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute(
            "CREATE TABLE entries "
            "(seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, line INTEGER, text TEXT)"
        )
        self._db.execute("BEGIN")
        #: How many keys are kept.
        self.count = 0

    def add(self, key: str, line: int) -> int | None:
        """Keep ``key`` with its ``line``; if ``key`` is kept already, its line (no change)."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO entries (seq, key, line) VALUES (?, ?, ?)",
            (self.count + 1, key, line),
        )
        if cursor.rowcount:
            self.count += 1
            return None
        return self.line_of(key)

    def line_of(self, key: str) -> int | None:
        """The line kept with ``key``, or None."""
        row = self._db.execute("SELECT line FROM entries WHERE key = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def attach(self, key: str, text: str) -> tuple[int, bool] | None:
        """Keep ``text`` with ``key``: ``(its line, whether the key had no text yet)``.

        None when ``key`` is not kept. A key's first text stays (a repeat is not stored).
        """
        found = self._db.execute(
            "SELECT seq, line, text IS NULL FROM entries WHERE key = ?", (key,)
        ).fetchone()
        if found is None:
            return None
        seq, line, first = int(found[0]), int(found[1]), bool(found[2])
        if first:
            self._db.execute("UPDATE entries SET text = ? WHERE seq = ?", (text, seq))
        return line, first

    def in_order(self, *, without_text: bool = False) -> Iterator[tuple[str, int, str | None]]:
        """``(key, line, text)`` of each entry in the order added (or of those without text).

        Rows are fetched a page at a time: the walk holds one page in memory.
        """
        query = "SELECT seq, key, line, text FROM entries WHERE seq > ?"
        if without_text:
            query += " AND text IS NULL"
        query += " ORDER BY seq LIMIT ?"
        after = 0
        while True:
            rows = self._db.execute(query, (after, _PAGE)).fetchall()
            for _, key, line, text in rows:
                yield str(key), int(line), text
            if len(rows) < _PAGE:
                return
            after = int(rows[-1][0])

    def close(self) -> None:
        """Drop the index and its file."""
        if self._finalizer.alive:
            self._db.close()
            self._finalizer()

    def __enter__(self) -> DiskIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
