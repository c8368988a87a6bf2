"""Form-encoded bodies (`application/x-www-form-urlencoded`), as the Go1 API's PHP clients send
them, read into the JSON the same body model validates (docs/product.md "Everyday operations").

PHP's `http_build_query` writes nested fields with brackets (`data[note]=x`,
`items[0][loId]=111`, `user_ids[]=u1`), booleans as `1`/`0` and every value as text. The
body is nested back (bracket keys into objects, all-numeric keys into arrays), then each
value is turned into what the body model's field expects: a number where the field takes a
number (`duration=30`, `pass=1`, `parentEnrolmentId=12`), text everywhere else (a text field
keeps `007` as `007`); booleans are left as `1`/`0`/`true`/`false`, which the models read as
they read JSON's. Then the model validates it exactly as it validates a JSON body.
"""

from __future__ import annotations

import re
import types
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import parse_qsl

from pydantic import BaseModel

FORM = "application/x-www-form-urlencoded"
MAX_FIELDS = 1_000  # as PHP's max_input_vars

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_INDEX = re.compile(r"\[([^\[\]]*)\]")
_INTEGER = re.compile(r"^-?\d{1,18}$")
_DECIMAL = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def is_form(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == FORM


def parse(text: str, model: Any = None) -> Any:
    """The form's fields as the JSON value `model` (a body annotation) would be given."""
    pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    return coerce(model, _arrays(_nested(pairs))) if model is not None else _arrays(_nested(pairs))


def _nested(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        parts = [match.group(1), *_INDEX.findall(match.group(2))] if match else [key]
        node = root
        for part in parts[:-1]:
            name = part if part != "" else str(len(node))
            child = node.get(name)
            if not isinstance(child, dict):
                child = node[name] = {}
            node = child
        last = parts[-1] if parts[-1] != "" else str(len(node))
        node[last] = value  # a repeated plain key: the last one wins, as in PHP
    return root


def _arrays(value: Any) -> Any:
    """Objects whose keys are all indexes (`items[0]`, `user_ids[]`) become arrays, in index order."""
    if not isinstance(value, dict):
        return value
    converted = {k: _arrays(v) for k, v in value.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def coerce(annotation: Any, value: Any) -> Any:  # noqa: PLR0911 - one branch per kind of annotation
    """`value` (form text, or objects and arrays of it) as the JSON `annotation` would be given."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return coerce(get_args(annotation)[0], value)
    if origin in (Union, types.UnionType):
        for arm in get_args(annotation):
            if arm is type(None):
                continue
            converted = coerce(arm, value)
            if converted is not value:
                return converted
        return value
    if isinstance(value, str):
        return _scalar(annotation, value)
    if isinstance(value, dict) and isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = {}
        for name, info in annotation.model_fields.items():
            fields[name] = info.annotation
            if info.alias:
                fields[info.alias] = info.annotation
        return {k: coerce(fields[k], v) if k in fields else v for k, v in value.items()}
    if isinstance(value, list) and origin in (list, tuple, set, frozenset):
        args = get_args(annotation)
        return [coerce(args[0], v) for v in value] if args else value
    if isinstance(value, dict) and origin is dict:
        args = get_args(annotation)
        return {k: coerce(args[1], v) for k, v in value.items()} if len(args) == 2 else value
    return value


def _scalar(annotation: Any, value: str) -> Any:
    if annotation is bool or (isinstance(annotation, type) and issubclass(annotation, (str, Enum))):
        return value
    if annotation is int and _INTEGER.match(value):
        return int(value)
    if annotation is float and _DECIMAL.match(value):
        number = float(value)
        return int(number) if _INTEGER.match(value) else number
    if get_origin(annotation) is Literal:
        options = get_args(annotation)
        numeric = any(isinstance(o, int) and not isinstance(o, bool) for o in options)
        if value not in options and numeric and _INTEGER.match(value):
            return int(value)
    return value
