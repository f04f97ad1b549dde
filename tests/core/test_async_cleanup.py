"""Async calls from many event loops in one process leave nothing behind when each loop ends.

Scripts and pytest's per-test loops call ``asyncio.run`` again and again; each loop gets its own
pools, which must close on their loop as it shuts down, not be collected later with their
sockets open (``ResourceWarning``, ``RuntimeError: Event loop is closed``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from claude_vertex import VertexClient
from claude_vertex._sdk import AsyncTransport
from claude_vertex.testing import VertexEmulator
from tests.helpers import MakeSettings, hello, run_strict

TWENTY_RUNS = """
import asyncio
from claude_vertex import VertexClient, resolve_settings

client = VertexClient(resolve_settings(model="claude-sonnet-4-5"))
body = {"model": "claude-sonnet-4-5", "max_tokens": 16,
        "messages": [{"role": "user", "content": "Hey Claude!"}]}
for _ in range(20):
    asyncio.run(client.acreate(body))
    asyncio.run(client.acount_tokens(body))
print("done")
"""


def test_twenty_asyncio_runs_print_nothing_to_stderr(
    vertex_emulator: VertexEmulator, vertex_key_file: Path
) -> None:
    done = run_strict(TWENTY_RUNS, vertex_emulator, vertex_key_file)
    assert done == (0, "done\n", "")


def test_a_loop_s_pools_are_closed_when_asyncio_run_ends(make_settings: MakeSettings) -> None:
    client = VertexClient(make_settings())

    async def call() -> AsyncTransport:
        await client.acreate(hello())
        return client._async_transport()

    transport = asyncio.run(call())
    assert transport._client.is_closed  # closed on its loop, before the loop closed
    assert not client._async  # and no longer the client's
    asyncio.run(client.acreate(hello()))  # a later loop gets pools of its own
