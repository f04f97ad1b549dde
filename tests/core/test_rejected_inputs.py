"""Every rejected input raises a typed error before any request is sent."""

from __future__ import annotations

from typing import Any

import pytest

from claude_vertex import ConfigurationError, VertexClient
from claude_vertex.testing import VertexEmulator
from tests.helpers import MakeSettings, hello

HOSTILE_SETTINGS = [
    {"region": "evil.com/x"},
    {"region": "us-east5.attacker"},
    {"region": "../"},
    {"region": "us-east5?x"},
    {"region": "us-east5#x"},
    {"region": "us east5"},
    {"project": "evil.com/x"},
    {"project": "../etc"},
    {"project": "p?x=1"},
    {"project": "p#x"},
    {"project": "my project"},
    {"base_url": "http://example.com/v1"},
    {"base_url": "https://u:p@example.com/v1"},
    {"base_url": "https://example.com/v1?x"},
]


@pytest.mark.parametrize("override", HOSTILE_SETTINGS)
def test_hostile_settings_fail_before_any_request(
    override: dict[str, Any], make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    with pytest.raises(ConfigurationError):
        make_settings(**override)
    assert vertex_emulator.requests == []
    assert vertex_emulator.token_requests == []


@pytest.mark.parametrize(
    "model",
    ["evil.com/x", "claude/../x", "claude?x", "claude#x", "claude x", "../", ""],
)
def test_hostile_models_fail_before_any_request(
    model: str, client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    with pytest.raises(ConfigurationError):
        client.create(hello(model=model))
    with pytest.raises(ConfigurationError):
        client.count_tokens(hello(model=model))
    assert vertex_emulator.requests == []
    assert vertex_emulator.token_requests == []


async def test_hostile_models_fail_before_any_async_request(
    client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    with pytest.raises(ConfigurationError):
        await client.acreate(hello(model="evil.com/x"))
    with pytest.raises(ConfigurationError):
        await client.astream(hello(model="claude/../x"))
    assert vertex_emulator.requests == []
