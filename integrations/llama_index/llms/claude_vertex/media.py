"""Images and documents of LlamaIndex messages, read into the core's :class:`~claude_vertex.Media`.

Blocks given by URL (``https://``, ``gs://``, ``data:``) or path are read client-side by the
core's :func:`~claude_vertex.load_media` (Vertex does not fetch URLs), before the messages
are converted; blocks holding their bytes are checked by the same loader.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from llama_index.core.base.llms.types import ChatMessage, CitableBlock, DocumentBlock, ImageBlock

from claude_vertex import Media, TokenProvider, aload_media, load_media

__all__ = [
    "LoadedMedia",
    "MediaBlock",
    "aload_message_media",
    "inline_media",
    "load_message_media",
]

MediaBlock = ImageBlock | DocumentBlock
#: The media of a message list, read: ``id(block)`` -> its bytes and type.
LoadedMedia = Mapping[int, Media]


def _media_blocks(messages: Sequence[ChatMessage]) -> Iterator[MediaBlock]:
    for message in messages:
        for block in message.blocks:
            if isinstance(block, (ImageBlock, DocumentBlock)):
                yield block
            elif isinstance(block, CitableBlock):
                yield from (b for b in block.content if isinstance(b, (ImageBlock, DocumentBlock)))


def _reference(block: MediaBlock) -> str | Path | None:
    """Where to read a block whose bytes are not inline; ``None`` for inline data."""
    inline = block.image if isinstance(block, ImageBlock) else block.data
    if inline is not None:
        return None
    if block.url is not None:
        return str(block.url)
    if block.path is not None:
        return Path(block.path)
    raise ValueError(f"{type(block).__name__} has no data, url or path to read.")


def inline_media(block: MediaBlock) -> Media:
    """The media of a block holding its bytes, checked by the core like any other media."""
    if isinstance(block, ImageBlock):
        data = block.resolve_image(as_base64=False).read()
        declared = block.image_mimetype or ""
    else:
        data = block.resolve_document().read()
        declared = _document_type(block.document_mimetype, data)
    encoded = base64.b64encode(data).decode("ascii")
    return load_media(f"data:{declared or 'application/octet-stream'};base64,{encoded}")


def _document_type(declared: str | None, data: bytes) -> str:
    """A document's media type: text of any kind is sent as plain text."""
    if declared and declared.startswith("text/"):
        return "text/plain"
    if declared:
        return declared
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    return "text/plain"


def load_message_media(
    messages: Sequence[ChatMessage], tokens: TokenProvider | None = None
) -> dict[int, Media]:
    """Read every image and document of ``messages`` given by URL, ``gs://`` URI or path.

    Args:
        messages: the chat messages of one call.
        tokens: the credentials that read ``gs://`` objects (the model's own).

    Raises:
        MediaError: a reference that cannot be read or is not an image or document Claude
            accepts.
    """
    loaded: dict[int, Media] = {}
    for block in _media_blocks(messages):
        reference = _reference(block)
        if reference is not None:
            loaded[id(block)] = load_media(reference, tokens=tokens)
    return loaded


async def aload_message_media(
    messages: Sequence[ChatMessage], tokens: TokenProvider | None = None
) -> dict[int, Media]:
    """The async form of :func:`load_message_media`; references are read concurrently."""
    pending = [(block, ref) for block in _media_blocks(messages)
               if (ref := _reference(block)) is not None]
    media = await asyncio.gather(*(aload_media(ref, tokens=tokens) for _, ref in pending))
    return {id(block): item for (block, _), item in zip(pending, media, strict=True)}
