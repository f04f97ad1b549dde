"""Resolving where and as whom to call Vertex: project, region, base URL and credentials.

:func:`resolve_settings` reads arguments first, then the environment, then the credentials,
validates every string that reaches a URL, and returns an immutable :class:`Settings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from .credentials import CredentialsSource, Impersonation, TokenProvider, token_provider
from .endpoints import base_url_for_region, validate_base_url, validate_project, validate_region
from .errors import ConfigurationError, CredentialsError
from .models import default_region, resolve_model
from .transform import VERTEX_ANTHROPIC_VERSION

__all__ = ["Settings", "resolve_settings"]

#: Environment variables read, in order of precedence, for each setting.
PROJECT_ENV = ("ANTHROPIC_VERTEX_PROJECT_ID", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT")
REGION_ENV = "CLOUD_ML_REGION"
BASE_URL_ENV = "ANTHROPIC_VERTEX_BASE_URL"


@dataclass(frozen=True)
class Settings:
    """Everything needed to reach one Vertex endpoint as one principal. Holds no secrets.

    Two settings that compare equal can share one connection pool.
    """

    project: str
    region: str
    #: ``https://host/v1`` of the endpoint (or the configured override).
    base_url: str
    #: True when ``base_url`` came from an argument or ``ANTHROPIC_VERTEX_BASE_URL``, so
    #: it serves every region (a gateway, a proxy, or the emulator).
    base_url_fixed: bool
    tokens: TokenProvider = field(compare=False, repr=False)
    anthropic_version: str = VERTEX_ANTHROPIC_VERSION
    #: Identity of the token provider, so equal settings share credentials too.
    _tokens_id: int = field(default=0, repr=False)

    def __repr__(self) -> str:
        return (f"Settings(project={self.project!r}, region={self.region!r}, "
                f"base_url={self.base_url!r}, credentials={self.tokens.description!r})")

    def for_region(self, region: str) -> Settings:
        """The same settings aimed at another endpoint."""
        validate_region(region)
        base_url = self.base_url if self.base_url_fixed else base_url_for_region(region)
        return Settings(self.project, region, base_url, self.base_url_fixed, self.tokens,
                        self.anthropic_version, self._tokens_id)


def _first_env(environ: Mapping[str, str], names: tuple[str, ...]) -> tuple[str, str] | None:
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return value, name
    return None


def _default_project() -> str | None:
    import google.auth
    from google.auth import exceptions as google_exceptions

    try:
        return google.auth.default()[1]
    except google_exceptions.GoogleAuthError:
        return None


def resolve_settings(
    *,
    model: str | None = None,
    project: str | None = None,
    region: str | None = None,
    base_url: str | None = None,
    credentials: CredentialsSource = None,
    access_token: str | None = None,
    impersonate: Impersonation | str | None = None,
    quota_project_id: str | None = None,
    anthropic_version: str = VERTEX_ANTHROPIC_VERSION,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve the settings of a Vertex client from arguments, environment and credentials.

    Project: ``project``, ``ANTHROPIC_VERTEX_PROJECT_ID``, ``GOOGLE_CLOUD_PROJECT``,
    ``GCLOUD_PROJECT``, the credentials' project, then ``google.auth.default()``'s.
    Region: ``region``, ``CLOUD_ML_REGION``, then the model's default (``global`` where it is
    served there). Base URL: ``base_url``, ``ANTHROPIC_VERTEX_BASE_URL``, then the region's host.

    Raises:
        ConfigurationError: a malformed region, project or base URL, or no project found.
        CredentialsError: credentials that cannot be loaded.
    """
    env = os.environ if environ is None else environ

    # 1. Strings that reach the URL: validate before anything else happens.
    if region is None:
        from_env = _first_env(env, (REGION_ENV,))
        region = from_env[0] if from_env else default_region(resolve_model(model or ""))
    validate_region(region)
    if base_url is None:
        from_env = _first_env(env, (BASE_URL_ENV,))
        base_url = from_env[0] if from_env else None
    fixed = base_url is not None
    resolved_base = validate_base_url(base_url) if base_url is not None else (
        base_url_for_region(region))
    if project is not None:
        validate_project(project)
    if not anthropic_version or not isinstance(anthropic_version, str):
        raise ConfigurationError("anthropic_version must be a non-empty string.")

    # 2. Credentials (local files are read now; no token is fetched yet).
    tokens = token_provider(credentials, access_token=access_token, impersonate=impersonate,
                            quota_project_id=quota_project_id)

    # 3. Project.
    tried = ["the project argument"]
    if project is None:
        found = _first_env(env, PROJECT_ENV)
        tried += [f"${name}" for name in PROJECT_ENV]
        if found is not None:
            project = found[0]
    if project is None:
        tried.append(f"the credentials ({tokens.description})")
        project = tokens.project_id
    if project is None:
        tried.append("google.auth.default()")
        try:
            project = _default_project()
        except CredentialsError:
            project = None
    if not project:
        raise ConfigurationError(
            "No Google Cloud project found. Tried: " + ", ".join(tried) + ". Pass project='my-"
            "project', or set ANTHROPIC_VERTEX_PROJECT_ID or GOOGLE_CLOUD_PROJECT."
        )
    validate_project(project)
    return Settings(project, region, resolved_base, fixed, tokens, anthropic_version, id(tokens))
