"""1. Call overhead: one small prompt, sequential calls, each contender against its baseline.

The core client and the drop-in ``claude_vertex.AnthropicVertex`` (what agent frameworks are
given) are measured against the raw SDK; ``ChatClaudeVertex.invoke`` and
``ClaudeVertex.chat`` against their framework floors. Plain httpx2 shows what the emulator
and the loopback round trip alone cost.
"""

from __future__ import annotations

from llama_index.core.base.llms.types import ChatMessage

from .contenders import (
    SMALL_PROMPT,
    Contenders,
    core_params,
    dropin_payload,
    raw_payload,
    wire_body,
)
from .harness import Results, Row, interleaved, median, ratio_of_medians_by_round, ratio_row
from .harness import timed_block as block
from .report import TARGETS

SECTION = "1. call overhead"


def run(c: Contenders, results: Results, *, calls: int = 500, rounds: int = 10) -> None:
    """``calls`` calls per contender, in ``rounds`` interleaved blocks."""
    per_block = max(1, calls // rounds)
    payload, params, body = (
        raw_payload(SMALL_PROMPT),
        core_params(SMALL_PROMPT),
        wire_body(SMALL_PROMPT),
    )
    dropin = dropin_payload(SMALL_PROMPT)
    chat = [ChatMessage(role="user", content=SMALL_PROMPT)]
    figures = interleaved(
        {
            "httpx": block(lambda: c.plain.post(c.http, body), per_block),
            "raw": block(lambda: c.raw.messages.create(**payload), per_block),
            "core": block(lambda: c.core.create(params), per_block),
            "dropin": block(lambda: c.dropin.messages.create(**dropin), per_block),
            "lc_floor": block(lambda: c.lc_floor.invoke(SMALL_PROMPT), per_block),
            "lc": block(lambda: c.lc.invoke(SMALL_PROMPT), per_block),
            "li_floor": block(lambda: c.li_floor.chat(chat), per_block),
            "li": block(lambda: c.li.chat(chat), per_block),
        },
        rounds,
        collect=False,
    )
    ms = {name: median(values) * 1000 for name, values in figures.items()}
    n = per_block * rounds
    results.add(
        ratio_row(
            SECTION,
            f"core client vs raw SDK ({n} calls)",
            ratio_of_medians_by_round(figures["core"], figures["raw"]),
            TARGETS["core call"],
            note=f"{ms['core']:.2f} vs {ms['raw']:.2f} ms/call",
        )
    )
    results.add(
        ratio_row(
            SECTION,
            "drop-in AnthropicVertex vs raw SDK",
            ratio_of_medians_by_round(figures["dropin"], figures["raw"]),
            TARGETS["drop-in call"],
            note=f"{ms['dropin']:.2f} vs {ms['raw']:.2f} ms/call",
        )
    )
    results.add(
        ratio_row(
            SECTION,
            "ChatClaudeVertex.invoke vs LangChain floor",
            ratio_of_medians_by_round(figures["lc"], figures["lc_floor"]),
            TARGETS["adapter call"],
            note=f"{ms['lc']:.2f} vs {ms['lc_floor']:.2f} ms/call",
        )
    )
    results.add(
        ratio_row(
            SECTION,
            "ClaudeVertex.chat vs LlamaIndex floor",
            ratio_of_medians_by_round(figures["li"], figures["li_floor"]),
            TARGETS["adapter call"],
            note=f"{ms['li']:.2f} vs {ms['li_floor']:.2f} ms/call",
        )
    )
    floor_ratio = ratio_of_medians_by_round(figures["lc_floor"], figures["raw"])
    results.add(
        Row(
            SECTION,
            "LangChain floor vs raw SDK (framework cost)",
            f"{floor_ratio:.3f}x",
            note=f"+{ms['lc_floor'] - ms['raw']:.2f} ms/call",
        )
    )
    floor_ratio = ratio_of_medians_by_round(figures["li_floor"], figures["raw"])
    results.add(
        Row(
            SECTION,
            "LlamaIndex floor vs raw SDK (framework cost)",
            f"{floor_ratio:.3f}x",
            note=f"+{ms['li_floor'] - ms['raw']:.2f} ms/call",
        )
    )
    to_httpx = ratio_of_medians_by_round(figures["core"], figures["httpx"])
    results.add(
        Row(
            SECTION,
            "core client vs plain httpx2 (the transport's limit)",
            f"{to_httpx:.3f}x",
            note=f"+{ms['core'] - ms['httpx']:.2f} ms/call over the bare round trip",
        )
    )
    results.add(
        Row(
            SECTION,
            "plain httpx2 round trip (emulator + loopback)",
            f"{ms['httpx']:.2f} ms/call",
            note=f"raw SDK spends {ms['raw'] - ms['httpx']:.2f} ms/call on top",
        )
    )
