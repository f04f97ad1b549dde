"""The emulator's routes: which path is which route, and how each one is answered.

:class:`Router` matches a request to the OAuth token endpoint, IAM ``generateAccessToken``,
the Cloud Storage JSON API (:mod:`.cloud_storage`), a model route (``rawPredict``,
``streamRawPredict``, ``count-tokens``), the ``batchPredictionJobs`` resource
(:mod:`.batch_jobs`), a publisher-model config route or an operation poll (``v1beta1``),
answers it, and logs it. A model request passes the front door, then any injected fault, then
the model layer (:mod:`.model_layer`: the Messages API checks and the emulated model's answer).
"""

from __future__ import annotations

import contextlib
import re
import time
import traceback
from collections.abc import Callable, Iterator
from typing import TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from claude_vertex.models import resolve_model

from .auth import Authority
from .batch_jobs import BatchJobs
from .cloud_storage import CloudStorage
from .error_bodies import google_error
from .faults import FaultPlan
from .front_door import FrontDoor
from .model_config import ModelConfigs
from .model_layer import ModelLayer
from .replies import Answer, FileReply, Reply, StreamReply
from .request_log import BodyStream, Incoming, RequestLog, Route, parse_json
from .rules import Route as ModelRoute
from .sse import stream_events

__all__ = ["Router"]

AnswerT = TypeVar("AnswerT", bound=Reply | StreamReply | FileReply)

_MODEL_PATH = re.compile(
    r"/v1/projects/([^/]+)/locations/([^/]+)/publishers/anthropic/models/([^/]+):([A-Za-z]+)"
)
#: The publisher-model config of a model (v1beta1): set with POST, fetch with GET.
_CONFIG_PATH = re.compile(
    r"/v1beta1/projects/([^/]+)/locations/([^/]+)/publishers/anthropic/models/([^/]+)"
    r":(setPublisherModelConfig|fetchPublisherModelConfig)"
)
#: A long-running operation (v1beta1), polled with GET.
_OPERATION_PATH = re.compile(r"/v1beta1/(projects/([^/]+)/locations/([^/]+)/operations/[^/]+)")
_IAM_PATH = re.compile(r"/v1/projects/-/serviceAccounts/([^/]+):generateAccessToken")


class Router:
    """Answers each request from the emulator's parts, and logs it.

    Args:
        authority: Keys, tokens and Google's token endpoints.
        front_door: Google's checks of model-route requests.
        faults: The faults queued for model-route requests.
        storage: The Cloud Storage JSON API.
        batch: The ``batchPredictionJobs`` resource.
        model_layer: Checks and answers Messages API bodies.
        log: Where answered requests are logged and in-flight ones counted.
        token_uri: The URL of the emulator's ``/token`` (JWT assertions name it as audience).
        configs: The publisher-model configs and data-sharing requirements.
    """

    def __init__(
        self,
        *,
        authority: Authority,
        front_door: FrontDoor,
        faults: FaultPlan,
        storage: CloudStorage,
        batch: BatchJobs,
        model_layer: ModelLayer,
        log: RequestLog,
        token_uri: Callable[[], str],
        configs: ModelConfigs,
    ) -> None:
        self._authority = authority
        self._front_door = front_door
        self._faults = faults
        self._storage = storage
        self._batch = batch
        self._model_layer = model_layer
        self._log = log
        self._token_uri = token_uri
        self._configs = configs

    def streams_body(self, method: str, path: str) -> bool:
        """Whether the request's body is streamed rather than read whole (uploads)."""
        return self._storage.streams_body(method, path)

    @contextlib.contextmanager
    def serving(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        raw_body: bytes,
        stream: BodyStream | None = None,
    ) -> Iterator[Answer]:
        """The answer to one request, counted as in flight until the ``with`` block ends."""
        with self._log.arriving(method, path, headers, raw_body, stream) as incoming:
            try:
                answer = self._handle(incoming)
            except Exception as problem:  # a bug of the emulator: answer 500 and show it
                traceback.print_exc()
                answer = Reply.json(500, google_error(500, f"Emulator error: {problem!r}"))
            yield answer

    def _handle(self, incoming: Incoming) -> Answer:
        path = urlsplit(incoming.path).path
        post = incoming.method == "POST"
        if post and path == "/token":
            return self._token(incoming)
        iam = _IAM_PATH.fullmatch(path)
        if post and iam:
            return self._iam(incoming, unquote(iam.group(1)))
        config = _CONFIG_PATH.fullmatch(path)
        if config and (post == (config.group(4) == "setPublisherModelConfig")):
            project, region, name, method = (unquote(part) for part in config.groups())
            return self._model_config(incoming, project, region, name, method)
        operation = _OPERATION_PATH.fullmatch(path)
        if incoming.method == "GET" and operation:
            return self._operation(incoming, *(unquote(part) for part in operation.groups()))
        if self._storage.handles(path):
            return self._record(incoming, "storage", self._storage.answer(incoming), None)
        if self._batch.handles(path):
            batch = self._batch.answer(incoming)
            return self._record(
                incoming, "batch", batch.reply, batch.body, batch.project, batch.region, batch.model
            )
        model = _MODEL_PATH.fullmatch(path)
        if post and model:
            project, region, name, method = (unquote(part) for part in model.groups())
            route = _model_route(name, method)
            if route is not None:
                return self._model(incoming, route, project, region, name)
        reply = Reply.json(404, google_error(404, f"The requested URL {path} was not found."))
        return self._record(incoming, "other", reply, parse_json(incoming.raw_body))

    def _record(
        self,
        incoming: Incoming,
        route: Route,
        reply: AnswerT,
        body: object,
        project: str | None = None,
        region: str | None = None,
        model: str | None = None,
    ) -> AnswerT:
        status = 200 if isinstance(reply, StreamReply) else reply.status
        self._log.record(incoming, route, status, body, project, region, model)
        return reply

    def _token(self, incoming: Incoming) -> Reply:
        form = dict(parse_qsl(incoming.raw_body.decode("utf-8", "replace")))
        reply = self._authority.token_endpoint(form, self._token_uri())
        self._record(incoming, "token", reply, form)
        return reply

    def _iam(self, incoming: Incoming, email: str) -> Reply:
        body = parse_json(incoming.raw_body)
        reply = self._authority.generate_access_token(
            email, incoming.headers.get("authorization"), body
        )
        self._record(incoming, "iam", reply, body)
        return reply

    def _model_config(
        self, incoming: Incoming, project: str, region: str, name: str, method: str
    ) -> Reply | StreamReply:
        body = parse_json(incoming.raw_body) if method == "setPublisherModelConfig" else None
        reply = self._front_door.config_refusal(incoming, project, region, name, body)
        if reply is None and method == "fetchPublisherModelConfig":
            reply = self._configs.fetch(project, region, name)
        elif reply is None:
            reply = self._configs.set(project, region, name, body)
        return self._record(incoming, "model_config", reply, body, project, region, name)

    def _operation(
        self, incoming: Incoming, name: str, project: str, region: str
    ) -> Reply | StreamReply:
        reply = self._front_door.operation_refusal(incoming, project)
        if reply is None:
            reply = self._configs.operation(name)
        return self._record(incoming, "operation", reply, None, project, region)

    def _model(
        self, incoming: Incoming, route: ModelRoute, project: str, region: str, name: str
    ) -> Reply | StreamReply:
        body = parse_json(incoming.raw_body)
        model_id = name
        if route == "count_tokens":
            named = body.get("model") if isinstance(body, dict) else None
            model_id = named if isinstance(named, str) else ""

        def record(reply: Reply | StreamReply) -> Reply | StreamReply:
            return self._record(incoming, route, reply, body, project, region, model_id or None)

        refusal = self._front_door.refusal(incoming, route, project, region, name, model_id, body)
        if refusal is not None:
            return record(refusal)
        info = resolve_model(model_id)
        names = (model_id, info.vertex_id, info.first_party_id, info.alias)
        fault = self._faults.take(route, region, names)
        if fault is not None and fault.kind == "reply":
            return record(fault.reply(route, project, region, model_id))
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        answer = self._model_layer.answer(
            body,
            route,
            None if route == "count_tokens" else info,
            incoming.headers.get("anthropic-beta"),
        )
        request_id = (("request-id", answer.request_id),)
        if route != "stream" or not answer.ok:
            return record(Reply.json(answer.status, answer.payload, request_id))
        events = stream_events(answer.payload)
        if fault is not None and fault.breaks_stream:
            return record(fault.cut(events))
        return record(StreamReply(events, headers=request_id))


def _model_route(name: str, method: str) -> ModelRoute | None:
    if method == "rawPredict":
        return "count_tokens" if name == "count-tokens" else "create"
    if method == "streamRawPredict" and name != "count-tokens":
        return "stream"
    return None
