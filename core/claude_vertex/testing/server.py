"""The emulator's HTTP server and routing, and :class:`VertexEmulator`, its public face.

A stdlib ``ThreadingHTTPServer`` on loopback speaks HTTP/1.1 with keep-alive. Every accepted
socket gets ``TCP_NODELAY`` and every non-streaming answer goes out in one write, so that
keep-alive calls do not stall on delayed ACKs; streams use chunked transfer encoding, one
SSE event per chunk.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from claude_vertex.endpoints import COUNT_TOKENS_REGIONS
from claude_vertex.models import ModelInfo, resolve_model

from .answers import plan_answer
from .auth import UNAUTHENTICATED_MESSAGE, Authority
from .error_bodies import anthropic_error, google_error
from .faults import Fault, FaultPlan
from .messages import message_json
from .prompt_cache import PromptCache
from .replies import Reply, StreamReply
from .rules import RequestContext, check_request
from .rules import Route as ModelRoute
from .sse import stream_events
from .thinking import ThinkingSigner
from .tokens import count_input_tokens

__all__ = ["RecordedRequest", "VertexEmulator"]

Route = Literal["create", "stream", "count_tokens", "token", "iam", "storage", "other"]

#: The largest request body accepted (Anthropic's limit for the Messages API).
MAX_BODY_BYTES = 32 * 1024 * 1024
DEFAULT_PROJECT = "test-project"

_MODEL_PATH = re.compile(
    r"/v1/projects/([^/]+)/locations/([^/]+)/publishers/anthropic/models/([^/]+):([A-Za-z]+)"
)
_IAM_PATH = re.compile(r"/v1/projects/-/serviceAccounts/([^/]+):generateAccessToken")
#: Cloud Storage JSON API object download: /storage/v1/b/{bucket}/o/{url-encoded object}.
_OBJECT_PATH = re.compile(r"/storage/v1/b/([^/]+)/o/([^/]+)")
#: What Google's front door takes as a resource id in a path segment.
_RESOURCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")
_NOT_FOUND = (
    "Publisher Model `{resource}` was not found or your project does not have access to it. "
    "Please ensure you are using a valid model version. For more information, see: "
    "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions"
)
_INVALID_JSON = object()
#: Reason phrases of statuses the ``http`` module does not name.
_EXTRA_PHRASES = {529: "Overloaded"}


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator answered, as it arrived, with the status it got."""

    method: str
    #: The request target as sent (path and query).
    path: str
    #: Header names in lowercase.
    headers: dict[str, str]
    #: The parsed JSON body (the form fields as a dict on ``/token``); ``None`` if absent or
    #: not parseable.
    body: Any
    raw_body: bytes
    route: Route
    project: str | None
    region: str | None
    #: The model: from the URL, or from the body on count-tokens.
    model: str | None
    status: int


@dataclass(frozen=True)
class _Incoming:
    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes
    #: The emulator's reset count when the request arrived: a request that arrived before a
    #: reset (one still being answered slowly, say) stays out of the log the reset began.
    generation: int = 0


def _parse_json(raw: bytes) -> object:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return _INVALID_JSON


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
    """

    def __init__(
        self, port: int = 0, project: str = DEFAULT_PROJECT, host: str = "127.0.0.1"
    ) -> None:
        self.project = project
        self.host = host
        self._requested_port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._authority = Authority(project)
        self._signer = ThinkingSigner()
        self._cache = PromptCache()
        self._faults = FaultPlan()
        self._lock = threading.Lock()
        self._generation = 0
        self._in_flight = 0
        self._requests: list[RecordedRequest] = []
        self._token_requests: list[RecordedRequest] = []
        self._available: dict[str, tuple[str, ...]] = {}
        self._objects: dict[tuple[str, str], tuple[bytes, str]] = {}

    # ----------------------------------------------------------- lifecycle

    def start(self) -> VertexEmulator:
        """Bind the port and serve in a background thread; returns ``self``.

        Raises:
            RuntimeError: the emulator is already running.
        """
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        server = _Server((self.host, self._requested_port), self)
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
        """Stop serving, close open connections and release the port."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

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
        """Write :meth:`service_account_info` as a JSON key file; returns its path."""
        target = Path(path)
        target.write_text(json.dumps(self.service_account_info(client_email), indent=2))
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

    def environ(self, key_file: str | Path, region: str = "global") -> dict[str, str]:
        """The environment variables that point an app (and the anthropic SDK) at the emulator."""
        return {
            "ANTHROPIC_VERTEX_BASE_URL": self.base_url,
            "GOOGLE_APPLICATION_CREDENTIALS": str(key_file),
            "ANTHROPIC_VERTEX_PROJECT_ID": self.project,
            "CLOUD_ML_REGION": region,
        }

    # ----------------------------------------------------------- state

    @property
    def requests(self) -> list[RecordedRequest]:
        """The model-route requests (and requests to unknown paths), in the order answered."""
        with self._lock:
            return list(self._requests)

    @property
    def token_requests(self) -> list[RecordedRequest]:
        """The requests to ``/token`` and IAM ``generateAccessToken``, in the order answered."""
        with self._lock:
            return list(self._token_requests)

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
        with self._lock:
            self._available[resolve_model(model).vertex_id] = tuple(regions)

    @property
    def storage_host(self) -> str:
        """The value of ``STORAGE_EMULATOR_HOST`` that sends Cloud Storage reads here."""
        return self.url

    def put_object(self, bucket: str, name: str, data: bytes, content_type: str) -> str:
        """Store a Cloud Storage object served to valid tokens; returns its ``gs://`` URI.

        Objects survive :meth:`reset`.
        """
        with self._lock:
            self._objects[(bucket, name)] = (bytes(data), content_type)
        return f"gs://{bucket}/{name}"

    @property
    def in_flight(self) -> int:
        """How many requests have arrived and are not yet fully answered."""
        with self._lock:
            return self._in_flight

    def reset(self) -> None:
        """Clear the request logs, faults, availability overrides and the prompt cache.

        Issued tokens and keys stay valid. A request that arrived before the reset and is
        still being answered (a slow fault, say) is answered but not logged: the new logs hold
        only what arrived after it, so a test never sees another test's late request.
        """
        self._faults.clear()
        self._cache.clear()
        with self._lock:
            self._generation += 1
            self._requests.clear()
            self._token_requests.clear()
            self._available.clear()

    # ----------------------------------------------------------- routing

    @contextlib.contextmanager
    def _serving(
        self, method: str, path: str, headers: dict[str, str], raw_body: bytes
    ) -> Iterator[Reply | StreamReply]:
        """The answer to one request, counted in :attr:`in_flight` until it is written."""
        with self._lock:
            self._in_flight += 1
            incoming = _Incoming(method, path, headers, raw_body, self._generation)
        try:
            try:
                answer = self._handle(incoming)
            except Exception as problem:  # a bug of the emulator: answer 500 and show it
                traceback.print_exc()
                answer = Reply.json(500, google_error(500, f"Emulator error: {problem!r}"))
            yield answer
        finally:
            with self._lock:
                self._in_flight -= 1

    def _handle(self, incoming: _Incoming) -> Reply | StreamReply:
        path = urlsplit(incoming.path).path
        post = incoming.method == "POST"
        if post and path == "/token":
            return self._token(incoming)
        iam = _IAM_PATH.fullmatch(path)
        if post and iam:
            return self._iam(incoming, unquote(iam.group(1)))
        stored = _OBJECT_PATH.fullmatch(path)
        if incoming.method == "GET" and stored:
            return self._object(incoming, unquote(stored.group(1)), unquote(stored.group(2)))
        model = _MODEL_PATH.fullmatch(path)
        if post and model:
            project, region, name, method = (unquote(part) for part in model.groups())
            route = _model_route(name, method)
            if route is not None:
                return self._model(incoming, route, project, region, name)
        reply = Reply.json(404, google_error(404, f"The requested URL {path} was not found."))
        return self._record(incoming, "other", reply, _parse_json(incoming.raw_body))

    def _record(
        self,
        incoming: _Incoming,
        route: Route,
        reply: Reply | StreamReply,
        body: object,
        project: str | None = None,
        region: str | None = None,
        model: str | None = None,
    ) -> Reply | StreamReply:
        status = reply.status if isinstance(reply, Reply) else 200
        entry = RecordedRequest(
            incoming.method,
            incoming.path,
            incoming.headers,
            None if body is _INVALID_JSON else body,
            incoming.raw_body,
            route,
            project,
            region,
            model,
            status,
        )
        with self._lock:
            if incoming.generation == self._generation:
                log = self._token_requests if route in ("token", "iam") else self._requests
                log.append(entry)
        return reply

    def _token(self, incoming: _Incoming) -> Reply:
        form = dict(parse_qsl(incoming.raw_body.decode("utf-8", "replace")))
        reply = self._authority.token_endpoint(form, self.token_uri)
        self._record(incoming, "token", reply, form)
        return reply

    def _iam(self, incoming: _Incoming, email: str) -> Reply:
        body = _parse_json(incoming.raw_body)
        reply = self._authority.generate_access_token(
            email, incoming.headers.get("authorization"), body
        )
        self._record(incoming, "iam", reply, body)
        return reply

    def _object(self, incoming: _Incoming, bucket: str, name: str) -> Reply:
        """A Cloud Storage JSON API read: the bytes with ``alt=media``, else the metadata."""
        with self._lock:
            found = self._objects.get((bucket, name))
        if not self._authority.bearer_valid(incoming.headers.get("authorization")):
            reply = Reply.json(401, google_error(401, UNAUTHENTICATED_MESSAGE))
        elif found is None:
            reply = Reply.json(404, google_error(404, f"No such object: {bucket}/{name}"))
        elif ("alt", "media") in parse_qsl(urlsplit(incoming.path).query):
            reply = Reply(200, found[0], content_type=found[1])
        else:
            reply = Reply.json(
                200,
                {
                    "kind": "storage#object",
                    "bucket": bucket,
                    "name": name,
                    "contentType": found[1],
                    "size": str(len(found[0])),
                },
            )
        self._record(incoming, "storage", reply, None)
        return reply

    def _model(
        self, incoming: _Incoming, route: ModelRoute, project: str, region: str, name: str
    ) -> Reply | StreamReply:
        body = _parse_json(incoming.raw_body)
        model_id = name
        if route == "count_tokens":
            named = body.get("model") if isinstance(body, dict) else None
            model_id = named if isinstance(named, str) else ""

        def record(reply: Reply | StreamReply) -> Reply | StreamReply:
            return self._record(incoming, route, reply, body, project, region, model_id or None)

        refusal = self._front_door(incoming, route, project, region, name, model_id, body)
        if refusal is not None:
            return record(refusal)
        info = resolve_model(model_id)
        names = (model_id, info.vertex_id, info.first_party_id, info.alias)
        fault = self._faults.take(route, region, names)
        if fault is not None and fault.kind == "reply":
            return record(fault.reply(route, project, region, model_id))
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        context = RequestContext(
            route=route,
            model=None if route == "count_tokens" else info,
            signature_ok=self._signer.verify,
            beta_header=incoming.headers.get("anthropic-beta"),
            redacted_ok=self._signer.unsealable,
        )
        request_id = (("request-id", _request_id()),)
        rejection = check_request(body, context)
        if rejection is not None:
            error = anthropic_error(rejection.error_type, rejection.message)
            return record(Reply.json(rejection.status, error, request_id))
        assert isinstance(body, dict)
        if route == "count_tokens":
            counted = {"input_tokens": count_input_tokens(body)}
            return record(Reply.json(200, counted, request_id))
        message = message_json(
            plan_answer(body, self._signer),
            info.first_party_id,
            self._cache.usage(info.vertex_id, body),
        )
        if route == "create":
            return record(Reply.json(200, message, request_id))
        events = stream_events(message)
        if fault is not None and fault.breaks_stream:
            return record(fault.cut(events))
        return record(StreamReply(events, headers=request_id))

    def _front_door(
        self,
        incoming: _Incoming,
        route: ModelRoute,
        project: str,
        region: str,
        name: str,
        model_id: str,
        body: object,
    ) -> Reply | None:
        """Google's checks before the model sees a request: auth, path, project, availability."""
        refusal = self._gateway_refusal(incoming, route, project, region, name, body)
        if refusal is not None or not model_id:
            return refusal
        return self._availability_refusal(route, project, region, model_id)

    def _gateway_refusal(
        self,
        incoming: _Incoming,
        route: ModelRoute,
        project: str,
        region: str,
        name: str,
        body: object,
    ) -> Reply | None:
        """The refusal of a request's credentials, path, JSON, project or count-tokens region."""
        if not self._authority.bearer_valid(incoming.headers.get("authorization")):
            return _google_refusal(route, 401, UNAUTHENTICATED_MESSAGE)
        for field, value in (("project", project), ("location", region), ("model", name)):
            if not _RESOURCE_ID.fullmatch(value):
                return _google_refusal(
                    route, 400, f"Invalid resource field value in the request: {field} {value!r}."
                )
        if body is _INVALID_JSON:
            return _google_refusal(route, 400, "Invalid JSON payload received. Unexpected token.")
        if project != self.project:
            return Fault.permission_denied().reply(route, project, region, name)
        if route == "count_tokens" and region not in COUNT_TOKENS_REGIONS:
            resource = f"projects/{project}/locations/{region}/publishers/anthropic/models/{name}"
            return _google_refusal(route, 404, _NOT_FOUND.format(resource=resource))
        return None

    def _availability_refusal(
        self, route: ModelRoute, project: str, region: str, model_id: str
    ) -> Reply | None:
        """The refusal of a model Vertex does not know, or does not serve in ``region``."""
        served = self._served_in(route, model_id)
        resource = f"projects/{project}/locations/{region}/publishers/anthropic/models/{model_id}"
        if served is None:
            return _google_refusal(route, 404, _NOT_FOUND.format(resource=resource))
        if region not in served:
            return _google_refusal(
                route,
                400,
                f"Publisher Model `{resource}` is not servable in region {region}.",
                "FAILED_PRECONDITION",
            )
        return None

    def _served_in(self, route: ModelRoute, model_id: str) -> tuple[str, ...] | None:
        """The regions serving ``model_id``; ``None`` if Vertex does not know the id."""
        info: ModelInfo = resolve_model(model_id)
        with self._lock:
            override = self._available.get(info.vertex_id)
        if override is not None:
            return override
        # Vertex names models with "@"; the first-party dated form is not a Vertex id.
        first_party_form = model_id == info.first_party_id != info.vertex_id
        if not info.known or (route != "count_tokens" and first_party_form):
            return None
        return info.served_in


def _google_refusal(route: ModelRoute, code: int, message: str, status: str | None = None) -> Reply:
    """Google's error reply; on the stream route its body is a list of one error, as Vertex's."""
    error = google_error(code, message, status)
    return Reply.json(code, [error] if route == "stream" else error)


def _request_id() -> str:
    """A fresh id for the ``request-id`` header, in the form Vertex's Claude endpoints use."""
    return "req_vrtx_" + secrets.token_hex(12)


def _model_route(name: str, method: str) -> ModelRoute | None:
    if method == "rawPredict":
        return "count_tokens" if name == "count-tokens" else "create"
    if method == "streamRawPredict" and name != "count-tokens":
        return "stream"
    return None


# --------------------------------------------------------------------------- HTTP


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Hundreds of clients may connect at once (load tests, benchmarks); the stdlib default
    # backlog of 5 would reset their connections.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], emulator: VertexEmulator) -> None:
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, which can stall without DNS.
        TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._connections_lock:
            self._connections.add(connection)
        return connection, address

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End the keep-alive connections still open, so no thread serves after a stop."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        self._serve()

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the emulator records requests instead of logging them."""

    def _serve(self) -> None:
        raw = self._read_body()
        if raw is None:
            self.close_connection = True
            error = anthropic_error(
                "request_too_large", "Request exceeds the maximum allowed number of bytes."
            )
            self._write(Reply.json(413, error))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.server.emulator._serving(self.command, self.path, headers, raw) as answer:
            try:
                if isinstance(answer, StreamReply):
                    self._write_stream(answer)
                else:
                    self._write(answer)
            except (ConnectionError, TimeoutError):
                self.close_connection = True

    def _read_body(self) -> bytes | None:
        """The request body; ``None`` (after reading it all) if it is over the size limit."""
        parts: list[bytes] = []
        size = 0
        for part in self._body_parts():
            size += len(part)
            if size <= MAX_BODY_BYTES:
                parts.append(part)
        return b"".join(parts) if size <= MAX_BODY_BYTES else None

    def _body_parts(self) -> Iterator[bytes]:
        if "chunked" not in self.headers.get("transfer-encoding", "").lower():
            remaining = int(self.headers.get("content-length") or 0)
            while remaining > 0:
                part = self.rfile.read(min(remaining, 1 << 20))
                if not part:
                    return
                remaining -= len(part)
                yield part
            return
        while True:
            size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(65536) not in (b"\r\n", b"\n", b""):
                    pass
                return
            yield self.rfile.read(size)
            self.rfile.readline(1024)

    def _head(self, status: int, headers: Sequence[tuple[str, str]]) -> bytes:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = _EXTRA_PHRASES.get(status, "Unknown")
        lines = [f"HTTP/1.1 {status} {phrase}", "Server: claude-vertex-emulator"]
        lines += [f"{name}: {value}" for name, value in headers]
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _write(self, reply: Reply) -> None:
        headers = [
            ("Content-Type", reply.content_type),
            ("Content-Length", str(len(reply.body))),
            *reply.headers,
        ]
        self.wfile.write(self._head(reply.status, headers) + reply.body)

    def _write_stream(self, reply: StreamReply) -> None:
        headers = [
            ("Content-Type", "text/event-stream; charset=utf-8"),
            ("Cache-Control", "no-cache"),
            ("Transfer-Encoding", "chunked"),
            *reply.headers,
        ]
        self.wfile.write(self._head(200, headers))
        for event in reply.events:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
        if reply.ending == "dropped":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(b"0\r\n\r\n")
