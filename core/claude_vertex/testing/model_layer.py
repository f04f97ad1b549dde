"""The emulated model layer: one request body in, the model's answer (or refusal) out.

Online calls (``rawPredict``, ``streamRawPredict``, ``count-tokens``) and the lines of a batch
prediction job answer through the same :meth:`ModelLayer.answer`: the Messages API checks
(:mod:`.rules`), then the answer (:mod:`.answers`), its usage (:mod:`.prompt_cache`) and the
Message object (:mod:`.messages`), or the token count.
"""

from __future__ import annotations

from dataclasses import dataclass

from claude_vertex.models import ModelInfo

from .answers import plan_answer
from .error_bodies import anthropic_error, new_request_id
from .jsontypes import JSON
from .messages import message_json
from .prompt_cache import PromptCache
from .rules import RequestContext, check_request
from .rules import Route as ModelRoute
from .thinking import ThinkingSigner
from .tokens import count_input_tokens

__all__ = ["ModelAnswer", "ModelLayer"]


@dataclass(frozen=True)
class ModelAnswer:
    """The model layer's answer: a status and its JSON (a Message, a count or an error)."""

    status: int
    payload: JSON
    #: The ``req_vrtx_...`` id of the answer (also in an error's ``request_id``).
    request_id: str

    @property
    def ok(self) -> bool:
        """Whether the request was answered (not refused)."""
        return self.status == 200


class ModelLayer:
    """Checks and answers Messages API bodies as Claude on Vertex does.

    Args:
        signer: Signs thinking blocks and checks the signatures sent back.
        cache: The prompt cache deciding each call's cached input tokens.
    """

    def __init__(self, signer: ThinkingSigner, cache: PromptCache) -> None:
        self._signer = signer
        self._cache = cache

    def answer(
        self,
        body: object,
        route: ModelRoute,
        model: ModelInfo | None,
        beta_header: str | None = None,
    ) -> ModelAnswer:
        """The answer to ``body`` on ``route`` for ``model`` (``None`` on count-tokens)."""
        context = RequestContext(
            route=route,
            model=model,
            signature_ok=self._signer.verify,
            beta_header=beta_header,
            redacted_ok=self._signer.unsealable,
        )
        request_id = new_request_id()
        rejection = check_request(body, context)
        if rejection is not None:
            error = anthropic_error(rejection.error_type, rejection.message, request_id)
            return ModelAnswer(rejection.status, error, request_id)
        assert isinstance(body, dict)
        if route == "count_tokens" or model is None:
            return ModelAnswer(200, {"input_tokens": count_input_tokens(body)}, request_id)
        message = message_json(
            plan_answer(body, self._signer),
            model.first_party_id,
            self._cache.usage(model.vertex_id, body),
        )
        return ModelAnswer(200, message, request_id)
