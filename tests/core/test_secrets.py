"""Tokens, refresh tokens and private keys never appear in the core's reprs, logs or errors."""

from __future__ import annotations

import json
import logging
import traceback
from pathlib import Path

import pytest

from claude_vertex import AuthenticationError, CredentialsError, VertexClient, token_provider
from claude_vertex.testing import Fault, VertexEmulator
from tests.helpers import MakeSettings, hello, secrets_of


def test_reprs_hold_no_secret(
    make_settings: MakeSettings, vertex_key_file: Path, vertex_emulator: VertexEmulator
) -> None:
    settings = make_settings()
    client = VertexClient(settings)
    client.create(hello())
    texts = [repr(settings), str(settings), repr(client), repr(settings.tokens)]
    for secret in secrets_of(vertex_emulator, vertex_key_file):
        assert not any(secret in text for text in texts)


def test_debug_logs_redact_the_authorization_header(
    make_settings: MakeSettings,
    vertex_key_file: Path,
    vertex_emulator: VertexEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours, the SDK's, httpx2's, google-auth's
    with VertexClient(make_settings()) as client:
        client.create(hello())
        with client.stream(hello()) as stream:
            list(stream)
        vertex_emulator.expire_tokens()
        client.create(hello())  # a 401, a refresh, a retry
    assert "'authorization': '[redacted]'" in caplog.text
    for secret in secrets_of(vertex_emulator, vertex_key_file):
        assert secret not in caplog.text


def test_an_auth_failure_traceback_holds_no_token(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    token = vertex_emulator.issue_token()
    vertex_emulator.expire_tokens()
    with (
        VertexClient(make_settings(credentials=None, access_token=token)) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.create(hello())
    text = "".join(traceback.format_exception(caught.value))
    assert token not in text


def test_a_refused_refresh_traceback_holds_no_key(
    vertex_emulator: VertexEmulator, tmp_path: Path
) -> None:

    info = vertex_emulator.service_account_info()
    with VertexEmulator() as elsewhere:  # a key this emulator never issued
        info["private_key"] = elsewhere.service_account_info()["private_key"]
    key_file = tmp_path / "foreign.json"
    key_file.write_text(json.dumps(info))
    provider = token_provider(key_file)
    with pytest.raises(CredentialsError) as caught:
        provider.token()
    text = "".join(traceback.format_exception(caught.value))
    assert info["private_key"].splitlines()[1] not in text
    assert "invalid_grant" in text


def test_a_rejected_token_is_in_no_local_of_the_traceback(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator, vertex_key_file: Path
) -> None:
    """Error trackers (Sentry...) record every frame's locals: none may show the token."""
    with VertexClient(make_settings()) as client:
        client.create(hello())
        first = client.settings.tokens.token()
        # A 401 for the held token, a refresh, and a 401 for the new one: the call fails.
        vertex_emulator.inject(Fault.status(401, {"error": {"code": 401}}), times=2)
        with pytest.raises(AuthenticationError) as caught:
            client.create(hello())
        second = client.settings.tokens.token()
    text = _library_locals(
        traceback.TracebackException.from_exception(caught.value, capture_locals=True)
    )
    assert "_Failure(" in text  # the frame of the retry loop was captured
    assert first != second
    for secret in [first, second, *secrets_of(vertex_emulator, vertex_key_file)]:
        assert secret not in text


def _library_locals(captured: traceback.TracebackException | None) -> str:
    """The reprs of the locals of every frame outside the tests, down the exception chain."""
    texts: list[str] = []
    while captured is not None:
        for frame in captured.stack:
            if "/tests/" not in frame.filename:
                texts.extend(f"{name} = {value}" for name, value in (frame.locals or {}).items())
        captured = captured.__cause__ or captured.__context__
    return "\n".join(texts)
