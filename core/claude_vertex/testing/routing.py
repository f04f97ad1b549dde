"""The emulator's routes: which path is which route, and how each one is answered.

:class:`Router` matches a request to the OAuth token endpoint, IAM ``generateAccessToken``, a
Cloud Storage object read, a model route (``rawPredict``, ``streamRawPredict``,
``count-tokens``), a publisher-model config route or an operation poll (``v1beta1``), answers
it, and logs it. A model request passes the front door, then any
injected fault, then the Messages API checks, before the emulated model answers it.
"""

from __future__ import annotations

import contextlib
import re
import time
import traceback
from collections.abc import Callable, Iterator
from urllib.parse import parse_qsl, unquote, urlsplit

from claude_vertex.models import resolve_model

from .answers import plan_answer
from .auth import Authority
from .error_bodies import anthropic_error, google_error, new_request_id
from .faults import FaultPlan
from .front_door import FrontDoor
from .messages import message_json
from .model_config import ModelConfigs
from .prompt_cache import PromptCache
from .replies import Reply, StreamReply
from .request_log import Incoming, RequestLog, Route, parse_json
from .rules import RequestContext, check_request
from .rules import Route as ModelRoute
from .sse import stream_events
from .storage import ObjectStore
from .thinking import ThinkingSigner
from .tokens import count_input_tokens

__all__ = ["Router"]

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
#: Cloud Storage JSON API object download: /storage/v1/b/{bucket}/o/{url-encoded object}.
_OBJECT_PATH = re.compile(r"/storage/v1/b/([^/]+)/o/([^/]+)")


class Router:
    """Answers each request from the emulator's parts, and logs it.

    Args:
        authority: Keys, tokens and Google's token endpoints.
        front_door: Google's checks of model-route requests.
        faults: The faults queued for model-route requests.
        objects: The Cloud Storage objects served.
        signer: Signs and checks thinking blocks.
        cache: The prompt cache deciding each call's cached input tokens.
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
        objects: ObjectStore,
        signer: ThinkingSigner,
        cache: PromptCache,
        log: RequestLog,
        token_uri: Callable[[], str],
        configs: ModelConfigs,
    ) -> None:
        self._authority = authority
        self._front_door = front_door
        self._faults = faults
        self._objects = objects
        self._signer = signer
        self._cache = cache
        self._log = log
        self._token_uri = token_uri
        self._configs = configs

    @contextlib.contextmanager
    def serving(
        self, method: str, path: str, headers: dict[str, str], raw_body: bytes
    ) -> Iterator[Reply | StreamReply]:
        """The answer to one request, counted as in flight until the ``with`` block ends."""
        with self._log.arriving(method, path, headers, raw_body) as incoming:
            try:
                answer = self._handle(incoming)
            except Exception as problem:  # a bug of the emulator: answer 500 and show it
                traceback.print_exc()
                answer = Reply.json(500, google_error(500, f"Emulator error: {problem!r}"))
            yield answer

    def _handle(self, incoming: Incoming) -> Reply | StreamReply:
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
        config = _CONFIG_PATH.fullmatch(path)
        if config and (post == (config.group(4) == "setPublisherModelConfig")):
            project, region, name, method = (unquote(part) for part in config.groups())
            return self._model_config(incoming, project, region, name, method)
        operation = _OPERATION_PATH.fullmatch(path)
        if incoming.method == "GET" and operation:
            return self._operation(incoming, *(unquote(part) for part in operation.groups()))
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
        reply: Reply | StreamReply,
        body: object,
        project: str | None = None,
        region: str | None = None,
        model: str | None = None,
    ) -> Reply | StreamReply:
        status = reply.status if isinstance(reply, Reply) else 200
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

    def _object(self, incoming: Incoming, bucket: str, name: str) -> Reply:
        query = urlsplit(incoming.path).query
        reply = self._objects.read(incoming.headers.get("authorization"), bucket, name, query)
        self._record(incoming, "storage", reply, None)
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
        context = RequestContext(
            route=route,
            model=None if route == "count_tokens" else info,
            signature_ok=self._signer.verify,
            beta_header=incoming.headers.get("anthropic-beta"),
            redacted_ok=self._signer.unsealable,
        )
        request_id = (("request-id", new_request_id()),)
        rejection = check_request(body, context)
        if rejection is not None:
            error = anthropic_error(rejection.error_type, rejection.message, request_id[0][1])
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


def _model_route(name: str, method: str) -> ModelRoute | None:
    if method == "rawPredict":
        return "count_tokens" if name == "count-tokens" else "create"
    if method == "streamRawPredict" and name != "count-tokens":
        return "stream"
    return None
