"""One media pipeline for both adapters: deferred sources in, base64 sources out.

An adapter converting a conversation does no I/O: where a block's ``source`` goes it puts a
:class:`MediaSource`, a reference (``http(s)://``, ``gs://``, ``data:`` or ``file://`` URL, a
:class:`~pathlib.Path`) or the raw bytes. :func:`resolve_media` (:func:`aresolve_media`, which
reads concurrently) then turns every such source of the Messages API params into what Vertex
takes: a ``base64`` source (``text`` for plain text), the block an ``image`` or ``document``
as its bytes are. Raw bytes are base64-encoded once, never decoded and re-encoded. Local files
keep the rules of :mod:`.media`: read only inside ``local_dirs``.

Errors are :class:`~claude_vertex.MediaError` naming the place, such as
``messages[2] (user), content[0] (tool_result), content[1] (image): ...``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .credentials import TokenProvider
from .errors import MediaError
from .media import FETCH_DEADLINE, LocalDirs, Media, aload_media, inline_media, load_media
from .media_types import DOCUMENT_OPTIONS
from .validation import block_place

__all__ = ["MediaSource", "aresolve_media", "has_deferred_source", "resolve_media"]

Block = dict[str, Any]
Reference = str | Path
#: Where a block is: (message index, block index, index inside a tool result or None).
_Key = tuple[int, int, int | None]


@dataclass(frozen=True, repr=False)
class MediaSource:
    """An image or document not read yet: a reference, or raw bytes (exactly one of them).

    Put it where a block's ``source`` goes (``{"type": "image", "source": MediaSource(url)}``);
    :func:`resolve_media` replaces it. Whether the block is sent as an ``image`` or a
    ``document`` follows the bytes (document options such as ``title`` are dropped for
    images), unless ``image_only`` refuses anything but an image.

    Attributes:
        reference: an ``http(s)://``, ``gs://``, ``data:`` or ``file://`` URL, or a local
            :class:`~pathlib.Path`.
        data: the raw bytes (not base64).
        media_type: the declared type of ``data``; sniffed from the bytes when missing or
            generic. References take theirs from the server, the ``data:`` URL or the file.
        image_only: refuse media that is not an image (for an adapter's image-only blocks).
    """

    reference: Reference | None = None
    data: bytes | None = None
    media_type: str | None = None
    image_only: bool = False

    def __post_init__(self) -> None:
        if (self.reference is None) == (self.data is None):
            raise MediaError("A MediaSource holds either a reference or data, not both or none.")
        if self.reference is not None and not isinstance(self.reference, (str, Path)):
            raise MediaError(
                f"A MediaSource reference is a URL string or a pathlib.Path, not "
                f"{type(self.reference).__name__}."
            )
        if self.data is not None and not isinstance(self.data, bytes):
            raise MediaError(f"MediaSource data must be bytes, not {type(self.data).__name__}.")
        if self.reference is not None and self.media_type is not None:
            raise MediaError(
                "A MediaSource reference takes its media type from what it reads; "
                "media_type= is for data=."
            )

    def __repr__(self) -> str:
        # Neither the bytes nor a URL's query (signed URLs carry credentials there) are shown.
        if self.data is not None:
            shown = f"data=<{len(self.data):,} bytes>, media_type={self.media_type!r}"
        elif isinstance(self.reference, str):
            parts = urlsplit(self.reference)
            if parts.scheme == "data":
                shown = f"reference='{self.reference.split(',', 1)[0]},...'"
            else:
                hidden = "?..." if parts.query or parts.fragment else ""
                shown = f"reference={parts._replace(query='', fragment='').geturl() + hidden!r}"
        else:
            shown = f"reference={self.reference!r}"
        return f"MediaSource({shown}{', image_only=True' if self.image_only else ''})"


def has_deferred_source(block: object) -> bool:
    """Whether ``block`` is a content block whose source is a :class:`MediaSource`."""
    return isinstance(block, Mapping) and isinstance(block.get("source"), MediaSource)


@dataclass(frozen=True)
class _Deferred:
    """A block with a :class:`MediaSource`, and where it is."""

    key: _Key
    place: str
    block: Mapping[str, Any]

    @property
    def source(self) -> MediaSource:
        source: MediaSource = self.block["source"]
        return source


def _blocks(content: object) -> Iterator[tuple[int, Any]]:
    if isinstance(content, Sequence) and not isinstance(content, (str, bytes)):
        yield from enumerate(content)


def _refuse_system_media(system: object) -> None:
    for position, block in _blocks(system):
        if has_deferred_source(block):
            raise MediaError(
                f"system[{position}] ({block.get('type')}): system prompts take text only; put "
                "images and documents in a user message."
            )


def _deferred(params: Mapping[str, Any]) -> list[_Deferred]:
    """Every block of ``messages`` with a deferred source, tool results' content included.

    Raises:
        MediaError: a ``system`` block with one (system prompts take text only).
    """
    _refuse_system_media(params.get("system"))
    found: list[_Deferred] = []
    for index, message in _blocks(params.get("messages")):
        if not isinstance(message, Mapping):
            continue  # validation names it
        role = message.get("role")
        for position, block in _blocks(message.get("content")):
            if not isinstance(block, Mapping):
                continue
            place = block_place(index, role, position, block.get("type"))
            if has_deferred_source(block):
                found.append(_Deferred((index, position, None), place, block))
            elif block.get("type") == "tool_result":
                for inner, nested in _blocks(block.get("content")):
                    if has_deferred_source(nested):
                        nested_place = f"{place}, content[{inner}] ({nested.get('type')})"
                        found.append(_Deferred((index, position, inner), nested_place, nested))
    return found


def _resolved_block(item: _Deferred, media: Media) -> Block:
    """The block with its media inline: an ``image`` or ``document`` as its bytes are."""
    if item.source.image_only and not media.is_image:
        raise MediaError(f"{item.place}: this holds {media.media_type!r}, not an image.")
    kind = "image" if media.is_image else "document"
    dropped = ("type", "source", *(DOCUMENT_OPTIONS if kind == "image" else ()))
    rest = {key: value for key, value in item.block.items() if key not in dropped}
    return {"type": kind, "source": media.source(), **rest}


def _replaced(params: Mapping[str, Any], blocks: Mapping[_Key, Block]) -> dict[str, Any]:
    """A copy of ``params`` with the blocks at ``blocks``' keys replaced (inputs untouched)."""
    if not blocks:
        return dict(params)
    messages = list(params["messages"])
    for index in sorted({key[0] for key in blocks}):
        content = list(messages[index]["content"])
        for position in sorted({key[1] for key in blocks if key[0] == index}):
            if (index, position, None) in blocks:
                content[position] = blocks[index, position, None]
                continue
            result = dict(content[position])
            inner = list(result["content"])
            for (i, p, k), block in blocks.items():
                if (i, p) == (index, position) and k is not None:
                    inner[k] = block
            result["content"] = inner
            content[position] = result
        messages[index] = {**messages[index], "content": content}
    return {**params, "messages": messages}


@contextmanager
def _at(place: str) -> Iterator[None]:
    """Name ``place`` in a :class:`MediaError` raised inside."""
    try:
        yield
    except MediaError as error:
        raise MediaError(f"{place}: {error}") from error


def _inline_blocks(items: Sequence[_Deferred]) -> dict[_Key, Block]:
    """The blocks of raw bytes, inlined (checked and encoded, no I/O)."""
    blocks: dict[_Key, Block] = {}
    for item in items:
        data = item.source.data
        if data is not None:
            with _at(item.place):
                media = inline_media(data, item.source.media_type)
            blocks[item.key] = _resolved_block(item, media)
    return blocks


def _by_reference(items: Sequence[_Deferred]) -> dict[Reference, list[_Deferred]]:
    """The blocks of references, grouped by reference in order (each is read once)."""
    groups: dict[Reference, list[_Deferred]] = {}
    for item in items:
        if item.source.reference is not None:
            groups.setdefault(item.source.reference, []).append(item)
    return groups


def resolve_media(
    params: Mapping[str, Any],
    *,
    tokens: TokenProvider | None = None,
    local_dirs: LocalDirs = (),
    deadline: float = FETCH_DEADLINE,
) -> dict[str, Any]:
    """``params`` with every :class:`MediaSource` read and inlined as a base64 source.

    Raw bytes are checked and encoded first (no I/O), then each reference is read once
    however many blocks name it. ``params`` itself is not changed.

    Args:
        params: Messages API params (``messages``, and ``system``, which takes no media).
        tokens: the credentials that read ``gs://`` objects.
        local_dirs: the directories local files may be read from; none by default, and
            every local file is refused.
        deadline: the most seconds each download may take in all.

    Raises:
        MediaError: a source that cannot be read, or holds a type or size Claude does not
            accept (a local file outside ``local_dirs`` included); the error names the
            message and block, e.g. ``messages[0] (user), content[1] (image): ...``.
        ConfigurationError: one of ``local_dirs`` is not a directory.
    """
    items = _deferred(params)
    blocks = _inline_blocks(items)
    for reference, group in _by_reference(items).items():
        with _at(group[0].place):
            media = load_media(reference, tokens=tokens, local_dirs=local_dirs, deadline=deadline)
        blocks.update({item.key: _resolved_block(item, media) for item in group})
    return _replaced(params, blocks)


async def aresolve_media(
    params: Mapping[str, Any],
    *,
    tokens: TokenProvider | None = None,
    local_dirs: LocalDirs = (),
    deadline: float = FETCH_DEADLINE,
) -> dict[str, Any]:
    """The async form of :func:`resolve_media`: references are read concurrently."""
    items = _deferred(params)
    blocks = _inline_blocks(items)
    groups = _by_reference(items)

    async def read(reference: Reference, place: str) -> Media:
        with _at(place):
            return await aload_media(
                reference, tokens=tokens, local_dirs=local_dirs, deadline=deadline
            )

    loaded = await asyncio.gather(*(read(ref, group[0].place) for ref, group in groups.items()))
    for group, media in zip(groups.values(), loaded, strict=True):
        blocks.update({item.key: _resolved_block(item, media) for item in group})
    return _replaced(params, blocks)
