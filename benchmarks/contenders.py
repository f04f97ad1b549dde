"""Everything measured, built against one emulator: raw SDK, core, drop-in client, adapters,
floors, httpx.

Each contender sends the same Messages API payload for the same prompt: the benchmark model,
``max_tokens`` and one user message (the raw SDK also gets the Vertex ``anthropic_version``,
which the core and the drop-in client add themselves).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx2
from anthropic import AnthropicVertex, AsyncAnthropicVertex
from google.oauth2 import service_account

import claude_vertex
from claude_vertex import VertexClient, resolve_settings
from claude_vertex.credentials import CLOUD_PLATFORM_SCOPE
from langchain_claude_vertex import ChatClaudeVertex
from llama_index.llms.claude_vertex import ClaudeVertex

from .floor_langchain import FloorChatModel
from .floor_llama_index import FloorLLM
from .harness import MODEL, REGION, VERTEX_MODEL, VERTEX_VERSION, Emulator

__all__ = [
    "Contenders",
    "PlainHttp",
    "build_contenders",
    "core_params",
    "dropin_payload",
    "floors",
    "raw_clients",
    "raw_payload",
    "wire_body",
]

#: The small prompt of the call-overhead and concurrency measurements.
SMALL_PROMPT = "Hey Claude!"
MAX_TOKENS = 256


def raw_payload(prompt: str, max_tokens: int = MAX_TOKENS) -> dict[str, Any]:
    """The keyword arguments of the raw SDK's ``messages.create`` for ``prompt``."""
    return {
        "model": VERTEX_MODEL,
        "max_tokens": max_tokens,
        "extra_body": VERTEX_VERSION,
        "messages": [{"role": "user", "content": prompt}],
    }


def dropin_payload(prompt: str, max_tokens: int = MAX_TOKENS) -> dict[str, Any]:
    """The keyword arguments of the drop-in client's ``messages.create`` for ``prompt``.

    The raw SDK's, less the ``anthropic_version`` the drop-in client adds itself.
    """
    payload = raw_payload(prompt, max_tokens)
    del payload["extra_body"]
    return payload


def core_params(prompt: str, max_tokens: int = MAX_TOKENS) -> dict[str, Any]:
    """The core's Messages API parameters for ``prompt``."""
    return {
        "model": MODEL,
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": prompt}],
    }


def wire_body(prompt: str, max_tokens: int = MAX_TOKENS, *, stream: bool = False) -> bytes:
    """The JSON body all of them put on the wire for ``prompt``."""
    body: dict[str, Any] = {
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": prompt}],
        **VERTEX_VERSION,
    }
    if stream:
        body["stream"] = True
    return json.dumps(body).encode()


def raw_clients(emulator: Emulator) -> tuple[AnthropicVertex, AsyncAnthropicVertex]:
    """The raw SDK's sync and async Vertex clients, sharing one credentials object."""
    options = {
        "region": REGION,
        "project_id": emulator.project,
        "base_url": emulator.base_url,
        "credentials": google_credentials(emulator),
    }
    return AnthropicVertex(**options), AsyncAnthropicVertex(**options)


def floors(
    raw: AnthropicVertex, araw: AsyncAnthropicVertex, max_tokens: int = MAX_TOKENS
) -> tuple[FloorChatModel, FloorLLM]:
    """The LangChain and LlamaIndex floors on these raw clients."""
    return (
        FloorChatModel(client=raw, async_client=araw, model=VERTEX_MODEL, max_tokens=max_tokens),
        FloorLLM(client=raw, async_client=araw, model=VERTEX_MODEL, max_tokens=max_tokens),
    )


@dataclass
class PlainHttp:
    """Plain httpx2 against the emulator: a prepared body and a token, nothing else."""

    url: str
    stream_url: str
    headers: Mapping[str, str]

    def post(self, client: httpx2.Client, body: bytes) -> bytes:
        """One call; the response body."""
        response = client.post(self.url, content=body, headers=self.headers)
        response.raise_for_status()
        return response.content

    async def apost(self, client: httpx2.AsyncClient, body: bytes) -> bytes:
        """One async call; the response body."""
        response = await client.post(self.url, content=body, headers=self.headers)
        response.raise_for_status()
        return response.content


@dataclass
class Contenders:
    """The clients and models of one run, all aimed at one emulator."""

    emulator: Emulator
    raw: AnthropicVertex
    araw: AsyncAnthropicVertex
    core: VertexClient
    #: ``claude_vertex.AnthropicVertex``: the SDK's client class, sending through the core.
    dropin: claude_vertex.AnthropicVertex
    lc: ChatClaudeVertex
    lc_floor: FloorChatModel
    li: ClaudeVertex
    li_floor: FloorLLM
    plain: PlainHttp
    http: httpx2.Client

    def close(self) -> None:
        """Close the sync pools and let go of the async pools of closed event loops."""
        self.http.close()
        self.raw.close()
        self.dropin.close()
        self.core.close()
        # The core drops the async pools of closed loops on close(); collect them now, while
        # no loop runs: collected later, inside another loop, the SDK's finaliser would
        # schedule their close on that loop and log "Event loop is closed".
        gc.collect()


def google_credentials(emulator: Emulator) -> Any:
    """The emulator's service-account key as google-auth credentials (what the raw SDK takes)."""
    info = json.loads(emulator.key_file.read_text())
    return service_account.Credentials.from_service_account_info(
        info, scopes=[CLOUD_PLATFORM_SCOPE]
    )


def adapter_options(emulator: Emulator) -> dict[str, Any]:
    """What both adapters are built with to call the emulator."""
    return {
        "project": emulator.project,
        "region": REGION,
        "base_url": emulator.base_url,
        "credentials": str(emulator.key_file),
        "max_tokens": MAX_TOKENS,
    }


def build_contenders(emulator: Emulator) -> Contenders:
    """Build every contender and make one call through each (tokens, pools, lazy imports)."""
    raw, araw = raw_clients(emulator)
    settings = resolve_settings(
        model=MODEL,
        project=emulator.project,
        region=REGION,
        base_url=emulator.base_url,
        credentials=str(emulator.key_file),
    )
    core = VertexClient(settings)
    dropin = claude_vertex.AnthropicVertex(
        project_id=emulator.project,
        region=REGION,
        base_url=emulator.base_url,
        credentials=str(emulator.key_file),
    )
    options = adapter_options(emulator)
    lc = ChatClaudeVertex(model=MODEL, **options)
    li = ClaudeVertex(model=MODEL, **options)
    token = settings.tokens.token()
    plain = PlainHttp(
        url=emulator.model_url(),
        stream_url=emulator.model_url(stream=True),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    lc_floor, li_floor = floors(raw, araw)
    contenders = Contenders(
        emulator=emulator,
        raw=raw,
        araw=araw,
        core=core,
        dropin=dropin,
        lc=lc,
        lc_floor=lc_floor,
        li=li,
        li_floor=li_floor,
        plain=plain,
        http=httpx2.Client(timeout=60),
    )
    warm_up(contenders)
    return contenders


def warm_up(c: Contenders) -> None:
    """One call through each sync contender, so no measurement pays a first call."""
    from llama_index.core.base.llms.types import ChatMessage

    c.raw.messages.create(**raw_payload(SMALL_PROMPT))
    c.core.create(core_params(SMALL_PROMPT))
    c.dropin.messages.create(**dropin_payload(SMALL_PROMPT))
    c.lc.invoke(SMALL_PROMPT)
    c.lc_floor.invoke(SMALL_PROMPT)
    message = [ChatMessage(role="user", content=SMALL_PROMPT)]
    c.li.chat(message)
    c.li_floor.chat(message)
    c.plain.post(c.http, wire_body(SMALL_PROMPT))
