"""LangChain's standard chat-model suites: unit tests, and integration tests on the emulator.

The integration suite downloads a sample image and PDF from the internet; here those exact
URLs are routed to a loopback server holding locally made files (every assertion stays as
the suite wrote it). Its one skipped test is audio input, which Claude does not accept.
"""

from __future__ import annotations

import importlib
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.integration_tests import chat_models as integration_suite
from langchain_tests.unit_tests import ChatModelUnitTests

from claude_vertex.testing import VertexEmulator
from langchain_claude_vertex import ChatClaudeVertex
from langchain_claude_vertex.chat_models import ACCESS_TOKEN_SECRET

from .support import MediaServer, make_pdf, make_png, route_urls

#: The module holding langchain-core's allowlist of deserialisable classes.
lc_load = importlib.import_module("langchain_core.load.load")

SAMPLE_IMAGE = (
    "https://raw.githubusercontent.com/langchain-ai/docs/"
    "4d11d08b6b0e210bd456943f7a22febbd168b543/src/images/agentic-rag-output.png"
)
SAMPLE_PDF = "https://www.w3.org/WAI/ER/tests/xhtml/testfiles/resources/pdf/dummy.pdf"
#: Fetched only by the audio test, which is skipped: Claude takes no audio.
SAMPLE_AUDIO = "https://upload.wikimedia.org/wikipedia/commons/6/6a/Northern_Flicker_202280456.wav"


class TestChatClaudeVertexUnit(ChatModelUnitTests):
    """The standard unit suite: construction, parameters, tool binding, serialisation."""

    @pytest.fixture(autouse=True)
    def _trusted_for_loading(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # langchain-core deserialises only classes on its allowlist of trusted integrations
        # (users pass allowed_objects=[ChatClaudeVertex] to load); the suite's round trip
        # needs this class on that list, as in-tree integrations are.
        path = tuple(ChatClaudeVertex.lc_id())
        monkeypatch.setitem(lc_load.ALL_SERIALIZABLE_MAPPINGS, path, path)
        monkeypatch.setattr(lc_load, "_default_class_paths_cache", {})

    @property
    def chat_model_class(self) -> type[ChatClaudeVertex]:
        return ChatClaudeVertex

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {
            "model": "claude-sonnet-4-5",
            "project": "unit-test-project",
            "access_token": "unit-test-token",
        }

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        env = {
            "ANTHROPIC_VERTEX_PROJECT_ID": "env-project-42",
            "CLOUD_ML_REGION": "europe-west1",
            ACCESS_TOKEN_SECRET: "token-from-the-environment",
        }
        return (
            env,
            {"model": "claude-sonnet-4-5", "access_token": "unit-test-token"},
            {"project": "env-project-42", "region": "europe-west1"},
        )

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "claude-haiku-4-5"


class TestChatClaudeVertexIntegration(ChatModelIntegrationTests):
    """The standard integration suite, every call answered by the emulator over loopback."""

    @pytest.fixture(autouse=True)
    def _on_the_emulator(
        self,
        vertex_emulator: VertexEmulator,
        langchain_key_file: Path,
        media_server: MediaServer,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        self.emulator_params = {
            "model": "claude-sonnet-4-5",
            "project": vertex_emulator.project,
            "base_url": vertex_emulator.base_url,
            "credentials": str(langchain_key_file),
        }
        image = media_server.put("/agentic-rag-output.png", make_png(64, 48), "image/png")
        pdf = media_server.put("/dummy.pdf", make_pdf("Dummy PDF file"), "application/pdf")
        route_urls(monkeypatch, {SAMPLE_IMAGE: image, SAMPLE_PDF: pdf})

    @pytest.fixture
    def vcr_config(self) -> dict[str, Any]:
        # Calls go to the emulator on loopback, which VCR leaves alone: nothing is recorded.
        return {"record_mode": "none", "ignore_localhost": True}

    @pytest.fixture
    def vcr_cassette_dir(self, tmp_path: Path) -> str:
        return str(tmp_path / "cassettes")

    @property
    def chat_model_class(self) -> type[ChatClaudeVertex]:
        return ChatClaudeVertex

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return dict(self.emulator_params)

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_pdf_inputs(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_pdf_tool_message(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "claude-haiku-4-5"

    @property
    def enable_vcr_tests(self) -> bool:
        return True

    @property
    def supported_usage_metadata_details(self) -> dict[Any, list[Any]]:
        both = ["cache_read_input", "cache_creation_input"]
        return {"invoke": both, "stream": both}

    def _cached_call(self, *, stream: bool, times: int) -> AIMessage:
        """Send a new prompt with a cache breakpoint ``times`` times; the last answer."""
        model = self.chat_model_class(**self.chat_model_params)
        fresh = f"Conversation {uuid.uuid4()}. "
        system = SystemMessage(
            [
                {
                    "type": "text",
                    "text": fresh + "Be brief. " * 400,
                    "cache_control": {"type": "ephemeral"},
                }
            ]
        )
        messages = [system, HumanMessage("Hello")]
        answer: AIMessage | None = None
        for _ in range(times):
            if stream:
                gathered = None
                for chunk in model.stream(messages):
                    gathered = chunk if gathered is None else gathered + chunk
                answer = gathered
            else:
                answer = model.invoke(messages)
        assert isinstance(answer, AIMessage)
        return answer

    def invoke_with_cache_creation_input(self, *, stream: bool = False) -> AIMessage:
        answer = self._cached_call(stream=stream, times=1)
        assert answer.usage_metadata is not None
        assert answer.usage_metadata["input_token_details"].get("cache_creation", 0) > 0
        return answer

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        answer = self._cached_call(stream=stream, times=2)
        assert answer.usage_metadata is not None
        assert answer.usage_metadata["input_token_details"].get("cache_read", 0) > 0
        return answer


def test_every_url_the_suite_downloads_is_served_locally_or_belongs_to_a_skipped_test() -> None:
    source = Path(integration_suite.__file__).read_text()
    downloaded = set(re.findall(r"[\"'](https://[^\s'\"]+\.(?:png|pdf|wav))[\"']", source))
    assert downloaded == {SAMPLE_IMAGE, SAMPLE_PDF, SAMPLE_AUDIO}
