"""Which id of the model table a mistyped model id meant.

Two levels of certainty, both over the ids of :func:`~claude_vertex.models.all_models`:

- :func:`misspelling_of` is conservative, because an id the table does not know must still pass
  through (Google serves models before this table knows them): it answers only for an id whose
  numbers are exactly those of a known id and whose letters differ by a slip or two
  (``claude-sonet-4-5``), so a new model (``claude-sonnet-4-7``, ``claude-opus-5``) is never
  taken for a typo. Settings and requests refuse such an id before any I/O.
- :func:`nearest_model` is loose: the closest known alias, for the hint of a 404 about a
  model Vertex does not know.
- :func:`unknown_version` finds a known model with a version Vertex does not have
  (``claude-sonnet-4-5@latest``: Vertex has no ``@latest``, it answers 404).
"""

from __future__ import annotations

import difflib
import re

from .models import all_models, resolve_model

__all__ = ["misspelling_of", "nearest_model", "unknown_version"]

_SUFFIX = re.compile(r"@[^@]*$")
_NUMBERS = re.compile(r"\d+")

#: How alike (difflib's ratio) an id must be to a known one to count as its misspelling.
TYPO_SIMILARITY = 0.88
#: At most this many characters more or fewer than the known id, for a misspelling.
TYPO_LENGTH_SLACK = 2
#: How alike an id must be to a known alias for a 404's hint to suggest it.
HINT_SIMILARITY = 0.75


def _known_ids() -> list[str]:
    """Every id form of the table without its ``@`` suffix: aliases and first-party ids."""
    ids: set[str] = set()
    for info in all_models():
        ids.update((info.alias, info.first_party_id, _SUFFIX.sub("", info.vertex_id)))
    return sorted(ids)


def misspelling_of(model: str) -> str | None:
    """The table id that ``model`` clearly misspells, with ``model``'s ``@`` suffix; else None.

    None for a known id (any form, any version suffix) and for an unknown one that is not
    clearly a typo of a known one.
    """
    key = model.strip()
    if resolve_model(key).known:
        return None
    suffix = _SUFFIX.search(key)
    base = _SUFFIX.sub("", key)
    numbers = _NUMBERS.findall(base)
    candidates = [
        known
        for known in _known_ids()
        if _NUMBERS.findall(known) == numbers and abs(len(known) - len(base)) <= TYPO_LENGTH_SLACK
    ]
    match = difflib.get_close_matches(base, candidates, n=1, cutoff=TYPO_SIMILARITY)
    if not match:
        return None
    return match[0] + (suffix.group(0) if suffix else "")


def nearest_model(model: str) -> str | None:
    """The known alias most like ``model`` (however loosely typed), or None if none is close."""
    base = _SUFFIX.sub("", model.strip())
    aliases = sorted({info.alias for info in all_models()} - {base})
    match = difflib.get_close_matches(base, aliases, n=1, cutoff=HINT_SIMILARITY)
    return match[0] if match else None


#: The version suffix Vertex serves for every model besides the table's own: ``@default``.
DEFAULT_VERSION = "default"


def unknown_version(model: str) -> str | None:
    """The table's id of ``model``'s model when ``model`` names a version Vertex lacks; else None.

    A known model's own ``@`` version and ``@default`` are served; any other (``@latest``,
    a wrong date) is not. None too for ids without a suffix and for unknown models.
    """
    key = model.strip()
    base, at, version = key.rpartition("@")
    if not at or version == DEFAULT_VERSION:
        return None
    own = resolve_model(base)
    return own.vertex_id if own.known and own.vertex_id != key else None
