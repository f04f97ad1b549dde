"""Deterministic example values of JSON schemas, optionally filled from the user's text.

The emulated model builds tool arguments and structured outputs with
:func:`example_from_schema`; :class:`ArgumentHints` offers it the quoted strings and numbers
of the user's text, as a model copies what it was told.
"""

from __future__ import annotations

import re
from typing import Any

from .jsontypes import JSON

__all__ = ["ArgumentHints", "example_from_schema"]


_STRING_FORMATS = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
#: Below this depth every property and one array item are produced; deeper, only what the
#: schema requires, so that recursive schemas end.
_FULL_DEPTH = 4
_MAX_DEPTH = 32


class ArgumentHints:
    """Values a user's text offers for tool arguments: quoted strings and numbers, in order.

    The emulated model fills string arguments with the quoted strings of the user's text and
    number arguments with its numbers, first come first served, as a model copies what it was
    told (``'What is magic(3)?'`` calls ``magic`` with ``3``). Arguments the text says nothing
    about get the schema's example value.
    """

    _QUOTED = re.compile(r"""(?<!\w)(?:'([^'\n]+)'|"([^"\n]+)"|\u201c([^\u201d\n]+)\u201d)""")
    _NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?!\w|\.\d)")

    def __init__(self, text: str) -> None:
        self.strings = [next(g for g in m.groups() if g) for m in self._QUOTED.finditer(text)]
        self.numbers: list[int | float] = [
            float(n) if "." in n else int(n) for n in self._NUMBER.findall(text)
        ]

    def take_string(self, schema: JSON) -> str | None:
        """The next quoted string that fits ``schema``'s length limits, consumed."""
        for index, value in enumerate(self.strings):
            low, high = schema.get("minLength"), schema.get("maxLength")
            if (isinstance(low, int) and len(value) < low) or (
                isinstance(high, int) and len(value) > high
            ):
                continue
            return self.strings.pop(index)
        return None

    def take_number(self, schema: JSON, *, integer: bool) -> int | float | None:
        """The next number that fits ``schema`` (integral for integers, within bounds)."""
        for index, value in enumerate(self.numbers):
            if integer and not isinstance(value, int):
                continue
            if not _within(value, schema):
                continue
            return self.numbers.pop(index)
        return None


def _within(value: float, schema: JSON) -> bool:
    """Whether ``value`` meets the schema's ``minimum``/``maximum`` (and exclusive) bounds."""

    def bound(key: str) -> float | None:
        found = schema.get(key)
        if isinstance(found, (int, float)) and not isinstance(found, bool):
            return float(found)
        return None

    low, high = bound("minimum"), bound("maximum")
    low_open, high_open = bound("exclusiveMinimum"), bound("exclusiveMaximum")
    return (
        (low is None or value >= low)
        and (high is None or value <= high)
        and (low_open is None or value > low_open)
        and (high_open is None or value < high_open)
    )


def example_from_schema(schema: object, hints: ArgumentHints | None = None) -> Any:
    """A deterministic value that matches a JSON schema.

    Objects get every property, strings ``"example"`` (or a sample of their ``format``),
    numbers and integers ``1`` (within ``minimum``/``maximum``), booleans ``true``, enums
    their first value, arrays one item; ``$ref`` into ``$defs``/``definitions`` is followed
    and ``anyOf``/``oneOf`` take their first branch. With ``hints``, plain strings and
    numbers take the user's quoted strings and numbers first (see :class:`ArgumentHints`).
    """
    root = schema if isinstance(schema, dict) else {}
    return _example(schema, root, 0, hints)


def _resolve_ref(root: JSON, ref: str) -> object:
    if not ref.startswith("#"):
        return {}
    node: object = root
    for part in [p for p in ref[1:].split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node


def _example(schema: object, root: JSON, depth: int, hints: ArgumentHints | None) -> Any:
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if isinstance(schema.get("$ref"), str):
        return _example(_resolve_ref(root, schema["$ref"]), root, depth + 1, hints)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    branches = _union_branches(schema)
    if branches:
        return _example(branches[0], root, depth + 1, hints)
    if isinstance(schema.get("allOf"), list):
        return _example(_merge_all_of(schema, root), root, depth + 1, hints)
    return _typed_example(schema, root, depth, hints)


def _union_branches(schema: JSON) -> list[object]:
    """The branches of the first non-empty ``anyOf``/``oneOf``: the non-null ones, if any."""
    for keyword in ("anyOf", "oneOf"):
        branches = schema.get(keyword)
        if isinstance(branches, list) and branches:
            preferred = [
                b for b in branches if not (isinstance(b, dict) and b.get("type") == "null")
            ]
            return preferred or branches
    return []


def _merge_all_of(schema: JSON, root: JSON) -> JSON:
    """``schema`` without ``allOf``, with each of its branches merged in, in order."""
    merged: JSON = {k: v for k, v in schema.items() if k != "allOf"}
    for branch in schema["allOf"]:
        if not isinstance(branch, dict):
            continue
        resolved = _resolve_ref(root, branch["$ref"]) if "$ref" in branch else branch
        if isinstance(resolved, dict):
            _merge_into(merged, resolved)
    return merged


def _merge_into(merged: JSON, branch: JSON) -> None:
    """Merge ``branch`` into ``merged``: objects are combined, lists joined, the rest replaced."""
    for key, value in branch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + value
        else:
            merged[key] = value


def _schema_type(schema: JSON) -> object:
    """The schema's type: the first non-null of a list, else inferred from its keywords."""
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    return kind


def _typed_example(schema: JSON, root: JSON, depth: int, hints: ArgumentHints | None) -> Any:
    """The example of a schema by its ``type``."""
    kind = _schema_type(schema)
    if kind == "object":
        return _object_example(schema, root, depth, hints)
    if kind == "array":
        return _array_example(schema, root, depth, hints)
    if kind == "string":
        hinted = (
            hints.take_string(schema) if hints and schema.get("format") in (None, "text") else None
        )
        return _string_example(schema) if hinted is None else hinted
    if kind in ("integer", "number"):
        number = hints.take_number(schema, integer=kind == "integer") if hints else None
        return _number_example(schema) if number is None else number
    if kind == "boolean":
        return True
    return None


def _object_example(schema: JSON, root: JSON, depth: int, hints: ArgumentHints | None) -> JSON:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    required = schema.get("required")
    required = set(required) if isinstance(required, list) else set()
    return {
        name: _example(sub, root, depth + 1, hints)
        for name, sub in properties.items()
        if depth < _FULL_DEPTH or name in required
    }


def _array_example(schema: JSON, root: JSON, depth: int, hints: ArgumentHints | None) -> list[Any]:
    items = schema.get("items")
    if not isinstance(items, dict) and isinstance(schema.get("prefixItems"), list):
        return [_example(item, root, depth + 1, hints) for item in schema["prefixItems"]]
    minimum = schema.get("minItems", 0) if isinstance(schema.get("minItems"), int) else 0
    count = max(minimum, 1 if depth < _FULL_DEPTH else 0)
    return [
        _example(items if isinstance(items, dict) else {}, root, depth + 1, hints)
        for _ in range(count)
    ]


def _string_example(schema: JSON) -> str:
    text = _STRING_FORMATS.get(str(schema.get("format")), "example")
    min_length = schema.get("minLength")
    max_length = schema.get("maxLength")
    if isinstance(min_length, int) and len(text) < min_length:
        text = text + "x" * (min_length - len(text))
    if isinstance(max_length, int) and len(text) > max_length:
        text = text[:max_length]
    return text


def _number_example(schema: JSON) -> int | float:
    value: int | float = 1
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if isinstance(low, (int, float)) and value < low:
        value = low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
    if isinstance(high, (int, float)) and value > high:
        value = high - (1 if "exclusiveMaximum" in schema and "maximum" not in schema else 0)
    return value
