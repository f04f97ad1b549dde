"""Credentials: every source, shared providers, single-flight refresh, quota project."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from pathlib import Path

import pytest

from claude_vertex import (
    AuthenticationError,
    CredentialsError,
    Impersonation,
    VertexClient,
    token_provider,
)
from claude_vertex.testing import VertexEmulator
from tests.helpers import MakeSettings, hello, user_credentials
from tests.stalling_server import StallingServer


def token_grants(emulator: VertexEmulator) -> int:
    return sum(1 for r in emulator.token_requests if r.route == "token" and r.status == 200)


def test_service_account_key_file_gets_a_token_from_token_uri(
    client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    client.create(hello())
    assert token_grants(vertex_emulator) == 1
    (grant,) = vertex_emulator.token_requests
    assert b"jwt-bearer" in grant.raw_body


def test_many_calls_across_several_clients_make_one_token_request(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    clients = [VertexClient(make_settings(region=r)) for r in ("global", "us-east5", "eu")]
    for client in clients:
        for _ in range(3):
            client.create(hello())

    async def in_async() -> None:
        await asyncio.gather(*(c.acreate(hello()) for c in clients for _ in range(5)))

    asyncio.run(in_async())
    assert len(vertex_emulator.requests) == 9 + 15
    assert token_grants(vertex_emulator) == 1
    for client in clients:
        client.close()


def test_concurrent_async_callers_share_one_refresh(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    client = VertexClient(make_settings())

    async def burst() -> None:
        await asyncio.gather(*(client.acreate(hello()) for _ in range(50)))

    asyncio.run(burst())
    assert token_grants(vertex_emulator) == 1


def test_concurrent_threads_share_one_refresh(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    client = VertexClient(make_settings())
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.create(hello())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert token_grants(vertex_emulator) == 1
    client.close()


def test_refresh_never_runs_on_the_event_loop_thread(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    settings = make_settings()
    creds = settings.tokens.credentials
    assert creds is not None
    threads: list[str] = []
    original = creds.refresh

    def spy(request: object) -> None:
        threads.append(threading.current_thread().name)
        original(request)

    creds.refresh = spy  # type: ignore[method-assign]

    async def call() -> None:
        loop_thread = threading.current_thread().name
        await VertexClient(settings).acreate(hello())
        assert threads
        assert loop_thread not in threads

    asyncio.run(call())


def test_token_is_refreshed_ahead_of_expiry_without_making_callers_wait(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    settings = make_settings()
    client = VertexClient(settings)
    client.create(hello())
    creds = settings.tokens.credentials
    assert creds is not None
    old = creds.token
    # Four minutes left: still valid for google-auth, but inside our five-minute window.
    creds.expiry = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(
        minutes=4, seconds=30
    )
    client.create(hello())
    assert vertex_emulator.requests[-1].headers["authorization"] == f"Bearer {old}"
    for _ in range(250):  # the background refresh lands within a few milliseconds
        if creds.token != old:
            break
        threading.Event().wait(0.02)
    assert token_grants(vertex_emulator) == 2
    client.create(hello())
    assert vertex_emulator.requests[-1].headers["authorization"] != f"Bearer {old}"
    client.close()


def test_info_dict_credentials(
    vertex_emulator: VertexEmulator, make_settings: MakeSettings
) -> None:
    info = vertex_emulator.service_account_info()
    with VertexClient(make_settings(credentials=info)) as client:
        assert client.create(hello()).role == "assistant"


def test_credentials_object_is_used_and_shared(
    vertex_emulator: VertexEmulator, make_settings: MakeSettings
) -> None:
    from google.oauth2 import service_account

    creds = service_account.Credentials.from_service_account_info(
        vertex_emulator.service_account_info()
    )
    first, second = make_settings(credentials=creds), make_settings(credentials=creds)
    assert first.tokens is second.tokens
    with VertexClient(first) as a, VertexClient(second) as b:
        a.create(hello())
        b.create(hello())
    assert token_grants(vertex_emulator) == 1


def test_authorized_user_refresh_token_flow(
    vertex_emulator: VertexEmulator, make_settings: MakeSettings
) -> None:
    creds = user_credentials(vertex_emulator, quota_project=True)
    with VertexClient(make_settings(credentials=creds)) as client:
        client.create(hello())
    assert b"grant_type=refresh_token" in vertex_emulator.token_requests[0].raw_body
    assert (
        vertex_emulator.requests[0].headers["x-goog-user-project"]
        == vertex_emulator.authorized_user_info()["quota_project_id"]
    )


def test_authorized_user_info_is_loaded_as_user_credentials(
    vertex_emulator: VertexEmulator,
) -> None:
    from google.oauth2 import credentials as google_user

    provider = token_provider(vertex_emulator.authorized_user_info())
    assert isinstance(provider.credentials, google_user.Credentials)
    assert provider.quota_project_id == vertex_emulator.project


def test_application_default_credentials_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
    vertex_key_file: Path,
    vertex_emulator: VertexEmulator,
    make_settings: MakeSettings,
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(vertex_key_file))
    with VertexClient(make_settings(credentials=None, project=None)) as client:
        assert client.settings.project == vertex_emulator.project  # the key's project
        client.create(hello())
    assert token_grants(vertex_emulator) == 1


def test_static_access_token(vertex_emulator: VertexEmulator, make_settings: MakeSettings) -> None:
    token = vertex_emulator.issue_token()
    with VertexClient(make_settings(credentials=None, access_token=token)) as client:
        client.create(hello())
    assert vertex_emulator.requests[0].headers["authorization"] == f"Bearer {token}"
    assert vertex_emulator.token_requests == []


def test_impersonation_uses_generate_access_token(
    vertex_emulator: VertexEmulator, make_settings: MakeSettings
) -> None:
    target = "agent@test-project.iam.gserviceaccount.com"
    imp = Impersonation(target, iam_endpoint_override=vertex_emulator.iam_endpoint(target))
    with VertexClient(make_settings(impersonate=imp)) as client:
        client.create(hello())
    routes = [r.route for r in vertex_emulator.token_requests]
    assert routes == ["token", "iam"]
    iam_token = vertex_emulator.requests[0].headers["authorization"]
    assert iam_token.startswith("Bearer ")
    assert target in vertex_emulator.token_requests[1].path


def test_quota_project_becomes_x_goog_user_project(
    vertex_emulator: VertexEmulator, make_settings: MakeSettings
) -> None:
    with VertexClient(make_settings(quota_project_id="billing-project")) as client:
        client.create(hello())
    assert vertex_emulator.requests[0].headers["x-goog-user-project"] == "billing-project"


def test_no_quota_project_sends_no_header(
    client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    client.create(hello())
    assert "x-goog-user-project" not in vertex_emulator.requests[0].headers


def test_a_token_vertex_did_not_issue_is_an_authentication_error(
    vertex_emulator: VertexEmulator, make_settings: MakeSettings
) -> None:
    with (
        VertexClient(
            make_settings(credentials=None, access_token="ya29.forged"), max_retries=0
        ) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.create(hello())
    assert "gcloud auth application-default login" in str(caught.value)
    assert "ya29.forged" not in str(caught.value)


def test_missing_key_file_is_a_credentials_error(
    make_settings: MakeSettings, tmp_path: Path
) -> None:
    with pytest.raises(CredentialsError, match="does not exist"):
        make_settings(credentials=tmp_path / "nope.json")


def test_refused_grant_is_a_credentials_error_without_secrets(
    vertex_emulator: VertexEmulator, make_settings: MakeSettings
) -> None:
    creds = user_credentials(vertex_emulator, "1//revoked-refresh-token")
    with (
        VertexClient(make_settings(credentials=creds), max_retries=0) as client,
        pytest.raises(CredentialsError) as caught,
    ):
        client.create(hello())
    assert "revoked-refresh-token" not in str(caught.value)
    assert "invalid_grant" in str(caught.value)
    assert vertex_emulator.requests == []


def test_provider_repr_holds_no_secret(vertex_emulator: VertexEmulator) -> None:
    provider = token_provider(vertex_emulator.service_account_info())
    provider.token()
    assert "PRIVATE KEY" not in repr(provider)
    assert provider.credentials is not None
    assert str(provider.credentials.token) not in repr(provider)


# -- refreshes that are slow, hung or given up on ------------------------------------------------
def stalling_key(emulator: VertexEmulator, server: StallingServer, name: str) -> dict[str, str]:
    """A service-account key of its own whose token endpoint is ``server``."""
    info = emulator.service_account_info(f"{name}@{emulator.project}.iam.gserviceaccount.com")
    return {**info, "token_uri": server.token_uri}


async def test_a_cancelled_wait_never_disables_the_refresh(
    vertex_emulator: VertexEmulator,
) -> None:
    with StallingServer() as server:
        server.token = vertex_emulator.issue_token()
        providers = [
            token_provider(stalling_key(vertex_emulator, server, f"slow-{i}")) for i in range(5)
        ]
        first_four = [asyncio.ensure_future(p.atoken()) for p in providers[:4]]
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(providers[4].atoken(), 0.5)  # cancels the wait
        server.gate.set()
        assert await asyncio.gather(*first_four) == [server.token] * 4
        assert await asyncio.wait_for(providers[4].atoken(), 10) == server.token
        assert await asyncio.to_thread(providers[4].token) == server.token
    assert server.token_requests == 5


async def test_slow_credentials_do_not_stall_other_credentials(
    vertex_emulator: VertexEmulator, vertex_key_file: Path
) -> None:
    with StallingServer() as server:
        slow = [
            token_provider(stalling_key(vertex_emulator, server, f"stuck-{i}")) for i in range(6)
        ]
        stuck = [asyncio.ensure_future(p.atoken()) for p in slow]
        await asyncio.sleep(0.2)
        fast = token_provider(vertex_key_file)
        assert await asyncio.wait_for(fast.atoken(), 5)  # while six refreshes hang
        assert await asyncio.wait_for(asyncio.to_thread(fast.token), 5)
        assert not any(task.done() for task in stuck)
        for task in stuck:
            task.cancel()
        await asyncio.gather(*stuck, return_exceptions=True)


async def test_a_wait_cancelled_as_its_refresh_ends_is_cancelled(
    vertex_emulator: VertexEmulator,
) -> None:
    """A cancellation that meets the refresh's token on its way is not swallowed.

    The refresh hands its token over from its own thread; the event loop (blocked here
    meanwhile) runs that hand-over before the cancelled wait resumes. ``asyncio.wait_for``
    of Python before 3.12 then returns the token and drops the cancellation, and the
    cancelled call would carry on to Vertex (found by the hostile soak).
    """
    with StallingServer() as server:
        server.token = vertex_emulator.issue_token()
        provider = token_provider(stalling_key(vertex_emulator, server, "cancelled"))
        waiting = asyncio.ensure_future(provider.atoken(timeout=10))
        await asyncio.sleep(0.2)  # the wait and the refresh are under way
        server.gate.set()
        while provider.refresh_count == 0:  # the loop stays blocked: no task runs
            threading.Event().wait(0.01)
        threading.Event().wait(0.2)  # the refresh hands its token over meanwhile
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert await asyncio.wait_for(provider.atoken(), 5) == server.token
