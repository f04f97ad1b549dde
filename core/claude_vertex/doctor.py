"""``diagnose``: walk the resolution a call makes, say what was found and where, and the fix.

:func:`diagnose` checks, in order: the project (and which source named it), the credentials
(kind, principal, quota project), one token fetch (timed), the model (its Vertex id, whether
the table knows it, its lifecycle), the endpoint plan, then at each endpoint of the plan a
count-tokens probe (free) and, with ``call=True``, a real call of one output token; last, the
request-response logging of the model at each regional endpoint of the plan. Each
:class:`Step` says what it found, where from, and the fix when it does not hold. Failures of
Vertex are read through the core's typed errors (:mod:`claude_vertex.errors`), so a refusal is
named the same here as in a failed call.

:class:`Diagnosis` holds the steps; its :attr:`~Diagnosis.exit_code` is 0 only when every
required step holds, else the code of the first that does not (:data:`EXIT_CODES`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from .credentials import (
    KEY_FILE_ENV,
    CredentialsSource,
    TokenProvider,
    credentials_identity,
    token_provider,
)
from .endpoints import count_tokens_region, validate_model
from .errors import (
    AuthenticationError,
    ClaudeVertexError,
    ConfigurationError,
    CredentialsError,
    DataSharingRequiredError,
    ModelNotEnabledError,
    ModelNotFoundError,
    ModelNotServableInRegionError,
    PermissionDeniedError,
    QuotaExhaustedError,
)
from .models import DEFAULT_MODEL, MULTI_REGIONS, ModelInfo, resolve_model
from .settings import SET_PROJECT, Settings, find_project, resolve_settings

__all__ = ["DEFAULT_MODEL", "EXIT_CODES", "FAILURES", "Diagnosis", "Status", "Step", "diagnose"]

Status = Literal["ok", "warn", "fail", "skipped"]

#: Each kind of failure: its exit status and what it means (0: every required step holds;
#: 2 is argparse's, for a usage error).
FAILURES: Mapping[str, tuple[int, str]] = {
    "error": (1, "another failure: no answer, a server error, an unexpected refusal"),
    "project": (3, "no project found, or a malformed one"),
    "credentials": (4, "credentials that do not load, a refused token, or a 401"),
    "model": (5, "a retired or malformed model, or an endpoint that does not serve it"),
    "not_enabled": (6, "the model is not enabled in Model Garden, or IAM denies the call"),
    "data_sharing": (7, "the model needs the project's consent to data sharing"),
    "quota": (8, "a 429: the quota is used up (or zero)"),
}
#: The exit status of each kind of failure.
EXIT_CODES: Mapping[str, int] = {kind: code for kind, (code, _) in FAILURES.items()}

#: What a probe sends: one short user turn (one output token when it is a real call).
_PROBE_TEXT = "Hi"


@dataclass(frozen=True)
class Step:
    """One check of :func:`diagnose`.

    Attributes:
        name: what is checked: ``project``, ``credentials``, ``token``, ``model``,
            ``endpoint plan``, ``count-tokens REGION``, ``call REGION``, ``logging REGION``.
        status: ``ok``, ``warn`` (holds, with advice), ``fail`` or ``skipped`` (an earlier
            step failed).
        found: what was found (never a token or key).
        source: where it came from, when that is known.
        fix: what to do, for a step that does not hold (or warns).
        required: whether the exit status depends on it.
        exit_code: for a failed required step, its kind's code (:data:`EXIT_CODES`).
        details: the facts behind ``found``, for ``--json`` (region, milliseconds, ...).
    """

    name: str
    status: Status
    found: str
    source: str | None = None
    fix: str | None = None
    required: bool = True
    exit_code: int = 0
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        """Whether the step is no reason to fail (ok, warn, or not required)."""
        return not self.required or self.status in ("ok", "warn")

    def to_dict(self) -> dict[str, Any]:
        """The step as JSON-ready data."""
        return {
            "name": self.name,
            "status": self.status,
            "found": self.found,
            "source": self.source,
            "fix": self.fix,
            "required": self.required,
            "exit_code": self.exit_code,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class Diagnosis:
    """The steps of one :func:`diagnose` run, in order."""

    model: str
    steps: tuple[Step, ...]

    @property
    def ok(self) -> bool:
        """Whether every required step holds."""
        return all(step.holds for step in self.steps)

    @property
    def exit_code(self) -> int:
        """0 when :attr:`ok`; else the code of the first required step that failed."""
        for step in self.steps:
            if not step.holds:
                return step.exit_code or EXIT_CODES["error"]
        return 0

    def to_dict(self) -> dict[str, Any]:
        """The diagnosis as JSON-ready data (what ``claude-vertex doctor --json`` prints)."""
        return {
            "ok": self.ok,
            "exit_code": self.exit_code,
            "model": self.model,
            "steps": [step.to_dict() for step in self.steps],
        }


def _fail(name: str, kind: str, found: str, fix: str, **extra: Any) -> Step:
    return Step(name, "fail", found, fix=fix, exit_code=EXIT_CODES[kind], **extra)


def _skipped(name: str, why: str) -> Step:
    return Step(name, "skipped", f"not checked: {why}")


# -- the steps before any network I/O ------------------------------------------------------
def _model_step(model: str) -> tuple[Step, ModelInfo | None]:
    try:
        validate_model(model)
    except ConfigurationError as error:
        return _fail("model", "model", f"{model!r} cannot be used", str(error)), None
    info = resolve_model(model)
    details = {
        "vertex_id": info.vertex_id,
        "known": info.known,
        "lifecycle": info.lifecycle,
        "retirement": info.retirement,
        "successor": info.successor,
    }
    if not info.known:
        found = f"{info.vertex_id}: not in the model table (sent unchanged, default limits)"
        fix = "Check the id with `claude-vertex models`, or add a row with register_model()."
        return Step("model", "warn", found, fix=fix, details=details), info
    found = f"{info.vertex_id} ({info.alias}), {info.lifecycle}"
    if info.retirement:
        found += f", retirement {info.retirement}"
    move = f"Move to {info.successor}." if info.successor else "Move to a current model."
    if info.lifecycle == "retired":
        return _fail(
            "model", "model", found, f"Vertex no longer serves it. {move}", details=details
        ), info
    status: Status = "warn" if info.lifecycle == "deprecated" else "ok"
    return Step(
        "model", status, found, fix=move if status == "warn" else None, details=details
    ), info


def _credentials_step(options: Mapping[str, Any]) -> tuple[Step, TokenProvider | None]:
    try:
        tokens = token_provider(
            options.get("credentials"), access_token=options.get("access_token")
        )
    except CredentialsError as error:
        return _fail(
            "credentials", "credentials", "credentials could not be loaded", str(error)
        ), None
    identity = credentials_identity(tokens)
    source = tokens.description
    key_file = os.environ.get(KEY_FILE_ENV)
    if options.get("credentials") is None and options.get("access_token") is None:
        source += (
            f": ${KEY_FILE_ENV}={key_file}"
            if key_file
            else ": gcloud's application-default credentials file or the metadata server"
        )
    quota = tokens.quota_project_id
    found = f"{identity.kind}" + (f" {identity.principal}" if identity.principal else "")
    found += f"; quota project: {quota or 'none'}"
    details = {"kind": identity.kind, "principal": identity.principal, "quota_project": quota}
    return Step("credentials", "ok", found, source=source, details=details), tokens


def _project_step(
    project: str | None, tokens: TokenProvider | None, environ: Mapping[str, str]
) -> tuple[Step, str | None]:
    try:
        found, source = find_project(project, tokens, environ)
    except ConfigurationError as error:
        fix = f"{SET_PROJECT} Or run `gcloud config set project PROJECT`."
        if tokens is None:
            fix += " (The credentials, which may name one, could not be loaded.)"
        return _fail("project", "project", str(error), fix), None
    return Step("project", "ok", found, source=source, details={"project": found}), found


def _token_step(tokens: TokenProvider) -> Step:
    if not tokens.refreshable:
        return Step("token", "ok", "a static access token (checked by the probes)")
    started = time.perf_counter()
    try:
        tokens.token(timeout=60)
    except CredentialsError as error:
        return _fail("token", "credentials", "no access token", str(error))
    elapsed = (time.perf_counter() - started) * 1000
    seconds = tokens.seconds_left
    left = "" if seconds is None else f", valid for {seconds / 60:.0f} more minutes"
    found = f"an access token in {elapsed:.0f} ms{left}"
    return Step("token", "ok", found, details={"milliseconds": round(elapsed, 1)})


def _plan_step(
    model: str, options: Mapping[str, Any], project: str
) -> tuple[Step, Settings | None, tuple[str, ...]]:
    try:
        settings = resolve_settings(
            model=model,
            project=project,
            region=options.get("region"),
            base_url=options.get("base_url"),
            credentials=options.get("credentials"),
            access_token=options.get("access_token"),
            environ=options.get("environ"),
        )
        plan = settings.plan_for(model)
    except ConfigurationError as error:
        return (
            _fail("endpoint plan", "model", "no endpoint can serve the call", str(error)),
            None,
            (),
        )
    source = f"region from {settings.region_source}; base URL {settings.base_url}"
    if settings.base_url_fixed:
        source += " (fixed: it serves every region)"
    details = {"plan": list(plan), "region": settings.region, "base_url": settings.base_url}
    return (
        Step("endpoint plan", "ok", ", ".join(plan), source=source, details=details),
        settings,
        plan,
    )


# -- the probes ----------------------------------------------------------------------------
def _kind_of(error: BaseException) -> str:
    """The :data:`EXIT_CODES` kind of a probe's failure."""
    kinds: tuple[tuple[type[BaseException], str], ...] = (
        (ModelNotEnabledError, "not_enabled"),
        (CredentialsError, "credentials"),
        (AuthenticationError, "credentials"),
        (DataSharingRequiredError, "data_sharing"),
        (PermissionDeniedError, "not_enabled"),
        (QuotaExhaustedError, "quota"),
        (ModelNotServableInRegionError, "model"),
        (ModelNotFoundError, "model"),
    )
    return next((kind for cls, kind in kinds if isinstance(error, cls)), "error")


_WHAT = {
    "credentials": "the credentials were refused",
    "data_sharing": "the model needs the project's consent to data sharing",
    "not_enabled": "the model is not enabled for the project (or IAM denies the call)",
    "quota": "the quota is used up",
    "model": "the endpoint does not serve the model",
    "error": "the probe failed",
}


def _failed_probe(
    name: str, error: ClaudeVertexError, settings: Settings, details: dict[str, Any]
) -> Step:
    """The step of a probe that raised ``error``; its fix is the error's own hint."""
    kind = _kind_of(error)
    text = str(error)
    found, _, hint = text.partition(" -> ")
    if isinstance(error, QuotaExhaustedError):
        details["quota_metric"] = error.quota_metric
    details["error"] = type(error).__name__
    fix = hint or text
    if kind == "model":
        details["served_in"] = list(resolve_model(str(details.get("model", ""))).served_in)
    if type(error) is PermissionDeniedError:  # IAM, or a project that is not the one meant
        fix += (
            f" Check too that the project {settings.project!r} ({settings.project_source}) "
            "is the one meant: Vertex answers the same for a project that does not exist."
        )
    return _fail(name, kind, f"{_WHAT[kind]}: {found}", fix, details=details)


def _pinned(settings: Settings, region: str) -> Settings:
    """``settings`` aimed at ``region`` only: no failover, so the probe tests that endpoint."""
    return replace(
        settings.for_region(region), region_pinned=True, fallback_regions=None, data_residency=None
    )


def _probe(name: str, run: Callable[[], str], settings: Settings, details: dict[str, Any]) -> Step:
    started = time.perf_counter()
    try:
        found = run()
    except ClaudeVertexError as error:
        return _failed_probe(name, error, settings, details)
    details["milliseconds"] = round((time.perf_counter() - started) * 1000, 1)
    return Step(name, "ok", found, details=details)


def _params(model: str) -> dict[str, Any]:
    return {
        "model": model,
        "max_tokens": 1,
        "messages": [{"role": "user", "content": _PROBE_TEXT}],
    }


def _count_probe(settings: Settings, model: str, region: str) -> Step:
    from .client import VertexClient

    counted_at = count_tokens_region(region, resolve_model(model))
    details: dict[str, Any] = {"region": region, "counted_at": counted_at, "model": model}

    def run() -> str:
        with VertexClient(_pinned(settings, region), max_retries=0) as client:
            tokens = client.count_tokens(_params(model))
        return f"{tokens} input token{'' if tokens == 1 else 's'}, counted at {counted_at}"

    step = _probe(f"count-tokens {region}", run, settings, details)
    if step.status == "fail" and step.exit_code == EXIT_CODES["model"] and counted_at != region:
        # Count-tokens is served by fewer regions than the model: its refusal there says
        # nothing about this endpoint; only a call can (--call).
        return replace(
            step,
            status="warn",
            required=False,
            exit_code=0,
            found=f"count-tokens at {counted_at} does not take {model}, so {region} is "
            "not probed by it",
            fix="Run with --call to probe this endpoint with a real one-token call.",
        )
    return step


def _call_probe(settings: Settings, model: str, region: str) -> Step:
    from .client import VertexClient
    from .cost import cost_of

    details: dict[str, Any] = {"region": region, "model": model}

    def run() -> str:
        with VertexClient(_pinned(settings, region), max_retries=0) as client:
            message = client.create(_params(model))
        cost = cost_of(message)
        details["cost_usd"] = cost
        price = f", ${cost:.6f}" if cost is not None else ""
        return f"answered ({message.usage.output_tokens} output token{price})"

    return _probe(f"call {region}", run, settings, details)


def _logging_step(settings: Settings, model: str, region: str) -> Step:
    from .request_logging import RETENTION_RECOMMENDATION, logging_status

    name = f"logging {region}"
    try:
        status = logging_status(model, region, settings=settings)
    except ClaudeVertexError as error:
        return Step(name, "warn", f"not read: {error}", required=False, details={"region": region})
    details = {"region": region, **status.to_dict()}
    if status.enabled:
        return Step(name, "ok", status.summary(), required=False, details=details)
    fix = (
        f"claude-vertex logging enable --model {model} --region {region} "
        f"--bigquery bq://PROJECT.DATASET.TABLE ({RETENTION_RECOMMENDATION})"
    )
    return Step(name, "warn", "off", fix=fix, required=False, details=details)


def _endpoint_steps(
    settings: Settings, model: str, plan: tuple[str, ...], call: bool
) -> list[Step]:
    steps: list[Step] = []
    for region in plan:
        steps.append(_count_probe(settings, model, region))
        if call:
            steps.append(_call_probe(settings, model, region))
    for region in plan:
        if region != "global" and region not in MULTI_REGIONS:
            steps.append(_logging_step(settings, model, region))
    return steps


def diagnose(
    model: str | None = None,
    region: str | None = None,
    *,
    call: bool = False,
    project: str | None = None,
    credentials: CredentialsSource = None,
    access_token: str | None = None,
    base_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Diagnosis:
    """Check what a call to ``model`` needs, step by step, and say how to fix what fails.

    Args:
        model: the model to check (any id); :data:`DEFAULT_MODEL` by default.
        region: the endpoint a call is pinned to; by default the model's plan.
        call: also send a real one-output-token call to each endpoint (it is billed).
        project: the project; by default found as :func:`~claude_vertex.resolve_settings`
            finds it.
        credentials: a key file path, info dict or google-auth credentials; by default
            Application Default Credentials.
        access_token: a static access token instead of credentials.
        base_url: a fixed base URL (a gateway, the emulator); by default Vertex's hosts.
        environ: the environment to read (default ``os.environ``).

    Returns:
        The :class:`Diagnosis`; it raises nothing for what it checks.
    """
    model = model or DEFAULT_MODEL
    env = os.environ if environ is None else environ
    options = {
        "region": region,
        "base_url": base_url,
        "credentials": credentials,
        "access_token": access_token,
        "environ": env,
    }
    credentials_step, tokens = _credentials_step(options)
    project_step, found_project = _project_step(project, tokens, env)
    model_step, info = _model_step(model)
    steps = [project_step, credentials_step]
    if tokens is None:
        return Diagnosis(model, (*steps, _skipped("token", "no credentials"), model_step))
    steps.append(_token_step(tokens))
    steps.append(model_step)
    if found_project is None or info is None or not all(s.holds for s in steps):
        steps.append(_skipped("endpoints", "an earlier step failed"))
        return Diagnosis(model, tuple(steps))
    plan_step, settings, plan = _plan_step(model, options, found_project)
    steps.append(plan_step)
    if settings is not None:
        steps.extend(_endpoint_steps(settings, model, plan, call))
    return Diagnosis(model, tuple(steps))
