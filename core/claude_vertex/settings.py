"""Resolving where and as whom to call Vertex: project, region, base URL and credentials.

:func:`resolve_settings` reads arguments first, then the environment, then the credentials,
validates every string that reaches a URL, and returns an immutable :class:`Settings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from .api_version import VERTEX_ANTHROPIC_VERSION
from .credentials import CredentialsSource, Impersonation, TokenProvider, token_provider
from .endpoints import (
    base_url_for_region,
    endpoint_plan,
    in_geography,
    residency_region,
    validate_base_url,
    validate_model,
    validate_project,
    validate_region,
    validate_residency,
)
from .errors import ConfigurationError, CredentialsError
from .models import default_region, resolve_model

__all__ = ["PROJECT_ENV", "Settings", "find_project", "resolve_settings"]

#: Environment variables read, in order of precedence, for each setting.
PROJECT_ENV = ("ANTHROPIC_VERTEX_PROJECT_ID", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT")
REGION_ENV = "CLOUD_ML_REGION"
BASE_URL_ENV = "ANTHROPIC_VERTEX_BASE_URL"
#: How to name the project, in errors that found none.
SET_PROJECT = (
    "Pass project='my-project', or set ANTHROPIC_VERTEX_PROJECT_ID or GOOGLE_CLOUD_PROJECT."
)


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
    #: True when the caller chose the region (argument or ``CLOUD_ML_REGION``): without
    #: ``fallback_regions`` such a region is never left.
    region_pinned: bool = False
    #: Endpoints to fail over to, in order, instead of the model's default plan.
    fallback_regions: tuple[str, ...] | None = None
    #: ``"us"`` or ``"eu"``: every attempt stays inside that geography.
    data_residency: str | None = None
    #: Identity of the token provider, so equal settings share credentials too.
    _tokens_id: int = field(default=0, repr=False)
    #: Where :attr:`project` came from: ``the project argument``, ``$GOOGLE_CLOUD_PROJECT``,
    #: ``the credentials (...)``, ``google.auth.default() (...)``.
    project_source: str = field(default="", compare=False, repr=False)
    #: Where :attr:`region` came from: ``the region argument``, ``$CLOUD_ML_REGION``, or the
    #: model's default.
    region_source: str = field(default="", compare=False, repr=False)

    def __repr__(self) -> str:
        return (
            f"Settings(project={self.project!r}, region={self.region!r}, "
            f"base_url={self.base_url!r}, credentials={self.tokens.description!r})"
        )

    def for_region(self, region: str) -> Settings:
        """The same settings aimed at another endpoint."""
        validate_region(region)
        base_url = self.base_url if self.base_url_fixed else base_url_for_region(region)
        return replace(self, region=region, base_url=base_url)

    def plan_for(self, model: str) -> tuple[str, ...]:
        """The endpoints a call to ``model`` may try, in order (see :func:`endpoint_plan`).

        A region the caller chose comes first; otherwise the model's own default endpoint
        does (``global`` where it is served there), so a call to another model than the
        settings were resolved for goes where that model is served.
        """
        info = resolve_model(model)
        if self.region_pinned:
            primary = self.region
        elif self.data_residency:
            primary = residency_region(info, self.data_residency)
        else:
            primary = default_region(info)
        return endpoint_plan(
            info,
            primary,
            pinned=self.region_pinned,
            fallback_regions=self.fallback_regions,
            data_residency=self.data_residency,
        )


def _env_value(environ: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    """The first of ``names`` set (and not blank) in ``environ``."""
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return value
    return None


def _default_project() -> str | None:
    import google.auth
    from google.auth import exceptions as google_exceptions

    try:
        return google.auth.default()[1]
    except google_exceptions.GoogleAuthError:
        return None


#: Where google.auth.default() finds a project, for messages.
_DEFAULT_PROJECT_SOURCES = (
    "google.auth.default(): $GOOGLE_APPLICATION_CREDENTIALS' file, gcloud's "
    "application-default credentials and `gcloud config get project`, or the metadata server"
)


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
    fallback_regions: Sequence[str] | None = None,
    data_residency: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve the settings of a Vertex client from arguments, environment and credentials.

    Project: ``project``, ``ANTHROPIC_VERTEX_PROJECT_ID``, ``GOOGLE_CLOUD_PROJECT``,
    ``GCLOUD_PROJECT``, the credentials' project, then ``google.auth.default()``'s.
    Region: ``region``, ``CLOUD_ML_REGION``, then the model's default (``global`` where it is
    served there; inside ``data_residency`` when that is set). Base URL: ``base_url``,
    ``ANTHROPIC_VERTEX_BASE_URL``, then the region's host. Failover: ``fallback_regions``
    replaces the default plan (the model's other endpoints); a region the caller chose is
    never left without them; ``data_residency`` (``"us"``/``"eu"``) bounds every attempt.

    Raises:
        ConfigurationError: a malformed model id, region, project or base URL, or no
            project found.
        CredentialsError: credentials that cannot be loaded.
    """
    env = os.environ if environ is None else environ

    # 1. Strings that reach the URL: validate before anything else happens.
    if model is not None:
        validate_model(model)
    validate_residency(data_residency)
    region_from_env = region is None and _env_value(env, (REGION_ENV,)) is not None
    region_source = _region_source(region, from_env=region_from_env)
    region, pinned = _resolve_region(model, region, data_residency, env)
    fallbacks = _resolve_fallbacks(model, region, fallback_regions, data_residency)
    if model is not None:  # a chosen region that cannot serve the model: say so now
        try:
            endpoint_plan(
                resolve_model(model),
                region,
                pinned=pinned,
                fallback_regions=fallbacks,
                data_residency=data_residency,
            )
        except ConfigurationError as error:
            if region_from_env:
                raise _from_env(error, region) from error
            raise
    if base_url is None:
        base_url = _env_value(env, (BASE_URL_ENV,))
    fixed = base_url is not None
    resolved_base = base_url_for_region(region) if base_url is None else validate_base_url(base_url)
    if project is not None:
        validate_project(project)
    if not anthropic_version or not isinstance(anthropic_version, str):
        raise ConfigurationError("anthropic_version must be a non-empty string.")

    # 2. Credentials (local files are read now; no token is fetched yet).
    try:
        tokens = token_provider(
            credentials,
            access_token=access_token,
            impersonate=impersonate,
            quota_project_id=quota_project_id,
        )
    except CredentialsError as error:
        if project is None and _env_value(env, PROJECT_ENV) is None:  # nothing configured
            raise CredentialsError(
                f"{error} No Google Cloud project is set either. {SET_PROJECT}"
            ) from None
        raise

    # 3. Project.
    project, project_source = find_project(project, tokens, env)
    return Settings(
        project,
        region,
        resolved_base,
        fixed,
        tokens,
        anthropic_version,
        region_pinned=pinned,
        fallback_regions=fallbacks,
        data_residency=data_residency,
        _tokens_id=id(tokens),
        project_source=project_source,
        region_source=region_source,
    )


def _resolve_region(
    model: str | None, region: str | None, data_residency: str | None, env: Mapping[str, str]
) -> tuple[str, bool]:
    """The region and whether the caller chose it (argument or ``CLOUD_ML_REGION``).

    A value from ``CLOUD_ML_REGION`` that cannot be used (malformed or outside
    ``data_residency``) raises an error that names the variable (:func:`resolve_settings`
    does the same when it does not serve the model).
    """
    if region is not None:
        return _checked_region(region, data_residency), True
    from_env = _env_value(env, (REGION_ENV,))
    if from_env is not None:
        try:
            _checked_region(from_env, data_residency)
        except ConfigurationError as error:
            raise _from_env(error, from_env) from error
        return from_env, True
    info = resolve_model(model or "")
    region = residency_region(info, data_residency) if data_residency else default_region(info)
    return _checked_region(region, data_residency), False


def _region_source(region: str | None, *, from_env: bool) -> str:
    """Where the region comes from, for :attr:`Settings.region_source`."""
    if region is not None:
        return "the region argument"
    return f"${REGION_ENV}" if from_env else "the model's default endpoint"


def _from_env(error: ConfigurationError, value: str) -> ConfigurationError:
    """``error``, naming ``$CLOUD_ML_REGION`` as where the region ``value`` came from."""
    return ConfigurationError(
        f"{error} The region came from ${REGION_ENV}={value!r}: change or unset it."
    )


def _checked_region(region: str, data_residency: str | None) -> str:
    """``region``, validated, and inside ``data_residency`` when that is set."""
    validate_region(region)
    if data_residency and not in_geography(region, data_residency):
        raise ConfigurationError(
            f"Region {region!r} is outside data_residency="
            f"{data_residency!r}; choose a region in that geography."
        )
    return region


def _resolve_fallbacks(
    model: str | None,
    region: str,
    fallback_regions: Sequence[str] | None,
    data_residency: str | None,
) -> tuple[str, ...] | None:
    """The caller's fallback regions, validated, and inside ``data_residency`` when set."""
    if fallback_regions is None:
        return None
    fallbacks = tuple(validate_region(r) for r in fallback_regions)
    if data_residency:
        endpoint_plan(
            resolve_model(model or ""),
            region,
            fallback_regions=fallbacks,
            data_residency=data_residency,
        )  # raises if a fallback leaves it
    return fallbacks


def find_project(
    project: str | None, tokens: TokenProvider | None, environ: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """The project :func:`resolve_settings` uses, and where it came from.

    In order: ``project``, the variables of :data:`PROJECT_ENV`, the credentials' own project,
    then ``google.auth.default()``'s (``tokens=None`` skips the last two: credentials that
    could not be loaded). The source is ``the project argument``, ``$NAME``, ``the
    credentials (...)`` or ``google.auth.default(): ...``.

    Raises:
        ConfigurationError: no source names a project (the message lists those tried), or
            the one found is malformed.
    """
    if project is not None:
        return validate_project(project), "the project argument"
    env = os.environ if environ is None else environ
    tried = ["the project argument", *(f"${name}" for name in PROJECT_ENV)]
    for name in PROJECT_ENV:
        value = _env_value(env, (name,))
        if value is not None:
            return validate_project(value), f"${name}"
    found: str | None = None
    if tokens is not None:
        source = f"the credentials ({tokens.description})"
        tried.append(source)
        found = tokens.project_id
        if found is None:
            tried.append("google.auth.default()")
            source = _DEFAULT_PROJECT_SOURCES
            try:
                found = _default_project()
            except CredentialsError:
                found = None
    if not found:
        raise ConfigurationError(
            "No Google Cloud project found. Tried: " + ", ".join(tried) + ". " + SET_PROJECT
        )
    return validate_project(found), source
