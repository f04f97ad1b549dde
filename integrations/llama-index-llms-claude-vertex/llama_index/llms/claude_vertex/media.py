"""Images and documents of LlamaIndex messages, read into the core's :class:`~claude_vertex.Media`.

Blocks given by URL (``https://``, ``gs://``, ``data:``) or path are read client-side by the
core's :func:`~claude_vertex.load_media` (Vertex does not fetch URLs), before the messages
are converted; blocks holding their bytes are checked by the same loader. Local files
(``path=`` and ``file://`` URLs) are read only inside the model's ``local_media_dirs``.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from llama_index.core.base.llms.types import ChatMessage, CitableBlock, DocumentBlock, ImageBlock

from claude_vertex import Media, MediaError, TokenProvider, aload_media, load_media
from claude_vertex.media import LocalDirs

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


def _media_blocks(messages: Sequence[ChatMessage]) -> Iterator[tuple[str, MediaBlock]]:
    """Every image and document block with its place: ``messages[i] (role), blocks[j] (...)``."""
    for index, message in enumerate(messages):
        for position, block in enumerate(message.blocks):
            place = f"messages[{index}] ({message.role.value}), blocks[{position}]"
            if isinstance(block, (ImageBlock, DocumentBlock)):
                yield f"{place} ({type(block).__name__})", block
            elif isinstance(block, CitableBlock):
                for inner, nested in enumerate(block.content):
                    if isinstance(nested, (ImageBlock, DocumentBlock)):
                        yield (
                            (f"{place} (CitableBlock), content[{inner}] ({type(nested).__name__})"),
                            nested,
                        )


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
    """The media of a block holding its bytes, checked by the core like any other media.

    Raises:
        MediaError: the block is given by URL or path (read those with
            :func:`load_message_media`, which applies the rules for local files), or holds
            media Claude does not accept.
    """
    if _reference(block) is not None:
        raise MediaError(
            f"This {type(block).__name__} is given by URL or path; read it with "
            "load_message_media() first."
        )
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
    messages: Sequence[ChatMessage],
    tokens: TokenProvider | None = None,
    local_dirs: LocalDirs = (),
) -> dict[int, Media]:
    """Read and check every image and document of ``messages``.

    Blocks given by URL, ``gs://`` URI or path are read; blocks holding their bytes are
    checked like any other media.

    Args:
        messages: the chat messages of one call.
        tokens: the credentials that read ``gs://`` objects (the model's own).
        local_dirs: the directories ``path=`` blocks and ``file://`` URLs may read from;
            none by default, and every local file is refused.

    Raises:
        MediaError: a reference that cannot be read, or media that is not an image or
            document Claude accepts; the error names the message and block.
    """
    loaded: dict[int, Media] = {}
    for place, block in _media_blocks(messages):
        try:
            reference = _reference(block)
            loaded[id(block)] = (
                inline_media(block)
                if reference is None
                else load_media(reference, tokens=tokens, local_dirs=local_dirs)
            )
        except MediaError as error:
            raise MediaError(f"{place}: {error}") from error
    return loaded


async def aload_message_media(
    messages: Sequence[ChatMessage],
    tokens: TokenProvider | None = None,
    local_dirs: LocalDirs = (),
) -> dict[int, Media]:
    """The async form of :func:`load_message_media`; references are read concurrently."""

    async def load(place: str, block: MediaBlock) -> Media:
        try:
            reference = _reference(block)
            if reference is None:
                return inline_media(block)
            return await aload_media(reference, tokens=tokens, local_dirs=local_dirs)
        except MediaError as error:
            raise MediaError(f"{place}: {error}") from error

    pending = list(_media_blocks(messages))
    media = await asyncio.gather(*(load(place, block) for place, block in pending))
    return {id(block): item for (_, block), item in zip(pending, media, strict=True)}
