"""Hosts, and the validation of strings that reach a URL."""

from __future__ import annotations

import pytest

from claude_vertex import ConfigurationError, base_url_for_region
from claude_vertex.endpoints import (
    count_tokens_region,
    validate_base_url,
    validate_model,
    validate_project,
    validate_region,
)
from claude_vertex.models import resolve_model


@pytest.mark.parametrize(
    ("region", "url"),
    [
        ("global", "https://aiplatform.googleapis.com/v1"),
        ("us", "https://aiplatform.us.rep.googleapis.com/v1"),
        ("eu", "https://aiplatform.eu.rep.googleapis.com/v1"),
        ("us-east5", "https://us-east5-aiplatform.googleapis.com/v1"),
        ("europe-west1", "https://europe-west1-aiplatform.googleapis.com/v1"),
        ("northamerica-northeast1", "https://northamerica-northeast1-aiplatform.googleapis.com/v1"),
    ],
)
def test_each_region_maps_to_its_host(region: str, url: str) -> None:
    assert base_url_for_region(region) == url


HOSTILE = [
    "evil.com/x",
    "us-east5.attacker",
    "../",
    "..",
    "?",
    "#",
    " ",
    "us-east5 ",
    "us east5",
    "us-east5/../x",
    "us-east5?x=1",
    "us-east5#f",
    "",
    "US-EAST5",
    "us-east5%2F",
    "us-east5@x",
    "us-east5:443",
    "us-\u0435ast5",  # Cyrillic e
    "global\n",
    "a" * 100,
]


@pytest.mark.parametrize("region", HOSTILE)
def test_hostile_regions_are_rejected(region: str) -> None:
    with pytest.raises(ConfigurationError, match="region"):
        validate_region(region)


@pytest.mark.parametrize(
    "project",
    [
        "evil.com/x",
        "my-project/../x",
        "my-project?",
        "my-project#",
        "my project",
        "My-Project",
        "proj",
        "example.com:my-project",
        "my-pr\u043eject",
        "my-project%2F",
        "-my-project",
        "x" * 31,
    ],
)
def test_hostile_projects_are_rejected(project: str) -> None:
    with pytest.raises(ConfigurationError, match="project"):
        validate_project(project)


@pytest.mark.parametrize("project", ["my-project", "test-project-123", "123456789012"])
def test_real_project_ids_are_accepted(project: str) -> None:
    assert validate_project(project) == project


@pytest.mark.parametrize(
    "model",
    [
        "claude/../x",
        "claude?x",
        "claude#x",
        "claude x",
        "../claude",
        "claude..x",
        "Claude",
        "claude:rawPredict",
        "claude@@1",
        "claude%2Fx",
        "\u0441laude-sonnet-4-5",
        "",
        "claude/x",
    ],
)
def test_hostile_models_are_rejected(model: str) -> None:
    with pytest.raises(ConfigurationError, match="model"):
        validate_model(model)


@pytest.mark.parametrize(
    "model",
    [
        "claude-sonnet-4-5@20250929",
        "claude-opus-4-6",
        "claude-sonnet-4-5@default",
        "claude-3-5-sonnet-v2@20241022",
    ],
)
def test_real_model_ids_are_accepted(model: str) -> None:
    assert validate_model(model) == model


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/v1",
        "ftp://x/v1",
        "https://user:pw@host/v1",
        "https://host/v1?x=1",
        "https://host/v1#f",
        "https://host/../v1",
        "https://host:abc/v1",
        "https:///v1",
        "https://host/v1 ",
        "https://h\u043est/v1",
        "https://host/%2e%2e/v1",
        "http://10.0.0.1/v1",
    ],
)
def test_unsafe_base_urls_are_rejected(url: str) -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        validate_base_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://gateway.example.com/v1",
        "http://127.0.0.1:8080/v1",
        "http://localhost:9/v1",
        "http://[::1]:8080/v1",
        "https://proxy.internal:8443/vertex/v1/",
    ],
)
def test_safe_base_urls_are_accepted(url: str) -> None:
    assert validate_base_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("global", "global"),
        ("us", "us"),
        ("eu", "eu"),
        ("europe-west4", "europe-west4"),
        ("europe-west9", "europe-west1"),
        ("asia-northeast1", "asia-east1"),
        ("us-east5", "us-east5"),
    ],
)
def test_count_tokens_goes_to_a_region_that_serves_it(region: str, expected: str) -> None:
    assert count_tokens_region(region) == expected


@pytest.mark.parametrize(
    ("model", "region", "expected"),
    [
        # Opus 4.7 is served on global, us and eu only: counted there, never in a single region.
        ("claude-opus-4-7", "global", "global"),
        ("claude-opus-4-7", "eu", "eu"),
        ("claude-opus-4-7", "europe-west9", "eu"),
        ("claude-opus-4-7", "asia-northeast1", "global"),
        # A model of single regions is counted in one that serves it, near the call's region.
        ("claude-sonnet-4-5", "europe-west9", "europe-west1"),
    ],
)
def test_count_tokens_goes_where_the_model_is_served(
    model: str, region: str, expected: str
) -> None:
    info = resolve_model(model)
    assert count_tokens_region(region, info) == expected
    assert info.is_served_in(expected)
