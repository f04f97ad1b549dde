"""The token side of the emulator: service-account keys, the OAuth token endpoint, IAM.

The emulator plays Google's OAuth server for the credentials it hands out: a service-account
key file whose ``token_uri`` is the emulator's ``/token`` makes google-auth sign a JWT and
exchange it here, exactly as against Google. Only tokens issued here open the model routes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import exceptions as google_exceptions
from google.auth import jwt

from claude_vertex.credentials import CLOUD_PLATFORM_SCOPE

from .error_bodies import google_error
from .replies import Reply

__all__ = [
    "CLOUD_PLATFORM_SCOPE",
    "Authority",
    "TokenStore",
    "unauthenticated",
]

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: The audience google-auth puts in every service-account assertion, whatever ``token_uri``
#: says; Google's endpoint accepts it, so the emulator does too (besides its own URI).
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL
TOKEN_LIFETIME_SECONDS = 3600
#: The longest ``lifetime`` generateAccessToken grants without an organization policy.
MAX_IMPERSONATION_SECONDS = 3600
#: Tolerated clock difference when checking a JWT's ``iat`` and ``exp``.
CLOCK_SKEW_SECONDS = 30
UNAUTHENTICATED_MESSAGE = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)

_EMAIL = re.compile(r"[^@/\s:]+@[^@/\s:]+\.[^@/\s:]+")
_LIFETIME = re.compile(r"(\d+)(?:\.\d+)?s")


def unauthenticated() -> Reply:
    """Google's 401 UNAUTHENTICATED answer."""
    return Reply.json(401, google_error(401, UNAUTHENTICATED_MESSAGE))


def _oauth_error(status: int, error: str, description: str) -> Reply:
    return Reply.json(status, {"error": error, "error_description": description})


class TokenStore:
    """The bearer tokens the emulator issued, with their expiry. Thread-safe."""

    def __init__(self) -> None:
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self, lifetime: float = TOKEN_LIFETIME_SECONDS) -> str:
        """A new token valid for ``lifetime`` seconds."""
        token = "ya29.vrtx-" + secrets.token_urlsafe(32)
        with self._lock:
            self._expiry[token] = time.monotonic() + lifetime
        return token

    def is_valid(self, token: str) -> bool:
        """Whether ``token`` was issued here and has not expired."""
        with self._lock:
            expiry = self._expiry.get(token)
        return expiry is not None and time.monotonic() < expiry

    def expire_all(self) -> None:
        """Make every issued token invalid."""
        with self._lock:
            self._expiry.clear()


@dataclass(frozen=True)
class _KeyPair:
    key_id: str
    private_pem: str
    public_pem: str

    @classmethod
    def generate(cls) -> _KeyPair:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        public = key.public_key()
        public_pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        der = public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(hashlib.sha1(der).hexdigest(), private_pem, public_pem)  # noqa: S324 - an id


@dataclass(frozen=True)
class _AuthorizedUser:
    client_id: str
    client_secret: str


class Authority:
    """Keys, users and tokens of one emulator, and the answers of its token endpoints."""

    def __init__(self, project: str) -> None:
        self.project = project
        self.tokens = TokenStore()
        self._lock = threading.Lock()
        self._key: _KeyPair | None = None
        self._emails: set[str] = set()
        self._users: dict[str, _AuthorizedUser] = {}

    # ----------------------------------------------------------- credentials

    def _key_pair(self) -> _KeyPair:
        with self._lock:
            if self._key is None:
                self._key = _KeyPair.generate()
            return self._key

    def service_account_info(self, client_email: str, base_url: str) -> dict[str, str]:
        """A complete service-account key whose endpoints are the emulator at ``base_url``."""
        if not _EMAIL.fullmatch(client_email):
            raise ValueError(f"not an email address: {client_email!r}")
        key = self._key_pair()
        with self._lock:
            self._emails.add(client_email)
        client_id = str(int(hashlib.sha256(client_email.encode()).hexdigest(), 16))[:21]
        return {
            "type": "service_account",
            "project_id": self.project,
            "private_key_id": key.key_id,
            "private_key": key.private_pem,
            "client_email": client_email,
            "client_id": client_id,
            "auth_uri": f"{base_url}/o/oauth2/auth",
            "token_uri": f"{base_url}/token",
            "auth_provider_x509_cert_url": f"{base_url}/oauth2/v1/certs",
            "client_x509_cert_url": f"{base_url}/robot/v1/metadata/x509/{client_email}",
            "universe_domain": "googleapis.com",
        }

    def authorized_user_info(self, base_url: str) -> dict[str, str]:
        """A new ``authorized_user`` credential (as gcloud writes) that refreshes here."""
        user = _AuthorizedUser(
            f"{secrets.randbelow(10**12)}-vrtx.apps.googleusercontent.com",
            "GOCSPX-" + secrets.token_urlsafe(21),
        )
        refresh_token = "1//vrtx-" + secrets.token_urlsafe(48)
        with self._lock:
            self._users[refresh_token] = user
        return {
            "type": "authorized_user",
            "client_id": user.client_id,
            "client_secret": user.client_secret,
            "refresh_token": refresh_token,
            "token_uri": f"{base_url}/token",
            "quota_project_id": self.project,
            "universe_domain": "googleapis.com",
        }

    def bearer_valid(self, authorization: str | None) -> bool:
        """Whether an ``Authorization`` header carries a valid token issued here."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        return scheme.lower() == "bearer" and self.tokens.is_valid(token.strip())

    # ----------------------------------------------------------- endpoints

    def token_endpoint(self, form: Mapping[str, str], token_uri: str) -> Reply:
        """The answer of ``POST /token`` to a form-encoded grant."""
        grant = form.get("grant_type")
        if grant == JWT_BEARER_GRANT:
            return self._jwt_grant(form.get("assertion", ""), token_uri)
        if grant == "refresh_token":
            return self._refresh_grant(form)
        return _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant}")

    def _grant(self) -> Reply:
        return Reply.json(
            200,
            {
                "access_token": self.tokens.issue(),
                "expires_in": TOKEN_LIFETIME_SECONDS,
                "token_type": "Bearer",
            },
        )

    def _jwt_grant(self, assertion: str, token_uri: str) -> Reply:
        key = self._key_pair()
        try:
            payload: dict[str, Any] = jwt.decode(
                assertion,
                certs={key.key_id: key.public_pem},
                audience=[token_uri, GOOGLE_TOKEN_AUDIENCE],
                clock_skew_in_seconds=CLOCK_SKEW_SECONDS,
            )
        except (ValueError, google_exceptions.GoogleAuthError) as problem:
            return _oauth_error(400, "invalid_grant", f"Invalid JWT: {problem}")
        with self._lock:
            known = payload.get("iss") in self._emails
        if not known:
            return _oauth_error(400, "invalid_grant", "Invalid JWT: unknown issuer.")
        if "target_audience" in payload:
            return _oauth_error(
                400, "invalid_request", "The emulator issues access tokens, not ID tokens."
            )
        if not str(payload.get("scope", "")).strip():
            return _oauth_error(
                400, "invalid_scope", "Invalid OAuth scope or ID token audience provided."
            )
        return self._grant()

    def _refresh_grant(self, form: Mapping[str, str]) -> Reply:
        with self._lock:
            user = self._users.get(form.get("refresh_token", ""))
        if user is None:
            return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        if (form.get("client_id"), form.get("client_secret")) != (
            user.client_id,
            user.client_secret,
        ):
            return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
        return self._grant()

    def generate_access_token(
        self, target_email: str, authorization: str | None, body: object
    ) -> Reply:
        """The answer of IAM ``serviceAccounts/{email}:generateAccessToken``."""
        if not self.bearer_valid(authorization):
            return unauthenticated()
        if not _EMAIL.fullmatch(target_email):
            return Reply.json(
                400, google_error(400, f"Invalid service account email: {target_email}")
            )
        if not isinstance(body, dict):
            return Reply.json(400, google_error(400, "Invalid JSON payload received."))
        scopes = body.get("scope")
        if (
            not isinstance(scopes, list)
            or not scopes
            or not all(isinstance(s, str) for s in scopes)
        ):
            return Reply.json(400, google_error(400, "Scope required."))
        delegates = body.get("delegates") or []
        if not isinstance(delegates, list) or not all(isinstance(d, str) for d in delegates):
            return Reply.json(400, google_error(400, "Invalid delegates."))
        match = _LIFETIME.fullmatch(str(body.get("lifetime", f"{TOKEN_LIFETIME_SECONDS}s")))
        lifetime = int(match.group(1)) if match else 0
        if not 0 < lifetime <= MAX_IMPERSONATION_SECONDS:
            return Reply.json(
                400,
                google_error(
                    400, f"The lifetime must be between 1s and {MAX_IMPERSONATION_SECONDS}s."
                ),
            )
        expires = datetime.now(timezone.utc) + timedelta(seconds=lifetime)
        return Reply.json(
            200,
            {
                "accessToken": self.tokens.issue(lifetime),
                "expireTime": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )
