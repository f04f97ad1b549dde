"""The type the emulator gives a parsed JSON object: ``dict[str, Any]``."""

from __future__ import annotations

from typing import Any

__all__ = ["JSON"]


#: A JSON object as parsed by :func:`json.loads` (the emulator reads and writes these).
JSON = dict[str, Any]
