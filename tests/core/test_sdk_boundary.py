"""Only ``claude_vertex._sdk`` may import the anthropic SDK's private modules.

Ruff's banned-api rule (TID251) enforces it with a list of module names in the root
pyproject.toml. These tests walk the installed SDK and ask ruff itself, with that
configuration, whether an import of each private module is refused, so an SDK release that
adds a private module the list does not name fails here.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _is_private(module: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in module.split("."))


def sdk_modules() -> list[str]:
    """Every module and package of the installed anthropic SDK, found on disk (none imported)."""
    spec = importlib.util.find_spec("anthropic")
    assert spec is not None
    assert spec.submodule_search_locations is not None
    (package,) = (Path(location) for location in spec.submodule_search_locations)
    names: set[str] = set()
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.update(".".join(parts[:end]) for end in range(1, len(parts) + 1))
    return sorted(names)


def refused_lines(source: str, filename: str) -> set[int]:
    """The lines of ``source`` that ruff refuses under TID251, checked as ``filename``."""
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (the lowest resolution has no linters)")
    command = [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "TID251"]
    found = subprocess.run(
        [*command, "--output-format", "json", "--stdin-filename", filename, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert found.returncode in (0, 1), found.stderr
    return {item["location"]["row"] for item in json.loads(found.stdout)}


def test_the_walk_finds_the_sdks_private_modules() -> None:
    modules = sdk_modules()
    assert "anthropic.lib.vertex" in modules
    assert {"anthropic._base_client", "anthropic.lib.vertex._client"} <= set(modules)
    assert not _is_private("anthropic.lib.vertex")
    assert _is_private("anthropic.lib.vertex._client")


def test_every_private_module_of_the_sdk_is_banned_outside_the_sdk_module() -> None:
    private = [name for name in sdk_modules() if _is_private(name)]
    source = "".join(f"import {name}\n" for name in private)
    refused = refused_lines(source, "core/claude_vertex/client.py")
    unbanned = [name for row, name in enumerate(private, start=1) if row not in refused]
    assert not unbanned, (
        "private modules of the installed anthropic SDK that "
        "[tool.ruff.lint.flake8-tidy-imports.banned-api] in pyproject.toml does not name "
        f"(add them, or a package holding them): {unbanned}"
    )


def test_public_modules_stay_allowed_and_the_sdk_module_is_exempt() -> None:
    public = "import anthropic.types\nfrom anthropic import AnthropicVertex\n"
    assert refused_lines(public, "core/claude_vertex/client.py") == set()
    private = "from anthropic._types import RequestOptions\n"
    assert refused_lines(private, "tests/core/test_wire.py") == {1}
    assert refused_lines(private, "core/claude_vertex/_sdk.py") == set()
