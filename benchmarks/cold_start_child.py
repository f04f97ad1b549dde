"""One cold start, in a fresh process: import, build a model, make its first call.

Run by :mod:`benchmarks.cold_start` as ``python cold_start_child.py VARIANT`` (also with a
peer's own virtual environment), with the emulator's address in ``BENCH_BASE_URL``,
``BENCH_KEY_FILE`` and ``BENCH_PROJECT``. Prints one JSON line: the seconds each phase took
(``literal``: the modules the issue names; ``base``: the framework's base class;
``import``: the adapter itself; ``build``; ``call``; ``null`` where a variant has no such
phase) and an
``error``, if a phase failed. Only the standard library is imported before the timing starts.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Run as a script, this file's folder would come first on sys.path, and the suite's modules
# could shadow installed ones: the project root is used instead (for ``benchmarks.floor_*``).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

MODEL = "claude-sonnet-4-5"
VERTEX_MODEL = "claude-sonnet-4-5@20250929"
PROMPT = "Hey Claude!"


def _env(name: str) -> str:
    return os.environ[name]


def _adapter_options() -> dict[str, Any]:
    return {
        "project": _env("BENCH_PROJECT"),
        "region": "global",
        "base_url": _env("BENCH_BASE_URL"),
        "credentials": _env("BENCH_KEY_FILE"),
        "max_tokens": 256,
    }


def _raw_client() -> Any:
    from anthropic import AnthropicVertex
    from google.oauth2 import service_account

    info = json.loads(Path(_env("BENCH_KEY_FILE")).read_text())
    credentials = service_account.Credentials.from_service_account_info(
        info, scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )
    return AnthropicVertex(
        region="global",
        project_id=_env("BENCH_PROJECT"),
        base_url=_env("BENCH_BASE_URL"),
        credentials=credentials,
    )


# A variant is its phases in order: (name, step); each step takes what the one before returned.
Phase = Callable[[Any], Any]
Phases = list[tuple[str, Phase]]


def _importer(*modules: str) -> Phase:
    import importlib

    def load(_: Any) -> None:
        for module in modules:
            importlib.import_module(module)

    return load


#: What each framework's variants import first, step by step: the module the issue names
#: (``literal``), then the base class an adapter must subclass (``base``).
_LANGCHAIN_BASE: Phases = [
    ("literal", _importer("langchain_core.language_models", "anthropic")),
    ("base", _importer("langchain_core.language_models.chat_models")),
]
_LLAMA_INDEX_BASE: Phases = [
    ("literal", _importer("llama_index.core.llms", "anthropic")),
    ("base", _importer("llama_index.core.llms.custom", "llama_index.core.llms.function_calling")),
]


def _chat(model: Any) -> Any:
    from llama_index.core.base.llms.types import ChatMessage

    return model.chat([ChatMessage(role="user", content=PROMPT)]).message.content


def _chat_claude_vertex() -> Phases:
    def load(_: Any) -> Any:
        from langchain_claude_vertex import ChatClaudeVertex

        return ChatClaudeVertex

    return [
        *_LANGCHAIN_BASE,
        ("import", load),
        ("build", lambda cls: cls(model=MODEL, **_adapter_options())),
        ("call", lambda model: model.invoke(PROMPT).content),
    ]


def _claude_vertex() -> Phases:
    def load(_: Any) -> Any:
        from llama_index.llms.claude_vertex import ClaudeVertex

        return ClaudeVertex

    return [
        *_LLAMA_INDEX_BASE,
        ("import", load),
        ("build", lambda cls: cls(model=MODEL, **_adapter_options())),
        ("call", _chat),
    ]


def _langchain_floor() -> Phases:
    def load(_: Any) -> Any:
        from benchmarks.floor_langchain import FloorChatModel

        return FloorChatModel

    return [
        *_LANGCHAIN_BASE,
        ("import", load),
        ("build", lambda cls: cls(client=_raw_client(), model=VERTEX_MODEL)),
        ("call", lambda model: model.invoke(PROMPT).content),
    ]


def _llama_index_floor() -> Phases:
    def load(_: Any) -> Any:
        from benchmarks.floor_llama_index import FloorLLM

        return FloorLLM

    return [
        *_LLAMA_INDEX_BASE,
        ("import", load),
        ("build", lambda cls: cls(client=_raw_client(), model=VERTEX_MODEL)),
        ("call", _chat),
    ]


def _chat_anthropic() -> Phases:
    """langchain-anthropic's ChatAnthropic speaks the first-party API only: no Vertex call."""

    def load(_: Any) -> Any:
        from langchain_anthropic import ChatAnthropic  # type: ignore[import-not-found]

        return ChatAnthropic

    return [
        *_LANGCHAIN_BASE,
        ("import", load),
        ("build", lambda cls: cls(model=MODEL, api_key="unused", max_tokens=256)),
    ]


def _llama_index_anthropic() -> Phases:
    """llama-index-llms-anthropic on Vertex: its SDK client reads the base URL and ADC."""

    def load(_: Any) -> Any:
        from llama_index.llms.anthropic import Anthropic  # type: ignore[import-untyped]

        return Anthropic

    def build(cls: Any) -> Any:
        os.environ["ANTHROPIC_VERTEX_BASE_URL"] = _env("BENCH_BASE_URL")
        os.environ["GOOGLE_APPLICATION_CREDENTIALS"] = _env("BENCH_KEY_FILE")
        return cls(
            model=VERTEX_MODEL, region="global", project_id=_env("BENCH_PROJECT"), max_tokens=256
        )

    return [*_LLAMA_INDEX_BASE, ("import", load), ("build", build), ("call", _chat)]


VARIANTS: dict[str, Callable[[], Phases]] = {
    "lc-adapter": _chat_claude_vertex,
    "lc-floor": _langchain_floor,
    "lc-peer": _chat_anthropic,
    "li-adapter": _claude_vertex,
    "li-floor": _llama_index_floor,
    "li-peer": _llama_index_anthropic,
}


def main(variant: str) -> dict[str, Any]:
    """Time the phases of ``variant``; the figures as a dict."""
    figures: dict[str, Any] = {
        "literal": None,
        "base": None,
        "import": None,
        "build": None,
        "call": None,
        "error": None,
    }
    value: Any = None
    for name, phase in VARIANTS[variant]():
        start = time.perf_counter()
        try:
            value = phase(value)
        except Exception as exc:  # a peer that cannot make the call: say why
            figures["error"] = f"{name}: {type(exc).__name__}: {str(exc)[:300]}"
            break
        figures[name] = time.perf_counter() - start
    return figures


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])), flush=True)
