"""The emulator's token side: real google-auth flows against /token and IAM, and 401s."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anthropic
import google.auth
import google.auth.transport.requests
import httpx2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import crypt, exceptions, impersonated_credentials, jwt
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from claude_vertex import VertexClient, resolve_settings
from claude_vertex.testing import Fault, VertexEmulator

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
SONNET = "claude-sonnet-4-5@20250929"
REGION = "us-east5"
BODY = {
    "anthropic_version": "vertex-2023-10-16",
    "max_tokens": 32,
    "messages": [{"role": "user", "content": "hi"}],
}
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def google_request() -> google.auth.transport.requests.Request:
    return google.auth.transport.requests.Request()


def call_model(emu: VertexEmulator, token: str | None, stream: bool = False) -> httpx2.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    body = {**BODY, "stream": True} if stream else BODY
    return httpx2.post(emu.model_url(SONNET, REGION, stream=stream), json=body, headers=headers)


def test_service_account_key_gets_a_token_through_real_google_auth(
    vertex_emulator: VertexEmulator,
) -> None:
    info = vertex_emulator.service_account_info()
    assert info["type"] == "service_account"
    assert info["token_uri"] == vertex_emulator.token_uri
    assert info["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert info["client_email"] == "tester@test-project.iam.gserviceaccount.com"
    assert info["project_id"] == "test-project"
    credentials = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
    credentials.refresh(google_request())
    assert credentials.valid
    assert credentials.token
    assert credentials.expiry - datetime.now(timezone.utc).replace(tzinfo=None) > timedelta(
        minutes=55
    )
    assert call_model(vertex_emulator, credentials.token).status_code == 200
    [grant] = vertex_emulator.token_requests
    assert (grant.route, grant.path, grant.status) == ("token", "/token", 200)
    assert grant.body["grant_type"] == JWT_GRANT
    assert grant.headers["content-type"] == "application/x-www-form-urlencoded"


def test_application_default_credentials_drive_the_sdk(
    vertex_emulator: VertexEmulator, vertex_key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in vertex_emulator.environ(vertex_key_file, region=REGION).items():
        monkeypatch.setenv(name, value)
    with anthropic.AnthropicVertex(max_retries=0) as client:  # everything from the environment
        message: Any = client.messages.create(
            model=SONNET,
            max_tokens=16,
            messages=[{"role": "user", "content": "adc"}],
            extra_body={"anthropic_version": "vertex-2023-10-16"},
        )
    assert message.content[0].text == "Hello! You said: adc"
    assert [r.route for r in vertex_emulator.token_requests] == ["token"]
    assert vertex_emulator.requests[0].region == REGION


def test_environ_pins_no_region_unless_asked(
    vertex_emulator: VertexEmulator, vertex_key_file: Path
) -> None:
    assert "CLOUD_ML_REGION" not in vertex_emulator.environ(vertex_key_file)
    pinned = vertex_emulator.environ(vertex_key_file, region=REGION)
    assert pinned["CLOUD_ML_REGION"] == REGION


@pytest.mark.parametrize(
    ("residency", "regions"),
    [(None, ["global", "us"]), ("eu", ["eu", "europe-west1"])],
)
def test_an_app_set_up_from_environ_follows_the_default_endpoint_plan(
    vertex_emulator: VertexEmulator,
    vertex_key_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    residency: str | None,
    regions: list[str],
) -> None:
    for name, value in vertex_emulator.environ(vertex_key_file).items():
        monkeypatch.setenv(name, value)
    vertex_emulator.inject(Fault.unavailable())  # the first endpoint fails: the plan moves on
    settings = resolve_settings(model="claude-sonnet-4-5", data_residency=residency)
    with VertexClient(settings) as client:
        message = client.create(
            {
                "model": "claude-sonnet-4-5",
                "max_tokens": 16,
                "messages": [{"role": "user", "content": "hi"}],
            }
        )
    assert message.content[0].type == "text"
    assert [r.region for r in vertex_emulator.requests] == regions


def test_write_service_account_key_writes_a_loadable_file(
    vertex_emulator: VertexEmulator, tmp_path: Path
) -> None:
    email = "ci@test-project.iam.gserviceaccount.com"
    path = vertex_emulator.write_service_account_key(tmp_path / "key.json", email)
    info = json.loads(path.read_text())
    assert info["client_email"] == email
    credentials = service_account.Credentials.from_service_account_file(str(path), scopes=SCOPES)
    credentials.refresh(google_request())
    assert call_model(vertex_emulator, credentials.token).status_code == 200


def test_authorized_user_refreshes_at_the_emulator(vertex_emulator: VertexEmulator) -> None:
    info = vertex_emulator.authorized_user_info()
    assert info["type"] == "authorized_user"
    assert info["quota_project_id"] == "test-project"
    # google-auth ignores an authorized_user's token_uri (it always uses Google's), so a test
    # points it at the emulator explicitly.
    credentials = user_credentials.Credentials.from_authorized_user_info(info).with_token_uri(
        info["token_uri"]
    )
    credentials.refresh(google_request())
    assert call_model(vertex_emulator, credentials.token).status_code == 200
    [grant] = vertex_emulator.token_requests
    assert grant.body["grant_type"] == "refresh_token"
    assert grant.body["refresh_token"] == info["refresh_token"]


def test_impersonation_gets_a_token_from_iam(vertex_emulator: VertexEmulator) -> None:
    source = service_account.Credentials.from_service_account_info(
        vertex_emulator.service_account_info(), scopes=SCOPES
    )
    target = "runner@test-project.iam.gserviceaccount.com"
    credentials = impersonated_credentials.Credentials(
        source_credentials=source,
        target_principal=target,
        target_scopes=SCOPES,
        lifetime=600,
        iam_endpoint_override=vertex_emulator.iam_endpoint(target),
    )
    credentials.refresh(google_request())
    expected_expiry = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(seconds=600)
    assert credentials.expiry is not None
    assert abs((credentials.expiry - expected_expiry).total_seconds()) < 5
    assert call_model(vertex_emulator, credentials.token).status_code == 200
    assert [r.route for r in vertex_emulator.token_requests] == ["token", "iam"]
    iam = vertex_emulator.token_requests[1]
    assert iam.body["scope"] == SCOPES
    assert iam.body["lifetime"] == "600s"
    assert iam.path.endswith(f"/serviceAccounts/{target}:generateAccessToken")


def iam_post(emu: VertexEmulator, body: Any, token: str | None) -> httpx2.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    target = "runner@test-project.iam.gserviceaccount.com"
    return httpx2.post(emu.iam_endpoint(target), json=body, headers=headers)


def test_generate_access_token_answers_a_utc_expire_time(vertex_emulator: VertexEmulator) -> None:
    response = iam_post(
        vertex_emulator, {"scope": SCOPES, "lifetime": "120s"}, vertex_emulator.issue_token()
    )
    assert response.status_code == 200
    answer = response.json()
    expiry = datetime.strptime(answer["expireTime"], "%Y-%m-%dT%H:%M:%SZ")
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    assert timedelta(seconds=110) < expiry - now <= timedelta(seconds=121)
    assert call_model(vertex_emulator, answer["accessToken"]).status_code == 200


@pytest.mark.parametrize(
    ("body", "use_token", "status"),
    [
        ({"scope": SCOPES}, False, 401),
        ({"lifetime": "60s"}, True, 400),
        ({"scope": SCOPES, "lifetime": "7200s"}, True, 400),
        ({"scope": SCOPES, "lifetime": "soon"}, True, 400),
        ({"scope": SCOPES, "delegates": "not-a-list"}, True, 400),
    ],
    ids=["no-bearer", "no-scope", "lifetime-too-long", "lifetime-malformed", "bad-delegates"],
)
def test_generate_access_token_refuses_bad_calls(
    vertex_emulator: VertexEmulator, body: dict[str, Any], use_token: bool, status: int
) -> None:
    token = vertex_emulator.issue_token() if use_token else None
    response = iam_post(vertex_emulator, body, token)
    assert response.status_code == status
    assert response.json()["error"]["code"] == status


def post_token(emu: VertexEmulator, form: dict[str, str]) -> httpx2.Response:
    return httpx2.post(emu.token_uri, data=form)


def signed_assertion(emu: VertexEmulator, **claims: Any) -> str:
    info = emu.service_account_info()
    signer = crypt.RSASigner.from_service_account_info(info)
    now = int(time.time())
    payload = {
        "iss": info["client_email"],
        "aud": emu.token_uri,
        "scope": SCOPES[0],
        "iat": now,
        "exp": now + 600,
        **claims,
    }
    encoded: bytes = jwt.encode(signer, payload)
    return encoded.decode()


def test_token_endpoint_accepts_its_own_uri_as_audience(vertex_emulator: VertexEmulator) -> None:
    response = post_token(
        vertex_emulator, {"grant_type": JWT_GRANT, "assertion": signed_assertion(vertex_emulator)}
    )
    assert response.status_code == 200
    assert response.json()["expires_in"] == 3600
    assert response.json()["token_type"] == "Bearer"


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        ({"aud": "https://elsewhere.example/token"}, "invalid_grant"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "invalid_grant"),
        ({"iss": "stranger@other.iam.gserviceaccount.com"}, "invalid_grant"),
        ({"scope": ""}, "invalid_scope"),
        ({"target_audience": "https://service.example"}, "invalid_request"),
    ],
    ids=["wrong-audience", "expired", "unknown-issuer", "no-scope", "id-token-request"],
)
def test_token_endpoint_refuses_bad_assertions(
    vertex_emulator: VertexEmulator, claims: dict[str, Any], error: str
) -> None:
    assertion = signed_assertion(vertex_emulator, **claims)
    response = post_token(vertex_emulator, {"grant_type": JWT_GRANT, "assertion": assertion})
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.json()["error_description"]


def test_token_endpoint_refuses_a_tampered_assertion(vertex_emulator: VertexEmulator) -> None:
    header, payload, signature = signed_assertion(vertex_emulator).split(".")
    altered = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    forged = ".".join([header, payload, altered])
    response = post_token(vertex_emulator, {"grant_type": JWT_GRANT, "assertion": forged})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_key_the_emulator_did_not_issue_is_refused(vertex_emulator: VertexEmulator) -> None:
    own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    info = {
        **vertex_emulator.service_account_info(),
        "private_key_id": "0" * 40,
        "private_key": own_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
    }
    credentials = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
    with pytest.raises(exceptions.RefreshError, match="invalid_grant"):
        credentials.refresh(google_request())
    assert vertex_emulator.token_requests[0].status == 400


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"refresh_token": "1//unknown"}, 400, "invalid_grant"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ],
    ids=["unknown-refresh-token", "wrong-client-secret", "unsupported-grant"],
)
def test_token_endpoint_refuses_bad_refresh_grants(
    vertex_emulator: VertexEmulator, change: dict[str, str], status: int, error: str
) -> None:
    info = vertex_emulator.authorized_user_info()
    form = {
        "grant_type": "refresh_token",
        "refresh_token": info["refresh_token"],
        "client_id": info["client_id"],
        "client_secret": info["client_secret"],
        **change,
    }
    response = post_token(vertex_emulator, form)
    assert response.status_code == status
    assert response.json()["error"] == error


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("token", [None, "ya29.not-from-the-emulator"], ids=["missing", "unknown"])
def test_model_routes_need_a_token_the_emulator_issued(
    vertex_emulator: VertexEmulator, token: str | None, stream: bool
) -> None:
    response = call_model(vertex_emulator, token, stream=stream)
    assert response.status_code == 401
    payload = response.json()
    error = payload[0]["error"] if stream else payload["error"]
    assert error["status"] == "UNAUTHENTICATED"
    assert error["code"] == 401
    assert error["message"].startswith("Request had invalid authentication credentials.")


def test_sdk_sees_an_authentication_error_for_a_bad_token(vertex_emulator: VertexEmulator) -> None:
    with (
        anthropic.AnthropicVertex(
            base_url=vertex_emulator.base_url,
            region=REGION,
            project_id=vertex_emulator.project,
            access_token="ya29.forged",
            max_retries=0,
        ) as client,
        pytest.raises(anthropic.AuthenticationError),
    ):
        client.post(
            vertex_emulator.model_url(SONNET, REGION), body=BODY, cast_to=anthropic.types.Message
        )


def test_expire_tokens_invalidates_every_issued_token() -> None:
    with VertexEmulator() as emulator:  # its own: the session's tokens must stay valid
        token = emulator.issue_token()
        assert call_model(emulator, token).status_code == 200
        emulator.expire_tokens()
        assert call_model(emulator, token).status_code == 401
        assert call_model(emulator, emulator.issue_token()).status_code == 200


def test_a_token_expires_after_its_lifetime(vertex_emulator: VertexEmulator) -> None:
    token = vertex_emulator.issue_token(lifetime=0.2)
    assert call_model(vertex_emulator, token).status_code == 200
    time.sleep(0.25)
    assert call_model(vertex_emulator, token).status_code == 401
