"""5. Auth: N calls across M model instances sharing credentials, and the token requests made.

An emulator of its own (in this process, so its log of token requests can be read) and a
fresh key file, so no token is held when the measurement starts. The calls are sync (from a
thread pool) and async (gathered) at once, through both adapters. The raw SDK is shown for
comparison: each ``AnthropicVertex`` refreshes its own credentials, and concurrent first
calls on one async client each refresh.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from anthropic import AnthropicVertex, AsyncAnthropicVertex
from google.oauth2 import service_account
from llama_index.core.base.llms.types import ChatMessage

from claude_vertex.credentials import CLOUD_PLATFORM_SCOPE
from claude_vertex.testing import VertexEmulator
from langchain_claude_vertex import ChatClaudeVertex
from llama_index.llms.claude_vertex import ClaudeVertex

from .contenders import SMALL_PROMPT, raw_payload
from .harness import MODEL, REGION, Results, Row

SECTION = "5. auth"


def _grants(emulator: VertexEmulator) -> int:
    return sum(1 for request in emulator.token_requests if request.route == "token")


def _ours(emulator: VertexEmulator, key_file: Path, instances: int, calls: int) -> int:
    options: dict[str, Any] = {
        "project": emulator.project,
        "region": REGION,
        "base_url": emulator.base_url,
        "credentials": str(key_file),
        "max_tokens": 64,
    }
    lcs = [ChatClaudeVertex(model=MODEL, **options) for _ in range(instances)]
    lis = [ClaudeVertex(model=MODEL, **options) for _ in range(instances)]
    chat = [ChatMessage(role="user", content=SMALL_PROMPT)]
    half = calls // 2

    def sync_call(i: int) -> object:
        if i % 2:
            return lcs[i % instances].invoke(SMALL_PROMPT)
        return lis[i % instances].chat(chat)

    async def async_calls() -> None:
        await asyncio.gather(
            *(
                lcs[i % instances].ainvoke(SMALL_PROMPT)
                if i % 2
                else lis[i % instances].achat(chat)
                for i in range(calls - half)
            )
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        pending = pool.map(sync_call, range(half))
        asyncio.run(async_calls())
        list(pending)
    return _grants(emulator)


def _raw_credentials(key_file: Path) -> Any:
    return service_account.Credentials.from_service_account_info(
        json.loads(key_file.read_text()), scopes=[CLOUD_PLATFORM_SCOPE]
    )


def _raw_per_client(emulator: VertexEmulator, key_file: Path, instances: int, calls: int) -> int:
    clients = [
        AnthropicVertex(
            region=REGION,
            project_id=emulator.project,
            base_url=emulator.base_url,
            credentials=_raw_credentials(key_file),
        )
        for _ in range(instances)
    ]
    payload = raw_payload(SMALL_PROMPT, 64)
    for i in range(calls):
        clients[i % instances].messages.create(**payload)
    for client in clients:
        client.close()
    return _grants(emulator)


def _raw_concurrent(emulator: VertexEmulator, key_file: Path, calls: int) -> int:
    async def run() -> None:
        client = AsyncAnthropicVertex(
            region=REGION,
            project_id=emulator.project,
            base_url=emulator.base_url,
            credentials=_raw_credentials(key_file),
        )
        payload = raw_payload(SMALL_PROMPT, 64)
        await asyncio.gather(*(client.messages.create(**payload) for _ in range(calls)))
        await client.close()

    asyncio.run(run())
    return _grants(emulator)


def run(results: Results, *, instances: int = 10, calls: int = 200) -> None:
    """``calls`` calls over ``instances`` instances of each adapter; token requests counted."""
    with (
        tempfile.TemporaryDirectory(prefix="claude-vertex-bench-auth-") as folder,
        VertexEmulator() as emulator,
    ):
        key_file = emulator.write_service_account_key(Path(folder) / "key.json")
        grants = _ours(emulator, key_file, instances, calls)
        results.add(
            Row(
                SECTION,
                f"{calls} calls (sync and async) over {instances} ChatClaudeVertex + "
                f"{instances} ClaudeVertex",
                f"{grants} token request(s)",
                "1",
                grants == 1,
            )
        )
        emulator.reset()
        grants = _raw_per_client(emulator, key_file, instances, calls)
        results.add(
            Row(
                SECTION,
                f"raw SDK: {calls} calls over {instances} AnthropicVertex",
                f"{grants} token request(s)",
                note="each client refreshes its own",
            )
        )
        emulator.reset()
        concurrent = min(calls, 50)
        grants = _raw_concurrent(emulator, key_file, concurrent)
        results.add(
            Row(
                SECTION,
                f"raw SDK: {concurrent} concurrent first calls, one AsyncAnthropicVertex",
                f"{grants} token request(s)",
                note="no single-flight refresh",
            )
        )
