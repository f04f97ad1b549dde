"""Access tokens for Vertex AI: loading credentials, sharing them, refreshing them once.

One :class:`TokenProvider` exists per set of credentials in a process, and every client built
from those credentials, sync or async, asks it for tokens. Refreshes are single-flight (one
refresh in flight whatever the number of callers), start ahead of expiry so callers rarely
wait, and always run on a thread of their own, never on an event loop's thread: a slow token
endpoint delays only the callers of its own credentials, and a caller that stops waiting
(cancelled, timed out) never stops the refresh others wait for.

Credentials can be given as:

* nothing: Application Default Credentials (``google.auth.default()``);
* a path to a JSON key file (service account, authorized user, external account...);
* a dict of such a file's contents;
* a ``google.auth.credentials.Credentials`` object;
* a static access token (``access_token=``), which is never refreshed;

and any of the first four can impersonate a target service account.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import functools
import hashlib
import json
import os
import threading
import weakref
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from .errors import CredentialsError

if TYPE_CHECKING:
    import httpx2
    from google.auth.credentials import Credentials as GoogleCredentials

__all__ = [
    "CLOUD_PLATFORM_SCOPE",
    "CredentialsIdentity",
    "CredentialsSource",
    "Impersonation",
    "TokenProvider",
    "auth_headers",
    "credentials_identity",
    "token_provider",
]

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
_SCOPES = (CLOUD_PLATFORM_SCOPE,)

#: Refresh this long before expiry, in the background, while the old token still serves.
REFRESH_AHEAD = dt.timedelta(minutes=5)

#: How long one HTTP exchange of a refresh may take to connect, and to send each read, instead
#: of google-auth's 120 s default. A caller waits at most what is left of its call's deadline.
REFRESH_TIMEOUT = 30.0

#: What ``credentials=`` accepts.
CredentialsSource = Union[None, str, "os.PathLike[str]", Mapping[str, Any], "GoogleCredentials"]


@dataclass(frozen=True)
class Impersonation:
    """Act as ``target_principal`` with the caller's credentials (IAM ``generateAccessToken``)."""

    target_principal: str
    delegates: tuple[str, ...] = ()
    #: The full ``generateAccessToken`` URL, for regional IAM endpoints or tests.
    iam_endpoint_override: str | None = None
    lifetime: int = 3600


def _utcnow() -> dt.datetime:
    # google-auth keeps expiry as a naive UTC datetime.
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class TokenProvider:
    """Hands out access tokens for one set of credentials, refreshing them single-flight.

    Get one with :func:`token_provider`, which returns the same provider for the same
    credentials. Thread-safe and usable from any number of event loops.
    """

    def __init__(
        self,
        *,
        credentials: GoogleCredentials | None = None,
        static_token: str | None = None,
        project_id: str | None = None,
        description: str,
    ) -> None:
        if (credentials is None) == (static_token is None):
            raise ValueError("Give exactly one of credentials and static_token.")
        self._credentials = credentials
        self._static_token = static_token
        #: The project the credentials belong to, if they name one.
        self.project_id = project_id
        #: Where the credentials came from, for messages (never secret).
        self.description = description
        #: How many refreshes completed (a figure for tests and benchmarks).
        self.refresh_count = 0
        self._lock = threading.Lock()
        self._inflight: concurrent.futures.Future[str] | None = None
        self._request: Any = None

    def __repr__(self) -> str:
        return f"TokenProvider({self.description})"

    @property
    def quota_project_id(self) -> str | None:
        """The project billed for quota, sent as ``x-goog-user-project`` when set."""
        value = getattr(self._credentials, "quota_project_id", None)
        return value if isinstance(value, str) and value else None

    @property
    def seconds_left(self) -> float | None:
        """Seconds until the held token expires; None without a token or a known expiry."""
        expiry = getattr(self._credentials, "expiry", None)
        if expiry is None or not getattr(self._credentials, "token", None):
            return None
        return float((expiry - _utcnow()).total_seconds())

    @property
    def refreshable(self) -> bool:
        """Whether a new token can be had (false for a static access token)."""
        return self._credentials is not None

    @property
    def credentials(self) -> GoogleCredentials | None:
        """The google-auth credentials behind this provider (None for a static token)."""
        return self._credentials

    # -- state ---------------------------------------------------------------------------
    def _current(self, *, ahead: dt.timedelta) -> str | None:
        """The held token if it stays valid for at least ``ahead`` more, else None."""
        creds = self._credentials
        token = getattr(creds, "token", None)
        if not token:
            return None
        expiry = getattr(creds, "expiry", None)
        if expiry is None:
            return None if creds is not None and creds.expired else str(token)
        return str(token) if expiry - _utcnow() > ahead else None

    def _usable(self) -> str | None:
        # google-auth's own margin: it calls a token expired 3 min 45 s before it is.
        creds = self._credentials
        if creds is None or not creds.token or creds.expired:
            return None
        return str(creds.token)

    # -- refresh -------------------------------------------------------------------------
    def _start_refresh(self, *, force: bool = False) -> concurrent.futures.Future[str]:
        with self._lock:
            if self._inflight is not None:
                return self._inflight
            fresh = None if force else self._current(ahead=REFRESH_AHEAD)
            if fresh is not None:
                done: concurrent.futures.Future[str] = concurrent.futures.Future()
                done.set_result(fresh)
                return done
            # Marked running at once, so no waiter can cancel it: a waiter's cancellation
            # (asyncio.wrap_future passes it on) must never stop the refresh.
            future = self._inflight = concurrent.futures.Future()
            future.set_running_or_notify_cancel()
        worker = threading.Thread(
            target=self._settle, args=(future,), name="claude-vertex-auth", daemon=True
        )
        try:
            worker.start()
        except RuntimeError:  # the process is at its thread limit
            with self._lock:
                self._inflight = None
            future.set_exception(
                CredentialsError(
                    f"No thread could be started to refresh {self.description}; the process "
                    "is at its thread limit. Retry when fewer threads run."
                )
            )
        return future

    def _settle(self, future: concurrent.futures.Future[str]) -> None:
        """Run one refresh on this (its own) thread and hand its outcome to the waiters."""
        try:
            token = self._refresh()
        except BaseException as exc:  # every outcome reaches the waiters, as an executor does
            future.set_exception(exc)
        else:
            future.set_result(token)

    def _refresh(self) -> str:
        try:
            if self._request is None:
                from google.auth.transport.requests import Request

                self._request = functools.partial(Request(), timeout=REFRESH_TIMEOUT)
            assert self._credentials is not None
            failure = _refresh_credentials(self._credentials, self._request, self.description)
            if failure is not None:
                raise failure
            token = self._credentials.token
            if not token:
                raise CredentialsError(f"Refreshing {self.description} returned no access token.")
            self.refresh_count += 1
            return str(token)
        finally:
            with self._lock:
                self._inflight = None

    def _token_or_refresh(self) -> str | concurrent.futures.Future[str]:
        """A token that can be used now, or the refresh to wait for."""
        if self._static_token is not None:
            return self._static_token
        fresh = self._current(ahead=REFRESH_AHEAD)
        if fresh is not None:
            return fresh
        # Read before the refresh starts: a refresh that finishes at once must not decide
        # which token this caller gets (it gets the one held, and never waits for a new one).
        usable = self._usable()
        future = self._start_refresh()
        return future if usable is None else usable  # a usable token: refresh in background

    def token(self, timeout: float | None = None) -> str:
        """A valid access token, refreshing (once, for all callers) when needed. Blocking.

        Args:
            timeout: the most seconds to wait for a refresh; None waits for it to end (each
                of its HTTP exchanges is bounded by :data:`REFRESH_TIMEOUT`).

        Raises:
            CredentialsError: the refresh failed, or did not end within ``timeout``; it goes
                on for the next caller.
        """
        got = self._token_or_refresh()
        if isinstance(got, str):
            return got
        try:
            return got.result(timeout)
        except concurrent.futures.TimeoutError:
            raise self._too_slow(timeout) from None

    async def atoken(self, timeout: float | None = None) -> str:
        """The async form of :meth:`token`; waits without blocking the event loop."""
        got = self._token_or_refresh()
        if isinstance(got, str):
            return got
        # asyncio.wait, not wait_for: before Python 3.12, a wait_for cancelled just as the
        # refresh hands its token over returns the token and drops the cancellation.
        waiter = asyncio.wrap_future(got)
        try:
            done, _ = await asyncio.wait({waiter}, timeout=timeout)
        finally:
            waiter.cancel()  # a no-op once done; the refresh itself goes on regardless
        if not done:
            raise self._too_slow(timeout)
        return waiter.result()

    def _too_slow(self, timeout: float | None) -> CredentialsError:
        return CredentialsError(
            f"No access token from {self.description} within the {timeout or 0:.1f} s left "
            "of the call's deadline: its token endpoint is slow or unreachable. Check the "
            "network path to it, or give the call a longer deadline."
        )

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (after a 401) so the next call refreshes; a no-op for static tokens."""
        creds = self._credentials
        if creds is not None and getattr(creds, "token", None) == token:
            with self._lock:
                if self._inflight is None:
                    creds.token = None


def auth_headers(tokens: TokenProvider, token: str) -> dict[str, str]:
    """The headers that authorize a Vertex request with ``token`` from ``tokens``.

    ``Authorization: Bearer``, and ``x-goog-user-project`` when the credentials name a quota
    project.
    """
    headers = {"Authorization": f"Bearer {token}"}
    quota = tokens.quota_project_id
    if quota:
        headers["x-goog-user-project"] = quota
    return headers


def authorized_request(
    http: httpx2.Client,
    method: str,
    url: str,
    tokens: TokenProvider,
    *,
    timeout: float,
    **request: Any,
) -> httpx2.Response:
    """``http``'s answer to a request authorized with a token from ``tokens``.

    A 401 refreshes the token and sends the request once more, as model calls do; transport
    errors propagate. ``timeout`` bounds the wait for a token; ``request`` goes to
    ``http.request`` (``json=``, ``params=``...).
    """
    token = tokens.token(timeout=timeout)
    response = http.request(method, url, headers=auth_headers(tokens, token), **request)
    if response.status_code == 401 and tokens.refreshable:
        tokens.invalidate(token)
        token = tokens.token(timeout=timeout)
        response = http.request(method, url, headers=auth_headers(tokens, token), **request)
    return response


@dataclass(frozen=True)
class CredentialsIdentity:
    """Who the credentials of a :class:`TokenProvider` act as. Holds no secret.

    Attributes:
        kind: ``service account``, ``user``, ``external account``, ``impersonated service
            account``, ``Compute Engine`` (the metadata server), ``static access token``, or
            the credentials' class name.
        principal: the service-account email, the user account, the external account's
            audience or the impersonated target, when the credentials say; else None.
    """

    kind: str
    principal: str | None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def credentials_identity(tokens: TokenProvider) -> CredentialsIdentity:
    """The kind and principal of ``tokens``' credentials, read without any network I/O.

    Compute Engine credentials say ``default`` until a token has been fetched.
    """
    creds = tokens.credentials
    if creds is None:
        return CredentialsIdentity("static access token", None)
    from google.auth import compute_engine, external_account, impersonated_credentials
    from google.oauth2 import credentials as user_credentials
    from google.oauth2 import service_account

    email = _text(getattr(creds, "service_account_email", None))
    if isinstance(creds, impersonated_credentials.Credentials):
        return CredentialsIdentity("impersonated service account", email)
    if isinstance(creds, service_account.Credentials):
        return CredentialsIdentity("service account", email)
    if isinstance(creds, user_credentials.Credentials):
        return CredentialsIdentity("user", _text(getattr(creds, "account", None)))
    if isinstance(creds, external_account.Credentials):
        audience = _text(creds.info.get("audience"))
        return CredentialsIdentity("external account", email or audience)
    if isinstance(creds, compute_engine.Credentials):
        return CredentialsIdentity("Compute Engine", email)
    return CredentialsIdentity(type(creds).__name__, email)


def _refresh_credentials(
    credentials: GoogleCredentials, request: Any, description: str
) -> CredentialsError | None:
    """Refresh ``credentials``; the typed error if that failed, else None.

    The error is returned, not raised inside the ``except``, so it carries no link to
    google-auth's exception: those frames' locals hold the refresh token, client secret or
    signed assertion, and error trackers record locals along the whole chain.
    """
    try:
        credentials.refresh(request)
    # google-auth raises its own errors for a refused grant, and TypeError, ValueError,
    # OverflowError, KeyError... for a token response of the wrong shape or types.
    except Exception as exc:
        return CredentialsError(
            f"Could not get an access token from {description}: {type(exc).__name__}: "
            f"{_sentence(_safe_message(exc))} Check that the credentials are valid and not revoked "
            "(`gcloud auth application-default login` renews user credentials), and that "
            "their token endpoint is reachable and answers OAuth token responses."
        )
    return None


def _safe_message(exc: BaseException) -> str:
    """An exception's text without anything that looks like a token or key."""
    text = str(exc.args[0]) if exc.args else str(exc)
    for marker in ("ya29.", "-----BEGIN", "access_token", "refresh_token", "assertion"):
        cut = text.find(marker)
        if cut != -1:
            text = text[:cut] + "[redacted]"
    return text[:500]


def _sentence(text: str) -> str:
    """``text`` ending in exactly one full stop (google-auth's messages end in one already)."""
    return text.rstrip().rstrip(".") + "."


# -- loading -------------------------------------------------------------------------------
def _fingerprint(data: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _describe(info: Mapping[str, Any], origin: str) -> str:
    kind = info.get("type", "credentials")
    who = info.get("client_email") or info.get("service_account_impersonation_url") or ""
    return f"{kind} {who} from {origin}".replace("  ", " ").strip()


def _from_info(info: Mapping[str, Any]) -> tuple[GoogleCredentials, str | None]:
    """Credentials of the type ``info["type"]`` names, loaded by that type's own loader.

    google-auth's generic loaders are deprecated for configurations from untrusted sources;
    the common types are loaded explicitly, and the rest (external accounts) go through the
    generic loader so its security warning still reaches the caller.
    """
    kind = info.get("type")
    if kind == "service_account":
        from google.oauth2 import service_account

        creds: Any = service_account.Credentials.from_service_account_info(
            info, scopes=list(_SCOPES)
        )
        return creds, info.get("project_id")
    if kind == "authorized_user":
        from google.oauth2 import credentials as user_credentials

        creds = user_credentials.Credentials.from_authorized_user_info(info, scopes=list(_SCOPES))
        return creds, info.get("quota_project_id")
    if kind == "impersonated_service_account":
        from google.auth import impersonated_credentials

        creds = impersonated_credentials.Credentials.from_impersonated_service_account_info(
            info, scopes=list(_SCOPES)
        )
        return creds, None
    import google.auth

    creds, project = google.auth.load_credentials_from_dict(dict(info), scopes=list(_SCOPES))
    return creds, project


#: The variable naming a key file for Application Default Credentials (google-auth reads it).
KEY_FILE_ENV = "GOOGLE_APPLICATION_CREDENTIALS"


def _load_failed(source: CredentialsSource, exc: BaseException) -> CredentialsError:
    """The error for credentials google-auth could not load.

    It names the key file variable as the source when Application Default Credentials read it.
    """
    path = os.environ.get(KEY_FILE_ENV) if source is None else None
    origin = f" from ${KEY_FILE_ENV}={path!r}" if path else ""
    advice = (
        f"Fix the file ${KEY_FILE_ENV} names, or unset it to use the credentials of "
        "`gcloud auth application-default login`."
        if path
        else "Run `gcloud auth application-default login`, set GOOGLE_APPLICATION_CREDENTIALS, "
        "or pass credentials=<key file path, info dict or google.auth Credentials>."
    )
    return CredentialsError(
        f"Could not load Google credentials{origin}: {type(exc).__name__}: "
        f"{_sentence(_safe_message(exc))} {advice}"
    )


def _check_key_file_variable() -> None:
    """Raise if ``GOOGLE_APPLICATION_CREDENTIALS`` names a file that does not exist.

    google-auth says only "File ... was not found"; this names the variable as the source.
    """
    path = os.environ.get(KEY_FILE_ENV)
    if path and not os.path.exists(path):
        raise CredentialsError(
            f"${KEY_FILE_ENV} names the key file {path!r}, which does not exist. Point it at "
            "a service-account key (JSON) or an authorized-user file, or unset it to use "
            "the credentials of `gcloud auth application-default login`."
        )


def _load(source: CredentialsSource) -> tuple[GoogleCredentials, str | None, str]:
    """Load credentials, their project and a description from any accepted source."""
    import google.auth
    from google.auth import exceptions as google_exceptions
    from google.auth.credentials import Credentials as GoogleCredentialsType

    try:
        if source is None:
            _check_key_file_variable()
            creds, project = google.auth.default(scopes=list(_SCOPES))
            return creds, project, "Application Default Credentials"
        if isinstance(source, GoogleCredentialsType):
            from google.auth.credentials import with_scopes_if_required

            scoped = with_scopes_if_required(source, list(_SCOPES))
            project = getattr(source, "project_id", None) or getattr(source, "_project_id", None)
            return scoped, project, f"{type(source).__name__} object"
        if isinstance(source, Mapping):
            creds, project = _from_info(source)
            return creds, project, _describe(source, "a dict")
        path = Path(os.fspath(source)).expanduser()
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CredentialsError(
                f"Credentials file {str(path)!r} does not exist. Pass the path of a "
                "service-account key (JSON) or an authorized-user file."
            ) from None
        except (OSError, ValueError) as exc:
            raise CredentialsError(
                f"Credentials file {str(path)!r} is not readable JSON ({type(exc).__name__})."
            ) from None
        if not isinstance(info, dict):
            raise CredentialsError(f"Credentials file {str(path)!r} does not hold a JSON object.")
        creds, project = _from_info(info)
        return creds, project, _describe(info, f"file {path.name!r}")
    except (google_exceptions.GoogleAuthError, ValueError, KeyError) as exc:
        raise _load_failed(source, exc) from None
    except TypeError as exc:
        raise CredentialsError(
            f"Unsupported credentials of type {type(source).__name__}: {exc}. Pass a key file "
            "path, a dict of its contents, or a google.auth.credentials.Credentials object."
        ) from None


def _impersonate(
    source: GoogleCredentials, imp: Impersonation, quota_project_id: str | None
) -> GoogleCredentials:
    from google.auth import impersonated_credentials

    return impersonated_credentials.Credentials(
        source_credentials=source,
        target_principal=imp.target_principal,
        target_scopes=list(_SCOPES),
        delegates=list(imp.delegates) or None,
        lifetime=imp.lifetime,
        quota_project_id=quota_project_id,
        iam_endpoint_override=imp.iam_endpoint_override,
    )


_registry_lock = threading.Lock()
_by_key: dict[Hashable, TokenProvider] = {}
_by_object: weakref.WeakKeyDictionary[Any, dict[Hashable, TokenProvider]] = (
    weakref.WeakKeyDictionary()
)


def _source_key(source: CredentialsSource) -> Hashable | None:
    """A key naming the credentials without holding secrets; None for objects."""
    if source is None:
        return ("adc", os.environ.get(KEY_FILE_ENV, ""))
    if isinstance(source, Mapping):
        return ("info", _fingerprint(source))
    if isinstance(source, (str, os.PathLike)):
        path = Path(os.fspath(source)).expanduser()
        try:
            stat = path.stat()
        except OSError:
            return ("file", str(path))
        return ("file", str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    return None


def token_provider(
    credentials: CredentialsSource = None,
    *,
    access_token: str | None = None,
    impersonate: Impersonation | str | None = None,
    quota_project_id: str | None = None,
) -> TokenProvider:
    """The shared token provider for these credentials (created on first use).

    Args:
        credentials: see the module docstring; None means Application Default Credentials.
        access_token: a static OAuth access token; overrides ``credentials``; never refreshed.
        impersonate: a service-account email (or :class:`Impersonation`) to act as.
        quota_project_id: the project billed for quota (sent as ``x-goog-user-project``);
            by default the credentials' own quota project, if any.

    Raises:
        CredentialsError: the credentials cannot be loaded.
    """
    if access_token is not None:
        if not isinstance(access_token, str) or not access_token.strip():
            raise CredentialsError("access_token must be a non-empty string.")
        return TokenProvider(static_token=access_token.strip(), description="a static token")
    imp = Impersonation(impersonate) if isinstance(impersonate, str) else impersonate
    options: Hashable = (imp, quota_project_id)
    key = _source_key(credentials)
    with _registry_lock:
        if key is not None:
            found = _by_key.get((key, options))
        else:
            found = _by_object.get(credentials, {}).get(options)
        if found is not None:
            return found
        creds, project, description = _load(credentials)
        if quota_project_id and hasattr(creds, "with_quota_project"):
            creds = creds.with_quota_project(quota_project_id)
        if imp is not None:
            creds = _impersonate(creds, imp, quota_project_id)
            description = f"{imp.target_principal} impersonated by {description}"
        provider = TokenProvider(credentials=creds, project_id=project, description=description)
        if key is not None:
            _by_key[(key, options)] = provider
        else:
            _by_object.setdefault(credentials, {})[options] = provider
        return provider
