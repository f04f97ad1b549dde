"""``VertexClient.shared`` keeps a bounded number of clients, whatever the number of credentials."""

from __future__ import annotations

import asyncio
import os
import resource
from pathlib import Path

from claude_vertex import VertexClient
from claude_vertex.client import SHARED_CLIENTS_MAX
from claude_vertex.testing import VertexEmulator
from tests.helpers import MakeSettings, hello

#: Distinct static tokens in the test (the issue's figure).
TOKENS = 500


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover


async def test_distinct_static_tokens_leave_fds_and_memory_bounded(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    async def call_with_a_new_token(use_async: bool) -> None:
        token = vertex_emulator.issue_token()
        client = VertexClient.shared(make_settings(credentials=None, access_token=token))
        if use_async:
            await client.acreate(hello())
        else:
            client.create(hello())

    for i in range(SHARED_CLIENTS_MAX + 20):  # the cache is full from here on
        await call_with_a_new_token(use_async=i % 2 == 1)
    fds, rss = open_fds(), rss_mb()
    for i in range(TOKENS):
        await call_with_a_new_token(use_async=i % 2 == 1)
    await asyncio.sleep(0.2)  # the pools of dropped clients close on the event loop
    # Unbounded, 500 tokens took 1,000 more fds (ours and the emulator's end of each
    # connection) and over 400 MB (a client each, and a TLS context each); now about 5 MB.
    assert open_fds() - fds <= 10, f"{open_fds() - fds} more fds after {TOKENS} tokens"
    assert rss_mb() - rss < 30, f"RSS grew by {rss_mb() - rss:.0f} MB after {TOKENS} tokens"


def test_a_client_dropped_from_the_cache_still_works(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    settings = make_settings(credentials=None, access_token=vertex_emulator.issue_token())
    held = VertexClient.shared(settings)
    with held.stream(hello()) as stream:  # in use while the cache moves on
        for _ in range(SHARED_CLIENTS_MAX + 1):
            token = vertex_emulator.issue_token()
            VertexClient.shared(make_settings(credentials=None, access_token=token))
        assert VertexClient.shared(settings) is not held  # dropped
        assert list(stream)[-1].type == "message_stop"  # and its stream still whole
    assert held.create(hello()).content  # and it still works
