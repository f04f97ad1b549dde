"""``claude-vertex models``: the model table, as a terminal table or as JSON.

:func:`model_record` is one row of the table as plain data (what ``--json`` prints);
:func:`run_models` is the subcommand. The terminal table needs ``rich`` (the ``cli`` extra),
imported only when a table is drawn, so neither the core nor ``--json`` needs it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .models import MULTI_REGIONS, ModelInfo, Pricing, all_models, resolve_model

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = ["add_models_command", "model_record", "run_models"]

_T = TypeVar("_T")

#: Exit status of ``models`` when ``--model`` names a model the table does not know.
UNKNOWN_MODEL = 1
#: Exit status when the terminal table is asked for without ``rich`` installed.
MISSING_EXTRA = 2
_INSTALL_HINT = 'pip install "claude-vertex[cli]"'
#: The unit of every price in a record.
PRICE_UNIT = "USD per million tokens"


def _prices(pricing: Pricing, region: str) -> dict[str, float]:
    """The prices of ``pricing`` on ``region``, premium included, per million tokens."""
    factor = pricing.multiplier(region)

    def price(value: float) -> float:
        return round(value * factor, 6)

    return {
        "input": price(pricing.input),
        "output": price(pricing.output),
        "cache_write_5m": price(pricing.cache_write),
        "cache_write_1h": price(pricing.one_hour_cache_write),
        "cache_read": price(pricing.cache_read),
    }


def _price_record(info: ModelInfo) -> dict[str, Any] | None:
    pricing = info.pricing
    if pricing is None:
        return None
    return {
        "unit": PRICE_UNIT,
        "global": _prices(pricing, "global") if info.global_endpoint else None,
        # Every regional and multi-region endpoint costs the same.
        "regional": _prices(pricing, info.regions[0]) if info.regions else None,
        "regional_multiplier": pricing.regional_multiplier,
    }


def model_record(info: ModelInfo) -> dict[str, Any]:
    """One row of the model table as JSON-ready data (what ``models --json`` prints).

    Prices are US dollars per million tokens on the global endpoint and on regional (and
    multi-region) endpoints, the regional premium included; ``None`` where the model is not
    served there or the table has no prices.
    """
    return {
        "alias": info.alias,
        "first_party_id": info.first_party_id,
        "vertex_id": info.vertex_id,
        "context_window": info.context_window,
        "max_output_tokens": info.max_output_tokens,
        "features": {
            "thinking_budget": info.thinking,
            "adaptive_thinking": info.adaptive_thinking,
            "thinking_display": info.thinking_display,
            "efforts": list(info.efforts),
            "structured_outputs": info.structured_outputs,
            "sampling": info.sampling,
            "prefill": info.prefill,
        },
        "served_in": list(info.served_in),
        "prices": _price_record(info),
        "lifecycle": info.lifecycle,
        "retirement": info.retirement,
        "successor": info.successor,
    }


# -- the terminal table -------------------------------------------------------------------
def _tokens(count: int) -> str:
    """``1M``, ``200K``, ``8,192``: a token count the way model pages write it."""
    if count % 1_000_000 == 0:
        return f"{count // 1_000_000}M"
    if count % 1_000 == 0:
        return f"{count // 1_000}K"
    return f"{count:,}"


def _dollars(value: float) -> str:
    """``$3``, ``$3.30``, ``$4.125``: at least cents, at most the digits the price has."""
    text = f"{value:.4f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"${whole}" if not cents.strip("0") else f"${whole}.{cents.ljust(2, '0')}"


def _feature_lines(features: dict[str, Any]) -> list[str]:
    thinking = [
        name
        for name, on in (
            ("budget", features["thinking_budget"]),
            ("adaptive", features["adaptive_thinking"]),
        )
        if on
    ]
    lines = [f"thinking: {', '.join(thinking)}" if thinking else "no thinking"]
    if features["thinking_display"]:
        lines.append("thinking display: summarized or omitted")
    efforts = features["efforts"]
    if efforts:
        lines.append(f"effort: {', '.join(efforts)}")
    if features["structured_outputs"]:
        lines.append("structured outputs")
    if not features["sampling"]:
        lines.append("no sampling params")
    if not features["prefill"]:
        lines.append("no prefill")
    return lines


def _price_cell(prices: dict[str, float] | None) -> str:
    if prices is None:
        return "[dim]n/a[/dim]"
    return (
        f"{_dollars(prices['input'])} in, {_dollars(prices['output'])} out\n"
        f"[dim]cache: {_dollars(prices['cache_write_5m'])} 5m, "
        f"{_dollars(prices['cache_write_1h'])} 1h, {_dollars(prices['cache_read'])} read[/dim]"
    )


_LIFECYCLE_STYLE = {"active": "green", "deprecated": "yellow", "retired": "red"}


def _lifecycle_cell(record: dict[str, Any]) -> str:
    status = record["lifecycle"]
    lines = [f"[{_LIFECYCLE_STYLE.get(status, 'default')}]{status}[/]"]
    if record["retirement"]:
        lines.append(f"retires {record['retirement']}")
    if record["successor"]:
        lines.append(f"use {record['successor']}")
    return "\n".join(lines)


def _served_cell(served_in: list[str]) -> str:
    """``global, us, eu, +6 regions``: the endpoints, single regions counted past three."""
    named = [name for name in served_in if name in ("global", *MULTI_REGIONS)]
    regions = [name for name in served_in if name not in named]
    if len(regions) > 3:
        return ", ".join([*named, f"+{len(regions)} regions"])
    return ", ".join(served_in) or "[dim]none[/dim]"


def _short_features(features: dict[str, Any]) -> str:
    tags = [
        tag
        for tag, on in (
            ("budget thinking", features["thinking_budget"]),
            ("adaptive", features["adaptive_thinking"]),
            (f"effort ({len(features['efforts'])})", bool(features["efforts"])),
            ("structured", features["structured_outputs"]),
            ("no sampling", not features["sampling"]),
            ("no prefill", not features["prefill"]),
        )
        if on
    ]
    return ", ".join(tags) or "no thinking"


def _in_out_cell(prices: dict[str, Any] | None) -> str:
    lines = []
    for endpoint in ("global", "regional"):
        per = (prices or {}).get(endpoint)
        if per is not None:
            lines.append(f"{endpoint} {_dollars(per['input'])}/{_dollars(per['output'])}")
    return "\n".join(lines) or "[dim]unknown[/dim]"


def _table(records: list[dict[str, Any]]) -> RenderableType:
    from rich import box
    from rich.table import Table

    table = Table(
        title="Claude on Vertex AI",
        caption="Prices: US dollars per million tokens, input/output. "
        "All ids, features, regions and cache prices: claude-vertex models --model M",
        box=box.SIMPLE_HEAD,
        expand=True,
        show_lines=True,
    )
    # Shares of the terminal's width: the columns wrap, so the table fits any width.
    table.add_column("Model (alias, Vertex id)", overflow="fold", ratio=6)
    table.add_column("Limits, features", ratio=6)
    table.add_column("Served in", ratio=4)
    table.add_column("$/MTok in/out", ratio=5)
    table.add_column("Lifecycle", overflow="fold", ratio=5)
    for record in records:
        ids = f"[bold]{record['alias']}[/bold]"
        if record["vertex_id"] != record["alias"]:
            ids += f"\n[dim]{record['vertex_id']}[/dim]"
        table.add_row(
            ids,
            f"{_tokens(record['context_window'])} in, {_tokens(record['max_output_tokens'])} out; "
            + _short_features(record["features"]),
            _served_cell(record["served_in"]),
            _in_out_cell(record["prices"]),
            _lifecycle_cell(record),
        )
    return table


def _detail(record: dict[str, Any]) -> RenderableType:
    from rich.table import Table

    table = Table(title=record["alias"], show_header=False, show_lines=True)
    table.add_column("", style="bold")
    table.add_column("", overflow="fold")
    prices = record["prices"] or {}
    rows = [
        ("Alias", record["alias"]),
        ("Vertex id", record["vertex_id"]),
        ("First-party id", record["first_party_id"]),
        ("Context window", f"{record['context_window']:,} tokens"),
        ("Max output", f"{record['max_output_tokens']:,} tokens"),
        ("Features", "\n".join(_feature_lines(record["features"]))),
        ("Served in", ", ".join(record["served_in"])),
        ("Global $/MTok", _price_cell(prices.get("global"))),
        ("Regional $/MTok", _price_cell(prices.get("regional"))),
        ("Lifecycle", _lifecycle_cell(record)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def _print_rich(renderable_of: Callable[[_T], RenderableType], data: _T) -> int:
    """Draw with ``rich``, or say how to install it (exit 2) when it is missing."""
    try:
        from rich.console import Console
    except ImportError:
        print(
            f"claude-vertex models: the table needs rich: {_INSTALL_HINT} "
            "(or use --json, which needs nothing more).",
            file=sys.stderr,
        )
        return MISSING_EXTRA
    Console().print(renderable_of(data))
    return 0


# -- the subcommand -----------------------------------------------------------------------
def run_models(args: argparse.Namespace) -> int:
    """``claude-vertex models [--json] [--model M]``; the exit status.

    0 on success, 1 when ``--model`` names a model the table does not know, 2 when the
    terminal table is asked for and ``rich`` is not installed.
    """
    if args.model is not None:
        info = resolve_model(args.model)
        if not info.known:
            print(
                f"claude-vertex models: {args.model!r} is not in the model table. Such an id is "
                "sent to Vertex unchanged, with default limits and no prices; run "
                "`claude-vertex models` for the ids it knows, or add a row with "
                "claude_vertex.register_model.",
                file=sys.stderr,
            )
            return UNKNOWN_MODEL
        record = model_record(info)
        if args.json:
            print(json.dumps(record, indent=2))
            return 0
        return _print_rich(_detail, record)
    records = [model_record(row) for row in all_models()]
    if args.json:
        print(json.dumps(records, indent=2))
        return 0
    return _print_rich(_table, records)


def add_models_command(commands: Any) -> None:
    """Register ``models`` on the subparsers ``commands`` of ``claude-vertex``."""
    models = commands.add_parser(
        "models",
        help="show the Claude models on Vertex AI: ids, limits, features, regions, prices",
        description="The package's model table (rows added with register_model included).",
    )
    models.add_argument("--json", action="store_true", help="print JSON (needs no extra)")
    models.add_argument("--model", help="show one model, by any of its ids")
    models.set_defaults(handler=run_models)
