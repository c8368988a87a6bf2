"""The slice of JSON Schema the OpenAPI document uses: values generated from it (hypothesis)
and answers checked against it. Enough for pydantic's output: $ref, anyOf/oneOf/allOf,
type, enum/const, properties/required/additionalProperties, items, lengths and bounds."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import strategies as st

Schema = dict[str, Any]
JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63), st.floats(allow_nan=False), st.text(max_size=40)
)
ANY_JSON = st.recursive(
    JSON_LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
)


class Schemas:
    def __init__(self, document: dict[str, Any]) -> None:
        self.components: dict[str, Schema] = document.get("components", {}).get("schemas", {})

    def resolve(self, schema: Schema) -> Schema:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    # --- generating -------------------------------------------------------------------------------

    def values(self, schema: Schema, depth: int = 0) -> st.SearchStrategy[Any]:  # noqa: PLR0911, PLR0912
        """Values the schema accepts, mostly; sometimes slightly beyond its bounds (the API must say 400)."""
        schema = self.resolve(schema)
        if depth > 6:
            return st.none()
        for combinator in ("anyOf", "oneOf"):
            if combinator in schema:
                return st.one_of([self.values(s, depth + 1) for s in schema[combinator]])
        if "allOf" in schema:
            return self.values(schema["allOf"][0], depth + 1)
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        kind = schema.get("type")
        if kind == "string":
            if schema.get("format") == "date-time":
                return st.datetimes().map(lambda d: d.isoformat() + "Z")
            if schema.get("format") == "date":
                return st.dates().map(lambda d: d.isoformat())
            if "pattern" in schema:
                try:
                    return st.from_regex(schema["pattern"], fullmatch=True).filter(
                        lambda v: len(v) <= schema.get("maxLength", 10_000)
                    )
                except re.error:
                    pass
            low = schema.get("minLength", 0)
            high = schema.get("maxLength", 64)
            return st.text(min_size=low, max_size=min(high + 1, low + 80))
        if kind == "integer":
            low, high = schema.get("minimum"), schema.get("maximum")
            return st.integers(None if low is None else int(low) - 1, None if high is None else int(high) + 1)
        if kind == "number":
            return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False)
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        if kind == "array":
            items = self.values(schema.get("items", {}), depth + 1)
            return st.lists(items, min_size=schema.get("minItems", 0), max_size=min(schema.get("maxItems", 5), 5))
        if kind == "object" or "properties" in schema:
            properties: dict[str, Schema] = schema.get("properties", {})
            required = [name for name in schema.get("required", []) if name in properties]
            optional = [name for name in properties if name not in required]
            return st.fixed_dictionaries(
                {name: self.values(properties[name], depth + 1) for name in required},
                optional={name: self.values(properties[name], depth + 1) for name in optional},
            )
        return ANY_JSON

    # --- checking ---------------------------------------------------------------------------------

    def problems(self, schema: Schema, value: Any, where: str = "$") -> list[str]:  # noqa: PLR0912
        schema = self.resolve(schema)
        for combinator in ("anyOf", "oneOf"):
            if combinator in schema:
                options = [self.problems(s, value, where) for s in schema[combinator]]
                return [] if any(not o for o in options) else [f"{where}: matches none of {combinator}"]
        if "allOf" in schema:
            return [p for s in schema["allOf"] for p in self.problems(s, value, where)]
        if "const" in schema and value != schema["const"]:
            return [f"{where}: {value!r} is not {schema['const']!r}"]
        if "enum" in schema and value not in schema["enum"]:
            return [f"{where}: {value!r} not in {schema['enum']}"]
        kind = schema.get("type")
        checks = {
            "string": lambda v: isinstance(v, str),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool),
            "null": lambda v: v is None,
            "array": lambda v: isinstance(v, list),
            "object": lambda v: isinstance(v, dict),
        }
        if kind in checks and not checks[kind](value):
            return [f"{where}: {type(value).__name__} is not {kind}"]
        found: list[str] = []
        if isinstance(value, list) and "items" in schema:
            for index, item in enumerate(value):
                found += self.problems(schema["items"], item, f"{where}[{index}]")
        if isinstance(value, dict):
            properties = schema.get("properties", {})
            for name in schema.get("required", []):
                if name not in value:
                    found.append(f"{where}.{name}: required but absent")
            for name, item in value.items():
                if name in properties:
                    found += self.problems(properties[name], item, f"{where}.{name}")
                elif schema.get("additionalProperties") is False:
                    found.append(f"{where}.{name}: not in the document")
        return found
