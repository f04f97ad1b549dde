"""The emulator's public face: :class:`VertexEmulator`.

It starts and stops the HTTP server (:mod:`.server`) in a background thread, gives the URLs,
credentials and environment variables that point an app at it, and exposes its request logs,
fault injection, model availability, Cloud Storage objects and batch prediction jobs. The
answers themselves come from :class:`~.routing.Router`.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Literal

from .auth import Authority
from .batch_faults import BatchFaultPlan, JobFailure
from .batch_jobs import BatchJobs, OverLimit
from .cloud_storage import CloudStorage
from .faults import Fault, FaultPlan
from .front_door import FrontDoor
from .model_config import ModelConfigs
from .model_layer import ModelLayer
from .prompt_cache import PromptCache
from .request_log import RecordedRequest, RequestLog
from .routing import Router
from .server import EmulatorServer
from .storage import ObjectStore
from .thinking import ThinkingSigner

__all__ = ["DEFAULT_PROJECT", "VertexEmulator"]

DEFAULT_PROJECT = "test-project"


class VertexEmulator:
    """Claude on Vertex AI, on loopback: the model routes, Google's token endpoints, faults.

    Use it as a context manager (or call :meth:`start` and :meth:`stop`)::

        with VertexEmulator(project="test-project") as emu:
            client = AnthropicVertex(base_url=emu.base_url, region="us-east5",
                                     project_id=emu.project, access_token=emu.issue_token())

    Args:
        port: TCP port to listen on; 0 picks a free one.
        project: The project the emulator serves; other projects get 403 PERMISSION_DENIED.
        host: Address to bind, loopback by default.
        cache_creation: When usage shows the ``cache_creation`` breakdown: ``"on_write"``
            (the default: calls that wrote to the cache) or ``"always"`` (zeros otherwise).
            Which one Vertex does on calls without writes is unconfirmed.
        batch_concurrency: How many batch prediction jobs of the project run at once (4,
            Google's documented default quota).
        batch_over_limit: What a job created while ``batch_concurrency`` jobs run gets:
            ``"queue"`` (the default: it waits ``JOB_STATE_PENDING`` for a slot) or
            ``"refuse"`` (429 RESOURCE_EXHAUSTED). Which one Vertex does is unconfirmed.
    """

    def __init__(
        self,
        port: int = 0,
        project: str = DEFAULT_PROJECT,
        host: str = "127.0.0.1",
        *,
        cache_creation: Literal["on_write", "always"] = "on_write",
        batch_concurrency: int = 4,
        batch_over_limit: OverLimit = "queue",
    ) -> None:
        if cache_creation not in ("on_write", "always"):
            raise ValueError(
                f"cache_creation must be 'on_write' or 'always', not {cache_creation!r}"
            )
        self.project = project
        self.host = host
        self._requested_port = port
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None
        self._authority = Authority(project)
        self._cache = PromptCache(always_break_down=cache_creation == "always")
        self._faults = FaultPlan()
        self._log = RequestLog()
        self._configs = ModelConfigs()
        self._front_door = FrontDoor(project, self._authority, self._configs)
        self._objects = ObjectStore()
        self._storage = CloudStorage(self._authority, self._objects)
        self._model_layer = ModelLayer(ThinkingSigner(), self._cache)
        self._batch_faults = BatchFaultPlan()
        self._batch = BatchJobs(
            project=project,
            authority=self._authority,
            front_door=self._front_door,
            objects=self._objects,
            model_layer=self._model_layer,
            faults=self._batch_faults,
            concurrency=batch_concurrency,
            over_limit=batch_over_limit,
        )
        self._router = Router(
            authority=self._authority,
            front_door=self._front_door,
            faults=self._faults,
            storage=self._storage,
            batch=self._batch,
            model_layer=self._model_layer,
            log=self._log,
            token_uri=lambda: self.token_uri,
            configs=self._configs,
        )

    # ----------------------------------------------------------- lifecycle

    def start(self) -> VertexEmulator:
        """Bind the port and serve in a background thread; returns ``self``.

        Raises:
            RuntimeError: the emulator is already running.
        """
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        server = EmulatorServer((self.host, self._requested_port), self._router)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"vertex-emulator-{server.server_address[1]}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and release the port.

        Batch jobs stop, and the Cloud Storage objects go, with the temporary folder that held
        them.
        """
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
            if thread is not None:
                thread.join(timeout=5)
        self._batch.reset()
        self._storage.close()
        self._objects.close()

    def __enter__(self) -> VertexEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ----------------------------------------------------------- addresses

    @property
    def port(self) -> int:
        """The port the emulator listens on.

        Raises:
            RuntimeError: the emulator is not running.
        """
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() or use `with`")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://host:port``, the emulator's root URL."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The ``base_url`` a Vertex client uses: :attr:`url` + ``/v1``."""
        return self.url + "/v1"

    @property
    def token_uri(self) -> str:
        """The OAuth token endpoint: :attr:`url` + ``/token``."""
        return self.url + "/token"

    def config_url(self, model: str, region: str, *, fetch: bool = True) -> str:
        """The full URL of a model's publisher-model config route (v1beta1), for raw HTTP tests.

        ``fetch=False`` gives ``:setPublisherModelConfig``.
        """
        method = "fetchPublisherModelConfig" if fetch else "setPublisherModelConfig"
        return (
            f"{self.url}/v1beta1/projects/{self.project}/locations/{region}"
            f"/publishers/anthropic/models/{model}:{method}"
        )

    def model_url(
        self,
        model: str,
        region: str = "global",
        *,
        stream: bool = False,
        project: str | None = None,
    ) -> str:
        """The full URL of a model route, for raw HTTP tests.

        ``model="count-tokens"`` gives the count-tokens route (which is never streamed).
        """
        specifier = "streamRawPredict" if stream else "rawPredict"
        return (
            f"{self.base_url}/projects/{project or self.project}/locations/{region}"
            f"/publishers/anthropic/models/{model}:{specifier}"
        )

    @property
    def project_number(self) -> str:
        """The project's number (made up, stable): batch job names carry it, as Vertex's do."""
        return self._batch.number

    def batch_jobs_url(self, region: str = "us-east5", *, project: str | None = None) -> str:
        """The full URL of the ``batchPredictionJobs`` collection in ``region``."""
        return (
            f"{self.base_url}/projects/{project or self.project}/locations/{region}"
            "/batchPredictionJobs"
        )

    def iam_endpoint(self, target_email: str) -> str:
        """The full ``generateAccessToken`` URL for ``target_email``.

        Pass it to google-auth as
        ``impersonated_credentials.Credentials(iam_endpoint_override=...)``.
        """
        return f"{self.url}/v1/projects/-/serviceAccounts/{target_email}:generateAccessToken"

    # ----------------------------------------------------------- credentials

    def service_account_info(self, client_email: str | None = None) -> dict[str, str]:
        """A complete service-account key (as a dict) whose ``token_uri`` is the emulator's.

        google-auth exchanges it for a token here exactly as it would against Google.
        """
        email = client_email or f"tester@{self.project}.iam.gserviceaccount.com"
        return self._authority.service_account_info(email, self.url)

    def write_service_account_key(self, path: str | Path, client_email: str | None = None) -> Path:
        """Write :meth:`service_account_info` as a JSON key file; returns its path.

        The file holds a private key, so only its owner may read it (mode 0600), as gcloud
        writes key files; an existing file is narrowed to that mode too.
        """
        target = Path(path)
        handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.chmod(target, 0o600)  # before any byte of the key is written
        with os.fdopen(handle, "w", encoding="utf-8") as key_file:
            key_file.write(json.dumps(self.service_account_info(client_email), indent=2))
        return target

    def authorized_user_info(self) -> dict[str, str]:
        """A new ``authorized_user`` credential (like gcloud's ADC file) that refreshes here."""
        return self._authority.authorized_user_info(self.url)

    def issue_token(self, lifetime: float = 3600) -> str:
        """A valid bearer token, minted directly (no OAuth round trip)."""
        return self._authority.tokens.issue(lifetime)

    def expire_tokens(self) -> None:
        """Invalidate every token issued so far: model routes answer 401 to them."""
        self._authority.tokens.expire_all()

    def environ(self, key_file: str | Path, region: str | None = None) -> dict[str, str]:
        """The environment variables that point an app at the emulator.

        Vertex (``ANTHROPIC_VERTEX_BASE_URL``, ``ANTHROPIC_VERTEX_PROJECT_ID``), the
        credentials (``GOOGLE_APPLICATION_CREDENTIALS``) and Cloud Storage
        (``STORAGE_EMULATOR_HOST``, which google-cloud-storage and ``gs://`` media reads honour).

        Args:
            key_file: The service-account key file (see :meth:`write_service_account_key`).
            region: Also export it as ``CLOUD_ML_REGION``. Without one, no region is exported,
                so a claude_vertex app plans its endpoints as it does by default (the model's
                default region, failover, ``data_residency``); the anthropic SDK's own
                ``AnthropicVertex`` needs a region, from here or its ``region`` argument.
        """
        env = {
            "ANTHROPIC_VERTEX_BASE_URL": self.base_url,
            "GOOGLE_APPLICATION_CREDENTIALS": str(key_file),
            "ANTHROPIC_VERTEX_PROJECT_ID": self.project,
            "STORAGE_EMULATOR_HOST": self.storage_host,
        }
        if region is not None:
            env["CLOUD_ML_REGION"] = region
        return env

    # ----------------------------------------------------------- state

    @property
    def requests(self) -> list[RecordedRequest]:
        """The model-route requests (and requests to unknown paths), in the order answered."""
        return self._log.requests

    @property
    def token_requests(self) -> list[RecordedRequest]:
        """The requests to ``/token`` and IAM ``generateAccessToken``, in the order answered."""
        return self._log.token_requests

    def inject(
        self,
        fault: Fault,
        times: int | None = 1,
        route: str | None = None,
        region: str | None = None,
        model: str | None = None,
    ) -> None:
        """Give ``fault`` to the next ``times`` matching model-route requests.

        Args:
            fault: What goes wrong.
            times: How many requests get it; ``None`` for every one until :meth:`reset`.
            route: Only requests on this route: ``create``, ``stream`` or ``count_tokens``.
            region: Only requests to this region.
            model: Only requests for this model (any form of its id).
        """
        self._faults.add(fault, times, route, region, model)

    def inject_random(
        self, rate: float = 0.1, faults: Sequence[Fault] | None = None, seed: int = 0
    ) -> None:
        """Give a ``rate`` fraction of requests a fault drawn from ``faults`` (seeded).

        By default the faults are quota exhaustion, overload and unavailability. Faults
        queued with :meth:`inject` come first.
        """
        chosen = faults or (Fault.quota_exhausted(), Fault.overloaded(), Fault.unavailable())
        self._faults.add_random(rate, chosen, seed)

    def set_available(self, model: str, regions: Iterable[str]) -> None:
        """Serve ``model`` in exactly ``regions`` (any id, also one the model table lacks)."""
        self._front_door.set_available(model, regions)

    def require_data_sharing(self, *models: str) -> None:
        """Make ``models`` refuse calls until the project consents to data sharing.

        Their model routes answer Google's 403 "Access to this model requires data sharing
        to be enabled for publisher 'anthropic'..." until a ``:setPublisherModelConfig`` of
        the model (at any location) sets ``dataSharingEnabledProvider: "anthropic"``.
        """
        self._configs.require_data_sharing(models)

    def delay_operations(self, polls: int) -> None:
        """Make later ``setPublisherModelConfig`` operations finish only after ``polls`` polls.

        Until then a poll answers the operation without ``done`` (the config itself is set at
        once). ``reset()`` goes back to 0: done from the first poll.
        """
        self._configs.delay_operations(polls)

    @property
    def storage_host(self) -> str:
        """The value of ``STORAGE_EMULATOR_HOST`` that sends Cloud Storage calls here."""
        return self.url

    def put_object(self, bucket: str, name: str, data: bytes, content_type: str) -> str:
        """Store a Cloud Storage object served to valid tokens; returns its ``gs://`` URI.

        Objects survive :meth:`reset`, not :meth:`stop`.
        """
        return self._objects.put(bucket, name, data, content_type)

    def read_object(self, bucket: str, name: str) -> bytes:
        """The bytes of a stored object (one a test uploaded, or a batch job's output).

        Raises:
            KeyError: there is no such object.
        """
        stored = self._objects.get(bucket, name)
        if stored is None:
            raise KeyError(f"no object gs://{bucket}/{name}")
        return stored.path.read_bytes()

    def list_objects(self, bucket: str, prefix: str = "") -> list[str]:
        """The names of the objects of ``bucket`` under ``prefix``, sorted."""
        return [stored.name for stored in self._objects.listing(bucket, prefix)]

    # ----------------------------------------------------------- batch jobs

    def fail_batch_jobs(
        self,
        message: str = "Internal error encountered. Please retry.",
        *,
        after_lines: int = 0,
        times: int = 1,
        code: int = 13,
    ) -> None:
        """The next ``times`` batch jobs created fail: ``JOB_STATE_FAILED`` with ``error``.

        Args:
            message: The job's ``error.message``.
            after_lines: How many lines each answers first (published in its output).
            times: How many jobs fail.
            code: The job's ``error.code`` (a ``google.rpc.Code``; 13 is INTERNAL).
        """
        self._batch_faults.fail_jobs(JobFailure(message, code, after_lines), times)

    def fail_batch_lines(
        self,
        custom_ids: Iterable[str] = (),
        *,
        rate: float = 0.0,
        fault: Fault | None = None,
        seed: int = 0,
    ) -> None:
        """Batch lines with these ``custom_ids``, and a seeded ``rate`` of others, fail.

        A failed line has no ``response``; its ``status`` is the error body ``fault``
        answers (by default :meth:`Fault.overloaded`), as text.
        """
        self._batch_faults.fail_lines(custom_ids, rate, fault or Fault.overloaded(), seed)

    def set_batch_pace(self, seconds_per_line: float) -> None:
        """Answer each batch line in ``seconds_per_line`` (0, the default: as fast as it can)."""
        self._batch_faults.pace = seconds_per_line

    def hold_batch_jobs(self, hold: bool = True) -> None:
        """Keep new and waiting jobs ``JOB_STATE_PENDING`` (``False``: let them start)."""
        self._batch_faults.hold = hold
        if not hold:
            self._batch.release()

    @property
    def in_flight(self) -> int:
        """How many requests have arrived and are not yet fully answered."""
        return self._log.in_flight

    def reset(self) -> None:
        """Clear logs, faults, availability overrides, prompt cache and publisher-model configs.

        Data-sharing requirements go too.

        Batch jobs are stopped and forgotten, with the batch faults, pace and hold; their
        output objects stay.

        Issued tokens and keys stay valid. A request that arrived before the reset and is
        still being answered (a slow fault, say) is answered but not logged: the new logs hold
        only what arrived after it, so a test never sees another test's late request.
        """
        self._faults.clear()
        self._cache.clear()
        self._log.reset()
        self._front_door.clear_availability()
        self._configs.clear()
        self._batch.reset()
        self._batch_faults.clear()
