"""No secret through the adapters: credential forms, tokens held, tracing, logs, auth errors."""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.bridge.pydantic import Field
from llama_index.core.instrumentation import root_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent

from claude_vertex import AuthenticationError, CredentialsError
from claude_vertex.testing import VertexEmulator
from langchain_claude_vertex import ChatClaudeVertex
from llama_index.llms.claude_vertex import ClaudeVertex
from tests.helpers import user_credentials

# --------------------------------------------------------------------------- through the adapters
# Both adapters' own tests cover repr, LangChain dumps and LlamaIndex to_dict/to_payload for a
# static token, a key file path and (LlamaIndex) a key dict. Here: every other credential
# form, the token each call puts in memory, tracing payloads, logs, and auth failures.

Adapter = Literal["langchain", "llama_index"]
ADAPTERS: tuple[Adapter, ...] = ("langchain", "llama_index")
CredentialForm = Literal["service_account_dict", "service_account_object", "authorized_user"]
CREDENTIAL_FORMS: tuple[CredentialForm, ...] = (
    "service_account_dict",
    "service_account_object",
    "authorized_user",
)


@dataclass(frozen=True)
class Given:
    """Credentials in one form, and the secret strings inside them."""

    credentials: Any
    secrets: list[str]


def user_given(emulator: VertexEmulator, refresh_token: str | None = None) -> Given:
    """gcloud-style user credentials that refresh at the emulator, with their secrets."""
    creds = user_credentials(emulator, refresh_token)
    return Given(creds, [creds.refresh_token, creds.client_secret])


def service_account_key(emulator: VertexEmulator) -> dict[str, str]:
    """A service-account key of its own (so its token provider is new)."""
    email = f"t{uuid.uuid4().hex[:12]}@{emulator.project}.iam.gserviceaccount.com"
    return emulator.service_account_info(email)


def given_credentials(form: CredentialForm, emulator: VertexEmulator) -> Given:
    """Fresh credentials of ``form`` for ``emulator``, with the secrets inside them."""
    from google.oauth2 import service_account

    if form == "authorized_user":
        return user_given(emulator)
    info = service_account_key(emulator)
    key_secrets = [info["private_key"].splitlines()[1], info["private_key_id"]]
    if form == "service_account_object":
        return Given(service_account.Credentials.from_service_account_info(info), key_secrets)
    return Given(info, key_secrets)


def build_model(adapter: Adapter, emulator: VertexEmulator, **options: Any) -> Any:
    place: dict[str, Any] = {
        "project": emulator.project,
        "base_url": emulator.base_url,
        "max_retries": 0,
    }
    if adapter == "langchain":
        return ChatClaudeVertex(model="claude-sonnet-4-5", **place, **options)
    return ClaudeVertex("claude-sonnet-4-5", **place, **options)


def call(model: Any, mode: Literal["sync", "async", "stream"] = "sync") -> str:
    """One call through either adapter; the answer's text."""
    if isinstance(model, ChatClaudeVertex):
        if mode == "stream":
            return "".join(chunk.text for chunk in model.stream("Hey Claude!"))
        if mode == "async":
            return asyncio.run(model.ainvoke("Hey Claude!")).text
        return model.invoke("Hey Claude!").text
    messages = [ChatMessage(role="user", content="Hey Claude!")]
    if mode == "stream":
        return "".join(r.delta or "" for r in model.stream_chat(messages))
    if mode == "async":
        return str(asyncio.run(model.achat(messages)).message.content)
    return str(model.chat(messages).message.content)


def shown_forms(model: Any) -> list[str]:
    """Every way the model shows or serialises itself."""
    forms = [repr(model), str(model), model.model_dump_json()]
    if isinstance(model, ChatClaudeVertex):
        return [*forms, dumps(model), json.dumps(dumpd(model)), repr(model.asdict())]
    return [
        *forms,
        model.to_json(),
        json.dumps(model.to_dict()),
        json.dumps(model.to_payload()),
        repr(model.settings),
    ]


def held_token(emulator: VertexEmulator) -> str:
    """The access token the last model request carried."""
    return emulator.requests[-1].headers["authorization"].partition(" ")[2]


@pytest.mark.parametrize("form", CREDENTIAL_FORMS)
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_no_credential_form_or_its_token_shows_in_the_models_serialised_forms(
    adapter: Adapter, form: CredentialForm, vertex_emulator: VertexEmulator
) -> None:
    given = given_credentials(form, vertex_emulator)
    model = build_model(adapter, vertex_emulator, credentials=given.credentials)
    assert call(model) == "Hello! You said: Hey Claude!"  # a token is now in memory
    secrets = [*given.secrets, held_token(vertex_emulator)]
    for shown in shown_forms(model):
        assert not [s for s in secrets if s in shown], shown


class Recorder(BaseCallbackHandler):
    """A LangChain tracer stand-in: keeps the text of everything it is handed."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def on_chat_model_start(self, serialized: dict[str, Any], messages: Any, **kwargs: Any) -> None:
        self.seen.append(json.dumps(serialized, default=repr) + repr(messages) + repr(kwargs))

    def on_llm_new_token(self, token: str | list[str | dict[str, Any]], **kwargs: Any) -> None:
        self.seen.append(str(token) + repr(kwargs))

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        self.seen.append(repr(response) + repr(kwargs))


class EventRecorder(BaseEventHandler):
    """A LlamaIndex instrumentation handler that keeps every event's text."""

    seen: list[str] = Field(default_factory=list)

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.seen.append(repr(event))


def test_tracing_payloads_of_both_adapters_hold_no_secret(
    vertex_emulator: VertexEmulator,
) -> None:
    given = given_credentials("authorized_user", vertex_emulator)
    chat = build_model("langchain", vertex_emulator, credentials=given.credentials)
    recorder = Recorder()
    chat.invoke("Hey Claude!", config={"callbacks": [recorder]})
    list(chat.stream("Hey Claude!", config={"callbacks": [recorder]}))

    llm = build_model("llama_index", vertex_emulator, credentials=given.credentials)
    events = EventRecorder()
    root_dispatcher.add_event_handler(events)
    try:
        llm.chat([ChatMessage(role="user", content="Hey Claude!")])
        list(llm.stream_chat([ChatMessage(role="user", content="Hey Claude!")]))
    finally:
        root_dispatcher.event_handlers.remove(events)

    assert recorder.seen
    assert any("LLMChatStartEvent" in e for e in events.seen)
    secrets = [*given.secrets, held_token(vertex_emulator)]
    for text in [*recorder.seen, *events.seen]:
        assert not [s for s in secrets if s in text], text


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_adapter_debug_logs_redact_every_secret(
    adapter: Adapter, vertex_emulator: VertexEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    given = given_credentials("authorized_user", vertex_emulator)
    model = build_model(adapter, vertex_emulator, credentials=given.credentials)
    caplog.set_level(logging.DEBUG)
    call(model)
    call(model, "stream")
    assert "'authorization': '[redacted]'" in caplog.text
    for secret in [*given.secrets, held_token(vertex_emulator)]:
        assert secret not in caplog.text


def failure_text(error: BaseException) -> str:
    """All an error can show: its traceback with chained causes, and its repr and args."""
    return "".join(traceback.format_exception(error)) + repr(error) + repr(error.args)


@pytest.mark.parametrize("mode", ["sync", "async", "stream"])
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_a_refused_token_is_not_in_the_adapters_auth_error(
    adapter: Adapter,
    mode: Literal["sync", "async", "stream"],
    vertex_emulator: VertexEmulator,
) -> None:
    token = vertex_emulator.issue_token()
    vertex_emulator.expire_tokens()
    model = build_model(adapter, vertex_emulator, access_token=token)
    with pytest.raises(AuthenticationError) as caught:
        call(model, mode)
    assert token not in failure_text(caught.value)


@pytest.mark.parametrize("form", ["service_account_dict", "authorized_user"])
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_a_refused_refresh_through_the_adapters_shows_no_key_or_refresh_token(
    adapter: Adapter, form: CredentialForm, vertex_emulator: VertexEmulator
) -> None:
    if form == "service_account_dict":
        info = service_account_key(vertex_emulator)
        with VertexEmulator() as elsewhere:  # a key this emulator never issued
            info["private_key"] = elsewhere.service_account_info()["private_key"]
        given = Given(info, [info["private_key"].splitlines()[1], info["private_key_id"]])
    else:  # a refresh token the emulator does not know: revoked
        given = user_given(vertex_emulator, "1//vrtx-revoked-" + uuid.uuid4().hex)
    model = build_model(adapter, vertex_emulator, credentials=given.credentials)
    for mode in ("sync", "async"):
        with pytest.raises(CredentialsError) as caught:
            call(model, mode)
        text = failure_text(caught.value)
        assert "invalid_grant" in text
        assert not [s for s in given.secrets if s in text], text
    assert vertex_emulator.requests == []
